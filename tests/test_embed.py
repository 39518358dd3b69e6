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


def test_identical_files_are_embedded_once(effnet, cache, tmp_path):
    """Issue 20 #11: a data set that names one image file on many rows (or copies of it)
    embeds it once; every row still gets its vector, in order."""
    src = DEMO_PHOTOS / "hat_2a12baab.jpg"
    copies = []
    for i in range(6):
        dest = tmp_path / f"copy{i}.jpg"
        shutil.copy(src, dest)
        copies.append(dest)
    rows = [copies[0], DEMO_PHOTOS / "shoes_07d88b75.jpg", *copies[1:], copies[0]]
    res = embed_image_files(rows, effnet, cache, batch_size=4)
    assert res.computed == 2 and not res.errors  # one hat, one shoe
    assert res.vectors.shape == (len(rows), 1280)
    np.testing.assert_array_equal(res.vectors[0], res.vectors[-1])
    np.testing.assert_array_equal(res.vectors[0], res.vectors[3])
    assert not np.allclose(res.vectors[0], res.vectors[1])


def test_special_files_are_skipped_by_stat_without_reading(effnet, cache, tmp_path):
    """A FIFO and a link to /dev/zero would block or never end if read: each is reported,
    the good photo embedded, and nothing hangs."""
    import os

    from core.images import scan_images

    shutil.copy(DEMO_PHOTOS / "hat_2a12baab.jpg", tmp_path / "ok.jpg")
    os.mkfifo(tmp_path / "pipe.jpg")
    os.symlink("/dev/zero", tmp_path / "zero.jpg")
    os.symlink(tmp_path / "loop.jpg", tmp_path / "loop.jpg")
    (tmp_path / "folder.jpg").mkdir()
    files, skipped = scan_images([tmp_path])
    assert [f.name for f in files] == ["ok.jpg"]
    why = {os.path.basename(p): m for p, m in skipped}
    assert "FIFO" in why["pipe.jpg"] and "device" in why["zero.jpg"] and "loop" in why["loop.jpg"]
    assert "folder" in why["folder.jpg"]
    # the embedder refuses them too when handed them directly (by stat, before any read)
    res = embed_image_files([tmp_path / "pipe.jpg", tmp_path / "zero.jpg", tmp_path / "ok.jpg"], effnet, cache)
    assert res.computed == 1 and len(res.errors) == 2
    assert all("not a file" in m for _, m in res.errors)


def test_a_scan_lists_each_file_once_through_links_and_a_linked_top_folder(tmp_path, monkeypatch):
    """A plain file is keyed by its folder's resolved path (one lstat, no resolve per file): a link
    to a file of the same tree, the same folder reached through a linked top folder and a relative
    top folder still give each file once."""
    import os

    from core.images import scan_images

    photos = tmp_path / "photos"
    (photos / "2024").mkdir(parents=True)
    shutil.copy(DEMO_PHOTOS / "hat_2a12baab.jpg", photos / "2024" / "a.jpg")
    shutil.copy(DEMO_PHOTOS / "hat_2a12baab.jpg", photos / "b.jpg")
    os.symlink(photos / "2024" / "a.jpg", photos / "link-to-a.jpg")
    os.symlink(photos, tmp_path / "linked")
    files, skipped = scan_images([tmp_path / "linked", photos])
    assert len(files) == 2 and not skipped  # the link is met first (sorted names), a.jpg is the same file
    assert {f.resolve() for f in files} == {(photos / "2024" / "a.jpg").resolve(), (photos / "b.jpg").resolve()}
    monkeypatch.chdir(tmp_path)
    files, _ = scan_images(["photos", photos / "2024" / "a.jpg"])
    assert [str(f) for f in files] == [os.path.join("photos", "b.jpg"), os.path.join("photos", "link-to-a.jpg")]


def test_kill_9_mid_index_leaves_an_intact_cache_and_a_rerun_resumes(tmp_path):
    """A child process embedding a folder is killed (SIGKILL) after its first batches: the SQLite
    cache passes integrity_check, keeps the finished batches, and a re-run reuses them and ends."""
    import json
    import os
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    from PIL import Image

    from tests.conftest import ROOT

    folder = tmp_path / "photos"
    folder.mkdir()
    sources = sorted(DEMO_PHOTOS.glob("*.jpg"))
    for i in range(48):  # distinct files (different content keys) from the demo photos
        im = Image.open(sources[i % len(sources)]).convert("RGB").rotate(i * 7, expand=False)
        im.save(folder / f"p{i:02d}.jpg", quality=80 + i % 15)
    data = tmp_path / "data"
    env = dict(os.environ, SIMSCOPE_DATA_DIR=str(data), HF_HUB_OFFLINE="1")
    cmd = [sys.executable, "-m", "core", "embed", str(folder), "--json", "--batch-size", "4"]
    db = data / "embeddings.sqlite"

    def rows() -> int:
        if not db.exists():
            return 0
        con = sqlite3.connect(db, timeout=10)
        try:
            return con.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
        except sqlite3.Error:
            return 0
        finally:
            con.close()

    child = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while rows() < 8 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.05)
    assert child.poll() is None, "the child finished before it could be killed: use more photos"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    done = con.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
    con.close()
    assert 8 <= done < 48
    again = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    report = json.loads(again.stdout)
    assert report["reused"] >= done and report["computed"] == 48 - report["reused"] and report["embedded"] == 48


