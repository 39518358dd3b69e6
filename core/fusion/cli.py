"""``python -m core fusion ...`` with the write-up's train.py flags."""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import asdict
from pathlib import Path


def _add_train_flags(p) -> None:
    p.add_argument("--modality", choices=["fusion", "sensor", "vision"], default="fusion")
    p.add_argument("--fusion_type", choices=["late", "text_similarity"], default="text_similarity")
    p.add_argument("--embedding_dim", type=int, default=512)
    p.add_argument("--temperature", type=float, default=0.1)
    p.add_argument("--data", required=True, help="a folder with dataset.csv, or the CSV itself")
    p.add_argument("--num_epochs", type=int, default=30)
    p.add_argument("--batch_size", type=int, default=32)
    p.add_argument("--lr", type=float, default=0.001)
    p.add_argument("--loss", choices=["ce", "cb", "paco"], default="ce")
    p.add_argument("--beta", type=float, default=0.9999)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--classes", default="Normal,Caution,Warning,Critical")
    p.add_argument("--device", default="auto")
    p.add_argument("--image-preset", default="effnet-lite0")
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
    p = fusion.add_parser("train", help="train one model and report test metrics")
    _add_train_flags(p)
    p.add_argument("--out", help="save the trained model here (.pt)")
    p.set_defaults(func=cmd_train)
    p = fusion.add_parser("sweep", help="temperature × embedding_dim × lr grid; CSV of results")
    _add_train_flags(p)
    p.add_argument("--out", default="fusion_sweep.csv")
    p.set_defaults(func=cmd_sweep)
    p = fusion.add_parser("make-demo", help="build the demo set: gas readings + synthetic images")
    from core.fusion.gas_demo import default_gas_csv

    p.add_argument("--source", default=str(default_gas_csv()))
    p.add_argument("--out", required=True)
    p.add_argument("--limit", type=int, help="a balanced subset of this many rows")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_make_demo)
