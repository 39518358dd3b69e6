"""The core job runner: progress, cancel, failures, lanes, shutdown."""

from __future__ import annotations

import threading
import time

import pytest

from core.jobs import Cancelled, JobRunner, JobState, Lane, check_cancel, sub_progress


def test_job_reports_progress_and_result(runner):
    seen = []
    runner.add_listener(lambda job, event: seen.append((event, round(job.progress, 2))))

    def work(progress, cancelled):
        for i in range(5):
            progress((i + 1) / 5, f"step {i + 1}")
        return "done"

    job = runner.submit(work, "five steps")
    assert job.wait(5)
    assert job.state is JobState.FINISHED and job.result == "done"
    events = [e for e, _ in seen]
    assert events[0] == "queued" and events[1] == "started" and events[-1] == "finished"
    fractions = [p for e, p in seen if e == "progress"]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert job.message == "step 5"


def test_cancel_stops_a_running_job_at_its_next_step(runner):
    started = threading.Event()
    steps = []

    def work(progress, cancelled):
        for i in range(1000):
            check_cancel(cancelled)
            steps.append(i)
            started.set()
            time.sleep(0.01)
        return "finished anyway"

    job = runner.submit(work, "long")
    assert started.wait(5)
    runner.cancel(job.id)
    assert job.wait(5)
    assert job.state is JobState.CANCELLED
    assert job.result is None
    assert len(steps) < 1000


def test_a_queued_job_that_is_cancelled_never_runs(runner):
    gate = threading.Event()
    ran = []
    first = runner.submit(lambda p, c: gate.wait(5), "blocker")
    second = runner.submit(lambda p, c: ran.append(1), "never")
    runner.cancel(second.id)
    gate.set()
    assert first.wait(5) and second.wait(5)
    assert second.state is JobState.CANCELLED and ran == []


def test_failure_keeps_the_error_and_traceback_and_the_runner_goes_on(runner):
    def broken(progress, cancelled):
        raise ValueError("bad input: row 3")

    bad = runner.submit(broken, "broken")
    good = runner.submit(lambda p, c: 42, "fine")
    assert bad.wait(5) and good.wait(5)
    assert bad.state is JobState.FAILED
    assert bad.error == "ValueError: bad input: row 3"
    assert "raise ValueError" in bad.traceback
    assert good.state is JobState.FINISHED and good.result == 42


def test_model_jobs_run_one_at_a_time_and_io_jobs_in_parallel(runner):
    active = {"model": 0, "io": 0}
    peak = {"model": 0, "io": 0}
    lock = threading.Lock()

    def work(lane):
        def fn(progress, cancelled):
            with lock:
                active[lane] += 1
                peak[lane] = max(peak[lane], active[lane])
            time.sleep(0.1)
            with lock:
                active[lane] -= 1
        return fn

    jobs = [runner.submit(work("model"), f"m{i}", Lane.MODEL) for i in range(3)]
    jobs += [runner.submit(work("io"), f"io{i}", Lane.IO) for i in range(4)]
    for job in jobs:
        assert job.wait(10)
    assert peak["model"] == 1
    assert peak["io"] == 2
    model_threads = set()
    runner.submit(lambda p, c: model_threads.add(threading.current_thread().name), "t").wait(5)
    assert model_threads == {"simscope-model-worker"}


def test_shutdown_cancels_pending_work_and_joins_threads():
    r = JobRunner(io_workers=2)
    gate = threading.Event()
    running = r.submit(lambda p, c: [check_cancel(c) or time.sleep(0.01) for _ in range(10_000)], "busy")
    pending = [r.submit(lambda p, c: gate.wait(), f"p{i}", Lane.IO) for i in range(5)]
    time.sleep(0.05)
    gate.set()
    r.shutdown(cancel=True, timeout=10)
    assert not r.alive
    assert running.state is JobState.CANCELLED
    assert all(j.state.done for j in pending)
    with pytest.raises(RuntimeError):
        r.submit(lambda p, c: None, "late")


def test_sub_progress_maps_each_step_onto_its_share():
    got = []
    report = sub_progress(lambda f, m=None: got.append(round(f, 3)), 0.2, 0.6)
    for f in (0.0, 0.5, 1.0, 2.0):
        report(f)
    assert got == [0.2, 0.4, 0.6, 0.6]


