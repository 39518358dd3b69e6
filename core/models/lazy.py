"""A preset's model that loads its weights only when something needs them.

The Albums page checks the library at every start: at 100,000 photos every vector is in the
embedding cache, yet the image model (EfficientNet-Lite0: ~60 MB of weights and torch's buffers
around them) was loaded first. :class:`LazyModel` answers what a check of cached photos asks
without the weights — the preset's name, the embedding cache's key (``cache_name``), the weights'
label, ``describe()``, which methods the model has (``hasattr(model, "encode_with_top")``), its
static helpers (``label_names``) — and loads the real model through the manager (the same
loading code, cache and errors as :meth:`ModelManager.get`) on the first use of anything else.

Missing weights are found when the lazy model is made (``ensure_weights``: the download, its
progress and ``ModelUnavailable``, as before); only the load itself waits.
"""

from __future__ import annotations

import inspect
import threading
from dataclasses import fields

from core.models.loaders import (
    TINY_LABEL,
    Captioner,
    ClipEncoder,
    Encoder,
    HFClipEncoder,
    ImageEncoder,
    ImageNetClassifier,
    TextEncoder,
    _weights_label,
)
from core.models.registry import (
    COCA,
    EFFNET_LITE0_PKG,
    HF_CLIP,
    OPEN_CLIP,
    SENTENCE_TRANSFORMERS,
    TIMM,
    USE_PKG,
    get_preset,
    resolve_weights,
)

# the class each family's loader returns (core.models.loaders._LOADERS): what the model will have
KINDS: dict[str, type[Encoder]] = {
    EFFNET_LITE0_PKG: ImageNetClassifier,
    TIMM: ImageEncoder,
    OPEN_CLIP: ClipEncoder,
    HF_CLIP: HFClipEncoder,
    COCA: Captioner,
    SENTENCE_TRANSFORMERS: TextEncoder,
    USE_PKG: TextEncoder,
}


NOT_LOADED = "chosen when the model loads (not loaded: every photo was in the embedding cache)"


def can_wait(preset_name: str) -> bool:
    """Whether a preset's model can be a :class:`LazyModel` (its cache key needs no weights: not
    the logo model, whose key holds its weights' hash)."""
    return get_preset(preset_name).family in KINDS


class LazyModel:
    """``manager.get(preset)`` made on first use (see the module's docstring). Thread-safe: the
    first thread to need the model loads it, the others wait for it."""

    def __init__(self, manager, preset_name: str) -> None:
        self._manager = manager
        self._preset = get_preset(preset_name)
        self._kind = KINDS[self._preset.family]
        self._fields = {f.name for f in fields(self._kind)}
        self._model: Encoder | None = None
        self._lock = threading.Lock()

    # -- what needs no weights ------------------------------------------------------
    @property
    def name(self) -> str:
        return self._preset.name

    @property
    def preset(self):
        return self._preset

    @property
    def cache_name(self) -> str:
        if self._model is not None:
            return self._model.cache_name
        return self._preset.name + (":tiny" if self._manager.tiny else "")  # as Encoder.cache_name

    @property
    def weights(self) -> str:
        if self._model is not None:
            return self._model.weights
        return TINY_LABEL if self._manager.tiny else _weights_label(self._preset, resolve_weights(self._preset))

    @property
    def device(self) -> str:
        return self._model.device if self._model is not None else self._manager.device.torch_device

    @property
    def kind(self) -> type[Encoder]:
        """The class the loaded model will be (what it can do, asked without loading it)."""
        return self._kind

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def describe(self) -> dict:
        if self._model is not None:
            return self._model.describe()
        known = self._manager.device_known  # not found by importing torch for a description
        return {"preset": self._preset.name, "title": self._preset.title, "weights": self.weights,
                "device": known.torch_device if known is not None else NOT_LOADED}

    # -- the rest: the real model ---------------------------------------------------
    def model(self) -> Encoder:
        """The loaded model (loaded now if it was not)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._manager.get(self._preset.name)
        return self._model

    def __getattr__(self, name: str):
        if name.startswith("__") or name.startswith("_") and name not in self._fields:
            raise AttributeError(name)
        static = inspect.getattr_static(self._kind, name, None)
        if isinstance(static, staticmethod):  # e.g. ImageNetClassifier.label_names: no weights needed
            return getattr(self._kind, name)
        if static is None and name not in self._fields:
            raise AttributeError(f"{self._kind.__name__} has no attribute {name!r}")
        if inspect.isfunction(static):  # a method: loaded when called (``hasattr`` loads nothing)
            def call(*args, **kwargs):
                return getattr(self.model(), name)(*args, **kwargs)

            call.__name__ = name
            return call
        return getattr(self.model(), name)

    def __repr__(self) -> str:
        return f"LazyModel({self._preset.name!r}, {'loaded' if self._model is not None else 'not loaded'})"
