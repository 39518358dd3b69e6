"""A whole, consistent copy of the user's data, taken while the app runs (File → Back up data…,
``python -m core backup DEST``).

Every SQLite store goes through SQLite's online backup, so the copy holds each store as of one
moment, its write-ahead log folded in (a plain file copy of a store in use can miss the log or
catch it half-written; the stores include ``kinds.sqlite``, the event kinds Albums learned from
the user's names); the files beside the stores (Lost & Found's photos, trained models, the
logo index, imported weights, the settings) are copied as they are. Left out: what the app
computes again (the embedding cache, thumbnails, ONNX exports), its logs, and the demo folder.
The backup is written to a ``.partial`` folder and renamed when complete, so a folder named
``simscope-backup-…`` is always whole; it is itself a data folder: ``python -m app --data-dir
<backup>`` opens it, and ``core.restore`` puts it back in place of the data folder's contents.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from core.jobs import CancelCheck, ProgressFn, check_cancel, never_cancelled, null_progress

log = logging.getLogger(__name__)

# relative paths (glob patterns) never copied: computed again, logs, locks, SQLite's side files
LEFT_OUT = ("embeddings.sqlite", "embeddings.sqlite-*", "thumbs", "logs", "demo", "models/onnx", "snapshots",
            "simscope.lock", "*.sqlite-wal", "*.sqlite-shm", "*.sqlite-journal", "*.damaged-*", ".*",
            "replaced-*", "restore-pending.json")  # the last two: what a restore set aside or has yet to do


@dataclass
class BackupReport:
    folder: Path
    files: int = 0
    bytes: int = 0
    stores: list[str] = field(default_factory=list)  # the SQLite stores, copied through SQLite
    notes: list[str] = field(default_factory=list)  # what could not be copied as asked, and why

    def summary(self) -> str:
        size = f"{self.bytes / 1e6:.1f} MB" if self.bytes >= 1e5 else f"{self.bytes / 1e3:.0f} kB"
        def n(count: int, what: str) -> str:
            return f"{count} {what}" + ("" if count == 1 else "s")

        text = f"Backed up {n(self.files, 'file')} ({size}; {n(len(self.stores), 'store')}) to {self.folder}"
        return text + (f"; {n(len(self.notes), 'note')}: " + "; ".join(self.notes) if self.notes else "")


def _left_out(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(name, p) for p in LEFT_OUT)


def _plan(data: Path) -> list[Path]:
    """The files to copy, relative to ``data``, stores first."""
    files: list[Path] = []
    for root, dirs, names in os.walk(data):
        rel_root = Path(root).relative_to(data)
        dirs[:] = sorted(d for d in dirs if not _left_out((rel_root / d).as_posix()))
        files += [rel_root / n for n in sorted(names) if not _left_out((rel_root / n).as_posix())]
    return sorted(files, key=lambda p: (p.suffix != ".sqlite", p.as_posix()))


def _copy_store(src: Path, dst: Path) -> None:
    """One store as of one moment, through SQLite's online backup (its log folded in)."""
    source = sqlite3.connect(str(src), timeout=30)
    try:
        target = sqlite3.connect(str(dst))
        try:
            source.backup(target)
            # one self-contained file (no -wal / -shm beside it once it is read); the app sets
            # write-ahead logging again when it opens a restored copy
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
    finally:
        source.close()


def backup(dest: str | os.PathLike[str], data: str | os.PathLike[str] | None = None,
           progress: ProgressFn = null_progress, cancelled: CancelCheck = never_cancelled) -> BackupReport:
    """Write ``<dest>/simscope-backup-YYYYmmdd-HHMMSS/``: see the module's text. A store SQLite
    cannot read is copied byte for byte and said in ``notes``; a cancel or an error leaves no
    backup folder behind (nothing in the data folder is changed either way)."""
    if data is None:
        from core.paths import data_dir

        data = data_dir()
    data, dest = Path(data).resolve(), Path(dest).expanduser().resolve()
    if dest == data or data in dest.parents:
        raise ValueError(f"choose a folder outside the data folder {data} for the backup (not {dest})")
    if dest.exists() and not dest.is_dir():
        raise ValueError(f"{dest} is a file: choose a folder to write the backup into")
    dest.mkdir(parents=True, exist_ok=True)
    name = time.strftime("simscope-backup-%Y%m%d-%H%M%S")
    final, n = dest / name, 2
    while final.exists() or final.with_name(final.name + ".partial").exists():
        final, n = dest / f"{name}-{n}", n + 1
    partial = final.with_name(final.name + ".partial")
    report = BackupReport(final)
    plan = _plan(data)
    total = sum((data / p).stat().st_size for p in plan) or 1
    done = 0
    partial.mkdir()
    try:
        for rel in plan:
            check_cancel(cancelled)
            src, dst = data / rel, partial / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            size = src.stat().st_size
            if rel.suffix == ".sqlite":
                try:
                    _copy_store(src, dst)
                    report.stores.append(rel.as_posix())
                except sqlite3.DatabaseError as exc:
                    dst.unlink(missing_ok=True)
                    shutil.copy2(src, dst)
                    report.notes.append(f"{rel.as_posix()} could not be read by SQLite ({exc}): copied byte for byte")
            else:
                shutil.copy2(src, dst)
            report.files += 1
            report.bytes += dst.stat().st_size
            done += size
            progress(done / total, f"{report.files} of {len(plan)} files")
        from core import __version__

        (partial / "backup.json").write_text(json.dumps({
            "simscope": __version__, "from": str(data), "taken": time.strftime("%Y-%m-%d %H:%M:%S"),
            "files": report.files, "bytes": report.bytes, "stores": report.stores, "notes": report.notes,
            "left_out": list(LEFT_OUT), "paths": [rel.as_posix() for rel in plan]}, indent=1, ensure_ascii=False), encoding="utf-8")
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)  # our own half-written folder, never the user's data
        raise
    return report


