"""The settings of a Logos training run (``core.logos.simclr``), apart so the GUI and the CLI
read and write them without importing torch."""

from __future__ import annotations

from dataclasses import dataclass

MIN_FOR_VALIDATION = 20  # fewer logos than this: no validation split (its loss is NaN every epoch)


@dataclass
class TrainSettings:
    epochs: int = 10
    batch_size: int = 32
    image_size: int = 224
    temperature: float = 0.5
    threshold: float = 0.9  # re-weighting: negatives above this cosine similarity …
    negative_weight: float = 0.7  # … get this weight
    lr: float = 3e-4
    weight_decay: float = 1e-4
    warmup_epochs: int = 1
    val_fraction: float = 0.1
    projection_dim: int = 128
    hidden_dim: int = 512
    backbone: str = "simscope-logo"  # a registry preset: the shipped logo model by default; effnet-lite0; swin-t once imported
    invert: bool = True  # contrast inversion among the augmentations
    seed: int = 0
    device: str = "cpu"
    freeze_blocks: int = 3  # stem + first stages keep ImageNet's weights (2x faster; see simclr.freeze_early)
    precision: str = "auto"  # auto: bf16 autocast where the device computes it natively (AMX / AVX-512-BF16, CUDA), else fp32
