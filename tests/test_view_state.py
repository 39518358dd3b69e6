"""What a user sets on a page's view survives a restart (app.viewstate), View → Reset this page's
view puts the page's own settings back, and a kept value that no longer fits or cannot be read
is left out without harm."""

from __future__ import annotations

import pytest

from tests.conftest import restarted_window


def _page(win, icon: str):
    return next(p for p in win.pages if p.icon == icon)


def test_lost_and_found_view_is_back_after_a_restart_and_reset_puts_the_defaults_back(window, qtbot, data_dir):
    page = _page(window, "lostfound")
    defaults = (page.matches_panel.slider.value(), page.matches_panel.use_image_gate.isChecked(), page.matches_panel.threshold.value())
    page.matches_panel.slider.setValue(80)
    page.matches_panel.use_image_gate.setChecked(False)
    page.matches_panel.threshold.setValue(0.85)
    page.posts_panel.kind_filter.setCurrentIndex(2)  # Found
    from PySide6.QtWidgets import QSplitter

    outer = next(s for s in page.findChildren(QSplitter) if s.orientation().name == "Horizontal")
    window.nav.setCurrentRow(window.pages.index(page))
    window.resize(1300, 820)
    window.show()
    qtbot.wait(50)
    outer.setSizes([300, 1000])
    outer.splitterMoved.emit(300, 1)
    wanted = outer.sizes()
    page.posts_panel.table.horizontalHeader().resizeSection(4, 200)
    window.jobs_dock.show()  # the window's own state too: the Jobs view stays open
    window.jobs_view.internal_box.setChecked(True)
    window.close()  # writes the settings file
    text = (data_dir / "settings.ini").read_text(encoding="latin-1")
    assert "PyObjectWrapper" not in text  # bytes as @ByteArray, not a pickled Python object (the window's too)
    assert "@ByteArray" in text

    with restarted_window(qtbot) as win2:
        p2 = _page(win2, "lostfound")
        win2.nav.setCurrentRow(win2.pages.index(p2))
        win2.resize(1300, 820)
        win2.show()
        qtbot.wait(50)
        assert p2.matches_panel.slider.value() == 80 and p2.matches_panel.slider_label.text() == "0.80 : 0.20"  # the label follows
        assert not p2.matches_panel.use_image_gate.isChecked()
        assert p2.matches_panel.threshold.value() == pytest.approx(0.85)
        assert p2.posts_panel.kind_filter.currentData() == "found"
        assert p2.settings().text_weight == pytest.approx(0.8)  # what ranks the matches
        outer2 = next(s for s in p2.findChildren(QSplitter) if s.orientation().name == "Horizontal")
        assert outer2.sizes() == wanted
        assert p2.posts_panel.table.horizontalHeader().sectionSize(4) == 200
        assert win2.jobs_dock.isVisible() and win2.jobs_view.internal_box.isChecked()

        p2.reset_view()  # View → Reset this page's view
        assert (p2.matches_panel.slider.value(), p2.matches_panel.use_image_gate.isChecked(), p2.matches_panel.threshold.value()) == defaults
        assert p2.posts_panel.kind_filter.currentData() == ""
        assert p2.posts_panel.table.horizontalHeader().sectionSize(4) != 200
        assert win2.settings.view_value("view/lostfound/text share") is None  # nothing kept any more


def test_the_albums_model_stays_with_the_album_and_a_logos_model_that_is_gone_falls_back(window, qtbot, data_dir):
    albums, logos = _page(window, "albums"), _page(window, "logos")
    albums.model_choice.setCurrentIndex(albums.model_choice.findData("clip-vit-b32"))
    assert albums.store.get_meta("tuning")["model"] == "clip-vit-b32"  # in the album's own store
    logos.lookalikes.k.setValue(30)
    logos.tabs.setCurrentWidget(logos.map_tab)  # a tab built when first shown: built again at the start
    logos.model_choice.setCurrentIndex(logos.model_choice.findData("effnet-lite0"))
    window.close()
    with restarted_window(qtbot) as win2:
        assert _page(win2, "albums").model_choice.currentData() == "clip-vit-b32"  # its events were made with it
        l2 = _page(win2, "logos")
        assert l2.lookalikes.k.value() == 30 and l2.model_choice.currentData() == "effnet-lite0"
        assert l2.tabs.currentWidget() is l2.map_tab and l2.map_tab.built
        # a trained model kept as the choice, then deleted: the page's default, nothing forced
        import json

        win2.settings.set_view_value("view/logos/model", json.dumps({"data": "/gone/checkpoint.pt",
                                                                      "text": "Trained: gone (effnet-lite0)"}))
        win2.settings.set_view_value("view/logos/top k", "banana")  # a hand-edited file
        win2.close()
    with restarted_window(qtbot) as win3:
        l3 = _page(win3, "logos")
        assert l3.model_choice.currentData() == "simscope-logo"
        assert l3.lookalikes.k.value() == 12  # the unreadable value dropped, the default kept
        assert win3.settings.view_value("view/logos/top k") is None


