"""The Fusion workspace."""

from app.pages.base import PlaceholderPage


class FusionPage(PlaceholderPage):
    title = "Fusion"
    icon = "fusion"
    summary = (
        "Train and inspect a sensor + vision classifier (Normal / Caution / Warning / Critical) whose class text embeddings weight each modality."
    )
    planned = ['Training with live loss, accuracy and class-similarity plots', 'Confusion matrix and per-class precision / recall / F1', 'An inspector for one sample: similarities, weights, fused prediction', 'Temperature and modality-weight sliders that re-run inference live']
