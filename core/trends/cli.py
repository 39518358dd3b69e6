"""``python -m core trends ...``"""

from __future__ import annotations

import csv
import json
import sys


def cmd_make_demo(args) -> int:
    from core.trends.synthetic import make_dataset

    path = make_dataset(args.out, days=args.days, categories=args.categories, seed=args.seed)
    print(f"SYNTHETIC dataset written: {path} ({args.days} days × {args.categories} categories)")
    return 0


def cmd_build_labels(args) -> int:
    from core.trends.data import build_labels, load_posts, tertile_cuts, time_split, trend_classes

    posts = load_posts(args.csv)
    labels = build_labels(posts)
    split = time_split(labels)
    cuts = tertile_cuts(labels.proportion[split.train])
    trend = trend_classes(labels.proportion, cuts)
    part = {int(i): "train" for i in split.train} | {int(i): "test" for i in split.test}
    import contextlib

    from core.fileio import atomic_write, csv_safe

    with (atomic_write(args.out, newline="") if args.out else contextlib.nullcontext(sys.stdout)) as out:
        w = csv.writer(out)
        w.writerow(["category", "window_start", "window_end", "target_month", "proportion", "trend", "split"])
        for i in range(len(labels.proportion)):
            end = labels.end_day[i]
            w.writerow([csv_safe(posts.categories[labels.category[i]]), posts.day_date(end - 59).isoformat(),
                        posts.day_date(end).isoformat(), posts.day_date(labels.target_days[i][0]).strftime("%Y-%m"),
                        f"{labels.proportion[i]:.5f}", int(trend[i]), part.get(i, "gap")])
    print(f"{len(labels.proportion)} samples ({len(split.train)} train, {len(split.test)} test, the rest in the gap "
          f"between them); tertile cut points from train: {cuts[0]:.4f}, {cuts[1]:.4f}"
          + ("; SYNTHETIC data" if posts.synthetic else ""), file=sys.stderr)
    return 0


def cmd_train(args) -> int:
    import torch

    from core.cache import EmbeddingCache
    from core.models.manager import ModelManager
    from core.progress import ProgressBar
    from core.trends.model import TrendConfig
    from core.trends.service import format_report, prepare, report, train_in_child, verdict

    manager = ModelManager(args.device)
    with EmbeddingCache() as cache:
        prep = prepare(args.csv, manager, cache, args.image_model, args.text_model, progress=ProgressBar())
    cfg = TrendConfig(hidden=args.hidden, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                      device=manager.device.torch_device)
    res = train_in_child(prep.tokens, prep.labels, prep.split, cfg,
                         emit=lambda kind, p: print(f"epoch {p.epoch}: train {p.train_loss:.4f} val {p.val_loss:.4f}",
                                                    file=sys.stderr) if kind == "epoch" else None)
    rows = report(prep, res["model"], res["numeric"])
    print(("SYNTHETIC data. " if prep.posts.synthetic else "") + f"Test split: {len(prep.split.test)} samples "
          f"(windows after day {int(prep.labels.end_day[prep.split.train].max())} + gap)")
    print(format_report(rows))
    print(verdict(rows))
    r = res["model"]
    from core.fileio import atomic_write

    with atomic_write(args.out, "wb") as fh:
        torch.save({"state": r.model.state_dict(), "config": r.config.__dict__, "cuts": list(r.cuts),
                    "numeric_mean": r.numeric_mean.tolist(), "numeric_std": r.numeric_std.tolist(),
                    "prop_scale": r.prop_scale, "image_dim": prep.tokens.image.shape[-1],
                    "text_dim": prep.tokens.text.shape[-1], "categories": prep.posts.categories,
                    "models": prep.tokens.models, "report": rows}, fh)
    print(f"model → {args.out}")
    return 0


