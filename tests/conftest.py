"""Shared fixtures. Every test gets its own data dir (so its own settings file,
cache and models); no test may leave a worker thread running."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
DEMO_PHOTOS = ROOT / "resources" / "demo" / "photos"
SCREENSHOTS = Path(os.environ.get("SIMSCOPE_SCREENSHOT_DIR", ROOT / "out" / "screenshots"))


def shared_data(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "simscope-data"
    monkeypatch.setenv("SIMSCOPE_DATA_DIR", str(path))
    return path


spawned_groups: list[int] = []  # process groups a test started (tests/test_bad_inputs.py's drivers)


def _group_members(pgid: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended while we looked
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":  # (state, ppid, pgrp): zombies are gone already
            members.append(int(stat.parent.name))
    return members


def end_group(pgid: int) -> None:
    """End what is left of a process group a test started (fork servers and their children)."""
    import signal

    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while _group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture(scope="session", autouse=True)
def no_process_left():
    """After the suite: no process of a group a test started is still alive."""
    yield
    left = {g: m for g in spawned_groups if (m := _group_members(g))}
    for g in left:
        end_group(g)
    assert not left, f"processes left running after the suite (process group: pids): {left}"


@pytest.fixture(autouse=True)
def no_dangling_threads():
    before = {t.ident for t in threading.enumerate()}
    yield
    deadline = time.monotonic() + 5
    while True:
        left = [t for t in threading.enumerate()
                if t.ident not in before and t.name.startswith("simscope") and t.is_alive()]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not left, f"threads left running after the test: {[t.name for t in left]}"


@pytest.fixture
def runner():
    from core.jobs import JobRunner

    r = JobRunner(io_workers=2, min_interval=0.0)
    yield r
    r.shutdown(cancel=True)


@pytest.fixture
def window(qtbot):
    import gc

    from app.collector import GuiThreadCollector
    from app.main import create_window

    win, queue = create_window()
    win.force_close = True  # pytest-qt closes it at teardown, jobs or not: nobody answers a question there
    qtbot.addWidget(win)
    collector = GuiThreadCollector(interval=0.5)  # GC on the GUI thread only, as in the app
    yield win
    collector.timer.stop()
    queue.shutdown()  # the pages' stores stay open: Qt may still deliver their queued callbacks here
    win.context.cache.close()
    gc.collect()  # here, on the GUI thread, never on a worker
    gc.enable()


@contextlib.contextmanager
def restarted_window(qtbot):
    """A second window on the same data dir, as after a restart; closed (threads stopped) after."""
    import gc

    from app.main import close_down, create_window

    win, queue = create_window()
    win.force_close = True  # as the window fixture's
    qtbot.addWidget(win)
    try:
        yield win
    finally:
        for page in win.pages:
            page.shutdown()
        close_down(win, queue)
        gc.collect()


def show_page(window, icon: str, size: tuple[int, int] = (1300, 820)):
    """Switch the window to a workspace (by its icon name) and show it at a given size."""
    page = next(p for p in window.pages if p.icon == icon)
    window.nav.setCurrentRow(window.pages.index(page))
    window.resize(*size)
    window.show()
    return page


def finish_job(qtbot, job, timeout: int = 180_000):
    """Wait until the queue has delivered a job (its callbacks ran on the UI thread); it must have
    finished (not failed or been cancelled). Its result, kept for this caller past delivery."""
    from core.jobs import JobState

    assert not job.delivered or job.keep_result, f"{job.name}: delivered before finish_job, its result released"
    job.keep_result = True
    qtbot.waitUntil(lambda: job.delivered, timeout=timeout)
    assert job.state is JobState.FINISHED, job.error
    return job.result


def save_screenshot(widget, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    assert widget.grab().save(str(path)), f"could not save {path}"
    return path


def assert_not_blank(path: Path, min_colors: int = 20) -> None:
    from PIL import Image

    im = Image.open(path).convert("RGB")
    colors = im.getcolors(maxcolors=1 << 20)
    assert colors is not None and len(colors) >= min_colors, f"{path} looks blank ({len(colors or [])} colours)"
    extrema = im.convert("L").getextrema()
    assert extrema[1] - extrema[0] > 100, f"{path} has no contrast: {extrema}"
