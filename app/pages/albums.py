"""The Albums workspace."""

from app.pages.base import PlaceholderPage


class AlbumsPage(PlaceholderPage):
    title = "Albums"
    icon = "albums"
    summary = (
        "Drop photo folders here and Simscope groups them into events, each with a name, a caption and representative photos."
    )
    planned = ['Recursive scan of JPEG, PNG, WebP, TIFF and HEIC with EXIF dates', 'A smooth thumbnail grid for thousands of photos', 'Events by image embeddings + captions (or your notes) with HDBSCAN', 'Rename, merge, split, move photos; export one folder per event']
