"""Where models run. The one place that turns "auto" into a torch device name: cuda, then mps, then cpu."""
from __future__ import annotations


def available() -> list[str]:
    """Device names present on this machine, best first; always ends with "cpu"."""
    import torch

    names = []
    if torch.cuda.is_available():
        names.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        names.append("mps")
    return names + ["cpu"]


def resolve(device: str = "auto") -> str:
    """Turn "auto" (or an explicit name) into a device that exists here. Raises ValueError for one that does not."""
    present = available()
    if device in (None, "", "auto"):
        return present[0]
    if device not in present:
        raise ValueError(f"device {device!r} is not available here; choose one of {present}")
    return device


def describe(device: str = "auto") -> str:
    """A human sentence for the UI: which device models will use."""
    import torch

    name = resolve(device)
    if name == "cuda":
        return f"GPU: {torch.cuda.get_device_name(0)} (CUDA)"
    if name == "mps":
        return "GPU: Apple silicon (MPS)"
    return f"CPU ({torch.get_num_threads()} threads)"
