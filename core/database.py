"""Opening Simscope's SQLite files, and saying clearly when one cannot be opened.

A store that SQLite cannot read (damaged, cut short by a failed copy, or not a database at all)
used to stop the whole app at start with "file is not a database". Now the store says which file,
why, and what the user can do; the file is never changed or deleted. Derived data (the embedding
cache) is moved aside and started anew; the user's own stores (posts, albums, runs) are left for
the user to restore or move aside (:func:`move_aside`, which the app offers as a button).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

SIDECARS = ("-wal", "-shm", "-journal")

# After an unclean stop (a crash, a kill, a power cut: the app's lock was left behind) the stores
# opened at start are also checked page by page (``PRAGMA quick_check``): damage deep in a file
# opens without complaint and showed only when a query reached it. ``checking(True)`` around the
# start turns it on (app.main); a store that fails is unavailable as a damaged one is.
_CHECK_ON_OPEN = False


@contextlib.contextmanager
def checking(on: bool = True) -> Iterator[None]:
    """Within the block, :func:`connect` also runs SQLite's ``quick_check`` on each store."""
    global _CHECK_ON_OPEN
    before, _CHECK_ON_OPEN = _CHECK_ON_OPEN, on
    try:
        yield
    finally:
        _CHECK_ON_OPEN = before


def quick_check(con: sqlite3.Connection) -> str:
    """'' when SQLite's ``quick_check`` finds the file sound; else its first findings."""
    found = [line for row in con.execute("PRAGMA quick_check(20)") for line in str(row[0]).splitlines()
             if line and not line.startswith("***")]  # '*** in database main ***' heads the findings
    if found == ["ok"]:
        return ""
    more = f" (and {len(found) - 1} more findings)" if len(found) > 1 else ""
    return f"{found[0]}{more}" if found else "unknown damage"




def rows_at_once(con: sqlite3.Connection, sql: str, args: tuple | list = (), columns: tuple[str, ...] = (),
                 reals: tuple[str, ...] = ()) -> list[list]:
    """The rows of ``sql`` (a SELECT whose result columns include ``columns``), in its order, read
    in one SQLite step: each row a list of the ``columns``' values.

    Python's sqlite3 lets go of the GIL around every row it steps to and takes it back after. On
    the UI thread, with a worker thread busy in Python, each take waits up to a switch interval, so
    reading the 2,262 events of a 100,000-photo album took 95-450 ms instead of ~20
    (bench/ui_reads.py). Here SQLite builds one JSON array of the rows
    (``json_group_array`` over ``sql`` as a subquery, which it reads in the subquery's order) and
    Python decodes it at once. Texts and integers come back exact; ``reals`` (columns that may hold
    floats) travel as SQLite's ``quote()`` text, which keeps every bit, and come back as float (or
    int where SQLite stored an integer, or None)."""
    cells = ", ".join(f'quote("{c}")' if c in reals else f'"{c}"' for c in columns)
    text = con.execute(f"SELECT json_group_array(json_array({cells})) FROM ({sql})", args).fetchone()[0]
    rows = json.loads(text)
    at = [i for i, c in enumerate(columns) if c in reals]
    for row in rows if at else ():
        for i in at:
            row[i] = _unquoted_number(row[i])
    return rows


def _unquoted_number(text: str) -> int | float | None:
    if text == "NULL":
        return None
    return int(text) if text.lstrip("-").isdigit() else float(text)  # "1412345678" / "1.41…e+09", "Inf"


# The stores this process has open (path → (what, connection)): an SQLite error carries no file
# name, so :func:`describe_sqlite_error` names the open one (or the few open ones).
_OPEN: dict[str, tuple[str, weakref.ref]] = {}


class _Connection(sqlite3.Connection):
    """A plain SQLite connection that can be weakly referenced (the C type cannot)."""


def open_stores() -> list[tuple[str, str]]:
    """(path, what) of each store :func:`connect` opened in this process that is still open."""
    out = []
    for path, (what, ref) in list(_OPEN.items()):
        con = ref()
        try:
            if con is None:
                raise sqlite3.ProgrammingError
            con.total_changes  # noqa: B018 - raises ProgrammingError once the connection is closed
        except sqlite3.ProgrammingError:
            _OPEN.pop(path, None)
            continue
        out.append((path, what))
    return out


