"""The real window for the benches: created, on one workspace's page, shown at 1300×820."""

from __future__ import annotations


def open_on(icon: str):
    """(app, window, queue, page): ``app.main.create_window`` with the page whose icon is ``icon``
    current, the window resized to 1300×820 and shown (not yet painted: the caller runs the loop)."""
    from PySide6.QtWidgets import QApplication

    from app.main import create_window

    app = QApplication.instance() or QApplication([])
    window, queue = create_window()
    page = next(p for p in window.pages if p.icon == icon)
    window.nav.setCurrentRow(window.pages.index(page))
    window.resize(1300, 820)
    window.show()
    return app, window, queue, page


def close(window, queue) -> None:
    """The queue stopped and every page shut down, as the app does when it quits."""
    queue.shutdown()
    for page in window.pages:
        page.shutdown()
