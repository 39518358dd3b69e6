"""Which compute device models run on: CUDA, Apple MPS or the CPU."""

from __future__ import annotations

from dataclasses import dataclass

PREFERENCES = ("auto", "cuda", "mps", "cpu")


@dataclass(frozen=True)
class DeviceInfo:
    kind: str  # "cuda" | "mps" | "cpu"
    torch_device: str  # e.g. "cuda:0"
    name: str  # human-readable, e.g. "NVIDIA H100 80GB HBM3"

    @property
    def label(self) -> str:
        if self.kind == "cpu":
            return f"CPU ({self.name})" if self.name else "CPU"
        return f"{self.kind.upper() if self.kind == 'cuda' else 'MPS'}: {self.name}"


def available_devices() -> list[DeviceInfo]:
    """Every device torch can use here, best first (imports torch)."""
    import os

    import torch

    found: list[DeviceInfo] = []
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            found.append(DeviceInfo("cuda", f"cuda:{i}", torch.cuda.get_device_name(i)))
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append(DeviceInfo("mps", "mps", "Apple GPU"))
    found.append(DeviceInfo("cpu", "cpu", f"{os.cpu_count() or 1} cores"))
    return found


def resolve_device(preference: str = "auto") -> DeviceInfo:
    """The device for a preference; falls back to the CPU when it is absent."""
    if preference not in PREFERENCES:
        raise ValueError(f"unknown device preference {preference!r}; use one of {PREFERENCES}")
    devices = available_devices()
    if preference == "auto":
        return devices[0]
    for dev in devices:
        if dev.kind == preference:
            return dev
    return devices[-1]  # the CPU is always last and always there
