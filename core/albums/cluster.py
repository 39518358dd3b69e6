"""Grouping photos into events: HDBSCAN on reduced vectors, with capture-time gaps.

Steps: PCA to a few dimensions (HDBSCAN on raw 1,280/512-d vectors is slow
and noisy), L2-normalise, optionally mix in caption/note vectors and the
capture time; HDBSCAN finds events without being told how many. A photo it
leaves as noise joins the event most of its nearest clustered neighbours are
in, unless it lies further from that event's centre than any of the event's
own members: those stay "unsorted" (a screenshot among holiday photos).

Time and place first: photos with a capture time are first cut into *segments*
at gaps longer than ``time_gap_hours`` (and, where both photos have GPS, at
jumps of more than ``jump_km``), the way a person remembers "that afternoon in
Arezzo". A segment of at least two photos is an event; content then splits a
large segment whose photos clearly form separate groups (HDBSCAN inside it).
Photos alone in their segment and photos without a time are grouped by content
alone; no photo is ever given a made-up time.

Defaults that fit the collection: when the user has set neither the smallest event nor the
dimensions, one setting is not trusted alone (on events4 collections the best setting of
a grid and the default differ by up to 0.17 ARI, and which setting wins changes from one
collection to the next). The photos are grouped under each setting of a small grid (smallest
event 1 / 2 / 4% × 8 / 16 / 32 dimensions) and the events are those they agree on: two
photos are close when they share an event under many settings (a co-association matrix),
average linkage joins groups whose photos share an event under at least a fifth of the
settings on average, and a photo that most settings leave unsorted stays unsorted. Each
photo's confidence is how often it sat with its event's other photos. Then the events are
*read again* (``read_out``): a logistic regression trained on each event's sure photos (that
sat with it under >= 70% of the settings) re-decides the edge photos, where HDBSCAN's density
turns on a few neighbours, and lets an unsorted photo join an event it is probably in and lies
among that event's sure photos (its 5th nearest of them as near as they are to each other:
``within_members``). Over seven collections cut from events4 (bench/albums_eval.py
--collections) the mean ARI rose 0.746 (one setting) → 0.763 (the agreement) → 0.813 (read
again), above the best fixed setting per collection (0.781, chosen knowing the answer), and the
largest unsorted share fell 11.6% → 8.7% (all 3,031 photos: 0.676 / 11.0% → 0.687 / 7.7% → 0.775
/ 2.9%); photos of unrelated objects mixed in often stay unsorted (60% of 5, 40-52% of 40 over
sample seeds; one setting: 60%, 70%).

Big albums: HDBSCAN (and the PCA) are fitted on a seeded sample of at most
``fit_limit`` photos (when automatic: all up to ``CONSENSUS_ALL``, else ``CONSENSUS_LIMIT``) and every other photo is placed
by that same nearest-neighbour rule, so grouping time stops growing with the album
(10,000 photos: see bench/albums_index.py cluster). Beyond ``CELLS_FROM`` photos to group by
content, the agreement runs inside coarse k-means cells of about ``CELL`` photos (``_in_cells``):
linear in n, the co-association CELL × CELL; on 11,000 synthetic photos without a time ARI 0.54
against 0.01 for one sample of 2,000 (tests/test_albums_scale.py, bench/albums_scale.py). From
``COMMUNITY_FROM`` photos the cells are the kNN graph's communities instead of k-means' straight
cuts (``community_cells``), so a group bigger than a cell is not cut in two (events4 inside 100,000
photos: ARI 0.527 -> 0.750, docs/albums.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from core.vectors import members_by_label, unit


@dataclass
class ClusterSettings:
    min_size: int | None = None  # smallest event; None: 2% of the photos, at least 8 (a fifth of a small album)
    min_samples: int | None = None  # HDBSCAN's density smoothing; None: a quarter of min_size, at least 3
    dims: int | None = None  # PCA dimensions; None: 16, or agreement over 8 / 16 / 32 (see the module)
    image_weight: float = 1.0  # image vs caption/note vectors (1 = image only)
    time_weight: float = 0.0  # content stage: 0 = ignore capture time
    time_scale_hours: float = 24.0  # content stage: a gap of this many hours counts as one unit of distance
    time_first: bool = True  # cut photos with a capture time into segments before content decides
    time_gap_hours: float = 6.0  # a longer gap between consecutive photos starts a new segment
    jump_km: float = 50.0  # ... and so does a move of more than this between two photos with GPS
    assign_share: float = 0.5  # a noise photo joins an event when this share of its nearest clustered photos is in it
    reach: float = 1.0  # ... and lies within this many times the event's radius (its furthest member) of its centre
    fit_limit: int = 5000  # HDBSCAN and PCA see at most this many photos (a seeded sample); the rest are placed
    seed: int = 0
    consensus: bool = True  # with min_size and dims unset: events the settings of a grid agree on
    read_again: bool = True  # ... then read again by a classifier of their sure photos (read_out)

    @property
    def automatic(self) -> bool:
        """True when the events come from the agreement of several settings (none set by the user)."""
        return self.consensus and self.min_size is None and self.dims is None

    def __post_init__(self) -> None:
        if self.reach < 0:
            raise ValueError(f"reach must be 0 or more (times an event's extent), not {self.reach}")
        if not 0 < self.assign_share <= 1:
            raise ValueError(f"assign_share must be in (0, 1], not {self.assign_share}")
        if self.fit_limit < 2:
            raise ValueError(f"fit_limit must be at least 2 photos, not {self.fit_limit}")
        if not self.time_gap_hours > 0:
            raise ValueError(f"time_gap_hours must be more than 0, not {self.time_gap_hours}")
        if not self.jump_km > 0:
            raise ValueError(f"jump_km must be more than 0, not {self.jump_km}")
        if self.dims is not None and self.dims < 1:
            raise ValueError(f"dims must be 1 or more, not {self.dims}")


DEFAULT_DIMS = 16
GRID_SIZES = (0.01, 0.02, 0.04)  # smallest event, as a share of the photos (at least the size floor)
GRID_DIMS = (8, DEFAULT_DIMS, 32)  # the default's projection also places the photos beyond the agreed sample
AGREE_CUT = 0.8  # average linkage on 1 - co-association: join while photos share an event under >= 20% of settings
PLACE_CORE = 0.5  # photos beyond the agreed sample join an event within its members that sat with it this often
# The co-association is n x n (49 MB at 3,500 photos). Up to CONSENSUS_ALL photos every photo takes
# part in the agreement (3,031 photos: 2.7 s, 3,500: 3.3 s); a bigger album agrees on a seeded
# sample of CONSENSUS_LIMIT and places the rest, so its grouping time stops growing (10,000
# photos: 1.7 s; agreeing on 4,000 of them took 4.9 s). On all 3,031 events4 photos a 2,000 sample
# made ARI turn on which photos it drew (sample seeds 0-4: 0.718-0.767, mean 0.742); with all of
# them agreed 0.769-0.775 (the PCA's seed alone moves it 0.751-0.756), and photos of other things
# mixed in stay unsorted more often (37% -> 45% on average) (bench/albums_eval.py).
CONSENSUS_ALL = 3500
CONSENSUS_LIMIT = 2000
# Beyond CELLS_FROM photos to group by content (a library's photos without a capture time), the
# agreement runs within coarse content cells of about CELL photos each (``_in_cells``): a sample
# of 2,000 of 100,000 photos held one or two photos of most events of 20-80 (bench/albums_scale.py).
# Every pool too big to agree on whole goes through cells: at 8,000 a pool of 7,718 (30k library)
# took the one-sample path and one event took nearly all of it (events4 inside: ARI 0.000).
CELLS_FROM = CONSENSUS_ALL
CELL = 1000
# ... then the photos at a cell's edge are re-decided by their VOTE_NEIGHBOURS nearest photos in
# every cell (``across_cells``): a photo moves where at least VOTE_SHARE of them are, VOTE_ROUNDS
# times. events4 inside a 30k library: ARI 0.699 -> 0.724 (alone 0.773; k-means' edge had
# decided: the cells alone gave 0.702). Merging events across a cell's edge by their kNN links
# was measured and left out: it joined events4's kinds (share 0.05-0.1 of the smaller event's
# links: ARI 0.0-0.52) or nothing that helped (0.15-0.3: the same untimed events found, 10 of 18).
VOTE_NEIGHBOURS = 10
VOTE_SHARE = 0.6
VOTE_ROUNDS = 3
# From COMMUNITY_FROM photos the cells follow the content's own groups instead of k-means' straight
# cuts (``community_cells``: Louvain communities of the kNN graph at COMMUNITY_RESOLUTION, packed to
# at least COMMUNITY_LEAST photos). events4 inside a library (bench/albums_scale.py --stages group):
# 30,000 photos (a pool of 7,718) 0.724 -> 0.746, 100,000 (12,534) 0.527 -> 0.750 (alone 0.773),
# untimed events of >= 20 found 10 -> 11 of 18 and 16 -> 16 of 43. Below it k-means stays: a pool
# only a few cells wide has a cell per kind of events4, and the agreement splits a kind its cell
# holds nearly alone (10,000: 0.747 -> 0.625). Resolution 1.0 / 0.5 measured too (docs/albums.md).
CELL_SHAPE = "auto"  # "kmeans", "communities", or "auto": communities from COMMUNITY_FROM photos
COMMUNITY_RESOLUTION = 0.7
COMMUNITY_LEAST = 500
COMMUNITY_DIMS = 32  # the kNN graph the communities are found in (the largest of GRID_DIMS; 64 measured: fewer untimed events found)
COMMUNITY_FROM = 2 * CELLS_FROM
# apart (``split_apart``): a big pool's event whose photos form separate groups is split
APART_SMALLEST = 20  # the smallest event split off (the "events of >= 20 photos")
APART_DIMS = 16  # first reading: the event's own PCA, where the direction between its groups dominates
APART_SAMPLES = 5  # ... HDBSCAN's min_samples there
APART_CROSS = 0.05  # ... a group leaves when at most this share of its photos' 10 nearest (full vectors) lie outside it
APART_NEIGHBOURS = 10  # the event's kNN graph (full vectors, cosine) its Louvain communities come from
APART_RESOLUTION = 1.0  # ... Louvain's resolution there (0.7 / 2.0 measured: fewer found)
APART_CROSSING = 0.15  # two apart groups are one event while this share of the smaller one's links join them
APART_RATIO = 0.45  # a group is apart when its photos lie at most this share as far from its centre as the others
APART_PIECE = 10  # a group this small is apart too, and becomes an event joined to others (``_join_crossing``)
READ_CORE = 0.7  # photos that sat with their event under this share of settings teach the read-out
READ_SURE = 0.5  # an unsorted photo joins the read-out's event at this probability, among its sure members
JOIN_NEIGHBOURS = 5  # ... "among": its 5th nearest sure member as near as theirs are to each other (within_members)


def haversine_km(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle distance in km between rows of (lat, lon) degrees."""
    la1, lo1, la2, lo2 = map(np.radians, (a[:, 0], a[:, 1], b[:, 0], b[:, 1]))
    h = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def time_segments(times: np.ndarray, gps: np.ndarray | None, gap_hours: float,
                  jump_km: float = 50.0) -> np.ndarray:
    """Segment number per photo (-1 where the time is unknown): consecutive photos in time order
    share a segment unless the gap between them is over ``gap_hours`` or, both having GPS, they
    are more than ``jump_km`` apart. Segments are numbered in time order."""
    t = np.asarray(times, np.float64)
    seg = np.full(len(t), -1)
    known = np.flatnonzero(~np.isnan(t))
    if not len(known):
        return seg
    order = known[np.argsort(t[known], kind="stable")]
    cut = np.diff(t[order]) > gap_hours
    if gps is not None and len(order) > 1:
        g = np.asarray(gps, np.float64)[order]
        both = ~np.isnan(g).any(1)
        both = both[:-1] & both[1:]
        far = np.zeros(len(order) - 1, bool)
        if both.any():
            far[both] = haversine_km(g[:-1][both], g[1:][both]) > jump_km
        cut |= far
    seg[order] = np.concatenate([[0], np.cumsum(cut)])
    return seg


