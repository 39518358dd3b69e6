"""The Albums page's widgets: toolbar, live tuning, event list, the group pane, the empty-album panel."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
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

from app.albums.chrome import ClosableBanner, FewLines, ThumbSize, popup_button
from app.albums.grid import REP, THUMB, EventList, PhotoGridModel
from core.albums.events import PrototypeSettings

DEMO_NOTE = ("<b>Demo album</b>: 15 real photos (CC BY-SA 4.0): a walk in Arezzo with capture times and GPS, "
             "two pairs of shots taken minutes apart and two single photos. Time and place cut them into three "
             "events; the singles stay in <i>Unsorted</i>. It shows the time-and-place grouping, not a whole "
             "collection: add your own folder for that.")


class AlbumsLayout:
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
        self.vocab_action.setToolTip("The kinds events are named from (Beach, Birthday, …)")
        self.vocab_action.triggered.connect(self.edit_vocabulary)
        self.folders_action = QAction("Folders…", self)
        self.folders_action.setToolTip("The folders this album watches; remove one to take its photos out")
        self.folders_action.triggered.connect(self.manage_folders)
        self.duplicates_action = QAction("Duplicates", self)
        self.duplicates_action.setToolTip("The same shot saved again, and bursts: groups with a suggested keeper "
                                          "(nothing is deleted)")
        self.duplicates_action.triggered.connect(self.find_duplicates)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.setIconSize(QSize(16, 16))
        px = QStyle.StandardPixmap
        for a, icon in ((self.add_action, px.SP_FileDialogNewFolder), (self.folders_action, px.SP_DirIcon),
                        (self.regroup_action, px.SP_BrowserReload), (self.export_action, px.SP_DialogSaveButton),
                        (self.duplicates_action, px.SP_FileDialogDetailedView),
                        (self.vocab_action, px.SP_FileDialogInfoView)):
            a.setIcon(self.style().standardIcon(icon))
            if not a.toolTip() or a.toolTip() == a.text():
                a.setToolTip({self.add_action: "Add a folder of photos (or drop folders anywhere on this page)",
                              self.export_action: "Copy each event's photos into a folder of its own, "
                                                  "with a JSON and CSV list"}[a])
            bar.addAction(a)
        self.model_choice = QComboBox()
        from core.albums.pipeline import IMAGE_PRESETS
        from core.models.registry import get_preset

        for name in IMAGE_PRESETS:
            self.model_choice.addItem(get_preset(name).title, name)
        self.model_choice.setToolTip("The image model; CLIP also names events. Get weights in Tools → Models")
        self.model_choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_choice.setMinimumContentsLength(24)  # the toolbar fits a 1,180 px window
        self.model_choice.currentIndexChanged.connect(self._model_changed)
        bar.addSeparator()
        bar.addWidget(self.model_choice)

        # live tuning
        self.min_size = QSpinBox()
        self.min_size.setRange(0, 500)
        self.min_size.setSpecialValueText("auto")
        self.min_size.setToolTip("Smallest event; auto = the events 9 settings agree on (1 / 2 / 4% of the photos × "
                                 "8 / 16 / 32 dimensions); a number = that one setting")
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
        panel = QWidget()  # the grouping's tuning, in a panel under a tool-bar button (room for the photos)
        tune = QFormLayout(panel)
        for label, w in (("Min event size", self.min_size), ("Time gaps", self.time_slider),
                         ("Image ↔ caption/note", self.image_slider), ("Unsorted: strict ↔ loose", self.loose_slider),
                         ("Examples compared by", self.metric), ("An example's photos: near ≥", self.closeness)):
            tune.addRow(label, w)
        self.tuning_button = popup_button("Grouping", "How photos are grouped into events: event size, time gaps, "
                                          "image vs text, strays, examples (changes re-group at once)", panel,
                                          self.style().standardIcon(px.SP_FileDialogListView))
        bar.addWidget(self.tuning_button)

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
        self.word_search = QLineEdit()
        self.search_field = self.word_search  # Edit → Find (Ctrl+F)
        self.word_search.setPlaceholderText("Search by words: beach, 생일 케이크…")
        self.word_search.setToolTip("Finds photos by their notes, captions and tags (any language), "
                                    "or by CLIP when the image model is CLIP. Enter to search.")
        self.word_search.setClearButtonEnabled(True)
        self.word_search.returnPressed.connect(lambda: self.search_words(self.word_search.text()))
        lv.addWidget(self.word_search)
        lv.addWidget(QLabel("Events"))
        lv.addWidget(self.events, 1)
        row = QHBoxLayout()
        row.addWidget(self.merge_button)
        row.addWidget(self.delete_button)
        lv.addLayout(row)

        # the group (right)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Event name")
        self.name_edit.setStyleSheet("font-size: 15px; font-weight: 600")
        self.name_edit.editingFinished.connect(self._rename)
        self.caption = FewLines(3)
        self.caption.setStyleSheet("color: #44525f")
        self.event_note = QLineEdit()
        self.event_note.setPlaceholderText("A note on this event…")
        self.event_note.editingFinished.connect(self._save_event_note)
        self.reps = QHBoxLayout()
        self.reps.setSpacing(6)
        self.reps.setContentsMargins(0, 0, 0, 0)
        self.reps_box = QWidget()  # hidden while it has no photo (Unsorted, the searches)
        self.reps_box.setLayout(self.reps)
        self.reps_box.setFixedHeight(REP + 4)
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
        self.grid.setWordWrap(True)  # "keep #1 · name.jpg" on two lines rather than cut
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
        self.remove_action.triggered.connect(self.remove_selected)
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
        rv.setSpacing(4)
        head = QHBoxLayout()
        head.addWidget(self.name_edit, 2)
        head.addWidget(self.event_note, 3)
        rv.addLayout(head)
        about = QHBoxLayout()
        about.addWidget(self.caption, 1)
        about.addWidget(self.reps_box)
        rv.addLayout(about)
        rv.addWidget(self.grid, 1)
        self.compare_button = QPushButton("Compare…")
        self.compare_button.setToolTip("The selected photo's group side by side, what differs in bold: keep the "
                                       "suggested photo and move the others aside (double-click does it too)")
        self.compare_button.clicked.connect(self.compare_selected)
        self.compare_button.hide()  # the Duplicates & bursts view only
        self.thumb_size = ThumbSize(80, THUMB, THUMB)
        self.thumb_size.slider.valueChanged.connect(self._thumb_size_changed)
        bottom = QHBoxLayout()
        bottom.addWidget(self.photo_note, 1)
        bottom.addWidget(self.thumb_size)
        for w in (self.compare_button, self.split_button, self.example_button):
            bottom.addWidget(w)
        rv.addLayout(bottom)
        self.why = FewLines(2)  # why the selected photo is where it is (core.albums.explain)
        self.why.setStyleSheet("color: #4a5a6a")
        self.why.hide()
        rv.addWidget(self.why)

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
        layout.setSpacing(4)
        layout.addWidget(bar)
        self.demo_banner = ClosableBanner(DEMO_NOTE, "demoBanner")
        self.demo_banner.hide()
        self._demo_album = False
        self.demo_banner.close_button.toggled.connect(lambda _: self._show_demo_note())
        layout.addWidget(self.demo_banner)
        from app.widgets import JobStrip

        self.job_strip = JobStrip(self.context.jobs, "Albums:")
        policy = self.job_strip.sizePolicy()  # no empty band while no job runs (a grid, no plots, re-lays
        policy.setRetainSizeWhenHidden(False)  # out in no time)
        self.job_strip.setSizePolicy(policy)
        layout.addWidget(self.job_strip)
        layout.addWidget(self.body, 1)
        self.note = FewLines(2)
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

    def _show_demo_note(self) -> None:
        self.demo_banner.setVisible(self._demo_album and not self.demo_banner.close_button.isChecked())

    def _thumb_size_changed(self, size: int) -> None:
        self.grid.setIconSize(QSize(size, size))
        self.grid.setGridSize(QSize(size + 16, size + 34))

    @staticmethod
    def _slider(value: int, tip: str) -> QSlider:
        s = QSlider(Qt.Orientation.Horizontal)
        s.setRange(0, 100)
        s.setValue(value)
        s.setFixedWidth(110)
        s.setToolTip(tip)
        return s
