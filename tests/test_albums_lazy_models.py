"""The worker's album at 100,000 photos, memory: the image model loads its weights only when a
photo must be embedded (``core.models.lazy``): checking an album whose photos are all in the
embedding cache loads nothing, with the same vectors, tags and model description as the loaded
model gives; a new photo loads it. Between jobs the album keeps its vectors as float16
(``app.albums.jobs.vectors_at_rest``): the same events and neighbours as float32."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np


def test_checking_cached_photos_loads_no_model_and_a_new_photo_loads_it(tmp_path):
    from core.albums.pipeline import Album, make_models
    from core.albums.store import AlbumStore
    from core.cache import EmbeddingCache
    from core.models.lazy import LazyModel
    from core.models.manager import ModelManager
    from tests.conftest import DEMO_PHOTOS

    photos = sorted(DEMO_PHOTOS.glob("*.jpg"))
    folder = tmp_path / "photos"
    folder.mkdir()
    for p in photos[:6]:
        shutil.copy(p, folder / p.name)
    db = tmp_path / "album.sqlite"
    with EmbeddingCache() as cache, AlbumStore(db) as store:
        first_manager = ModelManager("cpu")
        first = Album(store, cache, make_models(first_manager, captions=False))
        report = first.add([folder])
        assert report.computed == 6 and first_manager.loaded() == ["effnet-lite0"]
        loaded_description = first.models.image.describe()
        first_tags = list(first.data.tags)
        first_vectors = first.data.vectors.copy()

        manager = ModelManager("cpu")  # the next start
        album = Album(store, cache, make_models(manager, captions=True))
        image = album.models.image
        assert isinstance(image, LazyModel) and not image.loaded
        again = album.index()
        assert (again.computed, again.reused) == (0, 6)
        assert manager.loaded() == [] and not image.loaded  # no weights read for a cached album
        assert image.cache_name == first.models.image.cache_name == "effnet-lite0"
        assert image.describe() == loaded_description
        assert album.models.clip is None and hasattr(image, "encode_with_top")  # asked without loading
        assert album.data.tags == first_tags  # the ImageNet labels of the cached top-5: no model needed
        # the cache keeps float16: the vectors a loaded model's next start reads back
        np.testing.assert_array_equal(album.data.vectors, first_vectors.astype(np.float16).astype(np.float32))
        album.search_index()
        assert album.models.describe()["image"] == loaded_description
        assert manager.loaded() == []

        shutil.copy(photos[6], folder / photos[6].name)  # a new photo: now the weights are needed
        new = album.index()
        assert (new.computed, new.reused) == (1, 6)
        assert manager.loaded() == ["effnet-lite0"] and image.loaded
        assert image.describe() == loaded_description


def test_a_lazy_model_answers_for_the_model_it_stands_for():
    import pytest

    from core.models.lazy import LazyModel
    from core.models.manager import ModelManager

    for tiny in (True, False):
        manager = ModelManager("cpu", tiny=tiny)
        lazy = manager.lazy("effnet-lite0")
        assert isinstance(lazy, LazyModel) and manager.loaded() == []
        assert lazy.weights and lazy.name == "effnet-lite0"
        with pytest.raises(AttributeError):
            _ = lazy.tokenizer  # not a CLIP model: nothing loaded to say so
        real = manager.get("effnet-lite0")
        assert lazy.cache_name == real.cache_name and lazy.weights == real.weights
        assert lazy.describe() == real.describe() and lazy.device == real.device
        assert lazy.dim == real.dim == 1280 and lazy.model() is real  # the manager's one copy
    assert ModelManager("cpu").lazy("effnet-lite0").cache_name == "effnet-lite0"
    assert ModelManager("cpu", tiny=True).lazy("effnet-lite0").cache_name == "effnet-lite0:tiny"


def _members(store) -> list[set[str]]:
    return sorted((sorted(p.path for p in store.photos(e.id)) for e in store.events()), key=str)


def test_the_album_keeps_float16_vectors_between_jobs_with_the_same_events_and_neighbours(window, qtbot, tmp_path):
    """The worker's album holds its vectors as float16 between jobs (half the memory) and as float32
    during one; a regroup from them gives the events the add made, and the neighbours of each photo
    are those of the float32 vectors."""
    from core.search import SearchIndex
    from tests.conftest import DEMO_PHOTOS, finish_job, shared_data, show_page

    folder = tmp_path / "photos"
    shutil.copytree(DEMO_PHOTOS, folder)
    for p in sorted(shared_data("photos", "events4", "Database").rglob("*.jpg"))[:: 150][:20]:
        shutil.copy(p, folder / f"e4-{p.name}")  # real events' photos beside the demo's
    page = show_page(window, "albums")
    page.min_size.setValue(3)
    seen = []
    original = page.album_jobs.session.worker_state

    finish_job(qtbot, page.add_paths([str(folder)]))
    album = original["album"]
    assert album.data.vectors.dtype == np.float16 and album.data.vectors.flags.owndata
    added = _members(page.store)
    assert len(added) >= 2
    at_rest = album.data.vectors.copy()

    def spy(album_, progress, cancelled):  # what a job's work sees
        seen.append(album_.data.vectors.dtype)
        return None, album_.regroup(page.session.cluster_settings(), page.session.proto_settings()), \
            album_.models.describe()

    finish_job(qtbot, page.album_jobs._album_job("Albums: group events", spy, page.album_jobs._indexed))
    assert seen == [np.float32] and album.data.vectors.dtype == np.float16
    assert _members(page.store) == added  # the same events from the float16 kept between jobs
    np.testing.assert_array_equal(album.data.vectors, at_rest)  # nothing lost by the round trips
    kept = album.data.vectors
    finish_job(qtbot, page.album_jobs.search_words("tower"))  # a word search reads no image vector:
    assert album.data.vectors is kept  # not made float32 and back (0.55 s at 100,000 photos)

    full = np.asarray(at_rest, np.float32)
    paths = album.data.paths
    exact32, exact16 = SearchIndex(full.shape[1]), SearchIndex(full.shape[1])
    exact16.add(paths, at_rest.astype(np.float32))
    from core.cache import EmbeddingCache
    from core.embed import embed_image_files

    with EmbeddingCache(tmp_path / "fresh.sqlite") as cache:  # the model's own float32 vectors, not the cache's
        fresh = embed_image_files(paths, album.models.image.model(), cache)
    assert fresh.computed == len(paths) and fresh.vectors.dtype == np.float32
    exact32.add(fresh.paths, fresh.vectors)
    for p in paths:
        near16 = exact16.search(exact16.vector(p), 4, exclude=p)
        near32 = exact32.search(exact32.vector(p), 4, exclude=p)
        assert [h.key for h in near16[:3]] == [h.key for h in near32[:3]], p
        assert np.allclose([h.score for h in near16], [h.score for h in near32], atol=2e-3)


def test_a_tiny_model_has_the_same_weights_whatever_ran_before_it():
    """Tests group photos by a tiny model's random vectors; its weights must not turn on how much
    of torch's random stream earlier tests used (a lazy model is built at its first embedding,
    mid-suite), and building it must not move that stream either."""
    import torch

    from core.models.loaders import load

    first = load("effnet-lite0", tiny=True)
    torch.randn(777)
    state = torch.random.get_rng_state()
    second = load("effnet-lite0", tiny=True)
    assert torch.equal(torch.random.get_rng_state(), state)
    for a, b in zip(first.model.parameters(), second.model.parameters(), strict=True):
        assert torch.equal(a, b)


def test_checking_a_cached_album_imports_neither_torch_nor_timm(tmp_path):
    """The window's memory at 100,000 photos: the check at every start of an album whose photos are
    all cached runs without torch (CUDA's build: +290 MB resident) and without timm (its import
    brings torchvision, torch._dynamo and sympy): the device is asked only when a photo is embedded,
    a description of an unloaded model does not resolve it, and the ImageNet names are read from
    timm's data files. A child process, where nothing imported them before."""
    import json
    import os
    import subprocess
    import sys

    from core.albums.pipeline import Album, make_models
    from core.albums.store import AlbumStore
    from core.cache import EmbeddingCache
    from core.models.manager import ModelManager
    from tests.conftest import DEMO_PHOTOS

    folder = tmp_path / "photos"
    folder.mkdir()
    for p in sorted(DEMO_PHOTOS.glob("*.jpg"))[:5]:
        shutil.copy(p, folder / p.name)
    db = tmp_path / "album.sqlite"
    with EmbeddingCache() as cache, AlbumStore(db) as store:
        first = Album(store, cache, make_models(ModelManager("auto"), captions=False))
        first.add([folder])
        tags = list(first.data.tags)
    code = (
        "import json, sys\n"
        "from core.albums.pipeline import Album, make_models\n"
        "from core.albums.store import AlbumStore\n"
        "from core.cache import EmbeddingCache\n"
        "from core.models.manager import ModelManager\n"
        f"album = Album(AlbumStore({str(db)!r}), EmbeddingCache(), make_models(ModelManager('auto'), captions=True))\n"
        "report = album.index()\n"
        "album.search_index()\n"
        "about = album.models.describe()\n"
        "print(json.dumps({'reused': report.reused, 'tags': album.data.tags, 'device': about['image']['device'],\n"
        "                  'imported': sorted(m for m in ('torch', 'timm', 'torchvision', 'sympy') if m in sys.modules)}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env=os.environ.copy(), cwd=str(Path(__file__).resolve().parent.parent))
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["reused"] == 5 and [tuple(t) for t in got["tags"]] == tags  # the same ImageNet names, without timm
    assert got["imported"] == [], got["imported"]
    assert "not loaded" in got["device"]
