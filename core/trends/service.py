"""Trends as one object the GUI and the CLI share: load, embed, label, split, train, report."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.jobs import CancelCheck, ProgressFn, never_cancelled, null_progress, sub_progress
from core.trends.data import (
    Labels,
    Posts,
    Split,
    build_labels,
    load_posts,
    time_split,
    trend_classes,
)
from core.trends.features import OFFLINE, DayTokens, day_tokens, post_vectors


@dataclass
class Prepared:
    posts: Posts
    tokens: DayTokens
    labels: Labels
    split: Split
    errors: list


def prepare(csv_path, models, cache, image_preset: str = OFFLINE[0], text_preset: str = OFFLINE[1],
            progress: ProgressFn = null_progress, cancelled: CancelCheck = never_cancelled) -> Prepared:
    posts = load_posts(csv_path)
    labels = build_labels(posts)
    split = time_split(labels)
    image = models.get(image_preset, progress, cancelled)
    text = models.get(text_preset, progress, cancelled)
    img, txt, errors = post_vectors(posts, image, text, cache, sub_progress(progress, 0, 0.95), cancelled)
    tokens = day_tokens(posts, img, txt, models={"image": image.describe(), "text": text.describe()})
    progress(1.0, f"{len(posts)} posts, {len(labels.proportion)} samples "
                  f"({len(split.train)} train, {len(split.test)} test)")
    return Prepared(posts, tokens, labels, split, errors)


def metrics(true_prop, true_cls, pred_prop, pred_cls) -> dict:
    from scipy.stats import spearmanr
    from sklearn.metrics import f1_score

    pred_prop = np.asarray(pred_prop, float)
    rho = float(spearmanr(true_prop, pred_prop).statistic) if np.ptp(pred_prop) > 0 else float("nan")
    return {"accuracy": float((np.asarray(pred_cls) == true_cls).mean()),
            "macro_f1": float(f1_score(true_cls, pred_cls, average="macro", labels=[-1, 0, 1], zero_division=0)),
            "mae": float(np.abs(pred_prop - true_prop).mean()), "spearman": rho}


def report(prep: Prepared, model_result, numeric_result=None) -> list[dict]:
    """The model and its baselines on the test split, one row each."""
    lab, test, train = prep.labels, prep.split.test, prep.split.train
    cuts = model_result.cuts
    true_prop = lab.proportion[test]
    true_cls = trend_classes(true_prop, cuts)
    train_cls = trend_classes(lab.proportion[train], cuts)
    majority = int(np.bincount(train_cls + 1).argmax()) - 1
    rows = [{"model": "majority class (train)", **metrics(true_prop, true_cls,
                                                            np.full(len(test), lab.proportion[train].mean()),
                                                            np.full(len(test), majority))},
            {"model": "last-window share", **metrics(true_prop, true_cls, lab.last_proportion[test],
                                                     trend_classes(lab.last_proportion[test], cuts))}]
    if numeric_result is not None:
        rows.append({"model": "numeric-only model", **metrics(true_prop, true_cls,
                                                              numeric_result.test_pred["proportion"],
                                                              numeric_result.test_pred["class"])})
    rows.append({"model": "image+text+numeric model", **metrics(true_prop, true_cls,
                                                                 model_result.test_pred["proportion"],
                                                                 model_result.test_pred["class"])})
    return rows


def latest_forecast(prep: Prepared, model_result) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sample indices, trend class −1/0/1, predicted share) for the windows ending on the last day."""
    from core.trends.model import predict

    lab = prep.labels
    idx = np.flatnonzero(lab.end_day == lab.end_day.max())
    cls, prop = predict(model_result, prep.tokens, lab, idx)
    return idx, cls, prop


def verdict(rows: list[dict]) -> str:
    """How the full model compares with each baseline, in plain words (and when it loses)."""
    full = next((r for r in rows if r["model"].startswith("image+text")), None)
    if full is None:
        return ""
    parts, losses = [], []
    for r in rows:
        if r is full:
            continue
        d_acc, d_f1 = full["accuracy"] - r["accuracy"], full["macro_f1"] - r["macro_f1"]
        word = "beats" if d_acc > 0.005 and d_f1 > 0.005 else "loses to" if d_acc < -0.005 and d_f1 < -0.005 \
            else "is level with"
        parts.append(f"{word} {r['model']} ({full['accuracy']:.3f} vs {r['accuracy']:.3f} accuracy, "
                     f"{full['macro_f1']:.3f} vs {r['macro_f1']:.3f} macro-F1)")
        if word == "loses to":
            losses.append(r["model"])
    text = "On the test split (later in time than all training windows) the image+text+numeric model " + \
        "; ".join(parts) + "."
    if losses:
        text += (f" It does worse than {', '.join(losses)}: its content features do not help on this data "
                 f"(or it needs more data or epochs); trust the simpler baseline here.")
    return text


def format_report(rows: list[dict]) -> str:
    lines = [f"{'model':28s} {'accuracy':>8s} {'macro-F1':>8s} {'MAE':>8s} {'Spearman':>8s}"]
    for r in rows:
        lines.append(f"{r['model']:28s} {r['accuracy']:8.3f} {r['macro_f1']:8.3f} {r['mae']:8.4f} "
                     f"{r['spearman']:8.3f}")
    return "\n".join(lines)


def train_in_child(tokens, labels, split, cfg, numeric_too: bool = True, emit=None) -> dict:
    """Train the model (and the numeric-only baseline) in a child process: returns both results."""
    from dataclasses import replace

    from core.trends.model import train_trends

    full = train_trends(tokens, labels, split, cfg, progress=lambda f, m=None: emit("progress", (f * 0.7, m)),
                        on_epoch=lambda e: emit("epoch", e))
    numeric = None
    if numeric_too:
        numeric = train_trends(tokens, labels, split, replace(cfg, use_content=False),
                               progress=lambda f, m=None: emit("progress", (0.7 + 0.3 * f, f"numeric-only: {m}")))
    return {"model": full, "numeric": numeric}
