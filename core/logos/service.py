"""Logos as one object the GUI and the CLI share: models, index, query, duplicates, training."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from core.logos.index import checkpoint_id
from core.logos.settings import TrainSettings  # noqa: F401 - the GUI and the CLI import it from here
from core.models.loaders import ImageEncoder
from core.paths import data_dir

DEFAULT_PRESET = "simscope-logo"  # our Lite0 trained on brand logos (ships); effnet-lite0: ImageNet features
BACKBONES = ("simscope-logo", "effnet-lite0", "swin-t")


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

    from core.logos.simclr import eval_transform, features_backbone, load_trained_backbone
    from core.models.loaders import load_checkpoint

    ck = load_checkpoint(choice, ("settings", "model"), "trained logo model")
    settings = ck["settings"]
    base = models.get(settings["backbone"], progress, cancelled)
    model = load_trained_backbone(choice, features_backbone(base.model).cpu()).to(base.device)
    size = settings["image_size"]
    return SimCLREncoder(preset=base.preset, weights=str(choice), device=base.device, model=model,
                         transform=eval_transform(size), forward=model.features, dim=model.feature_dim,
                         run_id=checkpoint_id(choice), logo_size=size)


def list_runs(root: str | Path) -> list[dict]:
    """Training runs under ``root``, newest first: params, losses and checkpoint of each."""
    runs = []
    for d in sorted(Path(root).glob("*/"), reverse=True):
        params = d / "params.json"
        if not params.exists():
            continue
        history = []
        if (d / "losses.csv").exists():
            for line in (d / "losses.csv").read_text(encoding="utf-8").splitlines()[1:]:
                e, tr, va, lr, sec = line.split(",")
                history.append({"epoch": int(e), "train_loss": float(tr), "val_loss": float(va)})
        runs.append({"dir": str(d), "params": json.loads(params.read_text(encoding="utf-8")), "history": history,
                     "checkpoint": str(d / "checkpoint.pt") if (d / "checkpoint.pt").exists() else None})
    return runs
