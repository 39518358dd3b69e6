"""The Lost & Found workspace: posts, and ranked matches with a weight slider.

The page holds the tool bar, the model choice and the note, and assembles its parts over a
shared ``LostFoundSession`` (the store, its posts, the matcher): the posts list with the selected
post in full (``PostsPanel``), the matches with their controls (``MatchesPanel``), the undoable
edits (``PostEdits``) and the file work (``PostFiles``).
"""

from __future__ import annotations

import json

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QSplitter, QToolBar, QVBoxLayout

from app.lostfound.edits import PostEdits
from app.lostfound.files import PostFiles, dropped_paths
from app.lostfound.models import THUMB
from app.lostfound.session import LostFoundSession
from app.widgets import fit_to_current_text
from app.workspace import PageContext, WorkspacePage
from core.jobs import Lane, Priority
from core.lostfound.match import MatchSettings
from core.lostfound.store import Post, PostStore

IMPORT_READ_ALONE = 2000  # an import of more posts reads every post again


class LostFoundPage(WorkspacePage):
    title = "Lost & Found"
    icon = "lostfound"
    summary = ("Keep lost and found posts, with an optional photo and Korean or English text, "
               "and see ranked matches for each.")

    def __init__(self, context: PageContext, parent=None) -> None:
        super().__init__(context, parent)
        self.session = LostFoundSession(PostStore(), self)
        from app.undo import new_stack

        self.undo_stack = new_stack(self)  # add, edit, delete: Edit → Undo / Redo (Ctrl+Z / Ctrl+Shift+Z)
        self.last_report = None
        self.last_error: str | None = None
        self.edits = PostEdits(self.session, self.undo_stack, self)
        self.edits.message.connect(lambda text: self.note.setText(text))
        self.edits.failed.connect(self._save_failed)
        self.edits.edited.connect(self._edited)
        self.edits.reload.connect(lambda: self.reload_posts())
        self.edits.changed.connect(self.reload_posts)
        self.files = PostFiles(self.session, context.jobs, lambda: self.matches_panel.settings(), self)
        self.files.message.connect(lambda text: self.note.setText(text))
        self.files.imported.connect(self._imported)
        self.files.report.connect(self._report)
        self.files.failed.connect(self._job_failed)
        self._build()
        self.setAcceptDrops(True)  # a photo dropped starts a post with it; a CSV / JSON is imported
        self._shown = False  # models load on first show, not at start-up
        shown = self.view_state().kept("selected")  # read before the reload selects anything
        self.reload_posts()
        if shown is not None and str(shown).isdigit():
            self.select_post(int(shown))  # the post selected when the app closed, if it is still there

    @property
    def store(self) -> PostStore:
        return self.session.store

    @property
    def service(self):
        return self.session.service

    # -- layout -----------------------------------------------------------------
    def _build(self) -> None:
        bar = QToolBar()
        self.add_action = QAction("Add post", self)
        self.add_action.triggered.connect(lambda: self.edit_post(None))
        self.edit_action = QAction("Edit", self)
        self.edit_action.triggered.connect(lambda: self.edit_post(self.selected_post()))
        self.delete_action = QAction("Delete", self, shortcut=QKeySequence.StandardKey.Delete)
        self.delete_action.triggered.connect(self.delete_selected)
        # "Undo" whatever it undoes (what, in its tooltip): "Undo delete post #3" grew the button and
        # shifted the others; Ctrl+Z lives in Edit → Undo
        self.undo_action = QAction("Undo", self)
        self.undo_action.triggered.connect(self.undo_stack.undo)
        self.undo_action.setEnabled(self.undo_stack.canUndo())
        self.undo_stack.canUndoChanged.connect(self.undo_action.setEnabled)
        self.undo_stack.undoTextChanged.connect(
            lambda text: self.undo_action.setToolTip(f"Undo {text}" if text else "Nothing to undo"))
        self.undo_action.setToolTip("Nothing to undo")
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
        fit_to_current_text(self.model_choice)
        bar.addWidget(self.model_choice)

        from app.lostfound.matches import MatchesPanel
        from app.lostfound.posts import PostsPanel
        from app.thumbs import ThumbnailLoader

        self.loader = ThumbnailLoader(THUMB, parent=self)  # photos off the UI thread
        self.posts_panel = PostsPanel(self.session, self.loader)  # the posts (left)
        self.search_field = self.posts_panel.search  # Edit → Find (Ctrl+F) comes here
        self.matches_panel = MatchesPanel(self.session, self.loader)  # the matches (right)
        self.posts_panel.selected.connect(self.matches_panel.show_post)
        self.posts_panel.selected.connect(self._remember_selected)
        self.posts_panel.edit_requested.connect(self.edit_post)
        self.posts_panel.status_requested.connect(self.edits.set_status)
        self.posts_panel.photo_requested.connect(self.open_post_photo)
        split = QSplitter()
        split.addWidget(self.posts_panel)
        split.addWidget(self.matches_panel)
        split.setSizes([560, 640])
        from app.widgets import JobStrip

        layout = QVBoxLayout(self)
        layout.addWidget(bar)
        layout.addWidget(split, 1)
        # under the tables, beside the note: no empty band while no job runs, and a job starting or
        # ending moves nothing under the pointer (above them it pushed both tables down ~32 px)
        self.job_strip = JobStrip(self.context.jobs, "Lost & Found:")
        policy = self.job_strip.sizePolicy()
        policy.setRetainSizeWhenHidden(False)
        self.job_strip.setSizePolicy(policy)
        layout.addWidget(self.job_strip)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #5a6a7a")
        layout.addWidget(self.note)
        posts, matches = self.posts_panel, self.matches_panel
        for name, w in (("text share", matches.slider), ("image gate", matches.use_image_gate),
                        ("gate", matches.image_gate), ("category cap", matches.use_category_gate),
                        ("cap", matches.category_cap), ("similar", matches.threshold), ("show", posts.kind_filter),
                        ("posts : detail", posts.split), ("posts : matches", split),
                        ("post columns", posts.table.horizontalHeader()),
                        ("match columns", matches.matches.horizontalHeader())):
            self.keep_view(name, w)  # the user's settings of the view, back after a restart
        self.keep_view("model", self.model_choice, quiet=True)  # read when the models load
        self._fall_back_if_missing()

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

    # -- data -------------------------------------------------------------------
    def settings(self) -> MatchSettings:
        return self.matches_panel.settings()

    def reload_posts(self, post_ids: list[int] | None = None) -> None:
        """Every post read again, or only ``post_ids`` (an edit, a delete of a few)."""
        if post_ids is None:
            self.session.reload()  # the posts list keeps the selected post selected
        else:
            self.session.refresh(post_ids)
        if not self.session.posts:
            self.note.setText("No posts yet: use Add post, or Import a CSV/JSON file "
                              "(columns kind,image,description,category,storage_location,status,place,date).")
        if self._shown:
            self.refresh_vectors()

    def select_post(self, post_id: int) -> bool:
        return self.posts_panel.select_post(post_id)

    def selected_post(self) -> Post | None:
        return self.posts_panel.selected_post()

    def _remember_selected(self, post: Post | None) -> None:
        if post is not None:
            self.view_state().remember("selected", post.id)

    def _model_changed(self) -> None:
        self.session.service = None  # the next refresh builds the chosen embedder (the matches wait for it)
        self.refresh_vectors()

    def refresh_vectors(self):
        """Embed new posts on the model worker (cached ones cost a look-up)."""
        ctx = self.context
        store = self.store
        clip = self.model_choice.currentData()
        service = self.service
        label = self.matches_panel.model_label
        if service is None and not self.session.posts:  # nothing to embed: no model loaded yet
            label.setText("Models: they load with the first post")
            return None
        if service is None:  # what the label says while the models load (progress in the strip)
            label.setText("Models: loading the text and image models…")

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
        models = service.vectors.models
        label = self.matches_panel.model_label
        label.setText(f"Models: text {models['text']['preset']}, image {models['image']['preset']}")
        label.setToolTip(json.dumps(models, ensure_ascii=False, indent=1))
        problems = [f"post #{pid}: {msg}" for pid, msg in service.vectors.errors]
        self.note.setText(("Photos that could not be read (matched on text): " + "; ".join(problems))
                          if problems else "")
        self.session.set_service(service)  # the matches are ranked again

    def _job_failed(self, job) -> None:
        self.last_error = job.error
        self.note.setText(f"{job.name} failed: {job.error}")

    # -- edits (one undoable step each) and files ------------------------------------
    def open_post_photo(self, post_id: int):
        """The post's photo in the viewer (then its matches' photos, → ); the note says so where
        the post has none."""
        shown = self.matches_panel.post  # the selected post, whose matches are shown
        viewer = self.matches_panel.open_viewer(-1) if shown is not None and shown.id == post_id else None
        if viewer is None:
            self.note.setText(f"Post #{post_id} has no photo to show")
        return viewer

    def edit_post(self, post: Post | None):
        return self.edits.edit_post(post)

    def delete_selected(self) -> None:
        self.edits.delete(self.selected_post())

    def undo_delete(self) -> None:
        self.edits.undo_delete()

    def _after_undo(self) -> None:
        self.edits.after_undo()

    def _edited(self, post_id: int, embed: bool) -> None:
        self.session.refresh([post_id])  # that post read again, not all of them
        self.select_post(post_id)
        if embed:
            self.refresh_vectors()

    def _save_failed(self, error: str) -> None:
        self.last_error = error

    def import_posts(self, path: str | None):
        return self.files.import_posts(path)

    def export_posts(self, path: str | None) -> int:
        return self.files.export_posts(path)

    def find_all(self, path: str | None = None):
        return self.files.find_all(path)

    def _imported(self, report) -> None:
        """The posts an import added read alone (an import of a few into 100,000 posts read them all:
        ~0.5 s of the window); a large import reads every post again (one reset beats thousands of
        rows inserted one by one)."""
        self.last_report = report
        added = list(report.added)
        self.reload_posts(added if len(added) <= IMPORT_READ_ALONE else None)

    def _report(self, rows: list) -> None:
        self.last_report = rows

    # -- drops: a photo starts a new post with it, a CSV or JSON file is imported ----------------
    def dragEnterEvent(self, event) -> None:  # Qt API
        if dropped_paths(event):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # Qt API
        from pathlib import Path

        paths = dropped_paths(event)
        if not paths:
            return
        event.acceptProposedAction()
        first, rest = paths[0], len(paths) - 1
        if first.lower().endswith((".csv", ".json")):
            self.import_posts(first)
        else:
            self.edit_post(None).photo.set_path(first)  # the form, with the photo: the user adds the words
        if rest:
            self.note.setText(f"Dropped {rest + 1} files: only {Path(first).name} was taken (one post, or one "
                              f"file to import, at a time)")

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
        QTimer.singleShot(0, self.matches_panel.update_matches)
