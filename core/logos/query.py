"""One query logo to its vector, as fast as the machine allows (the look-up's hot path).

Measured on 2 cores (``bench/search.py``, end to end at 100k logos, interleaved with the
torch path): rasterising an SVG at 256 px (resvg) ~8 ms, the timm preprocessing ~0.7 ms,
and EfficientNet-Lite0's forward at batch 1:

* torch eager float32: 59 ms; channels-last: 46 ms; TorchScript frozen + optimised: 42 ms;
* **ONNX Runtime** (the same weights exported once, graph optimisations on): **8.5 ms**, the
  features equal to torch's within 1e-5. This is the path used on CPU when ``onnxruntime`` is
  installed (a dependency); the export is cached in the models dir under a hash of the weights,
  so it is made once per model (a few seconds) and re-made when the weights change.
* bf16 autocast made Lite0's depthwise convolutions ~15× *slower* at batch 1 on this CPU (AMX
  helps large matmuls, not these): not used.

Before the ONNX path is used its vector for a test image is compared with torch's; if they
differ (max |Δ| > 1e-3) or the export fails, the torch path stays and ``describe()`` says why.
On a GPU the torch path is used. The vector is the one the index was built with (same
preprocessing, same weights), so a query already in the index finds itself at cosine 1.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import sys
from pathlib import Path

import numpy as np

from core.images import ImageError
from core.logos.images import load_logo

log = logging.getLogger(__name__)
ONNX_TOLERANCE = 1e-3  # max |Δ| between the ONNX and torch features (unit vectors) to use ONNX


def cpu_session(path: str | os.PathLike[str], threads: int):
    """An ONNX Runtime session of ``path`` on the CPU with ``threads`` intra-op threads (1: the
    calling thread computes, so several callers run side by side), all graph optimisations on."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _weights_hash(model) -> str:
    h = hashlib.blake2b(digest_size=8)
    for name, tensor in model.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


