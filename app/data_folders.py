"""Which data folder a window works on, and the other one: File → Open the demo (the demo in a
folder of its own, never the user's) and, from the demo, File → Open your own data. Each opens a
second window as a process of its own, so the two folders never share a store or a lock."""

from __future__ import annotations

import sys

from PySide6.QtCore import QProcess, QProcessEnvironment
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox

from core.paths import data_dir, demo_data_dir, is_demo_dir


def folder_actions(window, menu) -> tuple[QAction, QAction]:
    demo = QAction("Open the &demo", window)
    demo.setToolTip("A second window on the bundled demo data, in a folder of its own: nothing you do "
                    "there touches your data")
    demo.triggered.connect(lambda: open_other_folder(window, demo=True))
    own = QAction("Open your &own data", window)
    own.setToolTip("A window on your own data folder (this one shows the demo)")
    own.triggered.connect(lambda: open_other_folder(window, demo=False))
    own.setVisible(False)
    menu.addAction(demo)
    menu.addAction(own)
    return demo, own


def mark_data_folder(window, demo: bool) -> None:
    """Say which folder ``window`` works on: the demo is labelled in the title, the status bar
    names the folder at start, and File offers the other one."""
    from app import __version__

    window.is_demo = demo or is_demo_dir(data_dir())
    title = f"Simscope {__version__}"
    window.setWindowTitle(f"{title} — DEMO data (kept apart from your own)" if window.is_demo else title)
    window.demo_action.setVisible(not window.is_demo)
    window.own_data_action.setVisible(window.is_demo)
    if not window.statusBar().currentMessage():
        note = (f"Working on the demo's own folder: {data_dir()}" if window.is_demo else
                f"Working on your data folder: {data_dir()} (File → Open the demo to try Simscope on sample data)")
        window.statusBar().showMessage(note, 15_000)


def other_folder_command(demo: bool) -> tuple[str, list[str]]:
    """The program and arguments that start Simscope on the demo, or on the user's own folder."""
    args = [] if getattr(sys, "frozen", False) else ["-m", "app"]
    if demo:
        args += ["--demo", "--data-dir", str(demo_data_dir())]
    return sys.executable, args


def open_other_folder(window, demo: bool) -> bool:
    program, args = other_folder_command(demo)
    process = QProcess(window)
    env = QProcessEnvironment.systemEnvironment()
    env.remove("SIMSCOPE_DATA_DIR")  # the other window's folder is its own, not this one's
    process.setProcessEnvironment(env)
    process.setProgram(program)
    process.setArguments(args)
    started, _pid = process.startDetached()
    if not started:
        QMessageBox.warning(window, "Simscope", f"Simscope could not be started: {program} {' '.join(args)}")
    return started
