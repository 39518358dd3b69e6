"""Longest UI-thread stall on each page while its longest job runs (Logos, Lost & Found, Trends).

Run: QT_QPA_PLATFORM=offscreen python bench/pages_ui.py [--page logos lostfound trends]
     [--logos 300] [--pairs 12] [--epochs 15]

The real window and event loop on a fresh data dir (nothing cached); a 10 ms heartbeat timer
on the UI thread; the longest gap between beats minus the period is the longest stall. Each page
is driven through its own methods, as its buttons do:
- Logos: index ``--logos`` logos of ../shared/data/logos (rasterise, embed, save) and show them;
- Lost & Found: import the bench posts (``bench/lostfound_data.py``, photos included), then
  embed them and rank the first post's matches;
- Trends: make the synthetic demo, load it (features), train ``--epochs`` with live curves.
Albums (indexing) and Fusion (training) have their own: ``bench/albums_ui.py``,
``bench/fusion_ui.py``; undoing a merge of 1,000 photos: ``bench/albums_undo.py``.
Target: longest stall < 50 ms.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


class Heartbeat:
    """A timer on the UI thread; with ``STALL_TRACE=1`` a watcher thread samples where the UI
    thread is while a beat is more than 40 ms late (in the event loop itself: another thread
    held the GIL)."""

    def __init__(self, period_ms: int = 10) -> None:
        from PySide6.QtCore import QTimer

        self.period = period_ms
        self.beats: list[float] = []
        self.timer = QTimer(interval=period_ms)
        self.timer.timeout.connect(self._beat)
        self.trace = os.environ.get("STALL_TRACE") == "1"
        # STALL_TRACE=C: faulthandler's C watchdog dumps every thread's stack when the UI thread
        # misses beats for C seconds; it needs no GIL, so it also catches a thread that holds it
        self.dump_after = float(os.environ.get("STALL_TRACE", "0")) if not self.trace else 0.0
        self.running = False

    def _beat(self) -> None:
        self.beats.append(time.perf_counter())
        if self.dump_after:
            import faulthandler

            faulthandler.cancel_dump_traceback_later()
            faulthandler.dump_traceback_later(self.dump_after)

    def _watch(self, ui_thread: int) -> None:
        """Sample the UI thread's stack every 5 ms while it is more than 40 ms late; when the
        stall ends, print the stacks seen with how often (the others' too past 150 ms)."""
        import collections
        import threading
        import traceback

        samples: collections.Counter = collections.Counter()
        others: collections.Counter = collections.Counter()
        stalled_since = None
        while self.running:
            time.sleep(0.005)
            last = self.beats[-1] if self.beats else None
            late = time.perf_counter() - last if last is not None else 0.0
            if last is not None and late > 0.04:
                stalled_since = stalled_since or last
                frames = sys._current_frames()
                frame = frames.get(ui_thread)
                samples["".join(traceback.format_stack(frame, limit=10)) if frame else "?"] += 1
                if late > 0.15:
                    for t, f in frames.items():
                        if t not in (ui_thread, threading.get_ident()):
                            others[f"[thread {t}]\n" + "".join(traceback.format_stack(f, limit=6))] += 1
            elif stalled_since is not None and samples:
                took = 1000 * ((self.beats[-1] if self.beats else time.perf_counter()) - stalled_since)
                out = [f"--- UI thread stalled {took:.0f} ms at {stalled_since - self.t0:.1f} s; "
                       f"its stack in {sum(samples.values())} samples:"]
                out += [f"[{n}x]\n{stack}" for stack, n in samples.most_common(4)]
                out += [f"[{n}x other]\n{stack}" for stack, n in others.most_common(3)]
                print("\n".join(out), file=sys.stderr, flush=True)
                samples.clear()
                others.clear()
                stalled_since = None
            else:
                stalled_since = None

    def __enter__(self):
        self.t0 = time.perf_counter()
        self.timer.start()
        if self.trace:
            import threading

            self.running = True
            threading.Thread(target=self._watch, args=(threading.get_ident(),), daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.timer.stop()
        if self.dump_after:
            import faulthandler

            faulthandler.cancel_dump_traceback_later()
        self.running = False

    def report(self) -> tuple[float, float, str]:
        timed = sorted(((b - a) * 1000 - self.period, a - self.t0)
                       for a, b in zip(self.beats, self.beats[1:], strict=False))
        gaps = [g for g, _ in timed] or [0.0]
        worst = ", ".join(f"{g:.0f} ms at {t:.1f} s" for g, t in timed[-3:][::-1])
        return gaps[-1], gaps[int(len(gaps) * 0.99)], worst


def wait(app, cond, timeout: float = 1800) -> None:
    """Run Qt's own event loop (as the app does) until ``cond()`` holds."""
    from PySide6.QtCore import QEventLoop, QTimer

    if cond():
        return
    loop = QEventLoop()
    end = time.monotonic() + timeout
    poll = QTimer(interval=20)
    poll.timeout.connect(lambda: (cond() or time.monotonic() > end) and loop.quit())
    poll.start()
    loop.exec()
    poll.stop()
    if not cond():
        raise TimeoutError


def finish(app, queue, job, timeout: float = 1800) -> None:
    """Run the event loop until ``job`` is done and its callbacks have run on the UI thread."""
    if job is None:
        raise RuntimeError("the page started no job")
    wait(app, lambda: job.state.done, timeout)
    settle = time.monotonic() + 0.2
    wait(app, lambda: time.monotonic() > settle)
    if job.error:
        raise RuntimeError(f"{job.name}: {job.error}")


def logos(app, window, page, args, tmp: Path) -> str:
    folder = tmp / "logos"
    folder.mkdir()
    files = sorted((SHARED / "logos" / "brands" / "logos").glob("*.svg"))[: args.logos]
    for f in files:
        os.symlink(f, folder / f.name)
    finish(app, window.jobs, page.index_folder(str(folder)))
    return f"indexed {len(page.index)} logos"


def lostfound_posts(args, tmp: Path) -> list[dict]:
    """The bench's posts as a CSV (made before measuring: cropping photos is the bench's work)."""
    from bench.lostfound_data import make_pairs

    posts = make_pairs(tmp / "lf", pairs_per_class=args.pairs)
    with open(tmp / "posts.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["kind", "image", "description"])
        for p in posts:
            w.writerow([p["kind"], p["image"] or "", p["description"]])
    return posts


def lostfound(app, window, page, args, tmp: Path) -> str:
    posts = args.posts
    # an empty store loads no model on first show ("they load with the first post"): the import does
    finish(app, window.jobs, page.import_posts(str(tmp / "posts.csv")))
    finish(app, window.jobs, page.refresh_vectors())
    page.posts_panel.table.selectRow(0)
    page.matches_panel.update_matches()
    return f"imported and embedded {len(posts)} posts, matches shown"


def trends(app, window, page, args, tmp: Path) -> str:
    finish(app, window.jobs, page.load_demo())
    wait(app, lambda: page.prep is not None)
    page.epochs.setValue(args.epochs)
    finish(app, window.jobs, page.start_training())
    return f"trained {args.epochs} epochs on {len(page.prep.posts)} posts"


PAGES = {"logos": logos, "lostfound": lostfound, "trends": trends}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--page", nargs="+", choices=list(PAGES), default=list(PAGES))
    parser.add_argument("--logos", type=int, default=300)
    parser.add_argument("--pairs", type=int, default=12, help="lost/found pairs per class")
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()
    if not SHARED.exists():
        print(f"skipped: {SHARED} is absent")
        return 0
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    results = []
    for name in args.page:
        tmp = Path(tempfile.mkdtemp(prefix=f"simscope-{name}-ui-"))
        os.environ["SIMSCOPE_DATA_DIR"] = str(tmp / "data")
        if name == "lostfound":
            args.posts = lostfound_posts(args, tmp)
        from app.main import create_window

        window, queue = create_window()
        page = next(p for p in window.pages if p.icon == name)
        window.resize(1300, 820)
        window.show()
        window.nav.setCurrentRow(window.pages.index(page))
        with Heartbeat() as start_beat:  # device detection and library warm-up, as in the app
            window.start()
            wait(app, lambda w=window: w.device is not None and not any(
                j.name == "Load libraries" and not j.state.done for j in w.jobs.jobs()))
        print(f"page={name} start-up warm-up: longest_stall_ms={start_beat.report()[0]:.1f} "
              f"(the window idle, before the job)", flush=True)
        with Heartbeat() as beat:
            t0 = time.perf_counter()
            if os.environ.get("PROFILE"):  # where the UI thread's time goes
                import cProfile
                import pstats

                prof = cProfile.Profile()
                what = prof.runcall(PAGES[name], app, window, page, args, tmp)
                pstats.Stats(prof).sort_stats("tottime").print_stats(15)
            else:
                what = PAGES[name](app, window, page, args, tmp)
            seconds = time.perf_counter() - t0
        longest, p99, worst = beat.report()
        results.append((name, longest))
        print(f"page={name} job_s={seconds:.1f} longest_stall_ms={longest:.1f} p99_ms={p99:.1f} ({what}; "
              f"worst: {worst})", flush=True)
        queue.shutdown()
        window.context.cache.close()
        window.close()
    print("all pages: " + ", ".join(f"{n} {s:.0f} ms" for n, s in results) + " (target < 50 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
