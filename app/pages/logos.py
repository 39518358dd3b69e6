"""The Logos workspace."""

from app.pages.base import PlaceholderPage


class LogosPage(PlaceholderPage):
    title = "Logos"
    icon = "logos"
    summary = (
        "Index a folder of logos, drop a query logo and see its top-k look-alikes; train a SimCLR model on your own logos."
    )
    planned = ['Index with progress and Cancel; instant reopen', 'Query by drop, paste or file, with scores and side-by-side compare', 'Near-duplicate groups by perceptual hash', 'SimCLR training (Swin Transformer) with a live loss plot']
