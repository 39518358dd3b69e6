"""The job runner: a model worker that owns the device, and an I/O pool.

A job is a plain function ``fn(progress, cancelled)``:

* ``progress(fraction, message=None)`` reports how far it is (0..1);
* ``cancelled()`` says whether the user asked it to stop; a job checks it
  between steps and stops with :func:`check_cancel` (which raises
  :class:`Cancelled`) at a point where its stores are consistent.

Model jobs run one after another on a single thread, so only one job at a
time touches the GPU and loaded models are never shared between threads.
File I/O jobs (decoding, thumbnails, hashing) run on a small thread pool.
Listeners hear about every state change; they are called from worker
threads, and the GUI turns them into Qt signals (``app/jobs.py``).
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

ProgressFn = Callable[..., None]  # progress(fraction: float, message: str | None = None)
CancelCheck = Callable[[], bool]
JobFn = Callable[[ProgressFn, CancelCheck], Any]
Listener = Callable[["Job", str], None]


class Cancelled(Exception):
    """Raised inside a job to stop it because the user cancelled it."""


def check_cancel(cancelled: CancelCheck) -> None:
    if cancelled():
        raise Cancelled()


def null_progress(fraction: float, message: str | None = None) -> None:
    """A progress callback that ignores reports (for direct calls and tests)."""


def never_cancelled() -> bool:
    return False


def sub_progress(progress: ProgressFn, start: float, end: float) -> ProgressFn:
    """A callback that maps a sub-step's 0..1 onto ``start..end`` of ``progress``."""
    span = end - start

    def report(fraction: float, message: str | None = None) -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        progress(start + span * fraction, message)

    return report


