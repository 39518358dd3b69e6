"""Fetch a preset's weights into the library's own cache, with progress."""

from __future__ import annotations

from pathlib import Path

from core.jobs import CancelCheck, Cancelled, ProgressFn, never_cancelled, null_progress
from core.models.registry import ModelUnavailable, get_preset, preset_status

OFFLINE = ("this computer is offline (no internet, or the Hugging Face hub cannot be reached); "
           "connect and download again, or import the weights as below")
# What huggingface_hub, requests, httpx and urllib3 raise when the hub cannot be reached or
# HF_HUB_OFFLINE is set (by name: none of them is imported for it).
_OFFLINE_ERRORS = {"LocalEntryNotFoundError", "OfflineModeIsEnabled", "ConnectionError", "ConnectError",
                   "ConnectTimeout", "ReadTimeout", "Timeout", "MaxRetryError", "NameResolutionError",
                   "NewConnectionError", "gaierror"}


def offline_error(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it came from) says the hub could not be reached."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if any(t.__name__ in _OFFLINE_ERRORS for t in type(exc).__mro__):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def download(
    name: str, progress: ProgressFn = null_progress, cancelled: CancelCheck = never_cancelled
) -> Path:
    """Download a preset's weights from the Hugging Face hub (where open_clip,
    timm and sentence-transformers look for them) and return the local path."""
    preset = get_preset(name)
    status = preset_status(preset)
    if status.available:
        progress(1.0, f"{preset.title}: already available ({status.summary})")
        return Path(status.location)
    if not preset.hf_repo:
        raise ModelUnavailable(preset, "it cannot be downloaded by the app")

    from huggingface_hub import snapshot_download
    from tqdm.auto import tqdm as base_tqdm

    class _Progress(base_tqdm):  # huggingface_hub reports bytes through a tqdm class
        def __init__(self, *args, **kwargs):
            kwargs["disable"] = False
            super().__init__(*args, **kwargs)

        def update(self, n=1):
            if cancelled():
                raise Cancelled()
            out = super().update(n)
            if self.total:
                progress(self.n / self.total, f"Downloading {preset.title}: {self.n / 1e6:.0f} MB")
            return out

    # Sentence-transformers models are folders: take the whole snapshot.
    patterns = list(preset.hf_files[:1]) + ["*.json", "*.txt"] if preset.hf_files and preset.family != "sentence_transformers" else None
    try:
        folder = snapshot_download(preset.hf_repo, allow_patterns=patterns, tqdm_class=_Progress)
        for extra in preset.extra_repos:
            snapshot_download(extra, allow_patterns=["*.json", "*.model", "*.txt"], tqdm_class=_Progress)
    except Cancelled:
        raise
    except Exception as exc:
        if offline_error(exc):
            raise ModelUnavailable(preset, OFFLINE) from exc
        raise ModelUnavailable(preset, f"the download failed ({type(exc).__name__}: {exc})") from exc
    status = preset_status(preset)
    if not status.available:
        raise ModelUnavailable(preset, f"the download finished but no weights were found in {folder}")
    progress(1.0, f"{preset.title}: downloaded")
    return Path(status.location)


def ensure_weights(
    name: str,
    allow_download: bool = True,
    progress: ProgressFn = null_progress,
    cancelled: CancelCheck = never_cancelled,
) -> Path:
    """The resolution order in one call: imported file → package → cache → download
    (when allowed and online) → :class:`ModelUnavailable` saying how to get them."""
    preset = get_preset(name)
    status = preset_status(preset)
    if status.available:
        return Path(status.location)
    if not allow_download:
        raise ModelUnavailable(preset, status.location + " (downloads are turned off in Settings)")
    return download(name, progress, cancelled)
