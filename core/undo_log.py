"""The rows an edit changes, recorded by SQLite as it changes them: O(rows changed) per edit.

An undoable edit needs the rows it touched as they were and as they are. Reading every row of the
edited tables before and after each edit (a snapshot) costs the whole album each time: renaming one
event of a 100,000-photo album read 200,000 rows and took 0.8–4 s on the UI thread. Here
temporary triggers (this connection's only, so another connection's writes, such as an indexing
worker's, are not mistaken for the edit) write each row's key as it is inserted, updated or
deleted, and each existing row once as it was before its first change, into temporary tables:
the technique of SQLite's "Automatic Undo/Redo" note (sqlite.org/undoredo.html), keeping rows
rather than inverse statements so the stores' ``restore`` writes them back.

Foreign-key actions (an event's deletion setting its photos' ``event_id`` to NULL, or deleting
its prototypes) fire the triggers too (SQLite runs them as statements), so they are recorded.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

Tables = Sequence[tuple[str, tuple[str, ...]]]  # (table, primary key columns)
Rows = dict[str, dict[tuple, tuple | None]]  # {table: {key: row, or None where there is none}}

_FLAG = "temp._undo_on"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class ChangeLog:
    """Temporary triggers on ``tables`` of ``con`` that record what :meth:`run` changes."""

    def __init__(self, con: sqlite3.Connection, tables: Tables) -> None:
        self.con, self.tables = con, tuple(tables)
        self.columns: dict[str, list[str]] = {}
        self._made = False

    def _make(self) -> None:
        con = self.con
        con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_FLAG.split('.')[1]} (on_ INTEGER NOT NULL)")
        if con.execute(f"SELECT COUNT(*) FROM {_FLAG}").fetchone()[0] == 0:
            con.execute(f"INSERT INTO {_FLAG} VALUES (0)")
        for table, pk in self.tables:
            cols = [r[1] for r in con.execute(f"PRAGMA main.table_info({_q(table)})")]
            self.columns[table] = cols
            keys = ", ".join(_q(c) for c in pk)
            old, key, born = (f"_undo_{kind}_{table}" for kind in ("old", "key", "born"))
            # no declared types: the rows keep their values' storage classes as they were
            con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_q(old)} ({', '.join(map(_q, cols))}, UNIQUE ({keys}))")
            con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_q(key)} ({keys}, UNIQUE ({keys}))")
            con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_q(born)} ({keys}, UNIQUE ({keys}))")

            def match(row: str, pk: tuple[str, ...] = pk) -> str:
                return " AND ".join(f"{_q(c)} = {row}.{_q(c)}" for c in pk)

            values = {row: ", ".join(f"{row}.{_q(c)}" for c in pk) for row in ("OLD", "NEW")}
            keep_old = (f"INSERT OR IGNORE INTO {_q(old)} SELECT {', '.join('OLD.' + _q(c) for c in cols)} "
                        f"WHERE NOT EXISTS (SELECT 1 FROM {_q(born)} WHERE {match('OLD')});")
            is_new = (f"INSERT OR IGNORE INTO {_q(born)} SELECT {values['NEW']} "
                      f"WHERE NOT EXISTS (SELECT 1 FROM {_q(old)} WHERE {match('NEW')});")
            when = f"WHEN (SELECT on_ FROM {_FLAG})"
            target = f"main.{_q(table)}"
            for name, body in (
                (f"BEFORE UPDATE ON {target} {when}", f"{keep_old} INSERT OR IGNORE INTO {_q(key)} VALUES ({values['OLD']});"),
                (f"AFTER UPDATE ON {target} {when}", f"{is_new} INSERT OR IGNORE INTO {_q(key)} VALUES ({values['NEW']});"),
                (f"BEFORE DELETE ON {target} {when}", f"{keep_old} INSERT OR IGNORE INTO {_q(key)} VALUES ({values['OLD']});"),
                (f"AFTER INSERT ON {target} {when}", f"{is_new} INSERT OR IGNORE INTO {_q(key)} VALUES ({values['NEW']});"),
            ):
                trigger = f"_undo_{table}_{name.split(' ON ')[0].replace(' ', '_').lower()}"
                con.execute(f"CREATE TEMP TRIGGER IF NOT EXISTS {_q(trigger)} {name} BEGIN {body} END")
        con.commit()
        self._made = True

    def _clear(self) -> None:
        for table, _ in self.tables:
            for kind in ("old", "key", "born"):
                self.con.execute(f"DELETE FROM {_q(f'_undo_{kind}_{table}')}")

    def run(self, edit: Callable[[], Any]) -> tuple[Any, Rows, Rows]:
        """Run ``edit`` (changes through this connection) and return (what it returned, the rows
        it changed as they were, the same rows as they are); a row that did not exist, or no
        longer does, is None. Rows written back unchanged are left out. If ``edit`` raises, the
        recording is switched off and the error goes on."""
        if not self._made:
            self._make()
        with self.con:
            self._clear()
            self.con.execute(f"UPDATE {_FLAG} SET on_ = 1")
        try:
            result = edit()
        finally:
            with self.con:
                self.con.execute(f"UPDATE {_FLAG} SET on_ = 0")
        before: Rows = {}
        after: Rows = {}
        for table, pk in self.tables:
            cols = self.columns[table]
            index = [cols.index(c) for c in pk]
            was = {tuple(r[i] for i in index): tuple(r)
                   for r in self.con.execute(f"SELECT * FROM {_q(f'_undo_old_{table}')}")}
            keys = ", ".join(f"k.{_q(c)}" for c in pk)
            join = " AND ".join(f"m.{_q(c)} = k.{_q(c)}" for c in pk)
            touched = [tuple(r) for r in self.con.execute(f"SELECT {keys} FROM {_q(f'_undo_key_{table}')} k")]
            now = {tuple(r[i] for i in index): tuple(r) for r in self.con.execute(
                f"SELECT m.* FROM {_q(f'_undo_key_{table}')} k JOIN main.{_q(table)} m ON {join}")}
            for k in touched:
                a, b = was.get(k), now.get(k)
                if a != b:
                    before.setdefault(table, {})[k] = a
                    after.setdefault(table, {})[k] = b
        with self.con:
            self._clear()
        return result, before, after

    def current(self, rows: Rows) -> dict[str, dict[tuple, tuple]]:
        """The rows with the keys of ``rows`` ({table: {key: ...}}) as they are now, those that
        exist: {table: {key: row}} (undo and redo lay the recorded rows over these)."""
        out: dict[str, dict[tuple, tuple]] = {}
        for table, pk in self.tables:
            if table not in self.columns:
                self.columns[table] = [r[1] for r in self.con.execute(f"PRAGMA main.table_info({_q(table)})")]
            index = [self.columns[table].index(c) for c in pk]
            where = " AND ".join(f"{_q(c)} = ?" for c in pk)
            found = (self.con.execute(f"SELECT * FROM main.{_q(table)} WHERE {where}", k).fetchone()
                     for k in rows.get(table, {}))
            out[table] = {tuple(r[i] for i in index): tuple(r) for r in found if r is not None}
        return out


FLAT = "\0rows"  # a store whose snapshot is one table ({key: row}), as Lost & Found's


def laid_over(snapshot: dict, rows: dict) -> dict:
    """``snapshot`` with ``rows`` ({table: {key: row or None}}) written over it: a row None is removed."""
    flat = FLAT in rows or (snapshot and not isinstance(next(iter(snapshot.values())), dict))
    tables = {FLAT: dict(snapshot)} if flat else {t: dict(r) for t, r in snapshot.items()}
    for table, changed in rows.items():
        target = tables.setdefault(table, {})
        for key, row in changed.items():
            if row is None:
                target.pop(key, None)
            else:
                target[key] = row
    return tables[FLAT] if flat else tables