class JobState(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def done(self) -> bool:
        return self in (JobState.FINISHED, JobState.FAILED, JobState.CANCELLED)


class Lane(str, Enum):
    MODEL = "model"  # the one worker that owns the device
    IO = "io"  # the file I/O pool


_ids = itertools.count(1)


@dataclass(eq=False)
class Job:
    name: str
    fn: JobFn
    lane: Lane = Lane.MODEL
    id: int = field(default_factory=lambda: next(_ids))
    state: JobState = JobState.QUEUED
    progress: float = 0.0
    message: str = ""
    result: Any = None
    error: str | None = None
    traceback: str | None = None
    submitted_at: float = field(default_factory=time.monotonic)
    started_at: float | None = None
    finished_at: float | None = None
    internal: bool = False  # the app's own housekeeping (device detection, warm-up): hidden by default
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _done: threading.Event = field(default_factory=threading.Event, repr=False)

    def cancel(self) -> None:
        """Ask the job to stop; a queued job never starts, a running one stops at its next step."""
        self._cancel.set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    @property
    def elapsed(self) -> float:
        if self.started_at is None:
            return 0.0
        end = self.finished_at if self.finished_at is not None else time.monotonic()
        return end - self.started_at

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job is done (for CLI and tests, never the GUI thread)."""
        return self._done.wait(timeout)


def failure_text(exc: BaseException) -> str:
    """What a failed job says: a file error names the file and what to do (as the CLI does: a
    full or read-only disk, a missing file); anything else its type and message."""
    import sqlite3

    if isinstance(exc, OSError) and exc.errno and exc.strerror:
        from core.cli import describe_error

        return describe_error(exc)
    if isinstance(exc, sqlite3.OperationalError) and "disk is full" in str(exc):
        return f"{exc}: free some disk space and run it again (what was saved before is kept)"
    if isinstance(exc, sqlite3.DatabaseError) and ("malformed" in str(exc) or "not a database" in str(exc)):
        return (f"a store is damaged ({exc}): close Simscope and put back a copy from a backup or from "
                f"snapshots/ in the data folder (Help → Show the data folder)")
    return f"{type(exc).__name__}: {exc}"


class JobRunner:
    """Runs jobs on the model worker or the I/O pool and tells listeners what happens.

    Progress reports are throttled: a listener hears at most one report per
    ``min_interval`` seconds per job unless the fraction moved by 1% or more.
    """

    def __init__(self, io_workers: int = 2, min_interval: float = 0.05) -> None:
        self._listeners: list[Listener] = []
        self._jobs: dict[int, Job] = {}
        self._lock = threading.Lock()
        self._min_interval = min_interval
        self._model_queue: queue.Queue[Job | None] = queue.Queue()
        self._model_thread = threading.Thread(
            target=self._model_loop, name="simscope-model-worker", daemon=True
        )
        self._io_pool = ThreadPoolExecutor(max_workers=io_workers, thread_name_prefix="simscope-io")
        self._closed = False
        self._model_thread.start()

    # -- public API -------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def submit(self, fn: JobFn, name: str, lane: Lane | str = Lane.MODEL, internal: bool = False) -> Job:
        if self._closed:
            raise RuntimeError("the job runner has been shut down")
        job = Job(name=name, fn=fn, lane=Lane(lane), internal=internal)
        with self._lock:
            self._jobs[job.id] = job
        self._emit(job, "queued")
        if job.lane is Lane.MODEL:
            self._model_queue.put(job)
        else:
            self._io_pool.submit(self._run, job)
        return job

    def get(self, job_id: int) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def jobs(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def cancel(self, job_id: int) -> bool:
        job = self.get(job_id)
        if job is None or job.state.done:
            return False
        job.cancel()
        self._emit(job, "cancel-requested")
        return True

    def shutdown(self, cancel: bool = True, timeout: float | None = 30.0) -> None:
        """Stop accepting jobs, cancel what is pending (by default) and join every thread."""
        if self._closed:
            return
        self._closed = True
        if cancel:
            for job in self.jobs():
                if not job.state.done:
                    job.cancel()
        self._model_queue.put(None)
        self._model_thread.join(timeout)
        self._io_pool.shutdown(wait=True, cancel_futures=cancel)
        # Futures dropped by cancel_futures never ran: mark their jobs.
        for job in self.jobs():
            if job.state is JobState.QUEUED:
                self._finish(job, JobState.CANCELLED)

    @property
    def alive(self) -> bool:
        return self._model_thread.is_alive()

    # -- internals --------------------------------------------------------
    def _emit(self, job: Job, event: str) -> None:
        for listener in list(self._listeners):
            try:
                listener(job, event)
            except Exception:  # a broken listener must not kill a worker
                traceback.print_exc()

    def _model_loop(self) -> None:
        while True:
            job = self._model_queue.get()
            if job is None:
                return
            self._run(job)

    def _finish(self, job: Job, state: JobState) -> None:
        job.state = state
        job.finished_at = time.monotonic()
        # Drop the function: its closure may hold GUI objects, and a reference cycle through
        # a finished job could otherwise be garbage-collected on a worker thread.
        job.fn = None
        job._done.set()
        self._emit(job, state.value)

    def _run(self, job: Job) -> None:
        if job.cancel_requested:
            self._finish(job, JobState.CANCELLED)
            return
        job.state = JobState.RUNNING
        job.started_at = time.monotonic()
        self._emit(job, "started")
        last = [0.0, -1.0]  # time of the last report, fraction reported

        def progress(fraction: float, message: str | None = None) -> None:
            fraction = min(max(float(fraction), 0.0), 1.0)
            job.progress = fraction
            changed_msg = message is not None and message != job.message
            if message is not None:
                job.message = message
            now = time.monotonic()
            if changed_msg or fraction - last[1] >= 0.01 or now - last[0] >= self._min_interval:
                last[0], last[1] = now, fraction
                self._emit(job, "progress")

        try:
            job.result = job.fn(progress, job._cancel.is_set)
        except Cancelled:
            self._finish(job, JobState.CANCELLED)
        except BaseException as exc:  # noqa: BLE001 - reported to the user, never swallowed
            job.error = failure_text(exc)
            job.traceback = traceback.format_exc()
            self._finish(job, JobState.FAILED)
        else:
            job.progress = 1.0
            self._finish(job, JobState.FINISHED)
