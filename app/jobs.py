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

import ctypes
import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from core.jobs import Job, JobFn, JobRunner, JobState, Lane, Priority

log = logging.getLogger("simscope.jobs")


def return_freed_memory() -> bool:
    """Hand the heap memory freed by a big job back to the OS (glibc's ``malloc_trim(0)``, every
    arena: the model worker's own included); whether it was done. glibc keeps what a job freed for
    the process's next allocations, so the window's resident size stays at the job's peak. Linux
    with glibc only (elsewhere, or with musl: nothing to do, said in the log once). Called on the
    worker after an album job (``AlbumJobs._album_job``); ctypes releases the GIL meanwhile."""
    global _trim
    if _trim is None:
        _trim = False
        if sys.platform.startswith("linux"):
            try:
                _trim = ctypes.CDLL("libc.so.6").malloc_trim
            except (OSError, AttributeError) as exc:
                log.info("freed memory is not handed back to the OS after big jobs: %s", exc)
    if not _trim:
        return False
    _trim(0)
    return True


_trim = None  # libc's malloc_trim, False where there is none


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
        # jobs with a progress event waiting in the UI thread's queue: one at a time per job (a
        # 100,000-photo check reports ~100 times a second, each with a new message; when the UI
        # thread is busy they piled up and were handled back to back, a stall of their own)
        self._progress_queued: set[int] = set()
        self._queued_lock = threading.Lock()
        self._event.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)
        self.runner.add_listener(self._listen)

    def _listen(self, job: Job, event: str) -> None:
        """The runner's listener (worker threads): queue the event to the UI thread, a progress
        event only when none of the job's waits there (that one shows the job's newest progress and
        message when it is handled: they are read from the job then)."""
        if event == "progress":
            with self._queued_lock:
                if job.id in self._progress_queued:
                    return
                self._progress_queued.add(job.id)
        self._event.emit(job, event)

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
        self.runner.remove_listener(self._listen)
        self.runner.shutdown(cancel=True)

    @Slot(object, str)
    def _dispatch(self, job: Job, event: str) -> None:
        cb = self._callbacks.get(job.id, _Callbacks())
        if event == "progress":  # before reading the job: a newer report is queued again
            with self._queued_lock:
                self._progress_queued.discard(job.id)
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

