"""The Fusion page: load the demo set, train with live plots, re-run inference, inspect, sweep."""

from __future__ import annotations

import pytest

from core.jobs import JobState
from tests.conftest import assert_not_blank, save_screenshot


@pytest.fixture
def page(window, qtbot):
    page = next(p for p in window.pages if p.icon == "fusion")
    assert not page.built  # nothing heavy before the page is shown
    window.nav.setCurrentRow(window.pages.index(page))
    window.resize(1300, 860)
    window.show()
    assert page.built
    page.load_demo(limit=200)  # the gas readings ship in resources/: works from a clone and the bundle
    qtbot.waitUntil(lambda: page.job_strip.isVisibleTo(page), timeout=60_000)  # progress on the page itself
    assert "Cancel" == page.job_strip.cancel_button.text()
    qtbot.waitUntil(lambda: page.data is not None, timeout=120_000)
    qtbot.waitUntil(lambda: not page.job_strip.isVisibleTo(page), timeout=10_000)
    return page


def test_train_live_plots_sliders_inspector(page, qtbot):
    assert "SYNTHETIC" in page.data_label.text()  # the demo says its images are synthetic
    page.epochs.setValue(6)
    page.embedding_dim.setValue(32)
    page.lr.setValue(0.003)
    page.start_training()
    assert not page.train_button.isEnabled() and page.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: page.result is not None, timeout=120_000)
    assert len(page.session.history) == 6
    x, y = page.plots.curves["val_acc"].getData()
    assert len(x) == 6
    assert len(page.plots.sim_curves[("v", 0)].getData()[0]) == 6
    assert len(page.plots.curves["vision_weight"].getData()[0]) == 6
    before = page.evaluation.current_eval["confusion"]
    assert page.evaluation.confusion.rowCount() == 5 and page.evaluation.confusion.item(4, 4).text().endswith("right")  # + totals
    assert "%" in page.evaluation.confusion.item(0, 0).text()
    page.evaluation.v_slider.setValue(0)
    page.evaluation.s_slider.setValue(0)
    assert page.evaluation.current_eval["confusion"] != before  # live re-run, no retraining
    page.evaluation.reset_sliders()
    assert page.evaluation.current_eval["confusion"] == before
    page.tabs.setCurrentIndex(0)
    assert_not_blank(save_screenshot(page.window(), "fusion-training"))
    page.tabs.setCurrentIndex(2)
    page.inspector.sample.setValue(3)
    assert "predicted" in page.inspector.sample_info.text()
    assert len(page.inspector.bar_plots["probs"].listDataItems()) + len(page.inspector.bar_plots["probs"].items()) > 0
    assert_not_blank(save_screenshot(page.window(), "fusion-inspector"))
    page.tabs.setCurrentIndex(1)
    assert_not_blank(save_screenshot(page.window(), "fusion-evaluation"))


def test_cancel_and_sweep(page, qtbot, tmp_path):
    page.epochs.setValue(200)
    page.embedding_dim.setValue(32)
    job = page.start_training()
    qtbot.waitUntil(lambda: len(page.session.history) >= 1, timeout=60_000)
    page.cancel()
    qtbot.waitUntil(lambda: job.state is JobState.CANCELLED, timeout=30_000)
    qtbot.waitUntil(lambda: page.train_button.isEnabled(), timeout=5000)
    page.epochs.setValue(2)
    page.start_sweep({"temperature": (0.1, 0.5), "embedding_dim": (16,), "lr": (1e-3,)})
    qtbot.waitUntil(lambda: page.sweep.sweep_table.rowCount() == 2 and page.train_button.isEnabled(), timeout=120_000)
    out = tmp_path / "sweep.csv"
    page.sweep.export_sweep(str(out))
    lines = out.read_text().splitlines()
    assert lines[0].startswith("temperature") and len(lines) == 3
    assert_not_blank(save_screenshot(page.window(), "fusion-sweep"))


