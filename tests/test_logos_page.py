"""The Logos page: index through the queue, look-alikes at once, compare, duplicates with a keep
choice, training with live curves + pause/resume, the embedding map."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from core.jobs import JobState
from core.logos.images import load_logo
from tests.conftest import assert_not_blank, finish_job, save_screenshot, show_page
from tests.test_logos_core import BRANDS, copy_brand_logos


@pytest.fixture
def logo_dir(tmp_path):
    out = copy_brand_logos(tmp_path / "logos")
    load_logo(out / "github.svg", 200).save(out / "github_copy.png")
    return out


@pytest.fixture
def page(window, qtbot):
    return show_page(window, "logos")


def test_index_query_compare_and_map(page, qtbot, logo_dir, tmp_path):
    assert page.lookalikes.results.empty_hint.current().startswith("Index a folder of logos")  # says what to do first
    finish_job(qtbot, page.index_folder(str(logo_dir)))
    assert page.lookalikes.results.empty_hint.current().startswith("Drop, paste (Ctrl+V) or pick a logo")
    assert page.index is not None and len(page.index) == len(BRANDS) + 1
    page.set_query(str(logo_dir / "github.svg"))  # in the index: answered at once, no job
    assert page.lookalikes.results.count() == min(12, len(page.index) - 1)
    assert page.lookalikes.hits[0].file.endswith("github_copy.png")
    page.lookalikes.threshold.setValue(0.99)
    assert page.lookalikes.results.count() == 0
    assert page.lookalikes.results.empty_hint.current() == "No look-alike scores 0.99 or more: lower 'score ≥'"
    page.lookalikes.threshold.setValue(0.0)
    page.lookalikes.results.setCurrentRow(0)
    assert "github_copy.png" in page.lookalikes.compare_text.text() and not page.lookalikes.compare_right.pixmap().isNull()
    qtbot.waitUntil(lambda: all(not page.lookalikes.results.item(i).icon().isNull() for i in range(page.lookalikes.results.count())),
                    timeout=20_000)
    assert_not_blank(save_screenshot(page.window(), "logos-lookalikes"))
    # a wordmark finds its icon through its part, and the page says so
    page.set_query(str(logo_dir / "gitlab.svg"))
    assert page.lookalikes.hits[0].file.endswith("gitlab-icon.svg") and page.lookalikes.hits[0].via == "the query's icon"
    assert "· icon" in page.lookalikes.results.item(0).text() and "matched by the query's icon" in page.lookalikes.results.item(0).toolTip()
    page.lookalikes.results.setCurrentRow(0)
    assert "matched by the query's icon" in page.lookalikes.compare_text.text()
    qtbot.waitUntil(lambda: all(not page.lookalikes.results.item(i).icon().isNull() for i in range(page.lookalikes.results.count())),
                    timeout=20_000)
    assert_not_blank(save_screenshot(page.window(), "logos-icons"))
    # a query from outside the index is embedded on the model worker
    outside = tmp_path / "q.png"
    load_logo(logo_dir / "docker.svg", 180).save(outside)
    finish_job(qtbot, page.set_query(str(outside)))
    assert page.lookalikes.hits and page.lookalikes.hits[0].file.endswith("docker.svg")
    # the compare pane follows the new query (never the previous query's pair)
    assert "q.png" in page.lookalikes.compare_text.text() and "docker.svg" in page.lookalikes.compare_text.text()
    # the map: every logo a point, the query marked; each tab keeps its own note
    assert "look-alikes" in page.note.text()
    page.tabs.setCurrentWidget(page.map_tab)
    assert "look-alikes" not in page.note.text()
    assert len(page.map_tab.scatter.data) == len(page.index) and len(page.map_tab.query_marker.data) == 1
    qtbot.wait(100)
    assert_not_blank(save_screenshot(page.window(), "logos-map"))
    # reopened from disk at the next start, with the last query and its look-alikes shown
    page.query_path = None
    page.lookalikes.results.clear()
    parts = list(page.index.part_files)
    page._open_saved_index()
    assert len(page.index) == len(BRANDS) + 1
    assert page.index.part_files == parts and len(parts) >= 5  # the wordmarks' icons come back too
    assert f"{len(parts)} wordmarks searched by their icon" in page.lookalikes.index_label.text()
    assert page.query_path == str(outside.resolve())
    qtbot.waitUntil(lambda: "q.png" in page.lookalikes.compare_text.text(), timeout=60_000)
    assert page.lookalikes.hits[0].file.endswith("docker.svg") and page.lookalikes.results.count() > 0
    # an index saved by an older release's shipped model is made again when it opens, query kept
    meta_file = page.index_dir / "index.json"
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    meta["model"]["weights"] = "simscope-logo v1 (old)"
    meta_file.write_text(json.dumps(meta), encoding="utf-8")
    page.query_path = None
    page._open_saved_index()
    assert "out of date (it was made with simscope-logo v1" in page.note.text()
    qtbot.waitUntil(lambda: json.loads(meta_file.read_text(encoding="utf-8"))["model"]["weights"]
                    .startswith("simscope-logo v2"), timeout=120_000)
    qtbot.waitUntil(lambda: page.query_path == str(outside.resolve()) and page.lookalikes.results.count() > 0, timeout=60_000)
    assert page.lookalikes.hits[0].file.endswith("docker.svg")


def test_duplicates_groups_and_keep_choice_is_saved(page, qtbot, logo_dir):
    finish_job(qtbot, page.index_folder(str(logo_dir)))
    page.tabs.setCurrentIndex(1)
    finish_job(qtbot, page.duplicates.find_duplicates())
    assert any(any(f.endswith("github_copy.png") for f in g.files) for g in page.duplicates.groups)
    top = page.duplicates.dup_tree.topLevelItem(0)
    kept = [top.child(i) for i in range(top.childCount()) if top.child(i).checkState(2) == Qt.CheckState.Checked]
    assert len(kept) == 1 and kept[0].data(0, Qt.ItemDataRole.UserRole + 1).endswith(".svg")
    other = next(top.child(i) for i in range(top.childCount()) if top.child(i) is not kept[0])
    other.setCheckState(2, Qt.CheckState.Checked)
    assert kept[0].checkState(2) == Qt.CheckState.Unchecked
    saved = json.loads((page.index_dir / "duplicates.json").read_text(encoding="utf-8"))
    assert saved["groups"][0]["keep"] == other.data(0, Qt.ItemDataRole.UserRole + 1)
    assert_not_blank(save_screenshot(page.window(), "logos-duplicates"))


def test_training_live_curve_pause_and_resume(page, qtbot, logo_dir):
    finish_job(qtbot, page.index_folder(str(logo_dir)))
    page.tabs.setCurrentWidget(page.train_tab)
    # nothing to resume or index with yet: disabled, and the tooltip says why
    assert not page.train_tab.resume_button.isEnabled() and "Select a paused run" in page.train_tab.resume_button.toolTip()
    assert not page.train_tab.use_run.isEnabled()
    page.train_tab.backbone.setCurrentIndex(page.train_tab.backbone.findData("effnet-lite0"))
    page.train_tab.epochs.setValue(2)
    page.train_tab.batch.setValue(8)
    page.train_tab.image_size.setValue(64)
    job = page.train_tab.start_training()
    qtbot.waitUntil(lambda: job.state is JobState.RUNNING, timeout=30_000)
    page.train_tab.pause_training()
    result = finish_job(qtbot, job)
    assert not result["finished"] and len(result["history"]) == 1  # paused after epoch 1
    assert len(page.train_tab.train_curve.getData()[0]) == 1
    page.train_tab.runs.setCurrentRow(0)
    assert page.train_tab.resume_button.isEnabled() and page.train_tab.use_run.isEnabled()  # a paused run with a checkpoint
    result = finish_job(qtbot, page.train_tab.start_training(resume=True))
    assert result["finished"] and [h["epoch"] for h in result["history"]] == [1, 2]
    assert page.model_choice.findData(result["checkpoint"]) >= 0  # the trained model can serve the index
    page.train_tab.runs.setCurrentRow(0)
    assert not page.train_tab.resume_button.isEnabled() and page.train_tab.use_run.isEnabled()  # finished: index with it, no resume
    qtbot.wait(100)
    assert_not_blank(save_screenshot(page.window(), "logos-train"))
