"""Start Simscope: ``simscope`` or ``python -m app``.

Nothing here imports torch: the window paints first, and the first job
(device detection) imports torch on a worker thread.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import sys
import time

_T_IMPORT = time.time()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="simscope", description="Simscope desktop app")
    parser.add_argument("--demo", action="store_true",
                        help="start on the bundled demo data (kept apart from your own data)")
    parser.add_argument("--data-dir", help="use this folder for data and settings")
    parser.add_argument("--self-test", action="store_true",
                        help="open the window offscreen, run one small job per workspace, exit 0 if all pass")
    parser.add_argument("--startup-report", action="store_true",
                        help="print start-up timings as JSON at first paint and quit (bench/startup.py)")
    parser.add_argument("--detect-devices", action="store_true",
                        help="print the compute devices torch sees here as JSON and quit (the window asks a "
                             "child process this, so torch is imported only where a model runs)")
    return parser.parse_args(argv)


SWITCH_INTERVAL_S = 0.001


def create_window(demo: bool = False):
    """The app's parts, wired together; returns (window, job queue)."""
    import sys

    from PySide6.QtWidgets import QApplication

    from app.jobs import JobQueue
    from app.main_window import MainWindow
    from app.settings import Key, Settings
    from app.workspace import PageContext
    from core.cache import EmbeddingCache
    from core.jobs import JobRunner
    from core.models.manager import ModelManager

    # The UI thread re-enters Python at every slot, paint and model call; with the worker
    # threads busy in Python it waits up to one switch interval per thread each time (5 ms by
    # default), and those waits add up to 60-160 ms frames. 1 ms bounds them (bench/pages_ui.py).
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    from core.logos.images import use_render_processes
    from core.process import start_helper

    start_helper()  # children are forked from a small server, not from this process once torch is in
    use_render_processes()  # resvg holds the GIL while it draws: SVGs are drawn in two children
    warm_time_zones()
    apply_style(QApplication.instance())
    settings = Settings()
    queue = JobQueue(JobRunner(io_workers=settings.get(Key.IO_WORKERS)))
    context = PageContext(
        jobs=queue,
        settings=settings,
        models=ModelManager(settings.get(Key.DEVICE),
                            allow_download=settings.get(Key.ALLOW_DOWNLOADS)),
        cache=EmbeddingCache(),
    )
    window = MainWindow(queue, settings, context)
    if context.cache.moved_aside is not None:  # only vectors, computed again as needed: said, not asked
        window.statusBar().showMessage("Unreadable embedding cache set aside; started anew", 30000)
    return window, queue


def warm_time_zones() -> None:
    """Load Qt's time-zone data now, before the warm-up threads open torch's libraries.

    The first date axis Trends draws asks QTimeZone for the local zone, and Qt then loads its
    time-zone backend (ICU) with ``dlopen``; while a worker thread was inside ``dlopen`` of
    libtorch_cpu (~300 ms), the UI thread waited for the loader's lock: the 176–311 ms stalls
    of ``bench/pages_ui.py --page trends`` (traced with ``STALL_TRACE=0.12``)."""
    from PySide6.QtCore import QDateTime, QTimeZone

    now = QDateTime.currentDateTime()
    QDateTime(now.toUTC().date(), now.toUTC().time(), now.timeZone()).toSecsSinceEpoch()
    QTimeZone.systemTimeZone().offsetFromUtc(now)


def apply_style(app) -> None:
    from app.fonts import install_fonts
    from core.paths import resource

    install_fonts(app)
    from app.theme import use_light_scheme

    use_light_scheme(app)  # the colours below are drawn for a light window

    qss = resource("style.qss")
    if qss.exists():
        app.setStyleSheet(qss.read_text(encoding="utf-8"))


def queue_demo(window) -> None:
    """Fill the workspaces with the bundled demo data, so the first start shows them at work."""
    from app.workspace import UnavailablePage
    from core.paths import resource

    pages = {p.icon: p for p in window.pages if not isinstance(p, UnavailablePage)}  # a page whose
    # database cannot be opened says so and gets no demo
    albums = pages.get("albums")
    if albums is not None and not albums.store.folders():
        albums.add_paths([str(resource("demo", "album"))])
    logos = pages.get("logos")
    query = str(resource("demo", "logos", "sun-copy.png"))  # a raster copy of sun.svg: look-alikes at once
    if logos is not None and logos.index is None:
        logos.index_folder(str(resource("demo", "logos")), query=query)
    elif logos is not None and logos.query_path is None:
        logos.set_query(query)
    lostfound = pages.get("lostfound")
    if lostfound is not None and lostfound.store.count() == 0:
        from core.lostfound.demo import demo_csv

        lostfound.import_posts(str(demo_csv()))
    for icon in ("fusion", "trends"):  # their demos are bigger jobs: each starts when its page is first shown
        if icon in pages:
            pages[icon].start_demo_when_shown()


