"""Time from process start to the main window's first paint, beside `import torch`,
and `./scripts/start.sh` (setup already current) beside `python -m app`.

Run: python bench/startup.py [--runs 5]
Prints the median of each and their ratio, measured side by side in one run (interleaved:
A B A B ...), and checks that torch was not imported before the first paint. The start.sh
figure is what a second start costs: the stamp check and the Qt platform check, then the app.
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


def first_paint(env, command: list[str] | None = None) -> tuple[float, bool]:
    t0 = time.time()
    out = subprocess.run((command or [sys.executable, "-m", "app"]) + ["--startup-report"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
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
    # start.sh on an environment that is current (the venv this interpreter belongs to)
    venv = Path(sys.prefix) if (Path(sys.prefix) / "pyvenv.cfg").exists() else None
    starts, apps = [], []
    if venv is not None:
        env_sh = dict(env, SIMSCOPE_VENV=str(Path(sys.prefix)))
        first_paint(env_sh, ["bash", "scripts/start.sh"])  # brings the stamp up to date if it is not
        for _ in range(args.runs):
            starts.append(first_paint(env_sh, ["bash", "scripts/start.sh"])[0])
            apps.append(first_paint(env_sh, [sys.executable, "-m", "app", "--demo"])[0])
    p, t = statistics.median(paints), statistics.median(torches)
    if starts:
        s_med, a_med = statistics.median(starts), statistics.median(apps)
        print(f"./scripts/start.sh → first paint (median of {args.runs}): {s_med * 1000:.0f} ms")
        print(f"python -m app --demo → first paint (median of {args.runs}): {a_med * 1000:.0f} ms")
        print(f"start.sh overhead                         : {(s_med - a_med) * 1000:+.0f} ms "
              f"(target ≤ 2000 ms; ratio {s_med / a_med:.2f})")
    else:
        print("start.sh: skipped (run this with the project's venv python to measure it)")
    print(f"start → first paint (median of {args.runs}): {p * 1000:.0f} ms")
    print(f"python -c 'import torch, torchvision'    : {t * 1000:.0f} ms")
    print(f"ratio first paint / torch import          : {p / t:.2f}")
    print(f"torch imported before first paint         : {leaked}")
    return 1 if leaked else 0


if __name__ == "__main__":
    raise SystemExit(main())
