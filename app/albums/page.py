"""The Albums workspace: photo folders grouped into named events.

Reads and the user's edits go straight to the album store on the UI thread
(small SQLite writes); indexing, captioning and re-clustering run as jobs on
the model worker, through one ``core.albums.pipeline.Album`` that lives there.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QLabel, QListWidgetItem, QStyle

from app.albums.edits import AlbumEdits
from app.albums.grid import ERRORS, REP, SIMILAR, THUMB, UNSORTED, UNSURE, photos_text
from app.albums.jobs import AlbumJobs
from app.albums.layout import AlbumsLayout
from app.albums.looking import AlbumLooking
from app.thumbs import ThumbnailLoader
from app.workspace import PageContext, WorkspacePage
from core.albums.cluster import ClusterSettings
from core.albums.events import PrototypeSettings
from core.albums.store import AlbumStore, Photo
from core.images import is_image_path
from core.paths import resource


class AlbumsPage(AlbumsLayout, AlbumEdits, AlbumJobs, AlbumLooking, WorkspacePage):
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
        # (photo or words, [(path, score)], None or "words"): the Similar / Words group shown
        self._similar: tuple[str, list[tuple[str, float]], str | None] | None = None
        self._beats: dict[str, float] = {}  # the Similar view: path → share of unrelated pairs it beats
        self.search_index = None  # core.search.SearchIndex of the album's photos, made by the last job
        self.duplicate_groups: list = []  # core.albums.duplicates.DuplicateGroup: the Duplicates view's
        from app.undo import new_stack

        self.undo_stack = new_stack(self)  # Edit → Undo / Redo (the window's QUndoGroup), limited
        self._undo_index = 0
        self.undo_stack.indexChanged.connect(self._undo_moved)  # the note says what was undone, not "undo it"
        self._arriving: set[int] = set()  # ids of add jobs still running
        context.jobs.job_finished.connect(lambda job: self._arriving.discard(job.id))
        self.setAcceptDrops(True)
        self._build()
        self._restore_tuning()
        self.keep_view("events : photos", self.split)
        self.keep_view("thumbnail size", self.thumb_size.slider)
        self.keep_view("demo note closed", self.demo_banner.close_button)
        from app.viewer import open_on_activate

        open_on_activate(self.grid, self.open_viewer)  # double-click or Space: the photo large
        self.word_search.textChanged.connect(lambda text: text or self._search_cleared())
        saved = self.view_state().kept("shown")  # read before the reload shows a group
        self.reload()
        self._reopen_shown(saved)

    def _reopen_shown(self, saved) -> None:
        """The event (or Unsorted…) shown when the app closed, if it is still there."""
        rows = [self.events.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.events.count())]
        try:
            key = json.loads(saved) if saved else None
        except (TypeError, ValueError):
            return
        if key in rows and key != SIMILAR:
            self.events.setCurrentRow(rows.index(key))

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
        for combo, key in ((self.metric, "metric"), (self.model_choice, "model")):  # the album's model too:
            index = combo.findData(saved.get(key))  # its events were made with it
            if index >= 0:
                combo.blockSignals(True)
                combo.setCurrentIndex(index)
                combo.blockSignals(False)

    def _save_tuning(self) -> None:
        values = {key: w.value() for key, w in self._tuning_widgets().items()}
        self.store.set_meta("tuning", {**values, "metric": self.metric.currentData(),
                                       "model": self.model_choice.currentData()})

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
            item = QListWidgetItem(self._tile(None), f"{e.name}\n{photos_text(e.photo_count)}{tag}")
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
                item = QListWidgetItem(self._tile(key), f"{label}\n{photos_text(n)}")
                item.setData(Qt.ItemDataRole.UserRole, key)
                item.setForeground(QColor("#5a6a7a" if key != ERRORS else "#b0413e"))
                self.events.addItem(item)
        if self._similar is not None:
            source, hits, kind = self._similar
            title = {"words": f"Words: {source}", "duplicates": "Duplicates & bursts"}.get(
                kind, f"Similar to {Path(source).name}")
            item = QListWidgetItem(self._tile(SIMILAR), f"{title}\n{photos_text(len(hits))}")
            item.setData(Qt.ItemDataRole.UserRole, SIMILAR)
            item.setToolTip(f"The photos matching “{source}”" if kind == "words"
                            else f"The photos nearest {source} across the album")
            self.events.addItem(item)
        self.events.blockSignals(False)
        self._update_icons()
        row = next((i for i in range(self.events.count())
                    if self.events.item(i).data(Qt.ItemDataRole.UserRole) == current), 0)
        self.events.blockSignals(True)  # one show_group below, not a second one from the signal
        self.events.setCurrentRow(row)
        self.events.blockSignals(False)
        self.events.scrollToItem(self.events.currentItem())  # the last event too, not cut off at the bottom
        self.show_group()
        folders = self.store.folders()
        empty = not events and not folders and not self._arriving
        demo = str(resource("demo", "album").resolve())
        self._demo_album = any(str(Path(f).resolve()) == demo for f in folders)
        self._show_demo_note()
        self.body.setCurrentWidget(self.empty if empty else self.split)
        if empty:
            self.note.setText("")  # the empty panel says what to do

    _GLYPHS = {UNSORTED: QStyle.StandardPixmap.SP_DirIcon, UNSURE: QStyle.StandardPixmap.SP_MessageBoxQuestion,
               ERRORS: QStyle.StandardPixmap.SP_MessageBoxWarning,
               SIMILAR: QStyle.StandardPixmap.SP_FileDialogContentsView}

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
        self._fill_group()
        self.reps_box.setVisible(self.reps.count() > 0)  # no empty "Representative" strip

    def _fill_group(self) -> None:
        key = self.current_key()
        self._current = key
        if key not in (None, SIMILAR):
            self.view_state().remember("shown", json.dumps(key))  # back after a restart
        is_event = isinstance(key, int)
        self._forget_photo_text()
        self.compare_button.setVisible(self._duplicates_shown())
        while self.reps.count():
            w = self.reps.takeAt(0).widget()
            if w:
                w.hide()  # gone now, not at the next turn of the event loop
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
            self.caption.setText(text + ("   ·   " if text else "") + photos_text(len(photos)))
            self.event_note.setText(e.note)
            by_id = {p.id: p for p in photos}
            reps = e.prototypes or e.representatives
            self.reps.addWidget(QLabel("Examples:" if e.prototypes else "Representative:"))
            for pid in reps:
                if pid in by_id:
                    self.reps.addWidget(self._rep_label(by_id[pid]))
            self.reps.addStretch(1)
        elif key == SIMILAR and self._similar is not None:
            from core.albums.relevance import CUT, beats_text, share_text

            source, hits, kind = self._similar
            by_path = {p.path: p for p in self.store.photos("all")}
            found = [(by_path[path], score) for path, score in hits if path in by_path]
            if kind == "duplicates":
                self.name_edit.setText("Duplicates & bursts")
                self.caption.setText(f"{source}. Each group: the suggested keeper first (most pixels, then the "
                                     "sharpest, then the most EXIF), then its copies. Nothing is deleted: "
                                     "select photos and use Remove, or move them elsewhere yourself.")
                self.event_note.setText("")
                for w in (self.name_edit, self.event_note, self.split_button, self.example_button):
                    w.setEnabled(False)
                self.grid_model.set_photos([by_path[p] for p, _ in hits if p in by_path],
                                           labels={by_path[p].id: label for p, label in hits if p in by_path})
                return
            if kind == "words":
                self.name_edit.setText(f"Words: {source}")
                self.caption.setText("Photos whose note, caption or tags are nearest these words, best first: "
                                     f"only those more alike than {share_text(CUT)} of unrelated pairs (everyday words "
                                     "against this album). Before each name the share they beat; hover for "
                                     "the cosine in the multilingual sentence space, or CLIP's score.")
            else:
                self.name_edit.setText(f"Similar to {Path(source).name}")
                if source in by_path:
                    self.reps.addWidget(QLabel("This photo:"))
                    self.reps.addWidget(self._rep_label(by_path[source]))
                    self.reps.addStretch(1)
                self.caption.setText("The photos nearest this one across the whole album, most alike first: "
                                     f"only those more alike than {share_text(CUT)} of random pairs of its photos. Before "
                                     "each name the share they beat; hover for the cosine of the image "
                                     "embeddings.")
            self.event_note.setText("")
            for w in (self.name_edit, self.event_note, self.split_button, self.example_button):
                w.setEnabled(w is self.split_button)
            self.grid_model.set_photos([p for p, _ in found], {p.id: s for p, s in found},
                                       labels={p.id: beats_text(self._beats.get(p.path, float("nan"))) for p, _ in found})
            return
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
        size = REP
        if pix:
            ratio = pix.devicePixelRatio()  # as many device pixels per point as the thumbnail has
            small = pix.scaled(round(size * ratio), round(size * ratio), Qt.AspectRatioMode.KeepAspectRatio,
                               Qt.TransformationMode.SmoothTransformation)
            small.setDevicePixelRatio(ratio)
            label.setPixmap(small)
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
        self.why.setVisible(len(sel) == 1)
        if len(sel) == 1:
            self.explain_later(sel[0].id)

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
            QTimer.singleShot(0, lambda: self.events.scrollToItem(self.events.currentItem()))  # laid out now
            if self.store.folders():
                self.index_existing()  # cached: loads vectors so tuning is live; new files are added

    def shutdown(self) -> None:
        self.loader.stop()

    def release(self) -> None:
        album = self._worker_state["album"]
        if album is not None:
            album.store.close()
        self.store.close()

