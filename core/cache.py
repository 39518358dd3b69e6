"""The embedding cache shared by every workspace (SQLite, WAL).

Vectors are keyed by ``(preset, key)``. For a file the key is a hash of its
content, found through a ``files`` table keyed by path, size and mtime, so:

* an unchanged file is never re-read, let alone re-embedded;
* a moved or renamed file hashes to the same key and reuses its vectors;
* an edited file gets a new key and is recomputed.

Texts are keyed by a hash of the text. Vectors are stored as float16 by
default (half the size, plenty for cosine similarity) and read back in bulk.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
_CHUNK = 500  # keys per SELECT ... IN (...): below SQLite's variable limit
_HASH_BLOCK = 1 << 20

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    seen_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS files_hash ON files(content_hash);
-- A rowid table on purpose: WITHOUT ROWID stores whole rows in the B-tree and
-- bloats ~10x with kilobyte-sized vector blobs.
CREATE TABLE IF NOT EXISTS vectors (
    id INTEGER PRIMARY KEY,
    preset TEXT NOT NULL,
    key TEXT NOT NULL,
    dim INTEGER NOT NULL,
    dtype TEXT NOT NULL,
    data BLOB NOT NULL,
    created_at REAL NOT NULL,
    UNIQUE (preset, key)
);
"""


def hash_file(path: str | os.PathLike[str]) -> str:
    from core.fileio import check_regular_file

    check_regular_file(path)  # by stat, before open(): a FIFO would block, /dev/zero never end
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        while block := fh.read(_HASH_BLOCK):
            h.update(block)
    return h.hexdigest()


