"""The Albums tool bar: the album's actions, the image model and the grouping's live tuning (a panel
under "Grouping"), kept in the session's ``tuning`` as the controls move."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QSlider,
    QSpinBox,
    QStyle,
    QToolBar,
    QWidget,
)

from app.albums.chrome import popup_button
from app.albums.session import AlbumSession
from app.widgets import fit_to_current_text


def _slider(value: int, tip: str) -> QSlider:
    s = QSlider(Qt.Orientation.Horizontal)
    s.setRange(0, 100)
    s.setValue(value)
    s.setFixedWidth(110)
    s.setToolTip(tip)
    return s


class AlbumToolBar(QToolBar):
    """Add folder…, Folders…, Re-cluster, Export…, Duplicates, Event names… (the page connects
    them), the model choice and the tuning panel. A moved control is in ``session.tuning`` at once;
    ``tuning_changed`` and ``model_changed`` say so (the page re-groups)."""

    tuning_changed = Signal()  # a tuning control moved
    model_changed = Signal(str)  # the image model chosen (a preset name)

    def __init__(self, session: AlbumSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.add_action = QAction("Add folder…", self)
        self.regroup_action = QAction("Re-cluster", self)
        self.regroup_action.setToolTip("Group again (your renames, moves and examples are kept)")
        self.export_action = QAction("Export…", self)
        self.vocab_action = QAction("Event names…", self)
        self.vocab_action.setToolTip("The kinds events are named from (Beach, Birthday, …)")
        self.folders_action = QAction("Folders…", self)
        self.folders_action.setToolTip("The folders this album watches; remove one to take its photos out")
        self.duplicates_action = QAction("Duplicates", self)
        self.duplicates_action.setToolTip("The same shot saved again, and bursts: groups with a suggested keeper "
                                          "(nothing is deleted)")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setIconSize(QSize(16, 16))
        px = QStyle.StandardPixmap
        for a, icon in ((self.add_action, px.SP_FileDialogNewFolder), (self.folders_action, px.SP_DirIcon),
                        (self.regroup_action, px.SP_BrowserReload), (self.export_action, px.SP_DialogSaveButton),
                        (self.duplicates_action, px.SP_FileDialogDetailedView),
                        (self.vocab_action, px.SP_FileDialogInfoView)):
            a.setIcon(self.style().standardIcon(icon))
            if not a.toolTip() or a.toolTip() == a.text():
                a.setToolTip({self.add_action: "Add a folder of photos (or drop folders anywhere on this page)",
                              self.export_action: "Copy each event's photos into a folder of its own, "
                                                  "with a JSON and CSV list"}[a])
            self.addAction(a)
        self.model_choice = QComboBox()
        from core.albums.pipeline import IMAGE_PRESETS
        from core.models.registry import get_preset

        for name in IMAGE_PRESETS:
            self.model_choice.addItem(get_preset(name).title, name)
        self.model_choice.setToolTip("The image model; CLIP also names events. Get weights in Tools → Models")
        fit_to_current_text(self.model_choice)
        self.addSeparator()
        self.addWidget(self.model_choice)
        self._build_tuning()
        self._restore(session.tuning)
        self._sync()
        self.model_choice.currentIndexChanged.connect(self._model_moved)
        for w in (self.min_size, self.closeness, self.time_slider, self.image_slider, self.loose_slider):
            w.valueChanged.connect(self._moved)
        self.metric_choice.currentIndexChanged.connect(self._moved)

    def _build_tuning(self) -> None:
        self.min_size = QSpinBox()
        self.min_size.setRange(0, 500)
        self.min_size.setSpecialValueText("auto")
        self.min_size.setToolTip("Smallest event; auto = the events 9 settings agree on (1 / 2 / 4% of the photos × "
                                 "8 / 16 / 32 dimensions); a number = that one setting")
        self.time_slider = _slider(0, "How much gaps in capture time separate events (EXIF dates)")
        self.image_slider = _slider(100, "Image vs caption/note: 100 = images only")
        self.loose_slider = _slider(0, "Photos the clusterer left out join the event most of their neighbours "
                                       "are in when they lie within its extent (left: no further out than its "
                                       "members; right: up to 3× as far). Left keeps stray photos in Unsorted.")
        self.metric_choice = QComboBox()
        self.metric_choice.addItem("cosine", "cosine")
        self.metric_choice.addItem("Euclidean", "euclidean")
        self.metric_choice.setToolTip("How photos are compared to the examples of an event defined by example "
                               "(Euclidean: in the clustering space, capture time included)")
        self.closeness = QDoubleSpinBox()
        self.closeness.setRange(0.0, 1.0)
        self.closeness.setSingleStep(0.05)
        self.closeness.setToolTip("A photo this close to an example joins its event; a little less is 'unsure'")
        panel = QWidget()  # the grouping's tuning, in a panel under a tool-bar button (room for the photos)
        tune = QFormLayout(panel)
        for label, w in (("Min event size", self.min_size), ("Time gaps", self.time_slider),
                         ("Image ↔ caption/note", self.image_slider), ("Unsorted: strict ↔ loose", self.loose_slider),
                         ("Examples compared by", self.metric_choice), ("An example's photos: near ≥", self.closeness)):
            tune.addRow(label, w)
        self.tuning_button = popup_button("Grouping", "How photos are grouped into events: event size, time gaps, "
                                          "image vs text, strays, examples (changes re-group at once)", panel,
                                          self.style().standardIcon(QStyle.StandardPixmap.SP_FileDialogListView))
        self.addWidget(self.tuning_button)

    def _spins(self) -> dict:
        return {"min_size": self.min_size, "time": self.time_slider, "image": self.image_slider,
                "loose": self.loose_slider, "closeness": self.closeness}

    def _restore(self, tuning: dict) -> None:
        """The album's last tuning and model (its events were made with it); the signals are
        connected after, so nothing re-groups on the way."""
        for key, w in self._spins().items():
            w.setValue(tuning[key])
        for combo, key in ((self.metric_choice, "metric"), (self.model_choice, "model")):
            index = combo.findData(tuning[key])
            if index >= 0:
                combo.setCurrentIndex(index)

    def _sync(self) -> None:
        self.session.set_tuning(**{key: w.value() for key, w in self._spins().items()},
                                metric=self.metric_choice.currentData(), model=self.model_choice.currentData())

    def _moved(self, *_) -> None:
        self._sync()
        self.tuning_changed.emit()

    def _model_moved(self, *_) -> None:
        self._sync()
        self.model_changed.emit(self.model_choice.currentData())
