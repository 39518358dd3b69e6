"""Indexing a library is safe to leave running: a SIGKILL half-way loses only the batches in
flight, and the next run goes on where it stopped (nothing cached is embedded again) and ends
with every photo indexed."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np

from core.albums.pipeline import Album, make_models
from core.albums.store import AlbumStore
from core.cache import EmbeddingCache
from core.models.manager import ModelManager
from tests.conftest import ROOT, shared_data

N_PHOTOS = 96

# the child: the offline model's class with a tiny configuration, the app's store and cache (in
# SIMSCOPE_DATA_DIR); each progress message is printed and takes 40 ms to show, as a slow terminal
CHILD = """
import sys, time
from core.albums.pipeline import Album, make_models
from core.albums.store import AlbumStore
from core.cache import EmbeddingCache
from core.models.manager import ModelManager

def progress(fraction, message=None):
    print(f"{fraction:.4f} {message or ''}", flush=True)
    time.sleep(0.04)

models = make_models(ModelManager("cpu", tiny=True), captions=False)
with EmbeddingCache() as cache, AlbumStore() as store:
    Album(store, cache, models).add([sys.argv[1]], progress=progress)
print("FINISHED", flush=True)
"""


def test_an_index_killed_half_way_goes_on_where_it_stopped_and_embeds_nothing_twice(data_dir, tmp_path):
    source = sorted((shared_data("photos", "events4", "Database") / "beach_train").glob("*.jpg"))[:N_PHOTOS]
    folder = tmp_path / "library"
    folder.mkdir()
    for p in source:
        shutil.copy(p, folder / p.name)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(folder)], cwd=ROOT, env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    said = []
    deadline = time.monotonic() + 240
    try:
        for line in child.stdout:
            said.append(line.strip())
            if "Embedded" in line and int(line.split("Embedded ")[1].split(" ")[0].replace(",", "")) >= N_PHOTOS // 3:
                child.send_signal(signal.SIGKILL)  # kill -9 half-way: no clean-up of any kind runs
                break
            assert time.monotonic() < deadline, said[-3:]
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(30)
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL, said[-3:]
    assert "FINISHED" not in said
    assert any("/s" in m and "left" in m for m in said if "Embedded" in m)  # count, rate and time left

    models = make_models(ModelManager("cpu", tiny=True), captions=False)
    photos = sorted(str(folder / p.name) for p in source)
    with EmbeddingCache() as cache, AlbumStore() as store:
        keys = cache.file_keys(photos)
        _, found = cache.get_many(models.image.cache_name, keys)
        done = int(found.sum())
        assert 0 < done < N_PHOTOS  # killed half-way, with whole batches kept
        assert len(store.photos("all")) == N_PHOTOS  # the photos were known before it was killed
        said = []
        album = Album(store, cache, models)
        report = album.index(progress=lambda f, m=None: said.append(m))
        assert report.reused == done and report.computed == N_PHOTOS - done  # nothing embedded twice
        assert sorted(album.data.paths) == photos and np.isfinite(album.data.vectors).all()
        assert any(m and f"({done:,} already in the cache)" in m for m in said)
        album.regroup()
        assert sum(e.photo_count for e in store.events()) + store.group_counts()["unsorted"] == N_PHOTOS
        vectors = dict(zip(album.data.paths, album.data.vectors, strict=True))
    # the photos embedded after the kill as a run that was never killed embeds them (the child's
    # tiny model had other random weights: its photos' vectors are its own)
    from core.embed import embed_image_files

    after = [p for p, f in zip(photos, found, strict=True) if not f][:4]
    with EmbeddingCache(tmp_path / "fresh.sqlite") as cache:
        fresh = embed_image_files(after, models.image, cache, with_tags=True)
    assert len(fresh.paths) == 4
    for p, v in zip(fresh.paths, fresh.vectors, strict=True):
        assert np.abs(vectors[p] - v).max() < 2e-3, p  # float16 in the cache
