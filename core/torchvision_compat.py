"""torchvision's Python side beside a CPU-only torch, where its compiled operators cannot load.

PyPI's torchvision wheels for Linux are built against CUDA torch: their ``_C.so`` links
``libtorch_cuda.so``, so beside a CPU build of torch (``torch==2.13.0+cpu``, 754 MB against
the CUDA build's 1.2 GB + 3.2 GB of ``nvidia/``) it does not load, and ``import torchvision``
then dies in ``torchvision/_meta_registrations.py``, which registers fake kernels for
``torchvision::nms`` and ``::qnms`` without checking that the operators exist
("operator torchvision::nms does not exist"). Simscope uses torchvision's transforms and
model code (its own, timm's, open_clip's), never its detection operators (nms, roi_align,
deform_conv2d), so when the compiled operators are missing beside a CPU torch this module
declares those two schemas, with no kernel, before torchvision is imported: the import
succeeds, and a call of ``torchvision.ops.nms`` and friends still fails with torchvision's
own "Couldn't load custom C++ ops".

``install()`` puts a finder on ``sys.meta_path`` that does this when torchvision is first
imported, and only then imports torch, so a start that never needs torch stays free of it.
The CPU bundle runs it from a PyInstaller runtime hook (scripts/pyi_rth_torchvision.py); a
CPU venv made by scripts/setup.sh runs it from a ``.pth`` file. Nothing is done where the
operators load (a matching CUDA pair, macOS, Windows) or where torch is a CUDA build (a
mismatched pair there must fail as torchvision makes it fail).
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import sys

# torchvision 0.2x's schemas (csrc/ops/nms.cpp, csrc/ops/quantized/cpu/qnms_kernel.cpp)
SCHEMAS = ("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
           "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
_library = None  # the torch.library.Library holding the schemas; collected, it unregisters them (so
# whoever loads this module keeps it in sys.modules)
state = "not run"  # what prepare() found: for the self-test and the tests


def prepare() -> str:
    """Declare the schemas if torchvision's operators do not load beside a CPU torch.
    Returns (and keeps in ``state``) what it found. Call before torchvision is imported."""
    global _library, state
    if _library is not None:
        return state
    spec = importlib.util.find_spec("torchvision")  # finds, does not run torchvision
    if spec is None or not spec.submodule_search_locations:
        state = "torchvision is not installed"
        return state
    import torch

    folder = list(spec.submodule_search_locations)[0]
    names = [n for n in sorted(os.listdir(folder))  # _C.so; _C_stable.so from 0.29
             if n.split(".")[0] in ("_C", "_C_stable") and n.endswith((".so", ".pyd"))]
    error = "its _C library is not there" if not names else ""
    for name in names:
        try:
            torch.ops.load_library(os.path.join(folder, name))
            state = "torchvision's compiled operators load"
            return state
        except OSError as exc:  # the CUDA-built _C.so: libtorch_cuda.so not found
            error = str(exc).splitlines()[0]
    if torch.version.cuda is not None:
        state = f"torchvision's operators do not load beside CUDA torch ({error}): left to fail"
        return state
    try:
        torch.ops.torchvision.nms  # noqa: B018 - declared already (by another copy of this module)
        state = "torchvision::nms declared already"
        return state
    except (AttributeError, RuntimeError):
        pass
    _library = torch.library.Library("torchvision", "DEF")
    for schema in SCHEMAS:
        _library.define(schema)
    state = f"CPU torch, torchvision without compiled operators ({error}): transforms and models only"
    return state


class _Finder(importlib.abc.MetaPathFinder):
    simscope_torchvision_compat = True  # a .pth file may run twice (lib and lib64 in a venv)

    def find_spec(self, fullname, path, target=None):
        if fullname == "torchvision":
            torch = sys.modules.get("torch")
            if torch is not None and getattr(getattr(torch, "__spec__", None), "_initializing", False):
                return None  # torch's own import asking whether torchvision is there: wait for the real one
            uninstall()
            prepare()
        return None  # the ordinary finders import it


_finder = _Finder()


def install() -> None:
    """Run prepare() when torchvision is first imported (nothing if it is imported already)."""
    if "torchvision" in sys.modules or any(getattr(f, "simscope_torchvision_compat", False) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
