"""A 2-D histogram density: split the data's bounding rectangle into bins, and let each bin's density be its
share of the points over its area. Empty bins get density 0 (log -inf) unless `pseudocount` smooths them."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gdl.models.base import GenerativeModel, as_points


@dataclass
class HistogramConfig:
    bins: int = 60  # bins along each axis
    pseudocount: float = 0.0  # added to every bin's count; > 0 removes the -inf of empty bins
    bounds: tuple | None = None  # (x_min, y_min, x_max, y_max) to bin over; None = the data's bounding box


class Histogram(GenerativeModel):
    name = "histogram"
    log_prob_kind = "exact"
    Config = HistogramConfig
    fitted_arrays = ("x_edges_", "y_edges_", "prob_")

    def fit(self, X, **_):
        X = as_points(X)
        if X.shape[1] != 2:
            raise ValueError("the histogram family handles 2-D points only")
        if self.config.bounds is None:
            low, high = X.min(axis=0), X.max(axis=0)
        else:
            low, high = np.asarray(self.config.bounds[:2], float), np.asarray(self.config.bounds[2:], float)
        high = np.where(high > low, high, low + 1e-9)
        self.x_edges_, self.y_edges_ = (np.linspace(low[k], high[k], self.config.bins + 1) for k in range(2))
        counts, _, _ = np.histogram2d(X[:, 0], X[:, 1], bins=[self.x_edges_, self.y_edges_])
        counts += self.config.pseudocount
        self.prob_ = counts / counts.sum()  # (bins, bins) probability per bin
        self._restore()
        return self

    def _restore(self):
        self.edges_ = [self.x_edges_, self.y_edges_]
        cell_area = (self.x_edges_[1] - self.x_edges_[0]) * (self.y_edges_[1] - self.y_edges_[0])
        self.density_ = self.prob_ / cell_area

    def _bin(self, X):
        idx, inside = [], np.ones(len(X), dtype=bool)
        for k, e in enumerate(self.edges_):
            inside &= (X[:, k] >= e[0]) & (X[:, k] <= e[-1])
            idx.append(np.clip(np.searchsorted(e, X[:, k], side="right") - 1, 0, len(e) - 2))
        return idx, inside

    def log_prob(self, X):
        X = np.asarray(X, dtype=np.float64)
        (i, j), inside = self._bin(X)
        with np.errstate(divide="ignore"):
            return np.where(inside, np.log(self.density_[i, j]), -np.inf)

    def sample(self, n, seed=None):
        rng = np.random.default_rng(seed)
        flat = rng.choice(self.prob_.size, size=n, p=self.prob_.ravel())
        i, j = np.unravel_index(flat, self.prob_.shape)
        ex, ey = self.edges_
        x = ex[i] + rng.random(n) * (ex[1] - ex[0])
        y = ey[j] + rng.random(n) * (ey[1] - ey[0])
        return np.column_stack([x, y]).astype(np.float32)
