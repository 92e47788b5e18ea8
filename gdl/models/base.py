"""The interface every family shares, in the scikit-learn manner: constructor arguments are only stored
(in a config dataclass), `fit` returns self, learned state ends in `_`, `log_prob` has shape (n,)."""
from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np


class GenerativeModel:
    """What every family provides. Arrays in and out are NumPy on the CPU.

    Attributes:
        name: the family's registry name.
        log_prob_kind: "exact", "lower_bound" (e.g. a VAE's ELBO) or "none".
        config: the family's config dataclass instance.
    """

    name: ClassVar[str] = ""
    log_prob_kind: ClassVar[str] = "exact"
    Config: ClassVar[type] = None  # each family sets its dataclass

    def __init__(self, **overrides):
        valid = {f.name for f in dataclasses.fields(self.Config)}
        unknown = set(overrides) - valid
        if unknown:
            raise ValueError(f"{self.name}: unknown config field(s) {sorted(unknown)}; valid: {sorted(valid)}")
        self.config = self.Config(**overrides)

    def fit(self, X: np.ndarray, **kwargs) -> "GenerativeModel":
        """Fit to observations X (n, d). Returns self."""
        raise NotImplementedError

    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """n new observations, shaped like the training data's rows."""
        raise NotImplementedError

    def log_prob(self, X: np.ndarray) -> np.ndarray:
        """log p_model(x) in nats for each row of X, shape (n,); -inf allowed. Raises NotImplementedError for
        families without a density (log_prob_kind == "none")."""
        raise NotImplementedError(f"{self.name} defines no density")

    # ---- checkpoints: learned state as named arrays (no pickled objects) --------------------------------
    fitted_arrays: ClassVar[tuple[str, ...]] = ()  # names of the learned attributes a checkpoint stores

    def export_state(self) -> dict[str, np.ndarray]:
        """The learned state as plain arrays, for `gdl.checkpoints.save`."""
        return {k: np.asarray(getattr(self, k)) for k in self.fitted_arrays}

    def import_state(self, state: dict[str, np.ndarray], data_shape=None) -> "GenerativeModel":
        """Restore what `export_state` returned. Returns self."""
        missing = set(self.fitted_arrays) - set(state)
        if missing:
            raise ValueError(f"checkpoint for {self.name} lacks {sorted(missing)}")
        for k in self.fitted_arrays:
            setattr(self, k, np.asarray(state[k]))
        self._restore()
        return self

    def _restore(self) -> None:
        """Recompute derived state after `import_state` (families override where needed)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config})"


def as_points(X) -> np.ndarray:
    """Validate a point cloud: finite float64 (n, d) with n >= 1."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(f"expected a non-empty (n, d) array of points, got shape {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError("the points contain NaN or infinite values")
    return X
