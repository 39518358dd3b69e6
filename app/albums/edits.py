"""The user's edits on the Albums page: each one a single undoable step on the album store (Edit → Undo)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QMenu

from app.albums.folders import FoldersDialog
from app.albums.grid import SIMILAR, UNSORTED, photos_text
from core.jobs import Priority


class AlbumEdits:
    # -- edits (saved at once) -------------------------------------------------------
    def edit(self, text: str, change, reload: bool = True):
        """Run a store edit as one undoable step (Edit → Undo, Ctrl+Z), show it, say what was done."""
        from app.undo import record

        result = record(self.undo_stack, self.store, text, change, self.reload)
        if reload:
            self.reload()
        self.note.setText(f"{text}. Edit → Undo (Ctrl+Z) takes it back.")
        return result

    def _undo_moved(self, index: int) -> None:
        """Edit → Undo / Redo moved the stack: the note says what was undone or done again (it said
        "Edit → Undo takes it back" of a step that is gone now). A new step sets its own note after."""
        was, self._undo_index = self._undo_index, index
        if index < was:
            self.note.setText(f"Undone: {self.undo_stack.text(index)}. Edit → Redo (Ctrl+Shift+Z) does it again.")
        elif index > was:
            self.note.setText(f"Done again: {self.undo_stack.text(index - 1)}. Edit → Undo (Ctrl+Z) takes it back.")

    def _search_cleared(self) -> None:
        """The search box was emptied: its "Words: …" (and a "Similar to …") group and note go."""
        if self._similar is None or self._similar[2] == "duplicates":
            return
        self._similar, self._beats = None, {}
        if self._current == SIMILAR:
            self._current = None  # the first event
        self.reload()
        self.note.setText("")

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
        n = self.edit(f"Removed {photos_text(len(ids))} from the album (the files are untouched)",
                      lambda: self.store.remove_photos(ids))
        return n

    def remove_selected(self) -> int:
        """Delete / the photo menu: asks first when more than one photo goes (once, with "Don't ask again")."""
        ids = [p.id for p in self.selected_photos()]
        if len(ids) > 1 and not self.confirm(
                "remove_photos", f"Remove {photos_text(len(ids))} from the album?",
                "The files stay on disk and a re-scan does not bring them back; Edit → Undo does."):
            return 0
        return self.remove_photos(ids)

    def remove_folder(self, folder: str) -> int:
        n = self.edit(f"Stopped watching {folder} (the files are untouched)", lambda: self.store.remove_folder(folder))
        return n

    def manage_folders(self) -> None:
        dialog = FoldersDialog(self.store.folders(), self)
        def remove(folder: str) -> None:
            if self.confirm("remove_folder", f"Stop watching {folder}?",
                            "Its photos leave the album (unless another watched folder covers them) and their "
                            "events lose them. The files are not touched; Edit → Undo brings them back."):
                self.remove_folder(folder)
                dialog.set_folders(self.store.folders())

        dialog.remove_requested.connect(remove)
        dialog.exec()

    def move_photos(self, ids: list[int], event_id: int | None) -> None:
        where = "Unsorted" if event_id is None else f"'{self.store.event(event_id).name}'"
        self.edit(f"Moved {photos_text(len(ids))} to {where} (re-clustering leaves them there)",
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
                                f"Its {photos_text(event.photo_count)} go back to Unsorted (Edit → Undo brings "
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
        self._current = self.edit(f"Split {photos_text(len(sel))} off into a new event",
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
        menu.addAction("View large (Space)", lambda: self.open_viewer(self.grid_model.photos.index(sel[0])))
        if self._duplicates_shown():
            menu.addAction("Compare the group side by side…", lambda: self.compare_group(sel[0].path))
        menu.addAction("Find similar photos", lambda: self.find_similar(sel[0].path))
        menu.addAction("Split off into a new event", self.split_selected)
        menu.addAction("Let re-clustering place them again", lambda: (self.store.unpin([p.id for p in sel]),
                                                                      self.reload()))
        menu.addSeparator()
        menu.addAction(self.remove_action)
        menu.popup(self.grid.viewport().mapToGlobal(pos))

    def find_similar(self, path: str, k: int = 40) -> list[tuple[str, float]]:
        """The photos nearest ``path`` across the album, shown as a "Similar to …" group (searched
        here on the UI thread: the search layer answers in milliseconds)."""
        if self.search_index is None:
            self.note.setText("The album's photos are still being read; try again when they are grouped.")
            return []
        from core.albums.relevance import similar_found

        try:
            found = similar_found(self.search_index, path, k)  # only what beats most unrelated pairs
        except KeyError:
            self.note.setText(f"{Path(path).name} has no image vector: it could not be read, "
                              "or it is still being read.")
            return []
        hits = found.pairs()
        self._similar, self._beats = (path, hits, None), {p: b for p, _, b in found.hits}
        self._current = SIMILAR
        self._reload_keeping_note()
        self.note.setText(f"Like {Path(path).name}: {found.summary()}.")
        return hits

    def find_duplicates(self):
        """Duplicates and bursts across the album (a job), shown as one group: each group's
        suggested keeper first ("keep #1"), then its copies ("#1 duplicate" / "#1 burst")."""
        if self.store.photos("all") == []:
            self.note.setText("Add photo folders first: then look for duplicates in them.")
            return None

        def done(groups) -> None:
            hits = []
            for n, g in enumerate(groups, 1):
                hits.append((g.keeper, f"keep #{n}"))
                hits += [(p, f"#{n} {g.kind}") for p in g.paths if p != g.keeper]
            bursts = sum(g.kind == "burst" for g in groups)
            self.duplicate_groups = list(groups)
            said = (f"{len(groups)} groups ({len(groups) - bursts} duplicates, {bursts} bursts)"
                    if groups else "No duplicates or bursts")
            self._similar = (said, hits, "duplicates")
            self._current = SIMILAR
            self._reload_keeping_note()
            self.note.setText(f"{said}: the keeper of each is suggested; nothing was deleted.")

        return self._album_job("Albums: find duplicates", lambda album, progress, cancelled:
                               album.duplicates(progress, cancelled), done, priority=Priority.NORMAL)

    def search_words(self, query: str, k: int = 60):
        """Photos matching words, shown as a "Words: …" group (a job: the sentence model
        embeds the query, and the photos' texts the first time)."""
        query = query.strip()
        if not query:
            self.note.setText("Type a word or two to search for (e.g. beach, 생일 케이크).")
            return None
        if self.store.photos("all") == []:
            self.note.setText("Add photo folders first: then search them by words.")
            return None

        def work(album, progress, cancelled):
            progress(0.1, f"Searching for {query!r}")
            from core.albums.relevance import words_found

            return words_found(album, query, k)  # only what beats most unrelated pairs

        def done(found) -> None:
            from core.albums.pipeline import widened_note

            result, kind = found
            hits = result.pairs()
            self._similar, self._beats = (query, hits, "words"), {p: b for p, _, b in result.hits}
            self._current = SIMILAR
            self._reload_keeping_note()
            also = f" Also {widened_note(kind)}." if kind else ""
            self.note.setText((f"For “{query}”: {result.summary()}." if hits or result.below else
                               f"No photo has a note, caption or tag near “{query}”.") + also)

        return self._album_job(f"Albums: search “{query}”", work, done, priority=Priority.INTERACTIVE)

    def edit_vocabulary(self):
        """Albums → Event names…: a changed list names the events again (offline as with CLIP)."""
        from app.albums.vocabulary import VocabularyDialog

        dialog = VocabularyDialog(self.store.vocabulary(), self)

        def save() -> None:
            if dialog.words() != self.store.vocabulary():
                self.store.set_vocabulary(dialog.words())
                self.regroup()

        dialog.accepted.connect(save)
        dialog.open()
        return dialog
