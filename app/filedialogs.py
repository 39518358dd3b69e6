"""File dialogs that open where the user was last time.

Each dialog has a purpose ("photos", "posts", "export", …): it opens in the folder last used for
that purpose (kept in the settings under ``folders/<purpose>``), or, the first time, in the
folder a user keeps such files in (Pictures for photos, Documents for tables and exports, home
otherwise). Before, every dialog opened in the app's working directory, which for an app started
from its icon is ``/`` or the bundle, and a Save dialog offered to write ``posts.csv`` there.
A remembered folder that is gone (a removed USB drive) falls back to the default.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog

# where a first dialog of each purpose opens
_DEFAULT_PLACE = {
    "photos": QStandardPaths.StandardLocation.PicturesLocation,
    "logos": QStandardPaths.StandardLocation.PicturesLocation,
    "tables": QStandardPaths.StandardLocation.DocumentsLocation,
    "export": QStandardPaths.StandardLocation.DocumentsLocation,
    "backup": QStandardPaths.StandardLocation.DocumentsLocation,
    "models": QStandardPaths.StandardLocation.DownloadLocation,
}


def _settings():
    from app.settings import Settings

    return Settings()


def start_folder(purpose: str) -> str:
    """The folder a dialog for ``purpose`` opens in."""
    last = _settings().raw(f"folders/{purpose}", "")
    if last and os.path.isdir(last):
        return last
    place = QStandardPaths.writableLocation(_DEFAULT_PLACE.get(purpose, QStandardPaths.StandardLocation.HomeLocation))
    return place if place and os.path.isdir(place) else str(Path.home())


def remember(purpose: str, chosen: str, is_folder: bool = False) -> None:
    """Keep the folder of what was chosen for the next dialog of ``purpose``."""
    if chosen:
        _settings().set_raw(f"folders/{purpose}", chosen if is_folder else str(Path(chosen).parent))


def open_file(parent, purpose: str, title: str, filters: str) -> str:
    path, _ = QFileDialog.getOpenFileName(parent, title, start_folder(purpose), filters)
    remember(purpose, path)
    return path


def save_file(parent, purpose: str, title: str, name: str, filters: str) -> str:
    """``name`` is offered in the purpose's folder (never in the working directory)."""
    path, _ = QFileDialog.getSaveFileName(parent, title, os.path.join(start_folder(purpose), name), filters)
    remember(purpose, path)
    return path


def pick_folder(parent, purpose: str, title: str, next_in_parent: bool = False) -> str:
    """``next_in_parent``: the next dialog opens beside the chosen folder (adding one photo
    folder after another), not inside it (exporting into the same folder again)."""
    path = QFileDialog.getExistingDirectory(parent, title, start_folder(purpose))
    remember(purpose, path, is_folder=not next_in_parent)
    return path
