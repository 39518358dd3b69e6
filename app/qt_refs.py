"""Do the Qt bindings keep Python's reference counts? A check the self-test and the suite run.

PySide6 / shiboken6 6.12.0 on Python 3.10–3.11 drops one reference to ``None`` on every Qt call
that returns nothing (``QLabel.setText``, ``QPainter.drawLine``, ``QWidget.update`` …; measured:
1.00 lost per call, 0 on 6.9.3–6.11.3). ``None`` is an ordinary object before Python 3.12, so
after some thousands of calls its count reaches zero and the interpreter aborts ("Fatal Python
error: none_dealloc") — a window that dies while painting. Python 3.12+ makes ``None`` immortal,
which hides the loss. ``pyproject.toml`` therefore keeps PySide6 below 6.12; this check names
the fault if an environment has it anyway.
"""

from __future__ import annotations

import sys

CALLS = 1000


def none_refs_lost(calls: int = CALLS) -> float:
    """References to ``None`` lost per void Qt call (0.0 for sound bindings). Needs a
    ``QApplication``; makes one hidden label."""
    from PySide6.QtWidgets import QLabel

    label = QLabel()
    label.setText("x")  # warm up caches (the first calls may intern objects)
    before = sys.getrefcount(None)
    for _ in range(calls):
        label.setText("x")
    lost = (before - sys.getrefcount(None)) / calls
    label.deleteLater()
    return lost


def verdict(calls: int = CALLS) -> tuple[bool, str]:
    """(sound, a line for the self-test)."""
    import PySide6

    lost = none_refs_lost(calls)
    if lost > 0.5:
        return False, (f"PySide6 {PySide6.__version__} on Python {sys.version.split()[0]} loses a reference "
                       f"to None on each Qt call ({lost:.2f} per call over {calls:,}); the app would abort "
                       "after a few thousand paints. Install PySide6-Essentials<6.12 (constraints.txt).")
    return True, f"PySide6 {PySide6.__version__}: no reference lost over {calls:,} Qt calls"
