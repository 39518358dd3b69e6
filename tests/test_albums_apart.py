"""Albums: inside a big pool of photos without a time, an event the agreement made of separate groups
is split (``cluster.split_apart``): a cell's smallest event is 1-4% of the cell, so groups of a few
dozen photos beside each other or beside a broad group came out as one event, and an event cut
between two cells' events was two halves too small to be found (bench/albums_scale.py: untimed events
of >= 20 photos found inside 100,000 photos 16 -> 27 -> 33 of 43, events4's ARI 0.750 -> 0.749 ->
0.748). A broad group with no gap inside stays whole."""

from __future__ import annotations

import numpy as np

from core.albums import cluster as C


def _group(rng, look: np.ndarray, count: int, spread: float) -> np.ndarray:
    return look + spread * rng.normal(0, 1, (count, len(look)))


def test_an_event_made_of_separate_groups_is_split_and_a_broad_one_is_not():
    rng = np.random.default_rng(0)
    dim = 256
    looks = rng.normal(0, 1, (4, dim))
    # event 0: two small tight groups (30 and 45 photos) and a broad one (300) merged;
    # event 1: one broad group (400 photos) alone; event 2: 25 photos, too few to split
    parts = [(_group(rng, looks[0], 300, 1.2), 0, "broad"), (_group(rng, looks[1], 30, 0.5), 0, "a"),
             (_group(rng, looks[2], 45, 0.5), 0, "b"), (_group(rng, looks[3], 400, 1.2), 1, "alone"),
             (_group(rng, looks[0] + looks[1], 25, 0.5), 2, "few")]
    vectors = np.concatenate([p[0] for p in parts]).astype(np.float32)
    labels = np.concatenate([np.full(len(p[0]), p[1]) for p in parts])
    truth = np.concatenate([np.full(len(p[0]), i) for i, p in enumerate(parts)])
    out = C.split_apart(vectors, labels, C.ClusterSettings())
    for i, (_, _, name) in enumerate(parts):
        held = np.unique(out[truth == i])
        assert len(held) == 1, (name, held)  # no group is cut
    kept = {name: int(out[truth == i][0]) for i, (_, _, name) in enumerate(parts)}
    assert len({kept["broad"], kept["a"], kept["b"]}) == 3  # the merged event: three events now
    assert kept["broad"] == 0  # the largest group keeps the event's number
    assert kept["alone"] == 1 and kept["few"] == 2  # untouched
    assert len(np.unique(out)) == 5


def test_the_split_runs_inside_the_cells_of_a_big_pool(monkeypatch):
    """``_in_cells`` (a pool over CELLS_FROM photos without a time) ends with the split."""
    seen = []
    real = C.split_apart

    def spy(image, labels, settings, **kwargs):
        seen.append(len(image))
        return real(image, labels, settings, **kwargs)

    monkeypatch.setattr(C, "split_apart", spy)
    rng = np.random.default_rng(1)
    v = np.concatenate([_group(rng, rng.normal(0, 3, 32), 1200, 1.0) for _ in range(3)])
    labels, _ = C.cluster(v, C.ClusterSettings())
    assert seen == [len(v)] and labels.max() >= 2


def test_copies_and_empty_input_are_taken_as_they_are():
    """A burst of identical photos (no spread for the event's own PCA) stays one event; two such
    bursts merged come apart; nothing to split and only unsorted photos give back what came in."""
    rng = np.random.default_rng(2)
    same = np.tile(rng.normal(0, 1, 64), (60, 1)).astype(np.float32)
    assert np.array_equal(C.split_apart(same, np.zeros(60, int), C.ClusterSettings()), np.zeros(60, int))
    two = np.concatenate([np.tile(rng.normal(0, 1, 64), (30, 1)), np.tile(rng.normal(0, 1, 64), (30, 1))])
    out = C.split_apart(two.astype(np.float32), np.zeros(60, int), C.ClusterSettings())
    assert len(set(out[:30])) == len(set(out[30:])) == 1 and out[0] != out[30]
    assert C.split_apart(np.zeros((0, 64), np.float32), np.zeros(0, int), C.ClusterSettings()).shape == (0,)
    unsorted = np.full(50, -1)
    assert np.array_equal(C.split_apart(np.ones((50, 64), np.float32), unsorted, C.ClusterSettings()), unsorted)


def test_an_event_cut_between_two_events_comes_back_whole():
    """The two halves of one event (15 photos each, under ``APART_SMALLEST``), each inside another
    event's broad group, leave them and become one event; the broad groups stay as they were."""
    rng = np.random.default_rng(3)
    dim = 256
    looks = rng.normal(0, 1, (3, dim))
    cut = _group(rng, looks[2], 30, 0.5)
    parts = [_group(rng, looks[0], 200, 1.2), cut[:15], _group(rng, looks[1], 200, 1.2), cut[15:]]
    vectors = np.concatenate(parts).astype(np.float32)
    labels = np.repeat([0, 0, 1, 1], [200, 15, 200, 15])
    out = C.split_apart(vectors, labels, C.ClusterSettings())
    halves = np.concatenate([out[200:215], out[415:]])
    assert len(set(halves.tolist())) == 1 and halves[0] not in (0, 1)
    assert (out[:200] == 0).all() and (out[215:415] == 1).all()


def test_tightness_is_how_far_a_group_lies_from_its_centre_beside_the_others():
    """``_tightness``: near 0 for a group of copies beside other photos, near 1 for a random half of
    one broad group; the split takes the first and leaves the second."""
    rng = np.random.default_rng(4)
    broad = C.unit(_group(rng, rng.normal(0, 1, 128), 200, 1.2).astype(np.float32))
    same = C.unit(np.tile(rng.normal(0, 1, 128), (20, 1)).astype(np.float32))
    ratio = C._tightness(np.concatenate([broad, same]), np.repeat([0, 1], [200, 20]))
    assert ratio[1] < 0.05 < C.APART_RATIO
    halves = C._tightness(broad, np.arange(200) % 2)
    assert (halves > 0.9).all() and (halves > C.APART_RATIO).all()
