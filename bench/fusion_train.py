"""Seconds per training epoch on the 6,400 gas samples: cached image features vs
features recomputed every epoch (the backbone run over every image), in one run.

Run: python bench/fusion_train.py
"""

from __future__ import annotations

import time

import numpy as np
import torch
from fusion_common import GAS, load_demo

from core.fusion.train import TrainConfig, train
from core.images import open_image


def recompute_features(data, encoder, batch_size: int = 64) -> np.ndarray:
    out = []
    for i in range(0, len(data.images), batch_size):
        batch = torch.stack([encoder.preprocess(open_image(p)) for p in data.images[i:i + batch_size]])
        out.append(encoder.encode(batch))
    return np.concatenate(out)


def main() -> int:
    if not GAS.exists():
        print(f"gas data not found at {GAS}")
        return 1
    data, feats, encoder = load_demo()
    cfg = TrainConfig(num_epochs=1)
    train(cfg, data, feats)  # warm-up
    t = time.perf_counter()
    train(TrainConfig(num_epochs=3), data, feats)
    cached = (time.perf_counter() - t) / 3
    t = time.perf_counter()
    fresh = recompute_features(data, encoder)
    train(TrainConfig(num_epochs=1), data, fresh)
    recomputed = time.perf_counter() - t
    print(f"{len(data)} samples, {encoder.name} on {encoder.device}, torch threads {torch.get_num_threads()}")
    print(f"epoch with cached features    : {cached:7.2f} s")
    print(f"epoch recomputing the features: {recomputed:7.2f} s")
    print(f"ratio: caching makes an epoch {recomputed / cached:,.0f}× faster")
    print(f"max |cached − recomputed| feature difference: {np.abs(fresh - feats).max():.4f} (float16 cache)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
