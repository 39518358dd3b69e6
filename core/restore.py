"""Putting a backup (``core.backup.backup``) back in place of the data folder's contents.

Nothing is deleted: every file the backup would replace (what a backup copies: the stores with
their write-ahead logs, Lost & Found's photos, trained models, the logo index, imported weights,
the settings) is first moved into ``<data>/replaced-<date>/``, then the backup's files are copied
in, each whole or not at all. If any step fails, what was copied is removed and the moved files
go back, so the folder is as it was. The embedding cache stays: its vectors are keyed by the
files' contents and models, so they are as right for the restored data as before.

What it copies is what the backup's manifest (``backup.json``) lists under ``paths``, and only
when each is a regular file inside the backup: a listed path that is absolute, has ``..``, goes
through a symbolic link, is not there, or is one of the app's own files (the lock, a pending
restore, a log, SQLite's side files: :data:`core.backup.LEFT_OUT`) refuses the whole backup, as
does a manifest of a newer Simscope or a store whose ``PRAGMA user_version`` is newer than this
one knows. A backup whose manifest has no ``paths`` (written before they were listed) restores
what the backup would copy from a data folder (:func:`core.backup._plan`), by the same checks.

It runs with no app on the folder: the CLI (``python -m core restore BACKUP``) refuses while the
app runs, and the app restores at its next start (``request_restore`` then a restart), before it
opens any store.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

from core.backup import _left_out, _plan, _unsound
from core.database import SIDECARS
from core.fileio import atomic_write_text
from core.jobs import ProgressFn, null_progress

MANIFEST = "backup.json"
PENDING = "restore-pending.json"  # in the data folder: the backup the next start puts in place
# No store of this version sets PRAGMA user_version (each is 0, its tables made by CREATE ... IF
# NOT EXISTS and columns added as needed): a higher one was written by a newer Simscope
KNOWN_USER_VERSION = 0


@dataclass
class RestoreReport:
    backup: Path
    taken: str
    aside: Path | None = None  # where the replaced files went
    files: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        where = f"; your data from before is in {self.aside}" if self.aside else ""
        files = f"{self.files} file" + ("" if self.files == 1 else "s")
        return f"Restored the backup of {self.taken} ({files}) from {self.backup}{where}"


def read_backup(folder: str | os.PathLike[str]) -> dict:
    """The backup's manifest, once its folder is a whole Simscope backup whose stores SQLite reads
    as sound; otherwise ``ValueError`` naming the folder and what is wrong."""
    folder = Path(folder)
    manifest = folder / MANIFEST
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder (choose a simscope-backup-<date> folder)")
    if folder.name.endswith(".partial"):
        raise ValueError(f"{folder} is a backup that never finished (its name ends in .partial): choose a whole one")
    try:
        info = json.loads(manifest.read_text(encoding="utf-8"))
        info["simscope"]
    except FileNotFoundError:
        raise ValueError(f"{folder} is not a Simscope backup (it has no {MANIFEST}): choose the "
                         f"simscope-backup-<date> folder that File → Back up data… wrote") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{manifest} cannot be read ({exc}): the backup is damaged") from None
    _check_version(folder, info)
    info["_files"] = _listed_files(folder, info)
    for store in (folder / rel for rel in info["_files"] if rel.suffix == ".sqlite"):
        try:
            version = _user_version(store)
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"{store} in the backup is damaged ({exc}): choose another backup") from None
        if version > KNOWN_USER_VERSION:
            raise ValueError(f"{store} in the backup is of a newer format (user_version {version}; this Simscope "
                             f"reads up to {KNOWN_USER_VERSION}): update Simscope to restore it")
        try:
            found = _unsound(store)  # the same check the daily snapshots pass
        except sqlite3.DatabaseError as exc:
            found = str(exc)
        if found:
            raise ValueError(f"{store} in the backup is damaged ({found}): choose another backup")
    return info


def _version_tuple(text: str) -> tuple[int, ...]:
    """(0, 1, 0) from '0.1.0' (a suffix such as 'rc1' or '+local' ignored); ValueError if not a version."""
    import re

    m = re.match(r"^\s*v?(\d+(?:\.\d+)*)", str(text))
    if m is None:
        raise ValueError(text)
    return tuple(int(p) for p in m.group(1).split("."))


def _check_version(folder: Path, info: dict) -> None:
    """Refuse a backup written by a newer Simscope: its stores may have columns this one misreads."""
    from core import __version__

    try:
        theirs = _version_tuple(info["simscope"])
    except ValueError:
        raise ValueError(f"{folder / MANIFEST} names no Simscope version ({info['simscope']!r}): the backup "
                         f"is damaged or was not written by Simscope") from None
    ours = _version_tuple(__version__)
    width = max(len(theirs), len(ours))
    if theirs + (0,) * (width - len(theirs)) > ours + (0,) * (width - len(ours)):
        raise ValueError(f"{folder} was written by Simscope {info['simscope']}, newer than this one ({__version__}): "
                         f"update Simscope to restore it")


def _user_version(store: Path) -> int:
    con = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        return int(con.execute("PRAGMA user_version").fetchone()[0])
    finally:
        con.close()


def _listed_files(folder: Path, info: dict) -> list[Path]:
    """What the restore copies, relative to the backup ``folder``: its manifest's ``paths``, each a
    regular file inside the backup reached through no link; ``ValueError`` naming the first that
    is not (the whole backup is refused: a crafted or damaged one)."""
    listed = info.get("paths")
    if listed is None:  # a backup written before manifests listed their files: what one would copy
        listed = [p.as_posix() for p in _plan(folder) if p.as_posix() != MANIFEST]
    if not isinstance(listed, list) or not all(isinstance(e, str) for e in listed):
        raise ValueError(f"{folder / MANIFEST}: its list of files (paths) is not a list of names: the backup is damaged")
    root = os.path.realpath(folder)
    out: list[Path] = []
    for entry in listed:
        def refuse(why: str, entry: str = entry) -> ValueError:
            return ValueError(f"{folder} cannot be restored: {entry!r} {why}. Nothing was changed; choose another backup")

        posix = PurePosixPath(entry)
        if (not entry or posix.is_absolute() or PureWindowsPath(entry).drive or "\\" in entry
                or any(part in ("..", ".") for part in entry.split("/"))):
            raise refuse("is not a plain path inside the backup (absolute, or with ..)")
        if entry == MANIFEST or _left_out(entry):
            raise refuse("is one of the app's own files (a lock, a pending restore, a log, a cache …), "
                         "which no backup holds")
        path = folder / posix
        if os.path.realpath(path) != os.path.join(root, *posix.parts):
            raise refuse(f"is, or lies in, a symbolic link (to {os.path.realpath(path)}): a backup holds files, not links")
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            raise refuse("is listed in its manifest but missing: the backup is incomplete") from None
        if not stat.S_ISREG(mode):
            raise refuse("is not a regular file (a folder, pipe or device)")
        out.append(Path(*posix.parts))
    return out


def _copy_regular(src: Path, dest: Path) -> None:
    """``src`` to ``dest``, whole or not at all (a temporary name, then a rename), refusing (OSError)
    a ``src`` that became a link or a special file since it was checked."""
    fd = os.open(src, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
                 | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"{src} is no longer a regular file")
        tmp = dest.with_name(f".{dest.name}.partial")
        try:
            with open(tmp, "wb") as out:
                shutil.copyfileobj(fh, out, 1 << 20)
            os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def app_running(data: Path) -> str:
    """'' unless a Simscope app holds ``data`` (its lock names a live process on this host): then
    which one. Read without Qt: the lock holds the process id, the app's name and the host."""
    lock = data / "simscope.lock"
    try:
        pid_text, _app, host = (lock.read_text(encoding="utf-8", errors="replace").splitlines() + ["", "", ""])[:3]
        pid = int(pid_text)
    except (OSError, ValueError):
        return ""
    if host and host != socket.gethostname():
        return f"process {pid} on {host}"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return ""  # a lock a crashed app left: stale
    except PermissionError:
        pass  # alive, another user's
    return f"process {pid}"