def test_cancelled_is_an_exception_a_job_can_raise_itself(runner):
    job = runner.submit(lambda p, c: (_ for _ in ()).throw(Cancelled()), "self-cancel")
    assert job.wait(5) and job.state is JobState.CANCELLED


def test_a_finished_job_lets_go_of_its_function(runner):
    import weakref

    class Holder:
        pass

    holder = Holder()
    ref = weakref.ref(holder)

    def work(progress, cancelled, h=holder):
        return 1

    job = runner.submit(work, "holds a reference")
    del work, holder
    assert job.wait(5) and job.fn is None
    import gc

    gc.collect()
    assert ref() is None  # nothing from the closure outlives the job


def test_gc_is_paused_while_libraries_load_and_back_after_even_when_nested():
    import gc

    from core.warmup import gc_paused

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # the device check and the warm-up may overlap
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer one still loads
    assert gc.isenabled() and gc.get_freeze_count() > 0  # what was loaded is frozen, not walked again
    gc.unfreeze()


def test_the_model_libraries_are_not_imported_while_the_warm_up_imports():
    """The warm-up (IO worker) and the model libraries' import (model worker) ran at once at the
    demo's start: scikit-learn's import reached scipy's array-API check, which read a torch half
    imported by the other thread, and the warm-up failed (2 starts in 3). In a fresh process:
    ``warm_models`` waits while the warm-up's import lock is held, then imports torch."""
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    code = textwrap.dedent("""
        import sys, threading, time
        from core import warmup
        with warmup._import_lock:  # the warm-up importing scikit-learn
            t = threading.Thread(target=warmup.warm_models)
            t.start()
            time.sleep(1.0)
            waited = t.is_alive() and "torch" not in sys.modules
        t.join(300)
        print(waited, "torch" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent,
                         capture_output=True, text=True, timeout=360, check=False)
    assert out.stdout.split() == ["True", "True"], out.stderr[-2000:]


def test_a_pause_that_ends_after_the_window_takes_over_collection_leaves_it_off(qapp, monkeypatch):
    """The warm-up starts on a worker just before the window installs its GUI-thread collector
    (``install_gui_thread_gc``); when the warm-up ended it turned automatic collection on again, so
    every thread collected (found in the real app: on 15 s after the first paint). Now it stays off
    and the window's timer collects."""
    import gc

    from app.main import install_gui_thread_gc
    from core import warmup

    monkeypatch.setattr(warmup, "_gc_gui_only", False)  # restored after: other tests expect it on

    class Window:
        pass

    window = Window()
    try:
        with warmup.gc_paused():
            install_gui_thread_gc(window)  # the window's first paint, while the warm-up still runs
        assert not gc.isenabled() and window.garbage_collector.timer.isActive()
        with warmup.gc_paused():  # the first model's load, later
            pass
        assert not gc.isenabled()
    finally:
        window.garbage_collector.timer.stop()
        gc.enable()
        gc.unfreeze()


def test_the_window_s_collector_knows_when_a_job_runs(window, qtbot, monkeypatch):
    """``install_gui_thread_gc`` on the real window: its collector's ``busy`` is the job queue's."""
    import threading

    from app.main import install_gui_thread_gc
    from core import warmup
    from core.jobs import Lane

    monkeypatch.setattr(warmup, "_gc_gui_only", False)  # restored after: other tests expect it on
    go = threading.Event()
    try:
        install_gui_thread_gc(window)
        busy = window.garbage_collector.busy
        assert busy is not None and not busy()
        job = window.context.jobs.submit(lambda progress, cancelled: go.wait(10), "wait", Lane.IO)
        qtbot.waitUntil(busy, timeout=5000)
        go.set()
        qtbot.waitUntil(lambda: job.state.done and not busy(), timeout=5000)
    finally:
        go.set()
        window.garbage_collector.timer.stop()  # the window fixture's collector goes on, and ends it


def test_a_job_that_fills_the_disk_says_which_file_and_what_to_do(runner, tmp_path):
    """A full disk in the middle of a job: the message names the file and says to free space
    (it said "OSError: [Errno 28] …" or "OperationalError: database or disk is full")."""
    import errno
    import sqlite3

    def write(progress, cancelled):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "thumbs" / "a.jpg"))

    def commit(progress, cancelled):
        con = sqlite3.connect(tmp_path / "full.sqlite")  # a tiny page limit: SQLite's own "disk is full"
        con.execute("PRAGMA max_page_count=2")
        con.execute("CREATE TABLE t (x BLOB)")
        con.execute("INSERT INTO t VALUES (?)", (b"x" * 100_000,))

    on_disk, in_store = runner.submit(write, "thumbnails"), runner.submit(commit, "save")
    assert on_disk.wait(5) and in_store.wait(5)
    assert on_disk.error == f"No space left on device: {tmp_path / 'thumbs' / 'a.jpg'} (free some disk space and run it again)"
    assert in_store.state is JobState.FAILED
    assert "the disk is full" in in_store.error and "free some disk space" in in_store.error, in_store.error

    def damaged(progress, cancelled):
        raise sqlite3.DatabaseError("database disk image is malformed")

    bad = runner.submit(damaged, "search")
    assert bad.wait(5) and bad.error.startswith("a store is damaged (database disk image is malformed): close Simscope")


