"""One query logo to its vector, as fast as the machine allows (the look-up's hot path).

Measured in ``bench/search.py`` (end to end at 100k logos) on 2 cores: rasterising an SVG at
256 px (resvg) takes ~8 ms, the timm preprocessing ~1 ms and EfficientNet-Lite0's forward at
batch 1 most of the rest. What is kept: the model stays loaded (the app's model worker holds
it), ``torch.inference_mode``, channels-last memory (the depthwise convolutions run faster
that way in oneDNN). What was tried and left out: bf16 autocast made Lite0's depthwise
convolutions ~15× *slower* at batch 1 on this CPU (AMX helps large matmuls, not these), so the
float32 path stays; the vector is the one the index was built with (same preprocessing, same
weights), so a query already in the index finds itself at cosine 1.
"""

from __future__ import annotations

import os

import numpy as np

from core.logos.images import load_logo


class QueryEmbedder:
    """``embedder(path) -> vector`` with a warm encoder; ``describe()`` says which path it uses."""

    def __init__(self, encoder) -> None:
        import torch

        self.encoder = encoder
        self.size = getattr(encoder, "logo_size", 256)
        self.model = getattr(encoder, "model", None)
        self.channels_last = self.model is not None and str(getattr(encoder, "device", "cpu")).startswith("cpu")
        if self.channels_last:
            self.model.to(memory_format=torch.channels_last)

    def __call__(self, path: str | os.PathLike[str]) -> np.ndarray:
        import torch

        x = self.encoder.preprocess(load_logo(path, self.size)).unsqueeze(0)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.encoder.encode(x)[0]

    def describe(self) -> str:
        import torch

        layout = "channels-last" if self.channels_last else "contiguous"
        return f"torch float32 {layout}, batch 1, {torch.get_num_threads()} threads, {self.encoder.name}"