class QueryEmbedder:
    """``embedder(path) -> vector`` with a warm encoder; ``describe()`` says which path it uses."""

    def __init__(self, encoder, onnx_dir: str | os.PathLike[str] | None = None, use_onnx: bool = True,
                 with_logits: bool = False) -> None:
        # with_logits: the export also returns the ImageNet classifier's logits (Albums keeps the
        # top-5 labels from the same pass), a second output, in its own file
        self.with_logits = with_logits and callable(getattr(getattr(encoder, "model", None), "get_classifier", None))
        self.encoder = encoder
        self.size = getattr(encoder, "logo_size", 256)
        self.model = getattr(encoder, "model", None)
        self.on_cpu = str(getattr(encoder, "device", "cpu")).startswith("cpu")
        self.channels_last = False
        self.session = None
        self.why_torch = "not on the CPU" if not self.on_cpu else ""
        # torch's own preprocessing wakes its OpenMP threads, which then spin beside ONNX Runtime's
        # on the same cores (+8 ms a query on 2 cores): the ONNX path prepares the input in NumPy
        self.numpy_preprocess = numpy_preprocess(getattr(encoder, "transform", None))
        if self.on_cpu and self.model is not None and use_onnx:
            try:
                self.session = self._onnx_session(onnx_dir)
            except Exception as exc:  # noqa: BLE001 - any export/runtime failure: torch stays, said in describe()
                self.why_torch = f"ONNX path unavailable ({type(exc).__name__}: {str(exc)[:160]})"
                log.warning("logo queries: %s; using torch", self.why_torch)
        elif not use_onnx:
            self.why_torch = "ONNX path not asked for"
        if self.session is None and self.on_cpu and self.model is not None:
            import torch

            self.channels_last = True  # the depthwise convolutions run faster this way in oneDNN
            self.model.to(memory_format=torch.channels_last)

    def _onnx_session(self, onnx_dir):
        if "onnxruntime" not in sys.modules and "usearch.compiled" in sys.modules:
            # onnxruntime's extension crashes on import once usearch's is loaded (core.search
            # loads them in the safe order); never crash the process: stay on torch
            raise RuntimeError("usearch was loaded before onnxruntime (see core.search._usearch_index)")
        import torch

        from core.fileio import atomic_write
        from core.paths import models_dir

        folder = Path(onnx_dir) if onnx_dir is not None else models_dir() / "onnx"
        example = self.encoder.preprocess(load_logo_example(self.size)).unsqueeze(0)
        tags = "-logits" if self.with_logits else ""
        path = folder / f"{self.encoder.name}-b1-{example.shape[-1]}{tags}-{_weights_hash(self.model)}.onnx"
        if not path.exists():
            forward = self.encoder.forward
            with_logits = self.with_logits

            class Features(torch.nn.Module):
                def __init__(self, model):
                    super().__init__()
                    self.model = model  # registered, so the export sees its weights

                def forward(self, x):
                    features = forward(x)
                    return (features, self.model.get_classifier()(features)) if with_logits else features

            folder.mkdir(parents=True, exist_ok=True)
            module = Features(self.model).eval()
            with torch.no_grad(), atomic_write(path, "wb", encoding=None) as fh:
                # batch 1 fixed: static shapes let ORT fuse more (9.6 vs 13.5 ms with a free batch)
                torch.onnx.export(module, example.clone(), fh, dynamo=False, input_names=["x"],
                                  output_names=["features", "logits"] if with_logits else ["features"],
                                  opset_version=17)
            _prune(folder, keep=path)
        else:
            os.utime(path)  # recently used: kept by the pruning
        session = cpu_session(path, torch.get_num_threads())
        got = _l2(session.run(None, {"x": example.numpy()})[0])
        want = self.encoder.encode(example)
        diff = float(np.abs(got - want).max())
        if diff > ONNX_TOLERANCE:
            raise ValueError(f"its features differ from torch's by {diff:.2g}")
        self.onnx_path = path
        spec = preprocess_spec(getattr(self.encoder, "transform", None))
        if spec is not None and hasattr(self.encoder, "describe") and not self.with_logits:
            _write_pointer(folder, self.encoder.describe(), path, spec, self.size, int(got.shape[-1]))
        return session

    def __call__(self, path: str | os.PathLike[str]) -> np.ndarray:
        return self.vector(load_logo(path, self.size))

    def part(self, path: str | os.PathLike[str]) -> np.ndarray | None:
        """The vector of the logo's part (its icon: ``core.logos.images.load_logo_part``), or None
        when the logo has none."""
        from core.logos.images import NO_PART, load_logo_part

        try:
            return self.vector(load_logo_part(path, self.size))
        except ImageError as exc:
            if exc.reason == NO_PART:
                return None
            raise

    def vector(self, image) -> np.ndarray:
        """The vector of a logo already drawn ``size``×``size`` on white."""
        if self.session is not None:
            x = self.numpy_preprocess(image) if self.numpy_preprocess is not None else None
            if x is None:
                x = self.encoder.preprocess(image).unsqueeze(0).numpy()
            return _l2(self.session.run(None, {"x": x})[0])[0]
        x = self.encoder.preprocess(image).unsqueeze(0)
        if self.channels_last:
            import torch

            x = x.contiguous(memory_format=torch.channels_last)
        return self.encoder.encode(x)[0]

    def describe(self) -> str:
        import torch

        if self.session is not None:
            return f"ONNX Runtime float32, batch 1, {torch.get_num_threads()} threads, {self.encoder.name}"
        layout = "channels-last" if self.channels_last else "contiguous"
        why = f" ({self.why_torch})" if self.why_torch else ""
        return f"torch float32 {layout}, batch 1, {torch.get_num_threads()} threads, {self.encoder.name}{why}"


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
    how to prepare its input, so a new process can embed a query without torch."""
    from core.fileio import atomic_write_text

    (folder / "by-model").mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / "by-model" / f"{model_key(model)}.json",
                      json.dumps({"onnx": onnx.name, "preprocess": spec, "logo_size": size, "dim": dim,
                                  "model": {k: model.get(k) for k in ("preset", "weights", "checkpoint")}}))


def onnx_query_vector(path: str | os.PathLike[str], model: dict,
                      onnx_dir: str | os.PathLike[str] | None = None, part: bool = False):
    """A query logo's vector through a verified ONNX export of ``model``, without importing
    torch: what a new process (``python -m core logos query``) uses when the app or an earlier
    query made the export. ``None`` when there is none yet (or onnxruntime is missing, or the
    image cannot be prepared exactly), and the caller takes the torch path, which makes it.

    Cold, from the shell, this is ~1 s instead of ~9 s: importing torch and timm's registry is
    most of a torch query's time (``bench/search.py``). ``part``: ``(vector, its icon's vector
    or None)`` (``core.logos.images.load_logo_part``)."""
    from core.paths import models_dir

    folder = Path(onnx_dir) if onnx_dir is not None else models_dir() / "onnx"
    pointer = folder / "by-model" / f"{model_key(model)}.json"
    try:
        info = json.loads(pointer.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring the unreadable %s (%s); the query goes through torch", pointer, exc)
        return None
    export = folder / info.get("onnx", "")
    prepare = numpy_preprocess(info.get("preprocess"))
    if not export.is_file() or prepare is None:
        return None
    try:
        import onnxruntime  # noqa: F401 - missing: no ONNX path (cpu_session imports it)
    except ImportError:
        return None
    size = int(info.get("logo_size", 256))
    x = prepare(load_logo(path, size))
    if x is None:
        return None
    x_part = None
    if part:  # the logo's icon too (None when it has none), through the same session
        from core.logos.images import NO_PART, load_logo_part

        try:
            x_part = prepare(load_logo_part(path, size))
        except ImageError as exc:
            if exc.reason != NO_PART:
                raise
    session = cpu_session(export, min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                                      else (os.cpu_count() or 1), 8))
    os.utime(export)  # recently used: kept by the pruning
    whole = _l2(session.run(None, {"x": x})[0])[0]
    if not part:
        return whole
    return whole, (None if x_part is None else _l2(session.run(None, {"x": x_part})[0])[0])


KEEP_EXPORTS = 8  # ONNX exports kept in the models dir (13-17 MB each): the most recently used


def _prune(folder: Path, keep: Path) -> None:
    """Delete all but the ``KEEP_EXPORTS`` most recently used exports (each trained model has its own)."""
    exports = sorted(folder.glob("*.onnx"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in exports[KEEP_EXPORTS:]:
        if old != keep:
            try:
                old.unlink()
            except OSError as exc:
                log.warning("could not delete the old export %s: %s", old, exc)


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


def load_logo_example(size: int):
    """A test image for the export and its check: a drawn mark on white (not blank, so the check
    compares real activations)."""
    from PIL import Image, ImageDraw

    im = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(im)
    draw.ellipse((size // 6, size // 6, size * 5 // 6, size * 5 // 6), fill=(200, 30, 40))
    draw.rectangle((size // 3, size // 3, size * 2 // 3, size * 2 // 3), fill=(20, 60, 160))
    return im


def _l2(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)
