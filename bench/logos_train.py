"""SimCLR training speed on the shared logos, beside the bare forward+backward limit, in one run.

Run: python bench/logos_train.py [--logos 320] [--size 224] [--epochs 3] [--batch 32]
     [--precision auto|fp32|bf16] [--device cpu|cuda]

* ``train``: ``core.logos.simclr.train_simclr`` as the app runs it (SVGs rasterised once per
  size and remembered, channels-last, both views in one forward pass, bf16 autocast where the
  device computes bf16 natively); its first epoch includes drawing the logos.
* ``bare``: the same model, optimiser and batch size on random tensors already in memory
  (forward + backward + step, nothing else): the most the machine can do.
The two alternate (train epoch, bare pass of as many batches, train epoch, …) so a ratio
cannot flip with the load; medians over the epochs after the first. Also: perceptual hashes
of all the files, cold (an empty cache) and warm.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LOGOS = ROOT.parent / "shared" / "data" / "logos" / "brands" / "logos"


def bare_pass(model, opt, batches: int, batch: int, size: int, settings, bf16: bool, frozen=()) -> float:
    """Seconds for ``batches`` forward+backward+step passes on random views."""
    import torch

    from core.logos.simclr import _loss

    xa = torch.randn(batch, 3, size, size)
    xb = torch.randn(batch, 3, size, size)
    model.train()
    for module in frozen:
        module.eval()
    t = time.perf_counter()
    for _ in range(batches):
        loss = _loss(model, xa, xb, settings, bf16)
        opt.zero_grad()
        loss.backward()
        opt.step()
    if settings.device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - t


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logos", type=int, default=320, help="how many of the shared logos (0: all 1,858)")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--freeze-blocks", type=int, default=3, help="stages kept frozen (the app's default: 3)")
    parser.add_argument("--backbone", default="effnet-lite0",
                        help="effnet-lite0, or simscope-logo once it ships (the app's default; same architecture)")
    args = parser.parse_args()
    if not LOGOS.exists():
        print(f"skipped: {LOGOS} is absent")
        return 0
    import torch

    from core.cache import EmbeddingCache
    from core.logos.dedup import phashes
    from core.logos.images import list_logos
    from core.logos.service import TrainSettings
    from core.logos.simclr import (
        SimCLRModel,
        bf16_is_native,
        features_backbone,
        freeze_early,
        train_simclr,
        use_bf16,
    )
    from core.models.loaders import load

    files = [str(f) for f in list_logos(LOGOS)]
    files = files[: args.logos] if args.logos else files
    with tempfile.TemporaryDirectory(prefix="simscope-train-") as tmp:
        with EmbeddingCache(Path(tmp) / "cache.sqlite") as cache:
            t = time.perf_counter()
            phashes(files, cache)
            cold = time.perf_counter() - t
            t = time.perf_counter()
            phashes(files, cache)
            warm = time.perf_counter() - t
        print(f"phash files={len(files)} cold_s={cold:.1f} warm_s={warm:.2f}", flush=True)

        settings = TrainSettings(epochs=args.epochs, batch_size=args.batch, image_size=args.size,
                                 precision=args.precision, device=args.device, warmup_epochs=1,
                                 freeze_blocks=args.freeze_blocks, backbone=args.backbone)
        bf16 = use_bf16(settings)
        print(f"device={args.device} cpu_capability={torch.backends.cpu.get_cpu_capability()} "
              f"bf16_native={bf16_is_native(args.device)} precision={'bf16' if bf16 else 'fp32'} "
              f"threads={torch.get_num_threads()}", flush=True)
        bare_model = SimCLRModel(features_backbone(load(settings.backbone, args.device).model)).to(args.device)
        bare_model = bare_model.to(memory_format=torch.channels_last)
        frozen = freeze_early(bare_model.backbone, settings.freeze_blocks)  # as training does
        bare_opt = torch.optim.AdamW([p for p in bare_model.parameters() if p.requires_grad], lr=1e-4)
        bare_rates: list[float] = []

        def after_epoch(log) -> None:  # B between two A's
            batches = max(1, round((len(files) * (1 - settings.val_fraction)) / args.batch))
            s = bare_pass(bare_model, bare_opt, batches, args.batch, args.size, settings, bf16, frozen)
            bare_rates.append(2 * args.batch * batches / s)
            print(f"  epoch {log.epoch}: train {log.seconds:.1f} s (loss {log.train_loss:.4f}, validation {log.val_loss:.4f}); "
                  f"bare {s:.1f} s", flush=True)

        backbone = features_backbone(load(settings.backbone, args.device).model)
        state = train_simclr(files, settings, backbone, Path(tmp) / "run", on_epoch=after_epoch)
    n_train = len(files) - max(2, int(len(files) * settings.val_fraction))
    train_rates = [2 * n_train / h.seconds for h in state.history]  # training views a second (validation's time counted too)
    later = train_rates[1:] or train_rates
    bare = statistics.median(bare_rates[1:] or bare_rates)
    train = statistics.median(later)
    print(f"train images_per_s={train:.1f} (first epoch, drawing the logos: {train_rates[0]:.1f}) "
          f"bare images_per_s={bare:.1f} ratio={train / bare:.2f} "
          f"epoch_1858_logos_min={2 * 1858 / train / 60:.1f} (size {args.size}, batch {args.batch})", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
