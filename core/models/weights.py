"""Weights you have: a file (or model folder) copied into the models dir, checked first.

Above both the registry (which presets exist, where their weights are) and the loaders (which
read them): the check loads the copy into the preset's architecture."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from core.models.loaders import check_weights
from core.models.registry import get_preset, set_imported_file
from core.paths import models_dir


def import_weights(name: str, source: str | os.PathLike[str]) -> Path:
    """Copy a weights file (or model folder) into the app's models dir and use it.

    The copy is checked first (:func:`core.models.loaders.check_weights` loads
    it with ``weights_only=True`` into the preset's architecture), so a wrong
    file is refused with a clear message and nothing is changed.
    """
    preset = get_preset(name)
    src = Path(source).expanduser()
    if not src.exists():
        raise FileNotFoundError(f"{src} does not exist")
    check_weights(preset, src)
    dest_dir = models_dir() / preset.name
    dest = dest_dir / src.name
    # Copy into a staging folder beside the old one, then swap: the old import stays whole until
    # the new copy is complete, and re-importing the file that is already imported (it lies in
    # dest_dir) reads it before anything is removed.
    stage = Path(tempfile.mkdtemp(prefix=f".{preset.name}.import-", dir=models_dir()))
    try:
        if src.is_dir():
            shutil.copytree(src, stage / src.name)
        else:
            shutil.copy2(src, stage / src.name)
        old = None
        if dest_dir.exists():
            old = dest_dir.with_name(f".{preset.name}.old-{os.getpid()}")
            shutil.rmtree(old, ignore_errors=True)
            dest_dir.rename(old)
        stage.rename(dest_dir)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    set_imported_file(preset.name, str(dest))
    return dest
