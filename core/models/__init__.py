"""Model presets, their loading code, and the models the app runs."""

from core.models.registry import (
    PRESETS,
    ModelUnavailable,
    Preset,
    PresetStatus,
    get_preset,
    preset_status,
)

__all__ = ["PRESETS", "ModelUnavailable", "Preset", "PresetStatus", "get_preset", "preset_status"]
