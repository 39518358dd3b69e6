"""The album by date: month counts and events by date from the store (core.albums.timeline),
``albums events``, and the date scrubber (app.albums.timeline) alone, offscreen."""

from __future__ import annotations

import datetime as dt
import json
import sys

import pytest
from PySide6.QtCore import QPoint, Qt

from core.albums.store import AlbumStore
from core.albums.timeline import event_in_month, events_by_date, timeline
from tests.test_cli import run_cli


def _at(y, m, d, h=12) -> float:
    return dt.datetime(y, m, d, h).timestamp()


@pytest.fixture
def album(data_dir):
    """Three events (Christmas 2018 over New Year, a March 2019 trip, one with no dates), two
    unsorted photos (one undated), one unreadable file."""
    with AlbumStore(data_dir / "albums.sqlite") as store:
        times = {"x1": _at(2018, 12, 30), "x2": _at(2018, 12, 31), "x3": _at(2019, 1, 2),
                 "t1": _at(2019, 3, 10), "t2": _at(2019, 3, 12), "t3": None, "n1": None, "n2": None,
                 "u1": _at(2020, 7, 1), "u2": None, "bad": None}
        store.add_photos([f"/p/{k}.jpg" for k in times])
        store.set_photo_info([(f"/p/{k}.jpg", t, [], "", "not a JPEG" if k == "bad" else None)
                              for k, t in times.items()])
        ids = store.photo_ids([f"/p/{k}.jpg" for k in times])
        made = store.apply_grouping({}, set(), {-1: {"name": "Christmas"}, -2: {"name": "Trip"},
                                                -3: {"name": "Scans"}}, {}, [])
        group = {"x": -1, "t": -2, "n": -3}
        store.apply_grouping({ids[f"/p/{k}.jpg"]: made[group[k[0]]] for k in times if k[0] in group},
                             set(), {}, {}, [])
        yield store, made


def test_months_are_counted_by_capture_time_with_a_no_date_bucket(album):
    store, _ = album
    line = timeline(store)
    assert [(m.year, m.month, m.count) for m in line.months] == [(2018, 12, 2), (2019, 1, 1), (2019, 3, 2),
                                                                 (2020, 7, 1)]
    assert line.no_date == 4  # t3, n1, n2, u2: the unreadable file is in no month and not undated
    assert line.total == 10
    assert line.years() == [(2018, 2), (2019, 3), (2020, 1)]


def test_events_by_date_in_the_order_they_happened_with_counts_and_spans(album):
    store, made = album
    spans = events_by_date(store)
    assert [s.name for s in spans] == ["Christmas", "Trip", "Scans"]  # undated last
    xmas, trip, scans = spans
    assert (xmas.count, xmas.first, xmas.last, xmas.undated) == (3, _at(2018, 12, 30), _at(2019, 1, 2), 0)
    assert (trip.count, trip.undated) == (3, 1)
    assert (scans.count, scans.first, scans.undated) == (2, None, 2)
    assert xmas.dates_text() == "30 Dec 2018 – 2 Jan 2019"
    assert trip.dates_text() == "10–12 Mar 2019"
    assert scans.dates_text() == "no date"
    # the jump: a month inside an event, a month between events (the next one), past the last
    assert event_in_month(spans, 2019, 1).id == made[-1]
    assert event_in_month(spans, 2019, 2).id == made[-2]
    assert event_in_month(spans, 2021, 1) is None


def test_timeline_counts_100k_photos_in_sql_fast(data_dir):
    import time

    with AlbumStore(data_dir / "big.sqlite") as store:
        paths = [f"/lib/{i:06d}.jpg" for i in range(100_000)]
        store.add_photos(paths)
        store.set_photo_info([(p, _at(2010 + i % 12, 1 + i % 12, 1) if i % 10 else None, [], "", None)
                              for i, p in enumerate(paths)])
        t = time.perf_counter()
        line = timeline(store)
        took = time.perf_counter() - t
    assert line.no_date == 10_000 and line.total == 100_000 and len(line.months) == 12
    assert took < 1.0, f"{took:.2f} s for 100,000 photos"  # ~0.05 s: one GROUP BY, no row decoded


