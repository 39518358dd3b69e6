"""SimCLR for logos: a timm backbone (Swin-T by default) + projection head, NT-Xent with
false-negative re-weighting, logo-suited augmentations, cosine schedule with warm-up,
checkpoints every epoch (pause = stop after an epoch, resume = start from its checkpoint).

Differences from the write-up, on purpose:

* the re-weighting threshold is applied to the cosine similarity; the write-up compared
  the temperature-scaled logits (cos / T) with 0.9, so at T = 0.5 every negative with
  cos > 0.45 was down-weighted;
* the positive mask is built with tensor ops, not a Python loop;
* contrast inversion is one of the augmentations (reversed contrast is a main failure
  of logo retrieval in the METU trademark study);
* logos that are perceptual-hash duplicates of each other are never in one batch, so
  they are never used as each other's negatives;
* when the files carry labels (the brands of ``logos.json``), files of one brand are extra
  positives (supervised contrastive loss, Khosla et al. 2020, with the same re-weighting of
  negatives) and batches are made so each brand's files meet;
* segment-level augmentations (recolouring by channel permutation, a part of the mark
  erased), which the best METU trademark results used;
* the backbone's stem and first ``freeze_blocks`` stages keep their ImageNet weights (and
  batch-norm statistics): generic edge and texture filters a few thousand logos would not
  improve, and skipping their backward pass doubles the training speed on a CPU.
"""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core.jobs import CancelCheck, Cancelled, ProgressFn, never_cancelled, null_progress
from core.logos.settings import MIN_FOR_VALIDATION, TrainSettings


def nt_xent_loss_with_reweighting(z_i: torch.Tensor, z_j: torch.Tensor, temperature: float = 0.5,
                                  similarity_threshold: float = 0.9, negative_weight: float = 0.7) -> torch.Tensor:
    """NT-Xent over 2B views; negatives whose cosine similarity exceeds the threshold (likely
    false negatives) have their logit scaled by ``negative_weight``; positives always weigh 1.
    ``similarity_threshold`` > 1 turns re-weighting off (plain NT-Xent). It is
    :func:`supcon_loss` with every file its own label (the only positive: its other view)."""
    labels = torch.arange(z_i.size(0), device=z_i.device)
    return supcon_loss(z_i, z_j, labels, temperature, similarity_threshold, negative_weight)


def supcon_loss(z_i: torch.Tensor, z_j: torch.Tensor, labels: torch.Tensor, temperature: float = 0.1,
                similarity_threshold: float = 0.9, negative_weight: float = 0.7) -> torch.Tensor:
    """Supervised contrastive loss (SupCon "out": the mean over an anchor's positives of their
    log-probability) over 2B views; positives are the other view and every view of a file with
    the same label; negatives above the cosine threshold (likely false negatives) have their logit
    scaled by ``negative_weight``. With all labels distinct it is NT-Xent (checked against
    pytorch-metric-learning's and an independent one in the tests)."""
    b = z_i.size(0)
    z = F.normalize(torch.cat([z_i, z_j]), dim=1)
    cos = z @ z.T
    eye = torch.eye(2 * b, dtype=torch.bool, device=z.device)
    lab = torch.cat([labels, labels]).to(z.device)
    positive = (lab[:, None] == lab[None, :]) & ~eye
    with torch.no_grad():
        weights = torch.ones_like(cos)
        weights[(cos > similarity_threshold) & ~positive & ~eye] = negative_weight
    logits = (cos / temperature * weights).masked_fill(eye, float("-inf"))
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    per_anchor = log_prob.masked_fill(~positive, 0).sum(1) / positive.sum(1)
    return -per_anchor.mean()


def freeze_early(backbone: nn.Module, blocks: int) -> list[nn.Module]:
    """Freeze the stem and the first ``blocks`` stages of a timm EfficientNet (``conv_stem``,
    ``bn1``, ``blocks``) or Swin (``patch_embed``, ``layers``); the frozen modules are returned
    so training can keep them in eval mode (their batch-norm statistics stay ImageNet's)."""
    if blocks <= 0:
        return []
    if hasattr(backbone, "conv_stem") and hasattr(backbone, "blocks"):
        frozen = [backbone.conv_stem, backbone.bn1, *list(backbone.blocks)[:blocks]]
    elif hasattr(backbone, "patch_embed") and hasattr(backbone, "layers"):
        frozen = [backbone.patch_embed, *list(backbone.layers)[: min(blocks, 2)]]  # of its 4 stages
    else:
        return []
    for module in frozen:
        for param in module.parameters():
            param.requires_grad_(False)
    return frozen


