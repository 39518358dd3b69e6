"""The logo index: a feature matrix + file list (the write-up's ``combined_featuremap*.npy``),
saved beside an ``index.json`` and reopened without a model; top-k cosine search."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.cache import EmbeddingCache
from core.embed import embed_image_files
from core.jobs import CancelCheck, ProgressFn, never_cancelled, null_progress
from core.logos.images import NO_PART, has_part, load_logo, load_logo_part, scan_logos

log = logging.getLogger(__name__)

MATRIX = "combined_featuremap.npy"
NAMES = "combined_featuremap_filenames.npy"
PARTS = "logo_parts.npy"  # the parts' vectors (core.logos.images: a wordmark's icon)
PART_NAMES = "logo_parts_filenames.npy"  # the logo each part is of
META = "index.json"
SEARCH = "search"  # the core.search index beside the write-up's files
NAMESPACE = ":logo"  # logos are padded squares on white: never mixed with photo vectors
PART_NAMESPACE = NAMESPACE + ":part"
PART_KEY = "#part"
HAS_PART = "logo-has-part"  # the cache's record of which logos have a part (any model)  # a part's key in the search layer: its logo's path + this
# A match through a part (the query's or the logo's) counts this much less than the same cosine
# between whole logos: a copy of a logo still finds its original first (augmented-copy recall@1
# 0.961 and inverted hit@1 0.989 over all 1,858 shared logos, as without parts; with no margin
# 0.874 / 0.930) while same-brand recall@5 goes 0.097 -> 0.758 (bench/logos_eval.py; 0.05-0.15
# all keep the copies and give 0.747-0.763).
PART_MARGIN = 0.1
VIA = {(False, False): "", (False, True): "its icon", (True, False): "the query's icon", (True, True): "both icons"}


@dataclass
class Hit:
    file: str
    score: float
    rank: int
    via: str = ""  # "" (the whole logos), or which part matched: "its icon", "the query's icon", "both icons"


@dataclass
class LogoIndex:
    files: list[str]
    vectors: np.ndarray  # (N, D) L2-normalised
    meta: dict
    parts: np.ndarray | None = None  # (M, D) L2-normalised: the leading square of wide/tall logos
    part_files: list[str] | None = None  # (M,) the logo (one of ``files``) each part is of

    def __post_init__(self) -> None:
        # row of each file by its absolute path: a relative query path finds its logo, in O(1)
        self._rows = {os.path.abspath(f): i for i, f in enumerate(self.files)}
        self.part_files = list(self.part_files or [])
        if self.parts is None or not len(self.part_files):
            self.parts = np.zeros((0, self.vectors.shape[1] if self.vectors.ndim == 2 else 0), np.float32)
        if len(self.parts) != len(self.part_files):
            raise ValueError(f"{len(self.parts)} part vectors but {len(self.part_files)} part file names")
        self._part_rows = {os.path.abspath(f): i for i, f in enumerate(self.part_files)}
        self._search = None  # core.search.SearchIndex keyed by absolute path: made on first use

    def _keys(self) -> list[str]:
        return list(self._rows) + [k + PART_KEY for k in self._part_rows]

    @property
    def search_index(self):
        """The search layer over this index (exact below ``core.search.EXACT_MAX`` logos, HNSW above)."""
        if self._search is None:
            from core.search import SearchIndex

            index = SearchIndex(self.vectors.shape[1])
            if len(self.files):
                index.add(self._keys(), np.concatenate([self.vectors, self.parts]) if len(self.parts)
                          else self.vectors)
            self._search = index
        return self._search

    def row_of(self, path: str | os.PathLike[str]) -> int | None:
        return self._rows.get(os.path.abspath(os.fspath(path)))

    def __len__(self) -> int:
        return len(self.files)

    def save(self, out_dir: str | os.PathLike[str]) -> Path:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        from core.fileio import atomic_write, atomic_write_text

        # each file whole or not at all (a crash mid-save keeps the previous index readable)
        with atomic_write(out / MATRIX, "wb") as fh:
            np.save(fh, self.vectors.astype(np.float32))
        with atomic_write(out / NAMES, "wb") as fh:
            np.save(fh, np.array(self.files))
        with atomic_write(out / PARTS, "wb") as fh:
            np.save(fh, self.parts.astype(np.float32))
        with atomic_write(out / PART_NAMES, "wb") as fh:
            np.save(fh, np.array(self.part_files, dtype=str))
        atomic_write_text(out / META, json.dumps(self.meta, ensure_ascii=False, indent=2))
        self.search_index.save(out / SEARCH)  # the HNSW graph, when there is one, is not built again
        return out

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> LogoIndex:
        folder = Path(folder)
        for name in (MATRIX, NAMES):
            if not (folder / name).exists():
                raise FileNotFoundError(f"{folder} is not a logo index (no {name}); build one with "
                                        f"'python -m core logos index DIR --out {folder}'")
        vectors = np.load(folder / MATRIX, mmap_mode="r", allow_pickle=False)  # pages read as used
        files = [str(f) for f in np.load(folder / NAMES, allow_pickle=False)]
        if len(files) != len(vectors):
            raise ValueError(f"{folder}: {len(vectors)} vectors but {len(files)} file names")
        meta = json.loads((folder / META).read_text(encoding="utf-8")) if (folder / META).exists() else {}
        parts, part_files = None, None
        if (folder / PARTS).exists() and (folder / PART_NAMES).exists():  # an index made before parts has none
            parts = np.load(folder / PARTS, allow_pickle=False).astype(np.float32)
            part_files = [str(f) for f in np.load(folder / PART_NAMES, allow_pickle=False)]
            if len(parts) != len(part_files):
                raise ValueError(f"{folder}: {len(parts)} part vectors but {len(part_files)} part file names")
        index = cls(files, vectors if vectors.dtype == np.float32 else vectors.astype(np.float32), meta,
                    parts, part_files)
        if (folder / SEARCH / "index.json").exists():
            from core.search import SearchIndex

            try:
                search = SearchIndex.open(folder / SEARCH)
            except (OSError, ValueError):
                search = None  # made again from the matrices at the first search
            keys = index._keys()
            if search is not None and len(search) == len(keys) and all(k in search for k in keys):
                index._search = search
        return index

    def search(self, query: np.ndarray, k: int = 10, threshold: float = -1.0,
               exclude: str | None = None, exact: bool = False, query_part: np.ndarray | None = None) -> list[Hit]:
        """Top-k logos, best first, scores ≥ threshold (through ``core.search``): a logo's score is
        the best cosine of the query (and ``query_part``, its icon, when it has one) with the
        logo and its part, a match through a part counting ``PART_MARGIN`` less; ``Hit.via``
        says which matched."""
        excluded = os.path.abspath(os.fspath(exclude)) if exclude is not None else None
        skip = [excluded, excluded + PART_KEY] if excluded else None
        queries = [(query, False)] + ([(query_part, True)] if query_part is not None else [])
        if not len(self.parts) and query_part is None:  # whole logos only: the search layer's ranking
            hits = self.search_index.search(query, k, threshold, exclude=excluded, exact=exact)
            return [Hit(self.files[self._rows[h.key]], h.score, h.rank) for h in hits]
        best: dict[str, tuple[float, str]] = {}
        total = len(self.search_index)
        for vector, is_query_part in queries:
            fetch = 2 * k + 2  # a logo has at most two entries, so this many hold the k best ...
            while True:
                hits = self.search_index.search(vector, fetch, -1.0, exclude=skip, exact=exact)
                # what was left out scores at most the last raw score (less the margin, for the query's part)
                floor = (hits[-1].score if hits else -1.0) - (PART_MARGIN if is_query_part else 0.0)
                found: dict[str, tuple[float, str]] = {}
                for h in hits:
                    is_part = h.key.endswith(PART_KEY)
                    key = h.key[: -len(PART_KEY)] if is_part else h.key
                    score = h.score - (PART_MARGIN if is_part or is_query_part else 0.0)
                    if score > found.get(key, (-np.inf, ""))[0]:
                        found[key] = (score, VIA[(is_query_part, is_part)])
                # ... unless the margin moved the order: then until k logos score above what was left out
                if len(hits) < fetch or fetch >= total or sum(s >= floor for s, _ in found.values()) >= k:
                    break
                fetch *= 2
            for key, (score, via) in found.items():
                if score > best.get(key, (-np.inf, ""))[0]:
                    best[key] = (score, via)
        ranked = sorted(best.items(), key=lambda kv: -kv[1][0])
        out = []
        for key, (score, via) in ranked:
            if score < threshold or len(out) == k:
                break
            out.append(Hit(self.files[self._rows[key]], float(score), len(out) + 1, via))
        return out

    def vector_of(self, path: str | os.PathLike[str]) -> np.ndarray | None:
        row = self.row_of(path)
        return None if row is None else self.vectors[row]

    def part_of(self, path: str | os.PathLike[str]) -> np.ndarray | None:
        """The vector of an indexed logo's part (its icon), or None when it has none."""
        row = self._part_rows.get(os.path.abspath(os.fspath(path)))
        return None if row is None else self.parts[row]


