"""The job runner: a model worker that owns the device, and an I/O pool.

A job is a plain function ``fn(progress, cancelled)``:

* ``progress(fraction, message=None)`` reports how far it is (0..1);
* ``progress.send(payload)`` sends a message to whoever submitted the job (an
  epoch's losses, a curve, a partial result): the job's own channel. Messages
  arrive in order, each once, all before the job's result; the GUI hands them
  to ``JobQueue.submit(..., on_message=fn)`` on the UI thread. Without a
  listener they wait in the job (:meth:`Job.take_messages`);
* ``cancelled()`` says whether the user asked it to stop; a job checks it
  between steps and stops with :func:`check_cancel` (which raises
  :class:`Cancelled`) at a point where its stores are consistent.

Model jobs run on a single thread, so only one job at a time touches the GPU
and loaded models are never shared between threads. They run by
:class:`Priority`: interactive work (a query, a match) first, batch work
(training, bulk embedding) last. A batch job never holds the worker for more
than one batch: each of its ``progress`` and ``cancelled`` calls is a *yield
point* where the worker first runs the interactive jobs waiting, on this same
thread, then returns to the batch. So a batch job calls them only between
batches, where its models are in a state any other job may use. Jobs that
name the same ``resource`` (e.g. an album's store) never interleave: an
interactive job on it waits for the batch job's end.
File I/O jobs (decoding, thumbnails, hashing) run on a small thread pool.

Listeners hear about every state change; they are called from worker
threads, and the GUI turns them into Qt signals (``app/jobs.py``). A finished
job's result is the consumer's: once delivered it is released
(:meth:`JobRunner.release`), and the runner keeps only the last
``keep_finished`` finished jobs (as summaries: name, state, times, error).
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Any

from core.errors import failure_text

ProgressFn = Callable[..., None]  # progress(fraction: float, message: str | None = None)
CancelCheck = Callable[[], bool]
JobFn = Callable[[ProgressFn, CancelCheck], Any]
Listener = Callable[["Job", str], None]


class Cancelled(Exception):
    """Raised inside a job to stop it because the user cancelled it."""


def check_cancel(cancelled: CancelCheck) -> None:
    if cancelled():
        raise Cancelled()


class Progress:
    """A job's ``progress`` argument: call it with ``(fraction, message=None)``; ``send(payload)``
    puts a message on the job's channel (dropped where nobody listens, as in direct calls)."""

    __slots__ = ("_report", "_send")

    def __init__(self, report: Callable[[float, str | None], None],
                 send: Callable[[Any], None] | None = None) -> None:
        self._report, self._send = report, send

    def __call__(self, fraction: float, message: str | None = None) -> None:
        self._report(fraction, message)

    def send(self, payload: Any) -> None:
        if self._send is not None:
            self._send(payload)


def _ignore(fraction: float, message: str | None = None) -> None:
    pass


null_progress = Progress(_ignore)  # ignores reports and messages (for direct calls and tests)


def never_cancelled() -> bool:
    return False


def sub_progress(progress: ProgressFn, start: float, end: float) -> Progress:
    """A callback that maps a sub-step's 0..1 onto ``start..end`` of ``progress`` (messages pass)."""
    span = end - start

    def report(fraction: float, message: str | None = None) -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        progress(start + span * fraction, message)

    return Progress(report, getattr(progress, "send", None))


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


class Priority(IntEnum):
    """Order on the model worker (lower first). Interactive jobs also run at a batch job's yield
    points; normal ones wait for the running job, then go before any batch job queued."""

    INTERACTIVE = 0  # a query, a match, a find-similar: the user waits for it
    NORMAL = 1
    BATCH = 2  # training, bulk embedding: yields to interactive work between batches


_ids = itertools.count(1)


@dataclass(eq=False)
class Job:
    name: str
    fn: JobFn
    lane: Lane = Lane.MODEL
    priority: Priority = Priority.NORMAL
    resource: str | None = None  # what it works on: not run inside a batch job on the same one
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
    keep_result: bool = False  # the result stays after delivery (for a caller that reads job.result)
    delivered: bool = False  # its end was handed to the consumer (callbacks run), result released
    _messages: deque = field(default_factory=deque, repr=False)
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

    def take_messages(self) -> list:
        """The messages the job sent that nobody has taken yet, oldest first (thread-safe)."""
        taken = []
        while True:
            try:
                taken.append(self._messages.popleft())
            except IndexError:
                return taken


