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


def share_cpu(threads: int | None = None) -> int:
    """Give torch a small, fixed number of CPU threads (default 1, or $GDL_TORCH_THREADS) and return it.

    The app calls this once per server process. The lab's models are small, so one op gains little from a
    second thread (measured on 2 idle cores: the same 8 s of flow training made 358 steps on 1 thread, 374 on 2),
    while a server runs several trainings and page renders at once: with torch's default of one thread per core
    in each of them, they fight for the cores and everything slows many times over."""
    import os
    import sys

    if threads is None:
        try:
            threads = int(os.environ.get("GDL_TORCH_THREADS", "1"))
        except ValueError:
            threads = 1
    threads = max(1, threads)
    if "torch" not in sys.modules:  # torch reads this when it loads: no need to import it (slow) here
        os.environ["OMP_NUM_THREADS"] = str(threads)
        return threads
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


def describe(device: str = "auto") -> str:
    """A human sentence for the UI: which device models will use."""
    import torch

    name = resolve(device)
    if name == "cuda":
        return f"GPU: {torch.cuda.get_device_name(0)} (CUDA)"
    if name == "mps":
        return "GPU: Apple silicon (MPS)"
    n = torch.get_num_threads()
    return f"CPU ({n} thread{'s' if n != 1 else ''} per model)"
