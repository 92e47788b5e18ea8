"""2-D toy datasets: two moons, two spirals, a checkerboard. Each returns (X float32 (n, 2), None).

`log_density(name, X)` is each toy's true log p_data(x): exact for the checkerboard (1/8 on its dark squares);
for the moons and the spirals, the Gaussian noise around the curve integrated along it by the midpoint rule."""
from __future__ import annotations

import numpy as np

DEFAULT_N = 10_000
MOONS_NOISE, SPIRALS_NOISE = 0.08, 0.1  # the standard deviation of the Gaussian noise around each curve


def moons(n: int | None, seed: int):
    """Two interleaving half circles with a little Gaussian noise."""
    n = DEFAULT_N if n is None else n
    rng = np.random.default_rng(seed)
    upper = rng.random(n) < 0.5
    angle = rng.random(n) * np.pi
    x = np.where(upper, np.cos(angle), 1 - np.cos(angle))
    y = np.where(upper, np.sin(angle), 0.5 - np.sin(angle))
    X = np.column_stack([x, y]) + MOONS_NOISE * rng.standard_normal((n, 2))
    return X.astype(np.float32), None


def spirals(n: int | None, seed: int):
    """Two arms of an Archimedean spiral."""
    n = DEFAULT_N if n is None else n
    rng = np.random.default_rng(seed)
    r = np.sqrt(rng.random(n)) * 3 * np.pi
    arm = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    X = arm[:, None] * np.column_stack([r * np.cos(r), r * np.sin(r)]) / 3
    X += SPIRALS_NOISE * rng.standard_normal((n, 2))
    return X.astype(np.float32), None


def checkerboard(n: int | None, seed: int):
    """Uniform over the dark squares of a 4x4 board on [-2, 2]^2."""
    n = DEFAULT_N if n is None else n
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, n)
    y = rng.uniform(0, 1, n) + rng.integers(0, 2, n) * 2 - 2  # one of two unit rows within each pair
    y += np.floor(x) % 2  # shift so that the squares alternate
    return np.column_stack([x, y]).astype(np.float32), None


def _moons_curve(u: np.ndarray) -> np.ndarray:
    """Points of the noiseless moons at u in [0, 1): the upper arc, then the lower one, each with half the mass
    and the angle uniform along it, as `moons` draws them."""
    angle = np.pi * np.concatenate([u, u])
    upper = np.column_stack([np.cos(angle), np.sin(angle)])[: len(u)]
    lower = np.column_stack([1 - np.cos(angle), 0.5 - np.sin(angle)])[len(u):]
    return np.vstack([upper, lower])


def _spirals_curve(u: np.ndarray) -> np.ndarray:
    """Points of the noiseless spirals at u in [0, 1) (r = sqrt(u) 3π, as `spirals` draws them), both arms."""
    r = np.sqrt(u) * 3 * np.pi
    arm = np.column_stack([r * np.cos(r), r * np.sin(r)]) / 3
    return np.vstack([arm, -arm])


def log_density(name: str, X: np.ndarray, nodes: int = 2048) -> np.ndarray:
    """The true log p_data(x) of toy `name` at the rows of X (nats; -inf where it is 0)."""
    X = np.asarray(X, dtype=np.float64).reshape(-1, 2)
    if name == "checkerboard":
        on = (np.abs(X[:, 0]) <= 2) & (np.abs(X[:, 1]) <= 2) & \
             ((np.floor(X[:, 0]) + np.floor(X[:, 1])) % 2 == 0)  # the dark squares: (0, 0), (-2, -2), ...
        return np.where(on, -np.log(8.0), -np.inf)
    curves = {"moons": (_moons_curve, MOONS_NOISE), "spirals": (_spirals_curve, SPIRALS_NOISE)}
    if name not in curves:
        raise ValueError(f"no true density for {name!r}; the toys are {sorted(curves) + ['checkerboard']}")
    curve, sigma = curves[name]
    from gdl.models.kde import gaussian_mixture_log_prob  # equal weights: the curve's mass is uniform in u

    return gaussian_mixture_log_prob(X, curve((np.arange(nodes) + 0.5) / nodes), sigma)
