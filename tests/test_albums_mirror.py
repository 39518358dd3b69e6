"""Mirror test-time augmentation for Albums (core.albums.features): a photo's vector is the mean
of its own embedding and its mirror's, the mirror's cached under its own name beside the photo's."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageOps

from core.albums.features import MIRROR_NAMESPACE, embed_photos
from core.cache import EmbeddingCache
from core.embed import embed_image_files
from core.models.manager import ModelManager
from core.vectors import unit
from tests.conftest import shared_data


def test_mirror_averages_the_photo_and_its_mirror_and_caches_both_under_their_own_names(tmp_path):
    source = sorted((shared_data("photos", "events4", "Database") / "halloween_test").glob("*.jpg"))[:3]
    photos, mirrors = [], []
    for i, p in enumerate(source):
        im = Image.open(p).convert("RGB")
        photos.append(tmp_path / f"photo{i}.png")
        mirrors.append(tmp_path / f"mirror{i}.png")
        im.save(photos[-1])
        ImageOps.mirror(im).save(mirrors[-1])  # the mirror as a file of its own: embedded plainly below
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a photo")
    encoder = ModelManager("cpu", tiny=True).get("effnet-lite0")
    paths = [str(p) for p in photos] + [str(broken)]
    with EmbeddingCache(tmp_path / "cache.sqlite") as cache:
        plain = embed_image_files(paths, encoder, cache)
        off = embed_photos(paths, encoder, cache, mirror=False)
        assert off.computed == 0 and np.allclose(off.vectors, plain.vectors, atol=1e-3)  # off: the photo's (float16 kept)

        on = embed_photos(paths, encoder, cache, mirror=True)
        assert on.paths == plain.paths and len(on.paths) == 3
        assert on.computed == 3  # only the mirrors were embedded; the photos came from the cache
        assert [p for p, _ in on.errors] == [str(broken)]  # the unreadable file is named, not dropped silently
        by_file = embed_image_files([str(p) for p in mirrors], encoder, cache).vectors
        assert np.allclose(on.vectors, unit(plain.vectors + by_file), atol=1e-2)
        assert np.allclose(np.linalg.norm(on.vectors, axis=1), 1.0, atol=1e-3)
        assert not np.allclose(on.vectors, plain.vectors, atol=1e-3)  # the mirror changed something

        mirrored, found = cache.get_many(encoder.cache_name + MIRROR_NAMESPACE, on.keys)
        assert found.all() and np.allclose(mirrored, by_file, atol=1e-2)
        again = embed_photos(paths, encoder, cache, mirror=True)  # both kept: nothing to embed again
        assert again.computed == 0 and np.allclose(again.vectors, on.vectors, atol=1e-3)
        assert np.allclose(embed_photos(paths, encoder, cache).vectors, plain.vectors, atol=1e-3)  # both coexist


def test_an_album_with_the_mirror_option_groups_by_the_mirror_averaged_vectors(tmp_path):
    from core.albums.pipeline import Album, make_models
    from core.albums.store import AlbumStore

    folder = tmp_path / "library"
    folder.mkdir()
    for p in sorted((shared_data("photos", "events4", "Database") / "beach_test").glob("*.jpg"))[:4]:
        (folder / p.name).write_bytes(p.read_bytes())
    manager = ModelManager("cpu", tiny=True)
    with EmbeddingCache(tmp_path / "cache.sqlite") as cache:
        with AlbumStore(":memory:") as store:
            plain = Album(store, cache, make_models(manager, captions=False))
            plain.add([folder])
        with AlbumStore(":memory:") as store:
            models = make_models(manager, captions=False, mirror=True)
            album = Album(store, cache, models)
            report = album.add([folder])
            assert report.computed == 4 and report.reused == 4  # the mirrors embedded, the photos from the cache
            assert models.describe()["mirror"] != "off"
            expected = embed_photos(album.data.paths, models.image, cache, mirror=True).vectors
            assert album.data.paths == plain.data.paths
            assert np.allclose(album.data.vectors, expected, atol=1e-3)
            assert not np.allclose(album.data.vectors, plain.data.vectors, atol=1e-3)