# -- daily snapshots of the stores ----------------------------------------------------------
SNAPSHOTS = "snapshots"  # in the data folder: one folder per snapshot, named by its time
KEEP_SNAPSHOTS = 5
SNAPSHOT_EVERY_H = 20.0  # about once a day, also for an app left open overnight and restarted
_STAMP = "%Y%m%d-%H%M%S"


def _snapshots(data: Path) -> list[Path]:
    """Whole snapshots, newest first."""
    folder = data / SNAPSHOTS
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if p.is_dir() and not p.name.endswith(".partial")),
                  key=lambda p: p.name, reverse=True)


def snapshot_stores(data: str | os.PathLike[str] | None = None, keep: int = KEEP_SNAPSHOTS,
                    every_h: float = SNAPSHOT_EVERY_H, now: float | None = None) -> Path | None:
    """A copy of every store (the ``*.sqlite`` files but the cache: a few MB) in
    ``<data>/snapshots/<time>/``, through SQLite's online backup, when the newest is older than
    ``every_h`` hours; the newest ``keep`` are kept. The app takes one after each start, so a
    store damaged later (a disk fault, a bad copy over it) can be put back as it was that day
    (:func:`latest_snapshot`, the damaged workspace's *Restore* button). A store SQLite cannot
    read is left out of the snapshot (an older one keeps its sound copy). None when none was due."""
    if data is None:
        from core.paths import data_dir

        data = data_dir()
    data = Path(data)
    now = time.time() if now is None else now
    for stale in (data / SNAPSHOTS).glob("*.partial"):  # one a killed app left half-written: ours
        shutil.rmtree(stale)
    taken = _snapshots(data)
    if taken:
        try:
            newest = time.mktime(time.strptime(taken[0].name[:15], _STAMP))
        except ValueError:
            newest = 0.0
        if now - newest < every_h * 3600:
            return None
    stores = sorted(p for p in data.glob("*.sqlite") if not _left_out(p.name))
    if not stores:
        return None
    final = data / SNAPSHOTS / time.strftime(_STAMP, time.localtime(now))
    partial = final.with_name(final.name + ".partial")
    partial.mkdir(parents=True, exist_ok=True)
    try:
        for store in stores:
            copy = partial / store.name
            try:
                _copy_store(store, copy)
                why = _unsound(copy)  # the backup copies pages as they are: check the copy
            except sqlite3.DatabaseError as exc:
                why = str(exc)
            if why:
                copy.unlink(missing_ok=True)
                log.warning("snapshot: %s left out (%s)", store, why)
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    kept = _snapshots(data)
    have = {p.name for snap in kept[:keep] for p in snap.iterdir()}
    for old in kept[keep:]:
        only = {p.name for p in old.iterdir()} - have
        if only:  # the last sound copy of a store that has been unreadable since: kept
            have |= only
            continue
        shutil.rmtree(old)
    return final


def _unsound(copy: Path) -> str:
    """'' when SQLite's ``quick_check`` passes on ``copy`` (opened read-only); else what it found.
    Raises ``sqlite3.DatabaseError`` when SQLite cannot read the file at all."""
    from core.database import quick_check

    con = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    try:
        return quick_check(con)
    finally:
        con.close()


def latest_snapshot(store: str | os.PathLike[str]) -> Path | None:
    """The newest snapshot's copy of ``store`` (a path in the data folder) that SQLite reads
    as sound (``PRAGMA quick_check``), or None."""
    store = Path(store)
    for snap in _snapshots(store.parent):
        copy = snap / store.name
        if not copy.is_file():
            continue
        try:
            if not _unsound(copy):
                return copy
        except sqlite3.DatabaseError as exc:
            log.warning("snapshot %s is not sound (%s)", copy, exc)
    return None


def restore_snapshot(store: str | os.PathLike[str], copy: str | os.PathLike[str]) -> Path | None:
    """Put ``copy`` (from :func:`latest_snapshot`) in the place of ``store``: the store there, if
    any, is moved aside first (``core.database.move_aside``: renamed, never deleted), and the
    copy is written beside it and renamed into place. Returns where the old file went."""
    from core.database import move_aside
    from core.fileio import copy_whole

    store = Path(store)
    moved = move_aside(store) if store.exists() else None
    copy_whole(copy, store)
    return moved
