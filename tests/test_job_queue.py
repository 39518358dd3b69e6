"""The job queue's Qt face: a message channel per job, results released once delivered."""

from __future__ import annotations

import gc
import threading
import weakref

import numpy as np

from core.jobs import JobRunner, JobState, Lane


def test_messages_reach_the_ui_thread_in_order_before_the_result(qtbot):
    from app.jobs import JobQueue

    queue = JobQueue(JobRunner(io_workers=1, min_interval=0.0))
    try:
        heard = []
        ui = threading.current_thread()

        def work(progress, cancelled):
            for epoch in range(1, 6):
                progress(epoch / 5)
                progress.send({"epoch": epoch, "loss": 1 / epoch})
            return "trained"

        def on_message(payload):
            assert threading.current_thread() is ui
            heard.append(payload["epoch"])

        job = queue.submit(work, "train", Lane.MODEL, on_message=on_message,
                           on_done=lambda result: heard.append(result))
        with qtbot.waitSignal(queue.job_finished, timeout=10_000):
            pass
        assert heard == [1, 2, 3, 4, 5, "trained"]
        assert job.delivered and job.take_messages() == []
    finally:
        queue.shutdown()


def test_a_finished_jobs_result_is_released_once_delivered(qtbot):
    from app.jobs import JobQueue
    from app.jobs_view import JobsModel

    queue = JobQueue(JobRunner(io_workers=1, min_interval=0.0))
    try:
        model = JobsModel(queue)
        refs, got = [], []

        def work(progress, cancelled):
            matrix = np.ones((1000, 512), np.float32)  # an embedding matrix: 2 MB
            refs.append(weakref.ref(matrix))
            return matrix

        job = queue.submit(work, "embed", Lane.IO, on_done=lambda m: got.append(m.shape))
        qtbot.waitUntil(lambda: job.delivered, timeout=10_000)
        gc.collect()
        assert got == [(1000, 512)]
        assert job.result is None and refs[0]() is None  # nothing holds the matrix any more
        # the view keeps the summary: name, state, progress
        row = [model.job(r) for r in range(model.rowCount())].index(job)
        assert model.data(model.index(row, 0)) == "embed"
        assert model.data(model.index(row, 1)) == JobState.FINISHED.value
        assert model.data(model.index(row, 2)) == 100
        kept = queue.submit(work, "embed, kept", Lane.IO)
        kept.keep_result = True
        qtbot.waitUntil(lambda: kept.delivered, timeout=10_000)
        assert kept.result.shape == (1000, 512)
    finally:
        queue.shutdown()


def test_progress_waiting_for_a_busy_ui_thread_is_delivered_once_with_the_newest_state(qtbot):
    """A job reporting faster than the UI thread handles events (a 100,000-photo check, each report
    with a new message) leaves one progress event per job in the UI's queue, not one per report:
    when the UI thread comes back it hears the newest progress and message once, not 500 in a row."""
    from app.jobs import JobQueue

    queue = JobQueue(JobRunner(io_workers=1, min_interval=0.0))
    try:
        heard = []
        reported = threading.Event()

        def work(progress, cancelled):
            for i in range(1, 501):
                progress(i / 1000, f"Checked {i} of 1000 files")
            reported.set()
            return "checked"

        job = queue.submit(work, "check", Lane.IO, on_progress=lambda f, m: heard.append((f, m)),
                           on_done=lambda result: heard.append(result))
        assert reported.wait(10)  # the UI thread handled no event meanwhile (busy)
        with qtbot.waitSignal(queue.job_finished, timeout=10_000):
            pass
        assert len(heard) == 2 and heard[1] == "checked"  # before: 500 progress calls, then the result
        assert heard[0][1] == "Checked 500 of 1000 files" and heard[0][0] >= 0.5  # (1.0: finished meanwhile)
        assert job.state is JobState.FINISHED
    finally:
        queue.shutdown()
