"""The uniform box: its maximum-likelihood estimate and likelihood have closed forms."""
import numpy as np
import pytest

import gdl
from gdl.models.box import box_log_likelihood, mle_box


@pytest.fixture
def X():
    return gdl.data.load("world", n=500, seed=7)


def test_mle_box_is_smallest_rectangle_containing_all_points(X):
    m = gdl.models.create("box").fit(X)
    np.testing.assert_allclose(m.theta_, [X[:, 0].min(), X[:, 1].min(), X[:, 0].max(), X[:, 1].max()])
    np.testing.assert_allclose(mle_box(X), m.theta_)
    # Any smaller box loses a point: shrinking any edge by a hair gives log-likelihood -inf.
    for k, sign in zip(range(4), (1, 1, -1, -1)):
        theta = m.theta_.astype(float).copy()
        theta[k] += sign * 1e-3
        assert box_log_likelihood(theta, X) == -np.inf


def test_box_log_likelihood_is_minus_n_log_area_when_every_point_is_inside(X):
    theta = np.array([-180.0, -90.0, 180.0, 90.0])
    assert box_log_likelihood(theta, X) == pytest.approx(-len(X) * np.log(360 * 180))
    m = gdl.models.create("box").fit(X)
    area = np.prod(m.high_ - m.low_)
    assert box_log_likelihood(m.theta_, X) == pytest.approx(-len(X) * np.log(area))
    assert m.log_prob(X).sum() == pytest.approx(-len(X) * np.log(area))


def test_box_that_misses_one_point_has_log_likelihood_minus_infinity(X):
    theta = np.array([-180.0, -90.0, 180.0, 90.0])
    X_out = np.vstack([X, [[0.0, 95.0]]])
    assert box_log_likelihood(theta, X_out) == -np.inf


def test_mle_box_beats_every_larger_box_that_holds_the_points(X):
    mle = mle_box(X)
    best = box_log_likelihood(mle, X)
    rng = np.random.default_rng(0)
    for _ in range(50):
        grow = rng.random(4) * 5
        theta = mle + np.array([-grow[0], -grow[1], grow[2], grow[3]])
        assert box_log_likelihood(theta, X) < best


def test_inverted_box_has_log_likelihood_minus_infinity(X):
    assert box_log_likelihood([10, 10, -10, 20], X) == -np.inf


def test_box_samples_lie_inside_and_fill_it_uniformly(X):
    m = gdl.models.create("box").fit(X)
    S = m.sample(20_000, seed=1)
    assert S.shape == (20_000, 2)
    assert np.isfinite(m.log_prob(S)).all()
    # Uniform: each coordinate's mean is the box's centre, its variance width^2 / 12.
    centre, width = (m.low_ + m.high_) / 2, m.high_ - m.low_
    np.testing.assert_allclose(S.mean(axis=0), centre, atol=0.02 * width.max())
    np.testing.assert_allclose(S.var(axis=0), width**2 / 12, rtol=0.05)
    np.testing.assert_array_equal(m.sample(10, seed=3), m.sample(10, seed=3))


def test_held_out_points_outside_the_mle_box_get_minus_infinity():
    train = gdl.data.load("world", n=20, seed=0)
    test = gdl.data.load("world", n=5000, seed=1)
    m = gdl.models.create("box").fit(train)
    lp = m.log_prob(test)
    outside = ~np.all((test >= m.low_) & (test <= m.high_), axis=1)
    assert outside.any()
    assert np.all(lp[outside] == -np.inf) and np.all(np.isfinite(lp[~outside]))


def test_the_east_edge_profile_shows_its_finite_stretch_not_a_sliver_of_it(X):
    """log L along θ3: −∞ until the box holds the easternmost point, then −n log(area), falling as the box widens.
    With θ1 far west, the finite stretch is the last few degrees: the profile starts near it, so it fills at least
    a third of the chart, and the drop to −∞ is still in view (though θ3 itself is off to the left)."""
    from gdl.models.box import east_edge_profile

    low, high = mle_box(X)[:2], mle_box(X)[2:]
    theta = (-179.0, low[1], 0.0, high[1])  # the east edge well inside the points: log L = -inf there
    east, values = east_edge_profile(theta, X)
    finite = np.isfinite(values)
    assert not finite[0] and finite[-1] and (east[finite].min() - high[0]) < 0.5  # finite from the last point on
    assert 1 / 3 < finite.mean() < 0.9  # the stretch fills the chart, and the drop to -inf is in view
    e = east[finite][-1]
    assert values[finite][-1] == pytest.approx(-len(X) * np.log((e - theta[0]) * (high[1] - low[1])))


def test_the_east_edge_profile_is_the_log_likelihood_of_each_box_along_it():
    """The profile is computed for all east edges at once: it must agree with box_log_likelihood box by box,
    for boxes that hold every point, boxes that lose points at another edge, and edges west of θ1."""
    from gdl.models.box import east_edge_profile

    rng = np.random.default_rng(3)
    X = rng.uniform([-60, -30], [60, 30], size=(40, 2))
    for theta in [(-61, -31, 0, 31), (-50, -31, 70, 31), (-61, -20, 100, 31), (-61, -31, 65, 10), (170, -31, 175, 31)]:
        east, values = east_edge_profile(theta, X)
        expected = [box_log_likelihood((theta[0], theta[1], e, theta[3]), X) for e in east]
        np.testing.assert_allclose(values, expected, rtol=1e-12)


def test_the_profile_peaks_at_the_easternmost_point_even_when_it_is_close_to_180():
    """With 500 points the MLE's east edge sits within a degree of 180°, closer than the first pass's grid step:
    the profile must still show the drop to -inf and peak exactly at the MLE's east edge, at the MLE's log L."""
    from gdl.models.box import east_edge_profile

    X = gdl.data.load("world", n=500, seed=0)
    mle = mle_box(X)
    assert 179.0 < mle[2] < 180.0
    east, values = east_edge_profile(mle, X)
    finite = np.isfinite(values)
    assert not finite[0] and finite.any()  # the drop is in view
    peak = int(np.argmax(np.where(finite, values, -np.inf)))
    assert east[peak] == mle[2] and values[peak] == pytest.approx(box_log_likelihood(mle, X))
    assert east[0] < mle[2] - 0.5  # and some of the -inf stretch before it
