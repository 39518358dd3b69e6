"""The installed Qt bindings keep Python's reference counts (app/qt_refs.py): PySide6 6.12.0 on
Python < 3.12 lost a reference to None per void Qt call and aborted the app after a few
thousand paints."""

from __future__ import annotations

import subprocess
import sys

from app.qt_refs import none_refs_lost, verdict


def test_void_qt_calls_lose_no_reference_to_none(qtbot):
    assert abs(none_refs_lost(2000)) < 0.05
    sound, line = verdict()
    assert sound, line
    assert "no reference lost" in line


def test_many_painter_calls_do_not_abort_the_interpreter():
    # 200,000 void calls: with the faulty bindings None's count (a few thousand at start-up)
    # reaches zero and the child aborts with "deallocating None".
    code = ("import sys\n"
            "from PySide6.QtWidgets import QApplication\n"
            "from PySide6.QtGui import QPainter, QPixmap, QColor\n"
            "from PySide6.QtCore import QRect\n"
            "app = QApplication([])\n"
            "pm = QPixmap(64, 64); p = QPainter(pm)\n"
            "for i in range(100_000):\n"
            "    p.fillRect(QRect(0, 0, 4, 4), QColor(1, 2, 3)); p.drawLine(0, 0, 4, 4)\n"
            "p.end(); print('painted')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert "painted" in out.stdout