def test_cli_lists_events_by_date_and_months(album, data_dir):
    store, _ = album
    path = str(store.path)
    res = run_cli("albums", "events", "--by-date", "--store", path, env_dir=data_dir)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert "Christmas" in lines[0] and "30 Dec 2018 – 2 Jan 2019" in lines[0] and lines[0].split()[0] == "3"
    assert "Scans" in lines[2] and "no date" in lines[2]
    assert lines[-1] == "3 events"
    res = run_cli("albums", "events", "--months", "--json", "--store", path, env_dir=data_dir)
    out = json.loads(res.stdout)
    assert out["no_date"] == 4 and out["months"][0] == {"year": 2018, "month": 12, "count": 2}
    res = run_cli("albums", "events", "--store", str(data_dir / "none.sqlite"), env_dir=data_dir)
    assert res.returncode == 1 and "none.sqlite" in res.stderr


# -- the scrubber, alone --------------------------------------------------------------
@pytest.fixture
def scrubber(qtbot):
    from app.albums.timeline import DateScrubber

    w = DateScrubber()
    qtbot.addWidget(w)
    w.resize(96, 500)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_scrubber_shows_every_month_between_and_jumps_to_the_one_clicked(scrubber, qtbot):
    scrubber.set_counts([(2019, 3, 1234), (2018, 11, 5), (2019, 1, 40)], no_date=7)
    assert scrubber.months() == [(2018, 11, 5), (2019, 1, 40), (2019, 3, 1234)]
    y = scrubber.y_of(2019, 1)
    assert scrubber.key_at(y) == (2019, 1)
    assert scrubber.key_at(scrubber.y_of(2018, 12)) == (2018, 12)  # an empty month keeps its place in time
    assert scrubber.y_of(2018, 11) < scrubber.y_of(2018, 12) < y < scrubber.y_of(2019, 3)
    assert scrubber.text_for((2019, 3)) == "March 2019 · 1,234 photos"
    assert scrubber.text_for((2018, 12)) == "December 2018 · no photos"
    with qtbot.waitSignal(scrubber.jumped) as got:
        qtbot.mouseClick(scrubber, Qt.MouseButton.LeftButton, pos=QPoint(60, round(y)))
    assert got.args == [2019, 1]
    with qtbot.waitSignal(scrubber.undated_chosen):
        qtbot.mouseClick(scrubber, Qt.MouseButton.LeftButton, pos=QPoint(60, round(scrubber.y_of(0, 0))))
    assert scrubber.text_for((0, 0)) == "No date · 7 photos without a capture time"


def test_scrubber_hover_says_the_month_and_its_count(scrubber, qtbot):
    from PySide6.QtWidgets import QToolTip

    scrubber.set_counts([(2019, 3, 1234), (2019, 4, 1)])
    qtbot.mouseMove(scrubber, QPoint(60, round(scrubber.y_of(2019, 3))))
    qtbot.waitUntil(lambda: QToolTip.isVisible() and QToolTip.text() == "March 2019 · 1,234 photos", timeout=3000)
    qtbot.mouseMove(scrubber, QPoint(60, round(scrubber.y_of(2019, 4))))
    qtbot.waitUntil(lambda: QToolTip.text() == "April 2019 · 1 photo", timeout=3000)


def test_scrubber_keys_move_through_months_with_photos(scrubber, qtbot):
    scrubber.set_counts([(2017, 6, 3), (2019, 1, 4), (2019, 5, 2), (2020, 2, 9)], no_date=1)
    scrubber.setFocus()
    seen = []
    scrubber.jumped.connect(lambda y, m: seen.append((y, m)))
    for key in (Qt.Key.Key_Home, Qt.Key.Key_Down, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown,
                Qt.Key.Key_PageDown, Qt.Key.Key_Up):
        qtbot.keyClick(scrubber, key)
    # Home, the next month with photos (empty ones skipped), again; a year back: the first of 2019
    # is before May 2019, so 2017; then 2019's first, 2020; Up: May 2019
    assert seen == [(2017, 6), (2019, 1), (2019, 5), (2017, 6), (2019, 1), (2020, 2), (2019, 5)]
    with qtbot.waitSignal(scrubber.undated_chosen):
        qtbot.keyClick(scrubber, Qt.Key.Key_End)
    assert "arrow keys" not in scrubber.accessibleDescription()  # it says where the keys went
    assert scrubber.accessibleDescription().startswith("No date")


