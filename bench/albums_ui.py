"""Longest UI-thread stall while the Albums page indexes a folder (and thumbnails load).

Run: QT_QPA_PLATFORM=offscreen python bench/albums_ui.py [--limit 600]
A fresh data dir (nothing cached), the events4 photos (a linked copy of the first
``--limit``), the real event loop; a 10 ms heartbeat timer on the UI thread; the
longest gap between beats minus the period is the longest stall. Target < 100 ms.
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
EVENTS4 = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "photos" / "events4" / "Database"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=600)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="simscope-albums-ui-")
    os.environ["SIMSCOPE_DATA_DIR"] = str(Path(tmp) / "data")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.main import create_window
    from core.images import list_images

    folder = Path(tmp) / "photos"
    folder.mkdir()
    for i, f in enumerate(list_images([EVENTS4])[: args.limit]):
        os.symlink(f, folder / f"{i:05d}{f.suffix}")
    app = QApplication.instance() or QApplication([])
    window, queue = create_window()
    page = next(p for p in window.pages if p.icon == "albums")
    window.nav.setCurrentRow(window.pages.index(page))
    window.resize(1300, 820)
    window.show()
    # as in the app: after the first paint, device detection imports torch off the UI thread
    # (importing torch's libraries holds the GIL for a moment: a start-up hiccup, not indexing)
    window.start()
    t_start = time.perf_counter()
    while window.device is None or any(j.name == "Load libraries" and not j.state.done for j in queue.jobs()):
        app.processEvents()
        time.sleep(0.005)
    print(f"start-up warm-up (torch, device, libraries) done {time.perf_counter() - t_start:.1f} s after start")
    beats: list[float] = []
    timer = QTimer(interval=10)
    marks: list[tuple[float, str]] = []

    def beat():
        now = time.perf_counter()
        if beats and now - beats[-1] > 0.06:
            marks.append((now - beats[-1], f"at {now - t0:.1f} s, job: {job.message or job.state.value}"))
        beats.append(now)

    timer.timeout.connect(beat)
    timer.start()
    t0 = time.perf_counter()
    job = page.add_paths([str(folder)])
    done = []

    def finished(j):
        if j is job:
            done.append(time.perf_counter())
            # keep the loop going while the grid's thumbnails load, then stop
            QTimer.singleShot(4000, app.quit)

    window.jobs.job_finished.connect(finished)
    if os.environ.get("PROFILE"):
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.runcall(app.exec)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    else:
        app.exec()
    if job.error:
        print("failed:", job.error)
        return 1
    gaps = [b - a - 0.010 for a, b in zip(beats, beats[1:], strict=False)]
    gaps.sort()
    print(f"indexed {args.limit} photos (nothing cached) + grouping in {done[0] - t0:.1f} s; "
          f"{len(page.store.events())} events; then 4 s of thumbnails")
    print(f"heartbeats {len(beats)}; longest UI stall {1000 * gaps[-1]:.0f} ms, "
          f"p99 {1000 * gaps[int(0.99 * len(gaps))]:.0f} ms (target < 100 ms)")
    shot = Path(__file__).resolve().parent.parent / "out" / "screenshots" / "albums-bench.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(shot))
    for gap, where in sorted(marks, reverse=True)[:5]:
        print(f"  stall {1000 * gap:.0f} ms {where}")
    queue.shutdown()
    for p in window.pages:
        p.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
