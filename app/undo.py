"""Undo for edits to a store (Albums, Lost & Found): each edit is a QUndoCommand holding the
store as it was and as it is.

A store's ``snapshot()`` keys every row an edit can touch; ``restore()`` writes back only the
rows that differ, in one transaction, so undoing a merge of 1,000 photos writes about 1,000
rows. Albums' re-grouping and indexing change the store under the user's edits, so they clear
its stack rather than be undone piecemeal.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand, QUndoStack


class StoreEdit(QUndoCommand):
    def __init__(self, store, text: str, before: dict, after: dict, refresh: Callable[[], None]) -> None:
        super().__init__(text)
        self.store, self.before, self.after, self.refresh = store, before, after, refresh
        self._done = True  # pushed after the edit ran: the first redo() has nothing to do

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self.store.restore(self.after)
        self.refresh()

    def undo(self) -> None:
        self.store.restore(self.before)
        self.refresh()


def record(stack: QUndoStack, store, text: str, edit: Callable[[], object], refresh: Callable[[], None]):
    """Run ``edit`` (a store change) and push it on ``stack`` as one undoable step; returns
    what ``edit`` returned. Nothing is pushed when the edit changed nothing or raised."""
    before = store.snapshot()
    result = edit()
    after = store.snapshot()
    if after != before:
        stack.push(StoreEdit(store, text, before, after, refresh))
    return result
