"""The uniform box: the book's first p_model (Hello World).

p_model is uniform over an axis-aligned box with corners theta = (theta1, theta2) (bottom-left: longitude,
latitude) and (theta3, theta4) (top-right). Its log-likelihood given n points is

    log L(theta | X) = -n log((theta3 - theta1)(theta4 - theta2))   if every point lies in the box, else -inf,

so the likelihood grows as the box shrinks, until it would lose a point: the maximum-likelihood box is the
smallest rectangle that holds every point, i.e. the per-coordinate min and max.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gdl.models.base import GenerativeModel, as_points


@dataclass
class BoxConfig:
    pass  # the box has no settings: its parameters are all learned


def box_area(low, high) -> float:
    """The volume of the box [low, high]; 0 when it is degenerate or inverted."""
    return float(np.prod(np.clip(np.asarray(high, float) - np.asarray(low, float), 0, None)))


def in_box(X: np.ndarray, low, high) -> np.ndarray:
    """Boolean (n,): whether each row of X lies in the closed box [low, high]."""
    X = np.asarray(X, dtype=np.float64)
    return np.all((X >= np.asarray(low)) & (X <= np.asarray(high)), axis=1)


def box_log_likelihood(theta, X: np.ndarray) -> float:
    """log L(theta | X) for theta = (theta1, theta2, theta3, theta4) = (x_min, y_min, x_max, y_max).

    -n log(area) when the box holds every point, -inf otherwise (also for an empty or inverted box).
    A zero-area box that holds every point (all points identical in a coordinate) has likelihood +inf.
    """
    theta = np.asarray(theta, dtype=np.float64)
    low, high = theta[:2], theta[2:]
    X = np.asarray(X, dtype=np.float64).reshape(-1, 2)
    if np.any(high < low) or not np.all(in_box(X, low, high)):
        return -np.inf
    area = box_area(low, high)
    with np.errstate(divide="ignore"):
        return float(-len(X) * np.log(area))


def east_edge_profile(theta, X: np.ndarray, points: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """log L as the east edge θ3 moves, the other three held: (east edges, log L at each). Where a point falls
    outside the box, log L = −∞. The edges run from just east of θ1 to 180°; when the likelihood is 0 at first,
    they start a little before its finite stretch, so that the stretch where the curve lives is not squeezed
    into a sliver at the right (θ3 itself may then lie left of the range), and they include the easternmost
    point's longitude, where the curve peaks."""
    west, south, _, north = np.asarray(theta, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64).reshape(-1, 2)
    rest_hold = north >= south and bool(np.all((X[:, 0] >= west) & (X[:, 1] >= south) & (X[:, 1] <= north)))
    easternmost = X[:, 0].max() if len(X) else -np.inf
    east = np.linspace(west + 0.5, 180.0, points)
    if rest_hold and east[0] < easternmost <= 180.0:  # log L = -inf at first, finite from the easternmost point on
        start = max(east[0], easternmost - max(0.25, 180.0 - easternmost))  # as much of the drop as of the curve
        east = np.union1d(np.linspace(start, 180.0, points), [easternmost])  # the peak itself, exactly
    # box_log_likelihood at every east edge at once
    holds = rest_hold & (east >= west) & (east >= easternmost)
    with np.errstate(divide="ignore"):
        values = -len(X) * np.log(np.clip(east - west, 0, None) * (north - south))
    return east, np.where(holds, values, -np.inf)


def mle_box(X: np.ndarray) -> np.ndarray:
    """The maximum-likelihood box theta = (x_min, y_min, x_max, y_max): the smallest rectangle holding X."""
    X = as_points(X)
    return np.concatenate([X.min(axis=0), X.max(axis=0)])


class UniformBox(GenerativeModel):
    """Uniform density over the smallest box holding the training points."""

    name = "box"
    log_prob_kind = "exact"
    Config = BoxConfig
    fitted_arrays = ("low_", "high_")

    def fit(self, X, **_):
        X = as_points(X)
        self.low_, self.high_ = X.min(axis=0), X.max(axis=0)
        return self

    @property
    def area_(self) -> float:
        return box_area(self.low_, self.high_)

    @property
    def theta_(self) -> np.ndarray:
        """(theta1, theta2, theta3, theta4) = (x_min, y_min, x_max, y_max) for 2-D data."""
        return np.concatenate([self.low_, self.high_])

    def log_prob(self, X):
        X = np.asarray(X, dtype=np.float64)
        with np.errstate(divide="ignore"):
            inside_value = -np.log(self.area_)
        return np.where(in_box(X, self.low_, self.high_), inside_value, -np.inf)

    def sample(self, n, seed=None):
        rng = np.random.default_rng(seed)
        return (self.low_ + rng.random((n, len(self.low_))) * (self.high_ - self.low_)).astype(np.float32)
