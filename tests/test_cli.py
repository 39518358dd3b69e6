"""The headless CLI calls the same core functions as the GUI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import DEMO_PHOTOS, ROOT


def run_cli(*args, env_dir):
    import os

    env = dict(os.environ, SIMSCOPE_DATA_DIR=str(env_dir), HF_HUB_OFFLINE="1")
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_models_list_and_status(data_dir):
    out = run_cli("models", "list", "--json", env_dir=data_dir)
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert rows["effnet-lite0"]["available"] and not rows["clip-vit-b32"]["available"]
    missing = run_cli("models", "status", "coca-vit-b32", "--json", env_dir=data_dir)
    assert missing.returncode == 1
    assert "laion/mscoco_finetuned_CoCa-ViT-B-32" in json.loads(missing.stdout)["how_to_get"]


def test_embed_then_reuse_then_errors(data_dir, tmp_path):
    first = run_cli("embed", str(DEMO_PHOTOS), "--json", env_dir=data_dir)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["computed"] == 12 and report["preset"] == "effnet-lite0"
    assert "efficientnet-lite0" in report["weights"]
    again = json.loads(run_cli("embed", str(DEMO_PHOTOS), "--json", env_dir=data_dir).stdout)
    assert again["computed"] == 0 and again["reused"] == 12

    empty = tmp_path / "empty"
    empty.mkdir()
    none = run_cli("embed", str(empty), env_dir=data_dir)
    assert none.returncode == 2 and "no images found" in none.stderr
    unavailable = run_cli("embed", str(DEMO_PHOTOS), "--preset", "clip-vit-b32", env_dir=data_dir)
    assert unavailable.returncode == 3 and "How to get it" in unavailable.stderr


def test_errors_say_what_failed_on_which_file_never_a_bare_errno():
    """Each exception type the CLI reports: the message names the file and what to do."""
    from core.cli import describe_error

    def caught(fn):
        try:
            fn()
        except Exception as exc:  # the point is to describe any of them
            return describe_error(exc)
        raise AssertionError("no error")

    missing = caught(lambda: open("/nonexistent/posts.csv", encoding="utf-8"))
    assert "/nonexistent/posts.csv" in missing and "No such file" in missing
    folder = caught(lambda: open(ROOT, encoding="utf-8"))
    assert str(ROOT) in folder and "folder" in folder
    assert "UTF-8" in caught(lambda: b"\xff\xfe".decode("utf-8"))
    assert "logits" in caught(lambda: {}["logits"]) and "missing" in caught(lambda: {}["logits"])
    assert "NUL" in caught(lambda: open("a\0b"))
    for text in (missing, folder):
        assert not text.strip().isdigit()


def test_cli_error_for_a_folder_given_as_a_file(data_dir, tmp_path):
    out = run_cli("lostfound", "import", str(tmp_path), env_dir=data_dir)
    assert out.returncode == 2
    line = out.stderr.strip().splitlines()[-1]
    assert line.startswith("error: ") and str(tmp_path) in line and "Traceback" not in out.stderr


def test_progress_is_logged_with_time_stamps_when_stderr_is_not_a_terminal():
    """Issue 20 #12: a long job in a log (stderr a file or pipe) says how far it is, every few
    seconds and at the end, instead of nothing."""
    import io
    import time

    from core.progress import ProgressBar

    log = io.StringIO()
    bar = ProgressBar(stream=log, log_every=0.05)
    bar(0.0, "Checking 100 files")
    bar(0.3, "Embedded 30 of 100")  # too soon after the first: not repeated
    time.sleep(0.06)
    bar(0.5, "Embedded 50 of 100")
    bar(1.0, "done: 100 embedded")
    lines = log.getvalue().splitlines()
    assert len(lines) == 3 and "\r" not in log.getvalue()
    assert "  0%" in lines[0] and "50%" in lines[1] and "Embedded 50 of 100" in lines[1]
    assert lines[2].endswith("done: 100 embedded") and "100%" in lines[2]
    assert all(line.startswith("[") and "after" in line for line in lines)


def test_lostfound_json_with_nul_bytes_is_refused_by_row(data_dir, tmp_path):
    path = tmp_path / "posts.json"
    path.write_text(json.dumps([{"kind": "lost", "description": "black\u0000wallet"},
                                {"kind": "found", "description": "black wallet"}]), encoding="utf-8")
    out = run_cli("lostfound", "import", str(path), "--json", env_dir=data_dir)
    assert out.returncode == 1 and json.loads(out.stdout)["added"] == [1]
    assert "line 1: error: the row holds a NUL byte" in out.stderr


def test_atomic_write_keeps_the_old_file_whole_when_writing_fails(tmp_path):
    """Issue 20 #9: a write that dies half-way (here: an exception after half the bytes) leaves
    the previous file as it was and no temporary file behind; a finished write replaces it whole."""
    import numpy as np

    from core.fileio import atomic_write, csv_safe, unique_name

    target = tmp_path / "combined_featuremap.npy"
    with atomic_write(target, "wb") as fh:
        np.save(fh, np.arange(10))
    with pytest.raises(RuntimeError), atomic_write(target, "wb") as fh:
        fh.write(b"\x93NUMPY half a matrix")
        raise RuntimeError("killed mid-write")
    assert np.load(target).tolist() == list(range(10))
    assert [p.name for p in tmp_path.iterdir()] == ["combined_featuremap.npy"]
    used = {"events.json"}
    assert unique_name("events.json", used) == "events (2).json" and unique_name("events.json", used) == "events (3).json"
    assert csv_safe("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0" and csv_safe("-3.5") == "-3.5"
    assert csv_safe("@SUM(A1)") == "'@SUM(A1)" and csv_safe("plain") == "plain" and csv_safe(7) == 7


def test_albums_similar_finds_a_resized_copy_first(data_dir, tmp_path):
    from PIL import Image

    folder = tmp_path / "photos"
    folder.mkdir()
    photos = sorted(DEMO_PHOTOS.glob("*.jpg"))[:6]
    for p in photos:
        (folder / p.name).write_bytes(p.read_bytes())
    with Image.open(photos[2]) as im:
        im.convert("RGB").resize((im.width // 2, im.height // 2)).save(folder / "smaller-copy.jpg", quality=80)
    out = run_cli("albums", "similar", str(folder / photos[2].name), "--in", str(folder), "-k", "3", "--json",
                  env_dir=data_dir)
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout)  # only what beats the relevance cut (99 % of unrelated pairs)
    assert shown and shown[0]["photo"].endswith("smaller-copy.jpg") and shown[0]["beats"] >= 0.99
    assert "below the cut" in out.stderr or len(shown) == 3
    out = run_cli("albums", "similar", str(folder / photos[2].name), "--in", str(folder), "-k", "3", "--json",
                  "--cut", "0", env_dir=data_dir)
    assert out.returncode == 0, out.stderr
    hits = json.loads(out.stdout)  # --cut 0: the plain top k
    assert len(hits) == 3 and hits[0]["photo"].endswith("smaller-copy.jpg") and hits[0]["score"] > 0.9
    assert all(h["photo"] != str(folder / photos[2].name) for h in hits)  # never itself
    assert hits[0]["score"] >= hits[1]["score"] >= hits[2]["score"]


def test_albums_why_explains_a_photo_and_names_one_outside_the_album(data_dir):
    photo = sorted(DEMO_PHOTOS.glob("*.jpg"))[0]
    out = run_cli("albums", "why", str(photo), "--in", str(DEMO_PHOTOS), "--json", env_dir=data_dir)
    assert out.returncode == 0, out.stderr
    said = json.loads(out.stdout)
    assert said["photo"] == str(photo) and said["why"][0].startswith("No capture time")  # the demo has no EXIF times
    assert any("event" in line for line in said["why"][1:])
    out = run_cli("albums", "why", str(ROOT / "README.md"), "--in", str(DEMO_PHOTOS), env_dir=data_dir)
    assert out.returncode == 2 and "README.md is not in the album" in out.stderr
