"""A photo model adapted to the library (issue 40), tried and measured: for each labelled
collection of ``bench/albums_eval.py --untuned``, fine-tune the last stages of the album encoder
(EfficientNet-Lite0) and a projection head on that collection's own photos with the recipe that
made the shipped logo model (``core.logos.simclr``: SimCLR views, NT-Xent with false-negative
re-weighting, AdamW, warm-up then cosine, bf16 autocast, channels-last), photos taken within
``--minutes`` of each other as extra positives where capture times exist (SupCon), then embed the
collection again and group it with the default settings: ARI before / after side by side, mean
and worst; adopt only if it wins on every collection.

Run: nice python bench/albums_adapt.py [--steps 100] [--size 160] [--batch 32] [--freeze 5]
[--draws 1] [--only NAME]

"Before" is the app's own vectors (the cache ``albums_eval.py`` reads; checked against this
script's torch forward of the untouched model on the first photos of each collection: the
cosine is printed); "after" goes through the app's preprocessing (``core.embed``) with the
adapted backbone. A remix of events4 is adapted and measured on its first ``--draws`` draws
(each draw is an album of its own: its own photos, its own run).
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


class PhotoViews:
    """SimCLR's views of a photo (Chen et al. 2020, the ImageNet recipe at a small size): crop
    25-100%, mirror, colour jitter, grayscale, blur; the encoder's own normalisation. No inversion,
    recolouring or erasing (those suit logos, not photos). The blur and the conversion run in PIL
    and NumPy: torchvision's tensor blur took 120 ms a view on this shared 2-core machine, PIL's
    under 1 ms."""

    def __init__(self, size: int, mean, std, rng: random.Random) -> None:
        from torchvision.transforms import v2

        self.crop = v2.RandomResizedCrop(size, scale=(0.25, 1.0), antialias=True)
        self.jitter = v2.ColorJitter(0.4, 0.4, 0.4, 0.1)
        self.mean = np.asarray(mean, np.float32) * 255
        self.scale = 1 / (np.asarray(std, np.float32) * 255)
        self.rng = rng

    def __call__(self, image) -> np.ndarray:
        from PIL import ImageFilter, ImageOps

        im = self.crop(image)
        if self.rng.random() < 0.5:
            im = ImageOps.mirror(im)
        if self.rng.random() < 0.8:
            im = self.jitter(im)
        if self.rng.random() < 0.2:
            im = ImageOps.grayscale(im).convert("RGB")
        if self.rng.random() < 0.5:
            im = im.filter(ImageFilter.GaussianBlur(self.rng.uniform(0.1, 2.0)))
        x = (np.asarray(im, np.float32) - self.mean) * self.scale
        return np.ascontiguousarray(x.transpose(2, 0, 1))


def time_groups(paths: list[str], minutes: float) -> tuple[list[int], int, int]:
    """One label per photo: photos whose EXIF capture times lie within ``minutes`` of each other
    (chained) share one; the rest each their own. Returns (labels, photos with a time, photos that
    share a label with another)."""
    from core.albums.exif import read_exif
    from core.vectors import components

    taken = [read_exif(p)["taken_at"] for p in paths]
    timed = [i for i, t in enumerate(taken) if t is not None]
    timed.sort(key=lambda i: taken[i])
    rows = [a for a, b in zip(timed, timed[1:], strict=False)
            if (taken[b] - taken[a]).total_seconds() <= minutes * 60]
    cols = [b for a, b in zip(timed, timed[1:], strict=False)
            if (taken[b] - taken[a]).total_seconds() <= minutes * 60]
    labels = components(len(paths), rows, cols).tolist()
    size = Counter(labels)
    return labels, len(timed), sum(size[x] > 1 for x in labels)


class Photos:
    """Each photo decoded once (the app's reader, EXIF orientation applied) at ``short`` px on its
    short side, kept for the run: the views are cut from these."""

    def __init__(self, paths: list[str], short: int) -> None:
        from core.embed import _open_photo

        self.images = []
        for p in paths:
            im = _open_photo(p).convert("RGB")
            scale = short / min(im.size)
            if scale < 1:
                im = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))), 3)
            self.images.append(im)


def embed(backbone, paths: list[str], encoder, batch: int = 32) -> np.ndarray:
    """Unit features of ``paths`` through the app's preprocessing (``core.embed``) and
    ``backbone`` (fp32, eval mode)."""
    import torch

    from core.embed import _open_photo, _prepare, shared_prepare
    from core.vectors import unit

    prepare = shared_prepare(encoder)
    backbone.eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(paths), batch):
            xs = [_prepare(encoder, p, _open_photo, prepare) for p in paths[i:i + batch]]
            bad = [p for p, x in zip(paths[i:i + batch], xs, strict=True) if isinstance(x, Exception)]
            if bad:
                raise ValueError(f"{bad[0]}: could not be read for the adapted model")
            x = torch.from_numpy(np.stack([np.asarray(t) for t in xs]))
            out.append(backbone(x.contiguous(memory_format=torch.channels_last)).float().numpy())
    return unit(np.concatenate(out).astype(np.float32))


def adapt(encoder, paths: list[str], labels: list[int], args) -> tuple[object, dict]:
    """Fine-tune a copy of the encoder's last stages + a projection head on ``paths``; the adapted
    backbone and a log (loss at the start and end, seconds, steps, bf16)."""
    import timm
    import torch

    from core.logos.simclr import (
        SimCLRModel,
        batches_by_label,
        bf16_is_native,
        features_backbone,
        freeze_early,
        lr_at,
        supcon_loss,
    )

    random.seed(args.seed)
    torch.manual_seed(args.seed)
    cfg = timm.data.resolve_data_config({}, model=encoder.model)
    views = PhotoViews(args.size, cfg["mean"], cfg["std"], random.Random(args.seed + 1))
    t0 = time.perf_counter()
    photos = Photos(paths, int(args.size * 1.25))
    decode_s = time.perf_counter() - t0
    model = SimCLRModel(features_backbone(encoder.model), 128, 512).to(memory_format=torch.channels_last)
    frozen = freeze_early(model.backbone, args.freeze)
    trainable = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=1e-4)
    bf16 = bf16_is_native("cpu")
    rng = random.Random(args.seed)
    losses: list[float] = []
    fp32_loss = float("nan")
    step, warmup = 0, max(1, args.steps // 10)
    t0 = time.perf_counter()
    while step < args.steps:
        for batch in batches_by_label(labels, args.batch, rng):
            if step >= args.steps:
                break
            if len(batch) < 4:
                continue
            xa = torch.from_numpy(np.stack([views(photos.images[i]) for i in batch]))
            xb = torch.from_numpy(np.stack([views(photos.images[i]) for i in batch]))
            for g in opt.param_groups:
                g["lr"] = lr_at(step, args.steps, warmup, args.lr)
            model.train()
            for module in frozen:
                module.eval()
            x = torch.cat([xa, xb]).contiguous(memory_format=torch.channels_last)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                z = model(x)
            z = z.float()
            same = torch.as_tensor([labels[i] for i in batch])
            loss = supcon_loss(z[:len(batch)], z[len(batch):], same, args.temperature, 0.9, 0.7)
            if step == 0 and bf16:  # bf16 sane: the first batch's loss again in fp32
                with torch.no_grad():  # on a copy: its batch-norm statistics move, the model's do not twice
                    z32 = copy.deepcopy(model)(x)
                fp32_loss = float(supcon_loss(z32[:len(batch)], z32[len(batch):], same, args.temperature, 0.9, 0.7))
            if not torch.isfinite(loss):
                raise FloatingPointError(f"loss {float(loss)} at step {step}: training diverged")
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
            step += 1
            if step % 25 == 0 or step == args.steps:
                print(f"      step {step:4d}/{args.steps}  loss {np.mean(losses[-25:]):.3f}  "
                      f"{time.perf_counter() - t0:5.0f} s", flush=True)
    first, last = np.mean(losses[:10]), np.mean(losses[-10:])
    return model.backbone, {"loss": (first, last), "bf16_vs_fp32": (losses[0], fp32_loss), "train_s": time.perf_counter() - t0, "decode_s": decode_s,
                            "bf16": bf16, "steps": step}


def spread(vectors: np.ndarray) -> float:
    """Mean cosine between the photos (a collapsed embedding gives ~1)."""
    n = len(vectors)
    return float(((vectors.sum(0) @ vectors.sum(0)) - n) / (n * (n - 1)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--size", type=int, default=160, help="training views (px); embedding stays the app's")
    parser.add_argument("--freeze", type=int, default=5, help="stages kept as shipped (Lite0 has 7)")
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--temperature", type=float, default=0.2)
    parser.add_argument("--minutes", type=float, default=10.0, help="capture times this close are positives")
    parser.add_argument("--draws", type=int, default=1, help="draws of each remix adapted and measured")
    parser.add_argument("--only", help="only collections whose name contains this")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1: on 2 cores shared with other work a step took as long as with 2)")
    args = parser.parse_args()
    os.environ.setdefault("SIMSCOPE_DATA_DIR", str(Path.home() / ".cache" / "simscope" / "bench-data"))

    import torch
    from sklearn.metrics import adjusted_rand_score

    from bench import albums_eval
    from core.albums.cluster import ClusterSettings, cluster
    from core.logos.simclr import features_backbone
    from core.models.loaders import load

    torch.set_num_threads(args.threads)
    encoder = load("effnet-lite0")
    settings = ClusterSettings()
    print(f"model: {encoder.name} — {encoder.weights}")
    print(f"recipe: last {7 - args.freeze} of 7 stages + head (128-d projection), SimCLR views at "
          f"{args.size} px, SupCon/NT-Xent T={args.temperature} (re-weighting cos>0.9 x0.7), AdamW "
          f"lr {args.lr} wd 1e-4, {args.steps} steps of {args.batch} photos (2 views), 10% warm-up + cosine, "
          f"bf16 autocast; capture times within {args.minutes:g} min as positives; seed {args.seed}; "
          f"torch threads {torch.get_num_threads()}")
    found = albums_eval.untuned_collections(encoder)
    pristine = features_backbone(encoder.model)
    rows = []
    for name, draws in found.items():
        if args.only and args.only.lower() not in name.lower():
            continue
        for d, (before, truth, paths) in enumerate(draws[:args.draws]):
            label = name if len(draws) == 1 else f"{name} #{d + 1}"
            print(f"  {label}: {len(paths)} photos", flush=True)
            check = embed(pristine, paths[:32], encoder)
            agree = float(np.min(np.sum(check * before[:32], 1)))
            groups, timed, shared = time_groups(paths, args.minutes)
            backbone, log = adapt(encoder, paths, groups, args)
            t0 = time.perf_counter()
            after = embed(backbone, paths, encoder)
            embed_s = time.perf_counter() - t0
            if not np.isfinite(after).all():
                raise FloatingPointError(f"{label}: the adapted model gave non-finite vectors")
            scores = []
            for v in (before, after):
                lab, _ = cluster(v, settings)
                scores.append((adjusted_rand_score(truth, lab), float((lab < 0).mean()), int(lab.max() + 1)))
            rows.append((label, len(paths), timed, shared, log, scores, agree, spread(before), spread(after),
                         embed_s))
            print(f"    ARI {scores[0][0]:.3f} -> {scores[1][0]:.3f}  (loss {log['loss'][0]:.3f} -> "
                  f"{log['loss'][1]:.3f}, train {log['train_s']:.0f} s, embed {embed_s:.0f} s)", flush=True)
    print("\nthe library-adapted photo model vs the shipped one (default grouping; ARI counts unsorted as "
          "one more group):")
    print(f"  {'collection':<34} photos timed t-pos | ARI before  after   gain | unsorted before after | "
          f"events b/a | loss start end | mean cos b/a | check | train s")
    for label, n, timed, shared, log, (b, a), agree, sb, sa, _ in rows:
        print(f"  {label:<34} {n:6d} {timed:5d} {shared:5d} | {b[0]:10.3f} {a[0]:6.3f} {a[0] - b[0]:+6.3f} | "
              f"{b[1]:15.1%} {a[1]:5.1%} | {b[2]:4d}/{a[2]:<4d} | {log['loss'][0]:10.3f} {log['loss'][1]:.3f} | "
              f"{sb:.3f}/{sa:.3f}  | {agree:.4f} | {log['train_s']:6.0f}")
    if not rows:
        print("  no collection matched")
        return 1
    before = [r[5][0][0] for r in rows]
    after = [r[5][1][0] for r in rows]
    better = sum(a > b for a, b in zip(after, before, strict=True))
    print(f"  ARI mean {np.mean(before):.3f} -> {np.mean(after):.3f}, worst {min(before):.3f} -> {min(after):.3f}; "
          f"better on {better} of {len(rows)} -> "
          + ("adopt (better on every one)" if better == len(rows) else "do not adopt (not better on every one)"))
    gaps = [abs(r[4]["bf16_vs_fp32"][0] - r[4]["bf16_vs_fp32"][1]) for r in rows]
    print(f"  bf16 autocast: {rows[0][4]['bf16']} (first batch's loss, bf16 vs fp32: largest gap {max(gaps):.4f}); photos with a capture time: {sum(r[2] for r in rows)} of "
          f"{sum(r[1] for r in rows)}, in a time group with another: {sum(r[3] for r in rows)}")
    if math.isnan(np.mean(after)):
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