def test_every_kind_of_kept_control_round_trips(qtbot, data_dir):
    """Spin boxes, sliders, check boxes, combo boxes (by data, else text), tabs, splitters and
    header states, through a real settings file."""
    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtWidgets import (
        QCheckBox,
        QComboBox,
        QDoubleSpinBox,
        QLabel,
        QSlider,
        QSpinBox,
        QSplitter,
        QTabWidget,
    )

    from app.settings import Settings
    from app.viewstate import ViewState

    def build(settings):
        ws = {"spin": QSpinBox(), "double": QDoubleSpinBox(), "slider": QSlider(Qt.Orientation.Horizontal),
              "check": QCheckBox("x"), "combo": QComboBox(), "tabs": QTabWidget(), "split": QSplitter()}
        ws["double"].setDecimals(3)
        ws["combo"].addItems(["a", "b", "c"])
        for i in range(3):
            ws["tabs"].addTab(QLabel(str(i)), str(i))
            ws["split"].addWidget(QLabel(str(i)))
        ws["split"].resize(600, 100)
        ws["split"].setSizes([200, 200, 200])
        view = ViewState(settings, "test")
        for name, w in ws.items():
            view.keep(name, w)
        return ws, view

    path = str(data_dir / "view.ini")
    first, first_view = build(Settings(QSettings(path, QSettings.Format.IniFormat)))
    first["spin"].setValue(7)
    first["double"].setValue(0.125)
    first["slider"].setValue(42)
    first["check"].setChecked(True)
    first["combo"].setCurrentIndex(2)
    first["tabs"].setCurrentIndex(1)
    first["split"].setSizes([100, 300, 200])
    first["split"].splitterMoved.emit(100, 1)
    for _ in range(20):  # a splitter dragged: many changes, written once things are still (or at close)
        first["slider"].setValue(42 + _ % 2)
    first["slider"].setValue(42)
    assert first_view._changed and first_view._timer.isActive()  # nothing written yet
    assert first_view.settings.view_value("view/test/slider") is None
    qtbot.waitUntil(lambda view=first_view: not view._changed, timeout=3000)
    assert int(first_view.settings.view_value("view/test/slider")) == 42
    del first, first_view  # its settings object goes too, writing the file
    import gc

    gc.collect()
    again, view = build(Settings(QSettings(path, QSettings.Format.IniFormat)))
    assert again["spin"].value() == 7 and again["double"].value() == pytest.approx(0.125)
    assert again["slider"].value() == 42 and again["check"].isChecked()
    assert again["combo"].currentText() == "c" and again["tabs"].currentIndex() == 1
    a, b, c = again["split"].sizes()
    assert b > 2.5 * a and c > 1.5 * a  # 100 : 300 : 200, less the handles
    view.reset()
    assert (again["spin"].value(), again["check"].isChecked(), again["combo"].currentIndex()) == (0, False, 0)
    a, b, c = again["split"].sizes()
    assert max(a, b, c) - min(a, b, c) <= 4  # equal again
    with pytest.raises(TypeError, match="QLabel"):
        view.keep("label", QLabel())


def test_a_kept_clip_choice_without_its_weights_falls_back_to_the_offline_models(window, qtbot):
    """Kept from a machine that had CLIP (or a restored backup): the page uses the offline models
    and says why, instead of a job that fails at every start; the choice stays kept."""
    import json

    from app.lostfound.page import LostFoundPage
    from core.lostfound.store import Post
    from core.models.registry import preset_status

    if preset_status("clip-xlmr-b32").available:
        pytest.skip("this machine has the CLIP weights")
    page = _page(window, "lostfound")
    page.store.add(Post(kind="lost", description="검은 우산"))
    window.settings.set_view_value("view/lostfound/model", json.dumps({"data": "clip-xlmr-b32", "text": "?"}))
    again = LostFoundPage(page.context)
    try:
        assert again.model_choice.currentData() is None  # offline
        assert "was the model last time, but" in again.note.text() and "Tools → Models" in again.note.text()
        assert json.loads(window.settings.view_value("view/lostfound/model"))["data"] == "clip-xlmr-b32"
    finally:
        again.release()
        again.deleteLater()
