"""The compute devices the window shows and the models use, found without importing torch here."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

log = logging.getLogger(__name__)


def detect_device(preference: str):
    """A job: which devices torch sees here and which one the preference picks. Asked of a child
    process (``simscope --detect-devices``) while this one has not imported torch: the window that
    only browses never needs it (CUDA's torch: +496 MB resident). Where the child fails, asked here."""
    import subprocess

    from core.device import available_devices, devices_from_json, pick
    from core.warmup import warm_models

    if "torch" not in sys.modules:
        command = [sys.executable] + ([] if getattr(sys, "frozen", False) else ["-m", "app"]) + ["--detect-devices"]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False,
                                  cwd=os.fspath(Path(__file__).resolve().parent.parent))
            if done.returncode != 0:
                raise RuntimeError(f"exit {done.returncode}: {done.stderr[-500:]}")
            devices = devices_from_json(done.stdout)
            return pick(devices, preference), devices
        except (OSError, ValueError, RuntimeError, subprocess.TimeoutExpired) as exc:
            log.warning("device detection in a child process failed (%s): detecting here", exc)
    warm_models()  # torch's libraries opened GIL-free, no full collections meanwhile
    devices = available_devices()
    return pick(devices, preference), devices
