"""Duplicate thresholds measured on real photos: precision and recall per setting.

Run: python bench/albums_duplicates.py [--photos 120]

Positives: each of ``--photos`` events4 photos against a copy of itself made the way copies
arise (resized to 60%, JPEG re-encoded at quality 70, 5% cropped off each side, and all three
at once). Negatives: every pair of *different* photos of one event (the hard case: same place,
same people, minutes apart). For pHash distance ≤ h and embedding cosine ≥ c it prints
precision and recall of "duplicate", and marks the defaults (core/albums/duplicates.py),
which must keep precision ≥ 0.99.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.albums.duplicates import COS, HASH_BITS, hash_distances, photo_hashes
from core.cache import EmbeddingCache
from core.embed import embed_image_files
from core.models.loaders import load

DB = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "photos" / "events4" / "Database"


def copies(src: Path, out: Path) -> list[Path]:
    from core.images import open_image

    im = open_image(src).convert("RGB")  # upright (EXIF orientation applied), as the app sees it
    stem = f"{src.parent.name}-{src.stem}"  # img040.jpg is in more than one event folder
    if True:
        w, h = im.size
        made = []
        small = im.resize((int(w * 0.6), int(h * 0.6)))
        small.save(out / f"{stem}-resized.jpg", quality=90)
        im.save(out / f"{stem}-q70.jpg", quality=70)
        crop = im.crop((int(w * 0.05), int(h * 0.05), int(w * 0.95), int(h * 0.95)))
        crop.save(out / f"{stem}-crop.jpg", quality=90)
        crop.resize((int(crop.width * 0.6), int(crop.height * 0.6))).save(out / f"{stem}-all.jpg", quality=70)
        made += [out / f"{stem}-{k}.jpg" for k in ("resized", "q70", "crop", "all")]
    return made


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=120)
    args = parser.parse_args()
    if not DB.exists():
        print(f"skipped: events4 not found at {DB}")
        return 0
    folders = sorted(DB.glob("*_test"))
    per = max(1, args.photos // len(folders))
    originals = [p for f in folders for p in sorted(f.glob("*.jpg"))[:per]]
    encoder = load("effnet-lite0")
    with tempfile.TemporaryDirectory() as tmp, EmbeddingCache() as cache:
        made = {o: copies(o, Path(tmp)) for o in originals}
        files = [str(o) for o in originals] + [str(c) for o in originals for c in made[o]]
        res = embed_image_files(files, encoder, cache)
        row = {p: i for i, p in enumerate(res.paths)}
        v = res.vectors / np.linalg.norm(res.vectors, axis=1, keepdims=True)
        bits = photo_hashes(res.paths, cache)
    d = hash_distances(bits)
    sim = v @ v.T
    pos = [(row[str(o)], row[str(c)]) for o in originals for c in made[o] if str(c) in row]
    neg = [(row[str(a)], row[str(b)]) for i, a in enumerate(originals) for b in originals[i + 1:]
           if a.parent == b.parent and str(a) in row and str(b) in row]
    print(f"model: {encoder.name} — {encoder.weights}")
    print(f"{len(originals)} events4 photos, {len(pos)} copy pairs (resize / q70 / 5% crop / all three), "
          f"{len(neg)} pairs of different photos of one event")
    pa, pb = np.array(pos).T
    na, nb = np.array(neg).T
    for h in (8, 12, 16, 20, 24, 28):
        for c in (0.70, 0.75, 0.80, 0.85, 0.90):
            tp = ((d[pa, pb] <= h) & (sim[pa, pb] >= c)).sum()
            fp = ((d[na, nb] <= h) & (sim[na, nb] >= c)).sum()
            precision = tp / max(tp + fp, 1)
            mark = "  <- default" if (h, c) == (HASH_BITS, COS) else ""
            print(f"hash_bits={h:2d} cos={c:.2f}  precision={precision:.4f}  recall={tp / len(pos):.3f}  "
                  f"(false duplicates {fp} of {len(neg)}){mark}")
    for a, b in [(res.paths[i], res.paths[j]) for i, j in zip(na, nb, strict=True) if d[i, j] <= 4]:
        print(f"a pair of 'different' photos with hash distance ≤ 4 (the same shot twice in events4?): {a} {b}")
    for name, ok in (("pHash alone (≤10)", d[pa, pb] <= 10), ("cosine alone (≥0.90)", sim[pa, pb] >= 0.9)):
        bad = (d[na, nb] <= 10) if "pHash" in name else (sim[na, nb] >= 0.9)
        print(f"{name}: recall {ok.mean():.3f}, false duplicates {int(bad.sum())} of {len(neg)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
