"""The Lost & Found workspace: posts, and ranked matches with a weight slider."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, QTimer
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QSlider,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.pages.base import PageContext, WorkspacePage
from app.widgets import thumbnail
from core.jobs import Lane
from core.lostfound.match import CHANNELS, MatchSettings, rank
from core.lostfound.store import Post, PostError, PostStore

POST_COLUMNS = ["", "#", "Kind", "Description", "Category", "Status", "Date"]
MATCH_COLUMNS = ["", "#", "Score", "Description", "Breakdown"]
THUMB = 48


def score_text(score: float) -> str:
    """A match score as what it means: 'beats 99.7%' of unrelated pairs (never a bare 1.000)."""
    if score >= 0.9995:
        return "beats >99.9%"
    return f"beats {score * 100:.1f}%"


class PostsModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.posts: list[Post] = []

    def set_posts(self, posts: list[Post]) -> None:
        self.beginResetModel()
        self.posts = posts
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.posts)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return len(POST_COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return POST_COLUMNS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        post = self.posts[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DecorationRole and col == 0 and post.image:
            return thumbnail(post.image, THUMB)
        if role == Qt.ItemDataRole.DisplayRole:
            return ["", post.id, post.kind, post.description, post.category, post.status, post.date][col]
        if role == Qt.ItemDataRole.ForegroundRole and col == 2:
            return QColor("#c0392b") if post.kind == "lost" else QColor("#27ae60")
        if role == Qt.ItemDataRole.ToolTipRole and col == 0:
            return post.image or "no photo"
        if role == Qt.ItemDataRole.UserRole:
            return post
        return None


class PostsFilter(QSortFilterProxyModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.kind = ""
        self.text = ""

    def filterAcceptsRow(self, row, parent) -> bool:  # noqa: N802
        post: Post = self.sourceModel().posts[row]
        if self.kind and post.kind != self.kind:
            return False
        if self.text:
            hay = f"{post.description} {post.category} {post.place} {post.storage_location}".lower()
            return self.text.lower() in hay
        return True


def format_breakdown(breakdown: dict) -> str:
    parts = []
    names = {"text": "text↔text", "image": "image↔image", "cross": "text↔image"}
    for ch in CHANNELS:
        b = breakdown[ch]
        if b["raw"] is None:
            continue
        parts.append(f"{names[ch]} {b['raw']:.2f}→{b['calibrated']:.2f} ×{b['weight']:.2f}")
    gates = {"image_gate": "image gate → 0", "category_cap": "categories differ → capped"}
    parts += [gates[g] for g in breakdown["gates"]]
    return "   ".join(parts)


class LostFoundPage(WorkspacePage):
    title = "Lost & Found"
    icon = "lostfound"
    summary = ("Keep lost and found posts, with an optional photo and Korean or English text, "
               "and see ranked matches for each.")

    def __init__(self, context: PageContext, parent=None) -> None:
        super().__init__(context, parent)
        self.store = PostStore()
        self.service = None  # core.lostfound.service.LostFound once models are loaded
        from PySide6.QtGui import QUndoStack

        self.undo_stack = QUndoStack(self)  # add, edit, delete: Edit → Undo / Redo (Ctrl+Z / Ctrl+Shift+Z)
        self.last_report = None
        self.last_error: str | None = None
        self._build()
        self._shown = False  # models load on first show, not at start-up
        self.reload_posts()

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
        self.model_label = QLabel("Models: load when the page is first shown")
        self.model_label.setStyleSheet("color: #5a6a7a")

        # posts (left)
        self.kind_filter = QComboBox()
        for label, value in (("All posts", ""), ("Lost", "lost"), ("Found", "found")):
            self.kind_filter.addItem(label, value)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search description, category, place…")
        self.posts_model = PostsModel(self)
        self.proxy = PostsFilter(self)
        self.proxy.setSourceModel(self.posts_model)
        self.kind_filter.currentIndexChanged.connect(self._filter)
        self.search.textChanged.connect(self._filter)
        self.table = QTableView()
        self.table.setModel(self.proxy)
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
        self.table.doubleClicked.connect(lambda _: self.edit_post(self.selected_post()))
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        filters = QHBoxLayout()
        filters.addWidget(self.kind_filter)
        filters.addWidget(self.search, 1)
        lv.addLayout(filters)
        from app.lostfound.detail import PostDetail

        self.detail = PostDetail()  # the selected post in full, with its status actions
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
        self.slider.setToolTip("Share of the text side; the photo side gets the rest")
        self.slider_label = QLabel()
        self.image_gate = self._spin(0.2, "Photo↔photo below this (calibrated) sets the score to 0")
        self.category_cap = self._spin(0.1, "Different top-level categories cap the score here")
        self.threshold = self._spin(0.95, "Matches at or above this are 'similar'")
        self.use_image_gate = QCheckBox("image gate")
        self.use_image_gate.setChecked(True)
        self.use_category_gate = QCheckBox("category cap")
        self.use_category_gate.setChecked(True)
        for w in (self.slider,):
            w.valueChanged.connect(self.update_matches)
        for w in (self.image_gate, self.category_cap, self.threshold):
            w.valueChanged.connect(self.update_matches)
        for w in (self.use_image_gate, self.use_category_gate):
            w.toggled.connect(self.update_matches)
        controls = QGridLayout()
        controls.addWidget(QLabel("Text"), 0, 0)
        controls.addWidget(self.slider, 0, 1, 1, 4)
        controls.addWidget(QLabel("Image"), 0, 5)
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
        self._update_slider_label()

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
        self.proxy.kind = self.kind_filter.currentData()
        self.proxy.text = self.search.text()
        self.proxy.invalidate()

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
        if not self.posts_model.posts:
            self.note.setText("No posts yet: use Add post, or Import a CSV/JSON file "
                              "(columns kind,image,description,category,storage_location,status,place,date).")
        if self._shown:
            self.refresh_vectors()

    def select_post(self, post_id: int) -> bool:
        for row, post in enumerate(self.posts_model.posts):
            if post.id == post_id:
                index = self.proxy.mapFromSource(self.posts_model.index(row, 0))
                if index.isValid():
                    self.table.selectRow(index.row())
                    return True
        return False

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

        def build(progress, cancelled):
            from core.lostfound.service import LostFound, make_embedder

            nonlocal service
            if service is None:
                service = LostFound(PostStore(store.path), make_embedder(ctx.models, ctx.cache, clip,
                                                                         progress, cancelled))
            service.refresh(progress, cancelled)
            return service

        return ctx.jobs.submit(build, "Lost & Found: embed posts", Lane.MODEL,
                               on_done=self._vectors_ready, on_error=self._job_failed)

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

    def update_matches(self) -> None:
        self._update_slider_label()
        post = self.selected_post()
        self.matches.setRowCount(0)
        if post is None:
            self.match_title.setText("Select a post to see its matches")
            return
        other = "found" if post.kind == "lost" else "lost"
        self.match_title.setText(f"Matches for #{post.id} ({post.kind}) among {other} posts")
        service = self.service
        if service is None or service.vectors is None or post.id not in set(service.vectors.ids.tolist()):
            self.match_title.setText(self.match_title.text() + " — embedding…")
            return
        settings = self.settings()
        found = rank(service.vectors, post.id, settings, service.calibration, k=20)
        posts = {p.id: p for p in self.posts_model.posts}
        line_drawn = False
        for m in found:
            if not m.similar and not line_drawn:
                self._threshold_row(settings.similar_threshold)
                line_drawn = True
            self._match_row(m, posts.get(m.post_id))
        if not line_drawn:
            self._threshold_row(settings.similar_threshold)
        self.current_matches = found

    def _threshold_row(self, threshold: float) -> None:
        row = self.matches.rowCount()
        self.matches.insertRow(row)
        item = QTableWidgetItem(f"──────── similar ≥ {threshold:.2f} above this line ────────")
        item.setForeground(QColor("#c0392b"))
        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        self.matches.setItem(row, 0, item)
        self.matches.setSpan(row, 0, 1, len(MATCH_COLUMNS))
        self.matches.setRowHeight(row, 22)

    def _match_row(self, m, post: Post | None) -> None:
        row = self.matches.rowCount()
        self.matches.insertRow(row)
        thumb = QTableWidgetItem()
        if post is not None and post.image:
            thumb.setData(Qt.ItemDataRole.DecorationRole, thumbnail(post.image, THUMB))
        cells = [thumb, QTableWidgetItem(str(m.post_id)), QTableWidgetItem(score_text(m.score)),
                 QTableWidgetItem(post.description if post else "?"),
                 QTableWidgetItem(format_breakdown(m.breakdown))]
        cells[2].setToolTip(f"score {m.score:.4f}: this pair is more alike than {m.score:.2%} of the "
                            "unrelated lost × found pairs in the store (calibrated per channel)")
        if m.similar:
            cells[2].setForeground(QColor("#27ae60"))
        from app.lostfound.breakdown import ROLE, breakdown_tooltip

        cells[4].setToolTip(breakdown_tooltip(m.breakdown))
        cells[4].setData(ROLE, m.breakdown)
        for col, item in enumerate(cells):
            item.setData(Qt.ItemDataRole.UserRole, m.post_id)
            self.matches.setItem(row, col, item)

    # -- actions ----------------------------------------------------------------
    def edit_post(self, post: Post | None):
        from app.pages.lostfound_dialog import PostDialog

        dialog = PostDialog(post, self)
        dialog.accepted.connect(lambda: self._save(dialog))
        dialog.open()
        return dialog

    def _save(self, dialog) -> None:
        from app.undo import record

        values = dialog.values()
        try:
            if dialog.original is not None and dialog.original.id:
                pid = dialog.original.id
                photo = dialog.photo.path if dialog.photo_changed and dialog.photo.path else None

                def change():
                    self.store.update(pid, photo=photo, **values)
                    if dialog.photo_changed and not dialog.photo.path:
                        self.store.remove_photo(pid)

                text = f"Edited post #{pid}"
                record(self.undo_stack, self.store, text, change, self._after_undo)
            else:
                pid = record(self.undo_stack, self.store, "Added a post",
                             lambda: self.store.add(Post(**values), photo=dialog.photo.path).id, self._after_undo)
                text = f"Added post #{pid}"
                self.undo_stack.command(self.undo_stack.count() - 1).setText(text)
            self.note.setText(f"{text}. Edit → Undo (Ctrl+Z) takes it back.")
        except (PostError, OSError, ValueError) as exc:
            self.last_error = str(exc)
            QMessageBox(QMessageBox.Icon.Warning, "Post not saved", str(exc), parent=self).open()
            return
        self.posts_model.set_posts(self.store.list())
        self.select_post(pid)
        self.refresh_vectors()

    def set_status(self, post_id: int, status: str) -> None:
        """A status change (returned, reopened): one undoable step."""
        from app.undo import record

        record(self.undo_stack, self.store, f"Post #{post_id}: status {status}",
               lambda: self.store.update(post_id, status=status), self._after_undo)
        self.note.setText(f"Post #{post_id} is now '{status}'. Edit → Undo (Ctrl+Z) takes it back.")
        self.posts_model.set_posts(self.store.list())
        self.select_post(post_id)

    def delete_selected(self) -> None:
        post = self.selected_post()
        if post is None:
            return
        from app.undo import record

        record(self.undo_stack, self.store, f"Deleted post #{post.id}", lambda: self.store.delete(post.id),
               self._after_undo)
        self.note.setText(f"Post #{post.id} deleted. Edit → Undo (Ctrl+Z) brings it back.")
        self.reload_posts()

    def undo_delete(self) -> None:
        """The last edit (a delete, an edit, an add) undone: Edit → Undo does the same."""
        if self.undo_stack.canUndo():
            import re

            text = self.undo_stack.undoText()
            self.undo_stack.undo()
            self.note.setText(f"Undone: {text}.")
            restored = re.match(r"Deleted post #(\d+)", text)
            if restored:
                self.select_post(int(restored.group(1)))

    def _after_undo(self) -> None:
        self.posts_model.set_posts(self.store.list())
        self.refresh_vectors()

    def import_posts(self, path: str | None):
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Import posts", "", "Posts (*.csv *.json)")
        if not path:
            return None
        store_path = self.store.path

        def work(progress, cancelled):
            return PostStore(store_path).import_file(path)

        return self.context.jobs.submit(work, f"Lost & Found: import posts from {Path(path).name}", Lane.IO,
                                        on_done=self._imported, on_error=self._job_failed)

    def _imported(self, report) -> None:
        self.last_report = report
        text = report.summary()
        if report.messages():
            text += " — " + "; ".join(report.messages()[:8])
            if len(report.messages()) > 8:
                text += f"; … {len(report.messages()) - 8} more (see the job's details)"
        self.note.setText(text)
        self.reload_posts()

    def export_posts(self, path: str | None) -> int:
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, "Export posts", "posts.csv", "CSV (*.csv);;JSON (*.json)")
        if not path:
            return 0
        n = self.store.export(path)
        self.note.setText(f"{n} posts written to {path}")
        return n

    def find_all(self, path: str | None = None):
        service = self.service
        if service is None:
            self.note.setText("Posts are still being embedded; try again in a moment.")
            return None
        settings = self.settings()

        def work(progress, cancelled):
            return service.match_all(settings, 3, progress, cancelled)

        return self.context.jobs.submit(work, "Lost & Found: find all matches", Lane.IO,
                                        on_done=lambda rows: self._show_report(rows, path),
                                        on_error=self._job_failed)

    def _show_report(self, rows, path: str | None) -> None:
        self.last_report = rows
        self.note.setText(f"{len(rows)} likely matches for open posts.")
        if path is None:
            box = QMessageBox(QMessageBox.Icon.Information, "Find all matches",
                              f"{len(rows)} likely matches (score ≥ {self.threshold.value():.2f}) for open posts.",
                              parent=self)
            save = box.addButton("Export report…", QMessageBox.ButtonRole.AcceptRole)
            box.addButton(QMessageBox.StandardButton.Close)
            box.buttonClicked.connect(lambda b: b is save and self._export_report(rows, None))
            box.open()
        else:
            self._export_report(rows, path)

    def _export_report(self, rows, path: str | None) -> None:
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, "Export report", "matches.csv", "CSV (*.csv);;JSON (*.json)")
        if not path:
            return
        from dataclasses import asdict

        from core.fileio import atomic_write, csv_safe

        if path.lower().endswith(".json"):
            with atomic_write(path) as fh:
                json.dump([asdict(r) for r in rows], fh, ensure_ascii=False, indent=2)
        else:
            with atomic_write(path, newline="") as fh:
                w = csv.writer(fh)
                w.writerow(["post_id", "kind", "description", "match_id", "match_description", "score", "breakdown"])
                for r in rows:
                    w.writerow([r.post_id, r.kind, csv_safe(r.description), r.match_id, csv_safe(r.match_description),
                                r.score, csv_safe(format_breakdown(r.breakdown))])
        self.note.setText(f"Report with {len(rows)} matches written to {path}")

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._shown:
            self._shown = True
            self.refresh_vectors()
        QTimer.singleShot(0, self.update_matches)
