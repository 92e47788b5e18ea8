"""Kernel density estimation: a Gaussian bump of width h on every training point,
p(x) = 1/n sum_i N(x | x_i, h^2 I). It memorises the data; h trades detail against noise.

log p is summed exactly, as a log-sum-exp over every kept training point. scikit-learn's tree-based
`KernelDensity.score_samples` is not used: far from the data its bounds break down (on the world map, with
h = 0.2, 2,735 of 16,200 grid cells were more than 1 nat off, some by 60,000), which drew false bands of
density across the oceans."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gdl.models.base import GenerativeModel, as_points

_CHUNK_ENTRIES = 2_000_000  # query points x training points per pass: 16 MB per array, a few alive at once


def gaussian_mixture_log_prob(X, centres, h: float) -> np.ndarray:
    """log p(x) at the rows of X for p = 1/n sum_i N(x | centres_i, h^2 I): the KDE's density, and the 2-D toys'
    true one (their noise around the curve), summed exactly."""
    X = np.asarray(X, dtype=np.float64)
    P = np.asarray(centres, dtype=np.float64)
    n, d = P.shape
    scaled = P / h
    p_sq = (scaled ** 2).sum(axis=1)  # (n,)
    norm = math.log(n) + 0.5 * d * math.log(2 * math.pi * h * h)
    out = np.empty(len(X))
    step = max(1, _CHUNK_ENTRIES // n)
    for start in range(0, len(X), step):
        q = X[start:start + step] / h  # (b, d)
        # squared distances in units of h, |q|^2 + |p|^2 - 2 q.p, never below 0 by rounding
        d2 = np.maximum((q ** 2).sum(axis=1)[:, None] + p_sq[None, :] - 2.0 * q @ scaled.T, 0.0)  # (b, n)
        e = np.multiply(d2, -0.5, out=d2)  # each kernel's exponent, in place
        top = e.max(axis=1)  # the nearest kernel's: subtracting it keeps exp in range, and that term is 1
        e -= top[:, None]
        # terms below e^-80 of the nearest one cannot move the sum (n e^-80 < 2e-29 for n up to a million):
        # raising them to e^-80 spares exp the slow underflowing arguments far from the data
        np.maximum(e, -80.0, out=e)
        out[start:start + step] = top + np.log(np.exp(e, out=e).sum(axis=1)) - norm
    return out


@dataclass
class KDEConfig:
    bandwidth: float | None = None  # kernel width h in data units; None = Scott's rule n^(-1/(d+4)) * std
    max_points: int = 20_000  # keep at most this many training points (a random subset beyond), so that log_prob
    # stays fast: every point the World map page (N up to 20,000) and the benchmark (10,000) give it


class KernelDensity(GenerativeModel):
    name = "kde"
    log_prob_kind = "exact"
    Config = KDEConfig
    fitted_arrays = ("points_", "bandwidth_")

    def fit(self, X, **_):
        X = as_points(X)
        if len(X) > self.config.max_points:
            X = X[np.random.default_rng(0).choice(len(X), self.config.max_points, replace=False)]
        n, d = X.shape
        h = self.config.bandwidth
        if h is None:
            h = float(np.mean(X.std(axis=0)) * n ** (-1.0 / (d + 4))) or 1.0
        self.points_, self.bandwidth_ = X, np.float64(h)
        return self

    def log_prob(self, X):
        return gaussian_mixture_log_prob(X, self.points_, float(self.bandwidth_))

    def sample(self, n, seed=None):
        """Pick training points uniformly and add Gaussian noise of width h."""
        rng = np.random.default_rng(seed)
        centres = self.points_[rng.integers(len(self.points_), size=n)]
        return (centres + rng.normal(scale=float(self.bandwidth_), size=centres.shape)).astype(np.float32)
