"""Every page and every tab at 1180×760 and 1920×1080: a screenshot each in out/screenshots/,
and no button, tab or single-line label whose text is cut (its text wider than the widget)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLabel, QTabWidget

from tests.conftest import assert_not_blank, save_screenshot, show_page

SIZES = [(1180, 760), (1920, 1080)]
ICONS = ["albums", "logos", "lostfound", "fusion", "trends"]


def _clipped(root) -> list[str]:
    """Visible buttons and one-line labels whose text does not fit their width."""
    out = []
    for w in root.findChildren(QAbstractButton) + root.findChildren(QLabel):
        if not w.isVisibleTo(root) or w.width() <= 0:
            continue
        text = w.text()
        if not text or "\n" in text or "<" in text:
            continue  # rich text and multi-line text are laid out by Qt
        if isinstance(w, QLabel) and (w.wordWrap() or not w.pixmap().isNull()):
            continue
        if isinstance(w, QAbstractButton):  # squeezed below the size its style asks for
            need, room = w.sizeHint().width(), w.width()
        else:
            need, room = w.fontMetrics().horizontalAdvance(text), w.contentsRect().width()
        if need > room + 1:
            out.append(f"{type(w).__name__} {text!r}: needs {need} px, has {room}")
    for box in root.findChildren(QComboBox):  # the shown choice, beside the drop-down arrow
        if box.isVisibleTo(root) and box.currentText() and not box.isEditable():
            need = box.fontMetrics().horizontalAdvance(box.currentText()) + 28
            if need > box.width() + 1:
                out.append(f"QComboBox {box.currentText()!r}: needs {need} px, has {box.width()}")
    return out


@pytest.mark.timeout(300)
@pytest.mark.parametrize("icon", ICONS)
def test_every_page_and_tab_fits_at_both_sizes(window, qtbot, icon):
    window.show()
    for size in SIZES:
        page = show_page(window, icon, size)
        qtbot.wait(120)
        tabs = [t for t in page.findChildren(QTabWidget) if t.isVisibleTo(page)]
        views = [(None, None)] + [(t, i) for t in tabs for i in range(t.count())]
        for tab_widget, i in views:
            name = f"screen-{icon}-{size[0]}"
            if tab_widget is not None:
                tab_widget.setCurrentIndex(i)
                qtbot.wait(80)
                name += "-" + tab_widget.tabText(i).lower().replace(" ", "-").replace("&", "")
            assert_not_blank(save_screenshot(window, name), min_colors=8)
            cut = _clipped(window)
            assert not cut, f"{icon} at {size}, {name}: text cut off:\n" + "\n".join(cut)