def features_backbone(model: nn.Module) -> nn.Module:
    """A copy of a timm model that returns pooled features (its classifier removed)."""
    import copy

    model = copy.deepcopy(model)
    if hasattr(model, "reset_classifier"):
        model.reset_classifier(0)
    return model


class ProjectionHead(nn.Module):
    def __init__(self, in_dim: int, projection_dim: int = 128, hidden_dim: int = 512) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_dim, hidden_dim), nn.BatchNorm1d(hidden_dim), nn.ReLU(inplace=True),
                                 nn.Linear(hidden_dim, projection_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class SimCLRModel(nn.Module):
    """backbone (head removed) → features (for retrieval) → projection (for the loss)."""

    def __init__(self, backbone: nn.Module, projection_dim: int = 128, hidden_dim: int = 512) -> None:
        super().__init__()
        self.backbone = backbone
        self.feature_dim = backbone.num_features
        self.projection_head = ProjectionHead(self.feature_dim, projection_dim, hidden_dim)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.projection_head(self.backbone(x))


def augmentations(size: int, invert: bool = True):
    """Two random views of a logo: crops, colour jitter, recolouring (channel permutation),
    grayscale, small rotations, blur, mirror, contrast inversion, and a part of the mark erased."""
    from torchvision.transforms import v2

    return v2.Compose([
        v2.RandomResizedCrop(size, scale=(0.5, 1.0), ratio=(0.75, 1.33)),
        v2.RandomHorizontalFlip(),
        v2.RandomApply([v2.RandomRotation(15, fill=255)], p=0.5),
        v2.RandomApply([v2.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
        v2.RandomApply([v2.RandomChannelPermutation()], p=0.2),
        v2.RandomGrayscale(p=0.2),
        v2.RandomInvert(p=0.2 if invert else 0.0),
        v2.RandomApply([v2.GaussianBlur(5, sigma=(0.1, 2.0))], p=0.3),
        v2.ToImage(),
        v2.ToDtype(torch.float32, scale=True),
        v2.RandomErasing(p=0.25, scale=(0.02, 0.12), value=1.0),  # a part of the mark, painted white
        v2.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    ])


def eval_transform(size: int):
    from torchvision.transforms import v2

    return v2.Compose([v2.Resize((size, size)), v2.ToImage(), v2.ToDtype(torch.float32, scale=True),
                       v2.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])


def lr_at(step: int, total: int, warmup: int, base: float) -> float:
    """Linear warm-up, then cosine decay to 0."""
    if step < warmup:
        return base * (step + 1) / warmup
    t = (step - warmup) / max(1, total - warmup)
    return base * 0.5 * (1 + math.cos(math.pi * min(t, 1.0)))


def batches_without_duplicates(n: int, groups: list[list[int]], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches in which no two members of one duplicate group meet."""
    group_of = {i: g for g, members in enumerate(groups) for i in members}
    order = list(range(n))
    rng.shuffle(order)
    batches: list[list[int]] = []
    open_batches: list[tuple[list[int], set[int]]] = []
    for i in order:
        g = group_of.get(i)
        for batch, seen in open_batches:
            if len(batch) < batch_size and (g is None or g not in seen):
                batch.append(i)
                if g is not None:
                    seen.add(g)
                break
        else:
            open_batches.append(([i], {g} if g is not None else set()))
        full = [b for b in open_batches if len(b[0]) == batch_size]
        for b in full:
            batches.append(b[0])
            open_batches.remove(b)
    batches += [b for b, _ in open_batches if len(b) >= 2]  # NT-Xent needs two or more
    return batches


def batches_by_label(labels: list[int], batch_size: int, rng: random.Random, per_label: int = 4) -> list[list[int]]:
    """Shuffled batches in which the files of one label (a brand) travel together (up to
    ``per_label`` of them, the rest in later batches), so a brand's files meet as positives."""
    members: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        members.setdefault(label, []).append(i)
    chunks: list[list[int]] = []
    for group in members.values():
        rng.shuffle(group)
        chunks += [group[k : k + per_label] for k in range(0, len(group), per_label)]
    rng.shuffle(chunks)
    batches: list[list[int]] = [[]]
    for chunk in chunks:
        if len(batches[-1]) + len(chunk) > batch_size:
            batches.append([])
        batches[-1].extend(chunk)
    return [b for b in batches if len(b) >= 2]


def merged_labels(n: int, labels: list[int] | None, duplicate_groups: list[list[int]]) -> list[int]:
    """One label per file: the given ones (or each file its own), with perceptual-hash
    duplicates joined to one label, so they are positives rather than negatives."""
    from core.vectors import components

    out = list(labels) if labels is not None else list(range(n))
    values, node = np.unique(np.asarray(out), return_inverse=True)  # a node per label value
    pairs = [(node[group[0]], node[i]) for group in duplicate_groups for i in group[1:]]
    joined = components(len(values), [a for a, _ in pairs], [b for _, b in pairs])
    first: dict[int, int] = {}  # each joined label: the label of its first file
    for x, c in zip(out, joined[node], strict=True):
        first.setdefault(int(c), x)
    return [first[int(c)] for c in joined[node]]


@dataclass
class EpochLog:
    epoch: int
    train_loss: float
    val_loss: float
    lr: float
    seconds: float


@dataclass
class TrainState:
    settings: TrainSettings
    files: list[str]
    history: list[EpochLog] = field(default_factory=list)
    run_dir: str = ""
    finished: bool = False


def _load_views(files, idx, transform, loader, size):
    a, b = [], []
    for i in idx:
        im = loader(files[i], size)
        a.append(transform(im))
        b.append(transform(im))
    return torch.stack(a), torch.stack(b)


def bf16_is_native(device: str) -> bool:
    """True where bf16 matmuls/convolutions run in hardware: CPUs with AMX or AVX-512-BF16, CUDA
    GPUs that support it. Elsewhere (e.g. an AVX2-only CPU) autocast to bf16 is emulated and slower."""
    if str(device).startswith("cuda"):
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if str(device) != "cpu":
        return False
    cpu = getattr(torch, "cpu", None)
    checks = [getattr(cpu, name, None) for name in ("_is_amx_tile_supported", "_is_avx512_bf16_supported")]
    return any(check() for check in checks if check is not None)


def use_bf16(settings: TrainSettings) -> bool:
    """The precision a run trains in: ``settings.precision`` "bf16" / "fp32", or "auto" (bf16 where native)."""
    if settings.precision not in ("auto", "bf16", "fp32"):
        raise ValueError(f"precision must be auto, bf16 or fp32, not {settings.precision!r}")
    return settings.precision == "bf16" or (settings.precision == "auto" and bf16_is_native(settings.device))


class RasterMemo:
    """``loader(file, size)`` remembered for the run: each logo is rasterised (SVG) or decoded once
    per size, not twice per epoch; beyond ``max_bytes`` of pixels, new ones are not kept."""

    def __init__(self, loader, max_bytes: int = 1_500_000_000) -> None:
        self.loader, self.max_bytes, self.used = loader, max_bytes, 0
        self.kept: dict[tuple[str, int], object] = {}

    def __call__(self, file: str, size: int):
        key = (file, size)
        im = self.kept.get(key)
        if im is None:
            im = self.loader(file, size)
            cost = im.width * im.height * len(im.getbands())
            if self.used + cost <= self.max_bytes:
                self.kept[key] = im
                self.used += cost
        return im


def train_simclr(files: list[str], settings: TrainSettings, backbone: nn.Module, run_dir: str | Path,
                 duplicate_groups: list[list[int]] | None = None, resume: str | Path | None = None,
                 progress: ProgressFn = null_progress, cancelled: CancelCheck = never_cancelled,
                 pause=None, on_epoch=None, loader=None, labels: list[int] | None = None) -> TrainState:
    """Train; ``labels`` (one int per file, e.g. its brand) turn on brand positives (SupCon).
    A checkpoint (model, optimiser, state) is written after every epoch to
    ``run_dir/checkpoint.pt`` with ``params.json`` and ``losses.csv`` beside it.
    ``pause()`` true → stop after the current epoch (resume later from the checkpoint);
    ``cancelled()`` true → stop at the next batch, keeping the last checkpoint."""
    from core.logos.images import load_logo

    loader = RasterMemo(loader or load_logo)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    random.seed(settings.seed)
    np.random.seed(settings.seed)
    torch.manual_seed(settings.seed)
    model = SimCLRModel(backbone, settings.projection_dim, settings.hidden_dim).to(settings.device)
    model = model.to(memory_format=torch.channels_last)  # NHWC: faster convolutions on CPU (oneDNN) and GPU
    frozen = freeze_early(model.backbone, settings.freeze_blocks)
    bf16 = use_bf16(settings)
    trainable = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trainable, lr=settings.lr, weight_decay=settings.weight_decay)
    state = TrainState(settings, list(files), run_dir=str(run_dir))
    start_epoch = 0
    if resume:
        from core.models.loaders import load_checkpoint

        ck = load_checkpoint(resume, ("model", "optimizer", "history"), "SimCLR checkpoint", settings.device)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        state.history = [EpochLog(**h) for h in ck["history"]]
        start_epoch = len(state.history)
    rng = random.Random(settings.seed)
    order = list(range(len(files)))
    rng.shuffle(order)
    n_val = max(2, int(len(files) * settings.val_fraction)) if len(files) >= MIN_FOR_VALIDATION else 0
    val_idx, train_idx = order[:n_val], order[n_val:]
    if len(train_idx) < 2:
        raise ValueError("training needs at least 2 logos")
    groups = [[train_idx.index(i) for i in g if i in set(train_idx)] for g in (duplicate_groups or [])]
    groups = [g for g in groups if len(g) > 1]
    train_labels = val_labels = None
    if labels is not None:
        if len(labels) != len(files):
            raise ValueError(f"{len(labels)} labels for {len(files)} files")
        train_labels = merged_labels(len(train_idx), [labels[i] for i in train_idx], groups)
        val_labels = [labels[i] for i in val_idx]
    aug = augmentations(settings.image_size, settings.invert)
    steps_per_epoch = max(1, math.ceil(len(train_idx) / settings.batch_size))
    total = steps_per_epoch * settings.epochs
    warmup = steps_per_epoch * settings.warmup_epochs
    from core.fileio import atomic_write_text

    atomic_write_text(run_dir / "params.json", json.dumps(asdict(settings), indent=2))
    for epoch in range(start_epoch, settings.epochs):
        t0 = time.perf_counter()
        model.train()
        for module in frozen:
            module.eval()
        erng = random.Random(settings.seed * 1000 + epoch)
        losses = []
        if train_labels is not None:
            batches = batches_by_label(train_labels, settings.batch_size, erng)
        else:
            batches = batches_without_duplicates(len(train_idx), groups, settings.batch_size, erng)
        for b, batch in enumerate(batches):
            if cancelled():
                raise Cancelled()
            # views made here, not on a prefetch thread: the augmentations and the model's drop-path
            # share torch's random generator, and interleaving them made a seeded run unrepeatable
            xa, xb = _load_views(files, [train_idx[i] for i in batch], aug, loader, settings.image_size)
            step = epoch * steps_per_epoch + b
            lr = lr_at(step, total, warmup, settings.lr)
            for g in opt.param_groups:
                g["lr"] = lr
            loss = _loss(model, xa, xb, settings, bf16, None if train_labels is None
                         else [train_labels[i] for i in batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
            progress((epoch + (b + 1) / len(batches)) / settings.epochs,
                     f"Epoch {epoch + 1}/{settings.epochs}: loss {np.mean(losses):.3f}")
        val_loss = float("nan")
        if val_idx:
            model.eval()
            with torch.no_grad():
                vl = []
                g = torch.Generator().manual_seed(epoch)
                torch.manual_seed(int(torch.randint(0, 2**31, (1,), generator=g)))
                for i in range(0, len(val_idx), settings.batch_size):
                    chunk = val_idx[i : i + settings.batch_size]
                    if len(chunk) < 2:
                        continue
                    xa, xb = _load_views(files, chunk, aug, loader, settings.image_size)
                    chunk_labels = None if val_labels is None else val_labels[i : i + settings.batch_size]
                    vl.append(float(_loss(model, xa, xb, settings, bf16, chunk_labels)))
                val_loss = float(np.mean(vl)) if vl else float("nan")
        log = EpochLog(epoch + 1, float(np.mean(losses)), val_loss, lr, time.perf_counter() - t0)
        state.history.append(log)
        from core.fileio import atomic_write

        with atomic_write(run_dir / "checkpoint.pt", "wb") as fh:  # a kill mid-save keeps the last one
            torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                        "history": [asdict(h) for h in state.history], "settings": asdict(settings),
                        "feature_dim": model.feature_dim}, fh)
        with atomic_write(run_dir / "losses.csv") as fh:
            fh.write("epoch,train_loss,val_loss,lr,seconds\n")
            fh.writelines(f"{h.epoch},{h.train_loss:.6f},{h.val_loss:.6f},{h.lr:.3e},{h.seconds:.2f}\n"
                          for h in state.history)
        if on_epoch:
            on_epoch(log)
        if pause is not None and pause() and epoch + 1 < settings.epochs:
            return state
    state.finished = True
    return state


def _loss(model: nn.Module, xa: torch.Tensor, xb: torch.Tensor, settings: TrainSettings, bf16: bool,
          labels: list[int] | None = None) -> torch.Tensor:
    """NT-Xent of one batch (SupCon when the files carry labels): both views in one forward pass
    (one batch-norm batch, as before with two passes in train mode the statistics were per view),
    in bf16 autocast when asked; the loss itself in fp32."""
    device = settings.device
    x = torch.cat([xa, xb]).to(device, non_blocking=True).contiguous(memory_format=torch.channels_last)
    with torch.autocast(device_type=str(device).split(":")[0], dtype=torch.bfloat16, enabled=bf16):
        z = model(x)
    z = z.float()
    if labels is not None:
        return supcon_loss(z[: len(xa)], z[len(xa):], torch.as_tensor(labels), settings.temperature,
                           settings.threshold, settings.negative_weight)
    return nt_xent_loss_with_reweighting(z[: len(xa)], z[len(xa):], settings.temperature, settings.threshold,
                                         settings.negative_weight)


def load_trained_backbone(checkpoint: str | Path, backbone: nn.Module) -> SimCLRModel:
    from core.models.loaders import load_checkpoint

    ck = load_checkpoint(checkpoint, ("settings", "model"), "trained logo model")
    s = ck["settings"]
    model = SimCLRModel(backbone, s["projection_dim"], s["hidden_dim"])
    model.load_state_dict(ck["model"])
    return model.eval()


def train_in_child(files: list[str], settings: TrainSettings, run_dir: str, groups: list[list[int]],
                   resume: str | None = None, tiny: bool = False, emit=None) -> dict:
    """``train_simclr`` for :func:`core.process.run_in_process` (training in a thread would starve
    the UI of the GIL). Pause: the GUI creates ``run_dir/pause.request``; the child stops after
    the epoch it is in, with a checkpoint to resume from."""
    from core.models.loaders import load

    backbone = features_backbone(load(settings.backbone, settings.device, tiny=tiny).model)
    flag = Path(run_dir) / "pause.request"  # the caller clears a stale one before starting
    state = train_simclr(files, settings, backbone, run_dir, groups, resume=resume,
                         progress=lambda f, m=None: emit("progress", (f, m)), pause=flag.exists,
                         on_epoch=lambda e: emit("epoch", asdict(e)))
    flag.unlink(missing_ok=True)
    return {"finished": state.finished, "history": [asdict(h) for h in state.history],
            "checkpoint": str(Path(run_dir) / "checkpoint.pt")}
