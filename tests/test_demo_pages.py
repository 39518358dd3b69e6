"""`--demo`: every workspace opens with something real to look at and act on; screenshots of
each page at 1180×760 and 1920×1080 land in out/screenshots/ (looked at by hand)."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.conftest import ROOT, assert_not_blank, save_screenshot, show_page

SIZES = [(1180, 760), (1920, 1080)]


@pytest.mark.timeout(600)
def test_every_workspace_has_a_working_demo(window, qtbot):
    from app.main import queue_demo

    finished = []
    window.jobs.job_finished.connect(finished.append)
    window.show()
    window.start()
    queue_demo(window)
    albums = show_page(window, "albums", SIZES[0])
    logos = next(p for p in window.pages if p.icon == "logos")
    lostfound = next(p for p in window.pages if p.icon == "lostfound")

    def names():
        return [j.name for j in finished]

    qtbot.waitUntil(lambda: any(n.startswith("Albums: add") for n in names()), timeout=180_000)
    qtbot.waitUntil(lambda: logos.index is not None and bool(logos.lookalikes.hits), timeout=180_000)
    qtbot.waitUntil(lambda: lostfound.store.count() > 0, timeout=60_000)
    # Albums: events a person recognises, and the page says what the demo is
    assert albums.demo_banner.isVisibleTo(albums) and "Arezzo" in albums.events.item(0).text()
    # Logos: the demo index opens with a query already shown, its look-alikes listed
    assert logos.query_path and logos.query_path.endswith("sun-copy.png")
    assert logos.lookalikes.results.count() >= 3 and "sun" in logos.lookalikes.results.item(0).text()
    # Fusion and Trends: their demos start when their pages are first shown (a small gas subset
    # here: the app's is all 6,400 rows) and are labelled synthetic
    fusion = next(p for p in window.pages if p.icon == "fusion")
    fusion.demo_limit = 80
    fusion = show_page(window, "fusion", SIZES[0])
    assert fusion.data_label.text().startswith(("Building the gas demo set", "Loading dataset.csv"))  # not "No dataset"
    trends = show_page(window, "trends", SIZES[0])
    qtbot.waitUntil(lambda: fusion.data is not None and trends.prep is not None, timeout=180_000)
    assert "SYNTHETIC" in fusion.data_label.text() and "gas_demo_80" in fusion.dataset_path
    assert "SYNTHETIC" in trends.info.text()
    assert sum(n == "Fusion: build the gas demo set" for n in names()) == 1  # started once, not per show
    from tests.test_screens import _collapsed_plots, _elided_cells

    # Lost & Found as a user sees it: a lost wallet selected beside its ranked matches (it embeds
    # its posts once first shown)
    show_page(window, "lostfound", SIZES[0])
    qtbot.waitUntil(lambda: lostfound.service is not None and lostfound.service.vectors is not None
                    and len(lostfound.service.vectors) == lostfound.store.count(), timeout=180_000)
    wallet = next(p for p in lostfound.session.posts if p.kind == "lost" and p.image and "지갑" in p.description)
    assert lostfound.select_post(wallet.id)
    qtbot.waitUntil(lambda: lostfound.matches_panel.matches.rowCount() > 3, timeout=10_000)

    cut = []  # the screens test's checks, on pages WITH data: no cell cut, no plot collapsed
    for icon in ("albums", "logos", "lostfound", "fusion", "trends"):
        for size in SIZES:
            show_page(window, icon, size)
            qtbot.wait(150)
            # a page's minimum (its data's texts) must not make the window wider than asked (1270 once)
            assert window.width() == size[0], f"{icon}: the window is {window.width()} px wide, not {size[0]}"
            assert window.minimumSizeHint().width() <= SIZES[0][0]
            cut += [f"{icon} at {size[0]}: {c}" for c in _elided_cells(window, tooltip_ok=size[0] < 1920)
                    + _collapsed_plots(window)]
            shot = save_screenshot(window, f"demo-{icon}-{size[0]}")
            assert_not_blank(shot)
            if size == SIZES[0] and os.environ.get("SIMSCOPE_DOC_IMAGES"):  # README's pictures, made here
                (ROOT / "docs" / "images").mkdir(parents=True, exist_ok=True)
                shutil.copyfile(shot, ROOT / "docs" / "images" / f"{icon}.png")
    assert not cut, "\n".join(cut)
    assert sum(n == "Fusion: build the gas demo set" for n in names()) == 1
    assert trends.demo_button.isEnabled() and "synthetic" in trends.demo_button.text().lower()


def test_a_page_that_had_a_dataset_reopens_it_instead_of_its_demo(window, qtbot, tmp_path):
    """Demo mode on a data dir where Trends already had a dataset: that one reopens, no demo."""
    from core.trends.synthetic import make_dataset

    trends = next(p for p in window.pages if p.icon == "trends")
    mine = make_dataset(tmp_path / "mine")
    trends.runs.remember_dataset("trends", str(mine))
    trends.start_demo_when_shown()
    window.show()
    trends = show_page(window, "trends", SIZES[0])
    qtbot.waitUntil(lambda: trends.prep is not None, timeout=120_000)
    assert trends.dataset_path == str(mine.resolve())
    assert not any(j.name == "Trends: make synthetic demo" for j in window.jobs.jobs())
