"""A single multivariate Gaussian, fitted by maximum likelihood (the sample mean and covariance).

    log N(x | mu, Sigma) = -1/2 [ d log(2 pi) + log det Sigma + (x - mu)^T Sigma^-1 (x - mu) ]

The simplest smooth density: it puts mass everywhere, so it never gives -inf, but one ellipse cannot
follow the shape of continents.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gdl.models.base import GenerativeModel, as_points


@dataclass
class GaussianConfig:
    ridge: float = 1e-6  # added to the covariance's diagonal, relative to its scale, so that it stays invertible


class Gaussian(GenerativeModel):
    name = "gaussian"
    log_prob_kind = "exact"
    Config = GaussianConfig
    fitted_arrays = ("mean_", "cov_")

    def fit(self, X, **_):
        X = as_points(X)
        self.mean_ = X.mean(axis=0)
        cov = np.atleast_2d(np.cov(X, rowvar=False, bias=True))
        cov += self.config.ridge * (np.trace(cov) / len(cov) + 1e-12) * np.eye(len(cov))
        self.cov_ = cov
        self._restore()
        return self

    def _restore(self):
        self._chol = np.linalg.cholesky(self.cov_)

    def log_prob(self, X):
        X = np.asarray(X, dtype=np.float64)
        z = np.linalg.solve(self._chol, (X - self.mean_).T)  # (d, n) whitened
        log_det = 2 * np.log(np.diag(self._chol)).sum()
        d = len(self.mean_)
        return -0.5 * (d * np.log(2 * np.pi) + log_det + (z**2).sum(axis=0))

    def sample(self, n, seed=None):
        rng = np.random.default_rng(seed)
        return (self.mean_ + rng.standard_normal((n, len(self.mean_))) @ self._chol.T).astype(np.float32)
