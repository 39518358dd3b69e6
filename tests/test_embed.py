"""The embed pipeline on the real offline image model, through the cache."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from core.cache import EmbeddingCache
from core.embed import embed_image_files
from core.images import list_images
from core.jobs import Cancelled
from core.models.loaders import load
from tests.conftest import DEMO_PHOTOS


@pytest.fixture(scope="module")
def effnet():
    return load("effnet-lite0")


@pytest.fixture
def cache(tmp_path):
    c = EmbeddingCache(tmp_path / "emb.sqlite")
    yield c
    c.close()


def test_second_run_recomputes_nothing(effnet, cache):
    photos = list_images([DEMO_PHOTOS])
    assert len(photos) == 12
    first = embed_image_files(photos, effnet, cache, batch_size=5)
    assert first.computed == 12 and first.reused == 0 and not first.errors
    assert first.vectors.shape == (12, 1280)
    np.testing.assert_allclose(np.linalg.norm(first.vectors, axis=1), 1, atol=1e-4)
    second = embed_image_files(photos, effnet, cache, batch_size=5)
    assert second.computed == 0 and second.reused == 12
    np.testing.assert_allclose(second.vectors, first.vectors, atol=2e-3)


def test_bad_files_are_reported_and_the_rest_embedded(effnet, cache, tmp_path):
    folder = tmp_path / "mixed 사진 📷"
    folder.mkdir()
    shutil.copy(DEMO_PHOTOS / "hat_2a12baab.jpg", folder / "모자.jpg")
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "notes.png").write_text("not an image")
    data = (DEMO_PHOTOS / "shoes_07d88b75.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(data[: len(data) // 3])
    paths = list_images([folder]) + [folder / "deleted.jpg"]
    res = embed_image_files(paths, effnet, cache)
    errors = dict((p.split("/")[-1], msg) for p, msg in res.errors)
    assert "empty.jpg" in errors and "empty" in errors["empty.jpg"]
    assert "notes.png" in errors and "not an image" in errors["notes.png"]
    assert "deleted.jpg" in errors
    embedded = [p.split("/")[-1] for p in res.paths]
    assert "모자.jpg" in embedded
    # a truncated JPEG is either decoded partially or reported, never lost silently
    assert ("truncated.jpg" in embedded) != ("truncated.jpg" in errors)


def test_cancel_leaves_the_cache_with_whole_batches_and_a_rerun_resumes(effnet, cache):
    photos = list_images([DEMO_PHOTOS])
    batches_done = []

    def progress(fraction, message=None):
        if message and message.startswith("Embedded"):
            batches_done.append(fraction)

    with pytest.raises(Cancelled):
        embed_image_files(photos, effnet, cache, progress=progress,
                          cancelled=lambda: len(batches_done) >= 2, batch_size=4)
    keys = cache.file_keys(photos)
    _, found = cache.get_many(effnet.cache_name, keys)
    assert found.sum() == 8  # exactly two whole batches of 4
    rerun = embed_image_files(photos, effnet, cache, batch_size=4)
    assert rerun.reused == 8 and rerun.computed == 4
