"""The Fusion dataset format, its validating loader, and a stratified split.

Format: a CSV with one row per sample —

* one numeric column per sensor (name them as you like; ``--sensor-columns``
  picks them, otherwise every numeric column but the label);
* ``image``: a path to the sample's image, relative to the CSV's folder;
* ``label``: one of the class names (default Normal, Caution, Warning, Critical).

Every problem is reported with its row number (the CSV's line number).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.fileio import finite_number
from core.fusion import DEFAULT_CLASSES


class DatasetError(ValueError):
    """A dataset that cannot be used, with every problem found (up to a limit)."""

    def __init__(self, path, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:20] + ([f"… and {len(problems) - 20} more"] if len(problems) > 20 else [])
        super().__init__(f"{Path(path).name}: " + "; ".join(shown))


@dataclass
class FusionData:
    sensors: np.ndarray  # (N, d) float32
    images: list[str]  # absolute paths
    labels: np.ndarray  # (N,) int64
    class_names: tuple[str, ...]
    sensor_columns: list[str]

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, idx: np.ndarray) -> FusionData:
        return FusionData(self.sensors[idx], [self.images[i] for i in idx], self.labels[idx],
                          self.class_names, self.sensor_columns)


FLOAT32_MAX = 3.4e38


def load_dataset(path: str | Path, class_names=DEFAULT_CLASSES, sensor_columns: list[str] | None = None,
                 image_column: str = "image", label_column: str = "label",
                 check_images: bool = True) -> FusionData:
    from core.fileio import read_csv

    path = Path(path)
    if not path.exists():
        raise DatasetError(path, [f"{path} does not exist"])
    try:
        table = read_csv(path)  # UTF-8 / CP949 / Latin-1; NUL bytes, unclosed quotes by row
    except (ValueError, OSError) as exc:
        raise DatasetError(path, [str(exc)]) from exc
    header, rows = table.header, table.rows
    if table.problems:
        raise DatasetError(path, [f"row {line}: {why}" for line, why in table.problems])
    missing = [c for c in (image_column, label_column) if c not in header]
    if sensor_columns is None:  # columns whose values are mostly numbers; bad cells reported below
        sensor_columns = [h for h in header if h not in (image_column, label_column)
                          and rows and sum(_is_number(r.get(h)) for _, r in rows) >= len(rows) / 2]
    missing += [c for c in sensor_columns if c not in header]
    if missing:
        raise DatasetError(path, [f"missing column(s): {', '.join(missing)} (found: {', '.join(header)})"])
    if not sensor_columns:
        raise DatasetError(path, ["no numeric sensor columns found"])
    if not rows:
        raise DatasetError(path, ["no rows"])
    problems: list[str] = []
    lookup = {c.lower(): i for i, c in enumerate(class_names)}
    sensors = np.zeros((len(rows), len(sensor_columns)), np.float32)
    labels = np.zeros(len(rows), np.int64)
    images = []
    for r, (line, row) in enumerate(rows):
        for j, col in enumerate(sensor_columns):
            value = row.get(col)
            try:
                number = finite_number(value, col)
                if abs(number) > FLOAT32_MAX:
                    raise ValueError(f"{col} {value!r} is too large (beyond ±3.4e38)")
                sensors[r, j] = number
            except ValueError as exc:
                problems.append(f"row {line}: {exc}")
        label = (row.get(label_column) or "").strip()
        if label.lower() not in lookup:
            problems.append(f"row {line}: unknown label {label!r} (expected one of {', '.join(class_names)})")
        else:
            labels[r] = lookup[label.lower()]
        image = (row.get(image_column) or "").strip()
        full = (path.parent / image).resolve() if image else None
        if full is None:
            problems.append(f"row {line}: no image path")
        elif check_images and not full.exists():
            problems.append(f"row {line}: image {image} not found")
        images.append(str(full) if full else "")
    if problems:
        raise DatasetError(path, problems)
    return FusionData(sensors, images, labels, tuple(class_names), list(sensor_columns))


def _is_number(value) -> bool:
    try:
        float(value)
        return True
    except (TypeError, ValueError):
        return False


def stratified_split(labels: np.ndarray, fractions=(0.7, 0.15, 0.15), seed: int = 0):
    """(train, val, test) index arrays; every class split in the same proportions, no overlap."""
    rng = np.random.default_rng(seed)
    parts: list[list[int]] = [[], [], []]
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_train = int(round(fractions[0] * len(idx)))
        n_val = int(round(fractions[1] * len(idx)))
        parts[0] += idx[:n_train].tolist()
        parts[1] += idx[n_train:n_train + n_val].tolist()
        parts[2] += idx[n_train + n_val:].tolist()
    return tuple(np.array(sorted(p), np.int64) for p in parts)
