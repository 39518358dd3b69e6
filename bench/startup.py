"""Time from process start to the main window's first paint, beside `import torch`.

Run: python bench/startup.py [--runs 5]
Prints the median of each and their ratio, measured side by side in one run,
and checks that torch was not imported before the first paint.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def first_paint(env) -> tuple[float, bool]:
    t0 = time.time()
    out = subprocess.run([sys.executable, "-m", "app", "--startup-report"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("{"))
    report = json.loads(line)
    return report["first_paint_epoch"] - t0, report["torch_imported_before_paint"]


def import_torch(env) -> float:
    t0 = time.time()
    subprocess.run([sys.executable, "-c", "import torch, torchvision"], env=env, check=True, timeout=120)
    return time.time() - t0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               SIMSCOPE_DATA_DIR=tempfile.mkdtemp(prefix="simscope-bench-"))
    first_paint(env)  # warm the OS file cache once, for both
    import_torch(env)
    paints, torches, leaked = [], [], False
    for _ in range(args.runs):
        t, torch_loaded = first_paint(env)
        paints.append(t)
        leaked |= torch_loaded
        torches.append(import_torch(env))
    p, t = statistics.median(paints), statistics.median(torches)
    print(f"start → first paint (median of {args.runs}): {p * 1000:.0f} ms")
    print(f"python -c 'import torch, torchvision'    : {t * 1000:.0f} ms")
    print(f"ratio first paint / torch import          : {p / t:.2f}")
    print(f"torch imported before first paint         : {leaked}")
    return 1 if leaked else 0


if __name__ == "__main__":
    raise SystemExit(main())
