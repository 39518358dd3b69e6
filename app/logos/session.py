"""What the Logos tabs share: the index, the query and the duplicate groups, each change a signal.

The tabs never reach into one another: the page makes one ``LogoSession`` and hands it to each
tab; a tab that changes the index, the query or the groups says so here, and the tabs that show
them follow the signal.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from core.paths import data_dir


def no_keep(name: str, widget, quiet: bool = False) -> None:
    """For a tab built alone (a test): nothing is kept between starts."""


class LogoSession(QObject):
    index_changed = Signal(object)  # the new core.logos.index.LogoIndex
    query_changed = Signal()  # the query's vectors (or the query itself) changed
    groups_changed = Signal(list)  # the duplicate groups (core.logos.dedup.Group)

    def __init__(self, index_dir: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.index = None  # core.logos.index.LogoIndex
        self.index_dir = Path(index_dir) if index_dir is not None else data_dir() / "logos" / "index"
        self.query_path: str | None = None
        self.query_vector: np.ndarray | None = None
        self.query_part: np.ndarray | None = None  # the query's icon (a wordmark's), when it has one
        self.groups: list = []

    def set_index(self, index) -> None:
        self.index = index
        self.index_changed.emit(index)

    def set_query_vectors(self, vector: np.ndarray | None, part: np.ndarray | None) -> None:
        self.query_vector, self.query_part = vector, part
        self.query_changed.emit()

    def set_groups(self, groups: list) -> None:
        self.groups = groups
        self.groups_changed.emit(groups)
