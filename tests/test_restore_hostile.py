"""A crafted backup cannot plant files (issue 36 (4)-(6)): a restore copies only what the
backup's manifest lists, as regular files inside the backup (no links followed, no absolute or
``..`` paths), never the app's own control files, and refuses a backup or a store of a newer
version, each with a message naming the backup, and the data folder unchanged."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest


def _tree(folder) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def good(data_dir, tmp_path):
    """(a real backup of a data folder with a post, its photo and settings; the data folder)."""
    from core.backup import backup
    from core.lostfound.store import Post, PostStore
    from tests.conftest import DEMO_PHOTOS

    store = PostStore()
    store.add(Post("lost", "검은색 지갑", "지갑"), photo=DEMO_PHOTOS / "hat_2a12baab.jpg")
    store.close()
    (data_dir / "settings.ini").write_text("[General]\nlast_page=2\n", encoding="utf-8")
    return backup(tmp_path / "backups").folder, data_dir


def _manifest(folder, **changes) -> None:
    path = folder / "backup.json"
    info = json.loads(path.read_text(encoding="utf-8"))
    info.update(changes)
    path.write_text(json.dumps(info), encoding="utf-8")


def _listed(folder) -> list[str]:
    return json.loads((folder / "backup.json").read_text(encoding="utf-8"))["paths"]


def test_a_backup_lists_its_files_and_restores_exactly_them(good):
    from core.restore import restore_backup

    folder, data = good
    listed = _listed(folder)
    assert sorted(listed) == sorted(p for p in _tree(folder) if p != "backup.json")
    assert "lostfound.sqlite" in listed and "settings.ini" in listed
    # files in the backup that its manifest does not list are not copied, control files least of all
    (folder / "restore-pending.json").write_text(json.dumps({"backup": str(folder)}), encoding="utf-8")
    (folder / "extra.txt").write_text("not listed", encoding="utf-8")
    report = restore_backup(folder)
    assert report.files == len(listed)
    assert not (data / "restore-pending.json").exists() and not (data / "extra.txt").exists()


CASES = {
    # name: (how the backup is crafted, what the message says)
    "settings.ini is a link to /etc/hostname": (
        lambda f: (os.unlink(f / "settings.ini"), os.symlink("/etc/hostname", f / "settings.ini")), "symbolic link"),
    "a listed photo is a link to /etc/passwd": (
        lambda f: (os.symlink("/etc/passwd", f / "lostfound" / "passwd.jpg"),
                   _manifest(f, paths=[*_listed(f), "lostfound/passwd.jpg"])), "symbolic link"),
    "a listed folder is a link out": (
        lambda f: (os.symlink("/etc", f / "etc"), _manifest(f, paths=[*_listed(f), "etc/passwd"])), "symbolic link"),
    "an absolute path": (lambda f: _manifest(f, paths=[*_listed(f), "/etc/passwd"]), "not a plain path"),
    "a .. path": (lambda f: ((f.parent / "x.txt").write_text("x"), _manifest(f, paths=[*_listed(f), "../x.txt"])),
                  "not a plain path"),
    "it plants restore-pending.json": (
        lambda f: ((f / "restore-pending.json").write_text('{"backup": "/tmp"}'),
                   _manifest(f, paths=[*_listed(f), "restore-pending.json"])), "the app's own files"),
    "it plants the lock": (lambda f: ((f / "simscope.lock").write_text("1\n"),
                                      _manifest(f, paths=[*_listed(f), "simscope.lock"])), "the app's own files"),
    "a listed file is missing": (lambda f: _manifest(f, paths=[*_listed(f), "lostfound/photos/gone.jpg"]),
                                 "listed in its manifest but missing"),
    "a listed file is a FIFO": (lambda f: (os.mkfifo(f / "pipe"), _manifest(f, paths=[*_listed(f), "pipe"])),
                                "not a regular file"),
    "a newer Simscope wrote it": (lambda f: _manifest(f, simscope="99.0.0"), "newer than this one"),
    "its store is of a newer format": (lambda f: _newer_store(f / "lostfound.sqlite"), "newer format"),
    "its paths are not a list of names": (lambda f: _manifest(f, paths={"a": 1}), "not a list of names"),
    "an old manifest (no paths) with a link": (
        lambda f: (_drop_paths(f), os.unlink(f / "settings.ini"), os.symlink("/etc/hostname", f / "settings.ini")),
        "symbolic link"),
}


def _newer_store(path) -> None:
    with sqlite3.connect(path) as con:
        con.execute("PRAGMA user_version=999")
        con.execute("ALTER TABLE posts RENAME COLUMN description TO text")
    con.close()


def _drop_paths(folder) -> None:
    path = folder / "backup.json"
    info = json.loads(path.read_text(encoding="utf-8"))
    del info["paths"]
    path.write_text(json.dumps(info), encoding="utf-8")


@pytest.mark.parametrize("case", list(CASES))
def test_a_crafted_backup_is_refused_whole_and_the_data_folder_is_unchanged(good, case, capsys):
    from core.cli import main
    from core.restore import read_backup

    folder, data = good
    craft, said = CASES[case]
    craft(folder)
    before = _tree(data)
    with pytest.raises(ValueError, match=said) as err:
        read_backup(folder)
    assert str(folder) in str(err.value)
    assert main(["restore", str(folder)]) != 0
    assert said in capsys.readouterr().err
    assert _tree(data) == before and not any(p.name.startswith("replaced-") for p in data.iterdir())


def test_an_old_backup_without_a_list_restores_what_a_backup_holds_and_no_control_file(good):
    from core.restore import restore_backup

    folder, data = good
    _drop_paths(folder)
    (folder / "restore-pending.json").write_text(json.dumps({"backup": str(folder)}), encoding="utf-8")
    report = restore_backup(folder)
    assert report.files >= 3 and (data / "settings.ini").exists()
    assert not (data / "restore-pending.json").exists()
