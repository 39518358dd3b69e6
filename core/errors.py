"""What a failure says to a person: the file, what went wrong and what to do, on one line.

Below the CLI, the job runner and the app's start-up checks, which all word their errors
here (``core.cli.main``, ``core.jobs.failure_text``, ``app.instance``); it imports nothing of
Simscope's at module level."""

from __future__ import annotations

import errno as errno_names

_OS_HINTS = {
    "ENOENT": "check the path: was it moved or deleted?",
    "EISDIR": "a folder is there where a file was expected: choose another name or folder",
    "ENOTDIR": "part of the path is a file, not a folder",
    "EACCES": "check the permissions of the file and its folder",
    "EPERM": "check the permissions of the file and its folder",
    "ENOSPC": "free some disk space and run it again",
    "EEXIST": "it exists already: choose another name",
    "EROFS": "the disk is read-only: choose another folder",
    "ELOOP": "a symbolic link points at itself (a loop)",
    "ENAMETOOLONG": "use a shorter name",
}


def describe_error(exc: BaseException) -> str:
    """What failed, on which file, and what to do: never a bare errno or key."""
    if isinstance(exc, OSError):
        what = exc.strerror or str(exc) or type(exc).__name__
        where = f": {exc.filename}" if exc.filename else ""
        if exc.filename2:
            where += f" → {exc.filename2}"
        hint = _OS_HINTS.get(errno_names.errorcode.get(exc.errno or 0, ""), "")
        if not exc.strerror and exc.args and isinstance(exc.args[0], str):
            return exc.args[0]
        return f"{what}{where}" + (f" ({hint})" if hint else "")
    if isinstance(exc, UnicodeError):
        enc = getattr(exc, "encoding", "the expected encoding")
        return (f"the text is not valid {enc} ({getattr(exc, 'reason', exc)}): save the file as UTF-8 "
                f"(or UTF-8 with BOM) and try again")
    from core.images import ImageError

    if isinstance(exc, ImageError):
        return f"{exc.path}: {exc.reason}"
    if isinstance(exc, KeyError):
        key = exc.args[0] if exc.args else "?"
        if isinstance(key, str) and " " in key.strip():
            return key  # raised with a sentence ("no post with id 99"): said as it is, never quoted as a key
        return f"{key!r} is missing or unknown (a required column, setting or name)"
    text = str(exc)
    if text == "embedded null byte":
        return "a file name or path holds a NUL byte (\\0), which no file system allows: check the input"
    return text if text else type(exc).__name__


def failure_text(exc: BaseException) -> str:
    """What a failed job says: a file error names the file and what to do (as the CLI does: a
    full or read-only disk, a missing file); anything else its type and message."""
    import sqlite3

    if isinstance(exc, OSError) and exc.errno and exc.strerror:
        return describe_error(exc)
    if getattr(type(exc), "plain", False):  # written for a person (e.g. ModelUnavailable): as it is
        return str(exc)
    if isinstance(exc, sqlite3.DatabaseError) and ("malformed" in str(exc) or "not a database" in str(exc)):
        return (f"a store is damaged ({exc}): close Simscope and put back a copy from a backup or from "
                f"snapshots/ in the data folder (Help → Show the data folder)")
    if isinstance(exc, sqlite3.Error):  # full, read-only, locked, I/O: the store and what to do, as the CLI says
        from core.database import describe_sqlite_error

        return describe_sqlite_error(exc)
    return f"{type(exc).__name__}: {exc}"
