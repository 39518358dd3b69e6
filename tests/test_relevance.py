"""Calibrated relevance (issue 38): Albums' Find similar and search by words show only what beats
most unrelated pairs and say how many were left below; Lost & Found's tied scores are ordered by
their raw score and shown with it."""

from __future__ import annotations

import numpy as np

from core.albums.relevance import CUT, Found, Null, found, photo_null, similar_found
from core.lostfound.index import PostVectors
from core.lostfound.match import MatchSettings, fit_calibration, rank
from core.search import SearchIndex


def _album_index(events: int = 4, per_event: int = 15, dim: int = 64, seed: int = 0):
    """An album's image vectors: ``events`` tight groups (an event each) in the search layer."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((events, dim))
    vectors, keys = [], []
    for e in range(events):
        for i in range(per_event):
            vectors.append(centres[e] + 0.6 * rng.standard_normal(dim))
            keys.append(f"/album/event{e}/img{i:02d}.jpg")
    v = np.asarray(vectors, np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    index = SearchIndex(dim)
    index.add(keys, v)
    return index, keys


def test_find_similar_shows_only_what_beats_unrelated_pairs_and_says_how_many_are_left():
    index, keys = _album_index()
    result = similar_found(index, keys[0], k=40)
    shown = [p for p, _, _ in result.hits]
    # before: the top 40 of 59 others, 45 of them from other events; now: its own event only
    assert 0 < len(shown) <= 14 and all("/event0/" in p for p in shown)
    assert result.below == 59 - len(shown) and not result.more
    assert all(share >= CUT for _, _, share in result.hits)
    assert result.summary() == (f"{len(shown)} photos more alike than 99 % of unrelated pairs; "
                                f"{59 - len(shown)} below the cut not shown")
    everything = similar_found(index, keys[0], k=40, cut=0.0)  # cut 0: the top k as before
    assert len(everything.hits) == 40 and everything.more and everything.summary().startswith("the best 40")


def test_the_null_follows_the_unrelated_bulk_and_is_kept_per_index():
    index, _ = _album_index()
    null = photo_null(index)
    assert null.pairs == 60 * 59 // 2  # a small album: all its pairs
    assert photo_null(index) is null  # kept for this album state
    v = index.vectors
    sims = v @ v.T
    same = np.kron(np.eye(4), np.ones((15, 15))).astype(bool) & ~np.eye(60, dtype=bool)
    unrelated = sims[~same & ~np.eye(60, dtype=bool)]
    everyone = sims[np.triu_indices(60, 1)]
    # the median and MAD of all pairs (a quarter related) sit nearer the unrelated ones than a mean
    # and a standard deviation, which the related tail pulls up
    assert abs(null.centre - np.median(unrelated)) < abs(everyone.mean() - np.median(unrelated)) / 2
    assert null.spread < everyone.std()
    assert null.raw_at(CUT) > np.quantile(unrelated, 0.99)  # the cut: above 99 % of the unrelated pairs
    assert abs(null.beats(null.raw_at(0.9)) - 0.9) < 1e-9
    other, _ = _album_index(seed=1)
    assert photo_null(other) is not null


def test_too_few_photos_for_a_cut_shows_all_and_says_so():
    tiny = Null.fit(np.array([0.2, 0.3]))
    res = found([("a.jpg", 0.31), ("b.jpg", 0.05)], tiny, candidates=2)
    assert [p for p, _, _ in res.hits] == ["a.jpg", "b.jpg"]
    assert "too few photos to measure a cut" in res.summary()


def test_found_counts_one_photo_and_json_carries_both_units():
    res = Found([("a.jpg", 0.5, 0.9991)], below=3)
    assert res.summary() == "1 photo more alike than 99 % of unrelated pairs; 3 below the cut not shown"
    assert res.to_json() == [{"photo": "a.jpg", "score": 0.5, "beats": 0.9991}]


def _posts_with_capped_matches(n_found: int = 6) -> PostVectors:
    """One lost post (category A) and ``n_found`` found posts of another user category: every
    match is capped at the same calibrated score; their raw text similarity rises with the row."""
    rng = np.random.default_rng(3)
    dim = 32
    base = rng.standard_normal(dim)
    text = [base]
    for i in range(n_found):
        t = rng.standard_normal(dim)
        w = 0.2 + 0.7 * i / n_found  # later rows: nearer the lost post
        text.append(w * base / np.linalg.norm(base) + (1 - w) * t / np.linalg.norm(t))
    text = np.asarray(text, np.float32)
    text /= np.linalg.norm(text, axis=1, keepdims=True)
    n = n_found + 1
    return PostVectors(ids=np.arange(n) + 1, is_lost=np.array([True] + [False] * n_found), text=text,
                       has_text=np.ones(n, bool), image=np.zeros((n, 8), np.float32), has_image=np.zeros(n, bool),
                       cross=np.zeros((n, dim), np.float32), top_category=["A"] + ["B"] * n_found,
                       category_known=np.ones(n, bool), category_code=np.array([0] + [1] * n_found),
                       is_open=np.ones(n, bool))


def test_lostfound_ties_are_ordered_by_the_raw_score_and_show_it():
    v = _posts_with_capped_matches()
    settings = MatchSettings()
    matches = rank(v, 1, settings, fit_calibration(v), k=None)
    assert len({m.score for m in matches}) == 1  # all capped: one calibrated score
    raws = [m.raw for m in matches]
    assert raws == sorted(raws, reverse=True) and len(set(raws)) == len(raws)
    nearest_first = list(np.argsort(-(v.text[1:] @ v.text[0])) + 2)
    assert nearest_first != [2, 3, 4, 5, 6, 7]  # so the row order (as before) would fail here
    assert [m.post_id for m in matches] == nearest_first
    assert raws[0] == round(float(v.text[nearest_first[0] - 1] @ v.text[0]), 4)  # text only: its cosine
    assert matches[0].text() == f"beats {settings.category_cap * 100:.1f}% · raw {raws[0]:.3f}"
    assert "raw" in matches[0].to_dict()


def test_search_by_words_is_cut_in_the_space_it_searches(tmp_path):
    """Offline: the query and decoy words against the photos' texts (sentence model); with CLIP:
    "a photo of …" against the image vectors (a tiny CLIP of the real classes here)."""
    from core.albums.pipeline import Album, make_models
    from core.albums.relevance import _decoy_scores, words_found
    from core.albums.store import AlbumStore
    from core.cache import EmbeddingCache
    from core.models.manager import ModelManager
    from tests.conftest import DEMO_PHOTOS

    for manager, preset, space in ((ModelManager("cpu"), "effnet-lite0", "text"),
                                   (ModelManager("cpu", tiny=True), "clip-vit-b32", "clip")):
        with EmbeddingCache(tmp_path / f"{space}.sqlite") as cache, AlbumStore(":memory:") as store:
            album = Album(store, cache, make_models(manager, preset, captions=False))
            album.add([str(DEMO_PHOTOS)])
            result, _ = words_found(album, "shoes", k=12)
            index = album.search_index() if space == "clip" else album.words_index()
            assert set(_decoy_scores[index]) == {space}  # the null was measured in that space
            assert result.measured and all(share >= CUT for _, _, share in result.hits)
            assert result.more or len(result.hits) + result.below == len(index)
            if space == "text":  # the real sentence model: the two shoes first, and not the other 10 clothes
                assert 2 <= len(result.hits) <= len(index) // 3
                assert all("/shoes_" in p for p, _, _ in result.hits[:2])