def text_key(text: str) -> str:
    return "text:" + hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class EmbeddingCache:
    """A thread-safe embedding cache; each thread gets its own connection."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        if path is None:
            from core.paths import cache_db_path

            path = cache_db_path()
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self.moved_aside: Path | None = None  # where a damaged cache file went (it is never deleted)
        try:
            self._open_schema()
        except sqlite3.DatabaseError as exc:
            from core.database import StoreUnavailable, move_aside

            self.close()
            if isinstance(exc, sqlite3.OperationalError) and "malformed" not in str(exc):
                raise StoreUnavailable(self.path, "embedding cache", str(exc), damaged=False) from exc
            # only vectors the models can compute again: set the file aside and start anew
            self.moved_aside = move_aside(self.path)
            log.warning("the embedding cache %s could not be read (%s); moved it aside to %s and "
                        "started a new one (vectors are computed again as needed)", self.path, exc, self.moved_aside)
            self._open_schema()

    def _open_schema(self) -> None:
        con = self._con()
        with con:
            con.executescript(_SCHEMA)
            row = con.execute("SELECT v FROM meta WHERE k='schema_version'").fetchone()
            if row is None:
                con.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            elif int(row[0]) > SCHEMA_VERSION:
                raise RuntimeError(
                    f"{self.path} was written by a newer Simscope (cache schema {row[0]}); "
                    "update Simscope or delete the file to rebuild the cache"
                )

    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            # check_same_thread=False only so close() can close every thread's connection.
            con = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False)
            try:
                con.execute("PRAGMA journal_mode=WAL")  # the first read of the file: a damaged one fails here
                con.execute("PRAGMA synchronous=NORMAL")
                con.execute("PRAGMA journal_size_limit=67108864")  # WAL shrinks back to 64 MB
            except sqlite3.Error:
                con.close()
                raise
            self._local.con = con
            with self._all_lock:
                self._all.append(con)
        return con

    # -- keys ---------------------------------------------------------------
    def file_keys(self, paths: Sequence[str | os.PathLike[str]]) -> list[str]:
        """Content keys for files, hashing only files that are new or changed.

        Raises ``FileNotFoundError``/``OSError`` for a file that cannot be read. A file larger
        than any image (``core.images.MAX_IMAGE_BYTES``: every key here is an image's) is keyed by
        its path, size and time, unread: a crafted 2 GB file took 26 s to hash before reading it
        as an image refused it (``open_image`` then says why, by name).
        """
        from core.images import MAX_IMAGE_BYTES

        con = self._con()
        keys: list[str] = []
        updates: list[tuple] = []
        now = time.time()
        from core.fileio import check_regular_file, utf8_name_problem

        for p in paths:
            p = os.path.abspath(os.fspath(p))
            bad_name = utf8_name_problem(p)
            if bad_name:
                raise OSError(0, bad_name, p.encode("utf-8", "replace").decode("utf-8"))
            check_regular_file(p)
            st = os.stat(p)
            if st.st_size > MAX_IMAGE_BYTES:  # never read: no vector is ever stored under it
                stamp = f"too-big:{p}:{st.st_size}:{st.st_mtime_ns}".encode("utf-8", "surrogateescape")
                keys.append("file:" + hashlib.blake2b(stamp, digest_size=16).hexdigest())
                continue
            row = con.execute(
                "SELECT content_hash FROM files WHERE path=? AND size=? AND mtime_ns=?",
                (p, st.st_size, st.st_mtime_ns),
            ).fetchone()
            if row is not None:
                digest = row[0]
            else:
                digest = hash_file(p)
                updates.append((p, st.st_size, st.st_mtime_ns, digest, now))
            keys.append("file:" + digest)
        if updates:
            with con:
                con.executemany("INSERT OR REPLACE INTO files VALUES (?,?,?,?,?)", updates)
        return keys

    def file_key(self, path: str | os.PathLike[str]) -> str:
        return self.file_keys([path])[0]

    def known_keys(self, paths: Sequence[str | os.PathLike[str]]) -> dict[str, str]:
        """path → content key as ``file_keys`` last recorded it, for the paths the cache knows;
        nothing is opened or stat'ed (a file changed since keeps its old key here until
        ``file_keys`` checks it again). Albums reads the vectors of the photos it already holds
        this way when a folder is added (100,000 stats and look-ups: seconds)."""
        con = self._con()
        wanted = [p if os.path.isabs(p) else os.path.abspath(p) for p in map(os.fspath, paths)]
        out: dict[str, str] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            out.update((path, "file:" + digest) for path, digest in con.execute(
                f"SELECT path, content_hash FROM files WHERE path IN ({marks})", chunk))
        return out

    # -- vectors ------------------------------------------------------------
    def put_many(
        self,
        preset: str,
        keys: Sequence[str],
        vectors: np.ndarray,
        dtype: str = "float16",
    ) -> None:
        """Store vectors (one row per key) in one transaction."""
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or len(keys) != vectors.shape[0]:
            raise ValueError(f"need one row per key: {len(keys)} keys, array {vectors.shape}")
        arr = np.ascontiguousarray(vectors, dtype=np.dtype(dtype))
        dim = arr.shape[1]
        now = time.time()
        rows = ((preset, k, dim, dtype, arr[i].tobytes(), now) for i, k in enumerate(keys))
        con = self._con()
        with con:
            con.executemany(
                "INSERT OR REPLACE INTO vectors (preset, key, dim, dtype, data, created_at) "
                "VALUES (?,?,?,?,?,?)", rows)

    def get_many(self, preset: str, keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Vectors for keys as ``(matrix float32 (N, D), found bool (N,))``.

        Rows of keys not in the cache are zero and ``found`` is False there.
        """
        con = self._con()
        index: dict[str, int] = {}  # key → its row among the distinct keys
        for k in keys:
            index.setdefault(k, len(index))
        found = np.zeros(len(index), dtype=bool)
        dim = None
        out = None
        uniq = list(index)
        for start in range(0, len(uniq), _CHUNK):
            chunk = uniq[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            blobs = con.execute(f"SELECT key, dim, dtype, data FROM vectors WHERE preset=? AND key IN ({marks})",
                                (preset, *chunk)).fetchall()
            for _, d, _, _ in blobs:
                if dim is None:
                    dim = d
                elif d != dim:
                    raise ValueError(f"cache for {preset!r} mixes dimensions {dim} and {d}")
            if not blobs:
                continue
            if out is None:
                out = np.zeros((len(index), dim), dtype=np.float32)
            # each chunk's rows decoded as they come: no list of every blob (100,000 vectors:
            # 0.25 GB of bytes objects and their 0.25 GB join beside the 0.5 GB result)
            rows = np.fromiter((index[b[0]] for b in blobs), dtype=np.int64, count=len(blobs))
            dt = blobs[0][2]
            if all(b[2] == dt for b in blobs):
                out[rows] = np.frombuffer(b"".join(b[3] for b in blobs), dtype=dt).reshape(len(blobs), dim)
            else:
                for i, b in zip(rows, blobs, strict=True):
                    out[i] = np.frombuffer(b[3], dtype=b[2])
            found[rows] = True
        if out is None:
            out = np.zeros((len(index), dim or 0), dtype=np.float32)
        # Duplicate keys share one stored vector (gathered in one step: 100,000 keys of 3,000 files)
        if len(index) != len(keys):
            first = np.fromiter((index[k] for k in keys), dtype=np.int64, count=len(keys))
            out, found = out[first], found[first]
        return out, found

    def missing(self, preset: str, keys: Sequence[str]) -> list[int]:
        """Indices of keys that have no vector for this preset."""
        _, found = self.get_many(preset, keys)
        return [int(i) for i in np.flatnonzero(~found)]

    # -- housekeeping -------------------------------------------------------
    def stats(self) -> dict:
        con = self._con()
        presets = {
            preset: {"vectors": n, "dim": dim}
            for preset, n, dim in con.execute(
                "SELECT preset, COUNT(*), MAX(dim) FROM vectors GROUP BY preset ORDER BY preset"
            )
        }
        files = con.execute("SELECT COUNT(*) FROM files").fetchone()[0]
        size = sum(
            os.path.getsize(p) for p in (self.path, Path(f"{self.path}-wal")) if os.path.exists(p)
        )
        return {"path": str(self.path), "files": files, "presets": presets, "bytes": size}

    def clear(self, presets: Iterable[str] | None = None) -> None:
        con = self._con()
        with con:
            if presets is None:
                con.execute("DELETE FROM vectors")
                con.execute("DELETE FROM files")
            else:
                con.executemany("DELETE FROM vectors WHERE preset=?", [(p,) for p in presets])

    def close(self) -> None:
        with self._all_lock:
            for con in self._all:
                con.close()
            self._all.clear()
        self._local = threading.local()

    def __enter__(self) -> EmbeddingCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
