"""The app's own fallback font: Korean text is readable on a machine without a Hangul font.

``resources/fonts/NanumGothic.ttf`` (OFL 1.1, unmodified) is registered with Qt's font
database at start and added behind the UI font two ways: the application font's family
list (Qt tries each family in turn for a character the first one lacks) and a font
substitution for the UI family, which covers widgets that set a family of their own
(style sheets, plots). Call :func:`install_fonts` once after the QApplication exists.
"""

from __future__ import annotations

import logging

from PySide6.QtGui import QFont, QFontDatabase, QFontInfo, QGuiApplication

from core.paths import resource

log = logging.getLogger(__name__)
FALLBACK_FILES = ("NanumGothic.ttf",)


def install_fonts(app: QGuiApplication | None = None) -> list[str]:
    """Register the bundled fonts; returns their family names (empty if none could load)."""
    app = app or QGuiApplication.instance()
    families: list[str] = []
    for name in FALLBACK_FILES:
        path = resource("fonts", name)
        font_id = QFontDatabase.addApplicationFont(str(path)) if path.exists() else -1
        if font_id < 0:
            log.warning("could not load the bundled font %s: Korean text may show as boxes", path)
            continue
        families += QFontDatabase.applicationFontFamilies(font_id)
    if not families:
        return []
    base = app.font()
    # the family the platform really draws with ("Sans Serif" is fontconfig's alias, e.g. for
    # DejaVu Sans): named first, so Latin text keeps it and only what it lacks (Hangul) falls
    # back to the bundled font; substituting the alias by the bundled font alone drew every
    # label in NanumGothic, whose full stop reads as a comma at UI sizes ("0,826", "sun,svg")
    resolved = QFontInfo(base).family()
    primary = [f for f in [resolved, *(base.families() or [base.family()])] if f]
    primary = list(dict.fromkeys(primary))
    chain = [f for f in primary if f not in families] + families
    base.setFamilies(chain)
    app.setFont(base)
    real = [f for f in chain if f not in families and f == resolved and f not in ("Sans Serif", "sans-serif")]
    for family in {*primary, base.defaultFamily(), "Sans Serif", "sans-serif"}:
        if family and family not in families:
            QFont.insertSubstitutions(family, [f for f in real if f != family] + families)
    return families
