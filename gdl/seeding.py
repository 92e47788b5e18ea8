"""One seed for Python, NumPy and torch together."""
from __future__ import annotations

import random

import numpy as np


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators with the same number."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        import torch
    except ImportError:  # the classical families run without torch
        return
    torch.manual_seed(seed)