def test_a_job_sends_messages_in_order_and_they_wait_for_a_taker(runner):
    heard = []
    runner.add_listener(lambda job, event: heard.append(event))

    def work(progress, cancelled):
        for epoch in range(3):
            progress.send({"epoch": epoch + 1})
        sub_progress(progress, 0.5, 1.0).send("from a sub-step")
        return "trained"

    job = runner.submit(work, "train")
    assert job.wait(5) and job.result == "trained"
    assert heard.count("message") == 4 and heard.index("message") < heard.index("finished")
    assert job.take_messages() == [{"epoch": 1}, {"epoch": 2}, {"epoch": 3}, "from a sub-step"]
    assert job.take_messages() == []
    runner.release(job)
    assert job.result is None and job.delivered


def test_the_runner_keeps_only_the_last_finished_jobs():
    from core.jobs import JobRunner

    r = JobRunner(io_workers=1, keep_finished=3)
    try:
        jobs = [r.submit(lambda p, c, i=i: i, f"j{i}") for i in range(6)]
        assert all(j.wait(5) for j in jobs)
        assert [j.name for j in r.jobs()] == ["j3", "j4", "j5"]
    finally:
        r.shutdown()


def test_interactive_jobs_run_between_the_batches_of_a_batch_job(runner):
    from core.jobs import Priority

    order = []
    started, proceed = threading.Event(), threading.Event()

    def training(progress, cancelled):
        for b in range(4):
            if b == 1:
                started.set()
                proceed.wait(5)  # the interactive jobs are queued while batch 1 runs
            order.append(f"batch {b}")
            check_cancel(cancelled)  # the yield point between batches
        return threading.current_thread().name

    batch = runner.submit(training, "train", priority=Priority.BATCH)
    assert started.wait(5)
    normal = runner.submit(lambda p, c: order.append("normal"), "a download")
    query = runner.submit(lambda p, c: order.append("query") or threading.current_thread().name, "query",
                          priority=Priority.INTERACTIVE)
    match = runner.submit(lambda p, c: order.append("match"), "match", priority=Priority.INTERACTIVE)
    proceed.set()
    assert batch.wait(5) and query.wait(5) and normal.wait(5) and match.wait(5)
    # both interactive jobs ran at the first yield after they came, on the model worker, one at a time;
    # the normal job waited for the batch job to end
    assert order == ["batch 0", "batch 1", "query", "match", "batch 2", "batch 3", "normal"]
    assert query.result == batch.result == "simscope-model-worker"


def test_the_model_queue_runs_interactive_then_normal_then_batch(runner):
    from core.jobs import Priority

    gate = threading.Event()
    order = []
    runner.submit(lambda p, c: gate.wait(5), "blocker")  # a normal job: no yield points
    jobs = [runner.submit(lambda p, c, n=n: order.append(n), n, priority=prio)
            for n, prio in [("batch", Priority.BATCH), ("normal", Priority.NORMAL),
                            ("interactive", Priority.INTERACTIVE), ("normal 2", Priority.NORMAL)]]
    gate.set()
    assert all(j.wait(5) for j in jobs)
    assert order == ["interactive", "normal", "normal 2", "batch"]


