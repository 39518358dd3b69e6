"""A seeded SYNTHETIC posts dataset (no real social-media series is available here).

The stated rule: each category has a hidden driver z(t) (a smooth random curve).
Its posts' *content* and *counts* follow the driver now; its *popularity* (the
number of posts per day) follows the same driver 60 days later:

* style: a post shows the "new look" (a striped image, "new trend" words in the
  text) with probability sigmoid(2·z(t));
* counts: likes ~ Poisson(20·exp(0.8·z(t))), collects ≈ likes/4, comments ≈ likes/8;
* popularity: posts per day ~ Poisson(3·exp(z(t − 60))).

So a model that reads two months of content and counts can foresee the share two
months later; one that reads only past shares cannot. Written beside the CSV:
``SYNTHETIC.txt`` (the loader marks the dataset synthetic when it sees it).
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import numpy as np

CATEGORIES = ("dress", "sneakers", "jacket", "hat", "bag", "skirt", "coat", "boots")
COLOURS = [(200, 60, 60), (60, 120, 200), (60, 160, 90), (220, 170, 40), (130, 80, 170), (230, 120, 170),
           (90, 90, 90), (150, 100, 60)]
LAG = 60
NOTE = ("SYNTHETIC data made by Simscope (core/trends/synthetic.py), seed {seed}: a category's content and "
        "counts follow a hidden driver now, its share of posts follows the same driver 60 days later. "
        "Not real social-media data.\n")


def _driver(rng: np.random.Generator, n: int) -> np.ndarray:
    t = np.arange(n)
    z = np.zeros(n)
    for _ in range(4):
        period = rng.uniform(60, 240)
        z += rng.uniform(0.2, 0.5) * np.sin(2 * np.pi * t / period + rng.uniform(0, 2 * np.pi))
    return z


def _image(colour, striped: bool, variant: int, rng: np.random.Generator):
    from PIL import Image, ImageDraw

    im = Image.new("RGB", (64, 64), tuple(int(c * rng.uniform(0.85, 1.1)) % 256 for c in colour))
    d = ImageDraw.Draw(im)
    d.ellipse((12 + variant, 10, 52 - variant, 56), fill=tuple(min(255, c + 50) for c in colour))
    if striped:
        for y in range(4 + variant, 64, 8):
            d.rectangle((0, y, 63, y + 2), fill=(250, 250, 250))
    return im


def make_dataset(out_dir: str | Path, days: int = 730, categories: int = 5, seed: int = 0,
                 start: date = date(2025, 1, 1)) -> Path:
    """Write ``posts.csv``, ``images/`` and ``SYNTHETIC.txt`` into ``out_dir``; returns the CSV path."""
    if not 1 <= categories <= len(CATEGORIES):
        raise ValueError(f"1 to {len(CATEGORIES)} categories")
    rng = np.random.default_rng(seed)
    out = Path(out_dir)
    (out / "images").mkdir(parents=True, exist_ok=True)
    images = {}
    for c in range(categories):
        for striped in (False, True):
            for v in range(4):
                name = f"images/{CATEGORIES[c]}_{'new' if striped else 'plain'}_{v}.png"
                _image(COLOURS[c], striped, v, rng).save(out / name)
                images[(c, striped, v)] = name
    plain_words = ["classic", "simple", "everyday", "basic", "casual", "comfy"]
    new_words = ["new trend", "must have", "viral", "fresh drop", "this season's look"]
    rows = []
    for c in range(categories):
        z = _driver(rng, days + LAG)
        for day in range(days):
            zt = z[day + LAG]  # content and counts follow the driver now
            popularity = z[day]  # the share follows it LAG days later
            for _ in range(rng.poisson(3 * np.exp(popularity))):
                striped = rng.random() < 1 / (1 + np.exp(-2 * zt))
                likes = int(rng.poisson(20 * np.exp(0.8 * zt)))
                word = rng.choice(new_words if striped else plain_words)
                rows.append(((start + timedelta(days=day)).isoformat(), CATEGORIES[c],
                             images[(c, striped, int(rng.integers(4)))],
                             f"{word} {CATEGORIES[c]} {rng.choice(['today', 'outfit', 'look', 'style'])}",
                             int(rng.poisson(likes / 8 + 0.5)), likes, int(rng.poisson(likes / 4 + 0.5))))
    rows.sort()
    path = out / "posts.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["date", "category", "image", "text", "comments", "likes", "collects"])
        w.writerows(rows)
    (out / "SYNTHETIC.txt").write_text(NOTE.format(seed=seed), encoding="utf-8")
    return path


def make_dataset_in_child(out_dir: str | Path, emit=None) -> str:
    """:func:`make_dataset` for ``core.process.run_in_process``: its 12,000-row loop is plain
    Python, which in a thread of the app makes the window wait for the GIL at every paint."""
    return str(make_dataset(out_dir))
