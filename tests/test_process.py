"""Children of the app (training, SVG drawing): started from a fork server, not from the
window's process, with progress, results, errors and Cancel passed across."""

from __future__ import annotations

import os
import sys
import time

import pytest

from core.jobs import Cancelled
from core.process import ChildError, context, run_in_process, start_helper


def _report(n: int, emit=None):
    for i in range(n):
        emit("progress", ((i + 1) / n, f"step {i + 1}"))
    emit("note", {"ppid": os.getppid()})
    return n * 2


def _fail(emit=None):
    raise ValueError("bad row 7 in posts.csv")


def _sleep(emit=None):
    time.sleep(60)


@pytest.mark.skipif(sys.platform == "win32", reason="Windows has no fork server")
def test_children_come_from_the_fork_server():
    assert start_helper() == "forkserver"
    assert context().get_start_method() == "forkserver"
    seen, notes = [], []
    result = run_in_process(_report, (3,), progress=lambda f, t: seen.append((f, t)),
                            on_message=lambda kind, payload: notes.append((kind, payload)))
    assert result == 6
    assert seen == [(1 / 3, "step 1"), (2 / 3, "step 2"), (1.0, "step 3")]
    (kind, note), = notes
    assert kind == "note"
    assert note["ppid"] != os.getpid()  # forked by the server, not by this (large) process


def test_a_failing_child_raises_with_its_message():
    with pytest.raises(ChildError, match="bad row 7 in posts.csv"):
        run_in_process(_fail)


def test_cancel_stops_the_child_promptly():
    t0 = time.monotonic()
    with pytest.raises(Cancelled):
        run_in_process(_sleep, cancelled=lambda: time.monotonic() - t0 > 1.0)
    assert time.monotonic() - t0 < 10