def fit_rows(n: int, settings: ClusterSettings) -> np.ndarray:
    """The photos HDBSCAN and the PCA are fitted on: all of them, or a seeded sample of ``fit_limit``."""
    if n <= settings.fit_limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(settings.seed).choice(n, settings.fit_limit, replace=False))


def _project(x: np.ndarray, dims: int, seed: int, rows: np.ndarray) -> np.ndarray:
    """PCA to ``dims`` (fitted on ``rows``), not normalised. (Slicing one 32-d projection for 8
    and 16 would save two fits, but the randomized solver's components differ enough to move
    the events: mean ARI over seven collections 0.764 → 0.756.)"""
    from sklearn.decomposition import PCA

    x = np.asarray(x, np.float32)
    dims = max(1, min(dims, len(rows) - 1, x.shape[1]))
    return PCA(dims, random_state=seed).fit(x[rows]).transform(x)


def _unit_rows(z: np.ndarray) -> np.ndarray:
    return unit(z)


def features(image: np.ndarray, settings: ClusterSettings, text: np.ndarray | None = None,
             times: np.ndarray | None = None,
             projected: tuple[np.ndarray, np.ndarray | None] | None = None) -> np.ndarray:
    """The vectors HDBSCAN sees: reduced image (and text) vectors, plus scaled time.
    ``projected``: (image, text) already projected to ``settings.dims`` dimensions."""
    dims = settings.dims or DEFAULT_DIMS
    mix_text = text is not None and settings.image_weight < 1.0
    if projected is None:
        rows = fit_rows(len(image), settings)
        projected = (_project(image, dims, settings.seed, rows),
                     _project(text, dims, settings.seed, rows) if mix_text else None)
    parts = [_unit_rows(projected[0][:, :dims]) * settings.image_weight]
    if mix_text:
        parts.append(_unit_rows(projected[1][:, :dims]) * (1.0 - settings.image_weight))
    if times is not None and settings.time_weight > 0:
        t = np.asarray(times, np.float64)  # hours; NaN where unknown
        known = ~np.isnan(t)
        col = np.zeros(len(t))
        if known.any():
            col[known] = (t[known] - np.nanmedian(t)) / settings.time_scale_hours
        parts.append((col * settings.time_weight)[:, None])
    return np.concatenate(parts, axis=1).astype(np.float64)


