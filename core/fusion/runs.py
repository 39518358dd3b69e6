"""Fusion runs kept across restarts (``core.runs``): settings, metrics, curves, the model.

A run's model file holds the fusion head's state dict with everything needed to show it again
on the same dataset: the config, the split, the sensor normalisation and the class names. With
fine-tuning the backbone moved too; its weights are not kept, so such a run reopens with its
curves and metrics only (``load_result`` says so)."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from core.runs import Run, RunStore

WORKSPACE = "fusion"
CURVES = ("train_loss", "val_loss", "train_acc", "val_acc", "val_macro_f1", "vision_weight", "sensor_weight",
          "sim_vision", "sim_sensor")  # the last two: per epoch a list (one cosine per class) or None


def save_run(store: RunStore, dataset: str, result) -> Run:
    import torch

    settings = {k: v for k, v in asdict(result.config).items() if k != "device"}
    metrics = {"val_accuracy": result.val["accuracy"], "val_macro_f1": result.val["macro_f1"],
               "test_accuracy": result.test["accuracy"], "test_macro_f1": result.test["macro_f1"],
               "test_f1_per_class": dict(zip(result.class_names, map(float, result.test["f1"]), strict=True)),
               "test_confusion": np.asarray(result.test["confusion"]).tolist(),
               "epochs": len(result.history), "feature_source": result.feature_source}
    curves = {k: [getattr(h, k) for h in result.history] for k in CURVES}

    def save(fh):
        torch.save({"state_dict": result.model.state_dict(), "config": asdict(result.config),
                    "split": [np.asarray(s).tolist() for s in result.split],
                    "sensor_mean": np.asarray(result.sensor_mean).tolist(),
                    "sensor_std": np.asarray(result.sensor_std).tolist(),
                    "class_names": list(result.class_names), "fine_tuned": bool(result.config.fine_tune)}, fh)

    return store.add(WORKSPACE, dataset, settings, metrics, curves, save_model=save)


def load_result(run: Run, data, features: np.ndarray, device: str = "cpu"):
    """The run's TrainResult on ``data`` again (its model re-evaluated on its own split)."""
    from core.fusion.models import build_model
    from core.fusion.train import EpochReport, TrainConfig, TrainResult, evaluate
    from core.models.loaders import load_checkpoint

    ck = load_checkpoint(run.model, ("state_dict", "config", "split", "sensor_mean", "sensor_std"), "Fusion run")
    if ck.get("fine_tuned"):
        raise ValueError(f"run #{run.id} fine-tuned its image backbone, whose weights are not kept: "
                         "its curves and metrics are shown, its model cannot be reopened")
    cfg = TrainConfig(**{**ck["config"], "device": device})
    model = build_model(cfg).to(device)
    model.load_state_dict(ck["state_dict"])
    model.eval()
    tr, va, te = (np.asarray(s, np.int64) for s in ck["split"])
    if len(data) <= max(int(va.max(initial=0)), int(te.max(initial=0))):
        raise ValueError(f"run #{run.id} was trained on another dataset ({len(data)} rows here)")
    mean, std = np.asarray(ck["sensor_mean"], np.float32), np.asarray(ck["sensor_std"], np.float32)
    sensors = ((data.sensors - mean) / std).astype(np.float32)
    vision = np.asarray(features, np.float32)
    val = evaluate(model, vision[va], sensors[va], data.labels[va], cfg.num_classes)
    test = evaluate(model, vision[te], sensors[te], data.labels[te], cfg.num_classes)
    n = len(run.curves.get("train_loss", []))
    sims = {k: run.curves.get(k) or [None] * n for k in ("sim_vision", "sim_sensor")}  # runs kept before: none
    history = [EpochReport(epoch=i + 1, train_loss=run.curves["train_loss"][i], train_acc=run.curves["train_acc"][i],
                           val_loss=run.curves["val_loss"][i], val_acc=run.curves["val_acc"][i],
                           val_macro_f1=run.curves["val_macro_f1"][i], sim_vision=sims["sim_vision"][i],
                           sim_sensor=sims["sim_sensor"][i],
                           vision_weight=run.curves["vision_weight"][i], sensor_weight=run.curves["sensor_weight"][i],
                           seconds=0.0) for i in range(n)]
    return TrainResult(cfg, model, history, val, test, (tr, va, te), mean, std, tuple(ck.get("class_names", ())),
                       run.metrics.get("feature_source", ""))