def cmd_predict(args) -> int:
    import numpy as np

    from core.cache import EmbeddingCache
    from core.models.manager import ModelManager
    from core.trends.data import build_labels
    from core.trends.model import predict
    from core.trends.runs import load_model
    from core.trends.service import prepare

    result, ck = load_model(args.model)
    models = ck.get("models", {})
    with EmbeddingCache() as cache:
        prep = prepare(args.csv, ModelManager(args.device), cache, models.get("image", {}).get("preset", "effnet-lite0"),
                       models.get("text", {}).get("preset", "use-multilingual"))
    labels = build_labels(prep.posts)
    last = labels.end_day.max()
    idx = np.flatnonzero(labels.end_day == last)
    cls, prop = predict(result, prep.tokens, labels, idx)
    rows = [{"category": prep.posts.categories[labels.category[i]], "window_end": prep.posts.day_date(last).isoformat(),
             "target_month": prep.posts.day_date(labels.target_days[i][0]).strftime("%Y-%m"),
             "trend": int(c), "proportion": round(float(p), 5)} for i, c, p in zip(idx, cls, prop, strict=True)]
    print(json.dumps(rows, ensure_ascii=False, indent=1) if args.json else
          "\n".join(f"{r['category']:12s} trend {r['trend']:+d}  share {r['proportion']:.3f} in {r['target_month']}"
                    for r in rows))
    return 0


POSTS_FORMAT = """\
the posts CSV (UTF-8, a header row), one row per post:
  date       YYYY-MM-DD
  category   what kind of thing (dress, shoes, …): the trend is per category
  image      the post's image, a path relative to the CSV's folder (may be empty)
  text       the post's text, any language (may be empty)
  comments   non-negative whole numbers: the post's engagement
  likes
  collects
Every problem is reported with its line. example:
  date,category,image,text,comments,likes,collects
  2025-01-03,dress,images/0001.png,"red floral summer dress",3,41,7"""


def register(sub) -> None:
    import argparse

    formats = {"epilog": POSTS_FORMAT, "formatter_class": argparse.RawDescriptionHelpFormatter}
    trends = sub.add_parser("trends", help="popularity-trend forecaster on daily posts").add_subparsers(
        dest="action", required=True)
    p = trends.add_parser("make-demo", help="write a SYNTHETIC posts dataset (stated rule in its README)")
    p.add_argument("--out", required=True, help="the folder to write posts.csv, images/ and SYNTHETIC.txt into")
    p.add_argument("--days", type=int, default=730, help="days of posts (default 730)")
    p.add_argument("--categories", type=int, default=5, help="how many categories (default 5)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.set_defaults(func=cmd_make_demo)
    p = trends.add_parser("build-labels", help="60-day windows, the share two months later, tertile trends",
                          **formats)
    p.add_argument("csv", help="the posts CSV (format below)")
    p.add_argument("--out", help="write the labels CSV here (default: stdout)")
    p.set_defaults(func=cmd_build_labels)
    p = trends.add_parser("train", help="train on a time-based split and report against the baselines", **formats)
    p.add_argument("csv", help="the posts CSV (format below)")
    p.add_argument("--out", required=True, help="model file (.pt)")
    p.add_argument("--epochs", type=int, default=20, help="passes over the training windows (default 20)")
    p.add_argument("--hidden", type=int, default=128, help="fused width (the write-up used 1024)")
    p.add_argument("--batch-size", type=int, default=64, help="windows per step (default 64)")
    p.add_argument("--lr", type=float, default=1e-3, help="learning rate (default 0.001)")
    p.add_argument("--image-model", default="effnet-lite0", help="image preset (clip-vit-b32 when imported)")
    p.add_argument("--text-model", default="use-multilingual", help="text preset (clip-vit-b32 when imported)")
    p.add_argument("--device", default="auto")
    p.set_defaults(func=cmd_train)
    p = trends.add_parser("predict", help="trend and share two months after the data's last day", **formats)
    p.add_argument("csv", help="the posts CSV (format below), up to the day to predict from")
    p.add_argument("--model", required=True, help="a model file written by trends train (.pt)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--device", default="auto")
    p.set_defaults(func=cmd_predict)
