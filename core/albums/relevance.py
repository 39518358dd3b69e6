"""Which search results to show: those more alike than most unrelated pairs of the album.

A raw cosine means little on its own (photo↔photo cosines of unrelated photos sit near 0.23 with
the offline model, query↔text cosines near 0.10), so Find similar and search by words listed every
photo down to 0.09. As in Lost & Found (``core.lostfound.match``), a score is calibrated against
the scores of unrelated pairs in the same space: ``Φ((raw − centre) / spread)``, read as "more alike
than this share of unrelated pairs", and only results at or above :data:`CUT` are shown (the page
and the CLI say how many are left below it).

The unrelated pairs of an album (cost O(n), kept per album state, i.e. per search index):

* Find similar: photo↔photo cosines of random pairs of the album's photos;
* search by words: the cosines of :data:`DECOYS` (everyday words, as queries are written) against
  every photo's text (the sentence model) or photo (CLIP's text-image score).

Random pairs include some related ones (two photos of one event; the decoy "tree" against a
Christmas tree), so the centre and spread are the median and the scaled median absolute deviation,
which follow the unrelated bulk (a mean and a standard deviation would follow the related tail).
``bench/albums_relevance.py`` measures precision and recall of what is shown against the photos of
the same event on events4.
"""

from __future__ import annotations

import os
import weakref
from dataclasses import dataclass, field

import numpy as np

# Shown: more alike than this share of unrelated pairs. Measured on events4 (bench/albums_relevance.py),
# precision / recall against the photos of the same event: Find similar over 60 photos of 4 events
# 0.348 / 0.995 (the top 40, before) → 0.996 / 0.562 at 0.99 (0.966 / 0.676 at 0.95); over the 200
# test photos 0.880 / 0.719 → 0.995 / 0.483. Search by words (8 queries, the top 60 before): 60
# photos 0.250 / 1.000 → 0.763 / 0.483, 200 photos 0.558 / 0.670 → 0.824 / 0.455. A shown result
# is then nearly always right; the rest of its event is one click away in the events list.
CUT = 0.99
NULL_PAIRS = 20_000  # random pairs sampled for Find similar's null (all pairs of a small album)
MIN_PAIRS = 10  # fewer unrelated pairs than this: no cut can be measured, every result is shown
# Queries nobody typed, for the null of search by words: everyday things of all kinds, in English
# (the sentence model is multilingual; CLIP reads them as "a photo of …").
DECOYS = ("car", "dog", "cat", "bicycle", "kitchen", "mountain", "city street", "office", "computer",
          "book", "flower", "tree", "river", "bird", "horse", "train", "airplane", "boat", "food",
          "shoes", "bag", "phone", "chair", "table", "bridge", "snow", "forest", "desert", "bus",
          "clock", "bottle", "cup", "guitar", "football", "tennis", "laptop", "umbrella", "bed",
          "window", "door", "road", "sky", "cloud", "rain", "garden", "farm", "cow", "fish", "shop",
          "market")


@dataclass(frozen=True)
class Null:
    """Scores of unrelated pairs, summarised: ``centre`` (median), ``spread`` (1.4826 × MAD)."""

    centre: float
    spread: float
    pairs: int

    @classmethod
    def fit(cls, values: np.ndarray) -> Null:
        values = np.asarray(values, np.float64)
        values = values[np.isfinite(values)]
        if not len(values):
            return cls(0.0, 1.0, 0)
        centre = float(np.median(values))
        spread = 1.4826 * float(np.median(np.abs(values - centre)))
        return cls(centre, max(spread, 1e-3), len(values))

    @property
    def measured(self) -> bool:
        return self.pairs >= MIN_PAIRS

    def beats(self, raw) -> np.ndarray:
        """The share of unrelated pairs each raw cosine beats (0..1)."""
        from scipy.special import ndtr

        return ndtr((np.asarray(raw, np.float64) - self.centre) / self.spread)

    def raw_at(self, share: float) -> float:
        """The raw cosine that beats ``share`` of unrelated pairs."""
        from scipy.special import ndtri

        return float(self.centre + self.spread * ndtri(min(max(share, 1e-9), 1 - 1e-9)))


def beats_text(share: float) -> str:
    """'beats 99.7%': a calibrated score as what it means (never 'beats 100.0%'); '' when the
    album is too small for a cut (NaN)."""
    if share != share:
        return ""
    if share >= 0.9995:
        return "beats >99.9%"
    return f"beats {share * 100:.1f}%"


def share_text(share: float) -> str:
    """99 % as '99 %', 99.5 % as '99.5 %'."""
    return f"{share * 100:.1f}".rstrip("0").rstrip(".") + " %"