def install_gui_thread_gc(window) -> None:
    """Collect garbage on the GUI thread only (``app.collector``: automatic collection off, a GUI
    timer collects; a cycle holding Qt objects collected on a worker thread can crash Qt)."""
    from app.collector import GuiThreadCollector
    from core.warmup import collect_on_gui_thread_only

    jobs = window.context.jobs if hasattr(window, "context") else None  # the young wait while a job runs
    window.garbage_collector = GuiThreadCollector(
        interval=1.0, busy=(lambda: bool(jobs.running())) if jobs is not None else None)
    collect_on_gui_thread_only()  # a warm-up that ends later must not turn automatic collection on again


def write_crash_report(text: str) -> str:
    """A readable report in the user log dir (else the temporary folder); returns its path, or
    why none could be written (a full disk must not turn one error into two)."""
    import platform
    import tempfile
    from pathlib import Path

    from core import __version__
    from core.paths import log_dir

    frozen = "bundle" if getattr(sys, "frozen", False) else "source"
    report = (f"Simscope {__version__} ({frozen}) on {platform.platform()}, Python {platform.python_version()}\n"
              f"{time.strftime('%Y-%m-%d %H:%M:%S')}\n\n{text}")
    failed = []
    for folder in (log_dir, lambda: Path(tempfile.gettempdir())):  # the log's disk may be the full one
        path = None
        try:
            path = folder() / time.strftime("crash-%Y%m%d-%H%M%S.txt")
            path.write_text(report, encoding="utf-8")
            return str(path)
        except OSError as exc:
            failed.append(f"{path or 'its folder'}: {exc.strerror or exc}")
    return f"no file (it could not be written: {'; '.join(failed)})"


def install_error_handling() -> None:
    """Log to the user log dir; an uncaught error is logged, written to a crash report and shown.

    An uncaught error on the UI thread does not end the app; a hard crash (segfault)
    leaves its Python stack in ``faults.log`` through faulthandler."""
    import faulthandler
    import sqlite3
    import traceback

    from core.paths import log_dir

    log_file = log_dir() / "simscope.log"
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=[logging.FileHandler(log_file, encoding="utf-8"), logging.StreamHandler()],
    )
    log = logging.getLogger("simscope")
    faults = open(log_dir() / "faults.log", "a", encoding="utf-8")  # open for the app's life
    faulthandler.enable(faults)

    def excepthook(exc_type, exc, tb):
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        report = write_crash_report(text)
        log.error("uncaught error (report: %s)\n%s", report, text)
        from PySide6.QtWidgets import QApplication, QMessageBox

        said = f"{exc_type.__name__}: {exc}"
        if isinstance(exc, sqlite3.Error):  # a full or read-only disk: which store, and what to do
            from core.database import describe_sqlite_error

            said = describe_sqlite_error(exc)
        if QApplication.instance() is not None:
            box = QMessageBox(QMessageBox.Icon.Critical, "Simscope: unexpected error",
                              f"{said}\n\nA report was written to {report}\n"
                              f"(the log is {log_file}).")
            box.setDetailedText(text)
            box.open()
        else:
            print(f"Simscope stopped on an unexpected error; report: {report}", file=sys.stderr)

    sys.excepthook = excepthook
    from core import __version__
    from core.paths import data_dir

    log.info("Simscope %s starting; data in %s; logs in %s", __version__, data_dir(), log_dir())


def platform_unavailable() -> bool:
    """True (after saying why, on stderr and in the log) when Qt cannot open a window here.

    Checked before the QApplication exists: Qt itself would abort the process."""

    from app.platform_check import check

    verdict = check()
    if verdict.ok:
        return False
    logging.getLogger("simscope").error("cannot start: %s", verdict.message)
    print(f"\nSimscope cannot open its window.\n{verdict.message}\n", file=sys.stderr)
    return True


def say_cannot_start(message: str) -> None:
    """On stderr, and in a dialog where a window can open (a user who started the app from its
    icon sees no terminal); never a dialog offscreen, where nobody could close it."""
    print(f"\n{message}\n", file=sys.stderr)
    if os.environ.get("QT_QPA_PLATFORM", "") in ("offscreen", "minimal") or platform_unavailable():
        return
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication.instance() or QApplication(sys.argv[:1])  # noqa: F841 - the dialog needs it
    QMessageBox.critical(None, "Simscope cannot start", message)


