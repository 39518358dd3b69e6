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
