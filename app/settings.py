"""Typed, versioned settings on QSettings.

Stored as an INI file in the data dir, so ``SIMSCOPE_DATA_DIR`` (set by tests
and scripts) keeps them away from the user's real settings. Old files are
migrated, never broken.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from PySide6.QtCore import QByteArray, QObject, QSettings, Signal

from core.models.registry import (
    DEFAULT_IMAGE_PRESET,
    DEFAULT_MULTILINGUAL_TEXT_PRESET,
    DEFAULT_TEXT_PRESET,
)
from core.paths import data_dir

SETTINGS_VERSION = 2


class Key(str, Enum):
    DEVICE = "compute/device"  # auto | cuda | mps | cpu
    IMAGE_PRESET = "models/image_preset"
    TEXT_PRESET = "models/text_preset"
    MULTILINGUAL_TEXT_PRESET = "models/multilingual_text_preset"
    ALLOW_DOWNLOADS = "models/allow_downloads"
    IO_WORKERS = "jobs/io_workers"
    WINDOW_GEOMETRY = "window/geometry"
    WINDOW_STATE = "window/state"  # the Jobs dock: shown or not, where, how tall
    LAST_PAGE = "window/last_page"


DEFAULTS: dict[Key, Any] = {
    Key.DEVICE: "auto",
    Key.IMAGE_PRESET: DEFAULT_IMAGE_PRESET,
    Key.TEXT_PRESET: DEFAULT_TEXT_PRESET,
    Key.MULTILINGUAL_TEXT_PRESET: DEFAULT_MULTILINGUAL_TEXT_PRESET,
    Key.ALLOW_DOWNLOADS: True,
    Key.IO_WORKERS: 2,
    Key.WINDOW_GEOMETRY: b"",
    Key.WINDOW_STATE: b"",
    Key.LAST_PAGE: 0,
}

# Version 1 kept the device under a flat key.
_RENAMED_IN_2 = {"device": Key.DEVICE.value}


def _coerce(value: Any, default: Any) -> Any:
    if value is None:
        return default
    if isinstance(default, bool):
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)
    if isinstance(default, int):
        try:
            return int(value)
        except (TypeError, ValueError):
            return default
    if isinstance(default, bytes):
        return bytes(value) if not isinstance(value, str) else value.encode("latin-1")
    return str(value)


class Settings(QObject):
    changed = Signal(str)  # the key that changed

    def __init__(self, qsettings: QSettings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        if qsettings is None:
            qsettings = QSettings(str(data_dir() / "settings.ini"), QSettings.Format.IniFormat)
        self._q = qsettings
        self.migrate()

    @property
    def path(self) -> str:
        return self._q.fileName()

    def get(self, key: Key) -> Any:
        return _coerce(self._q.value(key.value), DEFAULTS[key])

    def set(self, key: Key, value: Any) -> None:
        value = _coerce(value, DEFAULTS[key])
        if self.get(key) == value:
            return
        # bytes as a QByteArray ('@ByteArray(…)' in the file): PySide writes Python bytes as a
        # pickled object, which only PySide reads back
        self._q.setValue(key.value, QByteArray(value) if isinstance(value, bytes) else value)
        self._q.sync()
        self.changed.emit(key.value)

    def raw(self, name: str, default: Any = None) -> Any:
        """A free-form value (e.g. ``confirm/dissolve``), coerced to the default's type."""
        return _coerce(self._q.value(name), default) if self._q.contains(name) else default

    def set_raw(self, name: str, value: Any) -> None:
        self._q.setValue(name, value)
        self._q.sync()
        self.changed.emit(name)

    # What a page's view keeps (app.viewstate): written at Qt's next idle sync and at close, not
    # synced per change (a slider dragged sends many), and not announced through ``changed``.
    def view_value(self, name: str) -> Any:
        return self._q.value(name) if self._q.contains(name) else None

    def set_view_value(self, name: str, value: Any) -> None:
        self._q.setValue(name, value)

    def remove_view_value(self, name: str) -> None:
        self._q.remove(name)

    def sync(self) -> None:
        self._q.sync()

    def drop_unreadable(self) -> list[str]:
        """Remove each value Qt cannot read back (a pickled Python object, ``@Variant(…PySide::
        PyObjectWrapper…)``, from an old version or another program), saying so in the log; the
        app then uses its default. Reading one raised at start and stopped the app. Returns the keys."""
        import logging

        dropped = []
        # PySide raises an unpickling error (AttributeError, ModuleNotFoundError, UnpicklingError,
        # EOFError…: whatever the pickle meets) at the next call into Qt, often another key's
        # read or allKeys() itself (6.11) — so a first pass takes the errors, then each key is
        # judged by what it reads as; every one dropped is named in the log
        late = ""
        try:
            keys = self._q.allKeys()
        except Exception as exc:  # the pending error of a value read when the file was loaded
            late = f"{type(exc).__name__}: {exc}"
            keys = self._q.allKeys()
        for key in keys:
            try:
                self._q.value(key)
            except Exception as exc:  # see above: reported in the log line below
                late = late or f"{type(exc).__name__}: {exc}"
        for key in keys:
            try:
                unreadable = self._q.value(key) is None  # an INI value reads as text, '' at least
                reason = late or "no value Qt can read"
            except Exception as exc:  # see above
                unreadable, reason = True, f"{type(exc).__name__}: {exc}"
            if unreadable:
                logging.getLogger("simscope").warning("settings: dropped %s in %s: its value cannot be read (%s); "
                                                      "the default is used", key, self.path, reason)
                self._q.remove(key)
                dropped.append(key)
        if dropped:
            self._q.sync()
        return dropped

    def migrate(self) -> None:
        self.drop_unreadable()
        version = _coerce(self._q.value("settings_version"), 0)
        if version < 2:
            for old, new in _RENAMED_IN_2.items():
                if self._q.contains(old):
                    self._q.setValue(new, self._q.value(old))
                    self._q.remove(old)
        if version != SETTINGS_VERSION:
            self._q.setValue("settings_version", SETTINGS_VERSION)
            self._q.sync()
