"""The Trends workspace."""

from app.pages.base import PlaceholderPage


class TrendsPage(PlaceholderPage):
    title = "Trends"
    icon = "trends"
    summary = (
        "Forecast the popularity trend of post categories from daily posts"
    )
    planned = ['images, texts and counts over a 60-day window.:Posts per day and category over time', 'Training with live loss curves', 'Predicted vs actual proportion per category', 'A comparison with simple baselines']
