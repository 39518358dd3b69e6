"""Trends: the forecaster vs its baselines on a generated SYNTHETIC set (time-based split).

Run: python bench/trends_eval.py [--days 730] [--categories 5] [--epochs 20] [--seed 0]
Prints accuracy and macro-F1 (trend class), MAE and Spearman (share two months later) on
the later (test) windows for: majority class, last-window share, numeric-only model, and
the image+text+numeric model. Offline models: EfficientNet-Lite0 images, USE texts.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--categories", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("SIMSCOPE_DATA_DIR", tempfile.mkdtemp(prefix="simscope-trends-"))
    from core.cache import EmbeddingCache
    from core.models.manager import ModelManager
    from core.trends.model import TrendConfig, train_trends
    from core.trends.service import format_report, prepare, report
    from core.trends.synthetic import make_dataset

    out = Path(tempfile.mkdtemp(prefix="simscope-trends-data-"))
    csv_path = make_dataset(out, days=args.days, categories=args.categories, seed=args.seed)
    with EmbeddingCache() as cache:
        prep = prepare(csv_path, ModelManager("cpu"), cache)
    lab, split = prep.labels, prep.split
    print(f"SYNTHETIC data: {args.days} days × {args.categories} categories, {len(prep.posts)} posts, seed {args.seed}")
    print(f"models: image {prep.tokens.models['image']['weights']}, text {prep.tokens.models['text']['preset']}")
    print(f"samples: {len(split.train)} train (windows ending by day {int(lab.end_day[split.train].max())}), "
          f"{len(split.test)} test (from day {int(lab.end_day[split.test].min())}); no day shared")
    cfg = TrendConfig(epochs=args.epochs, hidden=args.hidden, seed=args.seed)
    t0 = time.perf_counter()
    full = train_trends(prep.tokens, lab, split, cfg)
    numeric = train_trends(prep.tokens, lab, split, replace(cfg, use_content=False))
    best = min(full.history, key=lambda h: h.val_loss)
    print(f"trained both in {time.perf_counter() - t0:.0f} s; epoch picked on validation: {best.epoch}")
    print(format_report(report(prep, full, numeric)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
