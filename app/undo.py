"""Undo for edits to a store (Albums, Lost & Found): each edit is a QUndoCommand holding the rows
it changed, as they were and as they are; a page's stack keeps the last :data:`UNDO_LIMIT` steps.

A store with ``tracked(edit)`` (Albums, Lost & Found) has SQLite record the rows the edit changes as it changes
them (``core.undo_log``: O(rows changed), where reading the whole album around each edit took
0.8–4 s at 100,000 photos), and undo and redo write those rows back by ``apply_rows()``. Any other
store's ``snapshot()`` keys every row an edit can touch (``{table: {key: row}}`` or ``{id: row}``);
:func:`record` compares the snapshots taken around an edit and keeps only the rows that differ
(``None`` for a row that did not exist). Undo and redo lay those rows over the store's rows as they
are now and hand the result to ``restore()``, which writes only the rows that differ, in one
transaction: undoing a merge of 1,000 photos writes about 1,000 rows, and a
renamed event costs its one row on the stack, not two copies of every table. Albums' re-grouping
and indexing change the store under the user's edits, so they clear its stack rather than be
undone piecemeal.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand, QUndoStack

from core.undo_log import FLAT, laid_over

UNDO_LIMIT = 200  # steps kept per page; the oldest go first


def new_stack(parent: QObject | None = None) -> QUndoStack:
    """A page's undo stack, limited to :data:`UNDO_LIMIT` steps."""
    stack = QUndoStack(parent)
    stack.setUndoLimit(UNDO_LIMIT)
    return stack


def _tables(snapshot: dict) -> dict[str, dict]:
    if snapshot and not isinstance(next(iter(snapshot.values())), dict):
        return {FLAT: snapshot}
    return snapshot if snapshot else {FLAT: {}}


def changes(before: dict, after: dict) -> tuple[dict, dict]:
    """The rows an edit changed: ({table: {key: row or None}} as they were, the same as they are)."""
    was, now = _tables(before), _tables(after)
    old: dict[str, dict] = {}
    new: dict[str, dict] = {}
    for table in was.keys() | now.keys():
        a, b = was.get(table, {}), now.get(table, {})
        keys = [k for k in a.keys() | b.keys() if a.get(k) != b.get(k)]
        if keys:
            old[table] = {k: a.get(k) for k in keys}
            new[table] = {k: b.get(k) for k in keys}
    return old, new


class StoreEdit(QUndoCommand):
    def __init__(self, store, text: str, before: dict, after: dict, refresh: Callable[[], None],
                 changed_only: bool = False, refresh_keys: Callable[[dict], None] | None = None) -> None:
        """``before`` / ``after``: two snapshots, or (``changed_only``) the changed rows already;
        after an undo or redo, ``refresh_keys({table: [key]})`` hears which rows it wrote when given
        (a page reads those again), else ``refresh()``."""
        super().__init__(text)
        self.store, self.refresh, self.refresh_keys = store, refresh, refresh_keys
        self.before, self.after = (before, after) if changed_only else changes(before, after)
        self._done = True  # pushed after the edit ran: the first redo() has nothing to do

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self._apply(self.after)

    def undo(self) -> None:
        self._apply(self.before)

    def _apply(self, rows: dict) -> None:
        if hasattr(self.store, "apply_rows"):
            self.store.apply_rows(rows)
        else:
            now = self.store.snapshot()
            self.store.restore(laid_over(now, rows), now)
        if self.refresh_keys is not None:
            self.refresh_keys({table: list(keys) for table, keys in rows.items()})
        else:
            self.refresh()


def record(stack: QUndoStack, store, text: str, edit: Callable[[], object], refresh: Callable[[], None],
           refresh_keys: Callable[[dict], None] | None = None):
    """Run ``edit`` (a store change) and push it on ``stack`` as one undoable step; returns
    what ``edit`` returned. Nothing is pushed when the edit changed nothing or raised.
    ``refresh_keys``: see :class:`StoreEdit`."""
    if hasattr(store, "tracked"):
        result, before, after = store.tracked(edit)
        if before:
            stack.push(StoreEdit(store, text, before, after, refresh, changed_only=True, refresh_keys=refresh_keys))
        return result
    before = store.snapshot()
    result = edit()
    after = store.snapshot()
    if after != before:
        stack.push(StoreEdit(store, text, before, after, refresh, refresh_keys=refresh_keys))
    return result
