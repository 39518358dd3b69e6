"""The Albums workspace: photo folders grouped into named events.

Reads and the user's edits go straight to the album store on the UI thread
(small SQLite writes); indexing, captioning and re-clustering run as jobs on
the model worker, through one ``core.albums.pipeline.Album`` that lives there.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QColor, QIcon, QKeySequence, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QSlider,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QStyle,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.pages.base import PageContext, WorkspacePage
from app.thumbs import ThumbnailLoader
from core.albums.cluster import ClusterSettings
from core.albums.events import PrototypeSettings
from core.albums.store import AlbumStore, Photo
from core.images import is_image_path
from core.jobs import Lane
from core.paths import resource

MIME = "application/x-simscope-photo-ids"
DEMO_NOTE = ("<b>Demo album</b>: 15 real photos (CC BY-SA 4.0): a walk in Arezzo with capture times and GPS, "
             "two pairs of shots taken minutes apart and two single photos. Time and place cut them into three "
             "events; the singles stay in <i>Unsorted</i>. It shows the time-and-place grouping, not a whole "
             "collection: add your own folder for that.")
THUMB = 150
UNSORTED, UNSURE, ERRORS = "unsorted", "unsure", "errors"


def _photos(n: int) -> str:
    return f"{n} photo" if n == 1 else f"{n} photos"


class PhotoGridModel(QAbstractListModel):
    """The photos of one group; thumbnails come from the loader as they are ready."""

    def __init__(self, loader: ThumbnailLoader, parent=None) -> None:
        super().__init__(parent)
        self.loader = loader
        self.photos: list[Photo] = []
        self._rows: dict[str, int] = {}
        self._placeholder = QPixmap(THUMB, THUMB)
        self._placeholder.fill(QColor("#eef1f4"))
        self._marks = {kind: QIcon(str(resource("icons", f"{kind}.svg"))) for kind in ("pin", "unsure")}
        self._marked: dict[tuple[int, str], QPixmap] = {}  # (pixmap cache key, mark) → thumbnail + mark
        loader.ready.connect(self._thumb_ready)

    def _with_mark(self, pix: QPixmap, kind: str) -> QPixmap:
        """The thumbnail with a small icon in its top-right corner (placed by you / unsure)."""
        key = (pix.cacheKey(), kind)
        out = self._marked.get(key)
        if out is None:
            if len(self._marked) > 2000:
                self._marked.clear()
            out = QPixmap(pix)
            painter = QPainter(out)
            side = max(16, out.width() // 6)
            self._marks[kind].paint(painter, QRect(out.width() - side - 4, 4, side, side))
            painter.end()
            self._marked[key] = out
        return out

    def set_photos(self, photos: list[Photo]) -> None:
        self.beginResetModel()
        self.photos = photos
        self._rows = {p.path: i for i, p in enumerate(photos)}
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self.photos)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        p = self.photos[index.row()]
        if role == Qt.ItemDataRole.DecorationRole:
            pix = self.loader.pixmap(p.path) or self._placeholder
            kind = "pin" if p.pinned else "unsure" if p.unsure else None
            return self._with_mark(pix, kind) if kind else pix
        if role == Qt.ItemDataRole.DisplayRole:
            return Path(p.path).name
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [p.path]
            if p.error:
                lines.append(f"Could not be read: {p.error}")
            if p.caption:
                lines.append(f"Caption: {p.caption}")
            if p.tags:
                lines.append("Tags (ImageNet labels): " + ", ".join(p.tags))
            if p.note:
                lines.append(f"Note: {p.note}")
            if p.pinned:
                lines.append("Placed by you: re-clustering leaves it here")
            if p.unsure:
                lines.append("Unsure: no example event is clearly nearest")
            return "\n".join(lines)
        if role == Qt.ItemDataRole.UserRole:
            return p
        return None

    def flags(self, index):
        return super().flags(index) | Qt.ItemFlag.ItemIsDragEnabled

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [MIME]

    def mimeData(self, indexes) -> QMimeData:  # noqa: N802
        mime = QMimeData()
        mime.setData(MIME, json.dumps([self.photos[i.row()].id for i in indexes]).encode())
        return mime

    def _thumb_ready(self, path: str) -> None:
        row = self._rows.get(path)
        if row is not None:
            idx = self.index(row)
            self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])


class EventList(QListWidget):
    """Events (and Unsorted / Unsure / Could not read); photos dropped on one move there."""

    photos_dropped = Signal(list, object)  # photo ids, target key (event id or UNSORTED)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setIconSize(QSize(56, 56))
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSpacing(2)
        # long names end in "…" (the full name is the tooltip), never a sideways scrollbar
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setWordWrap(False)

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasFormat(MIME):
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        item = self.itemAt(event.position().toPoint())
        ok = item is not None and item.data(Qt.ItemDataRole.UserRole) not in (UNSURE, ERRORS)
        event.setAccepted(ok and event.mimeData().hasFormat(MIME))

    def dropEvent(self, event) -> None:  # noqa: N802
        item = self.itemAt(event.position().toPoint())
        if item is None or not event.mimeData().hasFormat(MIME):
            return
        ids = json.loads(bytes(event.mimeData().data(MIME)).decode())
        self.photos_dropped.emit(ids, item.data(Qt.ItemDataRole.UserRole))
        event.acceptProposedAction()


class FoldersDialog(QDialog):
    """The album's folders (and single photos added on their own), with Remove."""

    remove_requested = Signal(str)

    def __init__(self, folders: list[str], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Album folders")
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        info = QLabel("Photos are read from these folders and their sub-folders. Removing one takes its "
                      "photos out of the album (with their notes and places in events); the files stay on disk.")
        info.setWordWrap(True)
        self.remove_button = QPushButton("Remove folder")
        self.remove_button.clicked.connect(self._remove)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(info)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.resize(560, 320)
        self.set_folders(folders)

    def set_folders(self, folders: list[str]) -> None:
        self.list.clear()
        self.list.addItems(folders)
        if folders:
            self.list.setCurrentRow(0)
        self.remove_button.setEnabled(bool(folders))

    def _remove(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.remove_requested.emit(item.text())


class AlbumsPage(WorkspacePage):
    title = "Albums"
    icon = "albums"
    summary = ("Drop photo folders here and Simscope groups them into events, each with a name, "
               "a caption and representative photos.")

    def __init__(self, context: PageContext, parent=None) -> None:
        super().__init__(context, parent)
        self.store = AlbumStore()
        self._worker_state: dict = {"album": None}  # core.albums.pipeline.Album: model worker only
        self.loader = ThumbnailLoader(THUMB, parent=self)
        self.last_report = None
        self.last_error: str | None = None
        self._pending_regroup = None
        self._reps_waiting = False
        self._shown = False
        self._current: object = None
        from PySide6.QtGui import QUndoStack

        self.undo_stack = QUndoStack(self)  # Edit → Undo / Redo (the window's QUndoGroup)
        self._arriving: set[int] = set()  # ids of add jobs still running
        context.jobs.job_finished.connect(lambda job: self._arriving.discard(job.id))
        self.setAcceptDrops(True)
        self._build()
        self._restore_tuning()
        self.reload()

    # -- layout -----------------------------------------------------------------
    def _build(self) -> None:
        bar = QToolBar()
        self.add_action = QAction("Add folder…", self)
        self.add_action.triggered.connect(lambda: self.add_paths(None))
        self.regroup_action = QAction("Re-cluster", self)
        self.regroup_action.setToolTip("Group again (your renames, moves and examples are kept)")
        self.regroup_action.triggered.connect(self.regroup)
        self.export_action = QAction("Export…", self)
        self.export_action.triggered.connect(lambda: self.export(None))
        self.vocab_action = QAction("Event names…", self)
        self.vocab_action.setToolTip("The vocabulary CLIP names events from")
        self.vocab_action.triggered.connect(self.edit_vocabulary)
        self.folders_action = QAction("Folders…", self)
        self.folders_action.setToolTip("The folders this album watches; remove one to take its photos out")
        self.folders_action.triggered.connect(self.manage_folders)
        for a in (self.add_action, self.folders_action, self.regroup_action, self.export_action, self.vocab_action):
            bar.addAction(a)
        self.model_choice = QComboBox()
        from core.albums.pipeline import IMAGE_PRESETS
        from core.models.registry import get_preset

        for name in IMAGE_PRESETS:
            self.model_choice.addItem(get_preset(name).title, name)
        self.model_choice.setToolTip("The image model; CLIP also names events. Get weights in Tools → Models")
        self.model_choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_choice.setMinimumContentsLength(28)  # the toolbar fits a 1,180 px window
        self.model_choice.currentIndexChanged.connect(self._model_changed)
        bar.addSeparator()
        bar.addWidget(self.model_choice)

        # live tuning
        self.min_size = QSpinBox()
        self.min_size.setRange(0, 500)
        self.min_size.setSpecialValueText("auto")
        self.min_size.setToolTip("Smallest event; auto = 2% of the photos, at least 8 (a fifth of a small album)")
        self.time_slider = self._slider(0, "How much gaps in capture time separate events (EXIF dates)")
        self.image_slider = self._slider(100, "Image vs caption/note: 100 = images only")
        self.loose_slider = self._slider(0, "Photos the clusterer left out join the event most of their neighbours "
                                            "are in when they lie within its extent (left: no further out than its "
                                            "members; right: up to 3× as far). Left keeps stray photos in Unsorted.")
        self.metric = QComboBox()
        self.metric.addItem("cosine", "cosine")
        self.metric.addItem("Euclidean", "euclidean")
        self.metric.setToolTip("How photos are compared to the examples of an event defined by example "
                               "(Euclidean: in the clustering space, capture time included)")
        self.closeness = QDoubleSpinBox()
        self.closeness.setRange(0.0, 1.0)
        self.closeness.setSingleStep(0.05)
        self.closeness.setValue(PrototypeSettings().threshold)
        self.closeness.setToolTip("A photo this close to an example joins its event; a little less is 'unsure'")
        self._debounce = QTimer(self, singleShot=True, interval=350)
        self._debounce.timeout.connect(self.regroup)
        for w in (self.min_size, self.closeness):
            w.valueChanged.connect(self._debounce.start)
        for w in (self.time_slider, self.image_slider, self.loose_slider):
            w.valueChanged.connect(self._debounce.start)
        self.metric.currentIndexChanged.connect(self._debounce.start)
        tune = QHBoxLayout()
        for label, w in (("Min event size", self.min_size), ("Time gaps", self.time_slider),
                         ("Image ↔ caption/note", self.image_slider), ("Unsorted: strict ↔ loose", self.loose_slider)):
            tune.addWidget(QLabel(label))
            tune.addWidget(w)
        tune.addStretch(1)
        bar.addSeparator()  # events by example: beside the album-wide settings, so the tuning row stays narrow
        for label, w in (("Examples: ", self.metric), (" near ≥ ", self.closeness)):
            bar.addWidget(QLabel(label))
            bar.addWidget(w)

        # events (left)
        self._tiles: dict = {}
        self.events = EventList()
        self.events.currentItemChanged.connect(lambda *_: self.show_group())
        self.events.photos_dropped.connect(self._photos_dropped)
        self.events.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.events.customContextMenuRequested.connect(self._event_menu)
        self.merge_button = QPushButton("Merge")
        self.merge_button.setToolTip("Merge the selected events into the first one")
        self.merge_button.clicked.connect(self.merge_selected)
        self.delete_button = QPushButton("Dissolve")
        self.delete_button.setToolTip("Remove the event; its photos become unsorted")
        self.delete_button.clicked.connect(self.dissolve_current)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(QLabel("Events"))
        lv.addWidget(self.events, 1)
        row = QHBoxLayout()
        row.addWidget(self.merge_button)
        row.addWidget(self.delete_button)
        lv.addLayout(row)

        # the group (right)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Event name")
        self.name_edit.setStyleSheet("font-size: 16px; font-weight: 600")
        self.name_edit.editingFinished.connect(self._rename)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet("color: #44525f")
        self.event_note = QLineEdit()
        self.event_note.setPlaceholderText("A note on this event…")
        self.event_note.editingFinished.connect(self._save_event_note)
        self.reps = QHBoxLayout()
        self.reps.setSpacing(6)
        reps_box = QWidget()
        reps_box.setLayout(self.reps)
        reps_box.setFixedHeight(THUMB // 2 + 30)
        self.grid_model = PhotoGridModel(self.loader, self)
        self.grid = QListView()
        self.grid.setModel(self.grid_model)
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setIconSize(QSize(THUMB, THUMB))
        self.grid.setGridSize(QSize(THUMB + 16, THUMB + 34))
        self.grid.setUniformItemSizes(True)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setLayoutMode(QListView.LayoutMode.Batched)
        self.grid.setBatchSize(200)
        self.grid.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.grid.setDragEnabled(True)
        self.grid.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.grid.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.grid.customContextMenuRequested.connect(self._photo_menu)
        self.grid.selectionModel().selectionChanged.connect(lambda *_: self._photo_selected())
        self.remove_action = QAction("Remove from album", self.grid)
        self.remove_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.remove_action.setToolTip("Take the selected photos out of the album; the files stay on disk")
        self.remove_action.triggered.connect(lambda: self.remove_photos([p.id for p in self.selected_photos()]))
        self.grid.addAction(self.remove_action)
        self.photo_note = QLineEdit()
        self.photo_note.setPlaceholderText("A note on the selected photo (used for grouping in place of its caption)")
        self.photo_note.editingFinished.connect(self._save_photo_note)
        self.split_button = QPushButton("Split off")
        self.split_button.setToolTip("Move the selected photos into a new event")
        self.split_button.clicked.connect(self.split_selected)
        self.example_button = QPushButton("Use as examples")
        self.example_button.setToolTip("Define this event by the selected photos: "
                                       "new photos join the event whose examples they are nearest")
        self.example_button.clicked.connect(self.use_as_examples)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(self.name_edit)
        rv.addWidget(self.caption)
        rv.addWidget(self.event_note)
        rv.addWidget(reps_box)
        rv.addWidget(self.grid, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.photo_note, 1)
        bottom.addWidget(self.split_button)
        bottom.addWidget(self.example_button)
        rv.addLayout(bottom)

        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([280, 900])
        self.split = split
        self.empty = self._empty_album()
        self.body = QStackedWidget()
        self.body.addWidget(split)
        self.body.addWidget(self.empty)
        layout = QVBoxLayout(self)
        layout.addWidget(bar)
        layout.addLayout(tune)
        self.demo_banner = QLabel(DEMO_NOTE)
        self.demo_banner.setObjectName("demoBanner")
        self.demo_banner.setWordWrap(True)
        self.demo_banner.hide()
        layout.addWidget(self.demo_banner)
        from app.widgets import JobStrip

        self.job_strip = JobStrip(self.context.jobs, "Albums:")
        layout.addWidget(self.job_strip)
        layout.addWidget(self.body, 1)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note.setStyleSheet("color: #5a6a7a")
        layout.addWidget(self.note)

    def _empty_album(self) -> QWidget:
        """What an empty album shows: what the page does and the one thing to do first."""
        box = self.empty_state()  # a scroll area around the panel
        layout = box.widget().layout()
        hint = QLabel("Folders or single photos, dropped anywhere on this page: JPEG, PNG, WebP, TIFF and HEIC, "
                      "sub-folders included. Nothing is ever changed on disk.")
        hint.setObjectName("emptyText")
        hint.setWordWrap(True)
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setFixedWidth(560)
        hint.setMinimumHeight(hint.heightForWidth(560) + 4)
        button = QPushButton("Add folder…")
        button.setObjectName("emptyAction")
        button.clicked.connect(self.add_action.trigger)
        at = layout.count() - 1  # above the closing stretch
        layout.insertWidget(at, hint, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.insertWidget(at + 1, button, 0, Qt.AlignmentFlag.AlignHCenter)
        return box

    @staticmethod
    def _slider(value: int, tip: str) -> QSlider:
        s = QSlider(Qt.Orientation.Horizontal)
        s.setRange(0, 100)
        s.setValue(value)
        s.setFixedWidth(110)
        s.setToolTip(tip)
        return s

    # -- settings -----------------------------------------------------------------
    def cluster_settings(self) -> ClusterSettings:
        return ClusterSettings(min_size=self.min_size.value() or None, time_weight=self.time_slider.value() / 50,
                               image_weight=self.image_slider.value() / 100,
                               reach=1.0 + self.loose_slider.value() / 50)

    def _tuning_widgets(self) -> dict:
        return {"min_size": self.min_size, "time": self.time_slider, "image": self.image_slider,
                "loose": self.loose_slider, "closeness": self.closeness}

    def _restore_tuning(self) -> None:
        """The album's last tuning (kept in its store), without re-grouping on the way."""
        saved = self.store.get_meta("tuning", {}) or {}
        for key, w in self._tuning_widgets().items():
            if key in saved:
                w.blockSignals(True)
                w.setValue(saved[key])
                w.blockSignals(False)
        index = self.metric.findData(saved.get("metric"))
        if index >= 0:
            self.metric.blockSignals(True)
            self.metric.setCurrentIndex(index)
            self.metric.blockSignals(False)

    def _save_tuning(self) -> None:
        values = {key: w.value() for key, w in self._tuning_widgets().items()}
        self.store.set_meta("tuning", {**values, "metric": self.metric.currentData()})

    def proto_settings(self) -> PrototypeSettings:
        return PrototypeSettings(metric=self.metric.currentData(), threshold=self.closeness.value())

    # -- views ----------------------------------------------------------------------
    def reload(self) -> None:
        """Events and groups from the store; keeps the current group selected."""
        current = self._current
        if self.events.count() <= 1:  # only Unsorted before: open the first event
            current = None
        self.events.blockSignals(True)
        self.events.clear()
        events = self.store.events()
        for e in events:
            tag = " · by example" if e.by_example else ""
            item = QListWidgetItem(self._tile(None), f"{e.name}\n{_photos(e.photo_count)}{tag}")
            item.setData(Qt.ItemDataRole.UserRole, e.id)
            item.setToolTip("\n".join(t for t in (e.name, e.caption or ", ".join(e.tags)) if t))
            reps = e.prototypes or e.representatives
            if reps:
                item.setData(Qt.ItemDataRole.UserRole + 1, reps[0])
            self.events.addItem(item)
        counts = self.store.group_counts()
        for key, label in ((UNSORTED, "Unsorted"), (UNSURE, "Unsure"), (ERRORS, "Could not read")):
            n = counts[key]
            if n or key == UNSORTED:
                item = QListWidgetItem(self._tile(key), f"{label}\n{_photos(n)}")
                item.setData(Qt.ItemDataRole.UserRole, key)
                item.setForeground(QColor("#5a6a7a" if key != ERRORS else "#b0413e"))
                self.events.addItem(item)
        self.events.blockSignals(False)
        self._update_icons()
        row = next((i for i in range(self.events.count())
                    if self.events.item(i).data(Qt.ItemDataRole.UserRole) == current), 0)
        self.events.blockSignals(True)  # one show_group below, not a second one from the signal
        self.events.setCurrentRow(row)
        self.events.blockSignals(False)
        self.show_group()
        folders = self.store.folders()
        empty = not events and not folders and not self._arriving
        demo = str(resource("demo", "album").resolve())
        self.demo_banner.setVisible(any(str(Path(f).resolve()) == demo for f in folders))
        self.body.setCurrentWidget(self.empty if empty else self.split)
        if empty:
            self.note.setText("")  # the empty panel says what to do

    _GLYPHS = {UNSORTED: QStyle.StandardPixmap.SP_DirIcon, UNSURE: QStyle.StandardPixmap.SP_MessageBoxQuestion,
               ERRORS: QStyle.StandardPixmap.SP_MessageBoxWarning}

    def _tile(self, key) -> QIcon:
        """A plain tile of the list's icon size (an event whose thumbnail is on its way), or one with
        a glyph for Unsorted / Unsure / Could not read, so every name starts at the same place."""
        if key not in self._tiles:
            size = self.events.iconSize()
            pix = QPixmap(size)
            pix.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pix)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#e6ebf0"))
            painter.drawRoundedRect(0, 0, size.width(), size.height(), 6, 6)
            if key in self._GLYPHS:
                glyph = min(size.width(), size.height()) // 2
                rect = QRect((size.width() - glyph) // 2, (size.height() - glyph) // 2, glyph, glyph)
                self.style().standardIcon(self._GLYPHS[key]).paint(painter, rect)
            painter.end()
            self._tiles[key] = QIcon(pix)
        return self._tiles[key]

    def _update_icons(self, *_):
        by_id = {}
        for i in range(self.events.count()):
            item = self.events.item(i)
            pid = item.data(Qt.ItemDataRole.UserRole + 1)
            if pid is not None:
                by_id.setdefault(pid, []).append(item)
        if not by_id:
            return
        paths = self.store.paths_of(list(by_id))
        for pid, items in by_id.items():
            pix = self.loader.pixmap(paths.get(pid, "")) if pid in paths else None
            for item in items:
                item.setIcon(QIcon(pix) if pix else self._tile(None))

    def current_key(self):
        item = self.events.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def show_group(self) -> None:
        key = self.current_key()
        self._current = key
        is_event = isinstance(key, int)
        while self.reps.count():
            w = self.reps.takeAt(0).widget()
            if w:
                w.deleteLater()
        if is_event:
            e = self.store.event(key)
            photos = self.store.photos(key)
            self.name_edit.setText(e.name)
            if e.caption:
                text = f"“{e.caption}”"
            elif e.tags:
                text = "Tags: " + ", ".join(e.tags)
            else:
                text = ""
            self.caption.setText(text + ("   ·   " if text else "") + _photos(len(photos)))
            self.event_note.setText(e.note)
            by_id = {p.id: p for p in photos}
            reps = e.prototypes or e.representatives
            self.reps.addWidget(QLabel("Examples:" if e.prototypes else "Representative:"))
            for pid in reps:
                if pid in by_id:
                    self.reps.addWidget(self._rep_label(by_id[pid]))
            self.reps.addStretch(1)
        else:
            photos = self.store.photos(None if key == UNSORTED else key) if key else []
            self.name_edit.setText({UNSORTED: "Unsorted", UNSURE: "Unsure", ERRORS: "Could not read"}.get(key, ""))
            self.caption.setText({UNSORTED: "Photos no event claims. Drag them onto an event.",
                                  UNSURE: "Photos near more than one example event, or just short of one. "
                                          "Drag each onto its event.",
                                  ERRORS: "These files could not be read; they are kept here so nothing is lost. "
                                          "Hover for the reason."}.get(key, ""))
            self.event_note.setText("")
        for w in (self.name_edit, self.event_note, self.split_button, self.example_button):
            w.setEnabled(is_event or w is self.split_button)
        self.grid_model.set_photos(photos)

    def _rep_label(self, photo: Photo) -> QLabel:
        label = QLabel()
        pix = self.loader.pixmap(photo.path)
        size = THUMB // 2
        if pix:
            label.setPixmap(pix.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                                       Qt.TransformationMode.SmoothTransformation))
        else:
            label.setFixedSize(size, size)
            label.setStyleSheet("background: #eef1f4")
            if not self._reps_waiting:  # one refresh for the whole strip, not one per missing photo
                self._reps_waiting = True
                self.loader.ready.connect(self._refresh_reps_soon)
        label.setToolTip(photo.path)
        return label

    def _refresh_reps_soon(self, *_):
        self.loader.ready.disconnect(self._refresh_reps_soon)
        self._reps_waiting = False
        QTimer.singleShot(50, self._refresh_reps)

    def _refresh_reps(self) -> None:
        if isinstance(self._current, int):
            sel = [i.row() for i in self.grid.selectionModel().selectedIndexes()]
            self.show_group()
            for r in sel:
                self.grid.selectionModel().select(self.grid_model.index(r),
                                                  self.grid.selectionModel().SelectionFlag.Select)
        self._update_icons()

    def selected_photos(self) -> list[Photo]:
        return [self.grid_model.photos[i.row()] for i in self.grid.selectionModel().selectedIndexes()]

    def _photo_selected(self) -> None:
        sel = self.selected_photos()
        self.photo_note.setEnabled(len(sel) == 1)
        self.photo_note.setText(sel[0].note if len(sel) == 1 else "")

    # -- edits (saved at once) -------------------------------------------------------
    def edit(self, text: str, change, reload: bool = True):
        """Run a store edit as one undoable step (Edit → Undo, Ctrl+Z), show it, say what was done."""
        from app.undo import record

        result = record(self.undo_stack, self.store, text, change, self.reload)
        if reload:
            self.reload()
        self.note.setText(f"{text}. Edit → Undo (Ctrl+Z) takes it back.")
        return result

    def _reload_keeping_note(self) -> None:
        note = self.note.text()
        self.reload()
        self.note.setText(note)

    def _rename(self) -> None:
        key = self.current_key()
        new = self.name_edit.text().strip()
        if isinstance(key, int) and new and new != self.store.event(key).name:
            old = self.store.event(key).name
            self.edit(f"Renamed '{old}' to '{new}'", lambda: self.store.rename_event(key, new))

    def _save_event_note(self) -> None:
        key = self.current_key()
        if isinstance(key, int) and self.store.event(key).note != self.event_note.text():
            self.edit("Saved the event's note", lambda: self.store.set_event_note(key, self.event_note.text()),
                      reload=False)

    def _save_photo_note(self) -> None:
        sel = self.selected_photos()
        if len(sel) == 1 and sel[0].note != self.photo_note.text():
            self.edit(f"Saved the note on {Path(sel[0].path).name}",
                      lambda: self.store.set_photo_note(sel[0].id, self.photo_note.text()), reload=False)
            sel[0].note = self.photo_note.text()

    def _photos_dropped(self, ids: list[int], key) -> None:
        self.move_photos(ids, None if key == UNSORTED else key)

    def remove_photos(self, ids: list[int]) -> int:
        """Out of the album, files untouched; scanning their folder again does not bring them back."""
        if not ids:
            return 0
        n = self.edit(f"Removed {_photos(len(ids))} from the album (the files are untouched)",
                      lambda: self.store.remove_photos(ids))
        return n

    def remove_folder(self, folder: str) -> int:
        n = self.edit(f"Stopped watching {folder} (the files are untouched)", lambda: self.store.remove_folder(folder))
        return n

    def manage_folders(self) -> None:
        dialog = FoldersDialog(self.store.folders(), self)
        dialog.remove_requested.connect(lambda f: (self.remove_folder(f), dialog.set_folders(self.store.folders())))
        dialog.exec()

    def move_photos(self, ids: list[int], event_id: int | None) -> None:
        where = "Unsorted" if event_id is None else f"'{self.store.event(event_id).name}'"
        self.edit(f"Moved {_photos(len(ids))} to {where} (re-clustering leaves them there)",
                  lambda: self.store.move_photos(ids, event_id))

    def merge_selected(self) -> None:
        ids = [i.data(Qt.ItemDataRole.UserRole) for i in self.events.selectedItems()]
        ids = [i for i in ids if isinstance(i, int)]
        if len(ids) < 2:
            self.note.setText("Select two or more events (Ctrl+click) to merge them.")
            return
        names = [self.store.event(i).name for i in ids]
        self._current = self.edit(f"Merged {len(ids)} events into '{names[0]}'", lambda: self.store.merge_events(ids),
                                  reload=False)
        self._reload_keeping_note()

    def dissolve_current(self) -> None:
        key = self.current_key()
        if isinstance(key, int):
            event = self.store.event(key)
            if not self.confirm("dissolve", f"Dissolve '{event.name}'?",
                                f"Its {_photos(event.photo_count)} go back to Unsorted (Edit → Undo brings "
                                "the event back)."):
                return
            self.edit(f"Dissolved '{event.name}'", lambda: self.store.delete_event(key), reload=False)
            self._current = UNSORTED
            self._reload_keeping_note()

    def split_selected(self) -> None:
        sel = self.selected_photos()
        if not sel:
            self.note.setText("Select the photos to split off first.")
            return
        self._current = self.edit(f"Split {_photos(len(sel))} off into a new event",
                                  lambda: self.store.split_event([p.id for p in sel]), reload=False)
        self._reload_keeping_note()

    def use_as_examples(self) -> None:
        key = self.current_key()
        sel = self.selected_photos()
        if not isinstance(key, int) or not sel:
            self.note.setText("Open an event and select the photos that define it.")
            return
        self.store.set_prototypes(key, [p.id for p in sel])
        self.note.setText(f"{len(sel)} example(s) set; re-clustering assigns photos near them to this event.")
        self.regroup()

    def _event_menu(self, pos) -> None:
        menu = QMenu(self)
        menu.addAction("Rename…", self._rename_dialog)
        menu.addAction("Merge selected", self.merge_selected)
        menu.addAction("Dissolve", self.dissolve_current)
        menu.popup(self.events.mapToGlobal(pos))

    def _rename_dialog(self) -> None:
        key = self.current_key()
        if isinstance(key, int):
            name, ok = QInputDialog.getText(self, "Rename event", "Name:", text=self.store.event(key).name)
            if ok and name.strip():
                old = self.store.event(key).name
                self.edit(f"Renamed '{old}' to '{name.strip()}'", lambda: self.store.rename_event(key, name))

    def _photo_menu(self, pos) -> None:
        sel = self.selected_photos()
        if not sel:
            return
        menu = QMenu(self)
        move = menu.addMenu("Move to")
        for e in self.store.events():
            move.addAction(e.name, lambda e=e: self.move_photos([p.id for p in sel], e.id))
        move.addAction("Unsorted", lambda: self.move_photos([p.id for p in sel], None))
        menu.addAction("Split off into a new event", self.split_selected)
        menu.addAction("Let re-clustering place them again", lambda: (self.store.unpin([p.id for p in sel]),
                                                                      self.reload()))
        menu.addSeparator()
        menu.addAction(self.remove_action)
        menu.popup(self.grid.viewport().mapToGlobal(pos))

    def edit_vocabulary(self) -> None:
        text, ok = QInputDialog.getMultiLineText(
            self, "Event names", "CLIP picks each event's name from these (one per line). "
            "Used with a CLIP image model; your renames always win.", "\n".join(self.store.vocabulary()))
        if ok:
            self.store.set_vocabulary(text.splitlines())
            if self.model_choice.currentData().startswith("clip"):
                self.regroup()

    # -- jobs -------------------------------------------------------------------------
    def _album_job(self, name: str, work, on_done, lane=Lane.MODEL):
        ctx = self.context
        preset = self.model_choice.currentData()
        store_path = self.store.path
        state = self._worker_state

        def run(progress, cancelled):
            from core.albums.pipeline import Album, make_models

            album = state["album"]
            if album is None or album.models.image.name != preset:
                models = make_models(ctx.models, preset, captions=True, progress=progress, cancelled=cancelled)
                album = state["album"] = Album(AlbumStore(store_path), ctx.cache, models)
            return work(album, progress, cancelled)

        return ctx.jobs.submit(run, name, lane, on_done=on_done, on_error=self._job_failed,
                               on_cancelled=lambda job: (self.note.setText(f"{job.name}: cancelled; "
                                                                           "finished photos are kept"),
                                                         self.reload()))

    def add_paths(self, paths: list[str] | None):
        if paths is None:
            folder = QFileDialog.getExistingDirectory(self, "Add a folder of photos")
            paths = [folder] if folder else []
        if not paths:
            return None
        settings, proto = self.cluster_settings(), self.proto_settings()

        def work(album, progress, cancelled):
            report = album.add(paths, progress, cancelled)
            album.refresh_text()
            return report, album.regroup(settings, proto), album.models.describe()

        job = self._album_job(f"Albums: add {', '.join(Path(p).name for p in paths)}", work, self._indexed)
        self._arriving.add(job.id)  # not the empty panel while the first photos are on their way
        self.reload()
        self.note.setText(f"Reading {', '.join(Path(p).name for p in paths)}: the events appear when the "
                          "photos are grouped (progress above).")
        return job

    def index_existing(self):
        settings, proto = self.cluster_settings(), self.proto_settings()
        first = not self.store.events()

        def work(album, progress, cancelled):
            report = album.index(progress, cancelled)
            group = album.regroup(settings, proto) if first or report.new else None
            return report, group, album.models.describe()

        return self._album_job("Albums: check photos", work, self._indexed)

    def regroup(self):
        self._save_tuning()
        if not self.store.folders():
            return None
        if self._pending_regroup is not None and not self._pending_regroup.state.done:
            self.context.jobs.cancel(self._pending_regroup.id)  # only the newest settings matter
        settings, proto = self.cluster_settings(), self.proto_settings()

        def work(album, progress, cancelled):
            if album.data is None:
                album.index(progress, cancelled)
            album.refresh_text()
            return None, album.regroup(settings, proto), album.models.describe()

        self._pending_regroup = self._album_job("Albums: group events", work, self._indexed)
        return self._pending_regroup

    def _indexed(self, result) -> None:
        report, group, models = result
        self.last_report = report
        self.undo_stack.clear()  # the grouping changed under the edits: they can no longer be undone one by one
        parts = []
        if report is not None:
            parts.append(report.summary() + ".")
            if report.errors:
                shown = "; ".join(f"{Path(p).name}: {m}" for p, m in report.errors[:5])
                more = f" (and {len(report.errors) - 5} more: see Could not read)" if len(report.errors) > 5 else ""
                parts.append(f"Could not read {shown}{more}.")
        if group is not None:
            parts.append(f"{group.events} events, {group.unsorted} unsorted"
                         + (f", {group.unsure} unsure" if group.unsure else "")
                         + (f", {group.by_example} placed by examples" if group.by_example else "") + ".")
        parts.append(f"Image model: {models['image']['preset']}; captions: "
                     + (models["captions"] if isinstance(models["captions"], str) else models["captions"]["preset"])
                     + ".")
        if any("CoCa" in n for n in models.get("notes", [])):
            parts.append("(CoCa caption weights are not on this machine: Tools → Models says how to get them.)")
        self.note.setText(" ".join(parts))
        self.note.setToolTip(json.dumps(models, ensure_ascii=False, indent=1))
        self.reload()

    def _job_failed(self, job) -> None:
        self.last_error = job.error
        self.note.setText(f"{job.name} failed: {job.error}")
        self.reload()

    def _model_changed(self) -> None:
        if self._shown and self.store.folders():
            self.regroup()

    def export(self, folder: str | None, mode: str | None = None):
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self, "Export events into a folder")
            if not folder:
                return None
            answer = QMessageBox.question(self, "Export", "Link the photos instead of copying them?\n"
                                          "(Links take no space; copies survive moving the originals.)",
                                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                          QMessageBox.StandardButton.No)
            mode = "link" if answer == QMessageBox.StandardButton.Yes else "copy"
        store_path = self.store.path

        def work(progress, cancelled):
            from core.albums.pipeline import export_album

            with AlbumStore(store_path) as store:
                return export_album(store, folder, mode or "copy", progress, cancelled)

        def done(report):
            self.last_report = report
            text = f"Exported {report['exported']} photos to {report['folder']} (events.json, photos.csv)."
            if report["problems"]:
                text += f" {len(report['problems'])} could not be exported: " + "; ".join(
                    f"{Path(p).name}: {m}" for p, m in report["problems"][:3])
            self.note.setText(text)

        return self.context.jobs.submit(work, f"Albums: export to {folder}", Lane.IO, on_done=done,
                                        on_error=self._job_failed)

    # -- drops and lifecycle -------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        urls = event.mimeData().urls()
        if urls and all(u.isLocalFile() for u in urls):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls()]
        paths = [p for p in paths if Path(p).is_dir() or is_image_path(p)]
        if paths:
            self.add_paths(paths)
            event.acceptProposedAction()
        else:
            self.note.setText("Drop folders or photos (JPEG, PNG, WebP, TIFF, HEIC).")

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._shown:
            self._shown = True
            if self.store.folders():
                self.index_existing()  # cached: loads vectors so tuning is live; new files are added

    def shutdown(self) -> None:
        self.loader.stop()
