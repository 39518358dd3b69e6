"""Copies and moves of the user's files are whole or not there at all."""

from __future__ import annotations

import errno
import os
import shutil

import pytest

from core.fileio import copy_whole, move_whole


def test_a_move_across_disks_removes_the_source_only_once_its_copy_is_whole(tmp_path, monkeypatch):
    src, dest = tmp_path / "IMG_0001.jpg", tmp_path / "dups" / "IMG_0001.jpg"
    dest.parent.mkdir()
    photo = os.urandom(10_000)
    src.write_bytes(photo)
    rename = os.rename

    def other_disk(a, b):
        raise OSError(errno.EXDEV, "Invalid cross-device link", str(a))

    copy2 = shutil.copy2

    def full(a, b):
        with open(b, "wb") as fh:
            fh.write(photo[:3000])
        raise OSError(errno.ENOSPC, "No space left on device", str(b))

    monkeypatch.setattr(os, "rename", other_disk)
    monkeypatch.setattr(shutil, "copy2", full)
    with pytest.raises(OSError, match="No space left"):
        move_whole(src, dest)
    assert src.read_bytes() == photo and not dest.exists() and list(dest.parent.iterdir()) == []
    monkeypatch.setattr(shutil, "copy2", copy2)
    move_whole(src, dest)
    assert not src.exists() and dest.read_bytes() == photo
    monkeypatch.setattr(os, "rename", rename)
    move_whole(dest, src)  # the same disk: a rename
    assert src.read_bytes() == photo and not dest.exists()


def test_copy_whole_keeps_the_file_times(tmp_path):
    src = tmp_path / "a.jpg"
    src.write_bytes(b"x" * 100)
    os.utime(src, (1_000_000_000, 1_000_000_000))
    copy_whole(src, tmp_path / "b.jpg")
    assert (tmp_path / "b.jpg").stat().st_mtime == 1_000_000_000
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_post_photo_cut_short_is_not_kept_as_the_photo(tmp_path, monkeypatch):
    """Lost & Found stores a post's photo under its content hash and skips the copy when that
    name exists: a copy cut short used to stay there truncated, and every later post with the
    same photo kept the broken file. Now only a whole copy takes the name."""
    from core.lostfound.store import Post, PostStore
    from tests.conftest import DEMO_PHOTOS

    photo = DEMO_PHOTOS / "hat_2a12baab.jpg"
    store = PostStore(tmp_path / "lf.sqlite")
    copy2 = shutil.copy2

    def cut_short(a, b):
        with open(b, "wb") as fh:
            fh.write(photo.read_bytes()[:2000])
        raise OSError(errno.EIO, "Input/output error", str(b))

    try:
        monkeypatch.setattr(shutil, "copy2", cut_short)
        with pytest.raises(OSError):
            store.add(Post("found", "a hat"), photo=photo)
        assert store.count() == 0 and list(store.photo_dir.iterdir()) == []
        monkeypatch.setattr(shutil, "copy2", copy2)
        post = store.add(Post("found", "a hat"), photo=photo)
        assert open(post.image, "rb").read() == photo.read_bytes()
    finally:
        store.close()
