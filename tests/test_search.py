"""The search layer: keyed add / remove / search without rebuilds, exact and HNSW, save and open."""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest

from core.search import SearchIndex


def _clustered(n: int, dim: int = 64, seed: int = 0) -> np.ndarray:
    """Clusters in a 48-dimensional subspace of ``dim`` (embeddings have few real dimensions)."""
    rng = np.random.default_rng(seed)
    basis = np.random.default_rng(99).standard_normal((48, dim))
    centres = rng.standard_normal((max(n // 50, 2), 48))
    z = centres[rng.integers(0, len(centres), n)] + 0.4 * rng.standard_normal((n, 48))
    x = z @ basis
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _exact_top(x: np.ndarray, q: np.ndarray, k: int) -> list[int]:
    return list(np.argsort(-(x @ q), kind="stable")[:k])


def test_exact_search_is_the_true_top_k_with_threshold_exclude_and_removal():
    x = _clustered(500)
    index = SearchIndex(64)
    index.add([f"p{i}" for i in range(500)], x)
    assert index.backend == "exact" and len(index) == 500
    hits = index.search(x[3], 10)
    assert [h.key for h in hits] == [f"p{i}" for i in _exact_top(x, x[3], 10)]
    assert hits[0].key == "p3" and hits[0].score == pytest.approx(1.0, abs=1e-6)
    assert [h.rank for h in hits] == list(range(1, 11))
    # exclusion by key, a threshold, removal (O(1): a tombstone), replacement by key
    assert "p3" not in [h.key for h in index.search(x[3], 10, exclude="p3")]
    assert all(h.score >= 0.5 for h in index.search(x[3], 50, threshold=0.5))
    assert index.remove(["p3", "p4", "nope"]) == 2 and len(index) == 498 and "p3" not in index
    assert "p3" not in [h.key for h in index.search(x[3], 20)]
    index.add(["p5"], -x[5])  # the key now means another vector
    assert len(index) == 498 and index.search(-x[5], 1)[0].key == "p5"
    with pytest.raises(ValueError, match="expected 1 vectors of 64"):
        index.add(["bad"], np.zeros((1, 8)))


def test_hnsw_takes_over_above_the_threshold_and_keeps_recall(tmp_path):
    x = _clustered(3000, dim=320)  # wider than the HNSW's 256: the PCA projection is used
    index = SearchIndex(320, exact_max=1000)
    index.add([f"p{i}" for i in range(800)], x[:800])
    assert index.backend == "exact"
    index.add([f"p{i}" for i in range(800, 3000)], x[800:])  # crosses the threshold: HNSW, no rebuild later
    assert index.backend == "hnsw"
    queries = _clustered(100, dim=320, seed=1)
    found = sum(len({h.key for h in index.search(q, 10)} & {f"p{i}" for i in _exact_top(x, q, 10)})
                for q in queries)
    assert found / 1000 >= 0.95
    exact = index.search(queries[0], 10, exact=True)
    assert [h.key for h in exact] == [f"p{i}" for i in _exact_top(x, queries[0], 10)]
    # scores are true cosines (candidates re-scored against the stored vectors)
    for h in index.search(queries[0], 5):
        assert h.score == pytest.approx(float(x[int(h.key[1:])] @ queries[0]), abs=2e-3)
    # added and removed in place
    index.add(["new"], queries[5])
    assert index.search(queries[5], 1)[0].key == "new"
    index.remove(["new"])
    assert "new" not in [h.key for h in index.search(queries[5], 10)]


@pytest.mark.parametrize("n, exact_max", [(300, 10_000), (1500, 500)])
def test_saved_index_opens_fast_memory_mapped_and_answers_the_same(tmp_path, n, exact_max):
    x = _clustered(n, dim=96)
    index = SearchIndex(96, exact_max=exact_max)
    index.add([f"k{i}" for i in range(n)], x)
    index.remove(["k7"])
    before = [(h.key, round(h.score, 4)) for h in index.search(x[9], 10, exclude="k9")]
    index.save(tmp_path / "ix")
    t0 = time.perf_counter()
    opened = SearchIndex.open(tmp_path / "ix", exact_max=exact_max)
    assert time.perf_counter() - t0 < 1.0
    assert opened.backend == index.backend and len(opened) == n - 1 and "k7" not in opened
    assert isinstance(opened.vectors, np.memmap)  # not read into memory
    # read at random rows: no read-ahead around each one (the whole file was resident at 1M)
    assert opened._random_access == (sys.platform != "win32")
    assert [(h.key, round(h.score, 4)) for h in opened.search(x[9], 10, exclude="k9")] == before
    if opened.backend == "hnsw" and sys.platform != "win32":
        # candidates are re-scored from rows read from the file (pread), not through the map, whose
        # fault-around made the process hold ~64 KB of the file per row it touched
        rows = np.array([n - 1, 3, 0, 1234])
        assert opened._file is not None and np.array_equal(opened._rows_of(rows), np.asarray(opened.vectors)[rows])
    # an opened index takes additions and removals, and saves them
    opened.add(["extra"], x[9])
    assert opened._rows_of(np.array([0, 5])).shape == (2, 96)  # changed: from the array again
    opened.remove(["k8"])
    opened.save(tmp_path / "ix")
    again = SearchIndex.open(tmp_path / "ix")
    assert "extra" in again and "k8" not in again and again.search(x[9], 2, exclude="k9")[0].key == "extra"


def test_open_says_what_is_wrong_with_a_folder_that_is_not_an_index(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a search index"):
        SearchIndex.open(tmp_path)
    index = SearchIndex(8)
    index.add(["a", "b"], np.eye(2, 8))
    index.save(tmp_path / "ix")
    np.save(tmp_path / "ix" / "vectors.npy", np.zeros((3, 8), np.float32))
    with pytest.raises(ValueError, match="vectors.npy has"):
        SearchIndex.open(tmp_path / "ix")
    (tmp_path / "ix" / "index.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="index.json is damaged"):
        SearchIndex.open(tmp_path / "ix")


def test_adding_many_vectors_at_once_stays_near_their_float16_size(monkeypatch):
    """A million 1,280-d vectors added in one call ran a 24 GB machine out of memory (several
    float32 copies); now the index holds them as float16 and works through them in chunks."""
    import tracemalloc

    import core.search as search

    monkeypatch.setattr(search, "CHUNK", 5_000)
    monkeypatch.setattr(search, "PCA_SAMPLE", 5_000)  # at a million it is 2% of the rows, not 2/3
    x = _clustered(30_000, dim=512).astype(np.float16)  # 30 MB as float16, 61 MB as float32
    index = SearchIndex(512, exact_max=10_000)
    tracemalloc.start()
    index.add([f"p{i}" for i in range(len(x))], x)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert index.backend == "hnsw" and index.vectors.dtype == np.float16
    # the float16 rows + a few chunks of float32 (it was 9×)
    assert peak < 2.6 * x.nbytes, f"peak {peak / 2**20:.0f} MB for {x.nbytes / 2**20:.0f} MB of vectors"
    hits = index.search(x[123].astype(np.float32), 5)
    assert hits[0].key == "p123" and hits[0].score > 0.999


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="resident memory read from /proc")
def test_an_opened_index_copies_its_saved_vectors_once_when_it_grows(tmp_path):
    """Adding to an opened index copies the saved vectors into memory: read from the file, not
    through the map, which also kept every page of the file resident (at 1M × 1,280 float16 an
    update held 2.6 GB more than the copy, bench/albums_scale.py)."""
    x = np.random.default_rng(3).standard_normal((40_000, 1_280), dtype=np.float32)  # 205 MB
    index = SearchIndex(1_280, exact_max=100_000)
    index.add([f"p{i}" for i in range(len(x))], x)
    index.save(tmp_path / "ix")
    saved = np.asarray(index.vectors).copy()
    del index
    opened = SearchIndex.open(tmp_path / "ix", exact_max=100_000)

    def rss() -> int:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * 4096

    before = rss()
    opened.add(["new"], x[:1] + 1)
    grown = rss() - before
    assert grown < 1.5 * saved.nbytes, f"{grown / 2**20:.0f} MB more for {saved.nbytes / 2**20:.0f} MB of vectors"
    assert np.array_equal(opened.vectors[: len(x)], saved) and opened.search(x[7], 1)[0].key == "p7"


def test_candidates_for_callers_that_score_themselves_respect_the_mask_and_find_the_best():
    """Lost & Found takes each channel's best few hundred from the search layer, only among the
    posts it may match (the other kind, open, …), and scores them itself."""
    x = _clustered(4000, dim=96)
    q = x[17] + 0.05 * np.random.default_rng(1).standard_normal(96)
    within = np.random.default_rng(2).random(4000) < 0.5
    truth = [i for i in _exact_top(x, q, 200) if within[i]][:10]
    for index in (SearchIndex(96, exact_max=10**6, reduce=24), SearchIndex(96, exact_max=1000)):
        index.add([f"r{i}" for i in range(4000)], x)
        rows = index.candidates(q, 100, within)
        assert len(rows) and within[rows].all()
        assert len(set(truth) & set(rows.tolist())) >= 9, index.backend
    assert index.backend == "hnsw" and SearchIndex(96, reduce=24).reduce == 24
    reduced = SearchIndex(96, exact_max=10**6, reduce=24)
    reduced.add([f"r{i}" for i in range(4000)], x)
    reduced.candidates(q, 10)
    assert reduced._reduced[1].shape == (4000, 24)  # the scan ran over the 24-d copy
    reduced.remove(["r17"])
    assert 17 not in reduced.candidates(x[17], 10).tolist()
