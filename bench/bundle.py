"""The desktop bundle: build time, size unpacked and as .tar.gz (and what dominates it),
start-to-window time vs source (interleaved, medians; the first start of each warms the cache).

Run: python bench/bundle.py [--cuda] [--runs 5] [--dist DIR]   (builds with scripts/build.sh into
DIR, default /tmp/simscope-bundle; --no-build measures what is there). The CPU build runs in its
own venv (scripts/build.sh says which), the source side in this interpreter's.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def first_paint(cmd: list[str], env: dict) -> float:
    t0 = time.time()
    out = subprocess.run([*cmd, "--startup-report"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("{"))
    return json.loads(line)["first_paint_epoch"] - t0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dist", default="/tmp/simscope-bundle")
    parser.add_argument("--no-build", action="store_true", help="measure an existing bundle in --dist")
    parser.add_argument("--cuda", action="store_true", help="the CUDA build (default: CPU)")
    args = parser.parse_args()
    dist = Path(args.dist)
    if not args.no_build:
        shutil.rmtree(dist, ignore_errors=True)
        t0 = time.perf_counter()
        env = dict(os.environ, SIMSCOPE_DIST=str(dist / "dist"), SIMSCOPE_BUILD_WORK=str(dist / "work"))
        subprocess.run([str(ROOT / "scripts" / "build.sh"), *(["--cuda"] if args.cuda else [])], cwd=ROOT,
                       env=env, check=True, capture_output=True)
        print(f"build time (clean, with its self-test and archive): {time.perf_counter() - t0:.0f} s")
    bundle = dist / "dist" / "simscope"
    internal = bundle / "_internal"
    total = du(bundle)
    print(f"bundle size: {total / 1e9:.2f} GB unpacked")
    for archive in sorted((dist / "dist").glob("simscope-*.tar.gz")):
        print(f"  {archive.name}: {archive.stat().st_size / 1e6:.0f} MB")
    parts = sorted(((du(p) if p.is_dir() else p.lstat().st_size, p.name) for p in internal.iterdir()
                    if not p.is_symlink()), reverse=True)
    for size, name in parts[:8]:
        print(f"  {name:28s} {size / 1e9:6.2f} GB  ({100 * size / total:4.1f}%)")
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               SIMSCOPE_DATA_DIR=tempfile.mkdtemp(prefix="simscope-bench-"))
    frozen, source = [str(bundle / "simscope")], [sys.executable, "-m", "app"]
    first_paint(frozen, env)  # warm the OS file cache once, for both
    first_paint(source, env)
    f_times, s_times = [], []
    for _ in range(args.runs):
        f_times.append(first_paint(frozen, env))
        s_times.append(first_paint(source, env))
    f, s = statistics.median(f_times), statistics.median(s_times)
    print(f"start → first paint, median of {args.runs}: bundle {1000 * f:.0f} ms, source {1000 * s:.0f} ms "
          f"(bundle / source {f / s:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