def build_index(folder: str | os.PathLike[str], encoder, cache: EmbeddingCache,
                progress: ProgressFn = null_progress, cancelled: CancelCheck = never_cancelled) -> tuple[LogoIndex, list]:
    """Embed every logo under ``folder`` (cached); returns the index and the (file, message) skipped."""
    files, skipped = scan_logos(os.path.abspath(folder))  # absolute paths in the index
    if not files:
        raise FileNotFoundError(f"no logos found in {folder} (PNG, JPEG, WebP, SVG, …)"
                                + (f"; skipped {len(skipped)}: {skipped[0][0]}: {skipped[0][1]}" if skipped else ""))
    from core.jobs import sub_progress

    size = getattr(encoder, "logo_size", 256)
    res = embed_image_files(files, encoder, cache, sub_progress(progress, 0.0, 0.75), cancelled, batch_size=16,
                            loader=lambda p: load_logo(p, size), namespace=NAMESPACE)
    # parts: the icon of each wide (or tall) logo, its own vector (see core.logos.images)
    progress(0.75, "Finding wordmarks with an icon")
    wide = wide_logos(res.paths, cache, res.keys, cancelled)
    parts = embed_image_files(wide, encoder, cache, sub_progress(progress, 0.8, 0.99), cancelled, batch_size=16,
                              loader=lambda p: load_logo_part(p, size), namespace=PART_NAMESPACE)
    for path, message in parts.errors:
        if message != NO_PART:  # the whole logo was drawn but its part could not be: search it whole
            log.warning("no part vector for %s: %s", path, message)
    meta = {"folder": str(Path(folder).resolve()), "model": encoder.describe(), "created": time.time(),
            "count": len(res.paths), "parts": len(parts.paths),
            "skipped": [{"file": p, "error": m} for p, m in skipped + res.errors]}
    progress(1.0, f"{res.summary()}; icons of wordmarks: {parts.summary()}")
    return LogoIndex(res.paths, res.vectors, meta, parts.vectors, parts.paths), skipped + res.errors


