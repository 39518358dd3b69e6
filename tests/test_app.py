"""The main window, the job queue's Qt face, the Jobs view, settings and models dialogs."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer

from app.jobs_view import COL_CANCEL, COL_DETAILS
from app.settings import Key, Settings
from core.jobs import JobState, Lane, check_cancel
from tests.conftest import assert_not_blank, save_screenshot


def test_window_has_five_workspaces_and_paints(window, qtbot):
    window.show()
    qtbot.waitExposed(window)
    titles = [window.nav.item(i).text() for i in range(window.nav.count())]
    assert titles == ["Albums", "Logos", "Lost & Found", "Fusion", "Trends"]
    for i, page in enumerate(window.pages):
        window.nav.setCurrentRow(i)
        assert window.stack.currentWidget() is page
        assert page.summary  # the empty state (or the workspace itself) says what is there
        qtbot.wait(30)  # laid out, as a user sees it
        assert_not_blank(save_screenshot(window, f"window-{page.icon}"))
    # every workspace fits a 1,280 px laptop screen: the window never has to grow past 1,180 px
    assert window.minimumSizeHint().width() <= 1180, window.minimumSizeHint()
    assert window.width() <= 1180
    albums = window.pages[0]  # an empty album shows what to do, not an empty grid
    assert albums.body.currentWidget() is albums.empty


def test_device_is_detected_off_the_ui_thread_and_shown(window, qtbot):
    window.show()
    window.start()
    qtbot.waitUntil(lambda: window.device is not None, timeout=60_000)
    assert window.device_label.text() == f"Device: {window.device.label}"
    assert window.device.kind in ("cuda", "mps", "cpu")


def test_long_job_does_not_block_the_event_loop_and_reports_progress(window, qtbot):
    window.show()
    ticks = []
    timer = QTimer(interval=20)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    progress_seen = []

    def long_job(progress, cancelled):
        for i in range(40):
            check_cancel(cancelled)
            time.sleep(0.025)
            progress((i + 1) / 40, f"step {i + 1}")
        return "ok"

    results = []
    with qtbot.waitSignal(window.jobs.job_finished, timeout=10_000):
        window.jobs.submit(long_job, "a long job", on_done=results.append,
                           on_progress=lambda f, m: progress_seen.append(f))
        qtbot.waitUntil(lambda: window.job_progress.isVisible(), timeout=5000)
    timer.stop()
    assert results == ["ok"]
    assert len(ticks) >= 20  # ~1 s of work, a 20 ms timer kept ticking
    assert max(b - a for a, b in zip(ticks, ticks[1:], strict=False)) < 0.25
    assert progress_seen and progress_seen[-1] == 1.0
    assert not window.job_progress.isVisible()


def test_cancel_from_the_jobs_view_button(window, qtbot):
    window.show()
    window.jobs_dock.show()
    started = threading.Event()

    def endless(progress, cancelled):
        started.set()
        while True:
            check_cancel(cancelled)
            progress(0.5, "working")
            time.sleep(0.01)

    job = window.jobs.submit(endless, "endless", Lane.IO)
    assert started.wait(5)
    table = window.jobs_view.table
    qtbot.waitUntil(lambda: window.jobs_view.model.rowCount() >= 1)
    row = next(r for r in range(window.jobs_view.model.rowCount())
               if window.jobs_view.model.job(r) is job)
    rect = table.visualRect(window.jobs_view.model.index(row, COL_CANCEL))
    assert_not_blank(save_screenshot(window, "jobs-running"), min_colors=20)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: job.state is JobState.CANCELLED, timeout=5000)
    assert window.jobs_view.model.data(window.jobs_view.model.index(row, 1)) == "cancelled"


def test_a_failed_job_shows_its_error_and_the_app_lives_on(window, qtbot):
    errors = []

    def broken(progress, cancelled):
        raise FileNotFoundError("photo.jpg is gone")

    with qtbot.waitSignal(window.jobs.job_finished, timeout=5000):
        window.jobs.submit(broken, "broken job", on_error=errors.append)
    model = window.jobs_view.model
    row = model.rowCount() - 1
    assert model.data(model.index(row, COL_DETAILS)) == "FileNotFoundError: photo.jpg is gone"
    assert "photo.jpg is gone" in window.statusBar().currentMessage()
    assert errors and errors[0].state is JobState.FAILED
    with qtbot.waitSignal(window.jobs.job_finished, timeout=5000):
        window.jobs.submit(lambda p, c: 1, "next job")


def test_settings_persist_and_old_files_migrate(data_dir, qtbot):
    from PySide6.QtCore import QSettings

    from app.dialogs.settings_dialog import SettingsDialog

    settings = Settings()
    assert str(data_dir) in settings.path  # never the user's real settings
    dialog = SettingsDialog(settings, available=["cpu"])
    qtbot.addWidget(dialog)
    dialog.device.setCurrentIndex(dialog.device.findData("cpu"))
    dialog.io_workers.setValue(4)
    dialog.allow_downloads.setChecked(False)
    dialog.accept()
    again = Settings()
    assert again.get(Key.DEVICE) == "cpu"
    assert again.get(Key.IO_WORKERS) == 4
    assert again.get(Key.ALLOW_DOWNLOADS) is False
    assert "not found here" in dialog.device.itemText(dialog.device.findData("cuda"))

    old = QSettings(str(data_dir / "v1.ini"), QSettings.Format.IniFormat)
    old.setValue("device", "mps")
    old.setValue("models/allow_downloads", "true")
    old.sync()
    migrated = Settings(QSettings(str(data_dir / "v1.ini"), QSettings.Format.IniFormat))
    assert migrated.get(Key.DEVICE) == "mps"
    assert migrated.get(Key.ALLOW_DOWNLOADS) is True


def test_models_dialog_lists_presets_and_refuses_a_wrong_file(window, qtbot, tmp_path):
    dialog = window.open_models()
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() >= 9
    statuses = {dialog.table.item(r, 0).text(): dialog.table.item(r, 2).text()
                for r in range(dialog.table.rowCount())}
    assert statuses["EfficientNet-Lite0 (ImageNet, offline)"] == "bundled (offline)"
    assert statuses["CLIP ViT-B/32 (LAION-2B)"] == "missing"
    row = next(r for r in range(dialog.table.rowCount())
               if dialog.table.item(r, 0).text() == "CLIP ViT-B/32 (LAION-2B)")
    dialog.table.selectRow(row)
    assert "How to get it" in dialog.details.toPlainText()
    assert dialog.download_button.isEnabled()
    dialog.resize(900, 520)
    assert_not_blank(save_screenshot(dialog, "models-dialog"))
    bogus = tmp_path / "not-weights.bin"
    bogus.write_bytes(b"garbage")
    with qtbot.waitSignal(window.jobs.job_finished, timeout=60_000):
        dialog.import_selected(str(bogus))
    assert dialog.last_error and "not-weights.bin" in dialog.last_error
    assert dialog.table.item(row, 2).text() == "missing"


def test_jobs_view_rows_show_progress_state_and_elapsed(window, qtbot):
    gate = threading.Event()
    job = window.jobs.submit(lambda p, c: (p(0.3, "a third"), gate.wait(5)), "visible job", Lane.IO)
    qtbot.waitUntil(lambda: job.progress >= 0.3 and window.jobs_view.model.rowCount() == 1, timeout=5000)
    window.show()
    window.jobs_dock.show()
    qtbot.wait(100)
    model = window.jobs_view.model
    assert model.data(model.index(0, 2)) == 30
    assert model.data(model.index(0, 1)) == "running"
    gate.set()
    qtbot.waitUntil(lambda: job.state is JobState.FINISHED, timeout=5000)


def test_demo_start_groups_the_bundled_photos_through_the_queue(window, qtbot):
    from app.main import queue_demo

    window.show()
    window.start()
    finished = []
    window.jobs.job_finished.connect(lambda j: finished.append((j, j.result)))  # released after this signal
    queue_demo(window)
    qtbot.waitUntil(lambda: any(j.name.startswith("Albums: add") for j, _ in finished), timeout=120_000)
    job, result = next((j, r) for j, r in finished if j.name.startswith("Albums: add"))
    assert job.state is JobState.FINISHED, job.error
    report, group, models = result
    assert report.found == 15 and report.computed + report.reused == 15 and not report.errors
    assert "efficientnet-lite0" in models["image"]["weights"]
    albums = next(p for p in window.pages if p.icon == "albums")
    events = {e.name: [Path(p.path).name for p in albums.store.photos(e.id)] for e in albums.store.events()}
    # cut by capture time and GPS: the walk through Arezzo, two pairs of shots minutes apart
    assert group.events == 3 and group.unsorted == 2, events
    walk = next(n for n, ph in events.items() if len(ph) == 9)
    assert all(p.startswith("arezzo-") for p in events[walk]) and "Arezzo" in walk and "2008" in walk
    assert sorted(len(ph) for ph in events.values()) == [2, 2, 9]
    assert albums.events.count() == group.events + 1  # + Unsorted
    assert albums.demo_banner.isVisibleTo(albums)
    qtbot.waitUntil(lambda: window.device is not None, timeout=60_000)
    assert_not_blank(save_screenshot(window, "demo-start"))


def test_crash_report_is_readable_and_in_the_log_dir(data_dir):
    from app.main import write_crash_report
    from core import __version__
    from core.paths import log_dir

    try:
        raise ValueError("boom in a test")
    except ValueError:
        import traceback

        path = write_crash_report(traceback.format_exc())
    text = open(path, encoding="utf-8").read()
    assert path.startswith(str(log_dir())) and f"Simscope {__version__}" in text
    assert "ValueError: boom in a test" in text and "(source)" in text


def test_self_test_runs_every_built_workspace_through_the_queue(window, qtbot):
    from PySide6.QtWidgets import QApplication

    from app.selftest import run_self_test

    code = run_self_test(window, window.jobs, QApplication.instance(), timeout_s=300)
    assert code == 0


def test_status_bar_shows_the_current_pages_job_first_and_jobs_view_hides_internal_ones(window, qtbot):
    import threading

    from tests.conftest import show_page

    window.show()
    window.start()  # device detection + loading libraries: internal
    release = threading.Event()

    def slow(progress, cancelled):
        progress(0.5, "half way")
        release.wait(30)

    show_page(window, "logos")
    other = window.jobs.submit(slow, "Albums: add holiday", "io")
    mine = window.jobs.submit(slow, "Logos: index brands", "io")
    qtbot.waitUntil(lambda: other.state.name == "RUNNING" and mine.state.name == "RUNNING", timeout=10_000)
    qtbot.wait(100)
    shown, others = window.shown_job()
    assert shown is mine and others == 1
    assert window.job_label.toolTip().startswith("Logos: index brands") and "+1 more" in window.job_label.toolTip()
    show_page(window, "albums")
    assert window.shown_job()[0] is other
    model = window.jobs_view.model
    names = [model.job(r).name for r in range(model.rowCount())]
    assert "Albums: add holiday" in names and "Detect compute device" not in names
    model.set_show_internal(True)
    assert "Detect compute device" in [model.job(r).name for r in range(model.rowCount())]
    release.set()
    qtbot.waitUntil(lambda: mine.state.done and other.state.done, timeout=10_000)


def test_progress_texts_and_integer_epoch_ticks(qtbot):
    from app.plots import integer_axis
    from app.widgets import eta_text, rate_text

    assert rate_text("Embedded 1,200 of 6,400", 100.0) == "12.0/s" and rate_text("Loading", 5) == ""
    assert eta_text(0.5, 60) == "1 min left" and eta_text(0.01, 60) == "" and eta_text(0.9, 9) == "1 s left"
    axis = integer_axis()
    for lo, hi in ((1, 2), (1, 6), (0.5, 30.5)):
        ticks = [v for _, values in axis.tickValues(lo, hi, 400) for v in values]
        assert ticks and all(float(v).is_integer() for v in ticks), (lo, hi, ticks)


def test_hover_readout_reads_every_curve_at_the_nearest_x_and_empty_plots_say_so(qtbot):
    import pyqtgraph as pg

    from app.plots import (
        HoverReadout,
        corner_legend,
        curve_style,
        empty_message,
        epoch_label,
        integer_axis,
    )

    w = pg.PlotWidget(axisItems={"bottom": integer_axis()})
    qtbot.addWidget(w)
    corner_legend(w)
    message = empty_message(w, "Train a model: its curves appear here")
    readout = HoverReadout(w, epoch_label)
    assert message.has_data() is False and readout.readout_text(2) == ""
    w.plot([1, 2, 3], [0.9, 0.5, 0.25], name="train", **curve_style(pg, "#2471a3"))
    w.plot([1, 2], [1.0, 0.75], name="val", **curve_style(pg, "#e67e22"))
    assert message.has_data() is True
    # x = 2.4: both curves' point at epoch 2
    assert readout.readout_text(2.4).splitlines() == ["epoch 2", "train: 0.5", "val: 0.75"]
    # x = 3: val has no epoch 3; it says where its nearest value is
    assert readout.readout_text(3).splitlines() == ["epoch 3", "train: 0.25", "val: 0.75 (at epoch 2)"]
    assert readout.show_at(1) and readout.line.isVisible() and readout.label.isVisible()
    w.clear()  # a page redrawing its curves: the readout comes back with the next hover
    w.plot([1], [0.3], name="run 1")
    assert readout.show_at(1).splitlines() == ["epoch 1", "run 1: 0.3"] and readout.line.scene() is not None


def test_legends_show_only_while_a_curve_has_data(qtbot):
    import pyqtgraph as pg

    from app.plots import corner_legend

    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    legend = corner_legend(plot)
    curve = plot.plot(name="train")
    assert len(legend.items) == 1 and not legend.isVisible()  # no entries over an empty plot
    curve.setData([1, 2], [0.5, 0.4])
    assert legend.isVisible()
    curve.setData([], [])
    assert not legend.isVisible()
    plot.plot([1, 2], [1, 2], name="other")
    assert legend.isVisible()
    plot.clear()
    assert not legend.isVisible()


def test_sigterm_closes_the_app_cleanly_mid_demo(tmp_path):
    """``kill`` (or a logout) while the demo's jobs run: the window closes as with its close
    button (geometry saved, pages shut down), exit status 0, and nothing leaked (before: killed
    at once, multiprocessing warned of leaked semaphores)."""
    import os
    import signal
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = dict(os.environ, SIMSCOPE_DATA_DIR=str(tmp_path / "data"), QT_QPA_PLATFORM="offscreen",
               HF_HUB_OFFLINE="1")
    proc = subprocess.Popen([sys.executable, "-m", "app", "--demo"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    log = tmp_path / "data" / "logs" / "simscope.log"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (log.exists() and "starting" in log.read_text()):
        time.sleep(0.2)
    while time.monotonic() < deadline and "job started: Albums: add" not in log.read_text():
        time.sleep(0.2)  # the window is up and the demo's jobs are running (the queue logs each start)
    assert "job started: Albums: add" in log.read_text()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    assert "signal SIGTERM: closing cleanly" in log.read_text()
    assert "leaked" not in err and "Traceback" not in err
    assert "geometry" in (tmp_path / "data" / "settings.ini").read_text()
    # every database closed: each write-ahead log folded back into its file (a copy of the file
    # alone is all of it; before, albums.sqlite-wal and lostfound.sqlite-wal were left behind)
    stores = sorted(p.name for p in (tmp_path / "data").glob("*.sqlite"))
    assert {"albums.sqlite", "lostfound.sqlite", "embeddings.sqlite"} <= set(stores), stores
    assert sorted(p.name for p in (tmp_path / "data").glob("*.sqlite-wal")) == []


def test_closing_down_leaves_no_write_ahead_log_after_an_import(qtbot, data_dir):
    """Posts imported (a job with a store of its own), then the app closes: every connection is
    closed, so lostfound.sqlite holds all of it (no lostfound.sqlite-wal beside it)."""
    from app.main import close_down, create_window
    from core.lostfound.demo import demo_csv
    from tests.conftest import finish_job

    win, queue = create_window()
    win.force_close = True  # closed by the test, not asked
    qtbot.addWidget(win)
    lostfound = next(p for p in win.pages if p.icon == "lostfound")
    finish_job(qtbot, lostfound.import_posts(str(demo_csv())))
    assert lostfound.store.count() == 18
    for page in win.pages:
        page.shutdown()
    close_down(win, queue)
    assert not list(Path(data_dir).glob("*.sqlite-wal")), sorted(p.name for p in Path(data_dir).iterdir())


def test_a_dark_desktop_still_gets_a_readable_light_window(qapp, qtbot):
    """The app's colours are drawn for light: on a desktop whose palette is dark, its grey notes
    and dark titles came out dark on dark. apply_style asks for the light scheme, else uses
    Fusion's light palette."""
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QLabel

    from app.main import apply_style
    from app.theme import is_dark

    saved_palette, saved_style = QPalette(qapp.palette()), qapp.style().name()
    dark = QPalette()
    for role, colour in ((QPalette.ColorRole.Window, "#202020"), (QPalette.ColorRole.WindowText, "#f0f0f0"),
                         (QPalette.ColorRole.Base, "#181818"), (QPalette.ColorRole.Text, "#eeeeee")):
        dark.setColor(role, QColor(colour))
    try:
        qapp.setPalette(dark)
        assert is_dark(qapp.palette())
        apply_style(qapp)
        assert not is_dark(qapp.palette())
        note = QLabel("a page's note, in the app's grey")
        note.setStyleSheet("color: #5a6a7a")
        note.setAutoFillBackground(True)
        qtbot.addWidget(note)
        note.resize(300, 30)
        image = note.grab().toImage()
        background = QColor(image.pixel(2, 2))
        assert background.lightness() > 200  # the grey text stands on a light window
    finally:
        qapp.setStyle(saved_style)
        qapp.setPalette(saved_palette)


