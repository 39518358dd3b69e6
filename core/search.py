"""One search layer for every workspace: vectors keyed by the cache's keys, top-k by cosine.

``SearchIndex`` holds L2-normalised vectors under string keys (a file path, a content key, a
post id) and answers ``search(query, k, threshold, exclude)`` best first. Adding and removing
keys never rebuilds it: rows are appended, a removed row becomes a tombstone, and the key → row
map makes exclusion and removal O(1). It saves to a folder and opens in well under a second:
the vectors as a float16 ``.npy`` that is memory-mapped, the graph as a usearch file that is
*viewed* (memory-mapped, not read).

Backends, chosen by size (``EXACT_MAX``, measured in ``bench/search.py``):

* **exact** (NumPy): the vectors in RAM as float32, ``vectors @ q`` and ``argpartition``. Below
  ~20k vectors of 1,280-d that is 1–4 ms on 2 cores and returns the true top-k.
* **hnsw** (usearch): an HNSW graph over the vectors, cosine, its own copy of them as int8 over
  a PCA projection to 128 dimensions when they are wider (fitted on the vectors it is built
  from). It returns ``k × RERANK`` candidates that are re-scored exactly against the full
  float16 vectors (read from the saved file, see ``_rows_of``), so the scores a user sees are
  true cosines and the order is the exact order among the candidates. ``connectivity``,
  ``expansion`` and the candidate count are the values ``bench/search.py`` measured on logo
  embeddings (``search_params``): at 100k recall@10 against the exact search 1.000 (copies
  varying along the embeddings' own directions) with ef 128, p50 ~2 ms; at 1M (ef 256) 0.981 at
  ~2 ms p50, 0.990 at ef 512 (2 cores).

  How it got there. The graph first: with connectivity 32 / expansion_add 128 a million (float16
  over PCA-256) reached only 0.931 at ef 512 and no ef closed the gap (ef 2,048: 0.944 at 19 ms):
  each logo has ~540 near-identical copies at 1M and a sparse graph links such dense clusters
  poorly; 48 / 256 reached 0.961 at ef 512 but 6.2 ms p50. Then the graph's vectors: on a 100k
  stand-in with the same ~540 copies per logo, int8 over PCA-128 beat float16 over PCA-256 on
  recall at every ef (ef 256: 0.978 vs 0.952) and on time (2.3 vs 3.7 ms), with a smaller graph
  (128 bytes a vector, not 512) and a faster build (54 vs 78 s); the exact re-scoring makes up
  for the coarser graph. A million then: 0.990 at ef 512, 0.981 at ef 256 (~2 ms p50).
  ``search(..., exact=True)`` always scans every vector.

Why usearch over faiss-cpu (``bench/search.py --backends hnsw faiss``, the same PCA projection,
connectivity, expansion and re-scoring; 2 cores): at 100k usearch built in 25 s vs faiss's 34 s
and answered in 1.2 vs 1.0 ms p50, both at recall@10 1.000 (10k: 1.0 vs 0.9 ms, 0.997 vs
1.000). But usearch stores the graph's vectors as int8 (faiss's HNSWFlat: float32; 297 vs 332 MB
on disk at 100k with the vectors) and opens a saved index as a memory-mapped *view*: its own
memory at 100k was 45 MB against faiss's 112 MB (peak RSS 129 vs 380 MB), as faiss reads the
whole index into RAM (gigabytes at a million vectors); and it adds and removes keys in place.
It is one small wheel with no BLAS of its own.

Beyond one machine: this interface (``add`` / ``remove`` / ``search(k, threshold, exclude)``
by key) is the one a Qdrant collection or a FAISS-IVF server would sit behind when one index
no longer fits one machine: keys stay the cache's keys, scores stay cosines, and a remote
backend would be a third class beside the two here. It is not built.
"""

from __future__ import annotations

import json
import os
import sys
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.vectors import unit

