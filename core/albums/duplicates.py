"""Duplicates and bursts within an album: groups to review, each with a suggested keeper.

*Duplicate* ≠ *similar*. Two photos are duplicates when they are the same shot saved again
(resized, recompressed, slightly cropped): their perceptual hashes (pHash, 64 bits) are within
``hash_bits`` **and** their image embeddings within a tight cosine ``cos``; either test alone
confuses two shots of one scene with a copy. Two photos are a *burst* when they were taken
within ``burst_seconds`` of each other and look alike (cosine ≥ ``burst_cos``): the same moment
shot several times. Pairs are joined into groups: the connected components of a sparse graph.

Nothing compares all pairs (a library of 100,000 photos): candidates come from each photo's
nearest neighbours in the search layer (``core.search``), from pHash buckets, and from a window
over the sorted capture times; see ``find_duplicates`` and ``bench/albums_scale.py``.

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
NEIGHBOURS = 8  # duplicate candidates: each photo's nearest photos by content (and hash buckets)
HASH_BUCKET_MAX = 32  # photos paired within one run of an equal pHash quarter, at most
BURST_WINDOW = 32  # photos after each one in time order that may be its burst, at most


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
    """(N, N) Hamming distances; rows of -1 (unreadable) are 65, i.e. never a match. For a few
    hundred photos (bench/albums_duplicates.py); ``find_duplicates`` never makes this matrix."""
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


def packed_hashes(bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(64-bit pHash per photo as uint64, whether it is readable): rows of -1 are unreadable."""
    bits = np.asarray(bits)
    words = np.packbits(bits > 0, axis=1, bitorder="little")
    words = np.pad(words, ((0, 0), (0, max(0, 8 - words.shape[1]))))[:, :8]
    return np.ascontiguousarray(words).view("<u8").ravel(), ~(bits < 0).any(1)


