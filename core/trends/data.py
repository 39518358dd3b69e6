"""The posts dataset, the label builder and the time-based split.

Format (CSV, UTF-8, header required)::

    date,category,image,text,comments,likes,collects
    2025-01-03,dress,images/0001.png,"red floral summer dress",3,41,7

``date`` is YYYY-MM-DD; ``image`` is relative to the CSV's folder (may be empty);
``text`` may be empty; the three counts are non-negative integers.

Labels, as in the write-up: a sample is (category, last day ``d`` of a 60-day
window). Its target is the category's share of all posts in the calendar month
two months after ``d`` (the whole month); its trend class is 1 / 0 / -1 by the
tertiles of those shares, with the tertile cut points taken from the training
split only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from core.fileio import finite_number

COLUMNS = ("date", "category", "image", "text", "comments", "likes", "collects")
WINDOW = 60


class DatasetError(ValueError):
    """A dataset that cannot be used, with every problem listed by row."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        super().__init__("; ".join(problems[:10]) + more)


@dataclass
class Posts:
    days: np.ndarray  # (N,) int: days since ``start``
    start: date
    categories: list[str]  # names, index = category id
    category: np.ndarray  # (N,) int
    images: list[str]  # absolute paths ('' when none)
    texts: list[str]
    counts: np.ndarray  # (N, 3) comments, likes, collects
    source: str = ""
    synthetic: bool = False
    skipped: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.days)

    @property
    def n_days(self) -> int:
        return int(self.days.max()) + 1 if len(self.days) else 0

    def day_date(self, day: int) -> date:
        return self.start + timedelta(days=int(day))