EXACT_MAX = 20_000  # at or below: exact NumPy search (bench/search.py)
HNSW_DTYPE = "i8"  # the graph's own copy of the (projected) vectors
HNSW_DIM = 128  # HNSW over a PCA projection to this many dimensions when the vectors have more
# Set from bench/search.py on logo embeddings (jittered copies: ~50 near copies of each logo at
# 100k, ~540 at 1M). At 100k: connectivity 16 / ef 96 / 40 candidates reached recall@10 0.82
# (white-noise copies); connectivity 32 / 120 candidates 0.984-0.999 already at ef 128 (1.1 ms)
# and no better at ef 512 (3.3 ms). At 1M (int8, PCA-128, 48 / 256): ef 128 0.970, 192 0.978,
# 256 0.981 (~2 ms p50), 512 0.990 (~3.7 ms): see the module's docstring.
CONNECTIVITY = 48
EXPANSION_ADD = 256
EXPANSION_SEARCH = 256  # above EF_SMALL_N vectors
EF_SMALL = 128  # search expansion up to EF_SMALL_N vectors
EF_SMALL_N = 200_000
RERANK = 12  # HNSW candidates per wanted result, re-scored exactly against the stored vectors
VERSION = 1
PCA_SAMPLE = 20_000  # rows the projection is fitted on
# rows normalised / projected / added at a time: bounds the float32 temporaries (20,000 × 1,280: 100 MB
# each; at 100,000 the build of a 100k-photo album's index peaked ~0.8 GB above its vectors)
CHUNK = 20_000
# neighbours(): the self-join (every row's k nearest), for Albums' duplicates and bursts
SELF_BLOCK = 2048  # rows answered at a time (exact: a SELF_BLOCK × n block of scores)
SELF_RERANK = 2  # candidates per wanted neighbour, re-scored exactly
SELF_EF = 32  # the graph's search expansion for the self-join (bench/albums_scale.py)
SELF_DIMS = 64  # the exact self-join scans the rows projected to this many dimensions


@dataclass
class Hit:
    key: str
    score: float  # cosine similarity
    rank: int


def search_params(n: int, k: int) -> tuple[int, int]:
    """(ef, candidates) for a top-``k`` HNSW search over ``n`` vectors: the graph's search
    expansion and how many candidates are re-scored exactly (see the module's docstring)."""
    count = min(max(k * RERANK, k + 10), n)
    return max(EF_SMALL if n <= EF_SMALL_N else EXPANSION_SEARCH, count), count


def _usearch_index():
    """usearch's ``Index`` class, loaded after onnxruntime when that is installed.

    usearch's extension carries its own copy of libstdc++'s locale code; once it is loaded,
    importing onnxruntime's extension crashes the process (a segfault in
    ``std::codecvt<char16_t>::do_unshift``, usearch 2.26 + onnxruntime 1.32 on Linux). In the
    other order both load and work, so onnxruntime (the logo query path) is loaded first."""
    import importlib.util

    if "onnxruntime" not in sys.modules and importlib.util.find_spec("onnxruntime") is not None:
        import onnxruntime  # noqa: F401 - see above: the load order is the fix
    from usearch.index import Index

    return Index


