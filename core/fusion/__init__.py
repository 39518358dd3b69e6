"""Fusion: a sensor + vision classifier whose class text embeddings weight each modality."""

DEFAULT_CLASSES = ("Normal", "Caution", "Warning", "Critical")
