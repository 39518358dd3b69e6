"""Where the user's data lives.

The platform's user data dir (platformdirs) unless ``SIMSCOPE_DATA_DIR`` says
otherwise; tests and scripts set that variable so they never touch real data.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "Simscope"
APP_AUTHOR = "Simscope"
ENV_DATA_DIR = "SIMSCOPE_DATA_DIR"


def data_dir() -> Path:
    """The folder for stores, caches, settings and imported models (created)."""
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        path = Path(override).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)  # private: posts and photos are personal
    return path


def private_files() -> None:
    """New files and folders readable by this user only (umask 077) on POSIX: stores, photos,
    backups and exports are 0600 / 0700. Called at the start of the app and of the CLI."""
    if os.name == "posix":
        os.umask(0o077)


def demo_data_dir() -> Path:
    """The demo's own folder (``--demo``, File → Open the demo): never the user's data folder."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)) / "demo"


def is_demo_dir(path: Path) -> bool:
    return path.resolve() == demo_data_dir().resolve()


def log_dir() -> Path:
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        path = Path(override).expanduser() / "logs"
    else:
        import platformdirs

        path = Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_db_path() -> Path:
    return data_dir() / "embeddings.sqlite"


def models_dir() -> Path:
    path = data_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def resources_dir() -> Path:
    """``resources/`` from a source checkout or from a PyInstaller bundle."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def docs_dir() -> Path:
    """``docs/`` (the user guide Help shows) from a source checkout or from a PyInstaller bundle."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "docs"
    return Path(__file__).resolve().parent.parent / "docs"


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