# (what SQLite says, its result code name) → (what happened, what to do)
_SQLITE_HINTS = (
    (("disk is full", "SQLITE_FULL"), "the disk is full (SQLite could not write)",
     "free some disk space and run it again; the unfinished change was rolled back and nothing saved before "
     "is lost"),
    (("readonly", "read-only", "SQLITE_READONLY"), "it cannot be written (the file, its folder or the disk is "
     "read-only)", "check the permissions of the file and its folder, or work on a copy of the data folder "
     "on a disk that can be written"),
    (("is locked", "SQLITE_BUSY", "SQLITE_LOCKED"), "another program held it for too long (another "
     "Simscope, or a sync or backup tool)", "close that program and run it again"),
    (("disk i/o error", "SQLITE_IOERR"), "the disk reported an error reading or writing it",
     "check the disk (a drive pulled out, a network folder that dropped), then copy the data folder to a "
     "sound disk and run it again"),
    (("unable to open", "SQLITE_CANTOPEN"), "it cannot be opened", "check that it and its folder exist and "
     "can be written"),
    (("malformed", "not a database", "SQLITE_CORRUPT", "SQLITE_NOTADB"), "it is damaged",
     "close Simscope and put back a copy from a backup or from snapshots/ in the data folder"),
)


def describe_sqlite_error(exc: sqlite3.Error, path: str | os.PathLike[str] | None = None) -> str:
    """One line for an SQLite error: which store (``path``, else the one(s) open in this process),
    what happened and what to do. Never a bare "database or disk is full"."""
    if path is not None:
        where = str(path)
    else:
        stores = [p for p, _what in open_stores()][::-1]  # the newest first: most likely the one just written
        where = (stores[0] if len(stores) == 1 else "one of " + ", ".join(stores[:4])
                 + (f" and {len(stores) - 4} more" if len(stores) > 4 else "") if stores else "a Simscope store")
    said = f"{exc} {getattr(exc, 'sqlite_errorname', '')}".lower()
    for needles, what, todo in _SQLITE_HINTS:
        if any(n.lower() in said for n in needles):
            return f"{where}: {what} ({exc}): {todo}"
    return f"{where}: SQLite failed ({exc}); nothing more was written to it"


class StoreUnavailable(RuntimeError):
    """A database file that cannot be opened; the message names it and says what to do.

    ``damaged``: SQLite cannot read it (moving it aside lets Simscope start an empty one);
    otherwise it could not be opened at all (permissions, a full disk, a lock)."""

    def __init__(self, path: str | os.PathLike[str], what: str, reason: str, damaged: bool) -> None:
        self.path, self.what, self.reason, self.damaged = Path(path), what, reason, damaged
        if damaged:
            text = (f"{self.path} cannot be read as Simscope's {what} ({reason}): the file is damaged "
                    f"or is not one of Simscope's. It was left as it is. Restore it from a backup, or "
                    f"move it aside and Simscope starts a new, empty one.")
        else:
            text = (f"{self.path} cannot be opened ({reason}). Check that its folder can be written "
                    f"and the disk has room; nothing was changed.")
        super().__init__(text)


def connect(path: str | os.PathLike[str], what: str, setup: Callable[[sqlite3.Connection], None],
            timeout: float = 30.0) -> sqlite3.Connection:
    """``sqlite3.connect(path)`` then ``setup(connection)`` (pragmas, schema): the first reads of
    the file, where a damaged one shows. Raises :class:`StoreUnavailable` for either failing."""
    try:
        con = sqlite3.connect(str(path), timeout=timeout, check_same_thread=False, factory=_Connection)
    except sqlite3.Error as exc:
        raise StoreUnavailable(path, what, str(exc), damaged=False) from exc
    try:
        setup(con)
        found = quick_check(con) if _CHECK_ON_OPEN else ""
    except sqlite3.DatabaseError as exc:
        con.close()
        damaged = not isinstance(exc, sqlite3.OperationalError) or "malformed" in str(exc)
        raise StoreUnavailable(path, what, str(exc), damaged=damaged) from exc
    if found:
        con.close()
        raise StoreUnavailable(path, what, f"SQLite's check found damage inside it: {found}", damaged=True)
    _OPEN[str(path)] = (what, weakref.ref(con))
    return con


def move_aside(path: str | os.PathLike[str]) -> Path:
    """Rename a damaged database (and its write-ahead log and shared-memory files) to
    ``<name>.damaged-YYYYmmdd-HHMMSS``; nothing is deleted. Returns the new path."""
    path = Path(path)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 2
    while target.exists():
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
        n += 1
    for suffix in SIDECARS:  # the logs first: a log left beside a new, empty file would be replayed into it
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(target.with_name(target.name + suffix))
    path.rename(target)
    return target
