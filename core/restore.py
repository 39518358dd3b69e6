"""Putting a backup (``core.backup.backup``) back in place of the data folder's contents.

Nothing is deleted: every file the backup would replace (what a backup copies: the stores with
their write-ahead logs, Lost & Found's photos, trained models, the logo index, imported weights,
the settings) is first moved into ``<data>/replaced-<date>/``, then the backup's files are copied
in, each whole or not at all. If any step fails, what was copied is removed and the moved files
go back, so the folder is as it was. The embedding cache stays: its vectors are keyed by the
files' contents and models, so they are as right for the restored data as before.

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
import time
from dataclasses import dataclass, field
from pathlib import Path

from core.backup import _plan, _unsound
from core.database import SIDECARS
from core.fileio import atomic_write_text, copy_whole
from core.jobs import ProgressFn, null_progress

MANIFEST = "backup.json"
PENDING = "restore-pending.json"  # in the data folder: the backup the next start puts in place


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
    for store in sorted(folder.glob("*.sqlite")):
        try:
            found = _unsound(store)  # the same check the daily snapshots pass
        except sqlite3.DatabaseError as exc:
            found = str(exc)
        if found:
            raise ValueError(f"{store} in the backup is damaged ({found}): choose another backup")
    return info


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
    incoming = [p.relative_to(backup) for p in sorted(backup.rglob("*")) if p.is_file() and p.name != MANIFEST]
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
            copy_whole(backup / rel, data / rel)
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

    atomic_write_text(aside / MANIFEST, json.dumps({
        "simscope": __version__, "from": str(data), "taken": time.strftime("%Y-%m-%d %H:%M:%S"),
        "files": files, "replaced_by": str(backup),
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
