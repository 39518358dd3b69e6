"""Train the logo model that ships with Simscope (preset ``simscope-logo``).

Run: .venv/bin/python scripts/train_logo_model.py [--epochs 16] [--out resources/models/simscope-logo]

Data: the shared brand logos (``../shared/data/logos/brands``, CC0, gilbarbara/logos); one brand
in five (``core.logos.brands.held_out``) never enters training, so ``bench/logos_eval.py`` judges
the model on brands it never saw. Recipe: EfficientNet-Lite0 from its ImageNet weights, stem and
first three stages frozen; SimCLR views of every logo (crops, rotation, colour jitter,
recolouring, grayscale, inversion, blur, an erased part) with the other files of a brand, and
perceptual-hash duplicates, as extra positives (supervised contrastive loss, re-weighted
negatives); AdamW, cosine schedule, bf16 autocast where native. The backbone (classifier
removed) is saved as float16 safetensors with ``training.json`` (settings, losses, time).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BRANDS = ROOT.parent / "shared" / "data" / "logos" / "brands"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=16)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--temperature", type=float, default=0.1)
    parser.add_argument("--brands", default=str(BRANDS))
    parser.add_argument("--out", default=str(ROOT / "resources" / "models" / "simscope-logo"))
    parser.add_argument("--run-dir", default="")
    parser.add_argument("--parts", action="store_true",
                        help="also train on each wide logo's icon (core.logos.images.load_logo_part) as one more "
                             "file of its brand")
    args = parser.parse_args()
    import torch
    from safetensors.torch import save_file

    from core.logos.brands import load_brands
    from core.logos.dedup import duplicate_groups, phashes
    from core.logos.service import TrainSettings
    from core.logos.simclr import features_backbone, train_simclr
    from core.models.loaders import load

    data = load_brands(args.brands)
    train = data.split(held=False)
    bits, hashed, _ = phashes(train.files)
    pos = {f: i for i, f in enumerate(train.files)}
    dups = [[pos[f] for f in g.files] for g in duplicate_groups(bits, hashed)]
    settings = TrainSettings(epochs=args.epochs, batch_size=args.batch, image_size=args.size, lr=args.lr,
                             temperature=args.temperature, backbone="effnet-lite0", seed=0)
    run = Path(args.run_dir or tempfile.mkdtemp(prefix="simscope-logo-model-"))
    print(f"training on {len(train.files)} logos of {len(set(train.labels))} brands "
          f"({len(data.files) - len(train.files)} logos of held-out brands left out); run in {run}", flush=True)
    files, labels, loader, wide = list(train.files), list(train.labels), None, []
    if args.parts:
        from core.logos.images import has_part, load_logo, load_logo_part
        from core.logos.index import PART_KEY as PART  # the index's key suffix for a logo's icon

        wide = [i for i, f in enumerate(train.files) if has_part(f)]
        files += [train.files[i] + PART for i in wide]
        labels += [train.labels[i] for i in wide]

        def loader(f, size):
            return load_logo_part(f[: -len(PART)], size) if f.endswith(PART) else load_logo(f, size)

        print(f"+ {len(wide)} icons of wordmarks as files of their brands", flush=True)
    t0 = time.perf_counter()
    state = train_simclr(files, settings, features_backbone(load("effnet-lite0").model), run, dups,
                         labels=labels, loader=loader, resume=(run / "checkpoint.pt") if (run / "checkpoint.pt").exists() else None,
                         on_epoch=lambda e: print(f"epoch {e.epoch}: train {e.train_loss:.3f} val {e.val_loss:.3f} "
                                                  f"{e.seconds:.0f} s", flush=True))
    seconds = time.perf_counter() - t0
    ck = torch.load(run / "checkpoint.pt", map_location="cpu", weights_only=False)
    backbone = {k.removeprefix("backbone."): v.to(torch.float16).contiguous()
                for k, v in ck["model"].items() if k.startswith("backbone.")}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    save_file(backbone, str(out / "weights.safetensors"), metadata={"preset": "simscope-logo"})
    record = {"settings": asdict(settings), "history": [asdict(h) for h in state.history],
              "train_logos": len(train.files), "train_brands": len(set(train.labels)),
              "duplicate_groups": len(dups), "held_out_logos": len(data.files) - len(train.files),
              "icons_as_brand_files": len(wide),  # --parts: the leading square of each wide logo
              "seconds_this_run": round(seconds), "torch": torch.__version__,
              "cpu_capability": torch.backends.cpu.get_cpu_capability()}
    (out / "training.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    print(f"saved {out / 'weights.safetensors'} ({(out / 'weights.safetensors').stat().st_size / 1e6:.1f} MB) "
          f"after {seconds / 60:.1f} min", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