def _moving(data: Path) -> list[Path]:
    """What a restore replaces, relative to ``data``: what a backup copies, each store with its
    write-ahead log and shared memory (a log left beside a restored store would be replayed into it)."""
    files = []
    for rel in _plan(data):
        files.append(rel)
        if rel.suffix == ".sqlite":
            files += [rel.with_name(rel.name + s) for s in SIDECARS if (data / (rel.as_posix() + s)).exists()]
    return files


def restore_backup(backup: str | os.PathLike[str], data: str | os.PathLike[str] | None = None,
                   progress: ProgressFn = null_progress, locked: bool = False) -> RestoreReport:
    """See the module's text. Raises ``ValueError`` (not a backup, a damaged one, the app running)
    or ``OSError`` (a full disk…) with the data folder as it was. ``locked``: the caller holds the
    folder's lock (the app at its start), so the lock is not a running app."""
    if data is None:
        from core.paths import data_dir

        data = data_dir()
    data, backup = Path(data).resolve(), Path(backup).expanduser().resolve()
    undo = backup.parent == data and backup.name.startswith("replaced-")  # what an earlier restore set aside
    if (backup == data or data in backup.parents) and not undo:
        raise ValueError(f"{backup} is inside the data folder {data}: a backup is restored from outside it")
    info = read_backup(backup)
    running = "" if locked else app_running(data)
    if running:
        raise ValueError(f"Simscope is running on {data} ({running}): close it first, or restore from "
                         f"its File menu (it restores at its next start)")
    incoming = info["_files"]  # listed, checked (read_backup)
    stamp = time.strftime("replaced-%Y%m%d-%H%M%S")
    aside, n = data / stamp, 2
    while aside.exists():
        aside, n = data / f"{stamp}-{n}", n + 1
    report = RestoreReport(backup, str(info.get("taken", "?")))
    moved: list[Path] = []
    copied: list[Path] = []
    try:
        for rel in _moving(data):
            target = aside / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(data / rel, target)  # the same disk: a rename, nothing copied or lost
            moved.append(rel)
        for i, rel in enumerate(incoming):
            (data / rel).parent.mkdir(parents=True, exist_ok=True)
            _copy_regular(backup / rel, data / rel)
            copied.append(rel)
            progress((i + 1) / max(len(incoming), 1), f"{i + 1} of {len(incoming)} files")
    except BaseException:
        for rel in copied:
            (data / rel).unlink(missing_ok=True)
        for rel in moved:
            os.replace(aside / rel, data / rel)
        shutil.rmtree(aside, ignore_errors=True)
        raise
    report.files = len(copied)
    report.aside = aside if moved else None
    if moved:
        _make_restorable(aside, data, backup, len(moved))
    return report