def test_scrubber_empty_and_undated_only(scrubber, qtbot):
    import numpy as np

    scrubber.set_counts([])
    assert scrubber.months() == [] and scrubber.key_at(100) is None
    image = scrubber.grab().toImage()
    assert image.width() == 96  # painted without data: the "No photos" note, no error
    qtbot.keyClick(scrubber, Qt.Key.Key_Down)  # nothing to move to: no signal, no error
    scrubber.set_counts([], no_date=12)
    assert scrubber.key_at(scrubber.height() - 10) == (0, 0)
    assert scrubber.text_for((0, 0)).startswith("No date · 12 photos")
    arr = np.frombuffer(scrubber.grab().toImage().convertToFormat(
        scrubber.grab().toImage().Format.Format_RGB32).constBits(), np.uint8)
    assert len(np.unique(arr.reshape(-1, 4), axis=0)) > 3  # its bar and label were painted


def test_scrubber_paints_decades_of_months_quickly(scrubber):
    import time

    months = [(y, m, (y * 7 + m * 13) % 900 + 1) for y in range(1980, 2025) for m in range(1, 13)]
    scrubber.set_counts(months, no_date=12_000)
    scrubber.resize(96, 900)
    scrubber.repaint()  # the strip is drawn once for this size and data
    nones, t = sys.getrefcount(None), time.perf_counter()
    for i in range(20):
        scrubber.set_current(2000 + i, 5)  # each paint marks another month
        scrubber.repaint()
    per = (time.perf_counter() - t) / 20
    lost = (nones - sys.getrefcount(None)) / 20
    assert per < 0.05, f"{1000 * per:.0f} ms per paint of 540 months"
    # shiboken6 6.12 on Python 3.11 drops a reference to None at every call of a void Qt method:
    # a paint of one call per month lost ~1,600 per paint and ended the process (deallocating
    # None) after a few dozen; the cached strip makes a paint a handful of calls
    assert lost < 20, f"{lost:.0f} references to None lost per paint"
    assert scrubber.key_at(scrubber.y_of(2003, 7)) == (2003, 7)


def test_bench_library_plan_has_the_events_and_gaps_it_says(data_dir):
    """bench/albums_ui.py --library: ~n/45 events of 5–500 photos over 2012–2024, a tenth and more
    without a time, ~8% unsorted; its months counted by the store as the scrubber gets them."""
    import numpy as np

    from bench.albums_library import YEARS, event_sizes, plan

    sizes = event_sizes(100_000, np.random.default_rng(0))
    assert sum(sizes) == 100_000 and 1_800 <= len(sizes) <= 2_800 and max(sizes) <= 500 and min(sizes[:-1]) >= 5
    event, taken = plan(20_000)
    assert 0.10 <= np.isnan(taken).mean() <= 0.2 and 0.06 <= (event < 0).mean() <= 0.10
    years = {dt.datetime.fromtimestamp(t).year for t in taken[~np.isnan(taken)]}
    assert min(years) == YEARS[0] and max(years) <= YEARS[1]
    with AlbumStore(data_dir / "plan.sqlite") as store:
        paths = [f"/lib/{i:06d}.jpg" for i in range(len(taken))]
        store.add_photos(paths)
        store.set_photo_info([(p, None if np.isnan(t) else float(t), [], "", None) for p, t in zip(paths, taken, strict=True)])
        line = timeline(store)
    assert line.no_date == int(np.isnan(taken).sum()) and line.total == 20_000
    assert 12 * 12 <= len(line.months) <= 13 * 12