class SearchIndex:
    """Keyed vectors with exact or HNSW top-k search (see the module's docstring)."""

    def __init__(self, dim: int, exact_max: int = EXACT_MAX, reduce: int | None = None) -> None:
        self.dim = dim
        self.exact_max = exact_max
        # ``candidates()`` on the exact backend: scan a float32 copy projected onto the top
        # ``reduce`` (uncentred) principal directions, made at the first call after a change
        self.reduce = reduce if reduce and reduce < dim else None
        self._reduced: tuple[np.ndarray, np.ndarray] | None = None  # (basis (D, r), rows (n, r))
        self.keys: list[str | None] = []  # row → key (None: removed)
        self._rows: dict[str, int] | None = {}  # key → row (made on first use after open)
        self._vectors = np.zeros((0, dim), np.float32)  # all rows, normalised: float32, float16 with HNSW
        self._n = 0  # rows in use (the array may have spare capacity)
        self._exact32: np.ndarray | None = None  # float32 copy for the exact scan, made on demand
        self._hnsw = None  # usearch.index.Index over row ids
        self._pca: tuple[np.ndarray, np.ndarray] | None = None  # (mean (D,), components (d, D))
        self._viewed = False  # the HNSW file is memory-mapped: re-load it before changing it
        self._folder: Path | None = None
        self._dead: list[int] = []  # tombstoned rows (for the exact scan)

    # -- size and contents -------------------------------------------------------------
    @property
    def rows(self) -> dict[str, int]:
        """Key → row; an opened index makes it at the first look-up (1M keys: ~0.2 s)."""
        if self._rows is None:
            self._rows = {k: r for r, k in enumerate(self.keys) if k is not None}
        return self._rows

    def __len__(self) -> int:
        return self._n - len(self._dead)

    def __contains__(self, key: str) -> bool:
        return key in self.rows

    @property
    def backend(self) -> str:
        return "hnsw" if self._hnsw is not None else "exact"

    @property
    def vectors(self) -> np.ndarray:
        """Every row in use, removed ones included (float32 for exact, float16 with HNSW)."""
        return self._vectors[: self._n]

    def vector(self, key: str) -> np.ndarray | None:
        row = self.rows.get(key)
        return None if row is None else self._vectors[row].astype(np.float32)

    # -- changes -----------------------------------------------------------------------
    def add(self, keys: list[str], vectors: np.ndarray) -> None:
        """Add or replace vectors by key (a key already there gets the new vector).

        Memory: the vectors are normalised and (for an HNSW index) projected ``CHUNK`` rows at a
        time, and stored as float16 once the index is past ``exact_max``: adding a million
        1,280-d vectors at once peaks near their float16 size plus a chunk, not several float32
        copies of them (that ran a 24 GB machine out of memory)."""
        vectors = np.atleast_2d(vectors)
        if vectors.shape != (len(keys), self.dim):
            raise ValueError(f"expected {len(keys)} vectors of {self.dim} dimensions, got {vectors.shape}")
        if not keys:
            return
        self.remove([k for k in keys if k in self.rows])
        start = self._n
        if (self._hnsw is not None or start + len(keys) > self.exact_max) and self._vectors.dtype != np.float16:
            self._vectors = self._vectors[: self._n].astype(np.float16)  # ≤ exact_max rows so far
            self._exact32 = None
        self._reserve(start + len(keys))
        for i in range(0, len(keys), CHUNK):
            stop = min(i + CHUNK, len(keys))
            self._vectors[start + i: start + stop] = unit(vectors[i:stop], np.float32)
        self._n += len(keys)
        for i, key in enumerate(keys):
            self.keys.append(key)
            self.rows[key] = start + i
        if self._exact32 is not None:
            self._exact32 = None  # rebuilt (cheaply) at the next exact search
        self._reduced = None
        if self._hnsw is not None:
            self._writable()
            self._add_to_graph(self._hnsw, np.arange(start, start + len(keys)), os.cpu_count() or 1)
        elif len(self) > self.exact_max:
            self.build_hnsw()

    def _add_to_graph(self, graph, rows: np.ndarray, threads: int) -> None:
        for i in range(0, len(rows), CHUNK):
            part = rows[i: i + CHUNK]
            graph.add(part, self._project(self._vectors[part]), threads=threads)

    def remove(self, keys: list[str]) -> int:
        """Remove keys (unknown ones are ignored); O(1) each, the row becomes a tombstone."""
        removed = 0
        for key in keys:
            row = self.rows.pop(key, None)
            if row is None:
                continue
            self.keys[row] = None
            self._dead.append(row)
            removed += 1
            if self._hnsw is not None:
                self._writable()
                self._hnsw.remove(row)
        return removed

    def _reserve(self, n: int) -> None:
        if n > len(self._vectors):
            grown = np.zeros((max(n, 2 * len(self._vectors), 1024), self.dim), self._vectors.dtype)
            if self._file is not None and self._vectors is self._file[0]:
                self._read_saved(grown[: self._n])
            else:
                grown[: self._n] = self._vectors[: self._n]
            self._vectors = grown

    def _read_saved(self, out: np.ndarray) -> None:
        """The saved vectors of an opened index into ``out`` (its first rows), read from the file,
        not through the memory map: copying a million rows through the map also kept every page of
        the file in the process (1M × 1,280 float16: 2.6 GB more resident memory at an update, on
        top of the copy; see ``_rows_of``)."""
        _, fd, offset, _ = self._file
        view = memoryview(out).cast("B")
        done = 0
        while done < len(view):
            got = os.preadv(fd, [view[done: done + (1 << 26)]], offset + done)
            if got <= 0:
                raise OSError(f"{self._folder}: vectors.npy is shorter than index.json says")
            done += got

    def _writable(self) -> None:
        """A viewed (memory-mapped) HNSW file is read-only: load it into memory before a change."""
        if self._viewed and self._folder is not None:
            self._hnsw.load(str(self._folder / "hnsw.usearch"))
            self._viewed = False

    # -- HNSW --------------------------------------------------------------------------
    def _project(self, vectors: np.ndarray) -> np.ndarray:
        if self._pca is None:
            return vectors.astype(np.float32)
        mean, comps = self._pca
        return unit((vectors.astype(np.float32) - mean) @ comps.T, np.float32)

    def _live(self) -> np.ndarray:
        return np.array([r for r, k in enumerate(self.keys) if k is not None], np.int64)

    def _principal(self, live: np.ndarray, dims: int, centre: bool) -> tuple[np.ndarray, np.ndarray]:
        """(mean (D,), the top ``dims`` principal directions (dims, D)) of a seeded sample of up to
        ``PCA_SAMPLE`` live rows; ``centre=False``: of the uncentred vectors (the mean is zeros).
        From the (D × D) scatter matrix: no (n × D) U as an SVD makes."""
        pick = np.sort(np.random.default_rng(0).permutation(len(live))[:PCA_SAMPLE])
        sample = np.asarray(self._vectors[live[pick]], np.float32)
        mean = sample.mean(0) if centre else np.zeros(self.dim, np.float32)
        sample = sample - mean
        values, vectors = np.linalg.eigh((sample.T @ sample).astype(np.float64))
        top = np.argsort(values)[::-1][:dims]
        return mean.astype(np.float32), np.ascontiguousarray(vectors[:, top].T, np.float32)

    def build_hnsw(self, threads: int | None = None) -> None:
        """(Re)build the HNSW graph over the live rows (and fit the PCA when the vectors are wide)."""
        Index = _usearch_index()

        live = self._live()
        if self._vectors.dtype != np.float16:
            self._vectors = self._vectors.astype(np.float16)  # half the memory; candidates re-scored from it
        self._exact32 = None
        self._pca = None
        if self.dim > HNSW_DIM and len(live):
            self._pca = self._principal(live, HNSW_DIM, centre=True)
        ndim = HNSW_DIM if self._pca is not None else self.dim
        index = Index(ndim=ndim, metric="cos", dtype=HNSW_DTYPE, connectivity=CONNECTIVITY,
                      expansion_add=EXPANSION_ADD, expansion_search=EXPANSION_SEARCH)
        if len(live):
            self._add_to_graph(index, live, threads or os.cpu_count() or 1)
        self._hnsw, self._viewed = index, False

    # -- search ------------------------------------------------------------------------
    def search(self, query: np.ndarray, k: int = 10, threshold: float = -1.0, exclude=None,
               exact: bool = False) -> list[Hit]:
        """Top-k keys by cosine, best first, each with score ≥ ``threshold``; ``exclude``: a key
        or keys left out (a query that is itself in the index)."""
        q = unit(np.asarray(query, np.float32).ravel())
        excluded = {exclude} if isinstance(exclude, str) else set(exclude or ())
        skip = {self.rows[e] for e in excluded if e in self.rows} if excluded else set()
        want = min(k, len(self) - len(skip))
        if want <= 0:
            return []
        if self._hnsw is not None and not exact:
            rows = self._hnsw_candidates(q, want + len(skip))
            scores = self._rows_of(rows).astype(np.float32) @ q  # exact re-score of the candidates
        else:
            rows, scores = self._exact_candidates(q, want + len(skip))
        order = np.argsort(-scores, kind="stable")
        hits = []
        for i in order:
            row = int(rows[i])
            if row in skip or self.keys[row] is None:
                continue
            if scores[i] < threshold or len(hits) == want:
                break
            hits.append(Hit(self.keys[row], float(scores[i]), len(hits) + 1))
        return hits

    def candidates(self, query: np.ndarray, count: int, within: np.ndarray | None = None) -> np.ndarray:
        """The rows of (about) the ``count`` best vectors for ``query``, unordered, for a caller
        that scores them itself (Lost & Found's channels): ``within`` is a boolean mask over the
        rows (``len(self.keys)``) that may be returned. Exact backend: by the full vectors, or by
        the reduced copy when the index was made with ``reduce``; HNSW: its candidates (ef ≥
        count), then ``within``."""
        q = unit(np.asarray(query, np.float32).ravel())
        if self._hnsw is not None:
            rows = self._hnsw_candidates(q, count, rerank=False)
            return rows if within is None else rows[within[rows]]
        scores = self._coarse_scores(q)
        if within is not None:
            scores = np.where(within, scores, -np.inf)
        count = min(count, int(np.isfinite(scores).sum()))
        if count <= 0:
            return np.zeros(0, np.int64)
        return np.argpartition(-scores, count - 1)[:count]

    def neighbours(self, k: int, threshold: float = -1.0, rows: np.ndarray | None = None,
                   threads: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each live row's (of ``rows``, default all) up to ``k`` nearest other live rows with a
        cosine ≥ ``threshold``: three arrays (row, other row, cosine), never a row with itself.
        A self-join in O(n·k) memory, for Albums' duplicates and bursts (never an n × n matrix).

        HNSW: the graph answers the rows in batches (``threads`` at once) with ``SELF_EF``, ``k ×
        SELF_RERANK`` candidates each, re-scored exactly against the stored vectors. Exact
        (at most ``exact_max`` rows): a blocked scan of the rows projected on their top
        ``SELF_DIMS`` (uncentred) principal directions picks ``k × SELF_RERANK`` candidates per
        row, re-scored exactly; its time is quadratic in n but bounded by ``exact_max``, its
        memory ``SELF_BLOCK`` × n."""
        live = self._live()
        rows = live if rows is None else np.asarray(rows, np.int64)
        empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))
        count = min(k * SELF_RERANK, len(live) - 1)
        if k < 1 or count < 1 or not len(rows):
            return empty
        threads = threads or os.cpu_count() or 1
        alive = np.zeros(len(self.keys), bool)
        alive[live] = True
        found = []
        if self._hnsw is not None:
            self._hnsw.expansion_search = max(SELF_EF, count + 1)
            for s in range(0, len(rows), SELF_BLOCK):
                part = rows[s: s + SELF_BLOCK]
                got = self._hnsw.search(self._project(self._vectors[part]), count + 1, threads=threads)
                keys = np.asarray(got.keys, np.int64).reshape(len(part), -1)
                ok = np.arange(keys.shape[1])[None] < np.asarray(got.counts).reshape(-1, 1)
                found.append(self._best_of(part, np.where(ok, keys, -1), k, threshold, alive))
        else:
            dead = np.zeros(self._n, bool)
            dead[self._dead] = True
            full = np.asarray(self._vectors[: self._n], np.float32)
            if self.dim > SELF_DIMS and self._n > SELF_DIMS:
                basis = np.ascontiguousarray(self._principal(live, SELF_DIMS, centre=False)[1].T)
                coarse = full @ basis
            else:
                coarse = full
            for s in range(0, len(rows), SELF_BLOCK):
                part = rows[s: s + SELF_BLOCK]
                scores = coarse[part] @ coarse.T
                scores[:, dead] = -np.inf
                scores[np.arange(len(part)), part] = -np.inf
                top = np.argpartition(-scores, count - 1, axis=1)[:, :count]
                found.append(self._best_of(part, top, k, threshold, alive))
        return tuple(np.concatenate(col) for col in zip(*found, strict=True)) if found else empty

    def _best_of(self, part: np.ndarray, candidates: np.ndarray, k: int,
                 threshold: float, alive: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, other, cosine) of each row's ``k`` best ``candidates`` (-1: none) by the exact
        cosine of the stored vectors, at or above ``threshold``, never the row itself nor a removed
        one (``alive``: a mask over the rows)."""
        bad = (candidates < 0) | (candidates == part[:, None])
        safe = np.where(bad, part[:, None], candidates)
        vectors = np.asarray(self._vectors[part], np.float32)
        scores = np.empty(candidates.shape, np.float32)
        for j in range(candidates.shape[1]):  # column by column: no (rows × candidates × D) temporary
            scores[:, j] = np.einsum("ij,ij->i", vectors, np.asarray(self._vectors[safe[:, j]], np.float32))
        scores[bad | ~alive[safe]] = -np.inf
        keep = min(k, candidates.shape[1])
        best = np.argpartition(-scores, keep - 1, axis=1)[:, :keep]
        s = np.take_along_axis(scores, best, 1)
        o = np.take_along_axis(safe, best, 1)
        ok = s >= threshold
        return np.broadcast_to(part[:, None], o.shape)[ok], o[ok], s[ok]

    def _coarse_scores(self, q: np.ndarray) -> np.ndarray:
        """Every row's score for the exact scan: full vectors, or the reduced copy (``reduce``)."""
        if self.reduce is None or self._n <= self.reduce:
            return self._exact_scores(q)
        if self._reduced is None or len(self._reduced[1]) != self._n:
            # uncentred (eigenvectors of XᵀX): dot products are what is kept
            basis = np.ascontiguousarray(self._principal(self._live(), self.reduce, centre=False)[1].T)
            rows = np.concatenate([np.asarray(self._vectors[i: i + CHUNK], np.float32) @ basis
                                   for i in range(0, self._n, CHUNK)])
            self._reduced = (basis, rows)
        basis, rows = self._reduced
        scores = rows @ (q @ basis)
        if self._dead:
            scores[self._dead] = -np.inf
        return scores

    def _exact_scores(self, q: np.ndarray) -> np.ndarray:
        if self._vectors.dtype == np.float32:
            matrix = self._vectors[: self._n]
        else:  # an HNSW index asked for exact search: a float32 copy, kept for the next one
            if self._exact32 is None or len(self._exact32) != self._n:
                self._exact32 = np.ascontiguousarray(self._vectors[: self._n], dtype=np.float32)
            matrix = self._exact32
        scores = matrix @ q
        if self._dead:
            scores[self._dead] = -np.inf
        return scores

    def _exact_candidates(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        scores = self._exact_scores(q)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        return top, scores[top]

    def _rows_of(self, rows: np.ndarray) -> np.ndarray:
        """The stored vectors of ``rows``: read from the saved file with ``pread`` when the index
        was opened from one and not changed since, else from the array.

        Why not from the memory map: every page fault on a mapped file also maps the up to 15
        neighbouring pages already in the page cache ("fault-around", 64 KB; ``MADV_RANDOM``
        stops the read-ahead, not this), so on a warm cache each re-scored 2.5 KB row added
        ~64 KB to the process's resident memory: after 200 queries at 1M, 2.4 GB RSS, most of the
        vectors file (bench/search.py). A read leaves the pages in the page cache, where the
        kernel can drop them, and not in the process."""
        if self._file is None or self._vectors is not self._file[0]:
            return self._vectors[rows]
        _, fd, offset, row_bytes = self._file
        out = np.empty((len(rows), self.dim), self._vectors.dtype)
        view = memoryview(out).cast("B")
        for i, row in enumerate(rows.tolist()):
            got = os.preadv(fd, [view[i * row_bytes: (i + 1) * row_bytes]], offset + row * row_bytes)
            if got != row_bytes:
                raise OSError(f"{self._folder}: vectors.npy is shorter than index.json says (row {row})")
        return out

    _file = None  # (the memory-mapped vectors, fd, data offset, bytes per row) of an opened index

    def _hnsw_candidates(self, q: np.ndarray, k: int, rerank: bool = True) -> np.ndarray:
        ef, count = search_params(len(self.keys), k)
        if not rerank:  # the caller scores them: as many as asked for
            count = min(k, len(self.keys))
            ef = max(ef, count)
        self._hnsw.expansion_search = ef
        matches = self._hnsw.search(self._project(q[None])[0], count)
        return np.asarray(matches.keys, np.int64)

    # -- files -------------------------------------------------------------------------
    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Into ``folder``: ``vectors.npy`` (float32, or float16 with HNSW), ``keys.bin``,
        ``hnsw.usearch`` and ``pca.npz`` when built, then ``index.json``; each file whole or not at all."""
        from core.fileio import atomic_write, atomic_write_text

        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        with atomic_write(out / "vectors.npy", "wb") as fh:
            np.save(fh, np.ascontiguousarray(self._vectors[: self._n]))
        if self._hnsw is not None:
            tmp = out / "hnsw.usearch.tmp"
            self._hnsw.save(str(tmp))
            os.replace(tmp, out / "hnsw.usearch")
            if self._pca is not None:
                with atomic_write(out / "pca.npz", "wb") as fh:
                    np.savez(fh, mean=self._pca[0], components=self._pca[1])
        else:
            for stale in ("hnsw.usearch", "pca.npz"):
                (out / stale).unlink(missing_ok=True)
        with atomic_write(out / "keys.bin", "wb") as fh:  # UTF-8, NUL-separated; removed rows: ""
            fh.write("\0".join("" if k is None else k for k in self.keys[: self._n]).encode("utf-8"))
        meta = {"version": VERSION, "dim": self.dim, "rows": self._n, "dead": sorted(self._dead),
                "backend": self.backend, "pca": self._pca is not None}
        atomic_write_text(out / "index.json", json.dumps(meta))  # written last: the index is whole
        self._folder = out
        return out

    _random_access = False  # the memory-mapped vectors were opened with MADV_RANDOM (see _advise_random)

    @classmethod
    def open(cls, folder: str | os.PathLike[str], exact_max: int = EXACT_MAX) -> SearchIndex:
        """Open a saved index: the vectors memory-mapped, the HNSW graph viewed (not read)."""
        folder = Path(folder)
        meta_path = folder / "index.json"
        if not meta_path.exists():
            raise FileNotFoundError(f"{folder} is not a search index (no index.json)")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{meta_path} is damaged ({exc}); index the folder again") from exc
        if meta.get("version") != VERSION:
            raise ValueError(f"{folder}: search index version {meta.get('version')}, this app reads {VERSION}")
        index = cls(int(meta["dim"]), exact_max)
        vectors = np.load(folder / "vectors.npy", mmap_mode="r", allow_pickle=False)
        index._random_access = _advise_random(vectors)
        keys = (folder / "keys.bin").read_bytes().decode("utf-8").split("\0") if meta["rows"] else []
        if vectors.shape != (meta["rows"], index.dim) or len(keys) != meta["rows"]:
            raise ValueError(f"{folder}: vectors.npy has {vectors.shape}, index.json says "
                             f"{meta['rows']} × {index.dim} ({len(keys)} keys)")
        index._vectors, index._n = vectors, int(meta["rows"])
        if hasattr(os, "preadv") and vectors.flags.c_contiguous and meta["rows"]:
            fd = os.open(folder / "vectors.npy", os.O_RDONLY)
            index._file = (vectors, fd, int(vectors.offset), vectors.itemsize * index.dim)
            weakref.finalize(index, os.close, fd)
        index.keys = keys
        index._dead = list(meta.get("dead", []))
        for row in index._dead:
            index.keys[row] = None
        index._rows = None  # made at the first look-up by key
        index._folder = folder
        if meta["backend"] == "hnsw" and (folder / "hnsw.usearch").exists():
            Index = _usearch_index()

            if meta.get("pca"):
                with np.load(folder / "pca.npz") as z:
                    index._pca = (z["mean"], z["components"])
            index._hnsw = Index.restore(str(folder / "hnsw.usearch"), view=True)
            index._viewed = True
        return index


def _advise_random(vectors: np.ndarray) -> bool:
    """Tell the kernel the memory-mapped vectors are read at random rows (``MADV_RANDOM``).

    Re-scoring reads ~120 scattered rows a query; with the default read-ahead each 2.5 KB row
    pulled in ~128 KB around it, and after 200 queries at 1M the process's resident memory was
    3.2 GB, the whole file (bench/search.py; the same on a 1 GB file: 1,026 → 179 MB peak RSS).
    False where the platform has no ``madvise`` (Windows)."""
    import mmap

    handle = getattr(vectors, "_mmap", None)
    if handle is None or not hasattr(mmap, "MADV_RANDOM"):
        return False
    handle.madvise(mmap.MADV_RANDOM)
    return True
