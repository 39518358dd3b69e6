"""The demo dataset: real gas-sensor readings paired with synthetic images.

Sensors: ``resources/demo/gas/Gas_Sensors_Measurements.csv`` (MQ2…MQ135, 6,400
samples, CC BY 4.0, Narkhede et al.; shipped with the app, attribution beside it). Its four gases are mapped onto the
four levels by a DEMO CONVENTION of ours, not by the data: NoGas → Normal,
Perfume → Caution, Mixture → Warning, Smoke → Critical.

Images: the data set's thermal photos are not available, so each row gets a
SYNTHETIC 64×64 "thermal" image from a seeded generator: a warm blob on a
noisy background whose brightness and size grow with the level, with enough
noise and overlap that the image alone is an imperfect cue.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from core.fusion import DEFAULT_CLASSES
from core.jobs import CancelCheck, ProgressFn, check_cancel, never_cancelled, null_progress


def default_gas_csv() -> Path:
    """The gas readings that ship with the app (a source checkout or the bundle)."""
    from core.paths import resource

    return resource("demo", "gas", "Gas_Sensors_Measurements.csv")


GAS_TO_LEVEL = {"NoGas": "Normal", "Perfume": "Caution", "Mixture": "Warning", "Smoke": "Critical"}
SENSORS = ["MQ2", "MQ3", "MQ5", "MQ6", "MQ7", "MQ8", "MQ135"]
DEMO_NOTE = ("Demo data: real gas-sensor readings (MultimodalGasData, CC BY 4.0) with gases mapped to "
             "levels by our convention (NoGas→Normal, Perfume→Caution, Mixture→Warning, Smoke→Critical) "
             "and SYNTHETIC images from a seeded generator.")


def synthetic_image(level: int, rng: np.random.Generator, size: int = 64) -> np.ndarray:
    """An (size, size, 3) uint8 pseudo-thermal image for a level 0..3."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    cy, cx = rng.uniform(0.25, 0.75, 2) * size
    radius = size * (0.10 + 0.05 * level + rng.normal(0, 0.04))
    heat = (0.35 + 0.15 * level + rng.normal(0, 0.12)) * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * max(radius, 2) ** 2))
    field = np.clip(0.25 + heat + rng.normal(0, 0.08, (size, size)), 0, 1)
    # an inferno-like colour map: black → red → yellow → white
    r = np.clip(field * 2.0, 0, 1)
    g = np.clip(field * 2.0 - 0.7, 0, 1)
    b = np.clip(field * 3.0 - 2.2, 0, 1) + 0.25 * np.clip(0.4 - field, 0, 1)
    return (np.stack([r, g, b], -1) * 255).astype(np.uint8)


def build_gas_demo(source_csv: str | Path, out_dir: str | Path, limit: int | None = None, seed: int = 0,
                   progress: ProgressFn = null_progress, cancelled: CancelCheck = never_cancelled) -> Path:
    """Write ``out_dir/dataset.csv`` and ``out_dir/images/*.png``; returns the CSV path."""
    from PIL import Image

    source_csv, out_dir = Path(source_csv), Path(out_dir)
    with open(source_csv, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if limit is not None:  # keep classes balanced in a subset
        rng0 = np.random.default_rng(seed)
        by_gas: dict[str, list] = {}
        for r in rows:
            by_gas.setdefault(r["Gas"], []).append(r)
        per = max(1, limit // len(by_gas))
        rows = [r for g in sorted(by_gas) for r in
                [by_gas[g][i] for i in sorted(rng0.choice(len(by_gas[g]), min(per, len(by_gas[g])), replace=False))]]
    images = out_dir / "images"
    images.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    out_csv = out_dir / "dataset.csv"
    with open(out_csv, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([*SENSORS, "image", "label", "gas"])
        for i, r in enumerate(rows):
            level = GAS_TO_LEVEL[r["Gas"]]
            name = f"images/{i:05d}.png"
            path = out_dir / name
            img = synthetic_image(DEFAULT_CLASSES.index(level), rng)
            if not path.exists():
                Image.fromarray(img).save(path)
            writer.writerow([r[s] for s in SENSORS] + [name, level, r["Gas"]])
            if i % 200 == 0:
                check_cancel(cancelled)
                progress(i / len(rows), f"{i} of {len(rows)} samples")
    (out_dir / "README.txt").write_text(DEMO_NOTE + "\n", encoding="utf-8")
    progress(1.0, f"{len(rows)} samples")
    return out_csv
