"""``python -m core fusion ...`` with the write-up's train.py flags."""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import asdict
from pathlib import Path

DATA_FORMAT = """\
the data (--data: a folder with dataset.csv, or the CSV itself), one row per sample:
  one numeric column per sensor   any names; every numeric column but image and label is a sensor
  image                           the sample's image, a path relative to the CSV's folder
  label                           one of --classes (default Normal, Caution, Warning, Critical)
Every problem is reported with its row (the CSV's line number); UTF-8, CP949 or Latin-1.
example:
  MQ2,MQ3,MQ5,image,label
  555,515,377,images/0001.png,Normal
python -m core fusion make-demo --out DIR writes such a folder from the bundled gas readings."""


def _add_train_flags(p) -> None:
    p.add_argument("--modality", choices=["fusion", "sensor", "vision"], default="fusion",
                   help="what the classifier sees: sensors and images (fusion), or one alone (default fusion)")
    p.add_argument("--fusion_type", choices=["late", "text_similarity"], default="text_similarity",
                   help="late: concatenated embeddings into a classifier; text_similarity: the sample's "
                        "embedding against each class name's (default)")
    p.add_argument("--embedding_dim", type=int, default=512, help="the shared embedding's width (default 512)")
    p.add_argument("--temperature", type=float, default=0.1,
                   help="text_similarity's softmax temperature (default 0.1)")
    p.add_argument("--data", required=True, help="a folder with dataset.csv, or the CSV itself (format below)")
    p.add_argument("--num_epochs", type=int, default=30, help="passes over the training rows (default 30)")
    p.add_argument("--batch_size", type=int, default=32, help="samples per step (default 32)")
    p.add_argument("--lr", type=float, default=0.001, help="learning rate (default 0.001)")
    p.add_argument("--loss", choices=["ce", "cb", "paco"], default="ce",
                   help="ce: cross-entropy; cb: class-balanced (for rare classes); paco: parametric "
                        "contrastive (default ce)")
    p.add_argument("--beta", type=float, default=0.9999, help="cb's β: how strongly rare classes weigh (default 0.9999)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the split and the training (default 0)")
    p.add_argument("--classes", default="Normal,Caution,Warning,Critical",
                   help="the label values, comma-separated, in order (default Normal,Caution,Warning,Critical)")
    p.add_argument("--device", default="auto")
    p.add_argument("--image-preset", default="effnet-lite0", help="the image model (default effnet-lite0, offline)")
    p.add_argument("--fine_tune", action="store_true", help="train the image backbone too (slow on a CPU)")


def load_for_training(args, progress=None):
    from core.cache import EmbeddingCache
    from core.fusion.data import load_dataset
    from core.fusion.features import image_features
    from core.models.manager import ModelManager

    path = Path(args.data)
    csv_path = path / "dataset.csv" if path.is_dir() else path
    sensor_only = getattr(args, "modality", "fusion") == "sensor"
    data = load_dataset(csv_path, tuple(args.classes.split(",")), check_images=not sensor_only)
    manager = ModelManager(args.device)
    if sensor_only:  # the images are never used: neither read nor embedded
        import numpy as np

        return data, np.zeros((len(data), 1), np.float32), manager.device.torch_device, "none (sensor only)", None
    encoder = manager.get(args.image_preset)
    with EmbeddingCache() as cache:
        feats = image_features(data, encoder, cache, progress or (lambda *a: None))
    return data, feats, manager.device.torch_device, f"{encoder.name}: {encoder.weights}", encoder


def _config(args, device):
    from core.fusion.train import TrainConfig

    return TrainConfig(modality=args.modality, fusion_type=args.fusion_type, embedding_dim=args.embedding_dim,
                       temperature=args.temperature, num_epochs=args.num_epochs, batch_size=args.batch_size,
                       lr=args.lr, loss=args.loss, beta=args.beta, seed=args.seed, device=device,
                       fine_tune=getattr(args, "fine_tune", False))


