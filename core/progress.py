"""The command line's progress display: tqdm's bar on a terminal, plain log lines elsewhere.

Any ``core`` function's ``progress(fraction, message)`` callback can be a :class:`ProgressBar`.
On a terminal it is a tqdm bar (percent, elapsed and remaining time, the step's message), redrawn
at most 10 times a second; when stderr is a file or a pipe (a log, CI, ``2> run.log``) it writes
a line with a time stamp every ``log_every`` seconds, and at the end, so a long job is never
silent in a log (tqdm would write its redraws there)."""

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
        self.bar = None  # the tqdm bar, on a terminal, from the first report to the last

    def __call__(self, fraction: float, message: str | None = None) -> None:
        if self.quiet:
            return
        if self.tty:
            self._draw(fraction, message)
            return
        now = time.monotonic()
        if (now - self.last < self.log_every and fraction < 1.0) or (fraction >= 1.0 and self.last_message == "done"):
            return
        self.last = now
        elapsed = now - self.started
        self.stream.write(f"[{time.strftime('%H:%M:%S')}] {fraction:4.0%} after {elapsed:.0f} s"
                          + (f": {message}" if message else "") + "\n")
        self.stream.flush()
        self.last_message = "done" if fraction >= 1.0 else (message or "")

    def _draw(self, fraction: float, message: str | None) -> None:
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=1000, file=self.stream, mininterval=0.1, dynamic_ncols=True, leave=True,
                            bar_format="{l_bar}{bar}| {elapsed}<{remaining}{postfix}")
        self.bar.n = round(min(max(fraction, 0.0), 1.0) * 1000)
        if message:
            self.bar.set_postfix_str(message, refresh=False)
        if fraction >= 1.0:
            self.bar.close()  # drawn once more, complete, and left on the screen
            self.bar = None
        else:
            self.bar.update(0)  # redrawn when mininterval has passed since the last draw
