"""Help → User guide: the pages of ``docs/`` shipped with the app, and the keyboard shortcuts.

The guide is the same Markdown the repository's ``docs/`` folder holds (one source, so the app
and the docs site cannot say different things). Links between pages open in the guide; links
out (https, files) open in the system's browser. The shortcuts page is made from the window's
own actions, so it lists what the menus really do.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMenuBar,
    QTextBrowser,
)

from core.paths import docs_dir

# (file in docs/, title in the list); the order a newcomer reads them in
PAGES = (
    ("guide.md", "Getting started"),
    ("albums.md", "Albums"),
    ("logos.md", "Logos"),
    ("lostfound.md", "Lost & Found"),
    ("fusion.md", "Fusion"),
    ("trends.md", "Trends"),
    ("data.md", "Data, backups and restore"),
    ("models.md", "Models and offline weights"),
    ("cli.md", "Command line"),
)
SHORTCUTS = "shortcuts"


def shortcuts_markdown(menu_bar: QMenuBar | None) -> str:
    """A table of every menu action that has a shortcut, read from the menus themselves."""
    rows = []
    if menu_bar is not None:
        for menu_action in menu_bar.actions():
            menu = menu_action.menu()
            if menu is None:
                continue
            for action in menu.actions():
                keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
                keys = [k for k in keys if k]
                if keys and not action.isSeparator():
                    name = action.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
                    where = menu_action.text().replace("&", "")
                    rows.append(f"| {where} → {name.rstrip('…')} | {' or '.join(keys)} |")
    body = "\n".join(rows) if rows else "| (no window) | |"
    return ("# Keyboard shortcuts\n\n| action | keys |\n|---|---|\n" + body + "\n\n"
            "In the photo grids: double-click or Space opens the photo; in lists, Delete removes the "
            "selection (asking first when it removes more than one thing).\n")


class GuideDialog(QDialog):
    """The user guide: a list of pages beside the page itself."""

    def __init__(self, parent=None, menu_bar: QMenuBar | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Simscope user guide")
        self.resize(980, 700)
        self.menu_bar = menu_bar
        self.pages = QListWidget()
        self.pages.setMaximumWidth(230)
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        self.text.anchorClicked.connect(self._follow)
        self.text.setSearchPaths([str(docs_dir())])
        for name, title in PAGES:
            if (docs_dir() / name).is_file():
                item = QListWidgetItem(title)
                item.setData(256, name)
                self.pages.addItem(item)
        item = QListWidgetItem("Keyboard shortcuts")
        item.setData(256, SHORTCUTS)
        self.pages.addItem(item)
        self.pages.currentItemChanged.connect(lambda item, _prev: item and self.show_page(item.data(256)))
        layout = QHBoxLayout(self)
        layout.addWidget(self.pages)
        layout.addWidget(self.text, 1)
        self.pages.setCurrentRow(0)

    def show_page(self, name: str) -> None:
        if name == SHORTCUTS:
            self.text.setMarkdown(shortcuts_markdown(self.menu_bar))
            return
        path = docs_dir() / name
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            text = f"# Not found\n\nThe guide page `{path}` cannot be read ({exc.strerror or exc})."
        self.text.setMarkdown(text)
        self.current = name

    def _follow(self, url: QUrl) -> None:
        target = url.toString()
        page = Path(url.path()).name
        if not url.scheme() and page.endswith(".md"):
            for row in range(self.pages.count()):
                if self.pages.item(row).data(256) == page:
                    self.pages.setCurrentRow(row)
                    return
        if url.scheme() in ("http", "https", "file") or not url.scheme():
            QDesktopServices.openUrl(url if url.scheme() else QUrl.fromLocalFile(str(docs_dir() / target)))


def guide_action(window) -> QAction:
    """Help → User guide (F1)."""
    action = QAction("User &guide", window, shortcut=QKeySequence.StandardKey.HelpContents)
    action.setToolTip("What each workspace does, its controls and the command line; the keyboard shortcuts")

    def open_guide() -> None:
        dialog = GuideDialog(window, window.menuBar())
        window.guide_dialog = dialog
        dialog.show()

    action.triggered.connect(open_guide)
    return action
