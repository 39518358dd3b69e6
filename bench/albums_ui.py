"""Longest UI-thread stall while the Albums page indexes a folder (and thumbnails load).

Run: QT_QPA_PLATFORM=offscreen python bench/albums_ui.py [--limit 600]
A fresh data dir (nothing cached), the events4 photos (a linked copy of the first
``--limit``), the real event loop; a 10 ms heartbeat timer on the UI thread; the
longest gap between beats minus the period is the longest stall. Target < 100 ms.

Library mode (issue 35, "Browsing a library"):
QT_QPA_PLATFORM=offscreen python bench/albums_ui.py --library 100000 [--sizes 10000 30000 100000]
builds an album of n photos (hard links of events4's 3,031 photos in folders of 1,000, ~n/45
events of 5–500 photos over 2012–2024, a tenth of the photos and 3% of the events without a
capture time, 8% unsorted; the embedding cache is a copy of bench-data's, filled once as an album
embeds events4, so every photo's vector is cached; the files' keys are made and the album checked
once by the CLI, which saves its search index, before the clock starts, as after a first index),
then opens the real window on it
in a child process and measures: the time until the album is shown (create_window to the first
paint of the page with its events and grid; target <= 2 s), the longest UI stall (10 ms heartbeat)
while the page's background check of the library runs, while the grid (Unsorted, then the largest
event) and the event list are scrolled by scroll-bar steps with the event loop running (target
<= 50 ms), the time to show an event, and the process's VmRSS / VmHWM (target <= 1.5 GB). With
several --sizes each is built and measured in turn, then how each figure grows (slope in log-log).
--keep keeps the built libraries, --reuse ROOT … measures kept ones again (a fresh copy of their
data each time); --against DIR measures each one with another checkout too, interleaved, and prints
the medians side by side with their ratio.
PROFILE=1 prints the UI thread's cProfile of the open.
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
    parser.add_argument("--library", type=int, help="build an album of this many photos and browse it")
    parser.add_argument("--sizes", type=int, nargs="+", help="library mode at each of these sizes")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the child: a built library's data folder
    parser.add_argument("--keep", action="store_true", help="keep the built libraries (their folder is printed)")
    parser.add_argument("--reuse", nargs="+", default=[], metavar="ROOT",
                        help="libraries kept by --keep (or built by albums_library.build), measured again: "
                             "each measure opens a fresh copy of ROOT/data, so every run starts alike")
    parser.add_argument("--against", metavar="DIR",
                        help="another checkout (e.g. `git archive HEAD~3 | tar -x -C DIR`): each library is "
                             "measured with this tree and with DIR's, interleaved A B (A B …), medians and ratios")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of A B per library with --against")
    args = parser.parse_args()
    if args.library or args.sizes or args.measure or args.reuse:
        from bench.albums_library import run

        return run(args)
    tmp = tempfile.mkdtemp(prefix="simscope-albums-ui-")
    os.environ["SIMSCOPE_DATA_DIR"] = str(Path(tmp) / "data")
    from PySide6.QtCore import QTimer

    from bench.window import close, open_on
    from core.images import list_images

    folder = Path(tmp) / "photos"
    folder.mkdir()
    for i, f in enumerate(list_images([EVENTS4])[: args.limit]):
        os.symlink(f, folder / f"{i:05d}{f.suffix}")
    app, window, queue, page = open_on("albums")
    # as in the app: after the first paint, device detection imports torch off the UI thread
    # (importing torch's libraries holds the GIL for a moment: a start-up hiccup, not indexing)
    window.start()
    t_start = time.perf_counter()
    while window.device is None or any(j.name == "Load libraries" and not j.state.done for j in queue.jobs()):
        app.processEvents()
        time.sleep(0.005)
    print(f"start-up warm-up (device, libraries) done {time.perf_counter() - t_start:.1f} s after start")
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
    close(window, queue)
    return 0


if __name__ == "__main__":
    sys.exit(main())