def test_an_interactive_job_on_the_batch_jobs_own_resource_waits_for_its_end(runner):
    from core.jobs import Priority

    order = []
    started, proceed = threading.Event(), threading.Event()

    def indexing(progress, cancelled):
        for b in range(3):
            if b == 1:
                started.set()
                proceed.wait(5)
            order.append(f"batch {b}")
            progress((b + 1) / 3)
        return None

    batch = runner.submit(indexing, "index album", priority=Priority.BATCH, resource="album.sqlite")
    assert started.wait(5)
    same = runner.submit(lambda p, c: order.append("search album"), "search", priority=Priority.INTERACTIVE,
                         resource="album.sqlite")
    other = runner.submit(lambda p, c: order.append("logo query"), "query", priority=Priority.INTERACTIVE,
                          resource="logo index")
    proceed.set()
    assert batch.wait(5) and same.wait(5) and other.wait(5)
    assert order == ["batch 0", "batch 1", "logo query", "batch 2", "search album"]


def test_the_gui_thread_collector_leaves_young_objects_for_after_a_running_job(qtbot, monkeypatch):
    """While a job runs the young generations wait (a worker's rows walked once a second held the
    GUI thread 70-120 ms beside a 100,000-photo check); after it, or past DEFER_MOST young objects,
    they are collected."""
    import gc
    import weakref

    import app.collector as collector_module
    from app.collector import GuiThreadCollector

    class Node:
        pass

    def a_cycle_past_the_threshold():
        node = Node()
        node.me = node
        gone = weakref.ref(node)
        del node
        for _ in range(2 * gc.get_threshold()[0]):  # past the threshold whatever the count was
            cycle = []
            cycle.append(cycle)
        return gone

    was = gc.isenabled()
    running = [True]
    collector = GuiThreadCollector(interval=60, busy=lambda: running[0])
    try:
        gone = a_cycle_past_the_threshold()
        collector.check()
        assert gone() is not None and collector.deferred == 1  # a job runs: left for after it
        running[0] = False
        collector.check()
        assert gone() is None and collector.deferred == 1  # the job ended: collected
        running[0] = True
        monkeypatch.setattr(collector_module, "DEFER_MOST", gc.get_threshold()[0] + 5)
        gone = a_cycle_past_the_threshold()
        collector.check()
        assert gone() is None and collector.deferred == 1  # too many young objects to wait longer
    finally:
        collector.timer.stop()
        if was:
            gc.enable()


def test_the_gui_thread_collector_collects_cycles_on_its_timer_with_automatic_collection_off(qtbot, monkeypatch):
    """``app.collector.GuiThreadCollector``: automatic collection off; a reference cycle made past
    generation 0's threshold is collected by the GUI thread's timer's check, not left for good."""
    import gc
    import weakref

    from app.collector import GuiThreadCollector

    class Node:
        pass

    was = gc.isenabled()
    collector = GuiThreadCollector(interval=0.05)
    try:
        assert not gc.isenabled()
        node = Node()
        node.me = node  # a cycle: only a collection frees it
        gone = weakref.ref(node)
        del node
        for _ in range(gc.get_threshold()[0] + 10):  # generation 0's count past its threshold
            cycle = []
            cycle.append(cycle)
        del cycle
        assert gone() is not None  # nothing collects it automatically
        assert collector.timer.isActive() and collector.timer.interval() == 50
        collector.check()  # what its timer calls on the GUI thread
        assert gone() is None
        # the oldest generation in full only once it grew by a quarter since the last full collection
        monkeypatch.setattr(gc, "get_count", lambda: (10**6, 10**6, 10**6))  # each past its threshold
        check = collector.check

        collector.full_from = 10**9
        check()
        assert collector.full == 0
        collector.full_from = -1  # whatever the oldest generation holds (frozen objects are not in it)
        check()
        assert collector.full == 1 and collector.full_from > 0
        check()
        assert collector.full == 1  # the oldest generation did not grow by a quarter meanwhile
    finally:
        collector.timer.stop()
        if was:
            gc.enable()
