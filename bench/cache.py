"""Embedding cache throughput for 100k vectors, beside a plain .npy file.

Run: python bench/cache.py [--n 100000] [--dim 512]
Writes N float16 vectors keyed by content hash, reads them all back by key in
one bulk call, and does the same with np.save/np.load as the reference.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from pathlib import Path

import numpy as np

from core.cache import EmbeddingCache


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=512)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((args.n, args.dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    keys = ["file:" + hashlib.blake2b(str(i).encode(), digest_size=16).hexdigest() for i in range(args.n)]
    mb = args.n * args.dim * 2 / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        cache = EmbeddingCache(Path(tmp) / "bench.sqlite")
        t = time.perf_counter()
        cache.put_many("bench", keys, vecs)
        write = time.perf_counter() - t
        shuffled = list(np.array(keys)[rng.permutation(args.n)])
        t = time.perf_counter()
        got, found = cache.get_many("bench", shuffled)
        read = time.perf_counter() - t
        assert found.all()
        size = cache.stats()["bytes"]
        cache.close()

        npy = Path(tmp) / "ref.npy"
        t = time.perf_counter()
        np.save(npy, vecs.astype(np.float16))
        npy_write = time.perf_counter() - t
        t = time.perf_counter()
        np.load(npy).astype(np.float32)
        npy_read = time.perf_counter() - t

    print(f"{args.n:,} vectors × {args.dim} (float16, {mb:.0f} MB of vectors; SQLite file {size / 1e6:.0f} MB)")
    print(f"cache write : {write:6.2f} s  {args.n / write:10,.0f} vectors/s")
    print(f"cache read  : {read:6.2f} s  {args.n / read:10,.0f} vectors/s  (bulk, by key, shuffled)")
    print(f".npy write  : {npy_write:6.2f} s  {args.n / npy_write:10,.0f} vectors/s")
    print(f".npy read   : {npy_read:6.2f} s  {args.n / npy_read:10,.0f} vectors/s")
    print(f"ratio cache/npy: write {write / npy_write:.1f}×, read {read / npy_read:.1f}× the time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
