"""Simscope's PySide6 GUI. It imports core/, never the other way round."""

from core import __version__

__all__ = ["__version__"]
