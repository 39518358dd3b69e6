"""Issue 38's page polish: stale texts gone when what they describe is gone, every column and
legend entry saying what it is, photos opening in the viewer from every page that shows them."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from core.jobs import JobRunner, JobState, Lane
from tests import test_tabs_alone as tabs_alone

# the tabs' fixtures (a job queue, tiny models, a logo index over real logo files)
jobs, models, logo_session, logo_loader = (tabs_alone.jobs, tabs_alone.models, tabs_alone.logo_session,
                                           tabs_alone.logo_loader)


@pytest.fixture
def queue(qtbot):
    from app.jobs import JobQueue

    q = JobQueue(JobRunner(io_workers=1, min_interval=0.0))
    yield q
    q.shutdown()


def test_jobs_view_labels_every_column_and_a_finished_job_drops_its_last_step(qtbot, queue):
    from app.jobs_view import COL_DETAILS, JobsView

    view = JobsView(queue)
    qtbot.addWidget(view)
    model = view.model
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert all(h and h.strip() for h in headers), headers

    def work(progress, cancelled):
        progress(0.0, "Hashing 0 of 15")  # reported as the step begins, the last message it sends
        return 15

    job = queue.submit(work, "Albums: find duplicates", Lane.IO)
    qtbot.waitUntil(lambda: job.delivered, timeout=10_000)
    assert job.state is JobState.FINISHED and job.message == "Hashing 0 of 15"
    row = [model.job(r) for r in range(model.rowCount())].index(job)
    details = model.data(model.index(row, COL_DETAILS))
    assert "Hashing" not in details and details.startswith("Done in ")
    assert "last step: Hashing 0 of 15" in model.data(model.index(row, 0), Qt.ItemDataRole.ToolTipRole)


# -- Logos --------------------------------------------------------------------------------------
def test_logos_lookalike_opens_in_the_viewer_drawn_large_with_its_score(qtbot, jobs, models, logo_session,
                                                                        logo_loader):
    from app.logos.lookalikes import LookalikesTab

    session, folder = logo_session
    tab = LookalikesTab(session, jobs, models, logo_loader)
    qtbot.addWidget(tab)
    tab.show()
    tab.threshold.setValue(-1.0)
    tab.set_query(str(folder / "github.svg"))
    tab.results.setCurrentRow(0)
    tab.results.setFocus()
    qtbot.keyClick(tab.results, Qt.Key.Key_Space)  # Space on the current look-alike
    viewer = tab.viewer
    assert viewer is not None and viewer.isVisible()
    assert viewer.paths[0].endswith("github.svg") and viewer.path.endswith("github_copy.png")
    rows = dict(viewer.info_rows)
    assert rows["Look-alike"].startswith(f"score {tab.hits[0].score:.3f}, rank 1")
    qtbot.waitUntil(lambda: not viewer.view.item.pixmap().isNull(), timeout=10_000)
    assert viewer.view.item.pixmap().width() == 1024  # the drawing rendered large, not the thumbnail
    viewer.previous()  # ← goes to the query, an SVG: described as a drawing, not as a broken photo
    rows = dict(viewer.info_rows)
    assert rows["Kind"].startswith("SVG drawing") and "Problem" not in rows
    qtbot.waitUntil(lambda: viewer.view.item.pixmap().width() == 1024 and viewer.path in viewer._cache,
                    timeout=10_000)
    assert viewer.path not in viewer.errors
    # a double-click on another look-alike opens it there
    rect = tab.results.visualItemRect(tab.results.item(2))
    qtbot.mouseClick(tab.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # QTest: the press
    qtbot.mouseDClick(tab.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert tab.viewer is not viewer and tab.viewer.index == 3 and tab.viewer.path == tab.hits[2].file


def test_logos_loss_legend_says_why_validation_has_no_line_and_smoothing_redraws(qtbot, jobs, models,
                                                                                   logo_session):
    from app.logos.training import TrainTab
    session, _ = logo_session
    tab = TrainTab(session, jobs, models)
    qtbot.addWidget(tab)
    tab.resize(1100, 600)
    tab.show()
    nan = float("nan")  # what a run on fewer than MIN_FOR_VALIDATION logos records each epoch
    tab.history = [{"epoch": e, "train_loss": 3.0 - 0.4 * e + (0.3 if e % 2 else 0), "val_loss": nan}
                   for e in range(1, 6)]
    tab._redraw_losses()
    legend = tab.loss_plot.getPlotItem().legend
    entries = {label.text: sample for sample, label in legend.items}
    why = [t for t in entries if t.startswith("no validation split: too few logos")]
    assert why and not entries[why[0]].isVisible() and "validation" not in entries
    assert entries["train"].isVisible()
    raw_y = list(tab.train_smoothed.raw.getData()[1])
    smoothed = list(tab.train_curve.getData()[1])
    assert smoothed != raw_y  # smoothed at 0.6 by default, the raw drawn faint under it
    tab.smoothing.setValue(0)
    assert list(tab.train_curve.getData()[1]) == raw_y
    # a run with a validation split: the entry is "validation" again, with its line
    tab.history = [dict(h, val_loss=2.5) for h in tab.history]
    tab._redraw_losses()
    entries = {label.text: sample for sample, label in legend.items}
    assert "validation" in entries and entries["validation"].isVisible()


# -- Albums ---------------------------------------------------------------------------------------
def test_keep_the_suggested_photo_and_move_the_others_aside_is_one_undoable_step(qtbot, tmp_path):
    import shutil

    import numpy as np
    from PIL import Image

    from app.albums.keep import keep_and_move_aside
    from app.undo import new_stack
    from core.albums.duplicates import find_duplicates, photo_hashes
    from core.albums.store import AlbumStore
    from tests.conftest import shared_data

    photos = tmp_path / "photos"
    photos.mkdir()
    original = photos / "nikon.jpg"
    shutil.copyfile(shared_data("photos", "exif-samples", "jpg", "Nikon_D70.jpg"), original)
    with Image.open(original) as im:  # the same shot saved again, smaller: the original is the keeper
        im.resize((im.width // 2, im.height // 2)).save(photos / "nikon-small.jpg", quality=80)
    shutil.copyfile(shared_data("photos", "exif-samples", "jpg", "Kodak_CX7530.jpg"), photos / "kodak.jpg")
    paths = sorted(str(p) for p in photos.iterdir())
    vectors = np.eye(3, 8, dtype=np.float32)
    vectors[paths.index(str(photos / "nikon-small.jpg"))] = vectors[paths.index(str(original))]
    groups = find_duplicates(paths, vectors, photo_hashes(paths))
    assert len(groups) == 1 and groups[0].keeper == str(original)
    store = AlbumStore(tmp_path / "album.db")
    store.add_folder(str(photos))
    store.add_photos(paths)
    stack = new_stack()
    refreshed, said = [], []
    aside = tmp_path / "moved aside"
    moved = keep_and_move_aside(stack, store, groups[0], str(aside), lambda: refreshed.append(1), said.append)
    small, target = str(photos / "nikon-small.jpg"), str(aside / "nikon-small.jpg")
    assert moved == [(small, target)] and stack.count() == 1 and refreshed
    assert not (photos / "nikon-small.jpg").exists() and (aside / "nikon-small.jpg").is_file()
    assert store.paths() == {str(original), str(photos / "kodak.jpg")}
    stack.undo()  # the file back where it was, its row back in the album
    assert (photos / "nikon-small.jpg").is_file() and not (aside / "nikon-small.jpg").exists()
    assert store.paths() == set(paths)
    stack.redo()
    assert (aside / "nikon-small.jpg").is_file() and small not in store.paths()
    # something now stands at the old path: undo refuses, moving and changing nothing, and says why
    (photos / "nikon-small.jpg").write_bytes(b"a new file")
    stack.undo()
    assert (aside / "nikon-small.jpg").is_file() and small not in store.paths()
    assert (photos / "nikon-small.jpg").read_bytes() == b"a new file"
    assert said and "nikon-small.jpg exists now: nothing was moved" in said[-1] and stack.count() == 0


# -- Trends ---------------------------------------------------------------------------------------
def test_trends_training_reports_progress_from_the_first_batch(tmp_path, data_dir):
    """The bar moves within epoch 1 (it sat at 0 % until the first epoch ended)."""
    from core.cache import EmbeddingCache
    from core.models.manager import ModelManager
    from core.trends.model import TrendConfig, train_trends
    from core.trends.service import prepare
    from core.trends.synthetic import make_dataset

    demo = make_dataset(tmp_path / "demo", days=300, categories=3, seed=1)
    with EmbeddingCache() as cache:
        prep = prepare(demo, ModelManager("cpu", tiny=True), cache)
    reports = []
    cfg = TrendConfig(hidden=16, heads=2, epochs=2, batch_size=16)
    train_trends(prep.tokens, prep.labels, prep.split, cfg, progress=lambda f, m=None: reports.append((f, m)))
    first_epoch = [r for r in reports if r[0] < 0.5]
    assert len(first_epoch) >= 2 and first_epoch[0][1].startswith("Epoch 1/2: batch 1 of ")
    fractions = [f for f, _ in reports]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


# -- Fusion ---------------------------------------------------------------------------------------
def test_fusion_similarity_plot_comes_back_with_a_reopened_run_and_loss_is_smoothed(qtbot, tmp_path, data_dir):
    """After a restart the run is reopened from the run store: 'Similarity to the true class'
    was empty (its values were not kept); now every plot is drawn again."""
    import numpy as np

    from app.fusion.session import FusionSession
    from app.fusion.tabs import TrainingPlots
    from core.fusion.data import load_dataset
    from core.fusion.gas_demo import build_gas_demo, default_gas_csv
    from core.fusion.runs import WORKSPACE, load_result, save_run
    from core.fusion.train import TrainConfig, train
    from core.runs import RunStore

    data = load_dataset(build_gas_demo(default_gas_csv(), tmp_path / "gas", limit=80))
    feats = np.random.default_rng(0).normal(size=(len(data), 1280)).astype(np.float32)  # stand-in Lite0 features
    result = train(TrainConfig(embedding_dim=16, num_epochs=3, batch_size=16, seed=1), data, feats)
    assert result.history[-1].sim_vision is not None
    store = RunStore()
    save_run(store, str(tmp_path / "gas"), result)
    store.close()
    again = RunStore()  # a new process
    (run,) = again.list(WORKSPACE)
    reopened = load_result(run, data, feats)
    again.close()
    session = FusionSession()
    plots = TrainingPlots(session)
    qtbot.addWidget(plots)
    session.dataset_changed.emit(data)
    session.set_history(reopened.history)
    x, y = plots.sim_curves[("v", 0)].getData()
    assert list(x) == [1, 2, 3]
    assert np.allclose(y, [h.sim_vision[0] for h in result.history])
    raw = list(plots.smoothed["train_loss"].raw.getData()[1])
    assert raw == [h.train_loss for h in result.history]
    plots.smoothing.setValue(0)
    assert list(plots.curves["train_loss"].getData()[1]) == raw
    legend = plots.sim_plot.getPlotItem().legend
    assert len(legend.items) == 2 * min(4, len(data.class_names))


@pytest.mark.timeout(300)
def test_lostfound_fits_and_reads_in_english_and_opens_photos_in_the_viewer(window, qtbot):
    """The demo posts at 1180x760: more than 4 posts shown, categories on one line, no cell cut
    (at 1920 none at all), the score on two lines that fit; statuses read 'Returned (반환됨)' while
    the store keeps 반환됨; the Undo button keeps its width; a match's photo and the post's open in
    the viewer with what the post is and how it matched."""
    from app.lostfound.models import status_label
    from core.lostfound.demo import demo_csv
    from tests.conftest import show_page
    from tests.test_screens import _elided_cells, _wraps

    page = show_page(window, "lostfound", (1180, 760))
    page.import_posts(str(demo_csv()))
    qtbot.waitUntil(lambda: page.service is not None and page.service.vectors is not None
                    and len(page.service.vectors) == 18, timeout=180_000)
    wallet = next(p for p in page.session.posts if p.image and "반지갑" in p.description)
    assert page.select_post(wallet.id)
    qtbot.waitUntil(lambda: page.matches_panel.matches.rowCount() > 3, timeout=10_000)
    qtbot.wait(100)
    table = page.posts_panel.table
    port = table.viewport().rect()
    whole = [r for r in range(table.model().rowCount()) if port.contains(table.visualRect(table.model().index(r, 3)))]
    assert len(whole) > 4, f"{len(whole)} posts shown whole at 1180x760"
    assert table.wordWrap() and _wraps(table, table.model().index(whole[0], 3))  # descriptions wrap
    assert not any(_wraps(table, table.model().index(r, 4)) for r in whole)  # categories: one line each
    assert "\n" in page.matches_panel.matches.item(0, 2).text()  # 'beats 97.9%' over 'raw 0.475'
    assert _elided_cells(window, tooltip_ok=True) == []
    # the description gets the room (issue 38: its header read "Descriptior" and two words a line):
    # its header whole, each description shown whole in its row; the category cut, its tooltip whole
    from PySide6.QtCore import QRect
    from PySide6.QtWidgets import QStyle

    header, metrics = table.horizontalHeader(), table.fontMetrics()
    margin = header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
    assert header.sectionSize(3) >= header.fontMetrics().horizontalAdvance("Description") + 2 * margin
    for r in whole:
        text = table.model().index(r, 3).data()
        lines = metrics.boundingRect(QRect(0, 0, table.columnWidth(3) - 8, 10_000), Qt.TextFlag.TextWordWrap, text)
        assert lines.height() <= table.rowHeight(r), (text, table.columnWidth(3))
    assert table.columnWidth(3) > 2 * table.columnWidth(4) - 60  # the description, not the category, is wide
    longest = max(page.session.posts, key=lambda p: metrics.horizontalAdvance(p.category))
    row = table.model().row_of(longest.id)
    assert table.model().index(row, 4).data(Qt.ItemDataRole.ToolTipRole) == longest.category
    window.resize(1920, 1080)
    qtbot.wait(100)
    assert _elided_cells(window, tooltip_ok=False) == []  # at 1920 the categories whole too
    # statuses: English, the Korean kept; the store unchanged in what it keeps
    from PySide6.QtWidgets import QToolBar

    undo_button = page.findChild(QToolBar).widgetForAction(page.undo_action)
    width = undo_button.width()
    page.posts_panel.detail.returned_button.click()
    assert page.store.get(wallet.id).status == "반환됨"
    assert page.posts_panel.detail.fields["status"].text() == "Returned (반환됨)" == status_label("반환됨")
    assert f"#{wallet.id} is now 'Returned (반환됨)'" in page.note.text()  # in English too, as the detail
    assert page.undo_stack.undoText().endswith("status Returned (반환됨)")
    qtbot.wait(50)
    assert page.undo_action.isEnabled() and page.undo_action.text() == "Undo" and undo_button.width() == width
    assert "status" in page.undo_action.toolTip().lower() or "#" in page.undo_action.toolTip()
    from app.lostfound.dialog import PostDialog

    dialog = PostDialog(page.store.get(wallet.id), page)
    assert dialog.status.currentText() == "Returned (반환됨)" and dialog.values()["status"] == "반환됨"
    dialog.status.setCurrentText("Kept (보관중)")
    assert dialog.values()["status"] == "보관중"
    dialog.done(0)
    # the viewer: the post's photo (a click on it) and a match's (double-click or Space)
    matches = page.matches_panel.matches
    row = next(r for r in range(matches.rowCount()) if matches.item(r, 0) is not None
               and matches.item(r, 0).data(Qt.ItemDataRole.UserRole + 1))
    matches.setCurrentCell(row, 1)
    qtbot.keyClick(matches, Qt.Key.Key_Space)
    viewer = page.matches_panel.viewer
    assert viewer is not None and viewer.isVisible()
    match_id = matches.item(row, 1).data(Qt.ItemDataRole.UserRole)
    assert viewer.paths[0] == wallet.image and viewer.paths[viewer.index] == page.store.get(match_id).image
    qtbot.waitUntil(lambda: any(label == "Match" for label, _ in viewer.info_rows), timeout=10_000)
    said = dict(viewer.info_rows)
    assert said["Post"].startswith(f"#{match_id} ·") and said["Match"].startswith("beats ")
    viewer.close()
    qtbot.mouseClick(page.posts_panel.detail.photo, Qt.MouseButton.LeftButton)
    viewer = page.matches_panel.viewer
    assert viewer.isVisible() and viewer.index == 0 and viewer.paths[0] == wallet.image
    viewer.close()


# -- job strips ---------------------------------------------------------------------------------
@pytest.mark.parametrize("icon, prefix, above", [("logos", "Logos:", "bar"), ("fusion", "Fusion:", "train_button"),
                                                 ("trends", "Trends:", "info")])
def test_a_page_job_strip_takes_no_line_and_moves_nothing(window, qtbot, icon, prefix, above):
    """The running job's strip (name, bar, Cancel) floats in the tab row right of the tabs: no
    empty band above the tabs while no job runs (a kept line was ~34 px at 1180x760), and nothing
    on the page moves or is re-laid out when a job begins or ends."""
    import threading

    from PySide6.QtCore import QRect
    from PySide6.QtWidgets import QToolBar

    from tests.conftest import finish_job, save_screenshot, show_page

    page = show_page(window, icon, (1180, 760))
    qtbot.waitUntil(lambda: getattr(page, "tabs", None) is not None and page.tabs.isVisible(), timeout=30_000)
    qtbot.wait(50)
    tabs, strip = page.tabs, page.job_strip
    row_above = page.findChild(QToolBar) if above == "bar" else getattr(page, above)
    gap = tabs.mapTo(page, tabs.rect().topLeft()).y() - row_above.mapTo(page, row_above.rect().bottomLeft()).y()
    assert gap <= 14, f"{gap} px between the row above and the tabs"  # the layout's spacing, no band
    before = tabs.geometry()
    release = threading.Event()
    job = window.jobs.submit(lambda progress, cancelled: (progress(0.3, "step 3 of 10"), release.wait(30)),
                             f"{prefix} a job with a long name that takes its time", Lane.IO)
    qtbot.waitUntil(lambda: strip.isVisibleTo(page) and "step 3 of 10" in strip.detail.full_text, timeout=10_000)
    qtbot.wait(50)
    assert tabs.geometry() == before  # nothing moved
    bar = tabs.tabBar()
    tab_row = QRect(bar.mapTo(page, bar.rect().topLeft()), bar.size())
    placed = strip.geometry()
    assert not placed.intersects(tab_row) and placed.left() > tab_row.right()  # beside the tabs, not on them
    assert placed.right() <= tabs.geometry().right() and placed.top() >= row_above.mapTo(page, row_above.rect()
                                                                                           .bottomLeft()).y()
    button = strip.cancel_button
    assert button.isVisible() and button.width() >= button.sizeHint().width()  # Cancel whole at 1180
    assert button.height() >= button.sizeHint().height() and strip.bar.width() >= 60
    save_screenshot(window, f"job-strip-{icon}-1180")
    release.set()
    finish_job(qtbot, job)
    qtbot.waitUntil(lambda: not strip.isVisibleTo(page), timeout=10_000)
    assert tabs.geometry() == before


def test_lostfound_space_on_a_post_or_a_double_click_on_its_photo_opens_it_large(window, qtbot, monkeypatch):
    """Space on a post's row opens its photo in the viewer (Quick Look's key, as on the matches and
    on every grid), and so does a double-click on the photo; a double-click on the post's text
    still opens its form (a row of a table: double-click edits it)."""
    from core.lostfound.demo import demo_csv
    from tests.conftest import show_page

    page = show_page(window, "lostfound", (1180, 760))
    page.store.import_file(str(demo_csv()))  # the posts alone: no models needed here
    page.session.reload()
    table = page.posts_panel.table
    with_photo = next(p for p in page.session.posts if p.image)
    without = next(p for p in page.session.posts if not p.image)
    edited = []
    monkeypatch.setattr(page.edits, "edit_post", lambda post: edited.append(post.id))  # the modal form

    assert page.select_post(with_photo.id)
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Space)
    viewer = page.matches_panel.viewer
    assert viewer is not None and viewer.isVisible() and viewer.path == with_photo.image
    assert dict(viewer.info_rows)["Post"].startswith(f"#{with_photo.id} ·")
    assert page.posts_panel.selected_post().id == with_photo.id  # Space did not move the selection
    viewer.close()

    row = page.posts_panel.posts_model.row_of(with_photo.id)
    description = table.visualRect(table.model().index(row, 3)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=description)  # QTest: the press first
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=description)
    assert edited == [with_photo.id] and not page.matches_panel.viewer.isVisible()
    photo = table.visualRect(table.model().index(row, 0)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=photo)
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=photo)
    assert page.matches_panel.viewer.isVisible() and page.matches_panel.viewer.path == with_photo.image
    assert edited == [with_photo.id]
    page.matches_panel.viewer.close()

    assert page.select_post(without.id)  # no photo: said so, nothing opens
    qtbot.keyClick(table, Qt.Key.Key_Space)
    assert not page.matches_panel.viewer.isVisible() and page.note.text() == f"Post #{without.id} has no photo to show"
