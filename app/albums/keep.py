"""Duplicates: keep the suggested photo, move the others into a folder — one undoable step.

The files move (never deleted: :func:`core.albums.duplicates.move_others`) and their rows leave
the album in one step on the page's undo stack. Undo moves each file back where it was (refusing,
file by file, where something now stands at its old path) and brings its rows back; redo moves
them aside again.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QUndoStack

from app.undo import StoreEdit
from core.albums.duplicates import DuplicateGroup, move_others
from core.fileio import move_whole


def _move_all(pairs: list[tuple[str, str]]) -> None:
    """Move each (from, to); refuse before moving anything where a ``to`` exists (no overwrite)."""
    taken = [dest for src, dest in pairs if os.path.lexists(dest)]
    if taken:
        raise FileExistsError(f"{taken[0]} exists now: nothing was moved (move it away, then try again)")
    missing = [src for src, _ in pairs if not os.path.exists(src)]
    if missing:
        raise FileNotFoundError(f"{missing[0]} is gone: nothing was moved")
    done: list[tuple[str, str]] = []
    try:
        for src, dest in pairs:
            Path(dest).parent.mkdir(parents=True, exist_ok=True)
            move_whole(src, dest)
            done.append((src, dest))
    except OSError:  # all or nothing: the files already moved go back, then the step says why
        for src, dest in reversed(done):
            move_whole(dest, src)
        raise


class KeepAndMoveAside(StoreEdit):
    """The store's rows as :class:`StoreEdit` keeps them, and the files moved: (old path, new path)."""

    def __init__(self, store, text: str, before: dict, after: dict, refresh: Callable[[], None],
                 moved: list[tuple[str, str]], report: Callable[[str], None]) -> None:
        super().__init__(store, text, before, after, refresh, changed_only=True)
        self.moved, self.report = moved, report

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self._move(self.moved, self.after, "redo")

    def undo(self) -> None:
        self._move([(new, old) for old, new in self.moved], self.before, "undo")

    def _move(self, pairs: list[tuple[str, str]], rows: dict, what: str) -> None:
        try:
            _move_all(pairs)
        except OSError as exc:  # nothing moved: the step leaves the stack (its files are not where it
            self.setObsolete(True)  # left them) and the page says why
            self.report(f"Could not {what} '{self.text()}': {exc}")
            return
        self._apply(rows)


def keep_and_move_aside(stack: QUndoStack, store, group: DuplicateGroup, folder: str,
                        refresh: Callable[[], None], report: Callable[[str], None],
                        keep: str | None = None) -> list[tuple[str, str]]:
    """Keep ``keep`` (the group's suggested keeper by default), move the group's other photos into
    ``folder`` and take them out of the album: one step on ``stack``. The (old, new) paths;
    ``report`` hears why an undo or redo could not move the files (it then moves none)."""
    keep = keep or group.keeper
    others = [p for p in group.paths if p != keep]
    ids = store.photo_ids(others)
    new_paths = move_others(group, folder, keep)
    moved = list(zip(others, new_paths, strict=True))
    try:  # the rows it changes, recorded as they change (core.undo_log): not the whole album twice
        _, before, after = store.tracked(lambda: store.remove_photos([ids[p] for p in others if p in ids],
                                                                     exclude=False))
    except Exception:
        _move_all([(new, old) for old, new in moved])  # the album could not change: the files go back
        raise
    text = f"Kept {Path(keep).name}, moved {len(moved)} other{'s' if len(moved) != 1 else ''} to {folder}"
    stack.push(KeepAndMoveAside(store, text, before, after, refresh, moved, report))
    refresh()
    return moved
