"""Lost & Found's posts: the kind filter and the search, the posts table, and the selected post
in full (``PostDetail``) under it.

A widget of its own over a ``LostFoundSession``: it shows the session's posts, keeps the selected
one selected when they are read again, and says which post is selected, which one to edit and
which status a post should get; it changes nothing itself.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.lostfound.detail import PostDetail
from app.lostfound.models import POST_COLUMNS, THUMB, PostsModel
from app.lostfound.session import LostFoundSession
from app.widgets import EmptyHint
from core.lostfound.store import Post

DESCRIPTION, CATEGORY = 3, 4
CATEGORY_ROOM = 7  # the category column holds about this many Hangul syllables ("지갑 > 남성용…"), the
# rest in its tooltip: the description gets the room


class OneLine(QStyledItemDelegate):
    """A cell on one line, cut with "…" (the whole in its tooltip): "지갑 > 남성용 지갑" wrapped
    into two lines of a narrow column."""

    def initStyleOption(self, option, index) -> None:  # Qt API
        super().initStyleOption(option, index)
        option.features &= ~QStyleOptionViewItem.ViewItemFeature.WrapText


class PostsPanel(QWidget):
    selected = Signal(object)  # the selected Post, or None
    edit_requested = Signal(object)  # a Post (the double-clicked one, or the detail's Edit…)
    status_requested = Signal(int, str)  # post id, new status (the detail's Mark returned / Reopen)
    photo_requested = Signal(int)  # post id: its photo to see large (the page opens the viewer): the detail's
    # photo clicked, Space on the post's row or a double-click on its photo

    def __init__(self, session: LostFoundSession, loader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.kind_filter = QComboBox()
        for label, value in (("All posts", ""), ("Lost", "lost"), ("Found", "found")):
            self.kind_filter.addItem(label, value)
        self.search = QLineEdit()  # Edit → Find (Ctrl+F) comes here
        self.search.setPlaceholderText("Search description, category, place…")
        self.posts_model = PostsModel(loader, self)
        self.kind_filter.currentIndexChanged.connect(self._filter)
        self.search.textChanged.connect(self._filter)
        self.table = QTableView()
        self.table.setModel(self.posts_model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(THUMB + 6)
        self.table.setIconSize(self.table.iconSize().expandedTo(self.table.iconSize().__class__(THUMB, THUMB)))
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.one_line = OneLine(self.table)
        self.table.setItemDelegateForColumn(CATEGORY, self.one_line)  # categories: one line each, "…" cut
        self.table.horizontalHeader().setSectionResizeMode(DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setMinimumSectionSize(30)
        self.table.setColumnHidden(5, True)  # status: in the form and the search; keeps room for text
        self._placed: int | None = None  # the category's width as last placed here
        self._fit_columns()
        self.table.viewport().installEventFilter(self)  # resized: the category gets what room it can
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.selected.emit(self.selected_post()))
        # a post's photo large: Space on its row, or a double-click on the photo (a double-click
        # elsewhere on the row edits the post, as it always did)
        self.table.doubleClicked.connect(self._double_clicked)
        from app.viewer import open_on_space

        open_on_space(self.table, self._open_photo_at)
        EmptyHint(self.table, lambda: "No post matches the search or the filter" if self.posts_model.all_posts
                  else "No posts yet: Add post, or Import a CSV or JSON file")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        filters = QHBoxLayout()
        filters.addWidget(self.kind_filter)
        filters.addWidget(self.search, 1)
        layout.addLayout(filters)
        self.detail = PostDetail()  # the selected post in full, with its status actions
        self.detail.inferred_of = session.inferred_category
        self.detail.status_requested.connect(self.status_requested)
        self.detail.photo_requested.connect(self.photo_requested)
        self.detail.edit_requested.connect(lambda pid: self.edit_requested.emit(session.store.get(pid)))
        self.selected.connect(self.detail.show_post)
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(self.table)
        self.split.addWidget(self.detail)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 1)
        layout.addWidget(self.split)
        # the session's own list: a post added or changed later (``refresh``, in place) is in it,
        # so a filter typed after sees it
        session.posts_changed.connect(lambda: self._show_posts(session.posts))
        session.posts_updated.connect(self._update_posts)
        self._show_posts(session.posts)  # what the session holds already

    def _fit_columns(self) -> None:
        """The short columns as wide as their header and their longest value, measured in the
        table's own fonts ("#" four digits, "found", a date "2026-11-02"); the category a few
        words, longer ones cut with "…" (the tooltip has them); the description all the rest,
        and the table never narrower than that leaves for the word "Description" (issue 38:
        "Descriptior", two words a line at 1180)."""
        table, header = self.table, self.table.horizontalHeader()
        table.ensurePolished()
        header.ensurePolished()
        cells, heads = table.fontMetrics(), header.fontMetrics()
        head_pad = 2 * header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header) + 4
        cell_pad = 2 * (table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, table) + 1) + 6

        def need(col: int, *values: str) -> int:
            return max([heads.horizontalAdvance(POST_COLUMNS[col]) + head_pad]
                       + [cells.horizontalAdvance(v) + cell_pad for v in values])

        self._need = need
        self._category_least = need(CATEGORY, "가" * CATEGORY_ROOM)
        self._category_most = self._category_least  # the longest category shown (``_show_posts``)
        for col, width in {0: THUMB + 10, 2: need(2, "lost", "found"), 6: need(6, "0000-00-00")}.items():
            table.setColumnWidth(col, width)
        self._fit_to_posts([])

    def _fit_to_posts(self, posts: list[Post]) -> None:
        """The "#" column as wide as the largest id (two digits at least), the category's room
        as its longest value, and the table's least width for them and the word "Description"."""
        table, need = self.table, self._need
        table.setColumnWidth(1, need(1, str(max([10] + [p.id for p in posts]))))
        # each category measured once (a few distinct values; measuring every post's took 1.1 s of the
        # reload at 100,000 posts)
        self._category_most = max(self._category_least, need(CATEGORY, *{p.category for p in posts}))
        self._fit_rest()

    def _fit_rest(self) -> None:
        table, need = self.table, self._need
        self._fixed = sum(table.columnWidth(c) for c in (0, 1, 2, 6))
        frame = 2 * table.frameWidth()
        bar = table.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, table)
        table.setMinimumWidth(self._fixed + self._category_least + need(DESCRIPTION) + bar + frame)
        self._place_category()

    def _place_category(self) -> None:
        """The category as wide as its longest value where the table has room for it (at most
        2/5 of what the short columns leave), else its few words and "…"; a width the user gave
        it (a drag, or the view restored after a restart: not the width placed here last) is kept."""
        width = self.table.columnWidth(CATEGORY)
        if self._placed is not None and width != self._placed:
            return
        free = self.table.viewport().width() - self._fixed
        room = max(self._category_least, min(self._category_most, free * 2 // 5))
        if width != room:
            self.table.setColumnWidth(CATEGORY, room)
        self._placed = room

    def eventFilter(self, watched, event) -> bool:  # Qt API
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self._place_category()
        return super().eventFilter(watched, event)

    def _post_at(self, row: int) -> Post | None:
        return self.posts_model.index(row, 0).data(Qt.ItemDataRole.UserRole)

    def _double_clicked(self, index) -> None:
        post = self._post_at(index.row())
        if index.column() == 0 and post is not None and post.image:
            self.photo_requested.emit(post.id)
        else:
            self.edit_requested.emit(post)

    def _open_photo_at(self, row: int) -> None:
        post = self._post_at(row)
        if post is not None:
            self.select_post(post.id)
            self.photo_requested.emit(post.id)

    def _show_posts(self, posts: list[Post]) -> None:
        selected = self.selected_post()
        self.posts_model.set_posts(posts)
        self._fit_to_posts(posts)
        if selected is not None and not self.select_post(selected.id):
            self.selected.emit(None)  # it is gone (deleted): a reset model says nothing of it

    def _update_posts(self, changed: list[Post], gone: list[int]) -> None:
        """A few posts changed (``LostFoundSession.refresh``): their rows, the columns widened for
        them, and the detail shown again when it is the selected post's."""
        selected = self.selected_post()
        self.posts_model.update_posts(changed, gone)
        table, need = self.table, self._need
        if changed:  # wider for them only (a reload narrows the columns again)
            table.setColumnWidth(1, max(table.columnWidth(1), need(1, str(max(p.id for p in changed)))))
            self._category_most = max(self._category_most, need(CATEGORY, *{p.category for p in changed}))
            self._fit_rest()
        if selected is None:
            return
        fresh = next((p for p in changed if p.id == selected.id), None)
        if selected.id in gone or not self.select_post(selected.id):
            self.table.clearSelection()  # as after a reload: the view had moved it to the next row
            self.selected.emit(None)  # it is gone (deleted, or filtered out)
        elif fresh is not None:
            self.selected.emit(fresh)  # its row changed in place: the selection did not

    def _filter(self) -> None:
        selected = self.selected_post()
        self.posts_model.set_filter(self.kind_filter.currentData(), self.search.text())
        if selected is not None:
            self.select_post(selected.id)

    def select_post(self, post_id: int) -> bool:
        row = self.posts_model.row_of(post_id)
        if row is not None:
            self.table.selectRow(row)
        return row is not None

    def selected_post(self) -> Post | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return rows[0].data(Qt.ItemDataRole.UserRole) if rows else None
