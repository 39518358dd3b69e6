"""Loaded models, kept per preset on one device. Used from the model worker only."""

from __future__ import annotations

from core.device import DeviceInfo, resolve_device
from core.models.loaders import Encoder, load
from core.warmup import warm_models


class ModelManager:
    def __init__(self, device_preference: str = "auto", tiny: bool = False,
                 allow_download: bool = False) -> None:
        self.allow_download = allow_download
        self._preference = device_preference
        self._device: DeviceInfo | None = None
        self._loaded: dict[str, Encoder] = {}
        self.tiny = tiny

    @property
    def device(self) -> DeviceInfo:
        if self._device is None:
            if self._preference != "cpu":
                warm_models()  # torch comes in here: its libraries opened GIL-free first
            self._device = resolve_device(self._preference)
        return self._device

    @property
    def device_known(self) -> DeviceInfo | None:
        """The device when it is known without importing torch (resolved already, or the CPU asked
        for); None when finding it would import torch (CUDA's build: +290 MB resident)."""
        if self._device is None and self._preference == "cpu":
            return self.device
        return self._device

    def set_device_preference(self, preference: str) -> None:
        if preference != self._preference:
            self._preference = preference
            self._device = None
            self.unload()

    def get(self, preset: str, progress=None, cancelled=None) -> Encoder:
        """A loaded model; missing weights are downloaded first when that is allowed."""
        if preset not in self._loaded:
            if not self.tiny:
                from core.models.download import ensure_weights

                kwargs = {k: v for k, v in (("progress", progress), ("cancelled", cancelled)) if v}
                ensure_weights(preset, self.allow_download, **kwargs)
            warm_models()  # the first model: torch, torchvision and timm imported as the start-up's warm-up does
            self._loaded[preset] = load(preset, self.device.torch_device, tiny=self.tiny)
        return self._loaded[preset]

    def lazy(self, preset: str, progress=None, cancelled=None):
        """The preset's model, its weights loaded on first use (``core.models.lazy``): found (or
        downloaded when allowed) now, so a missing model raises ``ModelUnavailable`` here as
        :meth:`get` does; a model already loaded is returned as it is. A preset whose cache key
        needs its weights (the logo model) is loaded now."""
        from core.models.lazy import LazyModel, can_wait

        if preset in self._loaded or not can_wait(preset):
            return self.get(preset, progress, cancelled)
        if not self.tiny:
            from core.models.download import ensure_weights

            kwargs = {k: v for k, v in (("progress", progress), ("cancelled", cancelled)) if v}
            ensure_weights(preset, self.allow_download, **kwargs)
        return LazyModel(self, preset)

    def loaded(self) -> list[str]:
        return list(self._loaded)

    def unload(self) -> None:
        self._loaded.clear()
        if self._device is not None and self._device.kind == "cuda":
            import torch

            torch.cuda.empty_cache()
