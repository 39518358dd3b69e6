"""Test macro-F1 per modality on the gas demo set (6,400 samples; stratified 70/15/15 split).

Run: python bench/fusion_eval.py [--epochs 30]
Sensors are real (MultimodalGasData); the level mapping is our demo convention
and the images are synthetic (see core/fusion/gas_demo.py).
"""

from __future__ import annotations

import argparse
import time

from fusion_common import GAS, load_demo

from core.fusion.train import TrainConfig, train

RUNS = [("sensor", "late"), ("vision", "late"), ("fusion", "late"), ("fusion", "text_similarity")]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--loss", default="ce")
    args = parser.parse_args()
    if not GAS.exists():
        print(f"gas data not found at {GAS}")
        return 1
    t = time.perf_counter()
    data, feats, encoder = load_demo()
    print(f"{len(data)} samples, image features from {encoder.name} ({encoder.weights}) "
          f"ready in {time.perf_counter() - t:.0f} s")
    print("Demo convention: NoGas→Normal, Perfume→Caution, Mixture→Warning, Smoke→Critical; images synthetic.\n")
    print(f"{'modality':<26} {'test macro-F1':>13} {'test acc':>9}   per-class F1 ({', '.join(data.class_names)})")
    for modality, fusion_type in RUNS:
        cfg = TrainConfig(modality=modality, fusion_type=fusion_type, num_epochs=args.epochs, loss=args.loss)
        res = train(cfg, data, feats)
        name = modality if modality != "fusion" else f"fusion ({fusion_type})"
        f1s = " ".join(f"{f:.3f}" for f in res.test["f1"])
        print(f"{name:<26} {res.test['macro_f1']:13.3f} {res.test['accuracy']:9.3f}   {f1s}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
