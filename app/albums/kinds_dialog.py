"""Tools → Learned event kinds…: the kinds Albums learned from the names the user gave events
(``core.albums.kinds``), how many example photos each keeps, from which named events of which
albums and when, and Forget (the selected kinds) / Forget all — the store and the functions that
``simscope albums kinds list|forget`` uses (``KindStore.kinds()``, ``KindStore.forget()``)."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from app.widgets import ask
from core.albums.kinds import KindStore, default_path

COLUMNS = ["Kind", "Example photos", "From", "Taught"]
KIND_ROLE = Qt.ItemDataRole.UserRole

EMPTY_TEXT = (
    "<p><b>No event kinds learned yet.</b></p>"
    "<p>Albums learns a kind when you name an event: rename one “Christmas 2022” and group "
    "again, and its photos become examples of the kind “Christmas”. Later events that look like "
    "them are named “Christmas”, and their <i>Why here</i> says which of your events they "
    "resemble.</p><p>Names that are only dates or numbers teach nothing. The kinds are kept in "
    "<code>{path}</code>, across albums and in your backups; forget them here.</p>")


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


def _album(album: str) -> str:
    """An album's short name: "the app's album" for the app's own, else its file's name."""
    from core.albums.store import default_path as album_path

    if album != ":memory:" and Path(album).resolve() == album_path().resolve():
        return "the app's album"
    return Path(album).name or album


class KindsDialog(QDialog):
    """The learned kinds of ``store`` (None: nothing learned yet, no file made) with Forget and
    Forget all; every change is written to the store at once and the list read back from it."""

    def __init__(self, store: KindStore | None, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Learned event kinds")
        self.resize(760, 420)
        self.store = store
        self.tree = QTreeWidget()
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        path = store.path if store is not None else default_path()
        self.empty = QLabel(EMPTY_TEXT.format(path=path))
        self.empty.setWordWrap(True)
        self.empty.setTextFormat(Qt.TextFormat.RichText)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.empty.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.empty.setContentsMargins(12, 12, 12, 12)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.tree)
        self.stack.addWidget(self.empty)
        self.intro = QLabel("Kinds Albums learned from the names you gave events. Forgetting one deletes its "
                            "example photos; your events keep their names, and the same name on the same "
                            "event is not learned again.")
        self.intro.setWordWrap(True)
        self.status = QLabel("")
        self.status.setWordWrap(True)

        self.forget_button = QPushButton("Forget")
        self.forget_button.setToolTip("Forget the selected kinds (a named event selected: its kind)")
        self.forget_button.clicked.connect(self.forget_selected)
        self.forget_all_button = QPushButton("Forget all…")
        self.forget_all_button.clicked.connect(self.forget_all)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.forget_button)
        buttons.addWidget(self.forget_all_button)
        buttons.addStretch(1)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.refresh()

    # -- reading ----------------------------------------------------------------------------
    def refresh(self) -> None:
        """The list read again from the store."""
        self.tree.clear()
        kinds = self.store.kinds() if self.store is not None else []
        events = self.store.named_events() if self.store is not None else []
        for k in kinds:
            mine = [e for e in events if e["kind"].lower() == k["kind"].lower()]
            albums = sorted({_album(e["album"]) for e in mine})
            named = ", ".join(f"“{n}”" for n in k["named"])
            source = named if len(albums) != 1 else f"{named} in {albums[0]}"
            item = QTreeWidgetItem([k["kind"], str(k["photos"]), source,
                                    _when(max(e["added_at"] for e in mine)) if mine else ""])
            item.setData(0, KIND_ROLE, k["kind"])
            item.setToolTip(2, "\n".join(e["album"] for e in mine))
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            for e in mine:
                child = QTreeWidgetItem([f"“{e['label']}”", str(e["photos"]),
                                         f"event {e['event_id']} in {_album(e['album'])}", _when(e["added_at"])])
                child.setData(0, KIND_ROLE, k["kind"])
                child.setToolTip(2, e["album"])
                child.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.addChild(child)
            self.tree.addTopLevelItem(item)
        self.stack.setCurrentWidget(self.tree if kinds else self.empty)
        self.intro.setVisible(bool(kinds))
        self._update_buttons()

    def kinds_listed(self) -> list[tuple[str, int]]:
        """(kind, example photos) of each row, as shown."""
        return [(self.tree.topLevelItem(i).text(0), int(self.tree.topLevelItem(i).text(1)))
                for i in range(self.tree.topLevelItemCount())]

    def selected_kinds(self) -> list[str]:
        out: list[str] = []
        for item in self.tree.selectedItems():
            kind = item.data(0, KIND_ROLE)
            if kind not in out:
                out.append(kind)
        return out

    def _update_buttons(self) -> None:
        self.forget_button.setEnabled(bool(self.selected_kinds()))
        self.forget_all_button.setEnabled(self.tree.topLevelItemCount() > 0)

    # -- forgetting -------------------------------------------------------------------------
    def forget_selected(self) -> int:
        """Forget the selected kinds; returns how many named events were forgotten."""
        kinds = self.selected_kinds()
        if not kinds or self.store is None:
            return 0
        n = sum(self.store.forget(k) for k in kinds)
        self.refresh()
        what = ", ".join(f"“{k}”" for k in kinds)
        self.status.setText(f"Forgot {what}: {n} named event{'s' if n != 1 else ''} no longer teach"
                            f"{'es' if n == 1 else ''} a kind.")
        return n

    def forget_all(self) -> int:
        """Forget every kind after asking (Keep them is the default); returns how many named events
        were forgotten (0 when the user kept them)."""
        if self.store is None or not self.tree.topLevelItemCount():
            return 0
        kinds = self.tree.topLevelItemCount()
        events = sum(self.tree.topLevelItem(i).childCount() for i in range(kinds))
        if not ask(self, "Forget every learned kind?",
                   f"Forget all {kinds} learned kind{'s' if kinds != 1 else ''} "
                   f"({events} named event{'s' if events != 1 else ''})?",
                   "Their example photos are deleted. Your events keep the names you gave them, and the "
                   "same names on the same events are not learned again (a new name teaches anew).",
                   "Forget all", "Keep them", "forget_all_box", warning=True):
            return 0
        n = self.store.forget(None)
        self.refresh()
        self.status.setText(f"Forgot every kind: {n} named event{'s' if n != 1 else ''}.")
        return n


def open_kinds_dialog(parent) -> KindsDialog | None:
    """Tools → Learned event kinds…: the dialog on the app's ``kinds.sqlite`` (not created when
    nothing was learned yet); the store is closed with the dialog. A store that cannot be opened
    is said in a message box naming the file."""
    from core.database import StoreUnavailable

    store = None
    if default_path().exists():
        try:
            store = KindStore()
        except StoreUnavailable as exc:
            QMessageBox.warning(parent, "Learned event kinds", str(exc))
            return None
    dialog = KindsDialog(store, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if store is not None:
        dialog.finished.connect(lambda _result: store.close())
    dialog.open()
    return dialog
