"""The Albums group view (right): the group's name, note and caption, its representatives, the
photo grid, the selected photo's note and "why here", and the viewer on the photos shown. It shows
the session's current group (``show_group``) and asks for every change by a signal (the edits do
them): a rename, a note, a split, examples, a move, a removal."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.albums.chrome import FewLines, NameEdit, ThumbSize
from app.albums.grid import (
    ERRORS,
    REP,
    SIMILAR,
    THUMB,
    UNSORTED,
    UNSURE,
    GridCaptions,
    PhotoGridModel,
    hold_scroll,
    photos_text,
    select_ids,
)
from app.albums.looking import group_texts
from app.albums.session import AlbumSession, explain_text
from app.jobs import JobQueue
from app.thumbs import ThumbnailLoader, repaint_when_ready
from core.albums.store import AlbumStore, Photo
from core.jobs import Lane


class GroupView(QWidget):
    renamed = Signal(int, str)  # event id, its new name
    event_note_edited = Signal(int, str)  # event id, its note
    photo_note_edited = Signal(object, str)  # the Photo, its note
    split_requested = Signal(list)  # the selected photos
    examples_requested = Signal(object, list)  # the group shown, the selected photos
    remove_requested = Signal(list)  # the selected photos (Delete)
    move_requested = Signal(list, object)  # photo ids, an event id (None: Unsorted)
    unpin_requested = Signal(list)  # photo ids: re-clustering may place them again
    similar_requested = Signal(str)  # a photo's path: Find similar photos
    compare_requested = Signal(str)  # a photo's path: its duplicates group side by side

    def __init__(self, session: AlbumSession, jobs: JobQueue, loader: ThumbnailLoader,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.jobs, self.loader = session, jobs, loader
        self.viewer = None  # app.viewer.PhotoViewer, the last one opened
        self._reps_waiting: dict[str, QLabel] = {}  # path → the strip's label still blank for it
        self._shown_key = None  # the group the grid shows (shown again: the selection stays)
        self.name_edit = NameEdit()  # from its start, as wide as the name, the name as tooltip if cut
        self.name_edit.setPlaceholderText("Event name")
        self.name_edit.setStyleSheet("font-size: 15px; font-weight: 600")
        self.name_edit.editingFinished.connect(self._rename)
        self.caption = FewLines(3)
        self.caption.setStyleSheet("color: #44525f")
        self.event_note = QLineEdit()
        self.event_note.setMinimumWidth(160)  # the name takes the room it needs, the note the rest
        self.event_note.setPlaceholderText("A note on this event…")
        self.event_note.editingFinished.connect(self._event_note)
        self.reps = QHBoxLayout()
        self.reps.setSpacing(6)
        self.reps.setContentsMargins(0, 0, 0, 0)
        self.reps_box = QWidget()  # hidden while it has no photo (Unsorted, the searches)
        self.reps_box.setLayout(self.reps)
        self.reps_box.setFixedHeight(REP + 4)
        loader.ready.connect(self._rep_ready)
        self.grid_model = PhotoGridModel(loader, self)
        self.grid = QListView()
        self._build_grid()
        self.photo_note = QLineEdit()
        self.photo_note.setPlaceholderText("A note on this photo…")
        self.photo_note.setToolTip("A note on the selected photo: used for grouping in place of its caption")
        self.photo_note.editingFinished.connect(self._photo_note)
        self.split_button = QPushButton("Split off")
        self.split_button.setToolTip("Move the selected photos into a new event")
        self.split_button.clicked.connect(self._split)
        self.example_button = QPushButton("Use as examples")
        self.example_button.setToolTip("Define this event by the selected photos: "
                                       "new photos join the event whose examples they are nearest")
        self.example_button.clicked.connect(lambda: self.examples_requested.emit(self.session.current,
                                                                                 self.selected_photos()))
        self.compare_button = QPushButton("Compare…")
        self.compare_button.setToolTip("The selected photo's group side by side, what differs in bold: keep the "
                                       "suggested photo and move the others aside (double-click does it too)")
        self.compare_button.clicked.connect(self._compare_selected)
        self.compare_button.hide()  # the Duplicates & bursts view only
        self.thumb_size = ThumbSize(80, THUMB, THUMB)
        self.thumb_size.slider.valueChanged.connect(self._thumb_size_changed)
        self.why = FewLines(2)  # why the selected photo is where it is (core.albums.explain)
        self.why.setStyleSheet("color: #4a5a6a")
        self.why.hide()
        rv = QVBoxLayout(self)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.setSpacing(4)
        head = QHBoxLayout()
        head.addWidget(self.name_edit)
        head.addWidget(self.event_note, 1)
        rv.addLayout(head)
        about = QHBoxLayout()
        about.addWidget(self.caption, 1)
        about.addWidget(self.reps_box)
        rv.addLayout(about)
        rv.addWidget(self.grid, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.photo_note, 1)
        bottom.addWidget(self.thumb_size)
        for w in (self.compare_button, self.split_button, self.example_button):
            bottom.addWidget(w)
        rv.addLayout(bottom)
        rv.addWidget(self.why)
        session.current_changed.connect(lambda _key: self.show_group())

    def _build_grid(self) -> None:
        grid = self.grid
        grid.setModel(self.grid_model)
        repaint_when_ready(grid, self.grid_model)
        grid.setViewMode(QListView.ViewMode.IconMode)
        grid.setIconSize(QSize(THUMB, THUMB))
        grid.setGridSize(QSize(THUMB + 16, THUMB + 34))
        grid.setUniformItemSizes(True)
        grid.setResizeMode(QListView.ResizeMode.Adjust)
        grid.setMovement(QListView.Movement.Static)
        grid.setLayoutMode(QListView.LayoutMode.Batched)
        grid.setBatchSize(200)
        grid.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        grid.setWordWrap(True)  # the view's cells hold two lines; GridCaptions cuts each, never wraps
        self.captions = GridCaptions(grid)
        grid.setItemDelegate(self.captions)
        grid.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        grid.setDragEnabled(True)
        grid.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        grid.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        grid.customContextMenuRequested.connect(self._photo_menu)
        grid.selectionModel().selectionChanged.connect(lambda *_: self._photo_selected())
        self.remove_action = QAction("Remove from album", grid)
        self.remove_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.remove_action.setToolTip("Take the selected photos out of the album; the files stay on disk")
        self.remove_action.triggered.connect(lambda: self.remove_requested.emit(self.selected_photos()))
        grid.addAction(self.remove_action)
        from app.viewer import open_on_activate

        open_on_activate(grid, self.open_viewer)  # double-click or Space: the photo large

    # -- the group shown ----------------------------------------------------------------
    def show_group(self) -> None:
        self._fill()
        self.reps_box.setVisible(self.reps.count() > 0)  # no empty "Representative" strip

    def _fill(self) -> None:
        session, store = self.session, self.session.store
        key = session.current
        again = key == self._shown_key  # shown again (a regroup or an edit finished): its photos stay selected
        keep = {p.id for p in self.selected_photos()} if again else set()
        scrolled = self.grid.verticalScrollBar().value() if again else 0
        self._shown_key = key
        self._forget_photo_text()
        self.compare_button.setVisible(session.duplicates_shown())
        self._reps_waiting.clear()
        while self.reps.count():
            if w := self.reps.takeAt(0).widget():
                w.hide()  # gone now, not at the next turn of the event loop
                w.deleteLater()
        is_event = isinstance(key, int)
        scores = labels = None
        if is_event:
            e = store.event(key)
            photos = store.photos(key)
            self.name_edit.setText(e.name)
            text = f"“{e.caption}”" if e.caption else "Tags: " + ", ".join(e.tags) if e.tags else ""
            self.caption.setText(text + ("   ·   " if text else "") + photos_text(len(photos)))
            self.event_note.setText(e.note)
            by_id = {p.id: p for p in photos}
            self.reps.addWidget(QLabel("Examples:" if e.prototypes else "Representative:"))
            for pid in e.prototypes or e.representatives:
                if pid in by_id:
                    self.reps.addWidget(self._rep_label(by_id[pid]))
            self.reps.addStretch(1)
        elif key == SIMILAR and session.similar is not None:
            from core.albums.relevance import beats_text

            source, hits, kind = session.similar
            by_path = store.photos_at([path for path, _ in hits] + ([source] if kind is None else []))
            name, caption = group_texts(source, kind)
            self.name_edit.setText(name)
            self.caption.setText(caption)
            self.event_note.setText("")
            if kind == "duplicates":
                photos = [by_path[p] for p, _ in hits if p in by_path]
                labels = {by_path[p].id: label for p, label in hits if p in by_path}
            else:
                if kind is None and source in by_path:
                    self.reps.addWidget(QLabel("This photo:"))
                    self.reps.addWidget(self._rep_label(by_path[source]))
                    self.reps.addStretch(1)
                found = [(by_path[path], score) for path, score in hits if path in by_path]
                photos, scores = [p for p, _ in found], {p.id: s for p, s in found}
                labels = {p.id: beats_text(session.beats.get(p.path, float("nan"))) for p, _ in found}
        else:
            photos = store.photos(None if key == UNSORTED else key) if key else []
            self.name_edit.setText({UNSORTED: "Unsorted", UNSURE: "Unsure", ERRORS: "Could not read"}.get(key, ""))
            self.caption.setText({UNSORTED: "Photos no event claims. Drag them onto an event.",
                                  UNSURE: "Photos near more than one example event, or just short of one. "
                                          "Drag each onto its event.",
                                  ERRORS: "These files could not be read; they are kept here so nothing is lost. "
                                          "Hover for the reason."}.get(key, ""))
            self.event_note.setText("")
        for w in (self.name_edit, self.event_note, self.split_button, self.example_button):
            w.setEnabled(is_event or (w is self.split_button and not session.duplicates_shown()))
        if not self.grid_model.set_photos(photos, scores, labels=labels):  # the same photos: the grid,
            self._photo_selected()  # its place and its selection stay; the selected photo's note and why again
            return
        hold_scroll(self.grid, scrolled)  # the same group changed (photos moved out): it stays where it was
        select_ids(self.grid, keep)

    def _rep_label(self, photo: Photo) -> QLabel:
        """A photo of the strip above the grid (an event's representatives, Find similar's "This
        photo"): its thumbnail, or a blank square filled in place when the thumbnail comes."""
        label = QLabel()
        label.setFixedSize(REP, REP)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setToolTip(photo.path)
        if not self._show_rep(label, photo.path):
            label.setStyleSheet("background: #eef1f4")
            self._reps_waiting[photo.path] = label
        return label

    def _show_rep(self, label: QLabel, path: str) -> bool:
        pix = self.loader.pixmap(path)  # asks for it when it is not made yet
        if not pix:
            return False
        ratio = pix.devicePixelRatio()  # as many device pixels per point as the thumbnail has
        small = pix.scaled(round(REP * ratio), round(REP * ratio), Qt.AspectRatioMode.KeepAspectRatio,
                           Qt.TransformationMode.SmoothTransformation)
        small.setDevicePixelRatio(ratio)
        label.setStyleSheet("")
        label.setPixmap(small)
        return True

    def _rep_ready(self, path: str) -> None:
        label = self._reps_waiting.pop(path, None)
        if label is not None:
            self._show_rep(label, path)

    def _thumb_size_changed(self, size: int) -> None:
        self.grid.setIconSize(QSize(size, size))
        self.grid.setGridSize(QSize(size + 16, size + 34))

    # -- the selection --------------------------------------------------------------------
    def selected_photos(self) -> list[Photo]:
        return [self.grid_model.photos[i.row()] for i in self.grid.selectionModel().selectedIndexes()]

    def _photo_selected(self) -> None:
        sel = self.selected_photos()
        self.photo_note.setEnabled(len(sel) == 1)
        self.photo_note.setText(sel[0].note if len(sel) == 1 else "")
        self.why.setVisible(len(sel) == 1)
        if len(sel) == 1:
            self.explain_later(sel[0].id)

    def _forget_photo_text(self) -> None:
        """Another group is shown: nothing selected, so no "Why here" or note of the photo before."""
        self.why.setText("")
        self.why.hide()
        self.photo_note.setText("")
        self.photo_note.setEnabled(False)

    def explain_later(self, photo_id: int):
        """Say why the photo is where it is, worked out on an I/O worker with its own store
        connection (explaining one photo among 10k took ~160 ms: too long for the UI thread);
        the answer is shown only if that photo is still the one selected."""
        self.why.setText("Why here: …")
        store_path, index = self.session.store.path, self.session.search_index
        gap = self.session.cluster_settings().time_gap_hours

        def work(progress, cancelled):
            with AlbumStore(store_path) as store:
                return explain_text(store, photo_id, index, gap)

        def done(text: str) -> None:
            sel = self.selected_photos()
            if len(sel) == 1 and sel[0].id == photo_id:
                self.why.setText(text)

        return self.jobs.submit(work, "Albums: why here", Lane.IO, on_done=done, internal=True,
                                on_error=lambda job: self.why.setText(f"Why here: not known ({job.error})"))

    # -- what the user changes: asked for, the edits do it ---------------------------------
    def _rename(self) -> None:
        key, new = self.session.current, self.name_edit.text().strip()
        if isinstance(key, int) and new and new != self.session.store.event(key).name:
            self.renamed.emit(key, new)

    def _event_note(self) -> None:
        key = self.session.current
        if isinstance(key, int) and self.session.store.event(key).note != self.event_note.text():
            self.event_note_edited.emit(key, self.event_note.text())

    def _photo_note(self) -> None:
        sel = self.selected_photos()
        if len(sel) == 1 and sel[0].note != self.photo_note.text():
            self.photo_note_edited.emit(sel[0], self.photo_note.text())

    def _split(self) -> None:
        sel = self.selected_photos()
        if not sel:
            self.session.say("Select the photos to split off first.")
            return
        self.split_requested.emit(sel)

    def _photo_menu(self, pos) -> None:
        sel = self.selected_photos()
        if not sel:
            return
        ids = [p.id for p in sel]
        menu = QMenu(self)
        move = menu.addMenu("Move to")
        for e in self.session.store.events():
            move.addAction(e.name, lambda e=e: self.move_requested.emit(ids, e.id))
        move.addAction("Unsorted", lambda: self.move_requested.emit(ids, None))
        menu.addAction("View large (Space)", lambda: self.open_viewer(self.grid_model.photos.index(sel[0])))
        if self.session.duplicates_shown():
            menu.addAction("Compare the group side by side…", lambda: self.compare_requested.emit(sel[0].path))
        menu.addAction("Find similar photos", lambda: self.similar_requested.emit(sel[0].path))
        menu.addAction("Split off into a new event", lambda: self.split_requested.emit(sel))
        menu.addAction("Let re-clustering place them again", lambda: self.unpin_requested.emit(ids))
        menu.addSeparator()
        menu.addAction(self.remove_action)
        menu.popup(self.grid.viewport().mapToGlobal(pos))

    # -- looking ---------------------------------------------------------------------------
    def _compare_selected(self) -> None:
        sel = self.selected_photos() or self.grid_model.photos[:1]
        if sel:
            self.compare_requested.emit(sel[0].path)

    def open_viewer(self, row: int):
        """The photos shown, large, from ``row`` (double-click or Space on the grid); in the
        Duplicates view the photo's group side by side instead (``compare_requested``)."""
        photos = self.grid_model.photos
        if not 0 <= row < len(photos):
            return None
        if self.session.duplicates_shown():
            self.compare_requested.emit(photos[row].path)
            return None
        from app.viewer import PhotoViewer

        if self.viewer is not None:
            self.viewer.close()
        self.viewer = PhotoViewer([p.path for p in photos], row, self, details=self.viewer_details(),
                                  title=self.name_edit.text() or "Albums")
        self.viewer.show()
        return self.viewer

    def viewer_details(self):
        """The viewer's extra info rows for a photo of the album (its event and why it is there),
        as a callable the viewer runs off the UI thread: what it needs from the page (the store's
        file, the search index, the time gap, the name of the results shown) is read here, on
        the UI thread, and the store is read through a connection of the call's own."""
        shown_in = self.name_edit.text() if self.session.current == SIMILAR and self.session.similar else ""
        return partial(album_photo_details, str(self.session.store.path), self.session.search_index,
                       self.session.cluster_settings().time_gap_hours, shown_in)


def album_photo_details(store_path: str, index, time_gap_hours: float, shown_in: str,
                        path: str) -> list[tuple[str, str]]:
    """A photo's event (and the results it is shown in) and why it is there, from plain values
    only: it runs on the viewer's details thread, so it opens the album store itself and
    touches no widget and no connection of the UI thread."""
    with AlbumStore(store_path) as store:
        ids = store.photo_ids([path])
        if path not in ids:
            return [("Album", "no longer in the album")]
        photo = store.photo(ids[path])
        if photo.event_id is not None:
            event = store.event(photo.event_id).name
        else:
            event = "Could not read" if photo.error else "Unsure" if photo.unsure else "Unsorted"
        rows = [("Event", event)]
        if shown_in:
            rows.append(("Shown in", shown_in))
        why = explain_text(store, photo.id, index, time_gap_hours).removeprefix("Why here: ")
    if why:
        rows.append(("Why here", why))
    return rows
