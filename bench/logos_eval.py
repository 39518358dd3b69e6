"""Logos retrieval on the shared brand logos: same-brand look-alikes and inverted-contrast queries.

Run: python bench/logos_eval.py [--train-subset 300] [--epochs 3]
* same brand: for every logo of a brand with several files (logos.json), is another file of
  that brand among the top 1 / top 5 (EfficientNet-Lite0 ImageNet features)?
* inverted contrast (the METU study's main failure): the query is a logo with its contrast
  reversed; is the original at rank 1 / in the top 5 among the subset?
* with --train-subset: SimCLR (EfficientNet-Lite0 backbone, CPU) trained on that subset with and
  without contrast inversion in the augmentations, then the inverted-query test again.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BRANDS = ROOT.parent / "shared" / "data" / "logos" / "brands"


def inverted_hits(encoder, files: list[str], vectors: np.ndarray) -> tuple[float, float]:
    import torch
    from PIL import ImageOps

    from core.logos.images import load_logo

    size = getattr(encoder, "logo_size", 256)
    hits1 = hits5 = 0
    for b in range(0, len(files), 32):
        batch = [ImageOps.invert(load_logo(f, size)) for f in files[b : b + 32]]
        q = encoder.encode(torch.stack([encoder.preprocess(im) for im in batch]))
        ranks = np.argsort(-(q @ vectors.T), axis=1)
        for j, row in enumerate(ranks):
            hits1 += row[0] == b + j
            hits5 += (b + j) in row[:5]
    return hits1 / len(files), hits5 / len(files)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train-subset", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--image-size", type=int, default=128)
    args = parser.parse_args()
    os.environ.setdefault("SIMSCOPE_DATA_DIR", str(Path.home() / ".cache" / "simscope" / "bench-data"))
    from core.cache import EmbeddingCache
    from core.logos.index import build_index
    from core.models.manager import ModelManager

    manager = ModelManager("cpu")
    enc = manager.get("effnet-lite0")
    entries = json.loads((BRANDS / "logos.json").read_text(encoding="utf-8"))
    t0 = time.perf_counter()
    with EmbeddingCache() as cache:
        index, errors = build_index(BRANDS / "logos", enc, cache)
    print(f"{len(index)} logos indexed with EfficientNet-Lite0 ({len(errors)} skipped) in {time.perf_counter() - t0:.0f} s")
    pos = {Path(f).name: i for i, f in enumerate(index.files)}
    groups = [[pos[f] for f in e["files"] if f in pos] for e in entries]
    groups = [g for g in groups if len(g) > 1]
    sims = index.vectors @ index.vectors.T
    np.fill_diagonal(sims, -np.inf)
    h1 = h5 = n = 0
    for g in groups:
        for i in g:
            top = np.argsort(-sims[i])[:5]
            h1 += top[0] in g
            h5 += bool(set(top) & set(g))
            n += 1
    print(f"same brand ({len(groups)} brands with several files, {n} queries): hit@1 {h1 / n:.3f}, hit@5 {h5 / n:.3f}")
    rng = np.random.default_rng(0)
    subset = sorted(rng.choice(len(index), min(args.train_subset or 300, len(index)), replace=False).tolist())
    files = [index.files[i] for i in subset]
    r1, r5 = inverted_hits(enc, files, index.vectors[subset])
    print(f"inverted-contrast queries among {len(files)} logos, ImageNet features: hit@1 {r1:.3f}, hit@5 {r5:.3f}")
    if not args.train_subset:
        return 0
    from core.logos.service import TrainSettings, load_encoder
    from core.logos.simclr import features_backbone, train_simclr

    for invert in (False, True):
        settings = TrainSettings(epochs=args.epochs, batch_size=32, image_size=args.image_size,
                                 backbone="effnet-lite0", invert=invert, lr=1e-4)
        run = Path(tempfile.mkdtemp(prefix="simscope-logos-run-"))
        t0 = time.perf_counter()
        state = train_simclr(files, settings, features_backbone(enc.model), run)
        trained = load_encoder(manager, str(run / "checkpoint.pt"))
        with EmbeddingCache() as cache:
            sub_index, _ = build_index_files(files, trained, cache)
        r1, r5 = inverted_hits(trained, files, sub_index)
        print(f"SimCLR {args.epochs} epochs, inversion {'on ' if invert else 'off'} "
              f"({time.perf_counter() - t0:.0f} s, last loss {state.history[-1].train_loss:.3f}): "
              f"inverted-contrast hit@1 {r1:.3f}, hit@5 {r5:.3f}")
    return 0


def build_index_files(files, encoder, cache):
    from core.embed import embed_image_files
    from core.logos.images import load_logo
    from core.logos.index import NAMESPACE

    size = getattr(encoder, "logo_size", 256)
    res = embed_image_files(files, encoder, cache, loader=lambda p: load_logo(p, size), namespace=NAMESPACE)
    return res.vectors, res.errors


if __name__ == "__main__":
    sys.exit(main())