class _ModelQueue:
    """The model worker's queue: by priority, then by submission; ``close`` ends ``get``."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, Job]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._closed = False

    def put(self, job: Job) -> None:
        with self._cond:
            heapq.heappush(self._heap, (int(job.priority), next(self._seq), job))
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def get(self) -> Job | None:
        """The next job, waiting for one; None once closed and empty."""
        with self._cond:
            while not self._heap and not self._closed:
                self._cond.wait()
            return heapq.heappop(self._heap)[2] if self._heap else None

    def take_interactive(self, busy: str | None = None) -> Job | None:
        """The first interactive job waiting whose resource is not ``busy``, or None (never waits)."""
        with self._cond:
            waiting = [item for item in self._heap if item[0] == Priority.INTERACTIVE
                       and (busy is None or item[2].resource != busy)]
            if not waiting:
                return None
            item = min(waiting)
            self._heap.remove(item)
            heapq.heapify(self._heap)
            return item[2]


class JobRunner:
    """Runs jobs on the model worker or the I/O pool and tells listeners what happens.

    Progress reports are throttled: a listener hears at most one report per
    ``min_interval`` seconds per job unless the fraction moved by 1% or more.
    Messages (``progress.send``) are never throttled: each is heard as a
    ``"message"`` event; the listener takes them with :meth:`Job.take_messages`.
    """

    def __init__(self, io_workers: int = 2, min_interval: float = 0.05, keep_finished: int = 200) -> None:
        self._listeners: list[Listener] = []
        self._jobs: dict[int, Job] = {}
        self._lock = threading.Lock()
        self._min_interval = min_interval
        self._keep_finished = keep_finished
        self._finished: deque[int] = deque()  # ids of finished jobs still listed, oldest first
        self._yielding = False  # the model worker is running interactive jobs at a yield point
        self._model_queue = _ModelQueue()
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

    def submit(self, fn: JobFn, name: str, lane: Lane | str = Lane.MODEL, internal: bool = False,
               priority: Priority | int = Priority.NORMAL, resource: str | None = None) -> Job:
        if self._closed:
            raise RuntimeError("the job runner has been shut down")
        job = Job(name=name, fn=fn, lane=Lane(lane), internal=internal, priority=Priority(priority),
                  resource=resource)
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

    def release(self, job: Job) -> None:
        """The job's result and messages were delivered: let them go (unless ``keep_result``)."""
        if not job.keep_result:
            job.result = None
        job._messages.clear()
        job.delivered = True

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
        self._model_queue.close()
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

    def _yield_point(self, batch: Job) -> None:
        """Inside a batch job on the model worker: run the interactive jobs waiting, then go on."""
        if self._yielding or threading.current_thread() is not self._model_thread:
            return
        self._yielding = True
        try:
            while (job := self._model_queue.take_interactive(batch.resource)) is not None:
                self._run(job)
        finally:
            self._yielding = False

    def _finish(self, job: Job, state: JobState) -> None:
        job.state = state
        job.finished_at = time.monotonic()
        # Drop the function: its closure may hold GUI objects, and a reference cycle through
        # a finished job could otherwise be garbage-collected on a worker thread.
        job.fn = None
        with self._lock:  # the list keeps the last finished jobs only (what a view shows)
            self._finished.append(job.id)
            while len(self._finished) > self._keep_finished:
                self._jobs.pop(self._finished.popleft(), None)
        job._done.set()
        self._emit(job, state.value)

    def _send(self, job: Job, payload: Any) -> None:
        job._messages.append(payload)
        self._emit(job, "message")

    def _run(self, job: Job) -> None:
        if job.cancel_requested:
            self._finish(job, JobState.CANCELLED)
            return
        job.state = JobState.RUNNING
        job.started_at = time.monotonic()
        self._emit(job, "started")
        last = [0.0, -1.0]  # time of the last report, fraction reported

        batch = job.lane is Lane.MODEL and job.priority is Priority.BATCH

        def report(fraction: float, message: str | None = None) -> None:
            fraction = min(max(float(fraction), 0.0), 1.0)
            job.progress = fraction
            changed_msg = message is not None and message != job.message
            if message is not None:
                job.message = message
            now = time.monotonic()
            if changed_msg or fraction - last[1] >= 0.01 or now - last[0] >= self._min_interval:
                last[0], last[1] = now, fraction
                self._emit(job, "progress")
            if batch:
                self._yield_point(job)

        def cancelled() -> bool:
            if batch:
                self._yield_point(job)
            return job._cancel.is_set()

        progress = Progress(report, lambda payload: self._send(job, payload))
        try:
            job.result = job.fn(progress, cancelled)
        except Cancelled:
            self._finish(job, JobState.CANCELLED)
        except BaseException as exc:  # reported to the user, never swallowed
            job.error = failure_text(exc)
            job.traceback = traceback.format_exc()
            self._finish(job, JobState.FAILED)
        else:
            job.progress = 1.0
            self._finish(job, JobState.FINISHED)
