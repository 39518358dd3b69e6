"""The five workspaces, one page class each."""

from app.pages.albums import AlbumsPage
from app.pages.fusion import FusionPage
from app.pages.logos import LogosPage
from app.pages.lostfound import LostFoundPage
from app.pages.trends import TrendsPage

PAGE_CLASSES = [AlbumsPage, LogosPage, LostFoundPage, FusionPage, TrendsPage]

__all__ = ["PAGE_CLASSES", "AlbumsPage", "FusionPage", "LogosPage", "LostFoundPage", "TrendsPage"]
