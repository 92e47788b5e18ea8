"""Kernel density estimation: a Gaussian bump of width h on every training point,
p(x) = 1/n sum_i N(x | x_i, h^2 I). It memorises the data; h trades detail against noise."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gdl.models.base import GenerativeModel, as_points


@dataclass
class KDEConfig:
    bandwidth: float | None = None  # kernel width h in data units; None = Scott's rule n^(-1/(d+4)) * std
    max_points: int = 5000  # keep at most this many training points, so that log_prob stays fast


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
        self._restore()
        return self

    def _restore(self):
        from sklearn.neighbors import KernelDensity as SkKDE

        self.model_ = SkKDE(bandwidth=float(self.bandwidth_), kernel="gaussian").fit(self.points_)

    def log_prob(self, X):
        return self.model_.score_samples(np.asarray(X, dtype=np.float64))

    def sample(self, n, seed=None):
        return self.model_.sample(n, random_state=seed).astype(np.float32)
