"""scikit-learn's bundled 8x8 handwritten digits (1,797 images, no download), scaled to [0, 1]."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

IMAGE_SHAPE = (8, 8)
LEVELS = 17  # the raw pixels are whole numbers 0..16


@lru_cache(maxsize=1)
def _all() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    X = (bunch.images / 16.0).astype(np.float32)  # (1797, 8, 8)
    return X, bunch.target.astype(np.int64)


def load(n: int | None, seed: int):
    """(X float32 (n, 8, 8) in [0, 1], labels (n,)). n=None gives all 1,797 in a fixed order; otherwise a
    seeded draw, with replacement only when n exceeds the set."""
    X, y = _all()
    if n is None:
        return X.copy(), y.copy()
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(X), size=n, replace=n > len(X))
    return X[idx], y[idx]
