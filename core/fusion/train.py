"""Training, evaluation, live inference overrides and the hyper-parameter sweep."""

from __future__ import annotations

import itertools
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from core.fusion.data import FusionData, stratified_split
from core.fusion.losses import make_loss
from core.fusion.models import FusionConfig, build_model
from core.jobs import CancelCheck, ProgressFn, check_cancel, never_cancelled, null_progress


@dataclass
class TrainConfig(FusionConfig):
    num_epochs: int = 30
    batch_size: int = 32
    lr: float = 1e-3
    loss: str = "ce"  # ce | cb | paco
    beta: float = 0.9999  # class-balanced loss
    seed: int = 0
    device: str = "cpu"
    fine_tune: bool = False  # train the image backbone too (slow: images decoded every epoch)
    backbone_lr_scale: float = 0.1


@dataclass
class EpochReport:
    epoch: int
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float
    val_macro_f1: float
    sim_vision: list[float] | None  # mean cosine of val samples to their true class, per class
    sim_sensor: list[float] | None
    vision_weight: float | None
    sensor_weight: float | None
    seconds: float


@dataclass
class TrainResult:
    config: TrainConfig
    model: torch.nn.Module
    history: list[EpochReport]
    val: dict
    test: dict
    split: tuple  # (train, val, test) indices
    sensor_mean: np.ndarray
    sensor_std: np.ndarray
    class_names: tuple[str, ...]
    feature_source: str = ""
    vision: np.ndarray | None = None  # after fine-tuning: the features the final model sees

    def summary(self) -> dict:
        return {"config": asdict(self.config), "feature_source": self.feature_source,
                "test_accuracy": self.test["accuracy"], "test_macro_f1": self.test["macro_f1"],
                "val_accuracy": self.val["accuracy"], "val_macro_f1": self.val["macro_f1"],
                "epochs": len(self.history)}


