"""The Albums workspace: photo folders grouped into named events.

The page assembles its parts over one shared ``AlbumSession`` (the album store, the group shown,
the search results, the tuning): the tool bar with the tuning panel (``AlbumToolBar``), the events
panel (``EventsPanel``), the group view (``GroupView``), the undoable edits (``AlbumEdits``), the
jobs (``AlbumJobs``) and duplicates side by side (``DuplicatesReview``). The parts never reach into
one another: the page connects their signals. Reads and the user's edits go straight to the album
store on the UI thread (small SQLite writes); indexing, captioning and re-clustering run as jobs
on the model worker, through one ``core.albums.pipeline.Album`` that lives there.
"""

from __future__ import annotations

import json
from operator import attrgetter
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QPushButton, QSplitter, QStackedWidget, QVBoxLayout, QWidget

from app.albums.chrome import ClosableBanner, FewLines
from app.albums.edits import AlbumEdits
from app.albums.events import EventsPanel
from app.albums.grid import SIMILAR, THUMB
from app.albums.group import GroupView
from app.albums.jobs import AlbumJobs
from app.albums.looking import DuplicatesReview
from app.albums.session import AlbumSession
from app.albums.toolbar import AlbumToolBar
from app.thumbs import ThumbnailLoader
from app.workspace import PageContext, WorkspacePage
from core.images import is_image_path
from core.paths import resource

DEMO_NOTE = ("<b>Demo album</b>: 15 real photos (CC BY-SA 4.0): a walk in Arezzo with capture times and GPS, "
             "two pairs of shots taken minutes apart and two single photos. Time and place cut them into three "
             "events; the singles stay in <i>Unsorted</i>. It shows the time-and-place grouping, not a whole "
             "collection: add your own folder for that.")


def _part(path: str) -> property:
    """A part's widget or value under the name the page had before it was split into parts."""
    return property(attrgetter(path))