def load_posts(path: str | os.PathLike[str], strict: bool = True) -> Posts:
    """Read the CSV; every bad row is reported with its row number (1 = the header).
    ``strict``: any bad row fails the load (with all of them listed); otherwise they are skipped."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    base = path.parent
    problems: list[str] = []
    rows = []
    from core.fileio import read_csv

    try:
        table = read_csv(path)  # UTF-8 / CP949 / Latin-1; NUL bytes, unclosed quotes by row
    except (ValueError, OSError) as exc:
        raise DatasetError([str(exc)]) from exc
    missing = [c for c in COLUMNS if c not in table.header]
    if missing:
        raise DatasetError([f"{path.name}: missing column(s) {', '.join(missing)}; expected {','.join(COLUMNS)}"])
    problems += [f"row {line}: {why}" for line, why in table.problems]
    for n, row in table.rows:
        try:
            d = date.fromisoformat((row["date"] or "").strip())
        except ValueError:
            problems.append(f"row {n}: date {row['date']!r} is not YYYY-MM-DD")
            continue
        cat = (row["category"] or "").strip()
        if not cat:
            problems.append(f"row {n}: empty category")
            continue
        try:
            counts = [finite_number(row[c], c) for c in ("comments", "likes", "collects")]
            if max(counts) > 1e12:
                raise ValueError(f"a count above 10^12 ({max(counts):.3g}) is not a real count")
            counts = [int(c) for c in counts]
        except (TypeError, ValueError) as exc:
            problems.append(f"row {n}: {exc} (comments/likes/collects must be counts)")
            continue
        if min(counts) < 0:
            problems.append(f"row {n}: negative count")
            continue
        image = (row["image"] or "").strip()
        if image:
            image = str((base / image).resolve()) if not os.path.isabs(image) else image
            if not os.path.exists(image):
                problems.append(f"row {n}: image {row['image']} not found")
                continue
        rows.append((d, cat, image, (row["text"] or "").strip(), counts))
    if problems and strict:
        raise DatasetError(problems)
    if not rows:
        raise DatasetError([f"{path.name}: no usable rows"] + problems)
    start = min(r[0] for r in rows)
    categories = sorted({r[1] for r in rows})
    cid = {c: i for i, c in enumerate(categories)}
    synthetic = (base / "SYNTHETIC.txt").exists()
    return Posts(np.array([(r[0] - start).days for r in rows]), start, categories,
                 np.array([cid[r[1]] for r in rows]), [r[2] for r in rows], [r[3] for r in rows],
                 np.array([r[4] for r in rows], np.float32), str(path), synthetic, problems)


def _month_key(d: date) -> tuple[int, int]:
    return d.year, d.month


def _add_months(d: date, months: int) -> tuple[int, int]:
    m = d.month - 1 + months
    return d.year + m // 12, m % 12 + 1


@dataclass
class Labels:
    category: np.ndarray  # (S,) category id
    end_day: np.ndarray  # (S,) last day of the window
    proportion: np.ndarray  # (S,) target share in the month two months later
    target_days: list[tuple[int, int]]  # (first, last) day of each sample's target month
    last_proportion: np.ndarray  # (S,) the category's share over the window's last 30 days (a baseline)


def build_labels(posts: Posts, window: int = WINDOW) -> Labels:
    """Every (category, end day) whose window and whole target month lie inside the data."""
    n_days = posts.n_days
    daily = np.zeros((len(posts.categories), n_days))
    np.add.at(daily, (posts.category, posts.days), 1)
    total = daily.sum(0)
    months: dict[tuple[int, int], list[int]] = {}
    for day in range(n_days):
        months.setdefault(_month_key(posts.day_date(day)), []).append(day)
    cats, ends, props, targets, last = [], [], [], [], []
    for end in range(window - 1, n_days):
        key = _add_months(posts.day_date(end), 2)
        days = months.get(key)
        if not days:
            continue
        first, last_day = days[0], days[-1]
        month_len = (date(key[0] + key[1] // 12, key[1] % 12 + 1, 1) - date(key[0], key[1], 1)).days
        if len(days) < month_len or total[first : last_day + 1].sum() == 0:
            continue  # the target month must be complete
        recent = slice(max(0, end - 29), end + 1)
        for c in range(len(posts.categories)):
            cats.append(c)
            ends.append(end)
            props.append(daily[c, first : last_day + 1].sum() / total[first : last_day + 1].sum())
            targets.append((first, last_day))
            last.append(daily[c, recent].sum() / max(total[recent].sum(), 1))
    if not ends:
        raise DatasetError([f"{posts.n_days} days is too short: a sample needs {window} days plus the whole "
                            f"month two months after them"])
    return Labels(np.array(cats), np.array(ends), np.array(props, np.float32), targets,
                  np.array(last, np.float32))


def trend_classes(proportion: np.ndarray, cuts: tuple[float, float]) -> np.ndarray:
    """1 (hot) / 0 / -1 (cold) by the tertile cut points."""
    return np.where(proportion >= cuts[1], 1, np.where(proportion >= cuts[0], 0, -1))


def tertile_cuts(proportion: np.ndarray) -> tuple[float, float]:
    lo, hi = np.quantile(proportion, [1 / 3, 2 / 3])
    return float(lo), float(hi)


@dataclass
class Split:
    train: np.ndarray
    test: np.ndarray
    gap_days: int


def time_split(labels: Labels, window: int = WINDOW, test_fraction: float = 0.25) -> Split:
    """Earlier windows train, later ones test, and no day is used by both: a test window starts
    after the last day any training sample reads (its window or its target month)."""
    ends = np.unique(labels.end_day)
    cut = ends[int(len(ends) * (1 - test_fraction))]
    train = np.flatnonzero(labels.end_day < cut - window)  # room for the gap below
    if not len(train):
        raise DatasetError(["too few days for a time-based split with a gap"])
    last_used = max(labels.target_days[i][1] for i in train)
    test = np.flatnonzero(labels.end_day - (window - 1) > last_used)
    if not len(test):
        # shrink training until a test period exists
        train_end = np.sort(np.unique(labels.end_day[train]))
        for t_end in train_end[::-1]:
            train = np.flatnonzero(labels.end_day <= t_end)
            last_used = max(labels.target_days[i][1] for i in train)
            test = np.flatnonzero(labels.end_day - (window - 1) > last_used)
            if len(test):
                break
    if not len(test):
        raise DatasetError(["too few days for a time-based split: need about a year of posts"])
    return Split(train, test, int(labels.end_day[test].min() - window + 1 - last_used - 1))


def days_used(labels: Labels, idx: np.ndarray, window: int = WINDOW) -> set[int]:
    """Every day that samples ``idx`` read: their input windows and their target months."""
    out: set[int] = set()
    for i in idx:
        out.update(range(labels.end_day[i] - window + 1, labels.end_day[i] + 1))
        out.update(range(labels.target_days[i][0], labels.target_days[i][1] + 1))
    return out
