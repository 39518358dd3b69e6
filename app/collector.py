"""Garbage collected on the GUI thread only, on a timer.

A reference cycle holding Qt objects that Python collects on a worker thread can crash Qt, so
automatic collection is off and the GUI thread collects on a timer: each generation when its
count passed its threshold, the way pyqtgraph's ``GarbageCollector`` does, with one difference:
a full collection (the oldest generation) runs only once the objects that reached it since the
last one are a quarter of those it held then, as CPython's own collector decides. pyqtgraph's
collected in full every ten younger collections, and a full collection walks every object the
process holds: beside an album of 100,000 photos being checked it held the GUI thread 0.4-0.7 s.
Not pyqtgraph's class either way: importing it imports all of pyqtgraph (0.36 s quiet) on the GUI
thread, right after the window's first paint.

While a job runs (``busy``), the young generations wait, up to ``DEFER_MOST`` objects: what a
worker builds as it goes (100,000 photos' rows, tags, keys) is young while it works, and each
young collection walked all of it on the GUI thread (a check of a 100,000-photo album: 70-120 ms
each, once a second). Most of it is freed, by reference counts, when the job ends; the collection
after it walks what is left, once.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

from PySide6.QtCore import QTimer

FULL_GROWTH = 1.25  # CPython's rule: long_lived_pending > long_lived_total / 4
DEFER_MOST = 1_000_000  # young objects left for after a running job (~100 MB of small containers)


class GuiThreadCollector:
    """Turns automatic collection off and collects every ``interval`` seconds on this (the GUI)
    thread: generation 0 when its count passed its threshold, then 1, then 2 likewise, 2 only
    when the oldest generation grew by a quarter since the last full collection; none while
    ``busy()`` says a job runs, until generation 0 holds ``DEFER_MOST`` objects."""

    def __init__(self, interval: float = 1.0, busy: Callable[[], bool] | None = None) -> None:
        self.busy = busy  # True while a job runs (the job queue's running jobs)
        self.deferred = 0  # checks that left the young generations for after a job (tests)
        self.threshold = gc.get_threshold()
        self.full_from = 0  # objects in the oldest generation that make the next full collection
        self.full = 0  # full collections made (tests)
        gc.disable()
        self.timer = QTimer()
        self.timer.timeout.connect(self.check)
        self.timer.start(round(interval * 1000))

    def check(self) -> None:
        young, middle, old = gc.get_count()
        if young > self.threshold[0]:
            if young < DEFER_MOST and self.busy is not None and self.busy():
                self.deferred += 1
                return
            gc.collect(0)
            if middle > self.threshold[1]:
                gc.collect(1)
                if old > self.threshold[2] and len(gc.get_objects(2)) > self.full_from:
                    gc.collect(2)
                    self.full += 1
                    self.full_from = int(len(gc.get_objects(2)) * FULL_GROWTH)
