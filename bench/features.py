"""Batch feature extraction in every workspace vs the bare batched forward, in one run.

For each workspace's extraction path (the function its page and CLI call, on a cold cache) and
the bare model on the same files already decoded and preprocessed into tensors (the forward
pass alone: the limit a pipeline can approach), images/s, interleaved A B A B … over
``--rounds`` rounds, medians, and their ratio:

* Fusion: ``core.fusion.features.image_features`` on the gas demo's images (small PNGs);
* Albums: ``embed_image_files(..., with_tags=True)`` as the album index calls it (events4 JPEGs);
* Trends: ``embed_image_files`` as ``core.trends.features`` calls it (the synthetic demo's PNGs);
* Lost & Found: ``PostEmbedder.photos`` (the clothing photos): vectors, and the top ImageNet
  labels embedded as text (the photo's cross-modal vector), from one forward pass;
* Logos: ``embed_image_files`` with the SVG loader as ``core.logos.index.build_index`` calls it
  (the shared logos; drawing an SVG is part of the work there, so the bare forward is a limit the
  pipeline cannot reach on 2 cores: the line says how long the drawing alone takes). SVGs are
  drawn in two child processes as the app and ``logos index`` do (``--threads-only``: in the
  decode threads, where resvg holds the interpreter lock).

The decode threads prepare each input in NumPy (``core.models.onnx.shared_prepare``): preparing it with
torch ops there started an OpenMP team per thread whose spinning slowed the forward (Trends'
torch path ran at 0.55x the bare forward, Albums' ONNX path at 0.73x; 2 cores).

Every run gets a new, empty cache (the second look at a file is a cache read: ``rerun`` lines).
On the CPU the pipeline runs batches of ``core.embed.CPU_BATCH`` (small batches are faster
there) and, from ``core.embed.ONNX_MIN_IMAGES`` images on, through ONNX Runtime, each worker
decoding its batch and running its forward in a one-thread session, one worker per core. The bare
forward runs the same engine and batch on inputs prepared before the clock starts, both ways (the
same one-thread sessions side by side, and one session of all the threads); the faster is the
reference. Torch at the batch the workspace asks for (what ran before) is timed too.

Run: python bench/features.py [--n 320] [--rounds 3] [--only fusion albums trends logos]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data"


def _files(kind: str, n: int) -> tuple[list[str], object, dict]:
    """(files, loader or None, keyword arguments of the workspace's call) for one workspace."""
    from core.images import list_images

    if kind == "fusion":
        sys.path.insert(0, str(ROOT / "bench"))
        from fusion_common import GAS, demo_dir

        from core.fusion.data import load_dataset
        from core.fusion.gas_demo import build_gas_demo

        if not GAS.exists():
            return [], None, {}
        data = load_dataset(build_gas_demo(GAS, demo_dir()))
        return [str(p) for p in data.images[:n]], None, {}
    if kind == "albums":
        return [str(p) for p in list_images([SHARED / "photos" / "events4" / "Database"])[:n]], None, \
            {"batch_size": 16, "with_tags": True}
    if kind == "trends":
        from core.trends.synthetic import make_dataset

        out = Path(tempfile.gettempdir()) / "simscope-bench-trends"
        if not (out / "posts.csv").exists():
            make_dataset(out)
        return [str(p) for p in list_images([out])[:n]], None, {}
    if kind == "lostfound":
        clothing = SHARED / "lostfound" / "clothing"
        return [str(p) for p in list_images([clothing / "validation", clothing / "test"])[:n]], None, \
            {"batch_size": 16, "with_tags": True}
    if kind == "logos":
        from core.logos.images import load_logo
        from core.logos.index import NAMESPACE

        files = sorted(str(p) for p in (SHARED / "logos" / "brands").rglob("*.svg"))[:n]
        return files, (lambda p: load_logo(p, 224)), {"batch_size": 16, "namespace": NAMESPACE}  # simscope-logo's size
    raise ValueError(kind)


def _bare(encoder, tensors, batch_size: int, with_tags: bool = False, onnx=None, workers: int = 1) -> float:
    """The forward alone (with the ImageNet head where the workspace keeps labels too, as Albums
    does), in torch or through ``onnx`` (``core.embed._onnx_forward``), its batches shared out
    to ``workers`` threads (ONNX Runtime's one-thread sessions side by side, as the pipeline runs
    them)."""
    from concurrent.futures import ThreadPoolExecutor

    from core.embed import _encode, _stack

    # the batches as each engine takes them, made before the clock starts: the forward alone
    batches = [_stack(tensors[i: i + batch_size], onnx) for i in range(0, len(tensors), batch_size)]
    def part(w: int) -> None:
        for x in batches[w::workers]:
            _encode(encoder, x, with_tags, onnx)

    t0 = time.perf_counter()
    if workers == 1:
        part(0)  # on this thread, as the pipeline runs torch (a torch op on another thread starts its own OpenMP team)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(part, range(workers)))
    return time.perf_counter() - t0


def _text_encoder():
    """Lost & Found's sentence model (its photos' labels are embedded as text: part of the job)."""
    global _TEXT
    if _TEXT is None:
        from core.lostfound.service import OFFLINE_MODELS
        from core.models.loaders import load

        _TEXT = load(OFFLINE_MODELS[0])
    return _TEXT


_TEXT = None


def _pipeline(kind: str, encoder, files, loader, kwargs) -> tuple[float, float]:
    """Seconds of the workspace's extraction on a new cache, then of a second call (cache reads)."""
    from core.cache import EmbeddingCache
    from core.embed import embed_image_files

    with tempfile.TemporaryDirectory(prefix="simscope-feat-") as tmp:
        with EmbeddingCache(Path(tmp) / "cache.sqlite") as cache:
            times = []
            for _ in range(2):
                t0 = time.perf_counter()
                if kind == "fusion":
                    from core.fusion.data import FusionData
                    from core.fusion.features import image_features

                    data = FusionData(np.zeros((len(files), 1), np.float32), files, np.zeros(len(files), np.int64),
                                      ("Normal",), ["s"])
                    image_features(data, encoder, cache)
                elif kind == "lostfound":
                    from core.lostfound.index import PostEmbedder

                    _, _, errors = PostEmbedder(_text_encoder(), encoder, cache).photos(files)
                    if errors:
                        raise RuntimeError(f"{kind}: {errors[:3]}")
                else:
                    res = embed_image_files(files, encoder, cache, loader=loader, **kwargs)
                    if res.errors:
                        raise RuntimeError(f"{kind}: {res.errors[:3]}")
                times.append(time.perf_counter() - t0)
    return times[0], times[1]


def run(kind: str, n: int, rounds: int) -> None:
    import torch

    from core.embed import _open_photo
    from core.models.loaders import load

    files, loader, kwargs = _files(kind, n)
    if not files:
        print(f"{kind}: data not found under {SHARED}, skipped")
        return
    encoder = load("simscope-logo" if kind == "logos" else "effnet-lite0")  # each workspace's default
    read = loader or _open_photo
    t0 = time.perf_counter()
    tensors = [encoder.preprocess(read(p)) for p in files]
    decode_s = time.perf_counter() - t0
    from core.embed import CPU_BATCH

    asked = kwargs.get("batch_size", 32)  # what the workspace passes
    batch = min(asked, CPU_BATCH) if str(encoder.device).startswith("cpu") else asked  # what the pipeline uses
    from core.embed import ONNX_MIN_IMAGES, _onnx_forward, forward_workers

    tags = bool(kwargs.get("with_tags"))
    big_job = len(files) >= ONNX_MIN_IMAGES
    onnx = _onnx_forward(encoder, with_logits=tags, parallel=True) if big_job else None  # as the pipeline
    one = _onnx_forward(encoder, with_logits=tags) if big_job else None  # one session of all the threads
    engine = "ONNX Runtime" if onnx is not None else "torch"
    workers = forward_workers() if onnx is not None else 1
    _bare(encoder, tensors[:batch], batch, tags, onnx)  # warm-up
    # the bare forward: the faster of one-thread sessions side by side and one session of all threads
    bare, pipe, again, big = {"side by side": [], "one session": []}, [], [], []
    for _ in range(rounds):  # A B A B …, a pause before each: torch's OpenMP threads spin for a
        time.sleep(0.5)  # while after their last op and would slow whichever side runs next
        bare["side by side"].append(len(files) / _bare(encoder, tensors, batch, tags, onnx, workers))
        if one is not None:
            time.sleep(0.5)
            bare["one session"].append(len(files) / _bare(encoder, tensors, batch, tags, one))
        time.sleep(0.5)
        big.append(len(files) / _bare(encoder, tensors, asked, tags))  # torch at the batch the workspace asks for
        time.sleep(0.5)
        first, second = _pipeline(kind, encoder, files, loader, kwargs)
        pipe.append(len(files) / first)
        again.append(len(files) / second)
    medians = {k: float(np.median(v)) for k, v in bare.items() if v}
    b, p = max(medians.values()), float(np.median(pipe))
    print(f"{kind}: n={len(files)} engine={engine} batch={batch} torch_threads={torch.get_num_threads()} cores={os.cpu_count()} "
          f"bare_per_s={b:.1f} ({', '.join(f'{k} {v:.1f}' for k, v in medians.items())}) "
          f"pipeline_per_s={p:.1f} ratio={p / b:.2f} "
          f"decode_alone_ms={1000 * decode_s / len(files):.1f} rerun_per_s={np.median(again):.0f} (cache reads)"
          + f" torch_at_batch_{asked}_per_s={np.median(big):.1f} (before)", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=320)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", nargs="+", default=["fusion", "albums", "trends", "lostfound", "logos"])
    parser.add_argument("--threads-only", action="store_true",
                        help="draw SVGs in the decode threads (what the CLI did), not in the app's two child processes")
    args = parser.parse_args()
    os.environ.setdefault("SIMSCOPE_DATA_DIR", str(Path.home() / ".cache" / "simscope-bench" / "data"))
    if args.threads_only:
        print("SVGs drawn in decode threads (not as the app does)")
    else:  # as the app does (app.main): SVGs drawn in two child processes, 1 ms switch interval
        from app.main import SWITCH_INTERVAL_S
        from core.logos.images import use_render_processes

        sys.setswitchinterval(SWITCH_INTERVAL_S)
        use_render_processes()
    for kind in args.only:
        run(kind, args.n, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
