"""The album's search index is kept on disk (``core.albums.photo_index``): a second album over the
same store reopens it without building it and finds the same neighbours; photos added or changed
update it in place; a damaged file is said in the log and the index built again, nothing lost.
And regrouping takes the album's vectors as they are (no copy) when they are in the store's order,
with the same events as the copy in the store's order gave."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from core.albums.cluster import ClusterSettings
from core.albums.events import GroupInput, regroup
from core.albums.store import AlbumStore
from core.search import EXACT_MAX


def _album(store, cache, models, exact_max):
    from core.albums.pipeline import Album

    album = Album(store, cache, models)
    album.search_exact_max = exact_max
    return album


def _neighbours(index, paths):
    return {p: [(h.key, round(h.score, 3)) for h in index.search(index.vector(p), 4, exclude=p)] for p in paths}


def _files(base: Path) -> dict[str, int]:
    return {str(p.relative_to(base)): p.stat().st_mtime_ns for p in base.rglob("*") if p.is_file()}


@pytest.mark.parametrize("exact_max", [4, EXACT_MAX], ids=["hnsw", "exact"])
def test_the_search_index_is_reopened_updated_and_rebuilt_when_damaged(tmp_path, caplog, exact_max):
    from PIL import Image

    from core.albums.photo_index import POINTER, folder_for
    from core.albums.pipeline import make_models
    from core.cache import EmbeddingCache
    from core.models.manager import ModelManager
    from tests.conftest import DEMO_PHOTOS, shared_data

    photos = sorted(DEMO_PHOTOS.glob("*.jpg"))
    folder = tmp_path / "photos"
    folder.mkdir()
    for p in photos[:8]:
        shutil.copy(p, folder / p.name)
    for p in sorted(shared_data("photos", "exif-samples", "jpg", "gps").glob("*.jpg"))[:3]:
        shutil.copy(p, folder / p.name)  # with capture times: the album's order is not their names'
    db = tmp_path / "album.sqlite"
    models = make_models(ModelManager("cpu"), captions=False)
    with EmbeddingCache() as cache:
        with AlbumStore(db) as store:
            first = _album(store, cache, models, exact_max)
            first.add([folder])
            index = first.search_index()
            assert first.search_outcome.how == "built"
            assert index.backend == ("hnsw" if exact_max == 4 else "exact")
            paths = list(first.data.paths)
            # the album's rows in the store's order (regroup groups them with no copy)
            assert paths == [p.path for p in store.photos("all") if p.path in set(paths)]
            assert paths != sorted(paths)  # capture times order them, not their names
            before = _neighbours(index, paths)
        base = folder_for(db, models.image.cache_name)
        saved = _files(base)
        assert (base / POINTER).exists() and len(saved) >= 4

        # a second album over the same store, as at the next start: reopened, nothing written
        with AlbumStore(db) as store:
            again = _album(store, cache, models, exact_max)
            again.index()
            reopened = again.search_index()
            assert again.search_outcome.how == "opened"
            assert _files(base) == saved  # no file written again, none added
            assert reopened.backend == index.backend
            assert _neighbours(reopened, paths) == before

            # photos changed: one added, one edited (another content key), one deleted
            shutil.copy(photos[8], folder / photos[8].name)
            edited, deleted = paths[0], paths[1]
            Image.open(edited).convert("L").convert("RGB").save(edited, quality=70)
            Path(deleted).unlink()
            again.index()
            changed = again.search_index()
            outcome = again.search_outcome
            assert outcome.how == "updated" and outcome.added == 2 and outcome.removed == 2
            assert deleted not in changed and len(changed) == len(paths)
            new = str((folder / photos[8].name).resolve())
            assert new in changed and changed.search(changed.vector(new), 1)[0].key == new
            row = again.data.paths.index(edited)
            np.testing.assert_allclose(changed.vector(edited), again.data.vectors[row], atol=2e-3)
            now = list(again.data.paths)
            expected = _neighbours(changed, now)

        # a damaged graph or vectors file: said in the log, built again, the same neighbours
        current = next(p for p in base.iterdir() if p.is_dir())
        victim = current / ("hnsw.usearch" if exact_max == 4 else "vectors.npy")
        data = bytearray(victim.read_bytes())
        data[len(data) // 2: len(data) // 2 + 64] = b"\xff" * 64
        victim.write_bytes(bytes(data))
        with AlbumStore(db) as store, caplog.at_level(logging.WARNING, "core.albums.photo_index"):
            third = _album(store, cache, models, exact_max)
            third.index()
            rebuilt = third.search_index()
            assert third.search_outcome.how == "built"
            assert "damaged" in third.search_outcome.note and victim.name in third.search_outcome.note
            assert any(victim.name in r.getMessage() and "building it again" in r.getMessage()
                       for r in caplog.records)
            assert len(rebuilt) == len(paths)
            assert _neighbours(rebuilt, now) == expected
        with AlbumStore(db) as store:  # and the rebuilt one is reopened next time
            fourth = _album(store, cache, models, exact_max)
            fourth.index()
            fourth.search_index()
            assert fourth.search_outcome.how == "opened"


def test_a_torn_save_leaves_the_previous_index_in_use(tmp_path):
    """The pointer is written last: a save killed before it leaves the previous index whole."""
    from core.albums.photo_index import load_or_build

    rng = np.random.default_rng(0)
    v = rng.normal(size=(50, 16)).astype(np.float32)
    paths = [f"/p/{i}.jpg" for i in range(50)]
    keys = [f"file:{i}" for i in range(50)]
    base = tmp_path / "idx"
    _, out = load_or_build(base, paths, v, keys, exact_max=10)
    assert out.how == "built"
    (base / "v-torn").mkdir()  # a save that died half-way: a folder the pointer does not name
    (base / "v-torn" / "vectors.npy").write_bytes(b"half")
    index, out = load_or_build(base, paths, v, keys, exact_max=10)
    assert out.how == "opened" and len(index) == 50
    # most photos changed: built anew rather than patched
    index, out = load_or_build(base, paths, v[::-1].copy(), keys[::-1][:40] + ["file:x"] * 10, exact_max=10)
    assert out.how == "built" and "changed" in out.note
    assert index.search(v[0], 1)[0].key == paths[-1]


def test_regroup_takes_the_vectors_in_store_order_as_they_are_with_the_same_events(data_dir):
    """The album's rows in the store's order are grouped from its own array (no copy of the
    vectors); the events are the same as when they had to be copied into that order."""
    rng = np.random.default_rng(7)
    centres = rng.normal(0, 1, (6, 48))
    x = np.concatenate([c + rng.normal(0, 0.3, (40, 48)) for c in centres])
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    paths = [f"/lib/{i:04d}.jpg" for i in range(len(x))]  # the store orders untimed photos by path
    text = rng.normal(0, 1, (len(x), 8)).astype(np.float32)
    text[rng.random(len(x)) < 0.5] = np.nan

    def events(order):
        with AlbumStore(data_dir / f"a{len(order)}-{order[0]}.sqlite") as store:
            store.add_photos(paths)
            data = GroupInput([paths[i] for i in order], x[order], np.full(len(order), np.nan),
                              [["thing"]] * len(order), [""] * len(order), text=text[order])
            report = regroup(store, data, ClusterSettings(seed=3))
            by_event: dict = {}
            for p in store.photos("all"):
                by_event.setdefault(p.event_id, set()).add(p.path)
            return report, sorted(sorted(s) for e, s in by_event.items() if e is not None)

    same, shuffled = np.arange(len(x)), rng.permutation(len(x))
    a, groups_a = events(same)  # in the store's order: the album's own array
    b, groups_b = events(shuffled)  # another order: copied into the store's
    assert groups_a == groups_b and len(groups_a) >= 4
    assert (a.events, a.clustered, a.unsorted) == (b.events, b.clustered, b.unsorted)


def test_a_throw_away_album_keeps_no_index_beside_it(tmp_path, monkeypatch):
    """The CLI's throw-away store (``:memory:``) searches an index made in memory: nothing is
    written where the command runs (it left a ':memory:.search' folder in the working directory)."""
    from core.albums.pipeline import make_models
    from core.cache import EmbeddingCache
    from core.models.manager import ModelManager
    from tests.conftest import DEMO_PHOTOS

    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    with EmbeddingCache(tmp_path / "cache.sqlite") as cache, AlbumStore(":memory:") as store:
        album = _album(store, cache, make_models(ModelManager("cpu"), captions=False), EXACT_MAX)
        album.add([DEMO_PHOTOS])
        first = album.store.photos("all")[0].path
        hits = album.similar(first, k=3)
    assert len(hits) == 3 and all(path != first for path, _ in hits)
    assert list(work.iterdir()) == []
