"""The user's edits on an album: each one a single undoable step on the album store (Edit → Undo).

``AlbumEdits`` is built from the session and the page's undo stack; it asks where an edit needs
asking (``confirm``), records the step, has the views read the store again (``session.reload``)
and says what was done (``session.say``). Edits that call for a new grouping (examples, the
event names) emit ``regroup_wanted``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QInputDialog, QWidget

from app.albums.folders import FoldersDialog
from app.albums.grid import UNSORTED, photos_text
from app.albums.session import AlbumSession
from core.albums.store import Photo


def ask_nothing(key: str, question: str, detail: str) -> bool:
    """For edits built alone (a test): every question answered yes."""
    return True


class AlbumEdits(QObject):
    regroup_wanted = Signal()  # examples set, or the event names changed: group again

    def __init__(self, session: AlbumSession, undo_stack, parent: QWidget,
                 confirm: Callable[[str, str, str], bool] = ask_nothing) -> None:
        super().__init__(parent)
        self.session, self.undo_stack, self.widget, self.confirm = session, undo_stack, parent, confirm
        self._undo_index = 0
        undo_stack.indexChanged.connect(self._undo_moved)  # the note says what was undone, not "undo it"

    @property
    def store(self):
        return self.session.store

    def edit(self, text: str, change, reload: bool = True, events: list[int] | None = None):
        """Run a store edit as one undoable step (Edit → Undo, Ctrl+Z), show it, say what was done.
        ``events``: the edit changes these events' own rows alone (a name, a note): only they are
        read again, now and at its undo and redo (renaming one read the whole events list: ~50 ms
        of SQL at 100,000 photos, 2,262 events)."""
        from app.undo import record

        result = record(self.undo_stack, self.store, text, change, self.session.reload,
                        refresh_keys=self.session.rows_written)
        if events is not None:
            self.session.events_edited.emit(events)
        elif reload:
            self.session.reload()
        self.session.say(f"{text}. Edit → Undo (Ctrl+Z) takes it back.")
        return result

    def _undo_moved(self, index: int) -> None:
        """Edit → Undo / Redo moved the stack: the note says what was undone or done again (it said
        "Edit → Undo takes it back" of a step that is gone now). A new step sets its own note after."""
        was, self._undo_index = self._undo_index, index
        if index < was:
            self.session.say(f"Undone: {self.undo_stack.text(index)}. Edit → Redo (Ctrl+Shift+Z) does it again.")
        elif index > was:
            self.session.say(f"Done again: {self.undo_stack.text(index - 1)}. Edit → Undo (Ctrl+Z) takes it back.")

    def _show_keeping_note(self, key, text: str) -> None:
        """Show the group ``key`` (the result of an edit), the edit's note staying."""
        self.session.current = key
        self.session.reload()
        self.session.say(text)

    # -- events ---------------------------------------------------------------------------
    def rename(self, key, new: str) -> None:
        new = new.strip()
        if isinstance(key, int) and new and new != self.store.event(key).name:
            old = self.store.event(key).name
            self.edit(f"Renamed '{old}' to '{new}'", lambda: self.store.rename_event(key, new), events=[key])

    def rename_dialog(self, key) -> None:
        if isinstance(key, int):
            name, ok = QInputDialog.getText(self.widget, "Rename event", "Name:", text=self.store.event(key).name)
            if ok and name.strip():
                self.rename(key, name)

    def set_event_note(self, key, text: str) -> None:
        if isinstance(key, int) and self.store.event(key).note != text:
            self.edit("Saved the event's note", lambda: self.store.set_event_note(key, text), events=[key])

    def merge(self, ids: list[int]) -> None:
        ids = [i for i in ids if isinstance(i, int)]
        if len(ids) < 2:
            self.session.say("Select two or more events (Ctrl+click) to merge them.")
            return
        names = [self.store.event(i).name for i in ids]
        text = f"Merged {len(ids)} events into '{names[0]}'"
        merged = self.edit(text, lambda: self.store.merge_events(ids), reload=False)
        self._show_keeping_note(merged, f"{text}. Edit → Undo (Ctrl+Z) takes it back.")

    def dissolve(self, key) -> None:
        if isinstance(key, int):
            event = self.store.event(key)
            if not self.confirm("dissolve", f"Dissolve '{event.name}'?",
                                f"Its {photos_text(event.photo_count)} go back to Unsorted (Edit → Undo brings "
                                "the event back)."):
                return
            text = f"Dissolved '{event.name}'"
            self.edit(text, lambda: self.store.delete_event(key), reload=False)
            self._show_keeping_note(UNSORTED, f"{text}. Edit → Undo (Ctrl+Z) takes it back.")

    def use_as_examples(self, key, photos: list[Photo]) -> None:
        if not isinstance(key, int) or not photos:
            self.session.say("Open an event and select the photos that define it.")
            return
        self.store.set_prototypes(key, [p.id for p in photos])
        self.session.say(f"{len(photos)} example(s) set; re-clustering assigns photos near them to this event.")
        self.regroup_wanted.emit()

    def edit_vocabulary(self):
        """Albums → Event names…: a changed list names the events again (offline as with CLIP)."""
        from app.albums.vocabulary import VocabularyDialog

        dialog = VocabularyDialog(self.store.vocabulary(), self.widget)

        def save() -> None:
            if dialog.words() != self.store.vocabulary():
                self.store.set_vocabulary(dialog.words())
                self.regroup_wanted.emit()

        dialog.accepted.connect(save)
        dialog.open()
        return dialog

    # -- photos ---------------------------------------------------------------------------
    def set_photo_note(self, photo: Photo, text: str) -> None:
        if photo.note != text:
            self.edit(f"Saved the note on {Path(photo.path).name}",
                      lambda: self.store.set_photo_note(photo.id, text), reload=False)
            photo.note = text

    def move_photos(self, ids: list[int], event_id: int | None) -> None:
        where = "Unsorted" if event_id is None else f"'{self.store.event(event_id).name}'"
        self.edit(f"Moved {photos_text(len(ids))} to {where} (re-clustering leaves them there)",
                  lambda: self.store.move_photos(ids, event_id))

    def photos_dropped(self, ids: list[int], key) -> None:
        self.move_photos(ids, None if key == UNSORTED else key)

    def split(self, photos: list[Photo]) -> None:
        if not photos:
            self.session.say("Select the photos to split off first.")
            return
        text = f"Split {photos_text(len(photos))} off into a new event"
        new = self.edit(text, lambda: self.store.split_event([p.id for p in photos]), reload=False)
        self._show_keeping_note(new, f"{text}. Edit → Undo (Ctrl+Z) takes it back.")

    def unpin(self, ids: list[int]) -> None:
        self.store.unpin(ids)
        self.session.reload()

    def remove_photos(self, ids: list[int]) -> int:
        """Out of the album, files untouched; scanning their folder again does not bring them back."""
        if not ids:
            return 0
        return self.edit(f"Removed {photos_text(len(ids))} from the album (the files are untouched)",
                         lambda: self.store.remove_photos(ids))

    def remove_selected(self, photos: list[Photo]) -> int:
        """Delete / the photo menu: asks first when more than one photo goes (once, with "Don't ask again")."""
        ids = [p.id for p in photos]
        if len(ids) > 1 and not self.confirm(
                "remove_photos", f"Remove {photos_text(len(ids))} from the album?",
                "The files stay on disk and a re-scan does not bring them back; Edit → Undo does."):
            return 0
        return self.remove_photos(ids)

    # -- folders --------------------------------------------------------------------------
    def remove_folder(self, folder: str) -> int:
        return self.edit(f"Stopped watching {folder} (the files are untouched)",
                         lambda: self.store.remove_folder(folder))

    def manage_folders(self) -> None:
        dialog = FoldersDialog(self.store.folders(), self.widget)

        def remove(folder: str) -> None:
            if self.confirm("remove_folder", f"Stop watching {folder}?",
                            "Its photos leave the album (unless another watched folder covers them) and their "
                            "events lose them. The files are not touched; Edit → Undo brings them back."):
                self.remove_folder(folder)
                dialog.set_folders(self.store.folders())

        dialog.remove_requested.connect(remove)
        dialog.exec()
