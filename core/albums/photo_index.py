"""The album's search index kept on disk beside its store: reopened at start in about a second,
changed in place when photos come and go, built again only when most of them changed.

Building the HNSW graph of 100,000 photos took 225 s wall (72 s CPU) on the shared 2-core machine
(``bench/albums_scale.py``), and the page's "check photos" job paid it at every start; Ente keeps
its HNSW index on disk the same way (minutes to build once, seconds to reopen).

Layout, per image model (its cache name, ``:mirror`` included: another model's vectors are
another index): ``<album>.sqlite.search/<model>/`` holds whole saved indexes
(``SearchIndex.save``), each in a folder of its own, and ``current.json``, written atomically and
last, naming the one in use with the size and BLAKE2b digest of each of its files and the content
key (``EmbeddingCache.file_keys``) of each row's photo. So a kill at any moment leaves the previous
index or the new one; a file damaged since (its digest differs: checked before usearch reads it,
which could crash on a bad graph) is said in the log and the index built again from the album's
vectors, which are in the embedding cache: nothing is lost.

What a saved index is matched against is the album's photos and their content keys, not their
order: a photo whose file changed (another key) is removed and added again, a new photo added
(usearch adds to the graph in place), a photo gone removed (a tombstone). When more than
``REBUILD_SHARE`` of the rows would change (or be tombstones) it is built anew.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.search import EXACT_MAX, SearchIndex

log = logging.getLogger(__name__)

VERSION = 1
POINTER = "current.json"
REBUILD_SHARE = 0.5  # more of the rows changed or removed than this: built anew
_BLOCK = 1 << 22


@dataclass
class IndexOutcome:
    """How :func:`load_or_build` got the index: ``opened`` as saved, ``updated`` (rows added and
    removed in place), or ``built``; ``note``: why a saved index was not used, '' if it was."""

    how: str
    added: int = 0
    removed: int = 0
    seconds: float = 0.0
    note: str = ""

    def summary(self) -> str:
        text = {"opened": "search index reopened",
                "updated": f"search index updated (+{self.added} −{self.removed})",
                "built": "search index built"}[self.how]
        return f"{text} in {self.seconds:.1f} s" + (f" ({self.note})" if self.note else "")


def folder_for(store_path: str | os.PathLike[str], model_key: str) -> Path:
    """Where the index of ``model_key``'s vectors of the album at ``store_path`` is kept."""
    store_path = Path(store_path)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model_key) or "model"
    return store_path.parent / f"{store_path.name}.search" / safe


def _digest(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            h.update(block)
    return h.hexdigest()


def open_saved(base: Path, exact_max: int = EXACT_MAX) -> tuple[SearchIndex | None, list[str], str]:
    """(the saved index, the content key of each of its rows, '') or (None, [], why not): no saved
    index, or one damaged (logged as a warning naming the file)."""
    pointer = base / POINTER
    if not pointer.exists():
        return None, [], "none saved yet"
    try:
        meta = json.loads(pointer.read_text(encoding="utf-8"))
        if meta.get("version") != VERSION:
            raise ValueError(f"{pointer}: version {meta.get('version')}, this app reads {VERSION}")
        folder = base / meta["folder"]
        for name, (size, digest) in meta["files"].items():
            path = folder / name
            if not path.exists():
                raise ValueError(f"{path} is missing")
            if path.stat().st_size != size or _digest(path) != digest:
                raise ValueError(f"{path} is damaged (not the file that was saved)")
        index = SearchIndex.open(folder, exact_max)
        content = list(meta["content"])
        if len(content) != len(index.keys):
            raise ValueError(f"{pointer} names {len(content)} photos, the index holds {len(index.keys)}")
    except (OSError, ValueError, RuntimeError, KeyError, TypeError, UnicodeDecodeError) as exc:
        log.warning("the album's search index in %s could not be read (%s): building it again from the "
                    "album's vectors (nothing is lost)", base, exc)
        return None, [], f"the saved one could not be read: {exc}"
    return index, content, ""


def save(base: Path, index: SearchIndex, content: list[str]) -> Path:
    """Save ``index`` (``content``: each row's content key, '' for a removed row) as the one in
    use; the previous ones are removed (where a file of theirs is still open elsewhere, as on
    Windows, at a later save). Returns the new index's folder."""
    base.mkdir(parents=True, exist_ok=True)
    name = f"v{time.time_ns():x}-{os.getpid()}"
    folder = index.save(base / name)
    files = {}
    for path in sorted(folder.iterdir()):
        with open(path, "rb") as fh:  # usearch's own file is not synced by SearchIndex.save
            os.fsync(fh.fileno())
        files[path.name] = (path.stat().st_size, _digest(path))
    from core.fileio import atomic_write_text

    meta = {"version": VERSION, "folder": name, "files": files, "rows": len(index.keys), "content": content}
    atomic_write_text(base / POINTER, json.dumps(meta))  # last: the new index is whole
    for old in base.iterdir():
        if old.is_dir() and old.name != name:
            try:
                shutil.rmtree(old)
            except OSError as exc:  # still open (Windows): removed at the next save
                log.info("kept %s for now: %s", old, exc)
    return folder


def load_or_build(base: Path, paths: list[str], vectors: np.ndarray, content: list[str],
                  exact_max: int = EXACT_MAX) -> tuple[SearchIndex, IndexOutcome]:
    """The search index of ``paths`` (row-aligned ``vectors`` and content keys; '' where the key
    is not known: such a photo is added again each time) from the saved one in ``base``, changed
    or built as needed and saved again, then reopened from disk (its vectors memory-mapped, the
    graph viewed: the process keeps no copy of either)."""
    t0 = time.perf_counter()
    index, have, note = open_saved(base, exact_max)
    wanted = dict(zip(paths, content, strict=True))
    if index is not None and index.dim != vectors.shape[1]:
        index, note = None, f"the saved one has {index.dim} dimensions, the vectors {vectors.shape[1]}"
    if index is not None:
        saved = {k: c for k, c in zip(index.keys, have, strict=True) if k is not None}
        gone = [k for k, c in saved.items() if not c or wanted.get(k) != c]
        new = [i for i, p in enumerate(paths) if not content[i] or saved.get(p) != content[i]]
        if not gone and not new:
            return index, IndexOutcome("opened", seconds=time.perf_counter() - t0)
        dead = len(index.keys) - len(index) + len(gone)
        if len(new) + dead <= REBUILD_SHARE * max(len(paths), 1):
            index.remove(gone)
            if new:
                index.add([paths[i] for i in new], vectors[new])
            how, added, removed = "updated", len(new), len(gone)
        else:
            index, note = None, note or f"{len(new) + len(gone)} of {len(paths)} photos changed"
    if index is None:
        index = SearchIndex(vectors.shape[1], exact_max)
        if paths:
            index.add(list(paths), vectors)
        how, added, removed = "built", len(paths), 0
    try:
        folder = save(base, index, ["" if k is None else wanted.get(k, "") for k in index.keys])
    except OSError as exc:  # a full or read-only disk: this run uses the index in memory
        log.warning("the album's search index could not be saved in %s (%s): it is built again at the "
                    "next start", base, exc)
        note = f"not saved: {exc}"
        return index, IndexOutcome(how, added, removed, time.perf_counter() - t0, note)
    del index  # the copy built in memory: the saved one is used
    reopened = SearchIndex.open(folder, exact_max)
    return reopened, IndexOutcome(how, added, removed, time.perf_counter() - t0, note)