def test_big_jobs_embed_through_onnx_runtime_with_the_same_vectors(effnet, tmp_path, data_dir):
    """A job with enough images runs the model through ONNX Runtime (2.5x torch's speed on this
    CPU); its vectors are torch's. A job that keeps ImageNet labels (Albums) gets them from the
    same ONNX pass (an export with the logits as a second output): the same top-5 as torch's."""
    photos = list_images([DEMO_PHOTOS])
    broken = tmp_path / "broken.jpg"  # in the middle of a worker's batch: said, and the others kept in order
    broken.write_bytes(b"\xff\xd8 not really a JPEG")
    photos = [*photos[:5], broken, *photos[5:]]
    runs = {}
    for engine, onnx_min, tags in (("torch", 10**9, False), ("onnx", 0, False), ("torch+tags", 10**9, True),
                                   ("onnx+tags", 0, True)):
        with EmbeddingCache(tmp_path / f"{engine}.sqlite") as cache:
            runs[engine] = embed_image_files(photos, effnet, cache, onnx_min=onnx_min, with_tags=tags)
        assert [p for p, _ in runs[engine].errors] == [str(broken)], engine
    assert runs["torch"].engine == "torch" and runs["onnx"].engine == "ONNX Runtime"
    # the job's workers each ran their batches' forward in a one-thread session, side by side
    from core.models.onnx import shared_export, shared_prepare

    assert shared_export(effnet).one_thread.get_session_options().intra_op_num_threads == 1
    assert shared_prepare(effnet) is not None  # inputs prepared in NumPy, not by torch ops
    assert runs["onnx"].computed == 12 and runs["onnx"].paths == runs["torch"].paths
    np.testing.assert_allclose(runs["onnx"].vectors, runs["torch"].vectors, atol=3e-3)  # float16 cache
    assert runs["onnx+tags"].engine == "ONNX Runtime" and runs["torch+tags"].engine == "torch"
    np.testing.assert_allclose(runs["onnx+tags"].vectors, runs["torch+tags"].vectors, atol=3e-3)
    ours, torch_tags = runs["onnx+tags"].tags, runs["torch+tags"].tags
    assert ours.shape == torch_tags.shape == (12, 10)
    np.testing.assert_array_equal(ours[:, 0], torch_tags[:, 0])  # the same most likely class
    np.testing.assert_allclose(ours[:, 1::2], torch_tags[:, 1::2], atol=2e-3)  # probabilities
    assert (ours[:, 1::2] > 0).all() and (np.diff(ours[:, 1::2], axis=1) <= 1e-6).all()  # sorted, best first


def test_the_centre_crop_alone_is_resampled_only_where_that_is_exact(effnet, monkeypatch):
    """Fusion's 64 px images (scale 4 to 256, then the centre 224): only the crop is resampled, bit
    for bit the full resize's. Photos keep the full resize: there the crop alone differs by
    rounding, which changed an ImageNet label of a demo photo and the demo album's events."""
    from PIL import Image

    from core.images import list_images, open_image
    from core.models.onnx import numpy_preprocess, shared_prepare

    exact = numpy_preprocess(effnet.transform)
    fast = shared_prepare(effnet)
    boxes = []
    resize = Image.Image.resize

    def spy(self, size, *args, **kwargs):
        boxes.append(kwargs.get("box"))
        return resize(self, size, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "resize", spy)
    small = Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8))
    np.testing.assert_array_equal(fast(small), exact(small))
    assert boxes[0] == (4.0, 4.0, 60.0, 60.0) and boxes[1] is None  # the crop alone; then the whole image
    wide = Image.fromarray(np.random.default_rng(1).integers(0, 255, (32, 64, 3), np.uint8))  # scales 1/8 and 1/8
    np.testing.assert_array_equal(fast(wide), exact(wide))
    boxes.clear()
    photos = [open_image(p) for p in list_images([DEMO_PHOTOS])[:4]]
    assert {p.size[0] for p in photos} == {400}  # 400 → 256: not a power-of-two scale
    for photo in photos:
        np.testing.assert_array_equal(fast(photo), exact(photo))
    assert boxes and not any(boxes)