def metrics(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> dict:
    cm = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    tp = np.diag(cm).astype(float)
    precision = np.divide(tp, cm.sum(0), out=np.zeros(num_classes), where=cm.sum(0) > 0)
    recall = np.divide(tp, cm.sum(1), out=np.zeros(num_classes), where=cm.sum(1) > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(num_classes),
                   where=(precision + recall) > 0)
    return {"accuracy": float(tp.sum() / max(cm.sum(), 1)), "macro_f1": float(f1.mean()),
            "precision": precision.tolist(), "recall": recall.tolist(), "f1": f1.tolist(),
            "confusion": cm.tolist()}


def _set_seed(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)


@torch.no_grad()
def predict(model, vision: np.ndarray, sensors: np.ndarray, temperature=None, vision_weight=None,
            sensor_weight=None, batch_size: int = 1024, device: str = "cpu") -> dict:
    """Outputs for all samples (numpy); the overrides re-run inference with other settings."""
    model.eval()
    outs: dict[str, list] = {}
    for i in range(0, len(sensors), batch_size):
        out = model(torch.as_tensor(vision[i:i + batch_size], device=device),
                    torch.as_tensor(sensors[i:i + batch_size], device=device),
                    temperature=temperature, vision_weight=vision_weight, sensor_weight=sensor_weight)
        for k, v in out.items():
            outs.setdefault(k, []).append(v.float().cpu().numpy())
    return {k: np.concatenate(v) for k, v in outs.items()}


def evaluate(model, vision, sensors, labels, num_classes, **overrides) -> dict:
    out = predict(model, vision, sensors, **overrides)
    pred = out["logits"].argmax(1)
    result = metrics(labels, pred, num_classes)
    result["outputs"] = out
    return result


def _backbone_features(encoder, paths: list[str], train_mode: bool, batch_size: int = 32) -> torch.Tensor:
    from core.images import open_image

    encoder.model.train(train_mode)
    out = []
    for i in range(0, len(paths), batch_size):
        x = torch.stack([encoder.preprocess(open_image(p)) for p in paths[i:i + batch_size]]).to(encoder.device)
        out.append(encoder.forward(x))
    return torch.cat(out)


def train(cfg: TrainConfig, data: FusionData, vision: np.ndarray, split=None,
          progress: ProgressFn = null_progress, cancelled: CancelCheck = never_cancelled,
          on_epoch=None, feature_source: str = "", backbone=None) -> TrainResult:
    """Train on the train split, pick the epoch with the best val macro-F1, report test.

    ``vision`` holds frozen (cached) features. With ``cfg.fine_tune`` and a
    ``backbone`` (an image encoder from the registry), the backbone is trained
    too: train batches run through it with gradients, and val/test features are
    recomputed with it after every epoch.
    """
    if cfg.fine_tune and backbone is None:
        raise ValueError("fine-tuning needs the image backbone (an encoder from the model registry)")
    _set_seed(cfg.seed)
    cfg.sensor_dim = data.sensors.shape[1]
    cfg.num_classes = len(data.class_names)
    tr, va, te = split if split is not None else stratified_split(data.labels, seed=cfg.seed)
    empty = [name for name, part in (("training", tr), ("validation", va), ("test", te)) if not len(part)]
    if empty:
        counts = np.bincount(data.labels, minlength=len(data.class_names))
        raise ValueError(f"{len(data)} samples are too few: the {' and '.join(empty)} split would be empty "
                         f"(70/15/15 by class; each class needs at least 6 samples, the fewest here has "
                         f"{int(counts.min())})")
    mean = data.sensors[tr].mean(0)
    std = data.sensors[tr].std(0) + 1e-6  # statistics from the train split only
    sensors = ((data.sensors - mean) / std).astype(np.float32)
    vision = np.asarray(vision, np.float32)
    labels = data.labels
    model = build_model(cfg).to(cfg.device)
    with torch.no_grad():
        feat_dim = model(torch.as_tensor(vision[:2]), torch.as_tensor(sensors[:2]))["features"].shape[1]
    counts = np.bincount(labels[tr], minlength=cfg.num_classes)
    loss_fn = make_loss(cfg.loss, counts, cfg.num_classes, feat_dim, cfg.beta).to(cfg.device)
    groups = [{"params": list(model.parameters()) + list(loss_fn.parameters()), "lr": cfg.lr}]
    if cfg.fine_tune:
        groups.append({"params": list(backbone.model.parameters()), "lr": cfg.lr * cfg.backbone_lr_scale})
    opt = torch.optim.Adam(groups)
    vision = vision.copy()
    gen = torch.Generator().manual_seed(cfg.seed)
    history: list[EpochReport] = []
    best_state, best_f1 = None, -1.0
    v_tr, s_tr, y_tr = (torch.as_tensor(vision[tr]), torch.as_tensor(sensors[tr]), torch.as_tensor(labels[tr]))
    for epoch in range(cfg.num_epochs):
        t0 = time.perf_counter()
        model.train()
        order = torch.randperm(len(tr), generator=gen)
        total, correct, n = 0.0, 0, 0
        steps = max(1, (len(tr) + cfg.batch_size - 1) // cfg.batch_size)
        for step in range(steps):
            check_cancel(cancelled)
            idx = order[step * cfg.batch_size:(step + 1) * cfg.batch_size]
            if cfg.fine_tune:
                v_batch = _backbone_features(backbone, [data.images[tr[int(i)]] for i in idx], True)
            else:
                v_batch = v_tr[idx].to(cfg.device)
            out = model(v_batch, s_tr[idx].to(cfg.device))
            y = y_tr[idx].to(cfg.device)
            loss = loss_fn(out["logits"], y, out.get("features"))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
            correct += int((out["logits"].argmax(1) == y).sum())
            n += len(idx)
            progress((epoch + (step + 1) / steps) / cfg.num_epochs, f"epoch {epoch + 1}/{cfg.num_epochs}")
        if cfg.fine_tune:  # the backbone moved: val/test see its current features
            with torch.no_grad():
                rows = np.concatenate([va, te])
                vision[rows] = _backbone_features(backbone, [data.images[i] for i in rows], False).cpu().numpy()
        val = evaluate(model, vision[va], sensors[va], labels[va], cfg.num_classes)
        with torch.no_grad():
            out = val["outputs"]
            val_loss = float(torch.nn.functional.cross_entropy(torch.as_tensor(out["logits"]),
                                                               torch.as_tensor(labels[va])))
        report = EpochReport(
            epoch=epoch + 1, train_loss=total / n, train_acc=correct / n, val_loss=val_loss,
            val_acc=val["accuracy"], val_macro_f1=val["macro_f1"],
            sim_vision=_true_class_sims(out.get("sim_vision"), labels[va], cfg.num_classes),
            sim_sensor=_true_class_sims(out.get("sim_sensor"), labels[va], cfg.num_classes),
            vision_weight=float(model.vision_weight.detach()) if hasattr(model, "vision_weight") else None,
            sensor_weight=float(model.sensor_weight.detach()) if hasattr(model, "sensor_weight") else None,
            seconds=time.perf_counter() - t0)
        history.append(report)
        if val["macro_f1"] > best_f1:
            best_f1 = val["macro_f1"]
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            best_vision = vision.copy()
            if cfg.fine_tune:
                best_backbone = {k: v.detach().clone() for k, v in backbone.model.state_dict().items()}
        if on_epoch is not None:
            on_epoch(report)
    model.load_state_dict(best_state)
    vision = best_vision
    if cfg.fine_tune:
        backbone.model.load_state_dict(best_backbone)
        backbone.model.eval()
    val = evaluate(model, vision[va], sensors[va], labels[va], cfg.num_classes)
    test = evaluate(model, vision[te], sensors[te], labels[te], cfg.num_classes)
    return TrainResult(cfg, model, history, val, test, (tr, va, te), mean, std, data.class_names,
                       feature_source + (" (fine-tuned)" if cfg.fine_tune else ""),
                       vision if cfg.fine_tune else None)  # unchanged frozen features are not sent back


def _true_class_sims(sims, labels, num_classes) -> list[float] | None:
    if sims is None:
        return None
    return [float(sims[labels == c, c].mean()) if (labels == c).any() else float("nan")
            for c in range(num_classes)]


SWEEP_GRID = {"temperature": (0.05, 0.1, 0.5), "embedding_dim": (256, 512, 1024), "lr": (1e-4, 1e-3, 1e-2)}


@dataclass
class SweepRow:
    temperature: float
    embedding_dim: int
    lr: float
    val_macro_f1: float
    val_accuracy: float
    test_macro_f1: float
    seconds: float
    extra: dict = field(default_factory=dict)


def sweep(base: TrainConfig, data: FusionData, vision: np.ndarray, grid: dict | None = None,
          progress: ProgressFn = null_progress, cancelled: CancelCheck = never_cancelled,
          on_row=None) -> list[SweepRow]:
    """Every combination of the grid on one fixed split; rows sorted best val macro-F1 first."""
    grid = grid or SWEEP_GRID
    combos = list(itertools.product(grid["temperature"], grid["embedding_dim"], grid["lr"]))
    split = stratified_split(data.labels, seed=base.seed)
    rows = []
    for i, (t, e, lr) in enumerate(combos):
        check_cancel(cancelled)
        cfg = TrainConfig(**{**asdict(base), "temperature": t, "embedding_dim": e, "lr": lr})
        t0 = time.perf_counter()
        res = train(cfg, data, vision, split, cancelled=cancelled)
        row = SweepRow(t, e, lr, res.val["macro_f1"], res.val["accuracy"], res.test["macro_f1"],
                       time.perf_counter() - t0)
        rows.append(row)
        if on_row is not None:
            on_row(row)
        progress((i + 1) / len(combos), f"{i + 1} of {len(combos)} settings")
    return sorted(rows, key=lambda r: -r.val_macro_f1)


def train_in_child(cfg: TrainConfig, data: FusionData, vision: np.ndarray, backbone_preset: str | None = None,
                   feature_source: str = "", emit=None) -> TrainResult:
    """``train`` for :func:`core.process.run_in_process`: epochs and progress go out through ``emit``."""
    backbone = None
    if cfg.fine_tune:
        from core.models.loaders import load

        backbone = load(backbone_preset or "effnet-lite0", cfg.device)
    return train(cfg, data, vision, progress=lambda f, m=None: emit("progress", (f, m)),
                 on_epoch=lambda r: emit("epoch", r), feature_source=feature_source, backbone=backbone)


def sweep_in_child(base: TrainConfig, data: FusionData, vision: np.ndarray, grid: dict | None = None,
                   emit=None) -> list[SweepRow]:
    return sweep(base, data, vision, grid, progress=lambda f, m=None: emit("progress", (f, m)),
                 on_row=lambda r: emit("row", r))
