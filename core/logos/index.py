"""The logo index: a feature matrix + file list (the write-up's ``combined_featuremap*.npy``),
saved beside an ``index.json`` and reopened without a model; top-k cosine search."""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.cache import EmbeddingCache
from core.embed import embed_image_files
from core.jobs import CancelCheck, ProgressFn, never_cancelled, null_progress
from core.logos.images import load_logo, scan_logos

MATRIX = "combined_featuremap.npy"
NAMES = "combined_featuremap_filenames.npy"
META = "index.json"
SEARCH = "search"  # the core.search index beside the write-up's files
NAMESPACE = ":logo"  # logos are padded squares on white: never mixed with photo vectors


@dataclass
class Hit:
    file: str
    score: float
    rank: int


@dataclass
class LogoIndex:
    files: list[str]
    vectors: np.ndarray  # (N, D) L2-normalised
    meta: dict

    def __post_init__(self) -> None:
        # row of each file by its absolute path: a relative query path finds its logo, in O(1)
        self._rows = {os.path.abspath(f): i for i, f in enumerate(self.files)}
        self._search = None  # core.search.SearchIndex keyed by absolute path: made on first use

    @property
    def search_index(self):
        """The search layer over this index (exact below ``core.search.EXACT_MAX`` logos, HNSW above)."""
        if self._search is None:
            from core.search import SearchIndex

            index = SearchIndex(self.vectors.shape[1])
            if len(self.files):
                index.add(list(self._rows), self.vectors)
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
        index = cls(files, vectors if vectors.dtype == np.float32 else vectors.astype(np.float32), meta)
        if (folder / SEARCH / "index.json").exists():
            from core.search import SearchIndex

            try:
                search = SearchIndex.open(folder / SEARCH)
            except (OSError, ValueError):
                search = None  # made again from the matrix at the first search
            if search is not None and len(search) == len(files) and all(k in search for k in index._rows):
                index._search = search
        return index

    def search(self, query: np.ndarray, k: int = 10, threshold: float = -1.0,
               exclude: str | None = None, exact: bool = False) -> list[Hit]:
        """Top-k by cosine similarity, best first, scores ≥ threshold (through ``core.search``)."""
        excluded = os.path.abspath(os.fspath(exclude)) if exclude is not None else None
        hits = self.search_index.search(query, k, threshold, exclude=excluded, exact=exact)
        return [Hit(self.files[self._rows[h.key]], h.score, h.rank) for h in hits]

    def vector_of(self, path: str | os.PathLike[str]) -> np.ndarray | None:
        row = self.row_of(path)
        return None if row is None else self.vectors[row]


def build_index(folder: str | os.PathLike[str], encoder, cache: EmbeddingCache,
                progress: ProgressFn = null_progress, cancelled: CancelCheck = never_cancelled) -> tuple[LogoIndex, list]:
    """Embed every logo under ``folder`` (cached); returns the index and the (file, message) skipped."""
    files, skipped = scan_logos(os.path.abspath(folder))  # absolute paths in the index
    if not files:
        raise FileNotFoundError(f"no logos found in {folder} (PNG, JPEG, WebP, SVG, …)"
                                + (f"; skipped {len(skipped)}: {skipped[0][0]}: {skipped[0][1]}" if skipped else ""))
    size = getattr(encoder, "logo_size", 256)
    res = embed_image_files(files, encoder, cache, progress, cancelled, batch_size=16,
                            loader=lambda p: load_logo(p, size), namespace=NAMESPACE)
    meta = {"folder": str(Path(folder).resolve()), "model": encoder.describe(), "created": time.time(),
            "count": len(res.paths), "skipped": [{"file": p, "error": m} for p, m in skipped + res.errors]}
    return LogoIndex(res.paths, res.vectors, meta), skipped + res.errors


def embed_query(path: str | os.PathLike[str], encoder, warm: bool = True) -> np.ndarray:
    """One logo's vector (raises ``ImageError`` for a file that is not a logo), through the
    encoder's warm query path (``core.logos.query``: ONNX Runtime on the CPU; exporting and
    checking it the first time costs a few seconds, and leaves the export for later processes:
    ``onnx_query_vector``). ``warm=False``: torch's forward alone (~50 ms), for a caller that
    wants no export made."""
    from core.logos.query import QueryEmbedder

    if not warm:
        return QueryEmbedder(encoder, use_onnx=False)(path)
    embedder = getattr(encoder, "_query_embedder", None)
    if embedder is None:
        embedder = encoder._query_embedder = QueryEmbedder(encoder)
    return embedder(path)


def checkpoint_id(path: str | os.PathLike[str]) -> str:
    h = hashlib.blake2b(digest_size=8)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
