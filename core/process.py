"""Run a CPU-heavy job in a child process, streaming its messages back.

Python threads share one interpreter lock: a training loop on the model
worker thread starves the UI thread of it, and every plot repaint stalls
(measured: 180–360 ms per epoch on the Fusion page). A spawned process has
its own interpreter, so the window stays smooth (Buzz does the same for
Whisper). The child calls ``emit(kind, payload)``; the parent, still inside
the job, forwards messages and honours Cancel by terminating the child.

Children come from a fork server where the platform has one (Linux, macOS),
started by :func:`start_helper` at start-up before torch is imported: a child is
then forked from that small interpreter, never from the window's process with
torch and Qt loaded, and starting one costs the parent a message on a socket.
Windows has no fork server and keeps ``spawn``. Measured honestly: a 150-180 ms
Trends stall once blamed on starting the training child turned out to be the
page building its plots (fixed there); starting a ``spawn`` child with torch
loaded cost the parent only 2-8 ms in a micro-benchmark, so the server is a
tidiness and safety choice (no fork of a threaded, torch-loaded process), not
the stall fix.
"""

from __future__ import annotations

import multiprocessing as mp
import pickle
import traceback
from collections.abc import Callable
from typing import Any

from core.jobs import CancelCheck, Cancelled, ProgressFn, never_cancelled, null_progress


def context():
    """The multiprocessing context every child of the app comes from."""
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        # The server imports only this module: never the window's ``__main__`` (Qt), never torch.
        ctx.set_forkserver_preload([__name__])
        return ctx
    return mp.get_context("spawn")


def start_helper() -> str:
    """Start the process that children are forked from, now; returns the start method.

    Call it before torch is imported (the app does, in ``create_window``): the server is a
    fresh interpreter either way, but starting it later costs the parent one fork of a large
    process, the stall this avoids."""
    ctx = context()
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()
    return ctx.get_start_method()


class ChildError(RuntimeError):
    """The child process failed; the message carries its traceback."""


def _leave_room_for_the_ui() -> None:
    """Keep one core for the window: fewer torch threads and a lower priority."""
    import os

    try:
        import torch

        torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))
    except ImportError:
        pass
    if hasattr(os, "nice"):
        try:
            os.nice(5)
        except OSError:
            pass


def _child(conn, fn, args, kwargs) -> None:
    # Plain pickle bytes: torch's multiprocessing pickler would pass tensors as shared-memory
    # handles that die with this process before the parent reads them.
    def emit(kind: str, payload: Any = None) -> None:
        conn.send_bytes(pickle.dumps((kind, payload)))

    try:
        _leave_room_for_the_ui()
        result = fn(*args, emit=emit, **kwargs)
        emit("result", result)
    except BaseException as exc:  # sent to the parent, which raises it
        emit("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
    finally:
        conn.close()


def run_in_process(fn: Callable, args: tuple = (), kwargs: dict | None = None,
                   progress: ProgressFn = null_progress, cancelled: CancelCheck = never_cancelled,
                   on_message: Callable[[str, Any], None] | None = None, poll: float = 0.05) -> Any:
    """``fn(*args, emit=..., **kwargs)`` in a child process; returns what it returns.

    Messages ``("progress", (fraction, text))`` go to ``progress``; any other
    kind goes to ``on_message(kind, payload)``.
    """
    ctx = context()
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn, args, kwargs or {}), daemon=True)
    proc.start()
    child.close()
    try:
        while True:
            if cancelled():
                raise Cancelled()
            if parent.poll(poll):
                try:
                    kind, payload = pickle.loads(parent.recv_bytes())
                except EOFError:
                    raise ChildError(f"the worker process ended unexpectedly (exit code {proc.exitcode})") from None
                if kind == "result":
                    return payload
                if kind == "error":
                    raise ChildError(payload)
                if kind == "progress":
                    progress(*payload)
                elif on_message is not None:
                    on_message(kind, payload)
            elif not proc.is_alive() and not parent.poll():
                raise ChildError(f"the worker process ended unexpectedly (exit code {proc.exitcode})")
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join(5)
        parent.close()
