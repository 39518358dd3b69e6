"""Near-duplicate logos by perceptual hash (imagehash): groups to review, with a suggested keeper.

"Duplicate" here means the same picture (hash distance ≤ threshold, or, when vectors
are given, a cosine similarity ≥ ``tight``); "similar" is the embedding top-k, elsewhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from core.cache import EmbeddingCache
from core.images import ImageError
from core.jobs import CancelCheck, ProgressFn, check_cancel, never_cancelled, null_progress
from core.logos.images import load_logo
from core.vectors import components

HASH_NAME = "phash8:logo"  # 64 bits, cached like vectors


@dataclass
class DuplicateGroup:
    files: list[str]
    keep: str  # the suggested reference: the largest file (SVGs first)
    distances: list[int] = field(default_factory=list)  # each file's hash distance to the keeper


def phashes(files: list[str], cache: EmbeddingCache | None = None, progress: ProgressFn = null_progress,
            cancelled: CancelCheck = never_cancelled) -> tuple[np.ndarray, list[str], list[tuple[str, str]]]:
    """(N, 64) bool hash bits, the files hashed, and (file, message) for files that failed."""
    import imagehash

    keys = cache.file_keys(files) if cache else [None] * len(files)
    known, found = (cache.get_many(HASH_NAME, keys) if cache else (np.zeros((len(files), 64)), np.zeros(len(files), bool)))
    bits, ok, errors, new_keys, new_bits = [], [], [], [], []
    for i, f in enumerate(files):
        if i % 50 == 0:
            check_cancel(cancelled)
            progress(i / max(len(files), 1), f"Hashing {i} of {len(files)}")
        if found[i]:
            bits.append(known[i] > 0.5)
            ok.append(f)
            continue
        try:
            h = imagehash.phash(load_logo(f, 128)).hash.ravel()
        except ImageError as exc:
            errors.append((f, exc.reason))
            continue
        bits.append(h)
        ok.append(f)
        if cache:
            new_keys.append(keys[i])
            new_bits.append(h.astype(np.float32))
    if cache and new_keys:
        cache.put_many(HASH_NAME, new_keys, np.array(new_bits), dtype="float32")
    progress(1.0, f"{len(ok)} hashed")
    return (np.array(bits, bool) if bits else np.zeros((0, 64), bool)), ok, errors


def _keeper(files: list[str]) -> str:
    return max(files, key=lambda f: (f.lower().endswith(".svg"), os.path.getsize(f) if os.path.exists(f) else 0))


def duplicate_groups(bits: np.ndarray, files: list[str], threshold: int = 4, vectors: np.ndarray | None = None,
                     tight: float = 0.985) -> list[DuplicateGroup]:
    """Groups of files within ``threshold`` hash bits of each other (single linkage), largest first."""
    n = len(files)
    if n == 0:
        return []
    packed = np.packbits(bits, axis=1)  # (N, 8) bytes
    popcount = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1).sum(1)
    rows, cols = [], []  # the close pairs (i < j): the edges of a graph whose components are the groups
    for i in range(n - 1):
        d = popcount[np.bitwise_xor(packed[i + 1 :], packed[i])].sum(1)
        close = np.flatnonzero(d <= threshold)
        if vectors is not None:
            close = np.union1d(close, np.flatnonzero(vectors[i + 1 :] @ vectors[i] >= tight))
        rows.append(np.full(len(close), i))
        cols.append(close + i + 1)
    members: dict[int, list[int]] = {}  # each group's files in file order, groups by their first file
    for i, label in enumerate(components(n, np.concatenate([*rows, []]), np.concatenate([*cols, []]))):
        members.setdefault(int(label), []).append(i)
    groups = []
    for idx in members.values():
        if len(idx) < 2:
            continue
        group_files = [files[i] for i in idx]
        keep = _keeper(group_files)
        kb = packed[files.index(keep)]
        dist = [int(popcount[np.bitwise_xor(packed[i], kb)].sum()) for i in idx]
        groups.append(DuplicateGroup(group_files, keep, dist))
    return sorted(groups, key=lambda g: -len(g.files))
