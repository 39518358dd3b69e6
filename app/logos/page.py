"""The Logos workspace: index a folder, look up a query logo, review duplicates, train SimCLR, see the map.

The index (a feature matrix + file list) is loaded from disk on the UI thread (a few MB);
a query that is in the index is answered at once, any other one is embedded on the model
worker; training runs in a child process (``core.process``) with live loss curves.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.filedialogs import open_file, pick_folder
from app.logos.duplicates import LogoDuplicates
from app.logos.map import LogoMap
from app.logos.training import LogoTraining
from app.logos.well import THUMB, QueryWell, logo_pixmap
from app.thumbs import ThumbnailLoader
from app.widgets import EmptyHint
from app.workspace import PageContext, WorkspacePage
from core.jobs import Lane
from core.logos.images import load_logo
from core.logos.index import PART_MARGIN
from core.paths import data_dir


class _Relay(QObject):
    epoch = Signal(object)


class LogosPage(LogoDuplicates, LogoTraining, LogoMap, WorkspacePage):
    title = "Logos"
    icon = "logos"
    summary = "Index a folder of logos, drop a query logo and see its look-alikes; find duplicates; train SimCLR."

    def __init__(self, context: PageContext, parent=None) -> None:
        super().__init__(context, parent)
        self.index = None  # core.logos.index.LogoIndex
        self.index_dir = data_dir() / "logos" / "index"
        self.query_path: str | None = None
        self.query_vector: np.ndarray | None = None
        self.query_part: np.ndarray | None = None  # the query's icon (a wordmark's), when it has one
        self.hits = []
        self.groups = []
        self._bits = None
        self.keep: dict[int, str] = {}
        self.train_job = None
        self.run_dir: Path | None = None
        self.history: list[dict] = []
        self.last_error: str | None = None
        self.relay = _Relay()
        self.relay.epoch.connect(self._epoch)
        self.loader = ThumbnailLoader(THUMB, parent=self, loader=load_logo, kind="logo")
        self.loader.ready.connect(self._thumb_ready)
        self._plots_built = False
        self._build()
        self._open_saved_index()

    # -- layout -----------------------------------------------------------------
    def _build(self) -> None:
        bar = QToolBar()
        bar.addAction("Index folder…", lambda: self.index_folder(None))
        bar.addAction("Pick query…", self._pick_query)
        paste = bar.addAction("Paste query", self.paste_query)
        paste.setShortcut(QKeySequence.StandardKey.Paste)
        paste.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(paste)
        bar.addSeparator()
        self.model_choice = QComboBox()
        self.model_choice.setToolTip("What embeds the logos: ImageNet features (offline), Swin-T, or a model "
                                     "you trained here")
        self.model_choice.setMinimumContentsLength(26)
        self._fill_models()
        bar.addWidget(QLabel("Model "))
        bar.addWidget(self.model_choice)
        self.k = QSpinBox()
        self.k.setRange(1, 200)
        self.k.setValue(12)
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(-1.0, 1.0)
        self.threshold.setSingleStep(0.05)
        self.threshold.setValue(0.0)
        self.threshold.setToolTip("Only look-alikes with at least this cosine score")
        for label, w in (("  top k ", self.k), ("  score ≥ ", self.threshold)):
            bar.addWidget(QLabel(label))
            bar.addWidget(w)
            w.valueChanged.connect(self.update_hits)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._search_tab(), "Look-alikes")
        self.tabs.addTab(self._dups_tab(), "Duplicates")
        self.train_tab = QWidget()
        self.tabs.addTab(self.train_tab, "Train")
        self.map_tab = QWidget()
        self.tabs.addTab(self.map_tab, "Map")
        self._notes: dict = {}  # tab → its last message
        self.tabs.currentChanged.connect(self._tab_changed)
        from app.widgets import JobStrip

        layout = QVBoxLayout(self)
        layout.addWidget(bar)
        self.job_strip = JobStrip(self.context.jobs, "Logos:")  # this page's running job, with Cancel
        layout.addWidget(self.job_strip)
        layout.addWidget(self.tabs, 1)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #5a6a7a")
        layout.addWidget(self.note)
        for name, w in (("model", self.model_choice), ("top k", self.k), ("score", self.threshold),
                        ("hash bits", self.dup_threshold), ("tab", self.tabs)):
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

    def _search_tab(self) -> QWidget:
        self.well = QueryWell()
        self.well.dropped.connect(self.set_query)
        self.results = QListWidget()
        self.results.setViewMode(QListView.ViewMode.IconMode)
        self.results.setIconSize(QSize(THUMB, THUMB))
        self.results.setGridSize(QSize(THUMB + 40, THUMB + 44))
        self.results.setResizeMode(QListView.ResizeMode.Adjust)
        self.results.setMovement(QListView.Movement.Static)
        self.results.setWordWrap(True)
        self.results.currentRowChanged.connect(self.compare)
        EmptyHint(self.results, lambda: (
            "Index a folder of logos (Index folder…), then drop, paste or pick a logo: its look-alikes appear here"
            if self.index is None else "Drop, paste (Ctrl+V) or pick a logo: its look-alikes appear here"
            if self.query_vector is None or not self.query_path else
            f"No look-alike scores {self.threshold.value():.2f} or more: lower 'score ≥'"))
        self.compare_left = QLabel()
        self.compare_right = QLabel()
        for w in (self.compare_left, self.compare_right):
            w.setFixedSize(220, 220)
            w.setAlignment(Qt.AlignmentFlag.AlignCenter)
            w.setStyleSheet("border: 1px solid #d5dbe1; background: white")
        self.compare_text = QLabel("Click a look-alike to compare it with the query")
        self.compare_text.setWordWrap(True)
        left = QVBoxLayout()
        left.addWidget(self.well)
        self.index_label = QLabel("No index yet: Index folder…")
        self.index_label.setWordWrap(True)
        self.index_label.setFixedWidth(200)
        left.addWidget(self.index_label)
        left.addStretch(1)
        compare = QGridLayout()
        compare.addWidget(QLabel("Query"), 0, 0)
        compare.addWidget(QLabel("Look-alike"), 0, 1)
        compare.addWidget(self.compare_left, 1, 0)
        compare.addWidget(self.compare_right, 1, 1)
        compare.addWidget(self.compare_text, 2, 0, 1, 2)
        right = QVBoxLayout()
        right.addWidget(self.results, 1)
        right.addLayout(compare)
        w = QWidget()
        h = QHBoxLayout(w)
        h.addLayout(left)
        h.addLayout(right, 1)
        return w

    def say(self, text: str, tab: QWidget | None = None) -> None:
        """A message for one tab (the current one by default): each tab keeps its own, so the
        Duplicates or Map tab never shows the look-alikes' count."""
        tab = tab if tab is not None else self.tabs.currentWidget()
        self._notes[tab] = text
        if tab is self.tabs.currentWidget():
            self.note.setText(text)

    def _tab_changed(self, i: int) -> None:
        self.note.setText(self._notes.get(self.tabs.widget(i), ""))
        if self.tabs.widget(i) is self.train_tab and not hasattr(self, "loss_plot"):
            self._build_train_tab()
        if self.tabs.widget(i) is self.map_tab:
            if not hasattr(self, "map_plot"):
                self._build_map_tab()
            self.update_map()

    # -- index ----------------------------------------------------------------------
    def _open_saved_index(self) -> None:
        from core.logos.index import LogoIndex, stale_model

        if (self.index_dir / "combined_featuremap.npy").exists():
            try:
                self._set_index(LogoIndex.load(self.index_dir))
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

    def _set_index(self, index) -> None:
        self.index = index
        self._update_run_actions()
        model = index.meta.get("model", {})
        folder = index.meta.get("folder", "?")
        shown = self.index_label.fontMetrics().elidedText(folder, Qt.TextElideMode.ElideMiddle, 190)
        self.index_label.setToolTip(folder)  # a long path does not wrap mid-word and cut off
        self.index_label.setText(f"Index: {len(index)} logos from\n{shown}\n"
                                 f"model: {model.get('preset', '?')}; {len(index.part_files)} wordmarks "
                                 f"searched by their icon too")
        i = self.model_choice.findData(model.get("checkpoint") or model.get("preset"))
        if i >= 0:
            self.model_choice.setCurrentIndex(i)
        self._map_xy = None
        self.update_hits()

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
            self._set_index(index)
            text = f"Indexed {len(index)} logos."
            if errors:
                text += f" Skipped {len(errors)}: " + "; ".join(f"{Path(p).name}: {m}" for p, m in errors[:4])
            self.say(text)
            if query:
                self.set_query(query)

        return ctx.jobs.submit(work, f"Logos: index {Path(folder).name}", Lane.MODEL, on_done=done,
                               on_error=self._failed)

    # -- query ----------------------------------------------------------------------
    def _pick_query(self) -> None:
        path = open_file(self, "logos", "Query logo", "Logos (*.png *.jpg *.jpeg *.webp *.svg)")
        if path:
            self.set_query(path)

    def paste_query(self):
        image = QGuiApplication.clipboard().image()
        if image.isNull():
            self.say("The clipboard holds no image.")
            return None
        path = data_dir() / "logos" / f"pasted-{int(time.time() * 1000)}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(str(path))
        return self.set_query(str(path))

    def set_query(self, path: str):
        self.query_path = path
        if self.context.settings is not None:
            self.context.settings.set_raw("logos/last_query", str(Path(path).resolve()))
        self.well.show_logo(path)
        self.tabs.setCurrentIndex(0)
        if self.index is None:
            self.say("Index a folder first (Index folder…).")
            return None
        vector = self.index.vector_of(str(Path(path)))
        if vector is not None:  # in the index: at once
            self.query_vector, self.query_part = vector, self.index.part_of(str(Path(path)))
            self.update_hits()
            return None
        model = self.index.meta.get("model", {})
        choice = model.get("checkpoint") or model.get("preset") or "effnet-lite0"
        ctx = self.context

        def work(progress, cancelled):
            from core.logos.index import embed_query
            from core.logos.service import load_encoder

            return embed_query(path, load_encoder(ctx.models, choice, progress, cancelled), part=True)

        def done(vectors):
            if path == self.query_path:
                self.query_vector, self.query_part = vectors
                self.update_hits()

        return ctx.jobs.submit(work, f"Logos: look up {Path(path).name}", Lane.MODEL, on_done=done,
                               on_error=self._failed)

    def update_hits(self) -> None:
        self.results.clear()
        self.hits = []
        self._clear_compare()
        if self.index is None or self.query_vector is None or not self.query_path:
            return
        self.hits = self.index.search(self.query_vector, self.k.value(), self.threshold.value(),
                                      exclude=str(Path(self.query_path)) if self.query_path else None,
                                      query_part=self.query_part)
        for h in self.hits:
            item = QListWidgetItem(f"{h.score:.3f}{' · icon' if h.via else ''}\n{Path(h.file).name}")
            item.setToolTip(f"{h.file}\nscore {h.score:.4f} (rank {h.rank})"
                            + (f"\nmatched by {h.via} (a part counts {PART_MARGIN} less)" if h.via else ""))
            item.setData(Qt.ItemDataRole.UserRole, h.file)
            pix = self.loader.pixmap(h.file)
            if pix is not None:
                item.setIcon(QIcon(pix))
            self.results.addItem(item)
        if self.hits:
            self.results.setCurrentRow(0)  # the compare pane shows this query beside its best look-alike
        self.say(f"{len(self.hits)} look-alikes" + (f" with score ≥ {self.threshold.value():.2f}"
                                                    if self.threshold.value() > -1 else ""), self.tabs.widget(0))
        if hasattr(self, "map_plot") and self.tabs.currentWidget() is self.map_tab:
            self.update_map()

    def _thumb_ready(self, path: str) -> None:
        for i in range(self.results.count()):
            item = self.results.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == path:
                item.setIcon(QIcon(self.loader.pixmap(path)))
        for item in self._dup_items.get(path, []) if hasattr(self, "_dup_items") else []:
            item.setIcon(0, QIcon(self.loader.pixmap(path)))

    def _clear_compare(self) -> None:
        self.compare_left.clear()
        self.compare_right.clear()
        self.compare_text.setText("Click a look-alike to compare it with the query")

    def compare(self, row: int) -> None:
        if row < 0 or row >= len(self.hits) or not self.query_path:
            return
        hit = self.hits[row]
        self.compare_left.setPixmap(logo_pixmap(self.query_path, 210))
        self.compare_right.setPixmap(logo_pixmap(hit.file, 210))
        self.compare_text.setText(f"{Path(self.query_path).name}  ↔  {Path(hit.file).name}: score {hit.score:.3f}, "
                                  f"rank {hit.rank}" + (f", matched by {hit.via}" if hit.via else ""))

    # -- lifecycle ---------------------------------------------------------------------------
    def _failed(self, job) -> None:
        self.last_error = job.error
        self._set_training(False)
        self.say(f"{job.name} failed: {job.error}")

    def shutdown(self) -> None:
        self.loader.stop()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        QTimer.singleShot(0, self.update_hits)
