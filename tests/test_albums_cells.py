"""Albums: the cells a big pool of photos without a time is cut into before the agreement.

k-means' cells are straight cuts of about CELL photos: a group bigger than a cell is cut in two
and becomes two events. ``community_cells`` follows the kNN graph's communities instead and keeps
such a group in one cell, every cell within the agreement's bound; from COMMUNITY_FROM photos
(CELL_SHAPE "auto", the default) the pool is cut that way (docs/albums.md: events4 inside 100,000
photos 0.527 -> 0.750)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from core.albums import cluster as C


@pytest.fixture
def two_big_groups():
    """3,600 photos without a time (over CELLS_FROM, so they go through cells) in two groups of
    1,800: k-means makes 4 cells of ~900 and cuts each group."""
    rng = np.random.default_rng(0)
    truth = np.repeat([0, 1], 1800)
    v = np.eye(16)[:2][truth] * 6 + rng.normal(0, 1, (len(truth), 16))
    assert len(v) > C.CELLS_FROM
    return v, truth


def test_community_cells_keep_a_group_that_kmeans_cuts(two_big_groups, monkeypatch):
    v, truth = two_big_groups
    settings = C.ClusterSettings()
    straight = C.cells(v, settings)
    follow = C.community_cells(v, settings)
    for g in (0, 1):
        assert np.bincount(straight[truth == g]).max() < 0.6 * 1800  # k-means cuts each group
        assert np.bincount(follow[truth == g]).max() == 1800  # one cell holds all of it
    assert np.bincount(follow).max() <= C.CELLS_FROM  # the co-association stays bounded
    got, from_ = {}, C.COMMUNITY_FROM
    for shape, start in (("kmeans", None), ("communities", None), ("auto", from_), ("auto", len(v))):
        monkeypatch.setattr(C, "CELL_SHAPE", shape)
        monkeypatch.setattr(C, "COMMUNITY_FROM", start or from_)
        got[shape, start] = C.cluster(v, settings, times=np.full(len(v), np.nan))[0]
    ari = {key: adjusted_rand_score(truth, labels) for key, labels in got.items()}
    # measured 0.26 (k-means' halves become events) vs 0.87
    assert ari["communities", None] > ari["kmeans", None] + 0.3, ari
    # "auto": k-means below COMMUNITY_FROM photos (3,600 < 7,000), communities from it
    assert adjusted_rand_score(got["auto", from_], got["kmeans", None]) > 0.99
    assert adjusted_rand_score(got["auto", len(v)], got["communities", None]) > 0.99


def test_small_communities_join_their_most_linked_neighbour_within_the_bound():
    """Communities under ``least`` join the cell they share the most links with; none grows past
    ``most`` (a cell over it would be cut by k-means)."""
    rng = np.random.default_rng(1)
    sizes = [300, 250, 200, 900]
    truth = np.repeat(np.arange(len(sizes)), sizes)
    centres = np.array([[0, 0], [3.5, 0], [7, 0], [30, 30]], float)  # three near each other, one far
    v = np.concatenate([centres[truth], np.zeros((len(truth), 6))], 1) + rng.normal(0, 0.6, (len(truth), 8))
    cell = C.community_cells(v, C.ClusterSettings(), least=700, most=1000)
    near = cell[truth < 3]
    assert np.bincount(near).max() >= 0.95 * 750  # the three small groups joined into one cell
    assert not np.isin(cell[truth == 3], np.unique(near)).any()  # the far group kept apart
    assert np.bincount(cell).max() <= 1000


def test_each_event_s_members_come_from_one_sort_and_equal_a_scan_per_event():
    """regroup and the clusterer read each event's, segment's and cell's photos by one sort of the labels (a scan of every photo per
    event was n x events: ~8,000 x 1,000,000 at a million photos); the same members, in order."""
    from core.vectors import members_by_label

    rng = np.random.default_rng(1)
    for _ in range(200):
        n, k = int(rng.integers(0, 60)), int(rng.integers(0, 8))
        labels = rng.integers(-1, k, n) if k else np.full(n, -1)
        mask = rng.random(n) < 0.7
        got = members_by_label(labels, mask, k)
        assert len(got) == k
        for c in range(k):
            np.testing.assert_array_equal(got[c], np.flatnonzero((labels == c) & mask))
