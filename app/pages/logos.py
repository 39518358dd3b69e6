"""The Logos workspace: index a folder, look up a query logo, review duplicates, train SimCLR, see the map.

The index (a feature matrix + file list) is loaded from disk on the UI thread (a few MB);
a query that is in the index is answered at once, any other one is embedded on the model
worker; training runs in a child process (``core.process``) with live loss curves.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QImage, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QToolBar,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.pages.base import PageContext, WorkspacePage
from app.thumbs import ThumbnailLoader
from core.jobs import Lane
from core.logos.images import is_logo_path, load_logo
from core.paths import data_dir

THUMB = 96


def logo_pixmap(path: str, size: int) -> QPixmap:
    """A logo drawn now (for one or two images: the query and the comparison)."""
    from core.images import ImageError

    try:
        im = load_logo(path, size)
    except ImageError:
        pix = QPixmap(size, size)
        pix.fill(QColor("#e3e6ea"))
        return pix
    data = im.tobytes("raw", "RGB")
    return QPixmap.fromImage(QImage(data, im.width, im.height, im.width * 3, QImage.Format.Format_RGB888).copy())


class QueryWell(QLabel):
    """Drop a logo here (or paste one, or pick a file)."""

    dropped = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setFixedSize(200, 200)
        self.setObjectName("queryWell")
        self.setStyleSheet("#queryWell { border: 2px dashed #9aa8b5; border-radius: 6px; color: #5a6a7a; }")
        self.setText("Drop a logo here\n(or paste: Ctrl+V)")

    def show_logo(self, path: str) -> None:
        self.setPixmap(logo_pixmap(path, 180))
        self.setToolTip(path)

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile() and is_logo_path(urls[0].toLocalFile()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        self.dropped.emit(event.mimeData().urls()[0].toLocalFile())
        event.acceptProposedAction()


class _Relay(QObject):
    epoch = Signal(object)


class LogosPage(WorkspacePage):
    title = "Logos"
    icon = "logos"
    summary = "Index a folder of logos, drop a query logo and see its look-alikes; find duplicates; train SimCLR."

    def __init__(self, context: PageContext, parent=None) -> None:
        super().__init__(context, parent)
        self.index = None  # core.logos.index.LogoIndex
        self.index_dir = data_dir() / "logos" / "index"
        self.query_path: str | None = None
        self.query_vector: np.ndarray | None = None
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

    def _fill_models(self) -> None:
        from core.logos.service import list_runs, runs_dir
        from core.models.registry import get_preset

        current = self.model_choice.currentData()
        self.model_choice.blockSignals(True)
        self.model_choice.clear()
        for name in ("effnet-lite0", "swin-t"):
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

    def _dups_tab(self) -> QWidget:
        self.dup_threshold = QSpinBox()
        self.dup_threshold.setRange(0, 32)
        self.dup_threshold.setValue(4)
        self.dup_threshold.setToolTip("Perceptual-hash bits (of 64) that may differ")
        self.dup_threshold.valueChanged.connect(self._regroup_duplicates)
        find = QPushButton("Find duplicates")
        find.clicked.connect(self.find_duplicates)
        self.dup_tree = QTreeWidget()
        self.dup_tree.setHeaderLabels(["File", "Hash distance", "Keep"])
        self.dup_tree.setIconSize(QSize(48, 48))
        self.dup_tree.setColumnWidth(0, 520)
        self.dup_tree.itemChanged.connect(self._keep_changed)
        self.dup_label = QLabel("Duplicates are the same picture (perceptual hash, or an embedding cosine ≥ 0.985); "
                                "look-alikes are the similar ones (top-k). Tick the one to keep in each group.")
        self.dup_label.setWordWrap(True)
        w = QWidget()
        v = QVBoxLayout(w)
        row = QHBoxLayout()
        row.addWidget(find)
        row.addWidget(QLabel("distance ≤"))
        row.addWidget(self.dup_threshold)
        row.addStretch(1)
        v.addLayout(row)
        v.addWidget(self.dup_label)
        v.addWidget(self.dup_tree, 1)
        return w

    def _build_train_tab(self) -> None:
        import pyqtgraph as pg

        from core.logos.service import TrainSettings

        d = TrainSettings()
        self.epochs = self._ispin(1, 500, 10)
        self.batch = self._ispin(4, 512, d.batch_size)
        self.image_size = self._ispin(32, 512, d.image_size)
        self.temperature = self._dspin(0.01, 2.0, d.temperature, 0.05)
        self.rw_threshold = self._dspin(0.0, 1.01, d.threshold, 0.01)
        self.neg_weight = self._dspin(0.0, 1.0, d.negative_weight, 0.05)
        self.lr = self._dspin(1e-6, 1e-1, d.lr, 1e-4, decimals=6)
        self.backbone = QComboBox()
        self.backbone.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)  # never cut
        self.backbone.addItem("EfficientNet-Lite0 (offline)", "effnet-lite0")
        self.backbone.addItem("Swin-T (import its weights)", "swin-t")
        self.backbone.setItemData(0, "ImageNet weights that ship with the app", Qt.ItemDataRole.ToolTipRole)
        self.backbone.setItemData(1, "Needs its weights: Tools → Models", Qt.ItemDataRole.ToolTipRole)
        form = QFormLayout()
        for label, w in (("Backbone", self.backbone), ("Epochs", self.epochs), ("Batch size", self.batch),
                         ("Image size", self.image_size), ("Temperature", self.temperature),
                         ("Re-weight negatives above (cosine)", self.rw_threshold),
                         ("… with weight", self.neg_weight), ("Learning rate", self.lr)):
            form.addRow(label, w)
        self.train_button = QPushButton("Train")
        self.train_button.clicked.connect(lambda: self.start_training())
        self.pause_button = QPushButton("Pause")
        self.pause_button.setToolTip("Stop after this epoch; Resume continues from its checkpoint")
        self.pause_button.clicked.connect(self.pause_training)
        self.resume_button = QPushButton("Resume")
        self.resume_button.clicked.connect(lambda: self.start_training(resume=True))
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_training)
        buttons = QHBoxLayout()
        for b in (self.train_button, self.pause_button, self.resume_button, self.cancel_button):
            buttons.addWidget(b)
        self.runs = QListWidget()
        self.runs.currentRowChanged.connect(self._show_run)
        self.use_run = QPushButton("Index with this model")
        self.use_run.clicked.connect(self._use_selected_run)
        pg.setConfigOptions(antialias=True, background="w", foreground="#24323f")
        from app.widgets import corner_legend, integer_axis

        self.loss_plot = pg.PlotWidget(title="NT-Xent loss", axisItems={"bottom": integer_axis()})
        corner_legend(self.loss_plot)
        self.loss_plot.setLabel("bottom", "epoch")
        self.loss_plot.setLabel("left", "loss")
        self.loss_plot.getAxis("left").setWidth(48)
        self.train_curve = self.loss_plot.plot(pen=pg.mkPen("#2471a3", width=2), symbol="o", symbolSize=5,
                                               name="train")
        self.val_curve = self.loss_plot.plot(pen=pg.mkPen("#e67e22", width=2), symbol="o", symbolSize=5,
                                             name="validation")
        left = QVBoxLayout()
        left.addLayout(form)
        left.addLayout(buttons)
        left.addWidget(QLabel("Runs (kept in the data dir: params.json, losses.csv, checkpoint.pt)"))
        left.addWidget(self.runs, 1)
        left.addWidget(self.use_run)
        h = QHBoxLayout(self.train_tab)
        lw = QWidget()
        lw.setLayout(left)
        lw.setFixedWidth(400)  # the form, the four buttons and the backbone names fit
        h.addWidget(lw)
        h.addWidget(self.loss_plot, 1)
        self._set_training(False)
        self._fill_runs()

    def _build_map_tab(self) -> None:
        import pyqtgraph as pg

        pg.setConfigOptions(antialias=True, background="w", foreground="#24323f")
        from app.widgets import corner_legend

        self.map_plot = pg.PlotWidget(title="Embedding map (PCA of the index)")
        self.map_plot.getAxis("left").setWidth(48)
        self.map_plot.setLabel("bottom", "principal component 1")
        self.map_plot.setLabel("left", "principal component 2")
        for axis in ("left", "bottom"):
            self.map_plot.getAxis(axis).enableAutoSIPrefix(False)
        corner_legend(self.map_plot)
        self.scatter = pg.ScatterPlotItem(size=7, pen=None, brush=pg.mkBrush(36, 113, 163, 150), hoverable=True,
                                          hoverSize=12, tip=None, name="indexed logo")
        self.map_plot.addItem(self.scatter)
        self.query_marker = pg.ScatterPlotItem(size=20, symbol="star", brush=pg.mkBrush("#e74c3c"), pen="k",
                                               name="query")
        self.map_plot.addItem(self.query_marker)
        # (both are named: PlotItem.addItem put them in the legend)
        # the hovered logo's thumbnail beside the point, inside the plot
        self.map_thumb = pg.ImageItem()
        self.map_thumb.setZValue(20)
        self.map_thumb.hide()
        self.map_plot.addItem(self.map_thumb, ignoreBounds=True)  # never rescales the view
        self.scatter.sigHovered.connect(self._map_hover)
        self.map_preview = QLabel("Hover a point to see its logo")
        self.map_preview.setFixedSize(200, 230)
        self.map_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.map_preview.setWordWrap(True)
        h = QHBoxLayout(self.map_tab)
        h.addWidget(self.map_plot, 1)
        h.addWidget(self.map_preview)
        self._map_xy = None

    @staticmethod
    def _ispin(lo, hi, value) -> QSpinBox:
        s = QSpinBox()
        s.setRange(lo, hi)
        s.setValue(value)
        return s

    @staticmethod
    def _dspin(lo, hi, value, step, decimals=3) -> QDoubleSpinBox:
        s = QDoubleSpinBox()
        s.setDecimals(decimals)  # before the value, or Qt rounds it
        s.setRange(lo, hi)
        s.setSingleStep(step)
        s.setValue(value)
        return s

    def _tab_changed(self, i: int) -> None:
        if self.tabs.widget(i) is self.train_tab and not hasattr(self, "loss_plot"):
            self._build_train_tab()
        if self.tabs.widget(i) is self.map_tab:
            if not hasattr(self, "map_plot"):
                self._build_map_tab()
            self.update_map()

    # -- index ----------------------------------------------------------------------
    def _open_saved_index(self) -> None:
        from core.logos.index import LogoIndex

        if (self.index_dir / "combined_featuremap.npy").exists():
            try:
                self._set_index(LogoIndex.load(self.index_dir))
            except (OSError, ValueError) as exc:
                self.note.setText(f"The saved index could not be opened ({exc}); index the folder again.")
                return
            last = self.context.settings.raw("logos/last_query", "") if self.context.settings else ""
            if last and Path(last).exists() and self.query_path is None:  # as the user left it
                self.set_query(last)

    def _set_index(self, index) -> None:
        self.index = index
        self._update_run_actions()
        model = index.meta.get("model", {})
        self.index_label.setText(f"Index: {len(index)} logos from {index.meta.get('folder', '?')}\n"
                                 f"model: {model.get('preset', '?')}")
        i = self.model_choice.findData(model.get("checkpoint") or model.get("preset"))
        if i >= 0:
            self.model_choice.setCurrentIndex(i)
        self._map_xy = None
        self.update_hits()

    def index_folder(self, folder: str | None, query: str | None = None):
        """Index a folder as a job; ``query``: a logo to look up once the index is ready."""
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self, "Index a folder of logos")
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
            self.note.setText(text)
            if query:
                self.set_query(query)

        return ctx.jobs.submit(work, f"Logos: index {Path(folder).name}", Lane.MODEL, on_done=done,
                               on_error=self._failed)

    # -- query ----------------------------------------------------------------------
    def _pick_query(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Query logo", "", "Logos (*.png *.jpg *.jpeg *.webp *.svg)")
        if path:
            self.set_query(path)

    def paste_query(self):
        image = QGuiApplication.clipboard().image()
        if image.isNull():
            self.note.setText("The clipboard holds no image.")
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
            self.note.setText("Index a folder first (Index folder…).")
            return None
        vector = self.index.vector_of(str(Path(path)))
        if vector is not None:  # in the index: at once
            self.query_vector = vector
            self.update_hits()
            return None
        model = self.index.meta.get("model", {})
        choice = model.get("checkpoint") or model.get("preset") or "effnet-lite0"
        ctx = self.context

        def work(progress, cancelled):
            from core.logos.index import embed_query
            from core.logos.service import load_encoder

            return embed_query(path, load_encoder(ctx.models, choice, progress, cancelled))

        def done(vector):
            if path == self.query_path:
                self.query_vector = vector
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
                                      exclude=str(Path(self.query_path)) if self.query_path else None)
        for h in self.hits:
            item = QListWidgetItem(f"{h.score:.3f}\n{Path(h.file).name}")
            item.setToolTip(f"{h.file}\ncosine {h.score:.4f} (rank {h.rank})")
            item.setData(Qt.ItemDataRole.UserRole, h.file)
            pix = self.loader.pixmap(h.file)
            if pix is not None:
                item.setIcon(QIcon(pix))
            self.results.addItem(item)
        if self.hits:
            self.results.setCurrentRow(0)  # the compare pane shows this query beside its best look-alike
        self.note.setText(f"{len(self.hits)} look-alikes" + (f" with score ≥ {self.threshold.value():.2f}"
                                                             if self.threshold.value() > -1 else ""))
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
        self.compare_text.setText(f"{Path(self.query_path).name}  ↔  {Path(hit.file).name}: cosine {hit.score:.3f}, "
                                  f"rank {hit.rank}")

    # -- duplicates -------------------------------------------------------------------
    def find_duplicates(self):
        if self.index is None:
            self.note.setText("Index a folder first.")
            return None
        files, cache = list(self.index.files), self.context.cache

        def work(progress, cancelled):
            from core.logos.dedup import phashes

            return phashes(files, cache, progress, cancelled)

        def done(result):
            self._bits = result
            self._regroup_duplicates()

        return self.context.jobs.submit(work, "Logos: perceptual hashes", Lane.IO, on_done=done,
                                        on_error=self._failed)

    def _regroup_duplicates(self) -> None:
        if self._bits is None:
            return
        from core.logos.dedup import duplicate_groups

        bits, ok, errors = self._bits
        rows = {f: i for i, f in enumerate(self.index.files)}
        vectors = self.index.vectors[[rows[f] for f in ok]] if all(f in rows for f in ok) else None
        # the same picture: hash distance within the threshold, or an almost identical embedding
        self.groups = duplicate_groups(bits, ok, self.dup_threshold.value(), vectors=vectors)
        self.dup_tree.blockSignals(True)
        self.dup_tree.clear()
        self._dup_items: dict[str, list] = {}
        for g_i, g in enumerate(self.groups):
            keep = self.keep.get(g_i, g.keep) if self.keep.get(g_i) in g.files else g.keep
            top = QTreeWidgetItem([f"Group {g_i + 1}: {len(g.files)} files", "", ""])
            for f, d in zip(g.files, g.distances, strict=True):
                child = QTreeWidgetItem([f"{Path(f).name}    ({Path(f).parent})", str(d), ""])
                child.setToolTip(0, f)
                child.setData(0, Qt.ItemDataRole.UserRole + 1, f)
                child.setCheckState(2, Qt.CheckState.Checked if f == keep else Qt.CheckState.Unchecked)
                child.setData(0, Qt.ItemDataRole.UserRole, g_i)
                pix = self.loader.pixmap(f)
                if pix is not None:
                    child.setIcon(0, QIcon(pix))
                self._dup_items.setdefault(f, []).append(child)
                top.addChild(child)
            self.dup_tree.addTopLevelItem(top)
            top.setExpanded(g_i < 20)
        self.dup_tree.blockSignals(False)
        n_dup = sum(len(g.files) - 1 for g in self.groups)
        self.dup_label.setText(f"{len(self.groups)} groups, {n_dup} duplicates among {len(ok)} logos "
                               f"(hash distance ≤ {self.dup_threshold.value()} of 64 bits)"
                               + (f"; {len(errors)} could not be hashed" if errors else "")
                               + ". Tick the one to keep in each group; the choice is saved with the index.")

    def _keep_changed(self, item, column: int) -> None:
        if column != 2 or item.checkState(2) != Qt.CheckState.Checked:
            return
        g_i = item.data(0, Qt.ItemDataRole.UserRole)
        self.keep[g_i] = item.data(0, Qt.ItemDataRole.UserRole + 1)
        self.dup_tree.blockSignals(True)
        parent = item.parent()
        for i in range(parent.childCount()):
            other = parent.child(i)
            if other is not item:
                other.setCheckState(2, Qt.CheckState.Unchecked)
        self.dup_tree.blockSignals(False)
        choices = {"threshold": self.dup_threshold.value(),
                   "groups": [{"keep": self.keep.get(i, g.keep), "files": g.files} for i, g in enumerate(self.groups)]}
        from core.fileio import atomic_write_text

        atomic_write_text(self.index_dir / "duplicates.json", json.dumps(choices, ensure_ascii=False, indent=1))

    # -- training ---------------------------------------------------------------------
    def settings(self):
        from core.logos.service import TrainSettings

        return TrainSettings(epochs=self.epochs.value(), batch_size=self.batch.value(),
                             image_size=self.image_size.value(), temperature=self.temperature.value(),
                             threshold=self.rw_threshold.value(), negative_weight=self.neg_weight.value(),
                             lr=self.lr.value(), backbone=self.backbone.currentData(),
                             device=self.context.models.device.torch_device)

    def start_training(self, resume: bool = False):
        if not hasattr(self, "loss_plot"):
            self._build_train_tab()
        if self.index is None:
            self.note.setText("Index a folder first: training uses its logos.")
            return None
        from core.logos.service import runs_dir

        files = list(self.index.files)
        resume_from = None
        if resume:
            run = self._selected_run()
            if run is None or not run["checkpoint"]:
                self.note.setText("Select a run with a checkpoint to resume.")
                return None
            self.run_dir = Path(run["dir"])
            resume_from = run["checkpoint"]
            settings = self.settings().__class__(**run["params"])
            self.history = list(run["history"])
        else:
            settings = self.settings()
            self.run_dir = runs_dir() / time.strftime("%Y%m%d-%H%M%S")
            self.history = []
        groups = ([[files.index(f) for f in g.files if f in files] for g in self.groups] if self.groups else [])
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "pause.request").unlink(missing_ok=True)
        run_dir, tiny = str(self.run_dir), self.context.models.tiny
        self._redraw_losses()

        def work(progress, cancelled):
            from core.logos.simclr import train_in_child
            from core.process import run_in_process

            return run_in_process(train_in_child, (files, settings, run_dir, groups, resume_from, tiny),
                                  progress=progress, cancelled=cancelled,
                                  on_message=lambda kind, e: self.relay.epoch.emit(e))

        self.train_job = self.context.jobs.submit(work, f"Logos: train SimCLR ({settings.backbone})", Lane.MODEL,
                                                  on_done=self._trained, on_error=self._failed,
                                                  on_cancelled=lambda job: self._set_training(False))
        self._set_training(True)
        return self.train_job

    def pause_training(self) -> None:
        if self.run_dir is not None and self.train_job is not None and not self.train_job.state.done:
            (self.run_dir / "pause.request").touch()
            self.note.setText("Pausing after this epoch…")

    def cancel_training(self) -> None:
        if self.train_job is not None:
            self.context.jobs.cancel(self.train_job.id)

    def _epoch(self, e: dict) -> None:
        self.history.append(e)
        self._redraw_losses()

    def _redraw_losses(self) -> None:
        if not hasattr(self, "loss_plot"):
            return
        ep = [h["epoch"] for h in self.history]
        self.train_curve.setData(ep, [h["train_loss"] for h in self.history])
        val = [(h["epoch"], h["val_loss"]) for h in self.history if np.isfinite(h["val_loss"])]
        self.val_curve.setData([v[0] for v in val], [v[1] for v in val])

    def _trained(self, result: dict) -> None:
        self._set_training(False)
        state = "finished" if result["finished"] else "paused (Resume continues)"
        self.note.setText(f"Training {state}: {len(result['history'])} epochs, checkpoint {result['checkpoint']}")
        self._fill_runs()
        self._fill_models()

    def _set_training(self, busy: bool) -> None:
        if not hasattr(self, "train_button"):
            return
        self._busy = busy
        self.train_button.setEnabled(not busy)
        self.pause_button.setEnabled(busy)
        self.cancel_button.setEnabled(busy)
        self._update_run_actions()

    def _update_run_actions(self) -> None:
        """Resume and "Index with this model" only when they can act, and say why not."""
        if not hasattr(self, "resume_button"):
            return
        run = self._selected_run()
        busy = getattr(self, "_busy", False)
        finished = run is not None and len(run["history"]) >= run["params"].get("epochs", 0)
        can_resume = not busy and run is not None and bool(run["checkpoint"]) and not finished
        self.resume_button.setEnabled(can_resume)
        self.resume_button.setToolTip("Continue the selected run from its checkpoint" if can_resume else
                                      "Training is running" if busy else
                                      "Select a paused run in the list below" if run is None or finished else
                                      "This run has no checkpoint yet")
        can_use = not busy and run is not None and bool(run["checkpoint"]) and self.index is not None
        self.use_run.setEnabled(can_use)
        self.use_run.setToolTip("Re-index the folder with this run's trained backbone" if can_use else
                                "Index a folder first" if self.index is None else
                                "Select a run with a checkpoint" if run is None or not run["checkpoint"] else
                                "Training is running")

    def _fill_runs(self) -> None:
        from core.logos.service import list_runs, runs_dir

        self._runs = list_runs(runs_dir())
        self.runs.clear()
        for r in self._runs:
            last = r["history"][-1] if r["history"] else None
            text = (f"{Path(r['dir']).name}: {r['params']['backbone']}, {len(r['history'])}/{r['params']['epochs']} "
                    f"epochs" + (f", loss {last['train_loss']:.3f}" if last else ""))
            self.runs.addItem(text)
        self._update_run_actions()

    def _selected_run(self):
        row = self.runs.currentRow() if hasattr(self, "runs") else -1
        return self._runs[row] if 0 <= row < len(getattr(self, "_runs", [])) else None

    def _show_run(self, row: int) -> None:
        self._update_run_actions()
        run = self._selected_run()
        if run is not None and (self.train_job is None or self.train_job.state.done):
            self.history = list(run["history"])
            self._redraw_losses()

    def _use_selected_run(self):
        run = self._selected_run()
        if run is None or not run["checkpoint"] or self.index is None:
            self.note.setText("Select a run with a checkpoint (and index a folder first).")
            return None
        self._fill_models()
        self.model_choice.setCurrentIndex(self.model_choice.findData(run["checkpoint"]))
        return self.index_folder(self.index.meta.get("folder"))

    # -- map ----------------------------------------------------------------------------
    def update_map(self) -> None:
        if self.index is None or not hasattr(self, "map_plot"):
            return
        if self._map_xy is None:
            x = self.index.vectors - self.index.vectors.mean(0)
            _, _, vt = np.linalg.svd(x[:: max(1, len(x) // 2000)], full_matrices=False)
            self._pcs = vt[:2]
            self._map_mean = self.index.vectors.mean(0)
            self._map_xy = x @ self._pcs.T
            self.scatter.setData(pos=self._map_xy, data=list(range(len(self._map_xy))))
        if self.query_vector is not None:
            q = (self.query_vector - self._map_mean) @ self._pcs.T
            self.query_marker.setData(pos=[q])
        else:
            self.query_marker.setData(pos=[])

    def _map_hover(self, item, points, ev) -> None:
        if len(points) == 0:
            return
        i = points[0].data()
        path = self.index.files[i]
        self.map_preview.setPixmap(logo_pixmap(path, 180))
        self.map_preview.setToolTip(path)
        self._thumb_beside(i, path)

    def _thumb_beside(self, i: int, path: str) -> None:
        """A small picture of the hovered logo next to its point (a tenth of the view wide)."""
        from core.images import ImageError
        from core.logos.images import load_logo

        try:
            im = np.asarray(load_logo(path, 64))
        except ImageError:
            self.map_thumb.hide()
            return
        (x0, x1), (y0, y1) = self.map_plot.viewRange()
        w, h = (x1 - x0) / 10, (y1 - y0) / 10
        x, y = self._map_xy[i]
        self.map_thumb.setImage(np.ascontiguousarray(im.transpose(1, 0, 2)[:, ::-1]))
        self.map_thumb.setRect(x + w * 0.15, y + h * 0.15, w, h)
        self.map_thumb.show()

    # -- lifecycle ---------------------------------------------------------------------------
    def _failed(self, job) -> None:
        self.last_error = job.error
        self._set_training(False)
        self.note.setText(f"{job.name} failed: {job.error}")

    def shutdown(self) -> None:
        self.loader.stop()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        QTimer.singleShot(0, self.update_hits)
