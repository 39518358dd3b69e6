"""Logo retrieval on brands held out of the shipped model's training: pHash, ImageNet Lite0 and
the shipped model (``simscope-logo``), side by side on the same queries.

Run: python bench/logos_eval.py [--models phash effnet-lite0 simscope-logo] [--checkpoint RUN/checkpoint.pt]

Queries come only from the brands ``core.logos.brands.held_out`` keeps out of training (356
logos, 91 brands with several files), searched in two galleries: those held-out logos alone, and
all 1,858 shared logos (``../shared/data/logos/brands``, CC0; the training brands are then
distractors the model has seen):
* same brand: for each held-out logo whose brand has other files, are they found? recall@5 (one
  of them in the top 5, the query itself excluded) and mAP over the whole ranking;
* augmented copy: a copy of each held-out logo rotated (uniform ±15°), cropped to 80–95% of its
  side at a random place, mirrored (half of them) and grayscaled (half of them), seeded; is the
  original at rank 1?
* inverted contrast (the METU study's main failure): is the original at rank 1?
* small copy: the logo drawn at 128 px (a small PNG of it, as users have them), enlarged to the
  model's size: is the original at rank 1?
For each model, ``whole`` ranks by the cosine of whole logos; ``+parts`` as the app searches
(``core.logos.index.LogoIndex.search``): a wide (or tall) logo also has a vector for its leading
square (a wordmark's icon), and a logo scores the best of whole and part on both sides, a match
through a part counting ``PART_MARGIN`` less.
pHash ranks by Hamming distance on the 64-bit hash of the logo drawn at 128 px (ties broken by
file order); the models by cosine. ``--checkpoint`` adds a SimCLR run (e.g. one in training).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BRANDS = ROOT.parent / "shared" / "data" / "logos" / "brands"


def augmented(image, rng: random.Random):
    """Rotation ±15°, an 80–95% crop, mirror and grayscale (each half the time), on white."""
    from PIL import Image, ImageOps

    size = image.width
    im = image.rotate(rng.uniform(-15, 15), resample=Image.Resampling.BICUBIC, fillcolor=(255, 255, 255))
    side = int(size * rng.uniform(0.80, 0.95))
    x, y = rng.randint(0, size - side), rng.randint(0, size - side)
    im = im.crop((x, y, x + side, y + side)).resize((size, size), Image.Resampling.BICUBIC)
    if rng.random() < 0.5:
        im = ImageOps.mirror(im)
    if rng.random() < 0.5:
        im = ImageOps.grayscale(im).convert("RGB")
    return im


SMALL = 128  # px: the small copy's size


def query_images(files: list[str], size: int):
    from PIL import Image, ImageOps

    from core.logos.images import load_logo

    originals = [load_logo(f, size) for f in files]
    rngs = [random.Random(i) for i in range(len(files))]
    small = [load_logo(f, SMALL).resize((size, size), Image.Resampling.BICUBIC) for f in files]
    return ([augmented(im, r) for im, r in zip(originals, rngs, strict=True)], [ImageOps.invert(im) for im in originals],
            small)


def scores_report(sims: np.ndarray, query_rows: list[int], labels: np.ndarray, exclude_self: bool) -> dict:
    """recall@5 / mAP of same-brand files (queries whose brand has other files), or hit@1 of the row itself."""
    out = {"r5": [], "ap": [], "hit1": []}
    for q, row in enumerate(query_rows):
        s = sims[q].copy()
        if exclude_self:
            s[row] = -np.inf
            order = np.argsort(-s, kind="stable")[:-1]
            relevant = labels[order] == labels[row]
            if relevant.sum() == 0:
                continue
            out["r5"].append(bool(relevant[:5].any()))
            hits = np.cumsum(relevant)
            out["ap"].append(float((hits[relevant] / (np.flatnonzero(relevant) + 1)).mean()))
        else:
            out["hit1"].append(int(np.argmax(s)) == row)
    return {k: float(np.mean(v)) for k, v in out.items() if v}


def phash_side(files, rows, aug_q, inv_q, small_q):
    import imagehash

    from core.logos.dedup import phashes

    bits, hashed, _ = phashes(files)
    assert len(hashed) == len(files)

    def sims(images):
        q = np.array([imagehash.phash(im.resize((128, 128))).hash.ravel() for im in images], bool)
        return -(q[:, None, :] != bits[None, :, :]).sum(2).astype(np.float32)

    self_q = bits[rows].astype(bool)
    same = -(self_q[:, None, :] != bits[None, :, :]).sum(2).astype(np.float32)
    return same, sims(aug_q), sims(inv_q), sims(small_q)


def model_side(encoder, files, rows, held_files, cache):
    """(same-brand, augmented, inverted) score matrices, whole logos only and as the app searches
    (``LogoIndex.search``: the best of whole and part on both sides, a part ``PART_MARGIN`` less)."""
    from core.embed import embed_image_files
    from core.logos.images import has_part, load_logo, load_logo_part, part_image
    from core.logos.index import NAMESPACE, PART_MARGIN, PART_NAMESPACE

    size = encoder.logo_size
    res = embed_image_files(files, encoder, cache, loader=lambda p: load_logo(p, size), namespace=NAMESPACE)
    assert not res.errors, res.errors[:3]
    vectors = res.vectors
    wide = [f for f in files if has_part(f)]
    parts = embed_image_files(wide, encoder, cache, loader=lambda p: load_logo_part(p, size), namespace=PART_NAMESPACE)
    row = {f: i for i, f in enumerate(files)}
    gallery_parts = np.full_like(vectors, np.nan)  # NaN rows: no part
    for f, v in zip(parts.paths, parts.vectors, strict=True):
        gallery_parts[row[f]] = v
    aug_q, inv_q, small_q = query_images(held_files, size)

    def enc(images):
        import torch

        out = []
        for b in range(0, len(images), 32):
            out.append(encoder.encode(torch.stack([encoder.preprocess(im) for im in images[b : b + 32]])))
        return np.concatenate(out) if out else np.zeros((0, vectors.shape[1]), np.float32)

    def query_parts(images):
        found = [part_image(im, size) for im in images]
        have = [i for i, im in enumerate(found) if im is not None]
        out = np.full((len(images), vectors.shape[1]), np.nan, np.float32)
        if have:
            out[have] = enc([found[i] for i in have])
        return out

    def scores(q, qp):
        whole = q @ vectors.T
        via_parts = [np.nan_to_num(q @ gallery_parts.T, nan=-np.inf), np.nan_to_num(qp @ vectors.T, nan=-np.inf),
                     np.nan_to_num(qp @ gallery_parts.T, nan=-np.inf)]
        return whole, np.maximum(whole, np.maximum.reduce(via_parts) - PART_MARGIN)

    aug_parts, inv_parts, small_parts = query_parts(aug_q), query_parts(inv_q), query_parts(small_q)
    print(f"  {encoder.name}: {len(parts.paths)} of {len(files)} logos have a part (wider or taller than 1.5:1); "
          f"of the queries: augmented {int((~np.isnan(aug_parts[:, 0])).sum())}, inverted "
          f"{int((~np.isnan(inv_parts[:, 0])).sum())}", flush=True)
    return (scores(vectors[rows], gallery_parts[rows]), scores(enc(aug_q), aug_parts),
            scores(enc(inv_q), inv_parts), scores(enc(small_q), small_parts))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs="+", default=["phash", "effnet-lite0", "simscope-logo"])
    parser.add_argument("--checkpoint", action="append", default=[], help="a SimCLR checkpoint.pt to add")
    args = parser.parse_args()
    if not BRANDS.exists():
        print(f"skipped: {BRANDS} is absent")
        return 0
    os.environ.setdefault("SIMSCOPE_DATA_DIR", str(Path.home() / ".cache" / "simscope" / "bench-data"))
    from core.cache import EmbeddingCache
    from core.logos.brands import load_brands
    from core.logos.service import load_encoder
    from core.models.manager import ModelManager

    data = load_brands(BRANDS)
    labels = np.array(data.labels)
    rows = [i for i, h in enumerate(data.held_out) if h]
    held_files = [data.files[i] for i in rows]
    print(f"gallery {len(data.files)} logos; queries: {len(rows)} logos of {len({data.labels[i] for i in rows})} "
          f"held-out brands", flush=True)
    manager = ModelManager("cpu")
    print(f"{'model':<22} {'gallery':<9} {'brand r@5':>9} {'brand mAP':>9} {'aug r@1':>8} {'inv hit@1':>9} "
          f"{'small hit@1':>11}  weights")
    for name in args.models + args.checkpoint:
        t0 = time.perf_counter()
        if name == "phash":
            same, aug, inv, small = phash_side(data.files, rows, *query_images(held_files, 128))
            weights = "imagehash.phash, 64 bits"
        else:
            encoder = load_encoder(manager, name)
            with EmbeddingCache() as cache:
                same, aug, inv, small = model_side(encoder, data.files, rows, held_files, cache)
            weights = encoder.weights
        label = Path(name).name if name.endswith(".pt") else name
        sides = [(label, same, aug, inv, small)] if name == "phash" else [
            (f"{label} whole", same[0], aug[0], inv[0], small[0]),
            (f"{label} +parts", same[1], aug[1], inv[1], small[1])]
        for tag, s_same, s_aug, s_inv, s_small in sides:
            for gallery, cols in (("held-out", rows), ("all", list(range(len(data.files))))):
                at = [cols.index(r) for r in rows] if gallery == "held-out" else rows
                brand = scores_report(s_same[:, cols], at, labels[cols], exclude_self=True)
                a = scores_report(s_aug[:, cols], at, labels[cols], exclude_self=False)
                v = scores_report(s_inv[:, cols], at, labels[cols], exclude_self=False)
                m = scores_report(s_small[:, cols], at, labels[cols], exclude_self=False)
                print(f"{tag:<22} {gallery:<9} {brand['r5']:>9.3f} {brand['ap']:>9.3f} {a['hit1']:>8.3f} "
                      f"{v['hit1']:>9.3f} {m['hit1']:>11.3f}  {weights if gallery == 'all' else ''}"
                      f"{f' ({time.perf_counter() - t0:.0f} s)' if gallery == 'all' else ''}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