def _hamming(packed: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.bitwise_count(packed[a] ^ packed[b]).astype(np.int32)


def _cosines(v: np.ndarray, a: np.ndarray, b: np.ndarray, block: int = 65536,
             norms: np.ndarray | None = None) -> np.ndarray:
    """Cosine of each pair (a[i], b[i]) of the rows of ``v`` (normalised, or of lengths ``norms``),
    a block at a time."""
    out = np.empty(len(a), np.float32)
    for s in range(0, len(a), block):
        out[s: s + block] = np.einsum("ij,ij->i", v[a[s: s + block]], v[b[s: s + block]])
    if norms is not None:
        out /= norms[a] * norms[b]
    return out


def hash_bucket_pairs(packed: np.ndarray, readable: np.ndarray, max_bucket: int = HASH_BUCKET_MAX) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of photos whose pHashes agree on one of the four 16-bit quarters (multi-index
    hashing: every pair within 3 bits agrees on at least one quarter), without comparing all pairs:
    photos are sorted by each quarter and paired within runs of an equal quarter. A run of more
    than ``max_bucket`` photos (a plain colour, a blank frame) pairs each with its ``max_bucket``
    successors only, so the pairs stay O(n)."""
    rows = np.flatnonzero(readable)
    out_a, out_b = [], []
    for shift in (0, 16, 32, 48):
        quarter = (packed[rows] >> np.uint64(shift)) & np.uint64(0xFFFF)
        order = rows[np.argsort(quarter, kind="stable")]
        q = np.sort(quarter, kind="stable")
        for step in range(1, max_bucket + 1):
            same = np.flatnonzero(q[step:] == q[:-step]) if len(q) > step else np.zeros(0, np.int64)
            if not len(same):
                break
            out_a.append(order[same])
            out_b.append(order[same + step])
    if not out_a:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(out_a), np.concatenate(out_b)


def time_window_pairs(times_h: np.ndarray, seconds: float, max_step: int = BURST_WINDOW) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of photos taken at most ``seconds`` apart, from the sorted capture times (a sliding
    window, not a matrix); each photo is paired with at most ``max_step`` successors in time
    order (photos that share one second by the hundred: a camera with a stuck clock)."""
    t = np.asarray(times_h, np.float64) * 3600.0
    known = np.flatnonzero(~np.isnan(t))
    order = known[np.argsort(t[known], kind="stable")]
    ts = t[order]
    out_a, out_b = [], []
    for step in range(1, max_step + 1):
        if len(ts) <= step:
            break
        close = np.flatnonzero(ts[step:] - ts[:-step] <= seconds)
        if not len(close):
            break
        out_a.append(order[close])
        out_b.append(order[close + step])
    if not out_a:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(out_a), np.concatenate(out_b)


def find_duplicates(paths: list[str], vectors: np.ndarray, bits: np.ndarray, times_h: np.ndarray | None = None,
                    hash_bits: int = HASH_BITS, cos: float = COS, burst_seconds: float = BURST_SECONDS,
                    burst_cos: float = BURST_COS, keeper=keeper_scores, index=None,
                    neighbours: int = NEIGHBOURS) -> list[DuplicateGroup]:
    """Groups of duplicates and bursts among ``paths`` (row-aligned with the L2-normalised
    ``vectors``, pHash ``bits`` and capture times in hours, NaN when unknown), largest first.

    Never all pairs (O(n·k) time and memory): duplicate candidates are each photo's
    ``neighbours`` nearest photos by the embeddings (``core.search.SearchIndex.neighbours``:
    ``index``, a search index holding ``paths`` as keys, e.g. the album's, else one made here)
    and the photos whose pHashes share a 16-bit quarter (``hash_bucket_pairs``), each checked
    by Hamming distance and cosine; burst candidates are the photos taken within
    ``burst_seconds`` in time order (``time_window_pairs``), checked by cosine. Groups are the
    connected components of the pairs (SciPy's sparse graph)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(paths)
    if n < 2:
        return []
    v = np.asarray(vectors, np.float32)  # not normalised into a copy (100,000 × 1,280: 0.5 GB): pairs divide
    norms = np.maximum(np.sqrt(np.einsum("ij,ij->i", v, v)), 1e-12).astype(np.float32)
    packed, readable = packed_hashes(bits)
    # duplicates: nearest neighbours by content, and hash buckets
    if index is None:
        from core.search import SearchIndex

        index = SearchIndex(v.shape[1])
        index.add([str(i) for i in range(n)], v)
        position = np.arange(n)
    else:
        position = np.full(len(index.keys), -1, np.int64)
        for i, p in enumerate(paths):
            row = index.rows.get(p)
            if row is not None:
                position[row] = i
    ra, rb, _ = index.neighbours(neighbours, cos)
    ra, rb = position[ra], position[rb]
    ha, hb = hash_bucket_pairs(packed, readable)
    a = np.concatenate([ra[(ra >= 0) & (rb >= 0)], ha])
    b = np.concatenate([rb[(ra >= 0) & (rb >= 0)], hb])
    ok = readable[a] & readable[b]
    a, b = a[ok], b[ok]
    ok = _hamming(packed, a, b) <= hash_bits
    a, b = a[ok], b[ok]
    sim = _cosines(v, a, b, norms=norms)
    dup_a, dup_b = a[sim >= cos], b[sim >= cos]
    # bursts: a window over the capture times
    if times_h is not None:
        ta, tb = time_window_pairs(times_h, burst_seconds)
        sim = _cosines(v, ta, tb, norms=norms)
        ta, tb = ta[sim >= burst_cos], tb[sim >= burst_cos]
        also_dup = (readable[ta] & readable[tb]) & (_hamming(packed, ta, tb) <= hash_bits) & (sim[sim >= burst_cos] >= cos)
        burst_only = ta[~also_dup]
    else:
        ta = tb = burst_only = np.zeros(0, np.int64)
    ea, eb = np.concatenate([dup_a, ta]), np.concatenate([dup_b, tb])
    if not len(ea):
        return []
    graph = coo_matrix((np.ones(len(ea), np.int8), (ea, eb)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels)
    has_dup = np.zeros(len(sizes), bool)
    has_dup[labels[dup_a]] = True
    has_burst = np.zeros(len(sizes), bool)
    has_burst[labels[burst_only]] = True
    grouped = np.flatnonzero(sizes[labels] > 1)
    members: dict[int, list[int]] = {}
    for i in grouped[np.argsort(labels[grouped], kind="stable")].tolist():
        members.setdefault(int(labels[i]), []).append(i)
    groups = []
    for label, rows in members.items():
        scores = {paths[i]: keeper(paths[i]) for i in rows}
        best = max(rows, key=lambda i: (scores[paths[i]], -i))
        kind = "duplicate" if has_dup[label] and not has_burst[label] else "burst"
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
    moved: list[tuple[str, str]] = []
    try:
        for path in group.paths:
            if path == keep:
                continue
            target = out / unique_name(Path(path).name, used)
            move_whole(path, target)  # across disks: the source goes only once its copy is whole
            moved.append((path, str(target)))
    except OSError as exc:  # all or nothing: the ones already moved go back where they were
        for src, dest in reversed(moved):
            move_whole(dest, src)
        raise OSError(f"could not move {path} into {out} ({exc.strerror or exc}); "
                      f"nothing was moved") from exc
    return [dest for _, dest in moved]