def _size_floor(n: int) -> int:
    """The automatic smallest event's lower bound: 8, or a fifth of a small album (at least 3)."""
    return min(8, max(3, n // 5))


def resolved_sizes(settings: ClusterSettings, n: int) -> tuple[int, int]:
    """(min_size, min_samples) for n photos: big collections need bigger events to not shatter
    (events4, 3,031 photos: min size 8 → 13 events, ARI 0.24; 2% → 4 events, ARI ≈ 0.73)."""
    min_size = settings.min_size or max(_size_floor(n), round(0.02 * n))
    min_samples = settings.min_samples or max(3, min_size // 4)
    return min_size, min_samples


def describe_settings(settings: ClusterSettings, n: int, timed: int = 0, with_gps: int = 0) -> str:
    """What the grouping used for these ``n`` photos, the automatic choices with their reason:
    "events the 9 settings agree on (smallest event 30 / 61 / 121 photos × 8 / 16 / 32
    dimensions), photos most of them leave apart stay unsorted; 2,900 of 3,031 photos have a
    capture time: new event at gaps over 6 h or moves over 50 km"."""
    min_size, _ = resolved_sizes(settings, n)
    floor = _size_floor(n)
    if settings.automatic:
        sizes = sorted({s.min_size for s in grid(settings, n)})
        size = (f"automatic: events the {len(GRID_SIZES) * len(GRID_DIMS)} settings agree on (smallest event "
                f"{' / '.join(f'{v:,}' for v in sizes)} photos × {' / '.join(map(str, GRID_DIMS))} dimensions), "
                f"at least {min_size} photos, their edges read again by what separates their sure photos; "
                "photos most settings leave out stay unsorted")
    elif settings.min_size:
        size = f"smallest event {min_size} photos (yours)"
    else:
        size = f"smallest event {min_size} photos (auto: 2% of {n:,} photos, at least {floor})"
    if not settings.automatic:
        size += f", {settings.dims} dimensions (yours)" if settings.dims else f", {DEFAULT_DIMS} dimensions"
    if settings.time_first and timed >= 2:
        cut = f"gaps over {settings.time_gap_hours:g} h" + (f" or moves over {settings.jump_km:g} km" if with_gps else "")
        when = (f"{timed:,} of {n:,} photos have a capture time: new event at {cut}"
                + ("; the others grouped by content" if timed < n else ""))
    elif settings.time_first:
        when = "no capture times: grouped by content alone"
    else:
        when = "capture times not used first (content decides)"
    return f"{size}; {when}"


def _fit_sizes(settings: ClusterSettings, n: int, n_fit: int) -> tuple[int, int]:
    """``resolved_sizes`` for a sample of n_fit of the n photos: a set size shrinks with the sample."""
    if n_fit == n:
        return resolved_sizes(settings, n)
    scale = n_fit / n
    min_size = max(2, round(settings.min_size * scale)) if settings.min_size else None
    min_samples = max(2, round(settings.min_samples * scale)) if settings.min_samples else None
    return resolved_sizes(ClusterSettings(min_size=min_size, min_samples=min_samples), n_fit)


def place(z: np.ndarray, labels: np.ndarray, k: int, share: float, reach: float = 1.0,
          block: int = 2048, todo: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Give each unlabelled photo (-1) the event most of its k nearest labelled photos are in,
    when at least ``share`` of them agree and it is no further from that event's centre than the
    event's furthest member (only the rows ``todo`` when given). Returns (labels, share of the
    vote; 0 where it stays unlabelled)."""
    labels = labels.copy()
    votes_share = np.zeros(len(labels))
    todo = np.flatnonzero(labels < 0) if todo is None else np.asarray(todo)
    ref = np.flatnonzero(labels >= 0)
    if not len(todo) or not len(ref):
        return labels, votes_share
    n_events = int(labels.max()) + 1
    zf = np.asarray(z, np.float32)
    present = np.bincount(labels[labels >= 0], minlength=n_events) > 0  # an event may have no core photo
    centres = np.stack([zf[labels == c].mean(0) if present[c] else np.zeros(zf.shape[1], np.float32)
                        for c in range(n_events)])
    radius = np.array([np.linalg.norm(zf[labels == c] - centres[c], axis=1).max() if present[c] else -np.inf
                       for c in range(n_events)])
    k = max(1, min(k, len(ref)))
    ref_z, ref_sq, ref_lab = zf[ref], (zf[ref] ** 2).sum(1), labels[ref]
    for s in range(0, len(todo), block):
        rows = todo[s:s + block]
        d2 = (zf[rows] ** 2).sum(1)[:, None] + ref_sq[None] - 2 * zf[rows] @ ref_z.T
        nearest = np.argpartition(d2, k - 1, axis=1)[:, :k] if k < len(ref) else np.broadcast_to(
            np.arange(len(ref)), (len(rows), len(ref)))
        counts = np.zeros((len(rows), n_events), np.int64)
        np.add.at(counts, (np.repeat(np.arange(len(rows)), k), ref_lab[nearest].ravel()), 1)
        best = counts.argmax(1)
        agree = counts[np.arange(len(rows)), best] / k
        near = np.linalg.norm(zf[rows] - centres[best], axis=1) <= reach * radius[best]
        ok = (agree >= share) & near
        labels[rows[ok]] = best[ok]
        votes_share[rows[ok]] = agree[ok]
    return labels, votes_share


def cluster(image: np.ndarray, settings: ClusterSettings | None = None, text: np.ndarray | None = None,
            times: np.ndarray | None = None, gps: np.ndarray | None = None,
            why: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(labels, confidence): labels -1 = unsorted; events numbered 0..k-1 by size.

    With ``time_first`` and capture times: time (and place) segments of two or more photos
    are events (split further where content clearly splits them); the rest go to content.
    ``why``: a dict that the automatic content grouping fills for each photo: "kept" (the share
    of the grid's settings that kept it with its event's photos; NaN beyond the agreed
    sample and where content did not group it), "read" (the read-out's probability where it
    re-decided the photo, else NaN), "beyond" (placed beyond the agreed sample), "settings" (how
    many) and "sample" (how many photos the settings were compared on)."""
    settings = settings or ClusterSettings()
    n = len(image)
    if settings.time_first and times is not None and n and (~np.isnan(np.asarray(times, float))).sum() >= 2:
        return _time_first(image, settings, text, np.asarray(times, np.float64), gps, why)
    return _content(image, settings, text, times, why)


def _time_first(image, settings, text, times, gps, why: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Time (and place) segments first; ``why`` (see ``cluster``) covers the photos that content
    alone grouped (no time, or alone in their segment)."""
    seg = time_segments(times, gps, settings.time_gap_hours, settings.jump_km)
    sizes = np.bincount(seg[seg >= 0]) if (seg >= 0).any() else np.zeros(0, int)
    labels = np.full(len(image), -1)
    conf = np.zeros(len(image))
    next_label = 0
    min_size, _ = resolved_sizes(settings, len(image))
    by_segment = members_by_label(seg, None, len(sizes))
    for s in np.flatnonzero(sizes >= 2):
        rows = by_segment[s]
        parts = np.zeros(len(rows), int)
        if len(rows) >= 2 * max(min_size, 4):  # content may split a long segment
            sub, _ = _content(image[rows], replace(settings, min_size=None, consensus=settings.automatic),
                              None if text is None else text[rows], None)
            if sub.max() >= 1:  # two or more content groups: keep them apart, the rest join the nearest
                sub, _ = place(features(image[rows], settings), sub, 3, 0.0, reach=np.inf)
                parts = np.where(sub >= 0, sub, 0)
        for part in np.unique(parts):
            labels[rows[parts == part]] = next_label
            next_label += 1
        conf[rows] = 1.0
    rest = np.flatnonzero(labels < 0)
    if len(rest) >= 2:
        said: dict | None = {} if why is not None else None
        sub, sub_conf = _content(image[rest], settings, None if text is None else text[rest], None, said)
        if said:
            for key, empty in (("kept", np.nan), ("read", np.nan), ("beyond", False)):
                full = np.full(len(image), empty, dtype=said[key].dtype)
                full[rest] = said[key]
                why[key] = full
            why.update(settings=said["settings"], sample=said["sample"])
        ok = sub >= 0
        labels[rest[ok]] = sub[ok] + next_label
        conf[rest[ok]] = sub_conf[ok]
    return _by_size(labels), conf


def _by_size(labels: np.ndarray) -> np.ndarray:
    """Events renumbered by size, largest first (stable output); -1 stays."""
    k = labels.max() + 1 if len(labels) else 0
    if k <= 0:
        return labels
    order = np.argsort(-np.bincount(labels[labels >= 0], minlength=k), kind="stable")
    remap = np.empty(k, int)
    remap[order] = np.arange(k)
    return np.where(labels >= 0, remap[np.maximum(labels, 0)], -1)


def _content(image: np.ndarray, settings: ClusterSettings, text: np.ndarray | None,
             times: np.ndarray | None, why: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Content (and optionally the time axis) alone: the settings' agreement when automatic,
    else one HDBSCAN run + the nearest-neighbour placement."""
    if settings.automatic:
        if len(image) > CELLS_FROM:
            return _in_cells(image, settings, text, times, why)
        return _agreement(image, settings, text, times, why)
    return _one_setting(image, settings, text, times)


def cells(image: np.ndarray, settings: ClusterSettings, size: int | None = None) -> np.ndarray:
    """Coarse cells of about ``size`` (``CELL``) photos each by content: k-means on the default
    projection (fitted on a seeded sample), one cell number per photo. O(n × cells) time."""
    from sklearn.cluster import MiniBatchKMeans

    n = len(image)
    count = max(1, -(-n // (size or CELL)))
    if count == 1:
        return np.zeros(n, int)
    rows = fit_rows(n, replace(settings, fit_limit=max(settings.fit_limit, 20 * count)))
    z = _unit_rows(_project(image, DEFAULT_DIMS, settings.seed, rows))
    model = MiniBatchKMeans(count, random_state=settings.seed, n_init=3, batch_size=4096).fit(z[rows])
    return model.predict(z)


def community_cells(image: np.ndarray, settings: ClusterSettings, least: int = COMMUNITY_LEAST,
                    most: int = CELLS_FROM) -> np.ndarray:
    """Cells that follow the photos' own groups: Louvain communities (networkx, BSD) of the graph
    of each photo's ``VOTE_NEIGHBOURS`` nearest photos (the search layer's self-join, cosine
    weights, O(n·k)); a community under ``least`` photos joins the cell it shares the most links
    with (smallest first) while the two stay within ``most``, and a cell over ``most`` is cut by
    k-means (``cells``), so the agreement's co-association stays bounded. The packing holds the
    links per pair of communities that have any (_pack).
    12,534 photos: 6-9 s CPU (resolution 1.0 and 0.5). One cell number per photo."""

    from core.search import SearchIndex

    n = len(image)
    z = _unit_rows(_project(image, COMMUNITY_DIMS, settings.seed,
                            fit_rows(n, replace(settings, fit_limit=CONSENSUS_LIMIT))))
    index = SearchIndex(z.shape[1])
    index.add([str(i) for i in range(n)], z)
    a, b, cos = index.neighbours(VOTE_NEIGHBOURS)
    group = _louvain(n, a, b, cos, COMMUNITY_RESOLUTION, settings.seed)
    return _pack(group, a, b, least, most, image, settings)


def _louvain(n: int, a: np.ndarray, b: np.ndarray, cos: np.ndarray, resolution: float, seed: int) -> np.ndarray:
    """Louvain communities (networkx, BSD) of the graph on n nodes with edges a-b weighted by their
    cosine (negative ones as 0): a community number per node."""
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_weighted_edges_from(zip(a.tolist(), b.tolist(), np.maximum(cos, 0).tolist(), strict=True))
    group = np.zeros(n, int)
    for i, members in enumerate(nx.community.louvain_communities(graph, resolution=resolution, seed=seed)):
        group[list(members)] = i
    return group


def _pack(group: np.ndarray, a: np.ndarray, b: np.ndarray, least: int, most: int, image: np.ndarray,
          settings: ClusterSettings) -> np.ndarray:
    """``community_cells``' packing: the smallest community under ``least`` joins the community it
    shares the most kNN links (``a`` → ``b``) with while the two stay within ``most`` (ties: the
    lowest number), until none is left under ``least`` that can join; a cell over ``most`` is cut by
    k-means. The links are kept per community pair that has any (O(n·k), however many communities
    the graph falls into: a library of isolated near-duplicate bursts makes thousands)."""
    import heapq

    k = int(group.max()) + 1 if len(group) else 0
    pair, count = np.unique(np.stack([group[a], group[b]]), axis=1, return_counts=True)
    links: list[dict[int, float]] = [{} for _ in range(k)]
    for c, d, w in zip(pair[0].tolist(), pair[1].tolist(), count.tolist(), strict=True):
        if c != d:
            links[c][d] = links[c].get(d, 0.0) + w
            links[d][c] = links[d].get(c, 0.0) + w
    size = np.bincount(group, minlength=k)
    parent = np.arange(k)
    heap = [(int(size[c]), c) for c in range(k) if size[c] < least]
    heapq.heapify(heap)
    while heap:
        n_c, c = heapq.heappop(heap)
        if parent[c] != c or size[c] != n_c or n_c >= least:
            continue  # merged away, grown since (a newer entry), or no longer small
        best, d = 0.0, -1
        for e, w in links[c].items():
            if size[e] + n_c <= most and (w > best or (w == best and best > 0 and e < d)):
                best, d = w, e
        if d < 0:
            continue  # linked to none it can join: a cell of its own
        for e, w in list(links[c].items()):
            del links[e][c]
            if e != d:
                links[d][e] = links[d].get(e, 0.0) + w
                links[e][d] = links[e].get(d, 0.0) + w
        links[c] = {}
        size[d] += n_c
        size[c] = 0
        parent[c] = d
        if size[d] < least:
            heapq.heappush(heap, (int(size[d]), d))
    root = parent.copy()
    while (root != root[root]).any():  # communities merged into one merged later
        root = root[root]
    _, cell = np.unique(root[group], return_inverse=True)
    out = np.zeros(len(group), int)
    order = np.argsort(cell, kind="stable")
    bounds = np.flatnonzero(np.diff(cell[order])) + 1
    next_label = 0
    for rows in np.split(order, bounds):
        rows = np.sort(rows)
        sub = cells(image[rows], settings, most) if len(rows) > most else np.zeros(len(rows), int)
        out[rows] = sub + next_label
        next_label = int(out[rows].max()) + 1
    return out


def _in_cells(image: np.ndarray, settings: ClusterSettings, text: np.ndarray | None, times: np.ndarray | None,
              why: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The automatic events of a big set of photos (over ``CELLS_FROM``): the agreement within
    each coarse content cell (``cells``) of about ``CELL`` photos, every photo of a cell taking part,
    so an event of a few dozen photos is found in a library of 100,000 (a sample of 2,000 of
    them held one or two of its photos) and the co-association stays CELL × CELL. The photos at a
    cell's edge are then re-decided by their nearest photos in every cell (``across_cells``); an
    event split by a cell's edge stays two events (bench/albums_scale.py measures what that costs).
    The cells: k-means' (``cells``), or from ``COMMUNITY_FROM`` photos (``CELL_SHAPE``) the kNN
    graph's communities (``community_cells``), which do not cut a group bigger than a cell."""
    n = len(image)
    follow = CELL_SHAPE == "communities" or (CELL_SHAPE == "auto" and n >= COMMUNITY_FROM)
    cell = community_cells(image, settings) if follow else cells(image, settings)
    labels, conf = np.full(n, -1), np.zeros(n)
    said = {"kept": np.full(n, np.nan), "read": np.full(n, np.nan), "beyond": np.zeros(n, bool)}
    settings_count = 0
    next_label = 0
    for rows in members_by_label(cell, None, int(cell.max()) + 1):
        if not len(rows):
            continue
        sub_why: dict | None = {} if why is not None else None
        sub, sub_conf = _agreement(image[rows], settings, None if text is None else text[rows],
                                   None if times is None else times[rows], sub_why)
        ok = sub >= 0
        labels[rows[ok]] = sub[ok] + next_label
        conf[rows] = sub_conf
        next_label = max(next_label, int(labels.max()) + 1)
        if sub_why:
            for key in said:
                said[key][rows] = sub_why[key]
            settings_count = sub_why["settings"]
    z = _unit_rows(_project(image, max(GRID_DIMS), settings.seed,
                            fit_rows(n, replace(settings, fit_limit=CONSENSUS_LIMIT))))
    labels, share = across_cells(z, labels)
    moved = share > 0
    conf[moved] = share[moved]
    labels = split_apart(image, labels, settings)
    if why is not None:
        why.update(said, settings=settings_count, sample=n)
    return _by_size(labels), conf


def _nearest_inside(x: np.ndarray, k: int, block: int = 2048) -> np.ndarray:
    """Each row's ``k`` nearest other rows of ``x`` (unit rows, cosine): (m, k) row numbers, by
    blocks of ``block`` rows (memory block × m)."""
    m = len(x)
    k = min(k, m - 1)
    out = np.empty((m, k), np.int64)
    for start in range(0, m, block):
        sim = x[start:start + block] @ x.T
        sim[np.arange(len(sim)), np.arange(start, start + len(sim))] = -np.inf
        out[start:start + block] = np.argpartition(-sim, k - 1, axis=1)[:, :k]
    return out


def _communities(x: np.ndarray, near: np.ndarray, seed: int) -> np.ndarray:
    """Louvain communities (``_louvain``) of the graph of each row's ``near`` rows, cosine weights:
    a number per row, 0..k-1. A broad group comes out in parts, none of them apart (``_tightness``:
    a random half of a broad group lies as far from its centre as the other half)."""
    m, k = near.shape
    cos = np.einsum("ij,ikj->ik", x, x[near])
    return _louvain(m, np.repeat(np.arange(m), k), near.ravel(), cos.ravel(), APART_RESOLUTION, seed)


def _tightness(x: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Per group: how far its photos (unit rows of ``x``) lie from its centre, over how far the
    others' photos lie from it (mean cosine distances): 1 a group no tighter than its event."""
    count = int(group.max()) + 1
    centres = unit(np.stack([x[group == g].mean(0) for g in range(count)]).astype(np.float32))
    near = x @ centres.T
    size = np.bincount(group, minlength=count)
    own = np.bincount(group, weights=near[np.arange(len(x)), group], minlength=count)
    rest = (near.sum(0) - own) / np.maximum(len(x) - size, 1)
    far = 1 - rest
    return np.where(far > 1e-6, (1 - own / size) / np.maximum(far, 1e-6), 1.0)  # copies: not apart


def _peel(x: np.ndarray, group: np.ndarray, near: np.ndarray) -> list[np.ndarray]:
    """The groups apart from the event's other photos (of ``APART_PIECE`` photos or more), as row
    numbers: first those almost none of whose photos' ``near`` lie outside them (``APART_CROSS``),
    then the most apart by ``_tightness`` (at most ``APART_RATIO`` as far from its centre as the
    photos left), each measured against the photos still left (a group of a broad kind looks apart
    beside a tight event until that event has left). The last group left stays the event (the
    largest, when all are apart)."""
    size = np.bincount(group)
    crossing = np.bincount(group, weights=(group[near] != group[:, None]).mean(1)) / size
    first = [g for g in range(len(size)) if crossing[g] <= APART_CROSS and size[g] >= APART_PIECE]
    if len(first) == len(size):  # all apart: the largest stays the event
        first.remove(int(np.argmax(size)))
    out = [np.flatnonzero(group == g) for g in first]
    left = ~np.isin(group, first)
    while True:
        ids, sub = np.unique(group[left], return_inverse=True)
        if len(ids) < 2:
            return out
        ratio = np.where(np.bincount(sub) >= APART_PIECE, _tightness(x[left], sub), np.inf)
        best = int(np.argmin(ratio))
        if ratio[best] > APART_RATIO:
            return out
        out.append(np.flatnonzero(left & (group == ids[best])))
        left &= group != ids[best]


def _join_crossing(image: np.ndarray, pieces: list[np.ndarray]) -> np.ndarray:
    """Which apart groups (rows of ``image``) are one event: those joined, directly or through
    others, by at least ``APART_CROSSING`` of the smaller one's links in their photos' kNN graph
    (the search layer's self-join over the groups' photos, O(m·k)). A number per group."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from core.search import SearchIndex

    rows = np.concatenate(pieces)
    piece = np.repeat(np.arange(len(pieces)), [len(p) for p in pieces])
    index = SearchIndex(image.shape[1])
    index.add([str(i) for i in range(len(rows))], unit(np.asarray(image[rows], np.float32)))
    a, b, _ = index.neighbours(APART_NEIGHBOURS)
    pa, pb = piece[a], piece[b]
    volume = np.bincount(pa, minlength=len(pieces))
    cross = pa != pb
    links = coo_matrix((np.ones(int(cross.sum())), (pa[cross], pb[cross])), shape=(len(pieces),) * 2).tocsr()
    links = (links + links.T).tocoo()
    keep = links.data >= 2 * APART_CROSSING * np.minimum(volume[links.row], volume[links.col])
    graph = coo_matrix((np.ones(int(keep.sum())), (links.row[keep], links.col[keep])), shape=(len(pieces),) * 2)
    return connected_components(graph, directed=False)[1]


def _split_dense(image: np.ndarray, labels: np.ndarray, settings: ClusterSettings) -> np.ndarray:
    """The first reading of ``split_apart``: each event of at least twice ``APART_SMALLEST`` photos,
    PCA to ``APART_DIMS`` fitted on its photos, HDBSCAN (smallest group ``APART_SMALLEST``); a group
    leaves when its photos' 10 nearest photos of the event (full vectors) lie inside it, all but
    ``APART_CROSS`` of them (when every group is apart, the largest stays the event)."""
    import hdbscan

    labels = labels.copy()
    next_label = int(labels.max()) + 1 if len(labels) else 0
    for rows in members_by_label(labels, None, max(next_label, 0)):
        if len(rows) < 2 * APART_SMALLEST:
            continue
        x = unit(np.asarray(image[rows], np.float32))
        z = _unit_rows(_project(x, APART_DIMS, settings.seed, np.arange(len(rows))))
        sub = hdbscan.HDBSCAN(min_cluster_size=APART_SMALLEST, min_samples=APART_SAMPLES).fit(
            z.astype(np.float64)).labels_
        groups = np.unique(sub[sub >= 0])
        if len(groups) < 2:
            continue
        outside = (sub[_nearest_inside(x, 10)] != sub[:, None]).mean(1)
        apart = [g for g in groups if outside[sub == g].mean() <= APART_CROSS]
        if len(apart) == len(groups):  # all apart: the largest stays the event
            apart.remove(max(apart, key=lambda g: (int((sub == g).sum()), -g)))
        for g in apart:
            labels[rows[sub == g]] = next_label
            next_label += 1
    return labels


def split_apart(image: np.ndarray, labels: np.ndarray, settings: ClusterSettings) -> np.ndarray:
    """Events of a big pool that hold separate groups, split. Inside a cell the agreement's smallest
    event is 1-4% of the cell (35-140 photos in a cell of 3,500), so events of a few dozen photos
    beside each other, or inside a broad group, come out as one event, and an event may be cut
    between two cells' events. Each event is read again on its own, twice:
    - ``_split_dense``: HDBSCAN on the event's own PCA; a group almost none of whose photos' nearest
      lie outside it leaves (this alone: untimed events found 16 -> 27 of 43 at 100,000);
    - the Louvain communities of the photos' kNN graph (full vectors, ``_communities``); a group
      whose photos lie at most ``APART_RATIO`` as far from its centre as the event's other photos do
      is apart, the most apart first, each measured against the photos still left (``_peel``).
      Apart groups of ``APART_PIECE`` photos or more, from this event or others, are joined while
      their photos' links cross (``_join_crossing``: an event cut between two cells' events comes
      back whole) and become an event from ``APART_SMALLEST``.
    The rest stays the event. O(m²) per event of m photos, events bounded by the cells: linear in
    n. bench/albums_scale.py, untimed events of >= 20 photos found / events4's ARI inside the
    library, the first reading alone -> both: 100,000 photos, three libraries: 27 -> 33 of 43 /
    0.749 -> 0.748, 28 -> 35 of 49 / 0.583 -> 0.582, 41 -> 45 of 60 / 0.627 -> 0.625; 30,000:
    14 -> 16 of 18 / 0.743 -> 0.743; 10,000: 4 of 4 / 0.747 both; cluster() x1.25 wall at 100,000.
    Measured and not kept (docs/albums.md): a ratio of 0.5 or 0.47 (34 / 32 of 43, but events4's
    kinds cut at 30,000: ARI 0.705 / 0.719); a cosine gap instead of a ratio, or no peeling (kinds
    cut at 10,000 and 30,000: 0.68-0.70); Louvain's parts joined back while they cross (32 of 43);
    resolution 0.7 / 2.0 (32 / 31); a group's core instead of the group (ARI 0.51)."""
    labels = _split_dense(image, labels, settings)
    next_label = int(labels.max()) + 1 if len(labels) else 0
    pieces: list[np.ndarray] = []
    for rows in members_by_label(labels, None, max(next_label, 0)):
        if len(rows) < APART_SMALLEST + APART_PIECE:
            continue
        x = unit(np.asarray(image[rows], np.float32))
        near = _nearest_inside(x, APART_NEIGHBOURS)
        group = _communities(x, near, settings.seed)
        if group.max() < 1:
            continue
        pieces.extend(rows[part] for part in _peel(x, group, near))
    if pieces:
        joined = _join_crossing(image, pieces)
        for members in members_by_label(joined, None, int(joined.max()) + 1):
            rows = np.concatenate([pieces[i] for i in members])
            if len(rows) >= APART_SMALLEST:
                labels[rows] = next_label
                next_label += 1
    return labels


def across_cells(z: np.ndarray, labels: np.ndarray, k: int = VOTE_NEIGHBOURS, share: float = VOTE_SHARE,
                 rounds: int = VOTE_ROUNDS) -> tuple[np.ndarray, np.ndarray]:
    """Sorted photos re-decided by their ``k`` nearest photos (``z``: unit rows) wherever they
    are: a photo moves to the event at least ``share`` of its neighbours are in, ``rounds`` times
    (unsorted photos stay so). A cell's edge is k-means' straight cut, which put a photo beside an
    event of the next cell into its own cell's event. The neighbours come from the search layer's
    self-join (``SearchIndex.neighbours``: exact below its threshold, HNSW above), O(n·k) memory.
    Returns (labels, the winning share where a photo moved, else 0)."""
    from scipy.sparse import coo_matrix

    from core.search import SearchIndex

    n = len(labels)
    moved = np.zeros(n)
    if n < 2 or labels.max() < 1:
        return labels, moved
    index = SearchIndex(z.shape[1])
    index.add([str(i) for i in range(n)], z)
    a, b, _ = index.neighbours(k)
    total = np.bincount(a, minlength=n)
    out = labels.copy()
    for _ in range(rounds):
        ok = out[b] >= 0
        votes = coo_matrix((np.ones(int(ok.sum())), (a[ok], out[b][ok])), shape=(n, int(out.max()) + 1)).tocsr()
        best = np.asarray(votes.argmax(1)).ravel()
        top = votes.max(1).toarray().ravel()
        move = (out >= 0) & (best != out) & (top >= share * np.maximum(total, 1))
        if not move.any():
            break
        out[move] = best[move]
        moved[move] = top[move] / total[move]
    return out, moved


def grid(settings: ClusterSettings, n: int) -> list[ClusterSettings]:
    """The settings whose agreement makes the automatic events of n photos."""
    floor = _size_floor(n)
    return [replace(settings, min_size=max(floor, round(share * n)), dims=dims, consensus=False)
            for share in GRID_SIZES for dims in GRID_DIMS]


def co_association(runs: np.ndarray) -> np.ndarray:
    """(n, n) share of the runs (rows of labels, -1 = unsorted) in which two photos share an event:
    one product of all the runs' event indicators side by side (a product per run, each writing
    the whole n x n matrix again, took 1.5 s at 4,000 photos)."""
    n = runs.shape[1]
    onehot = [(labels[:, None] == np.arange(labels.max() + 1)[None]) for labels in runs]
    h = np.concatenate(onehot, axis=1).astype(np.float32) if onehot else np.zeros((n, 0), np.float32)
    together = h @ h.T
    together /= max(len(runs), 1)
    return together


def agree(runs: np.ndarray, min_size: int, together: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The events that runs (rows of labels over the same photos, -1 = unsorted) agree on:
    average linkage on 1 - co-association cut at ``AGREE_CUT``; a photo unsorted in more than
    half the runs, and a group under ``min_size``, stay unsorted. Returns (labels, confidence:
    the share of runs in which a photo shared an event with each other photo of its own, on
    average). ``together``: the runs' co-association, when the caller has it already."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    m = runs.shape[1]
    if m < 2:
        return np.full(m, -1), np.zeros(m)
    together = co_association(runs) if together is None else together
    apart = squareform(1.0 - together, checks=False)  # the condensed upper triangle: the diagonal is left out
    groups = fcluster(linkage(apart, "average"), t=AGREE_CUT, criterion="distance") - 1
    del apart
    groups[(runs < 0).mean(0) > 0.5] = -1  # most runs leave it unsorted: it stays so
    sizes = np.bincount(groups[groups >= 0], minlength=max(groups.max() + 1, 1))
    groups[(groups >= 0) & (sizes[np.maximum(groups, 0)] < min_size)] = -1
    kept = np.unique(groups[groups >= 0])
    labels = np.where(groups >= 0, np.searchsorted(kept, groups), -1)
    return labels, _within(together, labels)


def _within(together: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each photo's mean co-association with the other photos of its event (0 when unsorted)."""
    out = np.zeros(len(labels))
    for c in np.unique(labels[labels >= 0]):
        members = np.flatnonzero(labels == c)
        block = together[np.ix_(members, members)]
        out[members] = (block.sum(1) - np.diag(block)) / max(len(members) - 1, 1)
    return out


def _agreement(image: np.ndarray, settings: ClusterSettings, text: np.ndarray | None,
               times: np.ndarray | None, why: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Events the settings of ``grid`` agree on (see the module); (labels, confidence)."""
    n = len(image)
    min_size, min_samples = resolved_sizes(settings, n)
    if n < max(min_size, 2):
        return np.full(n, -1), np.zeros(n)
    rows = fit_rows(n, replace(settings, fit_limit=min(settings.fit_limit,
                                                       n if n <= CONSENSUS_ALL else CONSENSUS_LIMIT)))
    m = len(rows)
    sub = (image[rows], None if text is None else text[rows], None if times is None else times[rows])
    # one PCA per dimension count (fitted on the agreed sample, all photos projected), shared by the sizes
    projected = {d: (_project(image, d, settings.seed, rows),
                     None if text is None else _project(text, d, settings.seed, rows)) for d in GRID_DIMS}
    sampled = {d: tuple(None if a is None else a[rows] for a in pair) for d, pair in projected.items()}
    runs = np.array([_one_setting(sub[0], s, sub[1], sub[2], sampled[s.dims])[0] for s in grid(settings, m)])
    together = co_association(runs)
    fitted, conf_fit = agree(runs, _fit_sizes(settings, n, m)[0], together)
    labels = np.full(n, -1)
    labels[rows] = fitted
    conf = np.zeros(n)
    conf[rows] = conf_fit
    rest = np.setdiff1d(np.arange(n), rows)
    if len(rest) and fitted.max() >= 0:
        z = features(image, replace(settings, dims=DEFAULT_DIMS), text, times, projected[DEFAULT_DIMS])
        core = np.where(conf >= PLACE_CORE, labels, -2)  # placed among (and as far out as) each event's core
        placed, share = place(z, core, min_samples, settings.assign_share, settings.reach, todo=rest)
        labels[rest] = placed[rest]
        conf[rest] = share[rest]
    read = np.zeros(n, bool)
    if settings.read_again:  # the classifier reads the largest projection; the radius is measured where HDBSCAN works
        top = max(GRID_DIMS)
        unit = features(image, replace(settings, dims=top), text, times, projected[top])
        labels, conf, read = read_out(projected[top][0], unit, labels, conf, settings.reach)
    if why is not None:
        kept = np.full(n, np.nan)
        kept[rows] = _within(together, labels[rows])
        beyond = np.zeros(n, bool)
        beyond[rest] = True
        why.update(kept=kept, read=np.where(read, conf, np.nan), beyond=beyond, settings=len(runs), sample=m)
    return _by_size(labels), conf


def read_out(z: np.ndarray, unit: np.ndarray, labels: np.ndarray, conf: np.ndarray,
             reach: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The agreed events read again by a linear classifier trained on their sure members.

    The agreement is right about the photos most settings keep together (confidence >=
    ``READ_CORE``) and unsure at the edges, where HDBSCAN's density decides by a few
    neighbours. A multinomial logistic regression on the sure members' vectors ``z`` learns
    what separates the events; the other sorted photos take the event it gives them, and an
    unsorted photo joins one when it is at least ``READ_SURE`` probable and lies among that
    event's sure members (``within_members``, in ``unit``: the normalised vectors HDBSCAN
    sees), so a photo of something else stays unsorted. A photo read again gets the
    classifier's probability as its confidence. Returns (labels, confidence, which photos were
    read again)."""
    core = (labels >= 0) & (conf >= READ_CORE)
    classes = np.unique(labels[core])
    if len(classes) < 2:
        return labels, conf, np.zeros(len(labels), bool)
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0, max_iter=1000).fit(np.asarray(z[core], np.float64), labels[core])
    prob = model.predict_proba(np.asarray(z, np.float64))
    best, p = classes[prob.argmax(1)], prob.max(1)
    out, conf = labels.copy(), conf.copy()
    again = (labels >= 0) & ~core
    out[again] = best[again]
    join = np.zeros(len(labels), bool)
    candidates = np.flatnonzero((labels < 0) & (p >= READ_SURE))
    for c in classes:
        rows = candidates[best[candidates] == c]
        if len(rows):
            join[rows] = within_members(unit[core & (labels == c)], unit[rows], reach)
    out[join] = best[join]
    conf[again | join] = p[again | join]
    return out, conf, again | join


def within_members(members: np.ndarray, candidates: np.ndarray, reach: float = 1.0,
                   k: int = JOIN_NEIGHBOURS) -> np.ndarray:
    """Whether each candidate lies among ``members``: its k-th nearest member is no further than
    ``reach`` times the furthest any member's own k-th nearest fellow member is. Local density,
    not a ball round the centre: events are not round, and a ball wide enough for an event's
    furthest member took in photos beside it that none of its members are near. Measured on all
    3,031 events4 photos against the centre's radius: ARI 0.740 → 0.751 (5.6 % → 4.0 %
    unsorted; 5 sample seeds 0.732 → 0.742 on average, each higher), the mean of seven
    collections 0.796 → 0.804, object photos mixed in stay unsorted as often (52 % of 40, 60 %
    of 5) (bench/albums_eval.py)."""
    from sklearn.neighbors import NearestNeighbors

    m = np.asarray(members, np.float32)
    k = min(k, len(m) - 1)
    if k < 1:
        return np.zeros(len(candidates), bool)
    nn = NearestNeighbors(n_neighbors=k + 1).fit(m)
    own = nn.kneighbors(m)[0][:, k].max()  # column 0 is the member itself
    theirs = nn.kneighbors(np.asarray(candidates, np.float32), n_neighbors=k)[0][:, k - 1]
    return theirs <= reach * own


def _one_setting(image: np.ndarray, settings: ClusterSettings, text: np.ndarray | None,
                 times: np.ndarray | None, projected=None) -> tuple[np.ndarray, np.ndarray]:
    """One setting: HDBSCAN + the nearest-neighbour placement (``projected``: see ``features``)."""
    import hdbscan

    n = len(image)
    min_size, _ = resolved_sizes(settings, n)
    if n < max(min_size, 2):
        return np.full(n, -1), np.zeros(n)
    rows = fit_rows(n, settings)
    fit_size, fit_samples = _fit_sizes(settings, n, len(rows))
    z = features(image, settings, text, times, projected)
    model = hdbscan.HDBSCAN(min_cluster_size=fit_size, min_samples=fit_samples).fit(z[rows])
    labels = np.full(n, -1)
    labels[rows] = model.labels_
    conf = np.zeros(n)
    conf[rows] = model.probabilities_
    if labels.max() >= 0:
        labels, share = place(z, labels, fit_samples, settings.assign_share, settings.reach)
        placed = (share > 0)
        conf[placed] = share[placed]
    return _by_size(labels), conf


def prototypes(vectors: np.ndarray, labels: np.ndarray, event: int, count: int = 4) -> np.ndarray:
    """Indices of the photos nearest the event's centre (cosine), best first."""
    idx = np.flatnonzero(labels == event)
    v = unit(vectors[idx])
    centre = unit(v.mean(0))
    return idx[np.argsort(-(v @ centre))[:count]]
