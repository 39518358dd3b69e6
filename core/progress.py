"""The command line's progress display: one redrawn line on a terminal, plain log lines elsewhere.

Any ``core`` function's ``progress(fraction, message)`` callback can be a :class:`ProgressBar`.
On a terminal it redraws one line (at most 10 times a second); when stderr is a file or a pipe
(a log, CI, ``2> run.log``) it writes a line with a time stamp every ``log_every`` seconds, and
at the end, so a long job is never silent in a log."""

from __future__ import annotations

import sys
import time


class ProgressBar:
    def __init__(self, quiet: bool = False, log_every: float = 10.0, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.log_every = log_every
        self.last = 0.0
        self.started = time.monotonic()
        self.last_message = ""

    def __call__(self, fraction: float, message: str | None = None) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if self.tty:
            if now - self.last < 0.1 and fraction < 1.0:
                return
            self.last = now
            filled = int(fraction * 30)
            self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {fraction:4.0%} {message or ''}"[:120])
            if fraction >= 1.0:
                self.stream.write("\n")
            self.stream.flush()
            return
        if (now - self.last < self.log_every and fraction < 1.0) or (fraction >= 1.0 and self.last_message == "done"):
            return
        self.last = now
        elapsed = now - self.started
        self.stream.write(f"[{time.strftime('%H:%M:%S')}] {fraction:4.0%} after {elapsed:.0f} s"
                          + (f": {message}" if message else "") + "\n")
        self.stream.flush()
        self.last_message = "done" if fraction >= 1.0 else (message or "")
