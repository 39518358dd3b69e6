"""``simscope --self-test``: open the main window offscreen, run one small job per workspace
through the job queue, print a line per check, exit 0 only if every check succeeded.

It runs on a throw-away data dir, so it never touches the user's data, and it is
what the bundle test runs on a freshly built executable.
"""

from __future__ import annotations

import sys
import time

# which page (by icon) each check belongs to; checks of pages that are placeholders are skipped
PAGE_OF_CHECK = {"torch operators": None, "Albums": "albums", "Logos": "logos", "Lost & Found": "lostfound", "Fusion": "fusion",
                 "Trends": "trends", "SimCLR": "logos"}


def plots_verdict() -> tuple[bool, str]:
    """pyqtgraph (every page's plots) imports and draws a curve: a bundle that left out a Qt module
    it imports by name (PySide6.QtOpenGL, QtOpenGLWidgets) fails here, not on a user's display."""
    try:
        import pyqtgraph as pg

        plot = pg.PlotWidget()
        plot.plot([0.0, 1.0, 2.0], [1.0, 0.0, 1.0])
        image = plot.grab()
        plot.deleteLater()
    except Exception as exc:  # reported as a failed check, with its type and words
        return False, f"pyqtgraph cannot draw: {type(exc).__name__}: {exc}"
    if image.isNull():
        return False, "pyqtgraph drew nothing (an empty image)"
    return True, f"pyqtgraph {pg.__version__}: a curve drawn ({image.width()}x{image.height()})"


def run_self_test(window, queue, app, timeout_s: float = 600.0) -> int:
    from app.qt_refs import verdict
    from core.selftest import CHECKS

    sound, line = verdict()
    print(f"{'ok   ' if sound else 'FAIL '} Qt bindings: {line}", flush=True)
    plots, line = plots_verdict()
    print(f"{'ok   ' if plots else 'FAIL '} Plots: {line}", flush=True)
    sound = sound and plots
    real_pages = {p.icon for p in window.pages}
    jobs = []
    for name, fn in CHECKS.items():
        page = PAGE_OF_CHECK.get(name)
        if page is not None and page not in real_pages:
            print(f"skip  {name}: workspace not built yet", flush=True)
            continue
        job = queue.submit(fn, f"Self-test: {name}")
        job.keep_result = True  # printed below, after the queue delivered it
        jobs.append(job)
    deadline = time.monotonic() + timeout_s
    while not all(j.state.done for j in jobs) and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)
    ok = sound
    for job in jobs:
        if job.state.value == "finished":
            print(f"ok    {job.name.removeprefix('Self-test: ')}: {job.result}", flush=True)
        else:
            ok = False
            detail = job.error or ("timed out" if not job.state.done else job.state.value)
            print(f"FAIL  {job.name.removeprefix('Self-test: ')}: {detail}", flush=True)
            if job.traceback:
                print(job.traceback, file=sys.stderr, flush=True)
    print("self-test passed" if ok else "self-test FAILED", flush=True)
    return 0 if ok else 1