def _make_restorable(aside: Path, data: Path, backup: Path, files: int) -> None:
    """What a restore set aside becomes a backup of its own (File → Restore from a backup… takes
    it: the restore can be undone): each store folded with its write-ahead log into one file, as
    a backup holds it, and a manifest. A store that cannot be folded (damaged) is left as it was."""
    for store in aside.rglob("*.sqlite"):
        try:
            con = sqlite3.connect(str(store))
            try:
                con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                con.execute("PRAGMA journal_mode=DELETE")
            finally:
                con.close()
        except sqlite3.DatabaseError:
            continue
    from core import __version__

    paths = sorted(p.relative_to(aside).as_posix() for p in aside.rglob("*") if p.is_file() and not p.is_symlink())
    paths = [p for p in paths if p != MANIFEST and not _left_out(p)]  # a damaged store's left-over log stays out
    atomic_write_text(aside / MANIFEST, json.dumps({
        "simscope": __version__, "from": str(data), "taken": time.strftime("%Y-%m-%d %H:%M:%S"),
        "files": files, "replaced_by": str(backup), "paths": paths,
        "note": "the data as it was before a restore: restore this folder to undo it"}, indent=1, ensure_ascii=False))


# -- a restore the app does at its next start --------------------------------------------
def request_restore(backup: str | os.PathLike[str], data: Path, info: dict | None = None) -> dict:
    """Check ``backup`` now (``ValueError`` if it cannot be restored; ``info``: its manifest from a
    check just made, not made again) and note it for the next start of the app, which restores
    before it opens any store. Returns its manifest."""
    info = read_backup(backup) if info is None else info
    atomic_write_text(data / PENDING, json.dumps({"backup": str(Path(backup).resolve()),
                                                  "taken": info.get("taken", "?")}, ensure_ascii=False))
    return info


def restore_if_requested(data: Path, progress: ProgressFn = null_progress) -> str:
    """At a start, with the folder locked and nothing open: the restore asked for before the last
    close, if any. What the status bar says ('' when none was asked for); the request is done
    either way (a failed one leaves the data folder as it was, and says why)."""
    pending = data / PENDING
    if not pending.exists():
        return ""
    try:
        backup = json.loads(pending.read_text(encoding="utf-8"))["backup"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        pending.unlink(missing_ok=True)
        return f"The restore asked for could not be read ({exc}); your data is as it was."
    pending.unlink()  # once: a restore that fails is not tried again at every start
    try:
        return restore_backup(backup, data, progress=progress, locked=True).summary() + "."
    except (OSError, ValueError) as exc:
        return f"The restore from {backup} did not happen: {exc}. Your data is as it was."
