"""2-D toy datasets: two moons, two spirals, a checkerboard. Each returns (X float32 (n, 2), None)."""
from __future__ import annotations

import numpy as np

DEFAULT_N = 10_000


def moons(n: int | None, seed: int):
    """Two interleaving half circles with a little Gaussian noise."""
    n = DEFAULT_N if n is None else n
    rng = np.random.default_rng(seed)
    upper = rng.random(n) < 0.5
    angle = rng.random(n) * np.pi
    x = np.where(upper, np.cos(angle), 1 - np.cos(angle))
    y = np.where(upper, np.sin(angle), 0.5 - np.sin(angle))
    X = np.column_stack([x, y]) + 0.08 * rng.standard_normal((n, 2))
    return X.astype(np.float32), None


def spirals(n: int | None, seed: int):
    """Two arms of an Archimedean spiral."""
    n = DEFAULT_N if n is None else n
    rng = np.random.default_rng(seed)
    r = np.sqrt(rng.random(n)) * 3 * np.pi
    arm = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    X = arm[:, None] * np.column_stack([r * np.cos(r), r * np.sin(r)]) / 3
    X += 0.1 * rng.standard_normal((n, 2))
    return X.astype(np.float32), None


def checkerboard(n: int | None, seed: int):
    """Uniform over the dark squares of a 4x4 board on [-2, 2]^2."""
    n = DEFAULT_N if n is None else n
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, n)
    y = rng.uniform(0, 1, n) + rng.integers(0, 2, n) * 2 - 2  # one of two unit rows within each pair
    y += np.floor(x) % 2  # shift so that the squares alternate
    return np.column_stack([x, y]).astype(np.float32), None
