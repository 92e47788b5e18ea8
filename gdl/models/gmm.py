"""A Gaussian mixture: p(x) = sum_k pi_k N(x | mu_k, Sigma_k), fitted by EM (scikit-learn)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gdl.models.base import GenerativeModel, as_points


@dataclass
class GMMConfig:
    n_components: int = 20  # how many Gaussians
    covariance_type: str = "full"  # "full", "diag", "tied" or "spherical"
    max_iter: int = 200  # EM iterations at most
    seed: int = 0  # initialisation


class GaussianMixture(GenerativeModel):
    name = "gmm"
    log_prob_kind = "exact"
    Config = GMMConfig
    fitted_arrays = ("weights_", "means_", "covariances_")

    def fit(self, X, **_):
        from sklearn.mixture import GaussianMixture as SkGMM

        X = as_points(X)
        c = self.config
        self.model_ = SkGMM(n_components=min(c.n_components, len(X)), covariance_type=c.covariance_type,
                            max_iter=c.max_iter, random_state=c.seed, reg_covar=1e-4).fit(X)
        self.weights_, self.means_, self.covariances_ = (self.model_.weights_, self.model_.means_,
                                                         self.model_.covariances_)
        return self

    def _restore(self):
        from sklearn.mixture import GaussianMixture as SkGMM
        from sklearn.mixture._gaussian_mixture import _compute_precision_cholesky

        c = self.config
        self.model_ = SkGMM(n_components=len(self.weights_), covariance_type=c.covariance_type)
        self.model_.weights_, self.model_.means_, self.model_.covariances_ = (
            self.weights_, self.means_, self.covariances_)
        self.model_.precisions_cholesky_ = _compute_precision_cholesky(self.covariances_, c.covariance_type)

    def log_prob(self, X):
        return self.model_.score_samples(np.asarray(X, dtype=np.float64))

    def sample(self, n, seed=None):
        # scikit-learn's sampler draws from its own state; reseed it for repeatable samples.
        self.model_.random_state = seed
        X, _ = self.model_.sample(n)
        return np.random.default_rng(seed).permutation(X).astype(np.float32)
