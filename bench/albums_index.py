"""Albums indexing: pipeline vs bare model, re-run on an unchanged folder, clustering 10k, peak memory.

Run: python bench/albums_index.py [throughput] [rerun] [cluster] [memory]   (default: all)

* throughput — photos/s of the whole pipeline (JPEG files → cached vectors, decode
  overlapping the model) vs the bare forward as the pipeline runs it (same engine, batch and
  workers) on pre-decoded inputs, in one run, on the events4 photos (small) and on the
  camera-size exif-samples JPEGs (``bench/features.py`` has every workspace, interleaved).
* rerun — index + regroup again on the unchanged events4 folder (3,031 photos).
* cluster — regroup 10,000 cached photos (events4 vectors, jittered copies).
* memory — peak RSS of a child process that indexes 3,000 photos with ViT-B-32
  (architecture with random weights: the memory is the same; no figure of quality).

Offline model: EfficientNet-Lite0's packaged ImageNet weights.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data" / "photos"
EVENTS4 = SHARED / "events4" / "Database"


def _fresh_env() -> None:
    os.environ["SIMSCOPE_DATA_DIR"] = tempfile.mkdtemp(prefix="simscope-bench-")


def throughput(n_small: int = 480) -> None:
    import torch

    from bench.features import _bare
    from core.cache import EmbeddingCache
    from core.embed import (
        CPU_BATCH,
        ONNX_MIN_IMAGES,
        _onnx_forward,
        _open_photo,
        embed_image_files,
        forward_workers,
    )
    from core.images import list_images
    from core.models.loaders import load
    from core.models.onnx import shared_prepare

    enc = load("effnet-lite0")
    print(f"model: {enc.describe()['weights']}, torch threads {torch.get_num_threads()}, {os.cpu_count()} cores")
    small = list_images([EVENTS4])[:n_small]
    big = [p for p in list_images([SHARED / "exif-samples" / "jpg"]) if _pixels(p) >= 5e6]
    big = big[:32]  # distinct files: a repeated one is embedded once (same content key)
    prepare = shared_prepare(enc)
    for label, files in (("events4 (small photos)", small), ("camera-size (5-15 MP)", big)):
        # the bare forward as the pipeline runs it (bench/features.py): same engine, batch and
        # workers, on inputs decoded and prepared before the clock starts
        t0 = time.perf_counter()
        tensors = [torch.from_numpy(prepare(_open_photo(str(p)))[0]) for p in files]
        decode_s = time.perf_counter() - t0
        onnx = _onnx_forward(enc, parallel=True) if len(files) >= ONNX_MIN_IMAGES else None
        workers = forward_workers() if onnx is not None else 1
        batch = min(16, CPU_BATCH)
        _bare(enc, tensors[:batch], batch, False, onnx)  # warm-up
        model_s = _bare(enc, tensors, batch, False, onnx, workers)
        rates = {}
        for w in (1, 2):
            _fresh_env()
            with EmbeddingCache() as cache:
                t0 = time.perf_counter()
                res = embed_image_files(files, enc, cache, batch_size=16, workers=w)
                rates[w] = len(res.paths) / (time.perf_counter() - t0)
        n = len(files)
        bare = n / model_s
        serial = n / (decode_s + model_s)
        best = max(rates, key=rates.get)
        print(f"\n{label}: {n} photos, {'ONNX Runtime' if onnx is not None else 'torch'}")
        print(f"  decode+preprocess {1000 * decode_s / n:.1f} ms/photo of one core (draft mode), "
              f"model {1000 * model_s / n:.1f} ms/photo")
        print(f"  bare forward      {bare:7.1f} photos/s")
        for w, r in rates.items():
            print(f"  pipeline, workers={w}: {r:7.1f} photos/s")
        print(f"  pipeline / bare forward: {rates[best] / bare:.2f}x; / decode then model {rates[best] / serial:.2f}x")


def _pixels(p) -> int:
    from PIL import Image

    try:
        with Image.open(p) as im:
            return im.size[0] * im.size[1]
    except Exception:  # odd samples are simply not camera-size photos here
        return 0


def rerun() -> None:
    from core.albums.cluster import ClusterSettings
    from core.albums.pipeline import Album, make_models
    from core.albums.store import AlbumStore
    from core.cache import EmbeddingCache
    from core.models.manager import ModelManager

    os.environ.setdefault("SIMSCOPE_DATA_DIR", str(Path.home() / ".cache" / "simscope" / "bench-data"))
    models = make_models(ModelManager("cpu"), captions=False)
    with EmbeddingCache() as cache, tempfile.TemporaryDirectory() as tmp:
        store = AlbumStore(Path(tmp) / "albums.sqlite")
        album = Album(store, cache, models)
        t0 = time.perf_counter()
        first = album.add([EVENTS4])
        album.regroup(ClusterSettings())
        print(f"first run: {first.summary()} in {time.perf_counter() - t0:.1f} s")
        for _ in range(2):
            again = Album(store, cache, models)  # a new start: nothing in memory
            t0 = time.perf_counter()
            rep = again.index()
            t_index = time.perf_counter() - t0
            again.regroup(ClusterSettings())
            total = time.perf_counter() - t0
            print(f"re-run on the unchanged folder: {rep.summary()}; index {t_index:.2f} s, "
                  f"index + regroup {total:.2f} s (target < 5 s)")
        store.close()


def cluster10k() -> None:
    from core.albums.cluster import ClusterSettings, cluster
    from core.albums.events import GroupInput, regroup
    from core.albums.store import AlbumStore
    from core.cache import EmbeddingCache
    from core.embed import embed_image_files
    from core.images import list_images
    from core.models.loaders import load

    os.environ.setdefault("SIMSCOPE_DATA_DIR", str(Path.home() / ".cache" / "simscope" / "bench-data"))
    files = list_images([EVENTS4])
    with EmbeddingCache() as cache:
        res = embed_image_files(files, load("effnet-lite0"), cache, batch_size=16)
    rng = np.random.default_rng(0)
    reps = -(-10_000 // len(res.vectors))
    x = np.concatenate([res.vectors + (rng.normal(0, 0.01, res.vectors.shape) if r else 0) for r in range(reps)])
    x = (x / np.linalg.norm(x, axis=1, keepdims=True))[:10_000].astype(np.float32)
    paths = [f"/bench/{i}.jpg" for i in range(len(x))]
    data = GroupInput(paths, x, np.full(len(x), np.nan), [[] for _ in paths], [""] * len(paths))
    with tempfile.TemporaryDirectory() as tmp, AlbumStore(Path(tmp) / "a.sqlite") as store:
        store.add_photos(paths)
        for label in ("first grouping (imports HDBSCAN/scikit-learn)", "re-grouping"):
            t0 = time.perf_counter()
            rep = regroup(store, data, ClusterSettings())
            print(f"{label} of {len(x)} cached photos: {time.perf_counter() - t0:.2f} s "
                  f"({rep.events} events, {rep.unsorted} unsorted; target < 5 s)")
    # automatic events (agreed on a 2,000-photo sample) vs one setting fitted on 5,000 / all 10,000:
    # time (interleaved, medians of 3) and agreement with the folders
    from sklearn.metrics import adjusted_rand_score

    truth = np.array([Path(p).parent.name.split("_")[0] for p in res.paths] * reps)[:len(x)]
    sides = {"automatic (the default)": ClusterSettings(),
             "one setting, fitted on 5,000": ClusterSettings(dims=16),
             "one setting, fitted on 10,000": ClusterSettings(dims=16, fit_limit=len(x))}
    times: dict[str, list[float]] = {k: [] for k in sides}
    labels = {}
    for _ in range(3):
        for name, s in sides.items():
            t0 = time.perf_counter()
            labels[name], _ = cluster(x, s)
            times[name].append(time.perf_counter() - t0)
    for name in sides:
        lab = labels[name]
        print(f"cluster() {name}: {np.median(times[name]):.2f} s, ARI {adjusted_rand_score(truth, lab):.3f}, "
              f"unsorted {(lab < 0).mean():.1%}")


def memory(n: int = 3000) -> None:
    if os.environ.get("_SIMSCOPE_MEM_CHILD"):
        import open_clip

        from core.albums.pipeline import Album, AlbumModels
        from core.albums.store import AlbumStore
        from core.cache import EmbeddingCache
        from core.images import list_images
        from core.models.loaders import ClipEncoder
        from core.models.registry import get_preset

        model, _, transform = open_clip.create_model_and_transforms("ViT-B-32", pretrained=None)
        model.eval()
        enc = ClipEncoder(get_preset("clip-vit-b32"), "random init (memory only)", "cpu", model=model,
                          transform=transform, forward=model.encode_image, dim=512,
                          tokenizer=open_clip.get_tokenizer("ViT-B-32"))
        folder = Path(os.environ["_SIMSCOPE_MEM_DIR"])
        with EmbeddingCache() as cache, AlbumStore() as store:
            album = Album(store, cache, AlbumModels(enc))
            album.add([folder])
        print(f"{len(album.data.paths)} photos indexed")
        print(f"peak_rss_kb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")
        return
    from core.images import list_images

    files = list_images([EVENTS4])[:n]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        for i, f in enumerate(files):
            os.symlink(f, folder / f"{i:05d}{f.suffix}")
        env = dict(os.environ, _SIMSCOPE_MEM_CHILD="1", _SIMSCOPE_MEM_DIR=str(folder),
                   SIMSCOPE_DATA_DIR=str(Path(tmp) / "data"))
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, __file__, "memory"], env=env, capture_output=True, text=True)
        if out.returncode:
            print(out.stderr[-2000:])
            return
        peak = int(out.stdout.split("peak_rss_kb")[1]) / 1024 / 1024
        indexed = next((ln for ln in out.stdout.splitlines() if "indexed" in ln), "?")
        print(f"ViT-B-32 (random weights: memory only), {indexed} in "
              f"{time.perf_counter() - t0:.0f} s: peak memory {peak:.2f} GB (target < 2.5 GB)")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("parts", nargs="*", default=["throughput", "rerun", "cluster", "memory"])
    args = parser.parse_args()
    if not EVENTS4.exists():
        print(f"needs {EVENTS4}")
        return 2
    for part in args.parts:
        print(f"\n== {part} ==")
        {"throughput": throughput, "rerun": rerun, "cluster": cluster10k, "memory": memory}[part]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
