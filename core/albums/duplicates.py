"""Duplicates and bursts within an album: groups to review, each with a suggested keeper.

*Duplicate* ≠ *similar*. Two photos are duplicates when they are the same shot saved again
(resized, recompressed, slightly cropped): their perceptual hashes (pHash, 64 bits) are within
``hash_bits`` **and** their image embeddings within a tight cosine ``cos``; either test alone
confuses two shots of one scene with a copy. Two photos are a *burst* when they were taken
within ``burst_seconds`` of each other and look alike (cosine ≥ ``burst_cos``): the same moment
shot several times. Pairs are joined into groups (union-find).

The defaults are measured, not guessed: ``bench/albums_duplicates.py`` makes copies of real
event photos (resize, JPEG re-encode, 5% crop) and pairs different photos of one event, and
reports precision and recall per threshold; the defaults keep precision ≥ 0.99.

The keeper is the photo a person would keep: the most pixels, then the sharpest (variance of
the Laplacian on a 512 px grey copy), then the most EXIF fields. Nothing is ever deleted: the
app marks or moves the others only when the user says so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from core.cache import EmbeddingCache
from core.images import ImageError, open_image
from core.jobs import CancelCheck, ProgressFn, check_cancel, never_cancelled, null_progress

HASH_NAME = "phash8:photo"  # 64 bits per photo, cached like vectors
HASH_BITS = 16  # pHash Hamming distance (of 64) for a duplicate ...
COS = 0.75  # ... and at least this cosine of the image embeddings (EfficientNet-Lite0)
# measured (bench/albums_duplicates.py, 120 events4 photos, 480 copies, 1,740 pairs of different
# photos of one event): precision 0.998 (the one "false" pair is the same shot twice in events4:
# family_test/img029 and img030), recall 0.950; pHash ≤ 24 lets 5 false pairs in, ≤ 28 lets 25
BURST_SECONDS = 3.0  # a burst: taken this close in time ...
BURST_COS = 0.80  # ... and at least this alike


@dataclass
class DuplicateGroup:
    paths: list[str]
    keeper: str
    kind: str  # "duplicate" (the same shot saved again) or "burst" (shots seconds apart)
    why: str  # why this keeper, in words
    scores: dict[str, tuple[int, float, int]] = field(default_factory=dict)  # path: (pixels, sharpness, EXIF fields)


def photo_hashes(paths: list[str], cache: EmbeddingCache | None = None, progress: ProgressFn = null_progress,
                 cancelled: CancelCheck = never_cancelled) -> np.ndarray:
    """(N, 64) bool pHash bits; a photo that cannot be read gets a row of -1 (never matches)."""
    import imagehash

    try:
        keys = cache.file_keys(paths) if cache else [None] * len(paths)
    except OSError:  # a photo gone since it was indexed: hash without the cache
        cache, keys = None, [None] * len(paths)
    known, found = (cache.get_many(HASH_NAME, keys) if cache
                    else (np.zeros((len(paths), 64), np.float32), np.zeros(len(paths), bool)))
    out = np.zeros((len(paths), 64), np.int8)
    new_keys, new_bits = [], []
    for i, path in enumerate(paths):
        if i % 50 == 0:
            check_cancel(cancelled)
            progress(i / max(len(paths), 1), f"Hashing {i} of {len(paths)}")
        if found[i] and known.shape[1] == 64:
            out[i] = known[i] > 0.5
            continue
        try:
            bits = imagehash.phash(open_image(path, draft=(256, 256))).hash.ravel()
        except ImageError:
            out[i] = -1
            continue
        out[i] = bits
        if cache is not None and keys[i] is not None:
            new_keys.append(keys[i])
            new_bits.append(bits.astype(np.float32))
    if cache is not None and new_keys:
        cache.put_many(HASH_NAME, new_keys, np.array(new_bits), dtype="float32")
    return out


def hash_distances(bits: np.ndarray) -> np.ndarray:
    """(N, N) Hamming distances; rows of -1 (unreadable) are 65, i.e. never a match."""
    b = (bits > 0).astype(np.float32)
    d = b @ (1 - b).T + (1 - b) @ b.T
    bad = (bits < 0).any(1)
    d[bad, :] = 65
    d[:, bad] = 65
    return d.astype(np.int32)


def sharpness(path: str) -> float:
    """Variance of the Laplacian of a 512 px grey copy (higher: sharper); 0 when unreadable."""
    try:
        im = open_image(path, draft=(512, 512)).convert("L")
    except ImageError:
        return 0.0
    im.thumbnail((512, 512))
    g = np.asarray(im, np.float32)
    if min(g.shape) < 3:
        return 0.0
    lap = g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:] - 4 * g[1:-1, 1:-1]
    return float(lap.var())


def keeper_scores(path: str) -> tuple[int, float, int]:
    """(pixels, sharpness, EXIF fields) of one photo, compared in that order."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            pixels = im.width * im.height
            exif = len(im.getexif())
    except (OSError, ValueError):
        return (0, 0.0, 0)
    return (pixels, round(sharpness(path), 1), exif)


