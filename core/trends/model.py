"""The forecaster: per day, image tokens attend to text tokens (cross-attention) and are pooled;
a numeric MLP maps the day's 3 counts to the same width; the two are concatenated; an LSTM
reads the 60 days; a 3-class trend head and a proportion head read its last state.

Training and evaluation use a time-based split (``core.trends.data.time_split``); the
baselines (majority class, last-window share, the numeric-only model) are reported beside it.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core.jobs import CancelCheck, Cancelled, ProgressFn, never_cancelled, null_progress
from core.trends.data import WINDOW, Labels, Split, tertile_cuts, trend_classes
from core.trends.features import DayTokens


@dataclass
class TrendConfig:
    hidden: int = 128  # the write-up used 1024
    heads: int = 4
    epochs: int = 30
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 1e-4
    reg_weight: float = 1.0
    use_content: bool = True  # False: the numeric-only model (a baseline)
    seed: int = 0
    device: str = "cpu"
    window: int = WINDOW


class TrendModel(nn.Module):
    def __init__(self, image_dim: int, text_dim: int, cfg: TrendConfig) -> None:
        super().__init__()
        h = cfg.hidden
        self.use_content = cfg.use_content
        self.image_proj = nn.Linear(image_dim, h)
        self.text_proj = nn.Linear(text_dim, h)
        self.cross = nn.MultiheadAttention(h, cfg.heads, batch_first=True)
        self.numeric = nn.Sequential(nn.Linear(3, h), nn.ReLU(), nn.Linear(h, h))
        self.lstm = nn.LSTM(2 * h, h, batch_first=True)
        self.trend_head = nn.Linear(h, 3)
        self.proportion_head = nn.Linear(h, 1)

    def forward(self, image, text, mask, numeric):
        b, t, p, _ = image.shape
        if self.use_content:
            q = self.image_proj(image.reshape(b * t, p, -1))
            kv = self.text_proj(text.reshape(b * t, p, -1))
            m = mask.reshape(b * t, p)
            safe = m.clone()
            safe[:, 0] |= ~m.any(1)  # a day without posts: attend to a zero token, then drop it
            fused, _ = self.cross(q, kv, kv, key_padding_mask=~safe)
            w = m.unsqueeze(-1).float()
            pooled = ((fused * w).sum(1) / w.sum(1).clamp(min=1)).reshape(b, t, -1)
        else:
            pooled = torch.zeros(b, t, self.image_proj.out_features, device=image.device)
        x = torch.cat([pooled, self.numeric(numeric)], dim=-1)
        out, _ = self.lstm(x)
        last = out[:, -1]
        return self.trend_head(last), self.proportion_head(last).squeeze(-1)


@dataclass
class EpochLog:
    epoch: int
    train_loss: float
    val_loss: float  # the latest training windows, held out to pick the epoch
    test_loss: float  # shown, never used to choose anything
    test_accuracy: float
    seconds: float


@dataclass
class TrendResult:
    config: TrendConfig
    model: nn.Module
    history: list[EpochLog]
    cuts: tuple[float, float]
    numeric_mean: np.ndarray
    numeric_std: np.ndarray
    prop_scale: float
    test_pred: dict = field(default_factory=dict)  # class, proportion for the test samples


def _batch(tokens: DayTokens, labels: Labels, idx, mean, std, window, device):
    img, txt, msk, num = [], [], [], []
    for i in idx:
        c, e = labels.category[i], labels.end_day[i]
        s = slice(e - window + 1, e + 1)
        img.append(tokens.image[c, s])
        txt.append(tokens.text[c, s])
        msk.append(tokens.mask[c, s])
        num.append((tokens.numeric[c, s] - mean) / std)
    f = lambda a, dt=torch.float32: torch.from_numpy(np.stack(a)).to(device=device, dtype=dt)  # noqa: E731
    return f(img), f(txt), f(msk, torch.bool), f(num)


def train_trends(tokens: DayTokens, labels: Labels, split: Split, cfg: TrendConfig,
                 progress: ProgressFn = null_progress, cancelled: CancelCheck = never_cancelled,
                 on_epoch=None) -> TrendResult:
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    train, test = split.train, split.test
    ends = labels.end_day[train]
    val_from = np.quantile(ends, 0.8)
    fit, val = train[ends < val_from], train[ends >= val_from]  # the latest training windows pick the epoch
    cuts = tertile_cuts(labels.proportion[train])  # from training samples only
    y_cls = torch.from_numpy(trend_classes(labels.proportion, cuts) + 1)  # -1/0/1 → 0/1/2
    scale = float(labels.proportion[train].mean()) or 1.0
    y_reg = torch.from_numpy(labels.proportion / scale)
    days = sorted({d for i in train for d in range(labels.end_day[i] - cfg.window + 1, labels.end_day[i] + 1)})
    seen = tokens.numeric[:, days].reshape(-1, 3)
    mean, std = seen.mean(0), seen.std(0) + 1e-6
    model = TrendModel(tokens.image.shape[-1], tokens.text.shape[-1], cfg).to(cfg.device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    history = []
    best, best_state = np.inf, None
    for epoch in range(cfg.epochs):
        t0 = time.perf_counter()
        model.train()
        order = rng.permutation(fit)
        losses = []
        starts = range(0, len(order), cfg.batch_size)
        for n, b in enumerate(starts, 1):
            if cancelled():
                raise Cancelled()
            idx = order[b : b + cfg.batch_size]
            logits, prop = model(*_batch(tokens, labels, idx, mean, std, cfg.window, cfg.device))
            loss = F.cross_entropy(logits, y_cls[idx].to(cfg.device)) + \
                cfg.reg_weight * F.mse_loss(prop, y_reg[idx].to(cfg.device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
            # from the first batch on, not only at each epoch's end (a bar at 0 % for a minute)
            progress((epoch + n / (len(starts) + 1)) / cfg.epochs,
                     f"Epoch {epoch + 1}/{cfg.epochs}: batch {n} of {len(starts)}, loss {np.mean(losses):.3f}")
        val_loss, _, _ = _evaluate(model, tokens, labels, val, mean, std, cfg, y_cls, y_reg)
        test_loss, pred_cls, _ = _evaluate(model, tokens, labels, test, mean, std, cfg, y_cls, y_reg)
        acc = float((pred_cls == y_cls[test].numpy()).mean())
        train_loss = float(np.mean(losses))
        log = EpochLog(epoch + 1, train_loss, val_loss, test_loss, acc, time.perf_counter() - t0)
        history.append(log)
        if val_loss < best:  # the epoch is chosen on validation; the test split is never looked at
            best, best_state = val_loss, {k: v.detach().clone() for k, v in model.state_dict().items()}
        progress((epoch + 1) / cfg.epochs, f"Epoch {epoch + 1}/{cfg.epochs}: loss {train_loss:.3f}")
        if on_epoch:
            on_epoch(log)
    model.load_state_dict(best_state)
    result = TrendResult(cfg, model.cpu().eval(), history, cuts, mean, std, scale)
    cfg_cpu = TrendConfig(**{**asdict(cfg), "device": "cpu"})
    _, pred_cls, pred_prop = _evaluate(result.model, tokens, labels, test, mean, std, cfg_cpu, y_cls, y_reg)
    result.test_pred = {"class": pred_cls - 1, "proportion": pred_prop * scale}
    return result


def _evaluate(model, tokens, labels, idx, mean, std, cfg, y_cls, y_reg):
    model.eval()
    losses, classes, props = [], [], []
    with torch.no_grad():
        for b in range(0, len(idx), 64):
            part = idx[b : b + 64]
            logits, prop = model(*_batch(tokens, labels, part, mean, std, cfg.window, cfg.device))
            losses.append(float(F.cross_entropy(logits, y_cls[part].to(cfg.device))
                                + cfg.reg_weight * F.mse_loss(prop, y_reg[part].to(cfg.device))) * len(part))
            classes.append(logits.argmax(1).cpu().numpy())
            props.append(prop.cpu().numpy())
    return float(np.sum(losses) / max(len(idx), 1)), np.concatenate(classes), np.concatenate(props)


def predict(result: TrendResult, tokens: DayTokens, labels: Labels, idx) -> tuple[np.ndarray, np.ndarray]:
    """(trend class −1/0/1, proportion) for samples ``idx``."""
    cfg = TrendConfig(**{**asdict(result.config), "device": "cpu"})
    y = torch.zeros(len(labels.proportion), dtype=torch.long)
    _, cls, prop = _evaluate(result.model, tokens, labels, np.asarray(idx), result.numeric_mean,
                             result.numeric_std, cfg, y, torch.zeros(len(labels.proportion)))
    return cls - 1, prop * result.prop_scale
