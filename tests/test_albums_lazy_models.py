"""The album's image model loads its weights only when a photo must be embedded
(``core.models.lazy``): checking an album whose photos are all in the embedding cache loads nothing,
with the same vectors, tags and model description as the loaded model gives; a new photo loads it."""

from __future__ import annotations

import shutil

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
