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
    if preference == "cpu":  # no need to import torch to know that (it weighs 290 MB resident with CUDA's build)
        import os

        return DeviceInfo("cpu", "cpu", f"{os.cpu_count() or 1} cores")
    return pick(available_devices(), preference)


def pick(devices: list[DeviceInfo], preference: str) -> DeviceInfo:
    """The device a preference picks among ``devices`` (best first, the CPU last)."""
    if preference == "auto":
        return devices[0]
    for dev in devices:
        if dev.kind == preference:
            return dev
    return devices[-1]  # the CPU is always last and always there


def devices_json() -> str:
    """``available_devices`` as one JSON line: what ``simscope --detect-devices`` prints, so a
    window can learn its devices from a child process instead of importing torch itself."""
    import json

    return json.dumps([[d.kind, d.torch_device, d.name] for d in available_devices()])


def devices_from_json(text: str) -> list[DeviceInfo]:
    """The devices ``devices_json`` wrote (its last line), best first; ValueError when it is not that."""
    import json

    lines = text.strip().splitlines()
    if not lines:
        raise ValueError("no device list: the output was empty")
    try:
        found = [DeviceInfo(str(kind), str(device), str(name)) for kind, device, name in json.loads(lines[-1])]
    except TypeError as exc:  # not a list of [kind, device, name]
        raise ValueError(f"not a device list: {lines[-1][-200:]!r}") from exc
    if not found or found[-1].kind != "cpu":
        raise ValueError(f"not a device list: {text[-200:]!r}")
    return found
