"""A light window wherever the app runs.

Simscope's colours (the style sheet, the notes' grey text, the plots' white backgrounds, the
class colours) are drawn for a light window. On a desktop set to dark (macOS, Windows 11, GNOME
with a dark colour scheme) Qt gives the native style a dark palette, and those colours came out
dark on dark: grey notes on near-black, black titles in the empty panels. Until a dark theme is
drawn, the app asks the platform for its light scheme (Qt 6.8+), and where the palette is still
dark (older Qt, a platform theme that ignores the request, a dark palette forced by the user's
Qt settings) it uses Qt's Fusion style with Fusion's own light palette.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def is_dark(palette) -> bool:
    """A palette whose window is darker than its text."""
    from PySide6.QtGui import QPalette

    window = palette.color(QPalette.ColorRole.Window).lightness()
    text = palette.color(QPalette.ColorRole.WindowText).lightness()
    return window < 128 or window < text


def use_light_scheme(app) -> bool:
    """Make ``app``'s palette light; True when Fusion's light palette had to replace the platform's."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QStyleFactory

    hints = app.styleHints()
    if hasattr(hints, "setColorScheme"):  # Qt 6.8+: the platform's light variant, native look kept
        hints.setColorScheme(Qt.ColorScheme.Light)
    if not is_dark(app.palette()):
        return False
    style = QStyleFactory.create("Fusion")
    app.setStyle(style)
    app.setPalette(style.standardPalette())
    log.info("the desktop's palette is dark: using Fusion's light palette (Simscope's colours are drawn for light)")
    return True
