"""Logos as one object the GUI and the CLI share: models, index, query, duplicates, training."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from core.logos.index import checkpoint_id
from core.models.loaders import ImageEncoder
from core.paths import data_dir

DEFAULT_PRESET = "effnet-lite0"  # offline ImageNet features; Swin-T when its weights are imported
BACKBONES = ("swin-t", "effnet-lite0")


def runs_dir() -> Path:
    path = data_dir() / "logos" / "runs"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class SimCLREncoder(ImageEncoder):
    """The backbone of a trained SimCLR checkpoint, as an image encoder (features, not projections)."""

    run_id: str = ""
    logo_size: int = 224

    @property
    def cache_name(self) -> str:
        return f"simclr-{self.run_id}"

    def describe(self) -> dict:
        return {**super().describe(), "checkpoint": self.weights, "preset": self.cache_name}


def load_encoder(models, choice: str, progress=None, cancelled=None):
    """A registry preset name, or the path of a SimCLR ``checkpoint.pt``."""
    if not choice.endswith(".pt"):
        return models.get(choice, progress, cancelled)
    import copy

    import torch

    from core.logos.simclr import eval_transform, load_trained_backbone

    if not os.path.exists(choice):
        raise FileNotFoundError(f"no trained model at {choice}")
    ck = torch.load(choice, map_location="cpu", weights_only=True)
    settings = ck["settings"]
    base = models.get(settings["backbone"], progress, cancelled)
    model = load_trained_backbone(choice, copy.deepcopy(base.model).cpu()).to(base.device)
    size = settings["image_size"]
    return SimCLREncoder(preset=base.preset, weights=str(choice), device=base.device, model=model,
                         transform=eval_transform(size), forward=model.features, dim=model.feature_dim,
                         run_id=checkpoint_id(choice), logo_size=size)
