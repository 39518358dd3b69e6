"""The job queue's Qt face: core's JobRunner, with results delivered by signals.

Listeners of the core runner are called on worker threads; here they only
emit a signal, which Qt queues to the UI thread. Callbacks given to
:meth:`JobQueue.submit` therefore always run on the UI thread:
``on_message(payload)`` for each ``progress.send(payload)`` of the job, in
order and before ``on_done(result)``. Once ``on_done`` and ``job_finished``
have run, the job's result is released (the Jobs view keeps the summary);
``Job.keep_result`` keeps it for a caller that reads ``job.result`` after.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from core.jobs import Job, JobFn, JobRunner, JobState, Lane, Priority

log = logging.getLogger("simscope.jobs")


@dataclass
class _Callbacks:
    on_done: Callable[[Any], None] | None = None
    on_error: Callable[[Job], None] | None = None
    on_progress: Callable[[float, str], None] | None = None
    on_cancelled: Callable[[Job], None] | None = None
    on_message: Callable[[Any], None] | None = None


class JobQueue(QObject):
    """Submit jobs from the GUI; hear about them on the UI thread."""

    _event = Signal(object, str)  # emitted on worker threads, delivered queued
    job_added = Signal(object)
    job_changed = Signal(object)  # started, progress, cancel requested
    job_finished = Signal(object)  # finished, failed or cancelled

    def __init__(self, runner: JobRunner | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner or JobRunner()
        self._callbacks: dict[int, _Callbacks] = {}
        self._event.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)
        self.runner.add_listener(self._event.emit)

    def submit(
        self,
        fn: JobFn,
        name: str,
        lane: Lane | str = Lane.MODEL,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[Job], None] | None = None,
        on_progress: Callable[[float, str], None] | None = None,
        on_cancelled: Callable[[Job], None] | None = None,
        internal: bool = False,
        on_message: Callable[[Any], None] | None = None,
        priority: Priority | int = Priority.NORMAL,
        resource: str | None = None,
    ) -> Job:
        """``priority``: :attr:`Priority.INTERACTIVE` for what the user waits on (a query, a match),
        :attr:`Priority.BATCH` for training and bulk embedding (they yield between batches);
        ``resource``: what the job works on, so that an interactive job never runs inside a batch
        job on the same one (an album's store mid-indexing)."""
        callbacks = _Callbacks(on_done, on_error, on_progress, on_cancelled, on_message)
        job = self.runner.submit(fn, name, lane, internal=internal, priority=priority, resource=resource)
        # Safe after submit(): events reach _dispatch through the UI thread's
        # event loop, so none is handled before this method returns.
        self._callbacks[job.id] = callbacks
        return job

    def cancel(self, job_id: int) -> bool:
        return self.runner.cancel(job_id)

    def jobs(self) -> list[Job]:
        return self.runner.jobs()

    def running(self) -> list[Job]:
        return [j for j in self.runner.jobs() if j.state is JobState.RUNNING]

    def shutdown(self) -> None:
        self.runner.remove_listener(self._event.emit)
        self.runner.shutdown(cancel=True)

    @Slot(object, str)
    def _dispatch(self, job: Job, event: str) -> None:
        cb = self._callbacks.get(job.id, _Callbacks())
        if event == "queued":
            self.job_added.emit(job)
            return
        if event == "message" or job.state.done:  # what the job sent comes before its end
            for payload in job.take_messages():
                if cb.on_message:
                    cb.on_message(payload)
            if event == "message":
                return
        if event == "started":  # the app's log says what ran when (a test waits for it too)
            log.info("job started: %s", job.name)
        if event in ("started", "progress", "cancel-requested"):
            if event == "progress" and cb.on_progress:
                cb.on_progress(job.progress, job.message)
            self.job_changed.emit(job)
            return
        self._callbacks.pop(job.id, None)
        log.info("job %s: %s (%.1f s)", job.state.value, job.name, job.elapsed)
        try:
            if event == JobState.FINISHED.value and cb.on_done:
                cb.on_done(job.result)
            elif event == JobState.FAILED.value and cb.on_error:
                cb.on_error(job)
            elif event == JobState.CANCELLED.value and cb.on_cancelled:
                cb.on_cancelled(job)
            self.job_finished.emit(job)
        finally:
            self.runner.release(job)

