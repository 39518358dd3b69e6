"""The five workspaces, one page class each; each workspace's GUI lives in ``app/<workspace>/``,
mirroring ``core/<workspace>/``."""

from app.albums.page import AlbumsPage
from app.fusion.page import FusionPage
from app.logos.page import LogosPage
from app.lostfound.page import LostFoundPage
from app.trends.page import TrendsPage

PAGE_CLASSES = [AlbumsPage, LogosPage, LostFoundPage, FusionPage, TrendsPage]

__all__ = ["PAGE_CLASSES", "AlbumsPage", "FusionPage", "LogosPage", "LostFoundPage", "TrendsPage"]
