"""The Lost & Found page: demo posts, live slider, threshold line, delete/undo, import report."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import DEMO_PHOTOS, assert_not_blank, save_screenshot, show_page


@pytest.fixture
def page(window, qtbot):
    return show_page(window, "lostfound", (1300, 800))


def _wait_ready(page, qtbot, n):
    qtbot.waitUntil(lambda: page.service is not None and page.service.vectors is not None
                    and len(page.service.vectors) == n, timeout=120_000)


def test_demo_posts_matches_slider_and_screenshot(page, qtbot):
    from core.lostfound.demo import demo_csv

    page.import_posts(str(demo_csv()))
    qtbot.waitUntil(lambda: page.store.count() == 18, timeout=30_000)
    _wait_ready(page, qtbot, 18)
    lost_wallet = next(p for p in page.posts_panel.posts_model.posts if p.image and "반지갑" in p.description)
    assert page.select_post(lost_wallet.id)
    qtbot.waitUntil(lambda: page.matches_panel.matches.rowCount() > 1, timeout=5000)
    first = page.matches_panel.matches.item(0, 3).text()
    assert "wallet" in first
    line_rows = [r for r in range(page.matches_panel.matches.rowCount()) if "similar ≥" in (page.matches_panel.matches.item(r, 0).text() or "")]
    assert len(line_rows) == 1  # the threshold line is drawn once
    before = [m.score for m in page.matches_panel.current_matches]
    page.matches_panel.slider.setValue(90)
    after = [m.score for m in page.matches_panel.current_matches]
    assert before != after  # live, no embedding recomputed (no job submitted)
    assert "0.90 : 0.10" in page.matches_panel.slider_label.text()
    # the selected post in full beside its matches; each match's breakdown drawn as bars
    from app.lostfound.breakdown import ROLE

    assert page.posts_panel.detail.fields["description"].text() == lost_wallet.description
    assert page.posts_panel.detail.photo.pixmap() is not None and not page.posts_panel.detail.photo.pixmap().isNull()
    assert page.matches_panel.matches.item(0, 2).text().startswith("beats ")  # a share of unrelated pairs, not 1.000
    assert isinstance(page.matches_panel.matches.item(0, 4).data(ROLE), dict) and "z " in page.matches_panel.matches.item(0, 4).toolTip()
    for size in ((1180, 760), (1920, 1080)):
        page.window().resize(*size)
        qtbot.wait(100)
        assert_not_blank(save_screenshot(page.window(), f"lostfound-matches-{size[0]}"))
    # a status action from the detail pane is one undoable step
    assert page.posts_panel.detail.returned_button.isEnabled() and not page.posts_panel.detail.reopen_button.isEnabled()
    before_store = page.store.snapshot()
    page.posts_panel.detail.returned_button.click()
    assert page.store.get(lost_wallet.id).status == "반환됨" and page.posts_panel.detail.reopen_button.isEnabled()
    page.window().undo_action.trigger()
    assert page.store.snapshot() == before_store
    # the filter keeps the selection where it still shows, and counts rows in the model itself
    page.posts_panel.search.setText("지갑")
    shown = page.posts_panel.posts_model.posts
    assert 0 < len(shown) < 18 and all("지갑" in f"{p.description} {p.category}" for p in shown)
    assert page.selected_post().id == lost_wallet.id
    page.posts_panel.kind_filter.setCurrentIndex(page.posts_panel.kind_filter.findData("found"))
    assert all(p.kind == "found" for p in page.posts_panel.posts_model.posts)
    assert page.selected_post() is None  # the lost post is filtered out, not left selected
    page.posts_panel.search.clear()
    page.posts_panel.kind_filter.setCurrentIndex(0)
    assert len(page.posts_panel.posts_model.posts) == 18


def test_an_empty_page_loads_no_model_until_its_first_post(page, qtbot):
    """Shown with no posts, the page starts no job (it showed 'embed posts 0%' and loaded two
    models for nothing); the first post loads them."""
    from core.lostfound.store import Post

    qtbot.wait(100)
    assert not [j for j in page.context.jobs.jobs() if "embed posts" in j.name]
    assert "first post" in page.matches_panel.model_label.text()
    assert page.posts_panel.table.empty_hint.current() == "No posts yet: Add post, or Import a CSV or JSON file"
    page.store.add(Post(kind="lost", description="검은 우산"))
    page.reload_posts()
    _wait_ready(page, qtbot, 1)
    assert page.matches_panel.model_label.text().startswith("Models: text ")
    assert page.posts_panel.table.empty_hint.current() == ""  # rows: no hint
    page.posts_panel.search.setText("지갑")
    assert page.posts_panel.table.empty_hint.current() == "No post matches the search or the filter"
    page.posts_panel.search.setText("")


def test_delete_and_undo(page, qtbot):
    from core.lostfound.store import Post

    page.store.add(Post(kind="lost", description="파란색 우산"))
    page.store.add(Post(kind="found", description="Found a blue umbrella"))
    page.reload_posts()
    _wait_ready(page, qtbot, 2)
    page.select_post(1)
    page.delete_selected()
    assert page.store.count() == 1 and "Undo" in page.note.text()
    page.undo_delete()
    assert page.store.count() == 2 and page.selected_post().id == 1
    page.select_post(2)
    page.flush_view()  # what the window does when it closes
    from app.lostfound.page import LostFoundPage

    again = LostFoundPage(page.context)  # as after a restart: the post that was selected
    assert again.selected_post().id == 2
    again.release()
    again.deleteLater()


def test_add_edit_delete_undo_and_redo_restore_the_store_exactly(page, qtbot):
    """Edit → Undo / Redo over adds, edits and deletes: the posts table equals what it was."""
    from core.lostfound.store import Post

    window = page.window()
    page.store.add(Post(kind="lost", description="검은 지갑", place="도서관"))
    page.reload_posts()
    _wait_ready(page, qtbot, 1)
    start = page.store.snapshot()
    steps = [lambda: page.store.add(Post(kind="found", description="black wallet")),
             lambda: page.store.update(1, status="반환됨", place="공학관"),
             lambda: page.store.delete(1)]
    from app.undo import record

    states = [start]
    for i, step in enumerate(steps):
        record(page.undo_stack, page.store, f"step {i}", step, page._after_undo)
        states.append(page.store.snapshot())
    assert window.undo_action.isEnabled()
    for expected in reversed(states[:-1]):
        window.undo_action.trigger()
        assert page.store.snapshot() == expected
    for expected in states[1:]:
        window.redo_action.trigger()
        assert page.store.snapshot() == expected


def test_import_report_and_bad_photo_in_the_form(page, qtbot, tmp_path):
    csv_path = tmp_path / "bad.csv"
    csv_path.write_text("kind,image,description,category,storage_location,status,place,date\n"
                        "lost,,검은 모자,모자,,분실,,\nmisplaced,,x,,,,,\n", encoding="utf-8")
    page.import_posts(str(csv_path))
    qtbot.waitUntil(lambda: page.last_report is not None, timeout=10_000)
    assert "1 imported" in page.note.text() and "line 3: error" in page.note.text()

    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    dialog = page.edit_post(None)
    dialog.description.setPlainText("흰색 운동화")
    dialog.photo.set_path(str(broken))
    dialog.accept()
    assert dialog.isVisible() and "cannot be used" in dialog.error.text()  # nothing typed is lost
    good = tmp_path / "shoes.jpg"
    shutil.copy(DEMO_PHOTOS / "shoes_07d88b75.jpg", good)
    dialog.photo.set_path(str(good))
    assert_not_blank(save_screenshot(dialog, "lostfound-form"), min_colors=10)
    dialog.accept()
    qtbot.waitUntil(lambda: page.store.count() == 2, timeout=5000)
    assert page.store.list()[-1].has_photo


def test_an_import_reads_the_posts_it_added_alone_and_a_large_one_reads_them_all(page, qtbot, tmp_path, monkeypatch):
    """An import of a few posts into a big board reads only those posts (the whole list was read
    again: ~0.5 s of the window at 100,000 posts); one of more than IMPORT_READ_ALONE reads all."""
    import app.lostfound.page as page_module

    def csv(name: str, *words: str):
        path = tmp_path / name
        path.write_text("kind,description,category\n" + "".join(f"lost,{w},wallet\n" for w in words),
                        encoding="utf-8")
        return str(path)

    def imported(path: str):
        page.last_report = None
        page.import_posts(path)
        qtbot.waitUntil(lambda: page.last_report is not None, timeout=10_000)

    imported(csv("first.csv", "검정 지갑", "brown wallet", "파란 지갑"))
    whole, few = [], []
    page.session.posts_changed.connect(lambda: whole.append(page.session.posts))
    page.session.posts_updated.connect(lambda changed, gone: few.append([p.id for p in changed]))
    before = page.session.posts
    imported(csv("second.csv", "red wallet", "초록 지갑"))
    added = page.last_report.added
    assert len(added) == 2 and few == [added] and whole == []
    assert page.session.posts is before and [p.id for p in before][-2:] == added  # in place, in id order
    model = page.posts_panel.posts_model
    assert model.rowCount() == 5 and [p.id for p in model.posts][-2:] == added
    assert [p.id for p in page.session.posts] == [p.id for p in page.store.list()]
    page.posts_panel.search.setText("초록 지갑")  # a filter typed after sees the posts added in place
    assert [p.id for p in model.posts] == added[1:]
    page.posts_panel.search.clear()
    assert model.rowCount() == 5

    monkeypatch.setattr(page_module, "IMPORT_READ_ALONE", 1)
    imported(csv("third.csv", "grey wallet", "검은 지갑"))
    assert len(whole) == 1 and len(few) == 1 and model.rowCount() == 7
    assert [p.id for p in page.session.posts] == [p.id for p in page.store.list()]


def test_find_all_writes_a_report_and_a_missing_clip_says_how_to_get_it(page, qtbot, tmp_path):
    from core.lostfound.demo import demo_csv

    page.import_posts(str(demo_csv()))
    _wait_ready(page, qtbot, 18)
    out = tmp_path / "matches.csv"
    page.find_all(str(out))
    qtbot.waitUntil(lambda: out.exists(), timeout=30_000)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("post_id,kind,description,match_id") and "wallet" in text
    assert isinstance(page.last_report, list) and page.last_report

    page.model_choice.setCurrentIndex(page.model_choice.findData("clip-xlmr-b32"))
    qtbot.waitUntil(lambda: page.last_error is not None, timeout=30_000)
    assert "Multilingual CLIP" in page.last_error and "How to get it" in page.last_error
    assert "failed" in page.note.text()


def test_cancelling_a_post_with_typed_text_asks_before_throwing_it_away(qtbot):
    """Esc, Cancel or the close button on a form with a description typed threw it away;
    now it asks (Keep editing is the default), and a form left as it was closes at once."""
    from PySide6.QtCore import QTimer

    from app.lostfound.dialog import PostDialog
    from core.lostfound.store import Post

    def answer(dialog, text: str) -> None:
        QTimer.singleShot(100, lambda: next(b for b in dialog.discard_box.buttons() if b.text() == text).click())

    empty = PostDialog()
    qtbot.addWidget(empty)
    empty.show()
    empty.reject()
    assert not empty.isVisible() and empty.discard_box is None  # nothing typed: no question
    typed = PostDialog()
    qtbot.addWidget(typed)
    typed.show()
    typed.description.setPlainText("검은 가죽 반지갑, 학생증 들어 있음")
    answer(typed, "Keep editing")
    typed.reject()
    assert typed.isVisible() and typed.description.toPlainText().startswith("검은 가죽")
    assert typed.discard_box.text() == "Discard this post?"
    assert typed.discard_box.defaultButton().text() == "Keep editing"
    answer(typed, "Discard")
    typed.reject()
    assert not typed.isVisible()
    edit = PostDialog(Post(id=3, kind="found", description="black umbrella", place="Library"))
    qtbot.addWidget(edit)
    edit.show()
    edit.reject()  # opened and closed unchanged
    assert not edit.isVisible() and edit.discard_box is None
    edit.show()
    edit.place.setText("Main hall")
    answer(edit, "Discard")
    edit.reject()
    assert edit.discard_box.text() == "Discard your changes to this post?" and not edit.isVisible()


def test_dropping_a_photo_starts_a_post_with_it_and_a_csv_is_imported(page, qtbot):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    from app.lostfound.dialog import PostDialog
    from core.lostfound.demo import demo_csv

    def drop(*paths) -> QDropEvent:
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
        event = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                           Qt.KeyboardModifier.NoModifier)
        page.dropEvent(event)
        return event

    photo = next(DEMO_PHOTOS.glob("*.jpg"))
    drop(photo, next(DEMO_PHOTOS.glob("hat*.jpg")))
    dialog = next(d for d in page.findChildren(PostDialog) if d.isVisible())
    assert dialog.photo.path == str(photo) and dialog.photo_changed and dialog.windowTitle() == "New post"
    assert "only " + photo.name + " was taken" in page.note.text()
    dialog.description.setPlainText("검은 모자")
    dialog.accept()  # saved as one undoable post, its photo stored with it
    qtbot.waitUntil(lambda: page.store.count() == 1, timeout=5000)
    assert page.store.list()[0].image
    drop(demo_csv())
    qtbot.waitUntil(lambda: page.store.count() == 19, timeout=30_000)
    assert drop(__file__).isAccepted() is False  # a .py file is neither: refused


def test_slider_end_labelled_text_gives_the_text_weight(page, qtbot):
    """The handle at the end labelled "Text" sets text weight 1.00 (it gave 0.00 : 1.00 before)."""
    from PySide6.QtWidgets import QStyle, QStyleOptionSlider

    def handle_x() -> int:
        opt = QStyleOptionSlider()
        page.matches_panel.slider.initStyleOption(opt)
        rect = page.matches_panel.slider.style().subControlRect(QStyle.ComplexControl.CC_Slider, opt,
                                                  QStyle.SubControl.SC_SliderHandle, page.matches_panel.slider)
        return page.matches_panel.slider.mapTo(page, rect.center()).x()

    text_x = page.matches_panel.text_end.mapTo(page, page.matches_panel.text_end.rect().center()).x()
    image_x = page.matches_panel.image_end.mapTo(page, page.matches_panel.image_end.rect().center()).x()
    assert text_x < image_x
    page.matches_panel.slider.setValue(page.matches_panel.slider.maximum())
    at_max = handle_x()
    assert page.settings().text_weight == 1.0 and page.matches_panel.slider_label.text().startswith("1.00 : 0.00")
    assert abs(at_max - text_x) < abs(at_max - image_x)  # the handle sits by "Text"
    page.matches_panel.slider.setValue(page.matches_panel.slider.minimum())
    assert page.settings().text_weight == 0.0
    assert abs(handle_x() - image_x) < abs(handle_x() - text_x)


def test_a_running_job_moves_neither_table(page, qtbot):
    """The page's job strip sits under the tables: a job starting and ending shows its progress
    without pushing the posts and matches down under the pointer (it did by ~32 px above them)."""
    import threading

    from PySide6.QtCore import QPoint

    from app.jobs import Lane

    def top_left(widget):
        return widget.mapTo(page, QPoint(0, 0))

    tables = (page.posts_panel.table, page.matches_panel.matches)
    before = [top_left(t) for t in tables]
    release = threading.Event()
    job = page.context.jobs.submit(lambda progress, cancelled: release.wait(30), "Lost & Found: a long job",
                                   Lane.IO)
    qtbot.waitUntil(lambda: page.job_strip.isVisible(), timeout=10_000)
    assert [top_left(t) for t in tables] == before
    assert page.job_strip.geometry().top() > top_left(page.posts_panel).y()  # below the tables, not above
    release.set()
    qtbot.waitUntil(lambda: job.state.done and not page.job_strip.isVisible(), timeout=10_000)
    assert [top_left(t) for t in tables] == before
