"""An image encoder's forward through ONNX Runtime, and its preprocessing in NumPy: the fast
CPU path that the embedding pipeline (``core.embed``), the Ray workers (``core.cluster``) and
the Logos look-up (``core.logos.query``) share.

Measured on 2 cores (``bench/search.py``, ``bench/features.py``): EfficientNet-Lite0's forward
at batch 1 takes 59 ms in torch eager, 46 ms channels-last, 42 ms TorchScript, and **8.5 ms**
through ONNX Runtime (the same weights exported once, graph optimisations on), its features
equal to torch's within 1e-5; big embedding jobs run 157 images/s against torch's 65.

:class:`OnnxExport` makes (or opens) the export of one encoder and checks it: before it is used
its vector for a test image is compared with torch's, and a difference over
:data:`ONNX_TOLERANCE` (or any failure to export) raises, so the caller keeps torch. Exports are
cached in the models dir under a hash of the weights (made once per model, a few seconds;
re-made when the weights change; the :data:`KEEP_EXPORTS` most recently used are kept).

:func:`numpy_preprocess` does what a torchvision Resize/CenterCrop/ToTensor/Normalize
``Compose`` does without a torch op: torch's own preprocessing wakes its OpenMP threads, which
then spin beside ONNX Runtime's on the same cores (+8 ms a query on 2 cores).

An encoder's state for these paths (its exports, their one-thread sessions, its NumPy
preprocessing) lives in an :class:`EncoderRuntime`, the encoder's ``runtime`` field, made on
first use by :func:`shared_export` and :func:`shared_prepare`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.vectors import unit

log = logging.getLogger(__name__)
ONNX_TOLERANCE = 1e-3  # max |Δ| between the ONNX and torch features (unit vectors) to use ONNX
KEEP_EXPORTS = 8  # ONNX exports kept in the models dir (13-17 MB each): the most recently used


def cpu_session(path: str | os.PathLike[str], threads: int):
    """An ONNX Runtime session of ``path`` on the CPU with ``threads`` intra-op threads (1: the
    calling thread computes, so several callers run side by side), all graph optimisations on."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def weights_hash(model) -> str:
    h = hashlib.blake2b(digest_size=8)
    for name, tensor in model.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def example_image(size: int):
    """A test image for the export and its check: a drawn mark on white (not blank, so the check
    compares real activations)."""
    from PIL import Image, ImageDraw

    im = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(im)
    draw.ellipse((size // 6, size // 6, size * 5 // 6, size * 5 // 6), fill=(200, 30, 40))
    draw.rectangle((size // 3, size // 3, size * 2 // 3, size * 2 // 3), fill=(20, 60, 160))
    return im


def on_cpu(encoder) -> bool:
    return str(getattr(encoder, "device", "cpu")).startswith("cpu")


def has_classifier(model) -> bool:
    """Whether ``model`` (a timm model) has an ImageNet head an export can return logits from."""
    return callable(getattr(model, "get_classifier", None))


class OnnxExport:
    """The verified batch-1 export of ``encoder`` (made in ``onnx_dir``, default the models dir's
    ``onnx/``, or opened when it is there) and a session of it with torch's thread count; raises
    when it cannot be made or its features differ from torch's. ``with_logits``: the export
    also returns the ImageNet classifier's logits (Albums keeps the top-5 labels from the same
    pass), a second output, in its own file."""

    def __init__(self, encoder, onnx_dir: str | os.PathLike[str] | None = None, with_logits: bool = False) -> None:
        if "onnxruntime" not in sys.modules and "usearch.compiled" in sys.modules:
            # onnxruntime's extension crashes on import once usearch's is loaded (core.search
            # loads them in the safe order); never crash the process: stay on torch
            raise RuntimeError("usearch was loaded before onnxruntime (see core.search._usearch_index)")
        import torch

        from core.fileio import atomic_write
        from core.paths import models_dir

        model = encoder.model
        self.with_logits = with_logits
        self.one_thread = None  # the session of one thread, once one_thread_session() made it
        folder = Path(onnx_dir) if onnx_dir is not None else models_dir() / "onnx"
        size = getattr(encoder, "logo_size", 256)
        example = encoder.preprocess(example_image(size)).unsqueeze(0)
        tags = "-logits" if with_logits else ""
        path = folder / f"{encoder.name}-b1-{example.shape[-1]}{tags}-{weights_hash(model)}.onnx"
        if not path.exists():
            forward = encoder.forward

            class Features(torch.nn.Module):
                def __init__(self, model):
                    super().__init__()
                    self.model = model  # registered, so the export sees its weights

                def forward(self, x):
                    features = forward(x)
                    return (features, self.model.get_classifier()(features)) if with_logits else features

            folder.mkdir(parents=True, exist_ok=True)
            module = Features(model).eval()
            with torch.no_grad(), atomic_write(path, "wb", encoding=None) as fh:
                # batch 1 fixed: static shapes let ORT fuse more (9.6 vs 13.5 ms with a free batch)
                torch.onnx.export(module, example.clone(), fh, dynamo=False, input_names=["x"],
                                  output_names=["features", "logits"] if with_logits else ["features"],
                                  opset_version=17)
            _prune(folder, keep=path)
        else:
            os.utime(path)  # recently used: kept by the pruning
        self.session = cpu_session(path, torch.get_num_threads())
        got = unit(self.session.run(None, {"x": example.numpy()})[0], np.float32)
        want = encoder.encode(example)
        diff = float(np.abs(got - want).max())
        if diff > ONNX_TOLERANCE:
            raise ValueError(f"its features differ from torch's by {diff:.2g}")
        self.path = path
        spec = preprocess_spec(getattr(encoder, "transform", None))
        if spec is not None and hasattr(encoder, "describe") and not with_logits:
            _write_pointer(folder, encoder.describe(), path, spec, size, int(got.shape[-1]))

    def one_thread_session(self):
        """The export in a session of one thread (made once): for workers that run side by side."""
        if self.one_thread is None:
            self.one_thread = cpu_session(self.path, 1)
        return self.one_thread


_UNSET = object()


@dataclass
class EncoderRuntime:
    """What one encoder keeps for its fast paths, made on first use and then shared by every
    caller: its verified exports (or why there is none) and its NumPy preprocessing."""

    exports: dict[bool, OnnxExport | str] = field(default_factory=dict)  # with_logits -> export or why not
    prepare: Any = _UNSET  # numpy_preprocess(transform, crop_only=True), or None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


def shared_export(encoder, with_logits: bool = False) -> OnnxExport | None:
    """The encoder's verified export, made (or opened) once per encoder and kept in its
    ``runtime``; ``None`` where there is none: not on the CPU, no torch model, or the export
    failed (then :func:`why_not` says why, and the caller keeps torch)."""
    model = getattr(encoder, "model", None)
    if not on_cpu(encoder) or model is None or (with_logits and not has_classifier(model)):
        return None
    runtime: EncoderRuntime = encoder.runtime
    with runtime.lock:
        if with_logits not in runtime.exports:
            try:
                runtime.exports[with_logits] = OnnxExport(encoder, with_logits=with_logits)
            except Exception as exc:  # any export/runtime failure: torch stays, and says why
                why = f"ONNX path unavailable ({type(exc).__name__}: {str(exc)[:160]})"
                log.warning("%s: %s; using torch", encoder.name, why)
                runtime.exports[with_logits] = why
        got = runtime.exports[with_logits]
    return got if isinstance(got, OnnxExport) else None


def why_not(encoder, with_logits: bool = False) -> str:
    """Why :func:`shared_export` gave no export ('' when it gave one or was not asked yet)."""
    got = encoder.runtime.exports.get(with_logits)
    return got if isinstance(got, str) else ""


def shared_prepare(encoder):
    """The encoder's preprocessing in NumPy (:func:`numpy_preprocess` with ``crop_only``), made
    once per encoder; ``None`` where its transform has other steps."""
    runtime: EncoderRuntime = encoder.runtime
    if runtime.prepare is _UNSET:
        runtime.prepare = numpy_preprocess(getattr(encoder, "transform", None), crop_only=True)
    return runtime.prepare


# -- a later process: the export found by the model it answers for ---------------------------
def model_key(model: dict) -> str:
    """A key for the model an index was built with (its ``meta["model"]``, the encoder's
    ``describe()``): preset, weights and checkpoint, and the checkpoint file's size and time, so
    a retrained checkpoint at the same path never finds the old export."""
    ident = {k: model.get(k) for k in ("preset", "weights", "checkpoint")}
    if model.get("checkpoint"):
        try:
            st = os.stat(model["checkpoint"])
            ident["stat"] = [st.st_size, st.st_mtime_ns]
        except OSError:
            pass
    return hashlib.blake2b(json.dumps(ident, sort_keys=True).encode(), digest_size=8).hexdigest()


def _write_pointer(folder: Path, model: dict, onnx: Path, spec: list, size: int, dim: int) -> None:
    """``by-model/<model_key>.json`` beside the exports: which export answers for this model and
    how to prepare its input, so a new process can embed an image without torch."""
    from core.fileio import atomic_write_text

    (folder / "by-model").mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / "by-model" / f"{model_key(model)}.json",
                      json.dumps({"onnx": onnx.name, "preprocess": spec, "logo_size": size, "dim": dim,
                                  "model": {k: model.get(k) for k in ("preset", "weights", "checkpoint")}}))


def find_export(model: dict, onnx_dir: str | os.PathLike[str] | None = None):
    """``(export path, prepare, logo size)`` for the verified export of ``model`` that an earlier
    process made, without importing torch; ``None`` when there is none (or its pointer is
    unreadable, or its preprocessing cannot run in NumPy, or onnxruntime is missing)."""
    from core.paths import models_dir

    folder = Path(onnx_dir) if onnx_dir is not None else models_dir() / "onnx"
    pointer = folder / "by-model" / f"{model_key(model)}.json"
    try:
        info = json.loads(pointer.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring the unreadable %s (%s); torch embeds instead", pointer, exc)
        return None
    export = folder / info.get("onnx", "")
    prepare = numpy_preprocess(info.get("preprocess"))
    if not export.is_file() or prepare is None:
        return None
    try:
        import onnxruntime  # noqa: F401 - missing: no ONNX path (cpu_session imports it)
    except ImportError:
        return None
    return export, prepare, int(info.get("logo_size", 256))


def _prune(folder: Path, keep: Path) -> None:
    """Delete all but the ``KEEP_EXPORTS`` most recently used exports (each trained model has its own)."""
    exports = sorted(folder.glob("*.onnx"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in exports[KEEP_EXPORTS:]:
        if old != keep:
            try:
                old.unlink()
            except OSError as exc:
                log.warning("could not delete the old export %s: %s", old, exc)


# -- preprocessing in NumPy ---------------------------------------------------------------
def preprocess_spec(transform) -> list | None:
    """The steps of a torchvision ``Compose`` of Resize (bicubic/bilinear, int or (h, w)),
    CenterCrop, ToTensor and Normalize as plain JSON-able data (``None`` for any other
    transform): what :func:`numpy_preprocess` runs, and what an ONNX export's sidecar keeps so a
    later process prepares the input without torch (``onnx_query_vector``)."""
    steps: list = []
    for t in getattr(transform, "transforms", None) or []:
        kind = type(t).__name__
        if kind == "Resize":
            mode = str(getattr(t.interpolation, "value", t.interpolation))
            if mode not in ("bicubic", "bilinear") or getattr(t, "max_size", None) is not None:
                return None
            size = t.size if isinstance(t.size, int) else list(t.size)
            steps.append(["resize", size, mode])
        elif kind == "CenterCrop":
            steps.append(["crop", list(t.size)])
        elif kind in ("ToTensor", "MaybeToTensor"):
            steps.append(["tensor"])
        elif kind == "Normalize":
            steps.append(["normalize", [float(v) for v in t.mean], [float(v) for v in t.std]])
        else:
            return None
    if [s[0] for s in steps][-2:] != ["tensor", "normalize"] or [s[0] for s in steps].count("tensor") != 1:
        return None
    return steps


def numpy_preprocess(transform, crop_only: bool = False):
    """``f(PIL image) -> (1, 3, H, W) float32 array`` doing what a torchvision ``Compose`` of
    Resize (bicubic/bilinear, int or (h, w)), CenterCrop, ToTensor and Normalize does, without
    a torch op (equal to it within 1e-6: checked in tests); ``None`` for any other transform,
    and ``f`` returns ``None`` for an image it cannot prepare exactly (smaller than the crop).
    ``transform`` may also be the :func:`preprocess_spec` of one.

    ``crop_only``: where the resize's scale is a power of two on both axes (Fusion's 64 px images
    to 256), a Resize followed by a CenterCrop resamples only the part the crop keeps (PIL's
    ``box``): the same filter at the same scale over the same source pixels, bit for bit, and a
    quarter less work there. At other scales (photos) it would differ by rounding (±1 grey level
    on ~7 % of the pixels), and that was enough to change an ImageNet label of a photo and with it
    a small album's events, so the full resize runs there."""
    spec = transform if isinstance(transform, list) else preprocess_spec(transform)
    if spec is None:
        return None
    from PIL import Image

    resamples = {"bicubic": Image.Resampling.BICUBIC, "bilinear": Image.Resampling.BILINEAR}
    steps = spec[:-2]
    mean, std = np.asarray(spec[-1][1], np.float32), np.asarray(spec[-1][2], np.float32)
    scale, offset = (1.0 / (255.0 * std)).astype(np.float32), (mean / std).astype(np.float32)

    def resized(size, w: int, h: int) -> tuple[int, int]:
        if isinstance(size, int) or len(size) == 1:
            short = size if isinstance(size, int) else size[0]
            return (short, int(short * h / w)) if w <= h else (int(short * w / h), short)
        return size[1], size[0]

    def crop_box(crop, w: int, h: int) -> tuple[int, int, int, int] | None:
        ch, cw = crop if len(crop) == 2 else (crop[0], crop[0])
        if w < cw or h < ch:
            return None
        top, left = int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0))
        return left, top, left + cw, top + ch

    def run(image):
        im = image.convert("RGB")
        i = 0
        while i < len(steps):
            step = steps[i]
            if step[0] == "resize":
                w, h = im.size
                out = resized(step[1], w, h)
                then = steps[i + 1] if i + 1 < len(steps) else None
                if (crop_only and out != im.size and then is not None and then[0] == "crop"
                        and _power_of_two(w / out[0]) and _power_of_two(h / out[1])):
                    box = crop_box(then[1], *out)
                    if box is None:
                        return None
                    sx, sy = w / out[0], h / out[1]
                    im = im.resize((box[2] - box[0], box[3] - box[1]), resamples[step[2]],
                                   box=(box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy))
                    i += 2
                    continue
                if out != im.size:
                    im = im.resize(out, resamples[step[2]])
            elif step[0] == "crop":
                box = crop_box(step[1], *im.size)
                if box is None:
                    return None
                im = im.crop(box)
            else:
                return None
            i += 1
        pixels = np.asarray(im)  # (H, W, 3) uint8
        x = np.empty((1, 3, *pixels.shape[:2]), np.float32)
        for c in range(3):  # (p / 255 - mean) / std, channel by channel, straight into CHW
            np.multiply(pixels[:, :, c], scale[c], out=x[0, c], dtype=np.float32)
            x[0, c] -= offset[c]
        return x

    return run


def _power_of_two(x: float) -> bool:
    """2 ** k for a whole k (a scale at which PIL's resample coordinates are exact floats)."""
    m, _ = math.frexp(x)
    return x > 0 and m == 0.5
