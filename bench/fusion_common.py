"""Shared set-up for the Fusion benchmarks: the full gas demo set and its cached features."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.fusion.gas_demo import default_gas_csv

GAS = default_gas_csv()


def demo_dir() -> Path:
    from core.paths import data_dir

    return data_dir() / "fusion" / "gas_demo"


def load_demo(limit: int | None = None):
    """(data, features, encoder) for the gas demo; features cached in the app's cache."""
    from core.cache import EmbeddingCache
    from core.fusion.data import load_dataset
    from core.fusion.features import image_features
    from core.fusion.gas_demo import build_gas_demo
    from core.models.loaders import load

    out = demo_dir() if limit is None else demo_dir().with_name(f"gas_demo_{limit}")
    csv_path = build_gas_demo(GAS, out, limit=limit)
    data = load_dataset(csv_path)
    encoder = load("effnet-lite0")
    with EmbeddingCache() as cache:
        feats = image_features(data, encoder, cache)
    return data, feats, encoder
