"""The SQLite embedding cache: round trips, keys that follow content, bulk reads."""

from __future__ import annotations

import os
import shutil
import threading

import numpy as np
import pytest

from core import cache as cache_mod
from core.cache import EmbeddingCache, text_key


@pytest.fixture
def cache(tmp_path):
    c = EmbeddingCache(tmp_path / "emb.sqlite")
    yield c
    c.close()


def test_vectors_round_trip_in_float16_and_float32(cache):
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((300, 512)).astype(np.float32)
    keys = [f"k{i}" for i in range(300)]
    cache.put_many("clip", keys, vecs)
    got, found = cache.get_many("clip", keys[::-1])
    assert found.all()
    np.testing.assert_allclose(got, vecs[::-1], rtol=2e-3, atol=2e-3)
    cache.put_many("exact", keys[:3], vecs[:3], dtype="float32")
    exact, _ = cache.get_many("exact", keys[:3])
    np.testing.assert_array_equal(exact, vecs[:3])


def test_missing_keys_are_reported_and_presets_are_separate(cache):
    cache.put_many("a", ["x", "y"], np.ones((2, 4)))
    got, found = cache.get_many("a", ["x", "nope", "y", "x"])
    assert found.tolist() == [True, False, True, True]
    assert (got[1] == 0).all() and (got[3] == 1).all()
    assert cache.missing("b", ["x"]) == [0]
    with pytest.raises(ValueError):
        cache.put_many("a", ["only-one"], np.ones((2, 4)))


def test_persists_across_connections(tmp_path):
    path = tmp_path / "c.sqlite"
    with EmbeddingCache(path) as c:
        c.put_many("p", [text_key("hello")], np.full((1, 8), 0.5))
    with EmbeddingCache(path) as c:
        got, found = c.get_many("p", [text_key("hello")])
        assert found[0] and got[0, 0] == pytest.approx(0.5)
        assert c.stats()["presets"] == {"p": {"vectors": 1, "dim": 8}}


def test_unchanged_file_is_not_rehashed_moved_file_keeps_its_key_edited_file_does_not(cache, tmp_path, monkeypatch):
    calls = []
    real = cache_mod.hash_file
    monkeypatch.setattr(cache_mod, "hash_file", lambda p: calls.append(p) or real(p))
    f = tmp_path / "photo.jpg"
    f.write_bytes(b"pixels" * 1000)
    key = cache.file_key(f)
    assert cache.file_key(f) == key and len(calls) == 1  # second look-up: no hashing

    moved = tmp_path / "sub" / "renamed.jpg"
    moved.parent.mkdir()
    shutil.move(f, moved)
    assert cache.file_key(moved) == key  # same content, same key
    cache.put_many("m", [key], np.ones((1, 3)))
    assert cache.get_many("m", [cache.file_key(moved)])[1][0]

    moved.write_bytes(b"other pixels" * 1000)
    os.utime(moved, ns=(1, 1))
    assert cache.file_key(moved) != key


def test_missing_file_raises_a_clear_error(cache, tmp_path):
    with pytest.raises(FileNotFoundError):
        cache.file_key(tmp_path / "gone.jpg")


def test_threads_write_and_read_concurrently(cache):
    errors = []

    def writer(t):
        try:
            for b in range(10):
                keys = [f"{t}-{b}-{i}" for i in range(50)]
                cache.put_many("p", keys, np.full((50, 16), t, np.float32))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert cache.stats()["presets"]["p"]["vectors"] == 4 * 10 * 50
    got, found = cache.get_many("p", ["3-9-49", "0-0-0"])
    assert found.all() and got[0, 0] == 3 and got[1, 0] == 0


def test_many_keys_over_several_queries_come_back_in_order_with_the_missing_ones_zero(cache):
    """get_many reads keys 500 a query and decodes each query's rows as they come: over several
    queries, with keys missing, repeated and stored in two dtypes, every row is where it belongs."""
    rng = np.random.default_rng(3)
    keys = [f"k{i}" for i in range(1_300)]
    vectors = rng.normal(size=(1_300, 8)).astype(np.float32)
    cache.put_many("m", keys[:700], vectors[:700])  # float16
    cache.put_many("m", keys[700:1_250], vectors[700:1_250], dtype="float32")
    wanted = keys[::-1] + ["absent", keys[5]]
    got, found = cache.get_many("m", wanted)
    expect = np.concatenate([vectors[::-1], np.zeros((1, 8), np.float32), vectors[5:6]])
    assert found.tolist() == [i < 1_250 for i in range(1_300)][::-1] + [False, True]
    np.testing.assert_allclose(got, np.where(found[:, None], expect, 0), atol=2e-3)
    empty, none = cache.get_many("m", ["absent"])
    assert empty.shape == (1, 0) and not none.any()
