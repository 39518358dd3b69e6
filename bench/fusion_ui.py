"""Longest UI-thread stall while the Fusion page loads its demo (features) and trains with live plots.

Run: QT_QPA_PLATFORM=offscreen python bench/fusion_ui.py [--limit N] [--epochs 10]
A 10 ms heartbeat timer runs on the UI thread during training; the longest gap
between beats (minus the 10 ms period) is the longest stall. Target < 100 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=None, help="a balanced subset (default: all 6,400)")
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    os.environ.setdefault("SIMSCOPE_DATA_DIR", tempfile.mkdtemp(prefix="simscope-ui-"))
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.main import create_window

    app = QApplication.instance() or QApplication([])
    window, queue = create_window()
    page = next(p for p in window.pages if p.icon == "fusion")
    window.nav.setCurrentRow(window.pages.index(page))
    window.show()
    window.start()  # as the app does after its first paint: device detection, the libraries' warm-up

    def wait(cond, timeout=600):
        end = time.monotonic() + timeout
        while not cond() and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.005)
        if not cond():
            raise TimeoutError

    wait(lambda: any(j.name == "Load libraries" and j.state.done for j in window.jobs.jobs()))
    beats = []
    timer = QTimer(interval=10)
    timer.timeout.connect(lambda: beats.append(time.perf_counter()))
    timer.start()  # also while the demo is built and its image features extracted (the demo's first show)
    t0 = time.perf_counter()
    page.load_demo(limit=args.limit)
    wait(lambda: page.data is not None)
    load_s = time.perf_counter() - t0
    timer.stop()
    timed = sorted(((b - a) * 1000 - 10, a - t0) for a, b in zip(beats, beats[1:], strict=False))
    gaps = [g for g, _ in timed]
    print(f"loading the demo ({len(page.data)} samples, features included) took {load_s:.1f} s: "
          f"UI heartbeats {len(beats)}, longest stall {gaps[-1]:.1f} ms, p99 {gaps[int(len(gaps) * 0.99)]:.1f} ms; "
          "worst: " + ", ".join(f"{g:.0f} ms at {t:.1f} s" for g, t in timed[-3:][::-1]))
    beats.clear()
    page.epochs.setValue(args.epochs)
    timer.start()
    t0 = time.perf_counter()
    job = page.start_training()
    window.jobs.job_finished.connect(lambda j: j is job and QTimer.singleShot(0, app.quit))
    app.exec()  # the real event loop, as in the app
    train_s = time.perf_counter() - t0
    if page.result is None:
        print("failed:", page.last_error)
        return 1
    timer.stop()
    timed = sorted(((b - a) * 1000 - 10, a - t0) for a, b in zip(beats, beats[1:], strict=False))
    gaps = [g for g, _ in timed]
    worst = ", ".join(f"{g:.0f} ms at {t:.1f} s" for g, t in timed[-3:][::-1])
    print(f"{len(page.data)} samples, {args.epochs} epochs in {train_s:.1f} s with {len(page.history)} live plot updates")
    print(f"UI heartbeats: {len(beats)}; longest stall {gaps[-1]:.1f} ms, p99 {gaps[int(len(gaps) * 0.99)]:.1f} ms "
          f"(target < 100 ms)")
    print(f"worst stalls: {worst}")
    queue.shutdown()
    window.context.cache.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