def test_closing_with_a_running_job_asks_first_and_keep_working_keeps_it(window, qtbot):
    """Closing the window stops the jobs: with one of the user's running it names it and asks;
    Keep working (the default) leaves the window and the job as they were, Quit closes. The app's
    own jobs (device detection) and a closing signal do not ask."""
    from PySide6.QtWidgets import QApplication

    window.force_close = False  # as a user's window (the fixture's closes without asking)
    window.show()

    def long_job(progress, cancelled):
        for i in range(600):
            check_cancel(cancelled)
            time.sleep(0.02)
            progress(i / 600, "working")
        return "ok"

    job = window.jobs.submit(long_job, "Albums: add Holidays", Lane.IO)
    qtbot.waitUntil(lambda: job.state is JobState.RUNNING, timeout=5000)
    answers = []

    def answer(role_text: str) -> None:
        box = window._quit_box
        answers.append(box.informativeText())
        next(b for b in box.buttons() if b.text() == role_text).click()

    QTimer.singleShot(200, lambda: answer("Keep working"))
    window.close()
    assert window.isVisible() and job.state is JobState.RUNNING  # nothing stopped
    assert "Albums: add Holidays" in answers[0] and "Quitting stops them" in answers[0]
    assert window._quit_box.defaultButton().text() == "Keep working"
    QTimer.singleShot(200, lambda: answer("Quit"))
    window.close()
    assert not window.isVisible()
    window.jobs.cancel(job.id)
    qtbot.waitUntil(lambda: job.state.done, timeout=5000)
    # nothing of the user's running: no question
    window.show()
    internal = window.jobs.submit(long_job, "detect devices", Lane.IO, internal=True)
    window._quit_box = None
    window.close()
    assert not window.isVisible() and window._quit_box is None
    window.jobs.cancel(internal.id)
    qtbot.waitUntil(lambda: internal.state.done, timeout=5000)
    assert QApplication.activeModalWidget() is None


