"""One query logo to its vector, as fast as the machine allows (the look-up's hot path).

Measured on 2 cores (``bench/search.py``, end to end at 100k logos, interleaved with the
torch path): rasterising an SVG at 256 px (resvg) ~8 ms, the timm preprocessing ~0.7 ms,
and EfficientNet-Lite0's forward at batch 1:

* torch eager float32: 59 ms; channels-last: 46 ms; TorchScript frozen + optimised: 42 ms;
* **ONNX Runtime** (the same weights exported once, graph optimisations on): **8.5 ms**, the
  features equal to torch's within 1e-5. This is the path used on CPU when ``onnxruntime`` is
  installed (a dependency): the verified export of the models layer (``core.models.onnx``),
  made once per model (a few seconds) and re-made when the weights change.
* bf16 autocast made Lite0's depthwise convolutions ~15× *slower* at batch 1 on this CPU (AMX
  helps large matmuls, not these): not used.

If the export fails or its check does, the torch path stays and ``describe()`` says why. On a
GPU the torch path is used. The vector is the one the index was built with (same
preprocessing, same weights), so a query already in the index finds itself at cosine 1.
"""

from __future__ import annotations

import logging
import os

import numpy as np

from core.images import ImageError
from core.logos.images import load_logo
from core.models.onnx import (
    OnnxExport,
    cpu_session,
    find_export,
    has_classifier,
    numpy_preprocess,
    on_cpu,
    shared_export,
    why_not,
)
from core.vectors import unit

log = logging.getLogger(__name__)


class QueryEmbedder:
    """``embedder(path) -> vector`` with a warm encoder; ``describe()`` says which path it uses.

    ``shared``: the encoder's own export (``core.models.onnx.shared_export``, made once per
    encoder and shared with its embedding jobs); otherwise one made or opened in ``onnx_dir``."""

    def __init__(self, encoder, onnx_dir: str | os.PathLike[str] | None = None, use_onnx: bool = True,
                 with_logits: bool = False, shared: bool = False) -> None:
        self.encoder = encoder
        self.size = getattr(encoder, "logo_size", 256)
        self.model = getattr(encoder, "model", None)
        self.with_logits = with_logits and has_classifier(self.model)
        self.on_cpu = on_cpu(encoder)
        self.channels_last = False
        self.export: OnnxExport | None = None
        self.why_torch = "not on the CPU" if not self.on_cpu else ""
        # torch's own preprocessing wakes its OpenMP threads, which then spin beside ONNX Runtime's
        # on the same cores (+8 ms a query on 2 cores): the ONNX path prepares the input in NumPy
        self.numpy_preprocess = numpy_preprocess(getattr(encoder, "transform", None))
        if self.on_cpu and self.model is not None and use_onnx:
            if shared:
                self.export = shared_export(encoder, self.with_logits)
                self.why_torch = why_not(encoder, self.with_logits)
            else:
                try:
                    self.export = OnnxExport(encoder, onnx_dir, self.with_logits)
                except Exception as exc:  # any export/runtime failure: torch stays, said in describe()
                    self.why_torch = f"ONNX path unavailable ({type(exc).__name__}: {str(exc)[:160]})"
                    log.warning("logo queries: %s; using torch", self.why_torch)
        elif not use_onnx:
            self.why_torch = "ONNX path not asked for"
        self.session = self.export.session if self.export is not None else None
        if self.session is None and self.on_cpu and self.model is not None:
            import torch

            self.channels_last = True  # the depthwise convolutions run faster this way in oneDNN
            self.model.to(memory_format=torch.channels_last)

    @property
    def onnx_path(self):
        return self.export.path if self.export is not None else None

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
            return unit(self.session.run(None, {"x": x})[0], np.float32)[0]
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


def onnx_query_vector(path: str | os.PathLike[str], model: dict,
                      onnx_dir: str | os.PathLike[str] | None = None, part: bool = False):
    """A query logo's vector through a verified ONNX export of ``model``, without importing
    torch: what a new process (``python -m core logos query``) uses when the app or an earlier
    query made the export (``core.models.onnx.find_export``). ``None`` when there is none yet
    (or onnxruntime is missing, or the image cannot be prepared exactly), and the caller takes
    the torch path, which makes it.

    Cold, from the shell, this is ~1 s instead of ~9 s: importing torch and timm's registry is
    most of a torch query's time (``bench/search.py``). ``part``: ``(vector, its icon's vector
    or None)`` (``core.logos.images.load_logo_part``)."""
    found = find_export(model, onnx_dir)
    if found is None:
        return None
    export, prepare, size = found
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
    whole = unit(session.run(None, {"x": x})[0], np.float32)[0]
    if not part:
        return whole
    return whole, (None if x_part is None else unit(session.run(None, {"x": x_part})[0], np.float32)[0])
