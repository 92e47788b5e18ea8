"""The classical families beside the box: closed forms and densities that integrate to one."""
import io

import numpy as np
import pytest

import gdl
from gdl import checkpoints


@pytest.fixture(scope="module")
def X():
    return gdl.data.load("world", n=2000, seed=0)


def _grid_integral(model, lo=(-200.0, -110.0), hi=(200.0, 110.0), step=0.5):
    xs = np.arange(lo[0] + step / 2, hi[0], step)
    ys = np.arange(lo[1] + step / 2, hi[1], step)
    gx, gy = np.meshgrid(xs, ys)
    return np.exp(model.log_prob(np.column_stack([gx.ravel(), gy.ravel()]))).sum() * step * step


def test_gaussian_is_fitted_by_the_sample_mean_and_covariance(X):
    m = gdl.models.create("gaussian").fit(X)
    np.testing.assert_allclose(m.mean_, X.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(m.cov_, np.cov(X.astype(float), rowvar=False, bias=True), rtol=1e-4)
    from scipy.stats import multivariate_normal

    np.testing.assert_allclose(m.log_prob(X[:50]), multivariate_normal(m.mean_, m.cov_).logpdf(X[:50]), rtol=1e-8)


@pytest.mark.parametrize("family, config", [("gaussian", {}), ("gmm", {"n_components": 5}),
                                            ("kde", {"bandwidth": 3.0}), ("histogram", {"bins": 30})])
def test_classical_densities_integrate_to_one(X, family, config):
    m = gdl.models.create(family, **config).fit(X)
    # The single Gaussian's tails reach far past the map; the others keep their mass near the data.
    extent = dict(lo=(-600.0, -400.0), hi=(600.0, 400.0), step=1.0) if family == "gaussian" else {}
    assert _grid_integral(m, **extent) == pytest.approx(1.0, abs=0.02)


def test_histogram_density_is_bin_share_over_bin_area(X):
    m = gdl.models.create("histogram", bins=10).fit(X)
    counts, xe, ye = np.histogram2d(X[:, 0], X[:, 1], bins=[m.x_edges_, m.y_edges_])
    area = (xe[1] - xe[0]) * (ye[1] - ye[0])
    i, j = np.unravel_index(np.argmax(counts), counts.shape)
    centre = np.array([[(xe[i] + xe[i + 1]) / 2, (ye[j] + ye[j + 1]) / 2]])
    assert np.exp(m.log_prob(centre)[0]) == pytest.approx(counts[i, j] / len(X) / area)
    empty = np.argwhere(counts == 0)
    if len(empty):
        i, j = empty[0]
        assert m.log_prob(np.array([[(xe[i] + xe[i + 1]) / 2, (ye[j] + ye[j + 1]) / 2]]))[0] == -np.inf


@pytest.mark.parametrize("family", ["box", "gaussian", "gmm", "kde", "histogram"])
def test_classical_checkpoints_reload_to_the_same_density_and_samples(X, family):
    m = gdl.models.create(family).fit(X)
    buffer = io.BytesIO()
    checkpoints.save(m, buffer)
    m2 = checkpoints.load(buffer.getvalue())
    np.testing.assert_allclose(m.log_prob(X[:100]), m2.log_prob(X[:100]))
    np.testing.assert_allclose(m.sample(20, seed=4), m2.sample(20, seed=4))


def test_unknown_family_and_unknown_setting_fail_loudly():
    with pytest.raises(ValueError, match="unknown model family"):
        gdl.models.create("crystal_ball")
    with pytest.raises(ValueError, match="unknown config field"):
        gdl.models.create("gmm", n_clusters=3)