class AlbumsPage(WorkspacePage):
    title = "Albums"
    icon = "albums"
    summary = ("Drop photo folders here and Simscope groups them into events, each with a name, "
               "a caption and representative photos.")

    # the names the window, the demo and the tests reach, kept on the page (read-only)
    store, search_index = _part("session.store"), _part("session.search_index")
    events, word_search = _part("events_panel.list"), _part("events_panel.search")
    grid, grid_model, why = _part("group.grid"), _part("group.grid_model"), _part("group.why")
    name_edit, caption = _part("group.name_edit"), _part("group.caption")
    event_note, photo_note = _part("group.event_note"), _part("group.photo_note")
    model_choice, min_size = _part("toolbar.model_choice"), _part("toolbar.min_size")
    time_slider, loose_slider = _part("toolbar.time_slider"), _part("toolbar.loose_slider")
    viewer, compare_dialog = _part("group.viewer"), _part("duplicates.compare_dialog")

    def __init__(self, context: PageContext, parent=None) -> None:
        super().__init__(context, parent)
        from app.undo import new_stack

        self.session = AlbumSession(parent=self)
        # Edit → Undo / Redo (the window's QUndoGroup), limited; its parent is set after the edits that
        # listen to it are made, so it goes after them (its clear() on the way out tells no one)
        self.undo_stack = new_stack()
        self.loader = ThumbnailLoader(THUMB, memory_items=1200, parent=self)  # ~5 screens of a large grid
        self.toolbar = AlbumToolBar(self.session)
        self.events_panel = EventsPanel(self.session, self.loader, context.jobs)
        self.search_field = self.events_panel.search  # Edit → Find (Ctrl+F)
        self.group = GroupView(self.session, context.jobs, self.loader)
        self.edits = AlbumEdits(self.session, self.undo_stack, self, self.confirm)
        self.album_jobs = AlbumJobs(self.session, context.jobs, context.models, context.cache, self.undo_stack, self)
        self.duplicates = DuplicatesReview(self.session, self.undo_stack, self)
        self.undo_stack.setParent(self)
        self._shown = False
        self._demo_album = False
        self.setAcceptDrops(True)
        self._build()
        self._connect()
        self.keep_view("events : photos", self.split)
        self.keep_view("thumbnail size", self.group.thumb_size.slider)
        self.keep_view("demo note closed", self.demo_banner.close_button)
        saved = self.view_state().kept("shown")  # read before the reload shows a group
        self.reload()
        self._reopen_shown(saved)

    # -- the page's API: what the window, the demo and the tests call ---------------------------
    def add_paths(self, paths: list[str] | None):
        return self.album_jobs.add_paths(paths)

    def regroup(self):
        return self.album_jobs.regroup()

    def export(self, folder: str | None, mode: str | None = None):
        return self.album_jobs.export(folder, mode)

    def find_similar(self, path: str, k: int = 40) -> list[tuple[str, float]]:
        return self.album_jobs.find_similar(path, k)

    def find_duplicates(self):
        return self.album_jobs.find_duplicates()

    def search_words(self, query: str, k: int = 60):
        return self.album_jobs.search_words(query, k)

    def current_key(self):
        return self.session.current

    def cluster_settings(self):
        return self.session.cluster_settings()

    def explain(self, photo_id: int) -> str:
        return self.session.explain(photo_id)

    def selected_photos(self):
        return self.group.selected_photos()

    def open_viewer(self, row: int):
        """The photos shown, large, from ``row``; in the Duplicates view the photo's group side by side."""
        if self.session.duplicates_shown() and 0 <= row < len(self.grid_model.photos):
            return self.duplicates.compare_group(self.grid_model.photos[row].path)
        return self.group.open_viewer(row)

    # -- layout -----------------------------------------------------------------------------
    def _build(self) -> None:
        split = QSplitter()
        split.addWidget(self.events_panel)
        split.addWidget(self.group)
        split.setStretchFactor(1, 1)
        split.setSizes([280, 900])
        self.split = split
        self.empty = self._empty_album()
        self.body = QStackedWidget()
        self.body.addWidget(split)
        self.body.addWidget(self.empty)
        layout = QVBoxLayout(self)
        layout.setSpacing(4)
        layout.addWidget(self.toolbar)
        self.demo_banner = ClosableBanner(DEMO_NOTE, "demoBanner")
        self.demo_banner.hide()
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

    def _connect(self) -> None:
        session, bar, events, group = self.session, self.toolbar, self.events_panel, self.group
        edits, work = self.edits, self.album_jobs
        session.changed.connect(self.reload)
        session.results_changed.connect(self._results_changed)
        session.events_edited.connect(self._events_edited)
        session.current_changed.connect(self._remember_shown)
        session.message.connect(self.note.setText)
        work.details.connect(self.note.setToolTip)
        bar.add_action.triggered.connect(lambda: work.add_paths(None))
        bar.regroup_action.triggered.connect(work.regroup)
        bar.export_action.triggered.connect(lambda: work.export(None))
        bar.duplicates_action.triggered.connect(work.find_duplicates)
        bar.vocab_action.triggered.connect(edits.edit_vocabulary)
        bar.folders_action.triggered.connect(edits.manage_folders)
        bar.tuning_changed.connect(work.debounce.start)
        bar.model_changed.connect(self._model_changed)
        events.selected.connect(session.select)
        events.merge_requested.connect(edits.merge)
        events.dissolve_requested.connect(edits.dissolve)
        events.rename_requested.connect(edits.rename_dialog)
        events.photos_dropped.connect(edits.photos_dropped)
        events.search_requested.connect(work.search_words)
        events.search_cleared.connect(self._search_cleared)
        group.renamed.connect(edits.rename)
        group.event_note_edited.connect(edits.set_event_note)
        group.photo_note_edited.connect(edits.set_photo_note)
        group.split_requested.connect(edits.split)
        group.examples_requested.connect(edits.use_as_examples)
        group.remove_requested.connect(edits.remove_selected)
        group.move_requested.connect(edits.move_photos)
        group.unpin_requested.connect(edits.unpin)
        group.similar_requested.connect(work.find_similar)
        group.compare_requested.connect(self.duplicates.compare_group)
        edits.regroup_wanted.connect(work.regroup)

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
        button.clicked.connect(self.toolbar.add_action.trigger)
        at = layout.count() - 1  # above the closing stretch
        layout.insertWidget(at, hint, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.insertWidget(at + 1, button, 0, Qt.AlignmentFlag.AlignHCenter)
        return box

    def _show_demo_note(self) -> None:
        self.demo_banner.setVisible(self._demo_album and not self.demo_banner.close_button.isChecked())

    # -- the views ----------------------------------------------------------------------------
    def reload(self) -> None:
        """Events and groups from the store; keeps the current group selected."""
        self.events_panel.fill()
        self.session.select(self.events_panel.current_key())  # the group view shows it
        folders = self.store.folders()
        empty = not self.store.has_events() and not folders and not self.session.arriving
        demo = str(resource("demo", "album").resolve())
        self._demo_album = any(str(Path(f).resolve()) == demo for f in folders)
        self._show_demo_note()
        self.body.setCurrentWidget(self.empty if empty else self.split)
        if empty:
            self.note.setText("")  # the empty panel says what to do

    def _events_edited(self, ids: list) -> None:
        """Events renamed or their notes edited (or such an edit undone): their rows, and the group
        shown again when it is one of them; the other rows stay."""
        self.events_panel.update_events(ids)
        if self.session.current in ids:
            self.session.select(self.session.current)

    def _results_changed(self) -> None:
        self.events_panel.show_results()
        self.session.select(SIMILAR)  # the group view shows them

    def _remember_shown(self, key) -> None:
        if key not in (None, SIMILAR):
            self.view_state().remember("shown", json.dumps(key))  # back after a restart

    def _reopen_shown(self, saved) -> None:
        """The event (or Unsorted…) shown when the app closed, if it is still there."""
        rows = self.events_panel.keys()
        try:
            key = json.loads(saved) if saved else None
        except (TypeError, ValueError):
            return
        if key in rows and key != SIMILAR:
            self.events.setCurrentRow(rows.index(key))

    def _search_cleared(self) -> None:
        """The search box was emptied: its "Words: …" (and a "Similar to …") group and note go."""
        if self.session.clear_search():
            self.note.setText("")

    def _model_changed(self, _preset: str) -> None:
        self.session.save_tuning()  # the album's model, kept with it (back after a restart)
        if self._shown and self.store.folders():
            self.album_jobs.regroup()

    # -- drops and lifecycle -------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        urls = event.mimeData().urls()
        if urls and all(u.isLocalFile() for u in urls):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls()]
        paths = [p for p in paths if Path(p).is_dir() or is_image_path(p)]
        if paths:
            self.add_paths(paths)
            event.acceptProposedAction()
        else:
            self.note.setText("Drop folders or photos (JPEG, PNG, WebP, TIFF, HEIC).")

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._shown:
            self._shown = True
            QTimer.singleShot(0, self.events_panel.scroll_to_current)  # laid out now
            if self.store.folders():
                self.album_jobs.index_existing()  # cached: loads vectors so tuning is live; new files are added

    def shutdown(self) -> None:
        self.loader.stop()

    def release(self) -> None:
        self.session.close()
