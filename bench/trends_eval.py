"""Trends: the forecaster vs its baselines on a generated SYNTHETIC set (time-based split).

Run: python bench/trends_eval.py [--days 730] [--categories 5] [--epochs 20] [--seeds 0 1 2]
Prints accuracy and macro-F1 (trend class), MAE and Spearman (share two months later) on
the later (test) windows for: majority class, last-window share, numeric-only model, and
the image+text+numeric model, for each seed (the generator's and the training's), then the
mean ± std over the seeds. Offline models: EfficientNet-Lite0 images, USE texts.

One seed says little: the test windows of the 730-day demo end within ~2 months, so their
targets are ~2 calendar months × 5 categories (the "distinct targets" printed), and accuracy
moves in large steps with a single month's shares.
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
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    os.environ.setdefault("SIMSCOPE_DATA_DIR", tempfile.mkdtemp(prefix="simscope-trends-"))
    import numpy as np

    runs = [one_seed(args, seed) for seed in args.seeds]
    print(f"\nmean ± std over seeds {args.seeds} (test split):")
    print(f"{'model':28s} {'accuracy':>15s} {'macro-F1':>15s}")
    for name in [r["model"] for r in runs[0]]:
        acc = np.array([next(r for r in rows if r["model"] == name)["accuracy"] for rows in runs])
        f1 = np.array([next(r for r in rows if r["model"] == name)["macro_f1"] for rows in runs])
        print(f"{name:28s} {acc.mean():7.3f} ± {acc.std():.3f} {f1.mean():7.3f} ± {f1.std():.3f}")
    return 0


def one_seed(args, seed: int) -> list[dict]:
    from core.cache import EmbeddingCache
    from core.models.manager import ModelManager
    from core.trends.model import TrendConfig, train_trends
    from core.trends.service import format_report, prepare, report
    from core.trends.synthetic import make_dataset

    out = Path(tempfile.mkdtemp(prefix="simscope-trends-data-"))
    csv_path = make_dataset(out, days=args.days, categories=args.categories, seed=seed)
    with EmbeddingCache() as cache:
        prep = prepare(csv_path, ModelManager("cpu"), cache)
    lab, split = prep.labels, prep.split
    print(f"SYNTHETIC data: {args.days} days × {args.categories} categories, {len(prep.posts)} posts, seed {seed}")
    print(f"models: image {prep.tokens.models['image']['weights']}, text {prep.tokens.models['text']['preset']}")
    targets = {(int(lab.category[i]), lab.target_days[i]) for i in split.test}
    print(f"samples: {len(split.train)} train (windows ending by day {int(lab.end_day[split.train].max())}), "
          f"{len(split.test)} test (from day {int(lab.end_day[split.test].min())}; {len(targets)} distinct "
          f"(category, month) targets); no day shared")
    cfg = TrendConfig(epochs=args.epochs, hidden=args.hidden, seed=seed)
    t0 = time.perf_counter()
    full = train_trends(prep.tokens, lab, split, cfg)
    numeric = train_trends(prep.tokens, lab, split, replace(cfg, use_content=False))
    best = min(full.history, key=lambda h: h.val_loss)
    print(f"trained both in {time.perf_counter() - t0:.0f} s; epoch picked on validation: {best.epoch}")
    rows = report(prep, full, numeric)
    print(format_report(rows), flush=True)
    return rows


if __name__ == "__main__":
    sys.exit(main())
