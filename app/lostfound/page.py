"""The Lost & Found workspace: posts, and ranked matches with a weight slider."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSlider,
    QSplitter,
    QTableView,
    QTableWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.lostfound.edits import LostFoundEdits
from app.lostfound.files import LostFoundFiles
from app.lostfound.matches import LostFoundMatches
from app.lostfound.models import MATCH_COLUMNS, THUMB, PostsModel
from app.widgets import EmptyHint
from app.workspace import PageContext, WorkspacePage
from core.jobs import Lane, Priority
from core.lostfound.match import MatchSettings
from core.lostfound.store import Post, PostStore


class LostFoundPage(LostFoundEdits, LostFoundFiles, LostFoundMatches, WorkspacePage):
    title = "Lost & Found"
    icon = "lostfound"
    summary = ("Keep lost and found posts, with an optional photo and Korean or English text, "
               "and see ranked matches for each.")

    def __init__(self, context: PageContext, parent=None) -> None:
        super().__init__(context, parent)
        self.store = PostStore()
        self.service = None  # core.lostfound.service.LostFound once models are loaded
        from app.undo import new_stack

        self.undo_stack = new_stack(self)  # add, edit, delete: Edit → Undo / Redo (Ctrl+Z / Ctrl+Shift+Z)
        self.last_report = None
        self.last_error: str | None = None
        self._build()
        self.setAcceptDrops(True)  # a photo dropped starts a post with it; a CSV / JSON is imported
        self._shown = False  # models load on first show, not at start-up
        shown = self.view_state().kept("selected")  # read before the reload selects anything
        self.reload_posts()
        if shown is not None and str(shown).isdigit():
            self.select_post(int(shown))  # the post selected when the app closed, if it is still there

    # -- layout -----------------------------------------------------------------
    def _build(self) -> None:
        bar = QToolBar()
        self.add_action = QAction("Add post", self)
        self.add_action.triggered.connect(lambda: self.edit_post(None))
        self.edit_action = QAction("Edit", self)
        self.edit_action.triggered.connect(lambda: self.edit_post(self.selected_post()))
        self.delete_action = QAction("Delete", self, shortcut=QKeySequence.StandardKey.Delete)
        self.delete_action.triggered.connect(self.delete_selected)
        self.undo_action = self.undo_stack.createUndoAction(self, "Undo")  # Ctrl+Z lives in Edit → Undo
        self.import_action = QAction("Import…", self)
        self.import_action.triggered.connect(lambda: self.import_posts(None))
        self.export_action = QAction("Export…", self)
        self.export_action.triggered.connect(lambda: self.export_posts(None))
        self.find_all_action = QAction("Find all matches", self)
        self.find_all_action.triggered.connect(self.find_all)
        for a in (self.add_action, self.edit_action, self.delete_action, self.undo_action):
            bar.addAction(a)
            if a is not self.undo_action:
                self.addAction(a)
        bar.addSeparator()
        for a in (self.import_action, self.export_action, self.find_all_action):
            bar.addAction(a)
        self.model_choice = QComboBox()
        self.model_choice.addItem("Offline: USE multilingual + EfficientNet-Lite0", None)
        from core.lostfound.service import CLIP_PRESETS
        from core.models.registry import get_preset

        for name in CLIP_PRESETS:
            self.model_choice.addItem(f"{get_preset(name).title} ({name})", name)
        self.model_choice.setToolTip("CLIP puts texts and photos in one space; get its weights in Tools → Models")
        self.model_choice.currentIndexChanged.connect(self._model_changed)
        self.model_choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_choice.setMinimumContentsLength(28)
        bar.addWidget(self.model_choice)
        self.model_label = QLabel("Models: not loaded yet (they load when the page is shown)")
        self.model_label.setStyleSheet("color: #5a6a7a")

        # posts (left)
        self.kind_filter = QComboBox()
        for label, value in (("All posts", ""), ("Lost", "lost"), ("Found", "found")):
            self.kind_filter.addItem(label, value)
        self.search = self.search_field = QLineEdit()  # Edit → Find (Ctrl+F) comes here
        self.search.setPlaceholderText("Search description, category, place…")
        from app.thumbs import ThumbnailLoader

        self.loader = ThumbnailLoader(THUMB, parent=self)  # photos off the UI thread
        self.loader.ready.connect(self._match_thumb_ready)
        self.posts_model = PostsModel(self.loader, self)
        self.kind_filter.currentIndexChanged.connect(self._filter)
        self.search.textChanged.connect(self._filter)
        self.table = QTableView()
        self.table.setModel(self.posts_model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(THUMB + 6)
        self.table.setIconSize(self.table.iconSize().expandedTo(self.table.iconSize().__class__(THUMB, THUMB)))
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        for col, width in ((0, THUMB + 10), (1, 36), (2, 48), (4, 120), (5, 60), (6, 84)):
            self.table.setColumnWidth(col, width)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setMinimumSectionSize(30)
        self.table.setColumnHidden(5, True)  # status: in the form and the search; keeps room for text
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.update_matches())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.detail.show_post(self.selected_post()))
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._remember_selected())
        self.table.doubleClicked.connect(lambda _: self.edit_post(self.selected_post()))
        EmptyHint(self.table, lambda: "No post matches the search or the filter" if self.posts_model.all_posts
                  else "No posts yet: Add post, or Import a CSV or JSON file")
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        filters = QHBoxLayout()
        filters.addWidget(self.kind_filter)
        filters.addWidget(self.search, 1)
        lv.addLayout(filters)
        from app.lostfound.detail import PostDetail

        self.detail = PostDetail()  # the selected post in full, with its status actions
        self.detail.inferred_of = self._inferred_category
        self.detail.status_requested.connect(self.set_status)
        self.detail.edit_requested.connect(lambda pid: self.edit_post(self.store.get(pid)))
        left_split = QSplitter(Qt.Orientation.Vertical)
        left_split.addWidget(self.table)
        left_split.addWidget(self.detail)
        left_split.setStretchFactor(0, 3)
        left_split.setStretchFactor(1, 1)
        lv.addWidget(left_split)

        # matches (right)
        self.match_title = QLabel("Select a post to see its matches")
        self.match_title.setStyleSheet("font-weight: 600; font-size: 14px")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setValue(50)
        self.slider.setInvertedAppearance(True)  # value = text share: 100 sits at the "Text" end (left)
        self.slider.setToolTip("Share of the text side; the photo side gets the rest")
        self.slider_label = QLabel()
        self.image_gate = self._spin(0.2, "Photo↔photo below this (calibrated) sets the score to 0")
        self.category_cap = self._spin(0.1, "Different top-level categories cap the score here")
        self.threshold = self._spin(0.95, "Matches at or above this are 'similar'")
        self.use_image_gate = QCheckBox("image gate")
        self.use_image_gate.setChecked(True)
        self.use_category_gate = QCheckBox("category cap")
        self.use_category_gate.setChecked(True)
        for w in (self.slider, self.image_gate, self.category_cap, self.threshold):
            w.valueChanged.connect(self.update_matches)
        for w in (self.use_image_gate, self.use_category_gate):
            w.toggled.connect(self.update_matches)
        controls = QGridLayout()
        self.text_end, self.image_end = QLabel("Text"), QLabel("Image")
        controls.addWidget(self.text_end, 0, 0)
        controls.addWidget(self.slider, 0, 1, 1, 4)
        controls.addWidget(self.image_end, 0, 5)
        controls.addWidget(self.slider_label, 0, 6)
        controls.addWidget(self.use_image_gate, 1, 0, 1, 2)
        controls.addWidget(self.image_gate, 1, 2)
        controls.addWidget(self.use_category_gate, 1, 3)
        controls.addWidget(self.category_cap, 1, 4)
        controls.addWidget(QLabel("similar ≥"), 1, 5)
        controls.addWidget(self.threshold, 1, 6)
        self.matches = QTableWidget(0, len(MATCH_COLUMNS))
        self.matches.setHorizontalHeaderLabels(MATCH_COLUMNS)
        self.matches.verticalHeader().hide()
        self.matches.verticalHeader().setDefaultSectionSize(THUMB + 6)
        self.matches.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.matches.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.matches.setColumnWidth(0, THUMB + 10)
        self.matches.setColumnWidth(1, 40)
        self.matches.setColumnWidth(2, 92)
        self.matches.setColumnWidth(4, 210)  # the breakdown bars need their room; the description takes the rest
        self.matches.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.matches.setWordWrap(True)
        from app.lostfound.breakdown import BreakdownDelegate

        self.breakdown_delegate = BreakdownDelegate(self.matches)  # bars per channel, numbers on hover
        self.matches.setItemDelegateForColumn(4, self.breakdown_delegate)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(self.match_title)
        rv.addLayout(controls)
        rv.addWidget(self.model_label)
        rv.addWidget(self.matches, 1)

        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([560, 640])
        from app.widgets import JobStrip

        layout = QVBoxLayout(self)
        layout.addWidget(bar)
        self.job_strip = JobStrip(self.context.jobs, "Lost & Found:")
        layout.addWidget(self.job_strip)
        layout.addWidget(split, 1)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #5a6a7a")
        layout.addWidget(self.note)
        for name, w in (("text share", self.slider), ("image gate", self.use_image_gate), ("gate", self.image_gate),
                        ("category cap", self.use_category_gate), ("cap", self.category_cap),
                        ("similar", self.threshold), ("show", self.kind_filter), ("posts : detail", left_split),
                        ("posts : matches", split), ("post columns", self.table.horizontalHeader()),
                        ("match columns", self.matches.horizontalHeader())):
            self.keep_view(name, w)  # the user's settings of the view, back after a restart
        self.keep_view("model", self.model_choice, quiet=True)  # read when the models load
        self._fall_back_if_missing()
        self._update_slider_label()

    def _fall_back_if_missing(self) -> None:
        """A CLIP model kept from the last start whose weights are not here (another machine, a
        restored backup): the offline models, and the note says so, rather than a job that fails at
        every start. The choice stays kept: with its weights imported it comes back."""
        chosen = self.model_choice.currentData()
        if chosen is None:
            return
        from core.models.registry import preset_status

        status = preset_status(chosen)
        if not status.available:
            self.model_choice.blockSignals(True)
            self.model_choice.setCurrentIndex(0)
            self.model_choice.blockSignals(False)
            self.note.setText(f"{status.preset.title} was the model last time, but {status.location}: the "
                              f"offline models are used (Tools → Models imports its weights).")

    @staticmethod
    def _spin(value: float, tip: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(0.0, 1.0)
        spin.setSingleStep(0.05)
        spin.setDecimals(2)
        spin.setValue(value)
        spin.setToolTip(tip)
        return spin

    def _filter(self) -> None:
        selected = self.selected_post()
        self.posts_model.set_filter(self.kind_filter.currentData(), self.search.text())
        if selected is not None:
            self.select_post(selected.id)

    def _update_slider_label(self) -> None:
        w = self.slider.value() / 100
        self.slider_label.setText(f"{w:.2f} : {1 - w:.2f}")

    # -- data -------------------------------------------------------------------
    def settings(self) -> MatchSettings:
        return MatchSettings(
            text_weight=self.slider.value() / 100, image_gate=self.image_gate.value(),
            category_cap=self.category_cap.value(), similar_threshold=self.threshold.value(),
            use_image_gate=self.use_image_gate.isChecked(), use_category_gate=self.use_category_gate.isChecked())

    def reload_posts(self) -> None:
        selected = self.selected_post()
        self.posts_model.set_posts(self.store.list())
        if selected is not None:
            self.select_post(selected.id)
        if not self.posts_model.all_posts:
            self.note.setText("No posts yet: use Add post, or Import a CSV/JSON file "
                              "(columns kind,image,description,category,storage_location,status,place,date).")
        if self._shown:
            self.refresh_vectors()

    def select_post(self, post_id: int) -> bool:
        row = self.posts_model.row_of(post_id)
        if row is not None:
            self.table.selectRow(row)
        return row is not None

    def _remember_selected(self) -> None:
        post = self.selected_post()
        if post is not None:
            self.view_state().remember("selected", post.id)

    def selected_post(self) -> Post | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return rows[0].data(Qt.ItemDataRole.UserRole) if rows else None

    def _model_changed(self) -> None:
        self.service = None  # the next refresh builds the chosen embedder
        self.refresh_vectors()

    def refresh_vectors(self):
        """Embed new posts on the model worker (cached ones cost a look-up)."""
        ctx = self.context
        store = self.store
        clip = self.model_choice.currentData()
        service = self.service
        if service is None and not self.posts_model.all_posts:  # nothing to embed: no model loaded yet
            self.model_label.setText("Models: they load with the first post")
            return None
        if service is None:  # what the label says while the models load (progress in the strip)
            self.model_label.setText("Models: loading the text and image models…")

        def build(progress, cancelled):
            from core.lostfound.service import LostFound, make_embedder

            nonlocal service
            if service is None:
                service = LostFound(PostStore(store.path), make_embedder(ctx.models, ctx.cache, clip,
                                                                         progress, cancelled))
            service.refresh(progress, cancelled)
            return service

        return ctx.jobs.submit(build, "Lost & Found: embed posts", Lane.MODEL,  # the matches wait for it
                               on_done=self._vectors_ready, on_error=self._job_failed,
                               priority=Priority.INTERACTIVE)

    def _vectors_ready(self, service) -> None:
        self.service = service
        models = service.vectors.models
        self.model_label.setText(f"Models: text {models['text']['preset']}, image {models['image']['preset']}")
        self.model_label.setToolTip(json.dumps(models, ensure_ascii=False, indent=1))
        problems = [f"post #{pid}: {msg}" for pid, msg in service.vectors.errors]
        self.note.setText(("Photos that could not be read (matched on text): " + "; ".join(problems))
                          if problems else "")
        self.update_matches()

    def _job_failed(self, job) -> None:
        self.last_error = job.error
        self.note.setText(f"{job.name} failed: {job.error}")

    def _inferred_category(self, post_id: int) -> str:
        vectors = self.service.vectors if self.service is not None else None
        return vectors.inferred_category(post_id) if vectors is not None else ""

    def shutdown(self) -> None:
        self.loader.stop()

    def release(self) -> None:
        if self.service is not None:
            self.service.store.close()
        self.store.close()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._shown:
            self._shown = True
            self.refresh_vectors()
        QTimer.singleShot(0, self.update_matches)