def _why(best: tuple[int, float, int], others: list[tuple[int, float, int]]) -> str:
    if all(best[0] > o[0] for o in others):
        return "the most pixels"
    if all(best[:1] == o[:1] for o in others) and all(best[1] > o[1] for o in others):
        return "the sharpest"
    if all(best[:2] == o[:2] for o in others):
        return "the most EXIF fields"
    return "the most pixels, then the sharpest"


def find_duplicates(paths: list[str], vectors: np.ndarray, bits: np.ndarray, times_h: np.ndarray | None = None,
                    hash_bits: int = HASH_BITS, cos: float = COS, burst_seconds: float = BURST_SECONDS,
                    burst_cos: float = BURST_COS, keeper=keeper_scores) -> list[DuplicateGroup]:
    """Groups of duplicates and bursts among ``paths`` (row-aligned with the L2-normalised
    ``vectors``, pHash ``bits`` and capture times in hours, NaN when unknown), largest first."""
    n = len(paths)
    if n < 2:
        return []
    v = np.asarray(vectors, np.float32)
    v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    sim = v @ v.T
    dup = (hash_distances(bits) <= hash_bits) & (sim >= cos)
    burst = np.zeros_like(dup)
    if times_h is not None:
        t = np.asarray(times_h, np.float64) * 3600.0
        known = ~np.isnan(t)
        close = np.abs(t[:, None] - t[None, :]) <= burst_seconds
        burst = close & known[:, None] & known[None, :] & (sim >= burst_cos)
    pairs = np.triu(dup | burst, 1)
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(*np.nonzero(pairs), strict=True):
        parent[root(int(i))] = root(int(j))
    members: dict[int, list[int]] = {}
    for i in range(n):
        members.setdefault(root(i), []).append(i)
    groups = []
    for rows in (r for r in members.values() if len(r) > 1):
        scores = {paths[i]: keeper(paths[i]) for i in rows}
        best = max(rows, key=lambda i: (scores[paths[i]], -i))
        sub = np.ix_(rows, rows)
        kind = "duplicate" if np.triu(dup[sub], 1).any() and not np.triu(burst[sub] & ~dup[sub], 1).any() \
            else "burst"
        groups.append(DuplicateGroup([paths[i] for i in rows], paths[best], kind,
                                     _why(scores[paths[best]], [scores[paths[i]] for i in rows if i != best]),
                                     scores))
    groups.sort(key=lambda g: (-len(g.paths), g.paths[0]))
    return groups


def move_others(group: DuplicateGroup, folder: str | os.PathLike[str], keep: str | None = None) -> list[str]:
    """Move every photo of ``group`` but the keeper (``keep`` or the suggested one) into ``folder``
    (made if needed; a name already there gets " (2)"); the new paths. Nothing is deleted."""
    from pathlib import Path

    from core.fileio import move_whole, unique_name

    keep = keep or group.keeper
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    used = {p.name.lower() for p in out.iterdir()}
    moved = []
    for path in group.paths:
        if path == keep:
            continue
        target = out / unique_name(Path(path).name, used)
        move_whole(path, target)  # across disks: the source goes only once its copy is whole
        moved.append(str(target))
    return moved
