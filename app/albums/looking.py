"""Looking at the Albums page's photos: the viewer, duplicates side by side, "why here".

Double-click or Space on a photo in the grid opens :class:`app.viewer.PhotoViewer` on the photos
shown (the event, or the search / similar results) at that photo; its info panel adds the
photo's event and why it is there (the page's "Why here", ``core.albums.explain``). In the
"Duplicates & bursts" view the same gestures, the Compare button and the photo menu open the
photo's group in :class:`app.viewer.CompareDialog`, whose one action keeps the suggested photo
and moves the others into a folder (``app.albums.keep``: one undoable step).
"""

from __future__ import annotations

from pathlib import Path

from app.albums.grid import SIMILAR
from app.filedialogs import pick_folder
from core.albums.store import AlbumStore
from core.jobs import Lane


def explain_text(store, photo_id: int, index, time_gap_hours: float) -> str:
    """``core.albums.explain.explain_photo`` as one line for the page ("" if the photo is gone)."""
    from core.albums.explain import explain_photo

    vector_of = index.vector if index is not None else (lambda _path: None)
    try:
        lines = explain_photo(store, photo_id, vector_of, time_gap_hours)
    except KeyError:  # removed meanwhile
        return ""
    return "Why here: " + " ".join(lines)


class AlbumLooking:
    viewer = None
    compare_dialog = None

    # -- why here ---------------------------------------------------------------------
    def explain_later(self, photo_id: int):
        """Say why the photo is where it is, worked out on an I/O worker with its own store
        connection (explaining one photo among 10k took ~160 ms: too long for the UI thread);
        the answer is shown only if that photo is still the one selected."""
        self.why.setText("Why here: …")
        store_path, index = self.store.path, self.search_index
        gap = self.cluster_settings().time_gap_hours

        def work(progress, cancelled):
            with AlbumStore(store_path) as store:
                return explain_text(store, photo_id, index, gap)

        def done(text: str) -> None:
            sel = self.selected_photos()
            if len(sel) == 1 and sel[0].id == photo_id:
                self.why.setText(text)

        return self.context.jobs.submit(work, "Albums: why here", Lane.IO, on_done=done, internal=True,
                                        on_error=lambda job: self.why.setText(f"Why here: not known ({job.error})"))

    def explain(self, photo_id: int) -> str:
        """Why the photo is where it is, in a few lines, on this thread (tests, the CLI's twin)."""
        return explain_text(self.store, photo_id, self.search_index, self.cluster_settings().time_gap_hours)

    def _forget_photo_text(self) -> None:
        """Another group is shown: nothing selected, so no "Why here" or note of the photo before."""
        self.why.setText("")
        self.why.hide()
        self.photo_note.setText("")
        self.photo_note.setEnabled(False)

    # -- the viewer ---------------------------------------------------------------------
    def viewer_details(self, path: str) -> list[tuple[str, str]]:
        """The viewer's extra info rows for a photo of the album: its event and why it is there."""
        ids = self.store.photo_ids([path])
        if path not in ids:
            return [("Album", "no longer in the album")]
        photo = self.store.photo(ids[path])
        if photo.event_id is not None:
            event = self.store.event(photo.event_id).name
        else:
            event = "Could not read" if photo.error else "Unsure" if photo.unsure else "Unsorted"
        rows = [("Event", event)]
        if self._current == SIMILAR and self._similar is not None:
            rows.append(("Shown in", self.name_edit.text()))
        why = self.explain(photo.id).removeprefix("Why here: ")
        if why:
            rows.append(("Why here", why))
        return rows

    def open_viewer(self, row: int):
        """The photos shown, large, from ``row`` (double-click or Space on the grid); in the
        Duplicates view the photo's group side by side instead."""
        photos = self.grid_model.photos
        if not 0 <= row < len(photos):
            return None
        if self._duplicates_shown():
            return self.compare_group(photos[row].path)
        from app.viewer import PhotoViewer

        if self.viewer is not None:
            self.viewer.close()
        self.viewer = PhotoViewer([p.path for p in photos], row, self, details=self.viewer_details,
                                  title=self.name_edit.text() or "Albums")
        self.viewer.show()
        return self.viewer

    # -- duplicates -------------------------------------------------------------------
    def _duplicates_shown(self) -> bool:
        return self._current == SIMILAR and self._similar is not None and self._similar[2] == "duplicates"

    def duplicate_group_of(self, path: str):
        """The duplicates group (``core.albums.duplicates.DuplicateGroup``) holding ``path``."""
        return next((g for g in self.duplicate_groups if path in g.paths), None)

    def compare_selected(self):
        sel = self.selected_photos()
        if not sel and self.grid_model.photos:
            sel = self.grid_model.photos[:1]
        return self.compare_group(sel[0].path) if sel else None

    def compare_group(self, path: str):
        """The group of ``path`` side by side (the photos still in the album), the keeper marked."""
        from app.viewer import CompareDialog

        group = self.duplicate_group_of(path)
        here = self.store.paths()
        paths = [p for p in group.paths if p in here] if group is not None else []
        if group is None or len(paths) < 2 or group.keeper not in paths:
            self.note.setText(f"{Path(path).name}: its group has no other photo in the album now.")
            return None
        if self.compare_dialog is not None:
            self.compare_dialog.close()
        self.compare_dialog = CompareDialog(paths, group.keeper, group.why, self,
                                            on_keep=lambda keeper, others: bool(self.keep_suggested(group)))
        self.compare_dialog.show()
        return self.compare_dialog

    def keep_suggested(self, group, folder: str | None = None):
        """Keep the group's suggested photo, move the others (those still in the album) into a
        folder the user picks: one step on Edit → Undo. The (old, new) paths moved."""
        from dataclasses import replace

        from app.albums.keep import keep_and_move_aside

        here = self.store.paths()
        group = replace(group, paths=[p for p in group.paths if p in here])
        folder = folder or pick_folder(self, "duplicates", "Move the other photos of the group into…")
        if not folder:
            return []
        try:
            moved = keep_and_move_aside(self.undo_stack, self.store, group, folder, self.reload, self.note.setText)
        except OSError as exc:
            self.note.setText(f"Nothing was moved: {exc}")
            return []
        names = ", ".join(Path(old).name for old, _ in moved)
        self.note.setText(f"Kept {Path(group.keeper).name}; moved {names} to {folder} (out of the album). "
                          "Edit → Undo (Ctrl+Z) puts them back.")
        return moved
