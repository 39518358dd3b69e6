"""How long a Lost & Found match and a logo query wait while a long job holds the model worker.

Run: python bench/queue_latency.py [--queries 8] [--fusion-rows 200] [--logo-epochs 2]

Real parts on a throw-away data dir: the job runner the app uses, the real models (effnet-lite0
for logos and the gas images, the offline text + image pair for Lost & Found), a Lost & Found
store with demo posts, a logo query not in any index. Two long jobs, each run twice in turn:
A with ``Priority.BATCH`` (it yields to interactive jobs between batches, the app's setting) and
B with ``Priority.NORMAL`` (what every job was before: the query waits for the whole job):

* Logos trains SimCLR in its child process (small: effnet-lite0, 64 px, ``--logo-epochs``);
* Fusion embeds its gas demo's images (``--fusion-rows`` rows, a fresh cache each time).

While each runs, a query is submitted every 0.5 s (a Lost & Found match and a logo query in turn,
``Priority.INTERACTIVE``) and its latency (submitted → finished) is recorded; p50 and worst are
printed per scenario, with the long job's own time. Target: worst ≤ 1 s with A.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=8, help="queries per long job (at most)")
    parser.add_argument("--fusion-rows", type=int, default=200)
    parser.add_argument("--logo-epochs", type=int, default=2)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="simscope-queue-"))
    os.environ["SIMSCOPE_DATA_DIR"] = str(tmp / "data")
    from core.cache import EmbeddingCache
    from core.fusion.data import load_dataset
    from core.fusion.features import image_features
    from core.fusion.gas_demo import build_gas_demo, default_gas_csv
    from core.jobs import JobRunner, JobState, Priority
    from core.logos.index import embed_query
    from core.logos.service import load_encoder
    from core.logos.settings import TrainSettings
    from core.logos.simclr import train_in_child
    from core.lostfound.service import LostFound, make_embedder
    from core.lostfound.store import Post, PostStore
    from core.models.manager import ModelManager
    from core.process import run_in_process, start_helper

    start_helper()
    models = ModelManager("cpu")
    cache = EmbeddingCache()
    runner = JobRunner(io_workers=2)
    logos = sorted(str(p) for p in (ROOT / "resources" / "demo" / "logos").iterdir() if p.suffix in (".png", ".svg"))
    photos = sorted((ROOT / "resources" / "demo" / "photos").glob("*.jpg"))
    store = PostStore(tmp / "posts.sqlite")
    for i, photo in enumerate(photos[:12]):
        store.add(Post(kind="lost" if i % 2 else "found", description=f"검은 모자 {i}", category="모자"),
                  photo=str(photo))
    gas = build_gas_demo(default_gas_csv(), tmp / "gas", limit=args.fusion_rows)
    data = load_dataset(str(gas))

    # warm: the models load once, as in the app after its first query
    t0 = time.perf_counter()
    service = LostFound(store, make_embedder(models, cache))
    service.refresh()
    encoder = load_encoder(models, "effnet-lite0")
    embed_query(logos[0], encoder, part=True)
    print(f"models loaded and warm in {time.perf_counter() - t0:.1f} s; {len(logos)} logos, "
          f"{store.count()} posts, gas demo {len(data.images)} images")

    def match(n: int):
        def work(progress, cancelled):
            post = store.add(Post(kind="lost", description=f"까만 모자 {n}", category="모자"), photo=str(photos[n % 12]))
            service.refresh()
            return service.match(post.id)
        return work

    def logo_query(n: int):
        return lambda progress, cancelled: embed_query(logos[n % len(logos)], encoder, part=True)

    def train(progress, cancelled):
        settings = TrainSettings(epochs=args.logo_epochs, batch_size=8, image_size=64, backbone="effnet-lite0",
                                 warmup_epochs=0)
        run = tempfile.mkdtemp(dir=tmp, prefix="run-")
        return run_in_process(train_in_child, (logos, settings, run, [], None, False), progress=progress,
                              cancelled=cancelled)

    def embed_demo(progress, cancelled):
        with EmbeddingCache(tmp / f"cache-{time.monotonic_ns()}.sqlite") as fresh:
            return image_features(data, encoder, fresh, progress, cancelled)

    results = {}
    for label, long_fn in (("Logos trains", train), ("Fusion embeds its demo", embed_demo)):
        for mode, prio in (("A batch, yields", Priority.BATCH), ("B normal, no yield", Priority.NORMAL),
                           ("A batch, yields", Priority.BATCH), ("B normal, no yield", Priority.NORMAL)):
            long_job = runner.submit(long_fn, label, priority=prio)
            while long_job.state is JobState.QUEUED or (long_job.progress == 0 and not long_job.state.done):
                time.sleep(0.05)  # measured once it has started its batches
            queries = []
            n = 0
            while not long_job.state.done and n < args.queries:
                fn = match(n) if n % 2 == 0 else logo_query(n)
                queries.append(runner.submit(fn, "match" if n % 2 == 0 else "logo query",
                                             priority=Priority.INTERACTIVE))
                n += 1
                time.sleep(0.5)
            for q in queries:
                q.wait()
            long_job.wait()
            assert long_job.state is JobState.FINISHED, long_job.error
            bad = [q.error for q in queries if q.state is not JobState.FINISHED]
            assert not bad, bad
            lat = [q.finished_at - q.submitted_at for q in queries]
            results.setdefault((label, mode), []).extend(lat)
            print(f"{label:24s} {mode:19s}: {len(lat)} queries, p50 {statistics.median(lat):6.2f} s, "
                  f"worst {max(lat):6.2f} s (the long job took {long_job.elapsed:.1f} s)", flush=True)
    print("\nboth runs of each, pooled (p50 / worst, seconds):")
    ok = True
    for label in ("Logos trains", "Fusion embeds its demo"):
        a, b = results[(label, "A batch, yields")], results[(label, "B normal, no yield")]
        ok &= max(a) <= 1.0
        print(f"  {label:24s} A {statistics.median(a):5.2f} / {max(a):5.2f}   B {statistics.median(b):5.2f} / "
              f"{max(b):5.2f}   worst B/A {max(b) / max(a):5.1f}x")
    print("target: worst ≤ 1 s with A:", "met" if ok else "NOT met")
    runner.shutdown()
    store.close()
    cache.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