def main(argv: list[str] | None = None) -> int:
    multiprocessing.freeze_support()
    args = parse_args(argv)
    if args.detect_devices:
        from core.device import devices_json

        print(devices_json(), flush=True)
        return 0
    if args.self_test:  # never the user's data, never a real screen
        import tempfile

        os.environ["SIMSCOPE_DATA_DIR"] = args.data_dir or tempfile.mkdtemp(prefix="simscope-selftest-")
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    elif args.data_dir:
        os.environ["SIMSCOPE_DATA_DIR"] = args.data_dir
    elif args.demo and not os.environ.get("SIMSCOPE_DATA_DIR"):
        from core.paths import demo_data_dir

        os.environ["SIMSCOPE_DATA_DIR"] = str(demo_data_dir())
    from core.paths import private_files

    private_files()  # stores, photos, backups and exports: this user's only (0600 / 0700)

    from app.instance import (
        ask_running_app_to_show,
        data_dir_unusable,
        listen_for_second_starts,
        lock_data_dir,
    )

    unusable = data_dir_unusable()
    if unusable:
        say_cannot_start(unusable)
        return 2
    lock, running = lock_data_dir()  # held until main returns (the app has closed)
    if running:
        if ask_running_app_to_show():  # the icon clicked again: the running window comes to the front
            print("Simscope is already running with this data folder; its window was brought to the front.",
                  file=sys.stderr)
            return 0
        say_cannot_start(running)
        return 2
    install_error_handling()
    if platform_unavailable():
        return 3

    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Simscope")
    app.setOrganizationName("Simscope")

    from app.data_folders import mark_data_folder
    from app.instance import open_window, start_again

    window, queue = open_window(create_window)  # a restore asked for, stores checked after a crash: said in the status bar
    mark_data_folder(window, demo=args.demo)

    class FirstPaint(QObject):
        done = False

        def eventFilter(self, obj, event):  # Qt API
            if event.type() == QEvent.Type.Paint and not self.done:
                self.done = True
                painted = time.time()
                if args.startup_report:
                    print(json.dumps({
                        "first_paint_epoch": painted,
                        "module_import_epoch": _T_IMPORT,
                        "torch_imported_before_paint": "torch" in sys.modules,
                    }), flush=True)
                    window.force_close = True  # a timing run: nothing to ask
                    QTimer.singleShot(0, app.quit)
                else:
                    QTimer.singleShot(0, window.start)
                    QTimer.singleShot(0, lambda: install_gui_thread_gc(window))
                    if args.demo:
                        QTimer.singleShot(0, lambda: queue_demo(window))
            return False

    # a second start on this folder brings this window to the front (also in the self-test: the
    # bundle must carry QtNetwork)
    _second_starts = listen_for_second_starts(window)  # kept while the app runs
    if args.self_test:
        from app.selftest import run_self_test

        window.show()
        try:
            return run_self_test(window, queue, app)
        finally:
            for page in window.pages:
                page.shutdown()
            close_down(window, queue)

    watcher = FirstPaint()
    window.installEventFilter(watcher)
    window.show()
    _signal_timer = quit_on_signals(app, window)  # kept alive while the loop runs
    try:
        return app.exec()
    finally:
        close_down(window, queue)
        if window.restart_requested:  # File → Restore from a backup…: the next start restores
            start_again(lock)


def close_down(window, queue) -> None:
    """After the window has closed: stop the job queue (its running jobs end), then close every
    database the pages and the cache hold open. A store left open kept its last changes in its
    ``-wal`` file: a copy of ``albums.sqlite`` alone, as a backup, missed them."""
    queue.shutdown()
    for page in window.pages:
        page.release()
    window.context.cache.close()


def quit_on_signals(app, window):
    """SIGTERM (logout, shutdown, ``kill``), SIGINT (Ctrl+C in the terminal) and SIGHUP close the
    window as its close button does (window geometry saved, every page shut down, child
    processes stopped) and leave the event loop, so ``main``'s clean-up runs too; before, Python's
    default ended the process at once (and multiprocessing reported leaked semaphores). A Python
    signal handler only runs when the interpreter gets control, so a timer gives it the chance
    four times a second."""
    import signal

    from PySide6.QtCore import QTimer

    closing = []

    def close(signum, _frame) -> None:
        if closing:  # a second signal while closing (a session manager may send several)
            return
        closing.append(signum)
        logging.getLogger("simscope").info("signal %s: closing cleanly", signal.Signals(signum).name)
        window.force_close = True  # no question: a logout or a kill cannot wait for an answer
        window.close()
        app.quit()

    for name in ("SIGTERM", "SIGINT", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), close)
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)
    timer.start(250)
    return timer


if __name__ == "__main__":
    raise SystemExit(main())