def test_edit_find_goes_to_the_pages_search_field(window, qtbot):
    from tests.conftest import show_page

    lostfound = show_page(window, "lostfound")
    qtbot.waitExposed(window)
    window.activateWindow()
    lostfound.posts_panel.search.setText("지갑")
    assert window.find_action.isEnabled() and window.find_action.shortcut().toString() == "Ctrl+F"
    window.find_action.trigger()
    assert window.focusWidget() is lostfound.posts_panel.search and lostfound.posts_panel.search.selectedText() == "지갑"
    albums = show_page(window, "albums")
    window.find_action.trigger()
    assert window.focusWidget() is albums.word_search
    show_page(window, "fusion")
    assert not window.find_action.isEnabled()  # no search field there


def test_a_started_window_learns_its_device_without_importing_torch(tmp_path):
    """The window asks a child process (``--detect-devices``) which devices torch sees, and its
    start-up warm-up leaves torch, torchvision and timm to the first model: a window that only
    browses stays ~750 MB smaller with CUDA's torch. In a fresh process, where nothing imported them.
    Its GUI-thread collector imports no pyqtgraph either (0.36-1 s on the GUI thread after the first
    paint, as pyqtgraph's own collector did)."""
    import json
    import os
    import subprocess
    import sys

    code = (
        "import json, sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from app.main import create_window\n"
        "window, jobs = create_window()\n"
        "window.show(); window.start()\n"
        "from app.main import install_gui_thread_gc\n"
        "install_gui_thread_gc(window)  # after the first paint, as the app does\n"
        "from PySide6.QtCore import QEventLoop\n"
        "import time\n"
        "end = time.monotonic() + 240\n"
        "while (window.device is None or any(not j.state.done for j in jobs.jobs())) and time.monotonic() < end:\n"
        "    app.processEvents(QEventLoop.AllEvents, 50); time.sleep(0.02)\n"
        "print(json.dumps({'label': window.device_label.text(), 'kinds': [d.kind for d in window.available_devices],\n"
        "                  'imported': sorted(m for m in ('torch', 'torchvision', 'timm', 'pyqtgraph') if m in sys.modules),\n"
        "                  'warm': 'onnxruntime' in sys.modules}))\n"
        "jobs.shutdown()\n"
    )
    env = {**os.environ, "SIMSCOPE_DATA_DIR": str(tmp_path / "data"), "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["label"].startswith("Device: ") and "detecting" not in got["label"], got
    assert got["kinds"][-1] == "cpu" and got["warm"], got  # the devices known, the start-up warm-up done
    assert got["imported"] == [], got


def test_device_detection_falls_back_to_this_process_when_the_child_fails():
    """A child that cannot start (here: a program that does not exist) or prints something else is
    logged and the devices are found in this process; its output is never trusted blindly."""
    import json
    import subprocess
    import sys

    import pytest

    from core.device import devices_from_json

    for bad in ("", "no json here", "[]", '[["cuda", "cuda:0", "x"]]'):  # the CPU is always last
        with pytest.raises(ValueError):
            devices_from_json(bad)
    code = (
        "import json, logging, sys\n"
        "logging.basicConfig(level=logging.WARNING)\n"
        "sys.executable = '/nonexistent/python'\n"
        "from app.devices import detect_device\n"
        "device, devices = detect_device('auto')\n"
        "print(json.dumps([device.kind, [d.kind for d in devices], 'torch' in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.returncode == 0, out.stderr[-3000:]
    kind, kinds, imported = json.loads(out.stdout.strip().splitlines()[-1])
    assert kinds[-1] == "cpu" and kind == kinds[0] and imported  # found here, with torch
    assert "device detection in a child process failed" in out.stderr
