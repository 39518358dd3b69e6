"""Trends: the loader's row errors, the label builder, a split that cannot leak, the model (tiny),
the baselines report, the CLI, and the page."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from core.trends.data import (
    DatasetError,
    build_labels,
    days_used,
    load_posts,
    tertile_cuts,
    time_split,
    trend_classes,
)
from core.trends.synthetic import make_dataset
from tests.test_cli import run_cli


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("trends") / "demo", days=480, categories=3, seed=1)


def test_loader_reports_bad_rows_by_number(tmp_path):
    p = tmp_path / "posts.csv"
    p.write_text("date,category,image,text,comments,likes,collects\n"
                 "2025-01-01,dress,,nice,1,2,3\n"
                 "2025-13-01,dress,,bad date,1,2,3\n"
                 "2025-01-02,,,no category,1,2,3\n"
                 "2025-01-03,hat,,x,one,2,3\n"
                 "2025-01-04,hat,missing.png,x,1,2,3\n"
                 "2025-01-05,hat,,x,-1,2,3\n", encoding="utf-8")
    with pytest.raises(DatasetError) as err:
        load_posts(p)
    text = str(err.value)
    for n in (3, 4, 5, 6, 7):
        assert f"row {n}" in text
    posts = load_posts(p, strict=False)
    assert len(posts) == 1 and len(posts.skipped) == 5
    (tmp_path / "wrong.csv").write_text("when,what\n1,2\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="missing column"):
        load_posts(tmp_path / "wrong.csv")


def test_labels_are_the_share_of_the_month_two_months_later(demo):
    posts = load_posts(demo)
    assert posts.synthetic and len(posts.categories) == 3
    labels = build_labels(posts)
    i = 0
    end = posts.day_date(labels.end_day[i])
    first = posts.day_date(labels.target_days[i][0])
    assert first.day == 1 and (first.year * 12 + first.month) - (end.year * 12 + end.month) == 2
    lo, hi = labels.target_days[i]
    in_month = (posts.days >= lo) & (posts.days <= hi)
    share = (in_month & (posts.category == labels.category[i])).sum() / in_month.sum()
    assert labels.proportion[i] == pytest.approx(share)
    # shares of one end day over all categories sum to one
    same = labels.end_day == labels.end_day[0]
    assert labels.proportion[same].sum() == pytest.approx(1.0)
    cuts = tertile_cuts(labels.proportion)
    counts = np.bincount(trend_classes(labels.proportion, cuts) + 1)
    assert counts.min() > 0.25 * len(labels.proportion)


def test_time_split_never_puts_the_same_day_in_train_and_test(demo):
    labels = build_labels(load_posts(demo))
    split = time_split(labels)
    assert len(split.train) and len(split.test)
    assert labels.end_day[split.train].max() < labels.end_day[split.test].min()
    assert not days_used(labels, split.train) & days_used(labels, split.test)  # windows and target months


def test_model_trains_and_reports_against_baselines(demo, data_dir):
    from dataclasses import replace

    from core.cache import EmbeddingCache
    from core.models.manager import ModelManager
    from core.trends.model import TrendConfig, TrendModel, predict, train_trends
    from core.trends.service import format_report, prepare, report

    with EmbeddingCache() as cache:
        prep = prepare(demo, ModelManager("cpu"), cache)
    assert prep.tokens.image.shape[:3] == prep.tokens.mask.shape and prep.tokens.mask.any()
    cfg = TrendConfig(hidden=16, heads=2, epochs=2)
    res = train_trends(prep.tokens, prep.labels, prep.split, cfg)
    num = train_trends(prep.tokens, prep.labels, prep.split, replace(cfg, use_content=False))
    assert len(res.history) == 2 and all(np.isfinite(h.train_loss) for h in res.history)
    rows = report(prep, res, num)
    assert [r["model"] for r in rows] == ["majority class (train)", "last-window share", "numeric-only model",
                                          "image+text+numeric model"]
    assert all(0 <= r["accuracy"] <= 1 and r["mae"] >= 0 for r in rows)
    assert "macro-F1" in format_report(rows)
    cls, prop = predict(res, prep.tokens, prep.labels, prep.split.test[:5])
    assert set(cls) <= {-1, 0, 1} and prop.shape == (5,)
    # a day without posts does not break the attention (no NaN)
    import torch

    m = TrendModel(8, 8, cfg)
    out = m(torch.zeros(1, 60, 4, 8), torch.zeros(1, 60, 4, 8), torch.zeros(1, 60, 4, dtype=torch.bool),
            torch.zeros(1, 60, 3))
    assert torch.isfinite(out[0]).all() and torch.isfinite(out[1]).all()


def test_cli_build_labels_train_predict(demo, data_dir, tmp_path):
    out = tmp_path / "labels.csv"
    res = run_cli("trends", "build-labels", str(demo), "--out", str(out), env_dir=data_dir)
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader(open(out, encoding="utf-8")))
    assert {r["split"] for r in rows} == {"train", "test", "gap"} and "SYNTHETIC" in res.stderr
    model = tmp_path / "m.pt"
    res = run_cli("trends", "train", str(demo), "--out", str(model), "--epochs", "1", "--hidden", "16",
                  "--device", "cpu", env_dir=data_dir)
    assert res.returncode == 0, res.stderr
    assert "last-window share" in res.stdout and "SYNTHETIC" in res.stdout and model.exists()
    res = run_cli("trends", "predict", str(demo), "--model", str(model), "--json", "--device", "cpu",
                  env_dir=data_dir)
    assert res.returncode == 0, res.stderr
    preds = json.loads(res.stdout)
    assert len(preds) == 3 and all(p["trend"] in (-1, 0, 1) for p in preds)
    bad = tmp_path / "bad.csv"
    bad.write_text("date,category\n", encoding="utf-8")
    res = run_cli("trends", "build-labels", str(bad), env_dir=data_dir)
    assert res.returncode == 2 and "missing column" in res.stderr


def test_verdict_says_when_the_model_loses():
    from core.trends.service import verdict

    rows = [{"model": "majority class (train)", "accuracy": 0.33, "macro_f1": 0.2},
            {"model": "numeric-only model", "accuracy": 0.463, "macro_f1": 0.45},
            {"model": "image+text+numeric model", "accuracy": 0.394, "macro_f1": 0.38}]
    text = verdict(rows)
    assert "beats majority class (train)" in text and "loses to numeric-only model" in text
    assert "does worse than numeric-only model" in text


def test_page_loads_trains_and_shows_the_comparison(window, qtbot, demo):
    from tests.conftest import assert_not_blank, finish_job, save_screenshot, show_page

    page = show_page(window, "trends")
    finish_job(qtbot, page.load(str(demo)), timeout=120_000)
    qtbot.waitUntil(lambda: page.prep is not None, timeout=5000)
    assert "SYNTHETIC" in page.info.text() and page.overview.category.count() == 3
    # the curves are made one per event-loop turn (no long stall), then all there
    qtbot.waitUntil(lambda: len(page.overview._post_curves) == 3 and "actual" in page.overview._pred_items, timeout=5000)
    posts = page.prep.posts
    first = page.overview._post_curves[posts.categories[0]]
    _, y = first.getData()
    assert len(y) == posts.n_days
    assert abs(y[3:-3].sum() - (posts.category == 0).sum()) < 0.05 * (posts.category == 0).sum()
    page.epochs.setValue(2)
    page.hidden.setValue(16)
    finish_job(qtbot, page.start_training(), timeout=300_000)
    qtbot.waitUntil(lambda: page.overview.table.rowCount() == 4, timeout=5000)
    assert len(page.history) == 2 and page.overview.latest.rowCount() == 3
    assert page.overview.table.item(3, 0).text() == "image+text+numeric model"
    said = page.overview.verdict.text()  # the comparison in words, with every baseline named
    assert said.startswith("On the test split") and "numeric-only model" in said and "last-window share" in said
    full, numeric = (page.rows[3], page.rows[2])
    if full["accuracy"] < numeric["accuracy"] - 0.005 and full["macro_f1"] < numeric["macro_f1"] - 0.005:
        assert "loses to numeric-only model" in said and "does worse" in said
    qtbot.waitUntil(lambda: page.runs_view.table.rowCount() == 1, timeout=5000)  # the run is kept
    # a restart: the page reopens the dataset and shows the kept run's comparison and curves
    from tests.conftest import restarted_window

    with restarted_window(qtbot) as win2:
        page2 = show_page(win2, "trends")
        qtbot.waitUntil(lambda: page2.prep is not None and page2.overview.table.rowCount() == 4, timeout=120_000)
        assert page2.overview.table.item(3, 2).text() == page.overview.table.item(3, 2).text()  # same macro-F1
        assert page2.overview.verdict.text() == said
        assert len(page2.overview.curves["train"].getData()[0]) == 2
        # the kept model forecasts again: the same table, and the predicted lines on the plot
        qtbot.waitUntil(lambda: page2.overview.latest.rowCount() == 3 and "model" in page2.overview._pred_items
                        and page2.overview._pred_items["model"].getData()[0] is not None, timeout=120_000)
        assert "reopened" in page2.overview.latest_title.text() and "Forecast for" in page2.overview.latest_title.text()
        for r in range(3):
            assert page2.overview.latest.item(r, 2).text() == page.overview.latest.item(r, 2).text()
        for key in ("model", "numeric"):  # the full model's line and the numeric-only baseline's, kept with the run
            np.testing.assert_allclose(page2.overview._pred_items[key].getData()[1],
                                       page.overview._pred_items[key].getData()[1], rtol=1e-4, atol=1e-6)
    qtbot.wait(100)
    assert_not_blank(save_screenshot(window, "trends-page"))