def cmd_train(args) -> int:
    from core.fusion.train import train

    data, feats, device, source, encoder = load_for_training(args)
    res = train(_config(args, device), data, feats, feature_source=source, backbone=encoder,
                on_epoch=lambda r: print(f"epoch {r.epoch:3d}  loss {r.train_loss:.4f}  "
                                         f"val acc {r.val_acc:.3f}  val F1 {r.val_macro_f1:.3f}", file=sys.stderr))
    summary = res.summary()
    summary["test_per_class_f1"] = dict(zip(data.class_names, res.test["f1"], strict=True))
    summary["test_confusion"] = res.test["confusion"]
    if args.out:
        import torch

        from core.fileio import atomic_write

        with atomic_write(args.out, "wb") as fh:
            torch.save({"state_dict": res.model.state_dict(), "config": asdict(res.config),
                        "sensor_mean": res.sensor_mean.tolist(), "sensor_std": res.sensor_std.tolist(),
                        "class_names": list(data.class_names)}, fh)
        summary["checkpoint"] = args.out
    print(json.dumps(summary, indent=2))
    return 0


def cmd_sweep(args) -> int:
    from core.fusion.train import sweep

    data, feats, device, _, _ = load_for_training(args)
    rows = sweep(_config(args, device), data, feats,
                 on_row=lambda r: print(f"T={r.temperature} E={r.embedding_dim} lr={r.lr}: "
                                        f"val F1 {r.val_macro_f1:.3f}", file=sys.stderr))
    from core.fileio import atomic_write

    with atomic_write(args.out, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["temperature", "embedding_dim", "lr", "val_macro_f1", "val_accuracy", "test_macro_f1", "seconds"])
        for r in rows:
            w.writerow([r.temperature, r.embedding_dim, r.lr, f"{r.val_macro_f1:.4f}", f"{r.val_accuracy:.4f}",
                        f"{r.test_macro_f1:.4f}", f"{r.seconds:.1f}"])
    best = rows[0]
    print(json.dumps({"best": asdict(best), "csv": args.out}, indent=2))
    return 0


def cmd_make_demo(args) -> int:
    from core.fusion.gas_demo import DEMO_NOTE, build_gas_demo

    out = build_gas_demo(args.source, args.out, limit=args.limit, seed=args.seed)
    print(DEMO_NOTE, file=sys.stderr)
    print(out)
    return 0


def register(sub) -> None:
    fusion = sub.add_parser("fusion", help="the sensor + vision classifier").add_subparsers(
        dest="action", required=True)
    import argparse

    formats = {"epilog": DATA_FORMAT, "formatter_class": argparse.RawDescriptionHelpFormatter}
    p = fusion.add_parser("train", help="train one model and report test metrics", **formats)
    _add_train_flags(p)
    p.add_argument("--out", help="save the trained model here (.pt)")
    p.set_defaults(func=cmd_train)
    p = fusion.add_parser("sweep", help="temperature × embedding_dim × lr grid; CSV of results", **formats)
    _add_train_flags(p)
    p.add_argument("--out", default="fusion_sweep.csv", help="the results CSV to write (default fusion_sweep.csv)")
    p.set_defaults(func=cmd_sweep)
    p = fusion.add_parser("make-demo", help="build the demo set: gas readings + synthetic images")
    from core.fusion.gas_demo import default_gas_csv

    p.add_argument("--source", default=str(default_gas_csv()),
                   help="gas readings with columns MQ2, MQ3, MQ5, MQ6, MQ7, MQ8, MQ135 and Gas (NoGas, Perfume, "
                        "Mixture, Smoke; default: the bundled MultimodalGasData CSV)")
    p.add_argument("--out", required=True, help="the folder to write dataset.csv and images/ into")
    p.add_argument("--limit", type=int, help="a balanced subset of this many rows")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic images and the subset (default 0)")
    p.set_defaults(func=cmd_make_demo)
