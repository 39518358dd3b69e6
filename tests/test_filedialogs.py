"""File dialogs open where the user was last time for the same purpose, and the first time in
the folder such files are kept in; never in the app's working directory."""

from __future__ import annotations

import os

from PySide6.QtCore import QStandardPaths


def test_dialogs_start_in_the_last_folder_of_their_purpose(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    import app.filedialogs as fd

    asked = []
    answers = iter([str(tmp_path / "trip" / "a.csv"), str(tmp_path / "out" / "posts.csv"), ""])

    def fake_open(parent, title, folder, filters):
        asked.append(folder)
        return next(answers), filters

    def fake_save(parent, title, start, filters):
        asked.append(start)
        return next(answers), filters

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(fake_open))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake_save))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda p, t, folder: asked.append(folder)
                                                                           or str(tmp_path / "photos" / "2024")))
    (tmp_path / "trip").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "photos" / "2024").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "trip")  # an app started from its icon: the working directory is not a choice
    first = fd.start_folder("tables")
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    assert first in (documents, str(__import__("pathlib").Path.home()))
    assert fd.open_file(None, "tables", "Import posts", "CSV (*.csv)") == str(tmp_path / "trip" / "a.csv")
    assert asked[0] == first
    # a save offers its name in the export folder (the working directory before)
    fd.save_file(None, "export", "Export posts", "posts.csv", "CSV (*.csv)")
    assert asked[1].endswith(os.sep + "posts.csv") and not asked[1] == "posts.csv"
    assert fd.start_folder("tables") == str(tmp_path / "trip")  # remembered per purpose
    assert fd.start_folder("export") == str(tmp_path / "out")
    fd.open_file(None, "tables", "Import posts", "CSV (*.csv)")  # cancelled: the folder stays
    assert asked[2] == str(tmp_path / "trip") and fd.start_folder("tables") == str(tmp_path / "trip")
    # adding photo folders one after another: the next dialog opens beside the last one
    fd.pick_folder(None, "photos", "Add a folder of photos", next_in_parent=True)
    assert fd.start_folder("photos") == str(tmp_path / "photos")
    # a remembered folder that is gone (a removed drive) falls back to the default
    (tmp_path / "out" / "posts.csv").parent.rename(tmp_path / "gone")
    assert fd.start_folder("export") != str(tmp_path / "out") and os.path.isdir(fd.start_folder("export"))