def wide_logos(paths: list[str], cache: EmbeddingCache, keys: list[str] | None = None,
               cancelled: CancelCheck = never_cancelled) -> list[str]:
    """The logos among ``paths`` that have a part (``core.logos.images.has_part``). Whether one
    has depends on its content only: the answers are kept in the cache (1 = has one), so
    indexing a folder again draws nothing (1,858 logos: 2.5 s of drawing them small otherwise).
    ``keys``: the files' content keys when known."""
    from core.jobs import check_cancel

    keys = keys if keys is not None else cache.file_keys(paths)
    seen, known = cache.get_many(HAS_PART, keys)
    verdict = seen[:, 0] > 0.5 if seen.shape[1] else np.zeros(len(keys), bool)  # (N, 0): none known yet
    new_rows = np.flatnonzero(~known)
    for n, i in enumerate(new_rows):
        if n % 64 == 0:
            check_cancel(cancelled)
        verdict[i] = has_part(paths[i])
    if len(new_rows):
        cache.put_many(HAS_PART, [keys[i] for i in new_rows], verdict[new_rows, None].astype(np.float32))
    return [p for p, v in zip(paths, verdict, strict=True) if v]


def stale_model(meta: dict) -> str | None:
    """Why an index's vectors no longer match the model of the same name, or None: the shipped
    logo model changes between releases (v1 → v2) under one preset name, and a query embedded
    with the new weights is not comparable with vectors of the old ones."""
    from core.models.loaders import TINY_LABEL
    from core.models.registry import get_preset

    model = meta.get("model") or {}
    name, weights = model.get("preset"), model.get("weights") or ""
    if not name or model.get("checkpoint") or not weights or weights == TINY_LABEL:
        return None
    try:
        preset = get_preset(name)
    except KeyError:
        return None
    if not preset.bundled or weights == preset.weights or weights.startswith(preset.weights + " ("):
        return None
    return f"it was made with {weights.split(' (')[0]}; this version of Simscope ships {preset.weights}"


def embed_query(path: str | os.PathLike[str], encoder, warm: bool = True, part: bool = False):
    """One logo's vector (raises ``ImageError`` for a file that is not a logo), through the
    encoder's warm query path (``core.logos.query``: ONNX Runtime on the CPU; exporting and
    checking it the first time costs a few seconds, and leaves the export for later processes:
    ``onnx_query_vector``). ``warm=False``: torch's forward alone (~50 ms), for a caller that
    wants no export made. ``part``: ``(vector, its icon's vector or None)`` for
    :meth:`LogoIndex.search`'s ``query_part``."""
    from core.logos.query import QueryEmbedder

    # warm: the encoder's shared export (made once per encoder, as its embedding jobs use it)
    embedder = QueryEmbedder(encoder, shared=True) if warm else QueryEmbedder(encoder, use_onnx=False)
    return (embedder(path), embedder.part(path)) if part else embedder(path)


def checkpoint_id(path: str | os.PathLike[str]) -> str:
    h = hashlib.blake2b(digest_size=8)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