def test_a_wrong_csv_gives_row_numbers(page, qtbot, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("MQ2,image,label\n1,x.png,Normal\nfoo,x.png,Boom\n", encoding="utf-8")
    page.last_error = None
    page.load_dataset(str(bad))
    qtbot.waitUntil(lambda: page.last_error is not None, timeout=30_000)
    assert "row 3" in page.last_error and "Boom" in page.last_error
    assert page.data is not None  # the loaded set is kept


def test_default_settings_are_the_write_ups(window, qtbot):
    page = next(p for p in window.pages if p.icon == "fusion")
    page.build()
    cfg = page.config()
    assert (cfg.lr, cfg.temperature, cfg.embedding_dim, cfg.num_epochs, cfg.batch_size) == (0.001, 0.1, 512, 30, 32)


def test_runs_are_kept_and_the_page_reopens_them_after_a_restart(page, qtbot):
    """Each training is a run (Runs tab); a restarted window reopens the dataset and the latest
    run, with the same test figures; two ticked runs overlay their curves."""
    from tests.conftest import restarted_window

    page.epochs.setValue(2)
    page.embedding_dim.setValue(16)
    page.start_training()
    qtbot.waitUntil(lambda: page.result is not None, timeout=120_000)
    first_f1 = page.result.test["macro_f1"]
    page.result = None
    page.epochs.setValue(3)
    page.start_training()
    qtbot.waitUntil(lambda: page.result is not None, timeout=120_000)
    qtbot.waitUntil(lambda: page.runs_view.table.rowCount() == 2, timeout=10_000)
    assert page.runs_view.ticked() and len(page.runs_view.plot.listDataItems()) == 2  # overlaid
    latest_f1 = page.result.test["macro_f1"]
    # a restart: a new window on the same data dir
    with restarted_window(qtbot) as win2:
        fusion2 = next(p for p in win2.pages if p.icon == "fusion")
        win2.nav.setCurrentRow(win2.pages.index(fusion2))
        win2.resize(1300, 860)
        win2.show()
        qtbot.waitUntil(lambda: fusion2.result is not None, timeout=120_000)
        assert fusion2.data is not None and fusion2.dataset_path == page.dataset_path
        assert fusion2.result.test["macro_f1"] == pytest.approx(latest_f1)
        assert "reopened" in fusion2.status.text()
        assert fusion2.runs_view.table.rowCount() == 2
        kept = [r.metrics["test_macro_f1"] for r in fusion2.runs.list("fusion")]
        assert kept == pytest.approx([first_f1, latest_f1])
        fusion2.tabs.setCurrentWidget(fusion2.runs_view)
        qtbot.wait(100)
        assert_not_blank(save_screenshot(win2, "fusion-runs"))


def test_a_long_job_message_does_not_widen_the_window(page, window, qtbot):
    """The page's job strip cuts a long name or message with '…' (whole in the tooltip): its text
    set the page's minimum width, which stayed while the strip was hidden, and the window could no
    longer be 1180 px wide after the Fusion demo (1270 px)."""
    import threading

    from core.jobs import Lane
    from tests.conftest import finish_job

    assert window.minimumSizeHint().width() <= 1180  # the demo set loaded (the fixture)
    release = threading.Event()
    message = ("Drawing the SYNTHETIC image of sample 1,234 of 6,400 (Perfume → Caution, seed 1234, "
               "64×64 px, four gas levels) while the sensor readings are read")

    def work(progress, cancelled):
        progress(0.2, message)
        release.wait(30)

    job = window.jobs.submit(work, "Fusion: build the gas demo set and its SYNTHETIC images", Lane.IO)
    strip = page.job_strip
    qtbot.waitUntil(lambda: strip.isVisibleTo(page) and message in strip.detail.full_text, timeout=10_000)
    window.resize(1180, 760)
    qtbot.wait(50)
    assert window.minimumSizeHint().width() <= 1180 and window.width() == 1180
    assert strip.detail.text().endswith("…") and message in strip.detail.toolTip()  # cut, the whole on hover
    release.set()
    finish_job(qtbot, job)
    qtbot.waitUntil(lambda: not strip.isVisibleTo(page), timeout=10_000)
    assert window.minimumSizeHint().width() <= 1180  # the hidden strip keeps its room, not its text's width
