"""The Lost & Found workspace."""

from app.pages.base import PlaceholderPage


class LostFoundPage(PlaceholderPage):
    title = "Lost & Found"
    icon = "lostfound"
    summary = (
        "Keep lost and found posts, with an optional photo and Korean or English text, and see ranked matches for each."
    )
    planned = ['Posts stored in SQLite, with photo drag-and-drop, CSV/JSON import and export', 'Ranked matches with a text↔image weight slider', "Category and image gates, shown in each score's breakdown", 'Find all matches for every open post, as an exportable report']
