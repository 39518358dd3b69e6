"""Ranking matches for a post: calibrated channels, renormalised weights, gates.

Channels (raw cosine similarities):

* ``text``  — description ↔ description, when both posts have one;
* ``image`` — photo ↔ photo, when both have a photo;
* ``cross`` — photo ↔ description, when exactly one post has a photo (its
  photo against the other's text). The missing photo never counts as zero.

Raw scores differ by channel (photo↔photo of unrelated items already sits
far above photo↔text of true matches), so each channel is calibrated first:
``Φ((raw − μ) / σ)`` with μ, σ of that channel over lost×found pairs of the
store (shrunk towards a prior while the store is small). A calibrated 0.9
means "more alike than about 90% of unrelated pairs" on every channel.

The score combines the channels both posts have, weights renormalised over
what is available: the slider's text weight ``w`` goes to ``text``, ``1 − w``
to ``image`` (or ``cross`` when only one post has a photo). The channels'
z-scores are combined with Stouffer's weighted sum, ``Φ(Σ wᵢzᵢ / √Σ wᵢ²)``,
so strong evidence on one channel is not squashed before it is added (a
weighted mean of per-channel Φ values ranked worse than text alone in
``bench/lostfound_eval.py``). The score is again "more alike than this share
of unrelated pairs"; the default "similar" line is 0.95.
Gates: calibrated ``image`` below ``image_gate`` → 0; different top-level categories →
pulled down to ``category_cap`` in proportion to how sure both are (the user's category:
fully; an inferred one: by its probability).

Big stores (≥ ``PRESELECT_MIN`` candidates): scoring every pair reads the whole 1,280-d photo
matrix per query (100k posts: 95 ms). Instead :func:`prepare_search` (run by the refresh job)
puts each channel's vectors in the search layer (``core.search``: exact over a PCA-reduced copy,
HNSW above ``SEARCH_EXACT_MAX``), and a query first takes the ``PRESELECT_PER_CHANNEL`` best
candidates of each channel from it, then scores only those exactly. The
final score only grows with each channel's, so a pair outside every channel's top few hundred
cannot reach the top ten but in a near-tie; ``bench/lostfound_match.py`` measures the top-10
agreement with scoring every pair.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from core.lostfound.index import PostVectors

CHANNELS = ("text", "image", "cross")
# Priors (μ, σ) per channel, used while the store has few pairs; measured on
# the demo posts with the offline models and rounded.
PRIORS = {"text": (0.25, 0.12), "image": (0.35, 0.1), "cross": (0.15, 0.1)}
PRIOR_PAIRS = 30


@dataclass
class MatchSettings:
    text_weight: float = 0.5  # the slider: text side w, image side 1 - w
    image_gate: float = 0.2  # calibrated photo↔photo below this → score 0
    category_cap: float = 0.1  # different top-level categories → score at most this
    similar_threshold: float = 0.95  # the "similar" line: beats ~95% of unrelated pairs
    use_image_gate: bool = True
    use_category_gate: bool = True


@dataclass
class Calibration:
    stats: dict[str, tuple[float, float, int]] = field(default_factory=dict)  # channel → (μ, σ, n)

    def z(self, channel: str, raw: np.ndarray) -> np.ndarray:
        mu, sigma, _ = self.stats.get(channel, (*PRIORS[channel], 0))
        return (np.asarray(raw, np.float64) - mu) / max(sigma, 1e-3)


def _phi(z: np.ndarray) -> np.ndarray:
    """The standard normal CDF (SciPy's ``ndtr``)."""
    from scipy.special import ndtr

    return ndtr(np.asarray(z, np.float64))


def _dots(matrix: np.ndarray, vector: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``matrix[rows] @ vector`` without copying the rows when they are many: gathering half of
    100k 1,280-d rows copied 256 MB per query (200 ms of a 255 ms match); one product over the
    whole matrix, then the rows of the result, costs a fraction of that."""
    if len(rows) * 4 > len(matrix):
        return (matrix @ vector)[rows]
    return matrix[rows] @ vector


PRESELECT_MIN = 20_000  # candidates from which a query is pre-selected on reduced vectors
PRESELECT_PER_CHANNEL = 400  # ... keeping this many of each channel, then scored exactly
REDUCED_DIMS = {"text": 128, "image": 256, "cross": 128}
SEARCH_EXACT_MAX = 200_000  # above: each channel's search-layer index is an HNSW graph (a longer refresh)


def prepare_search(v: PostVectors, seed: int = 0) -> None:
    """Each channel's vectors in the search layer (``core.search.SearchIndex``, exact over a
    PCA-reduced copy up to ``SEARCH_EXACT_MAX`` posts, HNSW above) for pre-selection, only for
    stores big enough to need it; kept on ``v.reduced`` as ``{channel: (index, post rows)}``."""
    from core.search import SearchIndex

    v.reduced = None
    if len(v) < PRESELECT_MIN:
        return
    reduced = {}
    for name, matrix, has in (("text", v.text, v.has_text), ("image", v.image, v.has_image),
                              ("cross", v.cross, v.has_image)):
        rows = np.flatnonzero(has)
        if not len(rows):  # no post has this channel (a store without photos): nothing to pre-select by it
            continue
        index = SearchIndex(matrix.shape[1], exact_max=SEARCH_EXACT_MAX, reduce=REDUCED_DIMS[name])
        index.add([str(r) for r in rows], matrix[rows])
        reduced[name] = (index, rows)
    v.reduced = reduced


def preselect(v: PostVectors, q: int, c: np.ndarray, per_channel: int = PRESELECT_PER_CHANNEL) -> np.ndarray:
    """The candidate rows ``c`` worth scoring exactly for row ``q``: the best ``per_channel`` of
    each channel by the search layer (sorted, unique)."""
    member = np.zeros(len(v), bool)
    member[c] = True
    keep = []

    def best(channel: str, query: np.ndarray, allowed: np.ndarray) -> None:
        if channel not in v.reduced:  # no post has it: no candidate scores on it
            return
        index, rows = v.reduced[channel]
        within = allowed[rows]
        if within.any():
            keep.append(rows[index.candidates(query, per_channel, within)])

    if v.has_text[q]:
        best("text", v.text[q], member)
    if v.has_image[q]:
        best("image", v.image[q], member)
        best("text", v.cross[q], member & ~v.has_image)  # their text against this photo
    elif v.has_text[q]:
        best("cross", v.text[q], member)  # their photo against this text
    return np.unique(np.concatenate(keep)) if keep else c[:0]


def pair_channels(v: PostVectors, q: int, c: np.ndarray) -> dict[str, np.ndarray]:
    """Raw channel scores of post row ``q`` against rows ``c`` (NaN where a channel is absent)."""
    nan = np.full(len(c), np.nan)
    # a channel the query lacks is not multiplied out (a post without a photo: 400 rows of 1,280-d read for nothing)
    text = np.where(v.has_text[c], _dots(v.text, v.text[q], c), nan) if v.has_text[q] else nan.copy()
    image = np.where(v.has_image[c], _dots(v.image, v.image[q], c), nan) if v.has_image[q] else nan.copy()
    q_photo_only = v.has_image[q] & ~v.has_image[c] & v.has_text[c]
    c_photo_only = ~v.has_image[q] & v.has_image[c] & v.has_text[q]
    cross = nan.copy()
    if q_photo_only.any():
        cross[q_photo_only] = _dots(v.text, v.cross[q], c[q_photo_only])
    if c_photo_only.any():
        cross[c_photo_only] = _dots(v.cross, v.text[q], c[c_photo_only])
    return {"text": text, "image": image, "cross": cross}


def fit_calibration(v: PostVectors, max_pairs: int = 20_000, seed: int = 0) -> Calibration:
    """μ, σ per channel over lost×found pairs (all pairs if one kind is missing)."""
    rng = np.random.default_rng(seed)
    lost, found = np.flatnonzero(v.is_lost), np.flatnonzero(~v.is_lost)
    if not len(lost) or not len(found):
        lost = found = np.arange(len(v))
    n = min(max_pairs, len(lost) * len(found))
    qs = rng.choice(lost, n) if n else np.array([], int)
    cs = rng.choice(found, n) if n else np.array([], int)
    keep = qs != cs
    samples: dict[str, list] = {ch: [] for ch in CHANNELS}
    for q in np.unique(qs[keep]):
        rows = cs[keep][qs[keep] == q]
        for ch, vals in pair_channels(v, int(q), rows).items():
            samples[ch].append(vals[~np.isnan(vals)])
    stats = {}
    for ch in CHANNELS:
        vals = np.concatenate(samples[ch]) if samples[ch] else np.array([])
        mu0, sd0 = PRIORS[ch]
        k = len(vals)
        mu = (vals.sum() + PRIOR_PAIRS * mu0) / (k + PRIOR_PAIRS)
        var = ((vals - mu) ** 2).sum() + PRIOR_PAIRS * (sd0**2 + (mu0 - mu) ** 2)
        stats[ch] = (float(mu), float(math.sqrt(var / (k + PRIOR_PAIRS))), int(k))
    return Calibration(stats)


@dataclass
class Match:
    post_id: int
    score: float  # calibrated: the share of unrelated pairs this pair beats
    similar: bool
    breakdown: dict
    raw: float = 0.0  # the channels' raw cosines, weighted as in the score: breaks ties, shown with it

    def to_dict(self) -> dict:
        return asdict(self)

    def text(self) -> str:
        """'beats 99.7% · raw 0.412', as the page's matches table and the CLI show a match."""
        return f"{score_text(self.score)} · raw {self.raw:.3f}"


def score_text(score: float) -> str:
    """A match score as what it means: 'beats 99.7%' of unrelated pairs (never a bare 1.000)."""
    if score >= 0.9995:
        return "beats >99.9%"
    return f"beats {score * 100:.1f}%"


def weighted_raw(parts: dict) -> np.ndarray:
    """Per pair, the raw cosines of the channels it has, weighted as the score weighs them."""
    return sum(np.nan_to_num(parts[ch]["raw"] * parts[ch]["weight"]) for ch in CHANNELS)


def rank(v: PostVectors, post_id: int, settings: MatchSettings, calibration: Calibration,
         k: int | None = 10, candidates: np.ndarray | None = None, exact: bool = False) -> list[Match]:
    """Open posts of the other kind (or ``candidates`` rows), best first, with breakdowns;
    ``exact``: score every pair even in a big store (no pre-selection)."""
    q = v.row(post_id)
    c = np.flatnonzero((v.is_lost != v.is_lost[q]) & v.is_open) if candidates is None else candidates
    if candidates is None and exact is False and getattr(v, "reduced", None) and len(c) >= PRESELECT_MIN:
        c = preselect(v, q, c)
    scores, parts = score_rows(v, q, c, settings, calibration)
    raw = weighted_raw(parts)
    # Best first; a tie of calibrated scores (gated or capped pairs all sit at the cap) by the raw score.
    order = np.lexsort((-raw, -np.round(scores, 4)))
    if k is not None:
        order = order[:k]
    matches = []
    for j in order:
        breakdown = {ch: {key: (None if np.isnan(arr[j]) else round(float(arr[j]), 4))
                          for key, arr in parts[ch].items()} for ch in CHANNELS}
        breakdown["gates"] = [g for g, hit in parts["gates"].items() if hit[j]]
        matches.append(Match(int(v.ids[c[j]]), round(float(scores[j]), 4),
                             bool(scores[j] >= settings.similar_threshold), breakdown, round(float(raw[j]), 4)))
    return matches


def category_difference(v: PostVectors, q: int, c: np.ndarray) -> np.ndarray:
    """How surely post ``q`` and each of ``c`` are in different top-level categories, 0..1."""
    if v.category_prob is None:  # user categories only (older callers): the hard rule
        known = v.category_known[q] & v.category_known[c]
        return (known & (v.category_code[c] != v.category_code[q])).astype(np.float64)
    p = v.category_prob
    has = (p[q].sum() > 0) & (p[c].sum(1) > 0)
    overlap = np.sqrt(p[c] * p[q][None, :]).sum(1)
    return np.where(has, 1.0 - np.clip(overlap, 0.0, 1.0), 0.0)


def score_rows(v: PostVectors, q: int, c: np.ndarray, settings: MatchSettings,
               calibration: Calibration) -> tuple[np.ndarray, dict]:
    raw = pair_channels(v, q, c)
    w = min(max(settings.text_weight, 0.0), 1.0)
    weights = {"text": w, "image": 1.0 - w, "cross": 1.0 - w}
    parts: dict = {}
    z = {ch: np.where(np.isnan(raw[ch]), np.nan, calibration.z(ch, np.nan_to_num(raw[ch])))
         for ch in CHANNELS}
    cal = {ch: np.where(np.isnan(z[ch]), np.nan, _phi(np.nan_to_num(z[ch]))) for ch in CHANNELS}
    present = {ch: ~np.isnan(raw[ch]) for ch in CHANNELS}
    present_any = np.any([present[ch] for ch in CHANNELS], axis=0)
    den = sum(np.where(present[ch], weights[ch], 0.0) for ch in CHANNELS)
    # A slider at an end can leave no weight on the channels a pair has: weigh them equally.
    eff_w = {ch: np.where(present[ch], np.where(den > 0, weights[ch], 1.0), 0.0) for ch in CHANNELS}
    total = sum(eff_w[ch] for ch in CHANNELS)
    # Stouffer's weighted z: evidence adds up on one scale instead of being squashed per channel.
    z_sum = sum(eff_w[ch] * np.nan_to_num(z[ch]) for ch in CHANNELS)
    z_norm = np.sqrt(sum(eff_w[ch] ** 2 for ch in CHANNELS))
    score = np.where(present_any, _phi(z_sum / np.maximum(z_norm, 1e-12)), 0.0)
    for ch in CHANNELS:
        eff = np.where(present[ch], eff_w[ch] / np.maximum(total, 1e-12), np.nan)
        parts[ch] = {"raw": raw[ch], "calibrated": cal[ch], "weight": eff}
    image_gate = np.zeros(len(c), bool)
    if settings.use_image_gate:
        image_gate = ~np.isnan(cal["image"]) & (np.nan_to_num(cal["image"], nan=1.0) < settings.image_gate)
        score = np.where(image_gate, 0.0, score)
    category_gate = np.zeros(len(c), bool)
    if settings.use_category_gate:
        # Pulled down towards the cap by how surely the two differ in category: 1 - the
        # Bhattacharyya overlap of their category distributions (one-hot for the user's own,
        # inferred for an empty one: core.lostfound.index.infer_categories). Two user categories:
        # 0 or 1, the hard cap as before; two alike guesses: little; no category: nothing.
        differ = category_difference(v, q, c)
        capped = score - differ * np.maximum(score - settings.category_cap, 0.0)
        category_gate = (differ >= 0.5) & (score > settings.category_cap)
        score = np.where(differ > 0, capped, score)
    parts["gates"] = {"image_gate": image_gate, "category_cap": category_gate}
    return score, parts
