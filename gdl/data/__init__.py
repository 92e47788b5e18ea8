"""Data sources by name. `load(name, n, seed)` returns float32 arrays; unknown names fail loudly.

- `world`: p_data uniform over the Earth's land in (longitude, latitude) degrees, shape (n, 2).
- `moons`, `spirals`, `checkerboard`: 2-D toys, shape (n, 2).
- `digits`: scikit-learn's 8x8 handwritten digits, shape (n, 8, 8), values in [0, 1]; labels 0-9.
- `tins`: generated biscuit tins, shape (n, H, W), values in [0, 1]; targets are the true (height, width).

`load(..., with_targets=True)` returns `(X, y)`: digit labels, tin factors, or None.
"""
from __future__ import annotations

import importlib
from typing import Callable

import numpy as np

from gdl.data import world  # noqa: F401  (light: numpy only; `gdl.data.world.log_prob` is public API)

# name -> (module, function). Each function takes (n, seed) and returns (X, targets or None).
_REGISTRY: dict[str, tuple[str, str]] = {
    "world": ("gdl.data.world", "load"),
    "moons": ("gdl.data.toys", "moons"),
    "spirals": ("gdl.data.toys", "spirals"),
    "checkerboard": ("gdl.data.toys", "checkerboard"),
    "digits": ("gdl.data.digits", "load"),
    "tins": ("gdl.data.tins", "load"),
}

POINT_DATASETS = ("world", "moons", "spirals", "checkerboard")
IMAGE_DATASETS = ("digits", "tins")
NAMES = POINT_DATASETS + IMAGE_DATASETS


def _loader(name: str) -> Callable:
    if name not in _REGISTRY:
        raise ValueError(f"unknown dataset {name!r}; choose one of {sorted(_REGISTRY)}")
    module, function = _REGISTRY[name]
    return getattr(importlib.import_module(module), function)


def load(name: str, n: int | None = None, seed: int = 0, with_targets: bool = False):
    """Load `n` observations of dataset `name` (None: the dataset's default size).

    Args:
        name: one of `NAMES`.
        n: how many observations; must be positive.
        seed: the random seed for generated or sampled data.
        with_targets: also return labels (digits), true factors (tins) or None.
    Returns:
        X as float32 (n, 2) for points or (n, H, W) for images; `(X, targets)` when with_targets.
    """
    loader = _loader(name)
    if n is not None and (int(n) != n or n < 1):
        raise ValueError(f"n must be a positive whole number, got {n!r}")
    X, targets = loader(None if n is None else int(n), int(seed))
    X = np.asarray(X, dtype=np.float32)
    return (X, targets) if with_targets else X


def is_image(name: str) -> bool:
    """Whether dataset `name` holds images (as opposed to 2-D points)."""
    _loader(name)
    return name in IMAGE_DATASETS