@dataclass
class Found:
    """Search results above the cut: ``hits`` (path, raw cosine, share of unrelated pairs beaten),
    best first; ``below``: results the search found under the cut (not shown); ``more``: the
    ``k`` limit stopped the list while results were still above the cut."""

    hits: list[tuple[str, float, float]] = field(default_factory=list)
    below: int = 0
    cut: float = CUT
    measured: bool = True
    more: bool = False

    def pairs(self) -> list[tuple[str, float]]:
        return [(p, raw) for p, raw, _ in self.hits]

    def summary(self) -> str:
        """'7 photos more alike than 99 % of unrelated pairs; 8 below the cut not shown'."""
        n = len(self.hits)
        noun = "photo" if n <= 1 else "photos"
        if not self.measured:
            return f"{n} {noun} (too few photos to measure a cut: all shown)"
        count = f"the best {n}" if self.more else str(n) if n else "no"
        text = f"{count} {noun} more alike than {share_text(self.cut)} of unrelated pairs"
        if self.below:
            text += f"; {self.below} below the cut not shown"
        return text

    def to_json(self) -> list[dict]:
        return [{"photo": p, "score": round(raw, 6), "beats": round(share, 6)} for p, raw, share in self.hits]


def found(hits: list[tuple[str, float]], null: Null, candidates: int, cut: float = CUT) -> Found:
    """``hits`` (path, raw cosine; best first, the top ``k`` of ``candidates`` photos) kept at or
    above ``cut`` (0: all of them)."""
    shares = null.beats([s for _, s in hits]) if hits else np.zeros(0)
    if not null.measured:
        shares = np.full(len(hits), np.nan)
        keep = list(range(len(hits)))
    else:
        keep = [i for i, b in enumerate(shares) if b >= cut]
    out = [(hits[i][0], float(hits[i][1]), float(shares[i])) for i in keep]
    more = bool(hits) and len(keep) == len(hits) < candidates  # the k limit, not the cut, ended the list
    below = candidates - len(out) if null.measured and not more else 0
    return Found(out, below=max(below, 0), cut=cut, measured=null.measured, more=more)


_photo_nulls: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # SearchIndex → Null
_decoy_scores: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # SearchIndex → {space: scores}


def photo_null(index, max_pairs: int = NULL_PAIRS, seed: int = 0) -> Null:
    """Photo↔photo cosines of random pairs of the photos in ``index`` (a ``core.search.SearchIndex``
    of unit image vectors), kept for that index: all pairs of a small album; of a big one, the
    pairs between two random samples of √max_pairs photos (one small product: O(1) in n)."""
    null = _photo_nulls.get(index)
    if null is None:
        rows = np.asarray(sorted(index.rows.values()), np.int64)
        n = len(rows)
        if n * (n - 1) // 2 <= max_pairs:
            v = np.asarray(index.vectors[rows], np.float32)
            values = (v @ v.T)[np.triu_indices(n, 1)]
        else:
            rng = np.random.default_rng(seed)
            side = int(np.sqrt(max_pairs)) + 1
            a, b = rng.choice(rows, side), rng.choice(rows, side)
            sims = np.asarray(index.vectors[a], np.float32) @ np.asarray(index.vectors[b], np.float32).T
            values = sims[a[:, None] != b[None, :]]
        null = Null.fit(values)
        _photo_nulls[index] = null
    return null


def decoy_null(index, embed, space: str) -> Null:
    """:data:`DECOYS` embedded by ``embed(list of words) → vectors`` against the vectors of
    ``index`` (the photos' text vectors, or their image vectors for CLIP; a sample of a big album),
    kept for that index."""
    per_space = _decoy_scores.setdefault(index, {})
    if space not in per_space:
        rows = np.asarray(sorted(index.rows.values()), np.int64)
        most = max(NULL_PAIRS // len(DECOYS), 1)  # photos sampled: at most NULL_PAIRS pairs, O(1) in n
        if len(rows) > most:
            rows = np.sort(np.random.default_rng(0).choice(rows, most, replace=False))
        v = np.asarray(index.vectors[rows], np.float32)
        if not len(v):
            per_space[space] = Null.fit(np.zeros(0))
        else:
            d = np.asarray(embed(list(DECOYS)), np.float32)
            d = d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-12)
            per_space[space] = Null.fit((d @ v.T).ravel())
    return per_space[space]


def similar_found(index, photo: str | os.PathLike[str], k: int = 40, image_model=None,
                  cut: float = CUT) -> Found:
    """Find similar, calibrated: the nearest of the ``k`` best to ``photo`` that beat ``cut`` of
    the album's unrelated pairs (``core.albums.pipeline.similar_photos`` underneath)."""
    from core.albums.pipeline import similar_photos

    hits = similar_photos(index, photo, k, image_model)
    key = os.fspath(photo)
    candidates = len(index) - (1 if key in index or os.path.abspath(key) in index else 0)
    return found(hits, photo_null(index), candidates, cut)


def words_found(album, query: str, k: int = 40, cut: float = CUT) -> tuple[Found, str]:
    """Search by words (``Album.find_words``), calibrated against :data:`DECOYS` in the same space;
    (the results above ``cut``, the kind the query was widened with or '')."""
    from core.embed import embed_texts

    hits, kind = album.find_words(query, k)
    clip = album.models.clip
    if clip is not None:
        index = album.search_index()
        null = decoy_null(index, lambda words: clip.embed_texts([f"a photo of {w}" for w in words]), "clip")
    else:
        index = album.words_index()
        null = decoy_null(index, lambda words: embed_texts(words, album.models.text, album.cache), "text")
    return found(hits, null, len(index), cut), kind
