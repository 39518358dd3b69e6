"""The Logos workspace: index a folder, look up a query logo, review duplicates, train SimCLR, see the map.

The index (a feature matrix + file list) is loaded from disk on the UI thread (a few MB);
a query that is in the index is answered at once, any other one is embedded on the model
worker; training runs in a child process (``core.process``) with live loss curves.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QTabWidget, QToolBar, QVBoxLayout, QWidget

from app.filedialogs import open_file, pick_folder
from app.logos.duplicates import DuplicatesTab
from app.logos.lookalikes import LookalikesTab
from app.logos.map import MapTab
from app.logos.session import LogoSession
from app.logos.training import TrainTab
from app.logos.well import THUMB
from app.thumbs import ThumbnailLoader
from app.widgets import fit_to_current_text
from app.workspace import PageContext, WorkspacePage
from core.jobs import Lane, Priority
from core.logos.images import load_logo


class LogosPage(WorkspacePage):
    """The tool bar (index a folder, the model, the query's limits), the four tabs and a note per tab;
    the tabs share a ``LogoSession`` and never reach into one another."""

    title = "Logos"
    icon = "logos"
    summary = "Index a folder of logos, drop a query logo and see its look-alikes; find duplicates; train SimCLR."

    def __init__(self, context: PageContext, parent=None) -> None:
        super().__init__(context, parent)
        self.session = LogoSession(parent=self)
        self.index_dir = self.session.index_dir
        self.loader = ThumbnailLoader(THUMB, parent=self, loader=load_logo, kind="logo")
        self.lookalikes = LookalikesTab(self.session, context.jobs, context.models, self.loader, context.settings)
        self.duplicates = DuplicatesTab(self.session, context.jobs, context.cache, self.loader)
        self.train_tab = TrainTab(self.session, context.jobs, context.models, self.keep_view)
        self.map_tab = MapTab(self.session)
        self._build()
        self._open_saved_index()

    @property
    def index(self):
        return self.session.index

    @property
    def query_path(self) -> str | None:
        return self.session.query_path

    @query_path.setter
    def query_path(self, path: str | None) -> None:
        self.session.query_path = path

    def set_query(self, path: str):
        """Look up a logo (Look-alikes): None when it is in the index, else the job embedding it."""
        return self.lookalikes.set_query(path)

    # -- layout -----------------------------------------------------------------
    def _build(self) -> None:
        bar = QToolBar()
        bar.addAction("Index folder…", lambda: self.index_folder(None))
        bar.addAction("Pick query…", self._pick_query)
        paste = bar.addAction("Paste query", self.lookalikes.paste_query)
        paste.setShortcut(QKeySequence.StandardKey.Paste)
        paste.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(paste)
        bar.addSeparator()
        self.model_choice = QComboBox()
        self.model_choice.setToolTip("What embeds the logos: ImageNet features (offline), Swin-T, or a model "
                                     "you trained here")
        self._fill_models()
        fit_to_current_text(self.model_choice)
        bar.addWidget(QLabel("Model "))
        bar.addWidget(self.model_choice)
        for label, w in (("  top k ", self.lookalikes.k), ("  score ≥ ", self.lookalikes.threshold)):
            bar.addWidget(QLabel(label))
            bar.addWidget(w)

        self.tabs = QTabWidget()
        self._notes: dict = {}  # tab → its last message
        for tab, name in ((self.lookalikes, "Look-alikes"), (self.duplicates, "Duplicates"),
                          (self.train_tab, "Train"), (self.map_tab, "Map")):
            self.tabs.addTab(tab, name)
        for tab in (self.lookalikes, self.duplicates, self.train_tab):
            tab.message.connect(lambda text, tab=tab: self.say(text, tab))
        self.lookalikes.status.connect(self.say)
        self.duplicates.status.connect(self.say)
        self.lookalikes.wanted.connect(lambda: self.tabs.setCurrentWidget(self.lookalikes))
        self.train_tab.trained.connect(lambda _result: self._fill_models())
        self.train_tab.use_checkpoint.connect(self.index_with)
        self.session.index_changed.connect(self._index_changed)
        self.tabs.currentChanged.connect(self._tab_changed)
        from app.widgets import JobStrip

        layout = QVBoxLayout(self)
        layout.addWidget(bar)
        layout.addWidget(self.tabs, 1)
        self.job_strip = JobStrip(self.context.jobs, "Logos:")  # this page's running job, with Cancel,
        self.job_strip.float_in_tab_row(self.tabs)  # right of the tabs: no line of its own
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #5a6a7a")
        layout.addWidget(self.note)
        for name, w in (("model", self.model_choice), ("top k", self.lookalikes.k),
                        ("score", self.lookalikes.threshold), ("hash bits", self.duplicates.dup_threshold),
                        ("tab", self.tabs)):
            self.keep_view(name, w)  # the user's, back after a restart (an index's own model still shows)

    def _fill_models(self) -> None:
        from core.logos.service import list_runs, runs_dir
        from core.models.registry import get_preset

        current = self.model_choice.currentData()
        self.model_choice.blockSignals(True)
        self.model_choice.clear()
        for name in ("simscope-logo", "effnet-lite0", "swin-t"):
            self.model_choice.addItem(get_preset(name).title, name)
        for run in list_runs(runs_dir()):
            if run["checkpoint"]:
                self.model_choice.addItem(f"Trained: {Path(run['dir']).name} ({run['params']['backbone']})",
                                          run["checkpoint"])
        i = self.model_choice.findData(current)
        self.model_choice.setCurrentIndex(max(i, 0))
        self.model_choice.blockSignals(False)

    def say(self, text: str, tab: QWidget | None = None) -> None:
        """A message for one tab (the current one by default): each tab keeps its own, so the
        Duplicates or Map tab never shows the look-alikes' count."""
        tab = tab if tab is not None else self.tabs.currentWidget()
        self._notes[tab] = text
        if tab is self.tabs.currentWidget():
            self.note.setText(text)

    def _tab_changed(self, i: int) -> None:
        tab = self.tabs.widget(i)
        self.note.setText(self._notes.get(tab, ""))
        if tab is self.train_tab or tab is self.map_tab:  # a kept tab is built at the start, shown or not
            tab.build()

    # -- index ----------------------------------------------------------------------
    def _open_saved_index(self) -> None:
        from core.logos.index import LogoIndex, stale_model

        if (self.index_dir / "combined_featuremap.npy").exists():
            try:
                self.session.set_index(LogoIndex.load(self.index_dir))
            except (OSError, ValueError) as exc:
                self.say(f"The saved index could not be opened ({exc}); index the folder again.")
                return
            last = self.context.settings.raw("logos/last_query", "") if self.context.settings else ""
            last = last if last and Path(last).exists() and self.query_path is None else ""
            why = stale_model(self.index.meta)
            folder = self.index.meta.get("folder", "")
            if why and folder and Path(folder).is_dir():  # a new logo could not be compared with it
                self.say(f"The saved index is out of date ({why}): indexing {folder} again.")
                self.index_folder(folder, query=last or None)
                return
            if why:
                self.say(f"The saved index is out of date ({why}) and its folder {folder or '?'} is gone: "
                         "index a folder again to compare new logos with it.")
            if last:  # as the user left it
                self.set_query(last)

    def _index_changed(self, index) -> None:
        """An index's own model shows in the tool bar."""
        model = index.meta.get("model", {})
        i = self.model_choice.findData(model.get("checkpoint") or model.get("preset"))
        if i >= 0:
            self.model_choice.setCurrentIndex(i)

    def index_folder(self, folder: str | None, query: str | None = None):
        """Index a folder as a job; ``query``: a logo to look up once the index is ready."""
        if folder is None:
            folder = pick_folder(self, "logos", "Index a folder of logos", next_in_parent=True)
        if not folder:
            return None
        ctx, choice, out = self.context, self.model_choice.currentData(), self.index_dir

        def work(progress, cancelled):
            from core.logos.index import build_index
            from core.logos.service import load_encoder

            encoder = load_encoder(ctx.models, choice, progress, cancelled)
            index, errors = build_index(folder, encoder, ctx.cache, progress, cancelled)
            index.save(out)
            return index, errors

        def done(result):
            index, errors = result
            self.session.set_index(index)
            text = f"Indexed {len(index)} logos."
            if errors:
                text += f" Skipped {len(errors)}: " + "; ".join(f"{Path(p).name}: {m}" for p, m in errors[:4])
            self.say(text)
            if query:
                self.set_query(query)

        return ctx.jobs.submit(work, f"Logos: index {Path(folder).name}", Lane.MODEL, on_done=done,
                               on_error=self._failed, priority=Priority.BATCH)

    def index_with(self, checkpoint: str):
        """Index the indexed folder again with a trained run's model (Train › Index with this model)."""
        self._fill_models()
        self.model_choice.setCurrentIndex(self.model_choice.findData(checkpoint))
        return self.index_folder(self.index.meta.get("folder"))

    # -- query ----------------------------------------------------------------------
    def _pick_query(self) -> None:
        path = open_file(self, "logos", "Query logo", "Logos (*.png *.jpg *.jpeg *.webp *.svg)")
        if path:
            self.set_query(path)

    # -- lifecycle ---------------------------------------------------------------------------
    def _failed(self, job) -> None:
        self.say(f"{job.name} failed: {job.error}")

    def shutdown(self) -> None:
        self.loader.stop()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        QTimer.singleShot(0, self.lookalikes.update_hits)
