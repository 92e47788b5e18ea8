"""The toys' true densities: the floor the Compare page measures families against."""
import numpy as np
import pytest

from gdl import data, models
from gdl.data import toys


def test_the_checkerboard_is_one_eighth_on_its_dark_squares_and_zero_elsewhere():
    X = data.load("checkerboard", n=4000, seed=3)
    np.testing.assert_allclose(toys.log_density("checkerboard", X), -np.log(8.0))  # every drawn point is on it
    light = np.array([[0.5, -0.5], [-1.5, -0.5], [1.5, 0.5], [3.0, 0.5]])  # light squares, and off the board
    assert np.isneginf(toys.log_density("checkerboard", light)).all()


@pytest.mark.parametrize("name", ["moons", "spirals"])
def test_a_curved_toys_density_integrates_to_one_and_its_quadrature_has_converged(name):
    g = np.linspace(-4.5, 4.5, 301)
    gx, gy = np.meshgrid(g, g)
    mass = np.exp(toys.log_density(name, np.column_stack([gx.ravel(), gy.ravel()]))).sum() * (g[1] - g[0]) ** 2
    assert mass == pytest.approx(1.0, abs=1e-3)
    X = data.load(name, n=500, seed=4)
    np.testing.assert_allclose(toys.log_density(name, X), toys.log_density(name, X, nodes=16384), atol=0.02)


@pytest.mark.parametrize("name", ["moons", "spirals", "checkerboard"])
def test_no_fitted_model_beats_the_true_density_on_held_out_points(name):
    train, held_out = data.load(name, n=3000, seed=5), data.load(name, n=3000, seed=6)
    kde = models.create("kde", bandwidth=0.1).fit(train)
    truth = -np.mean(toys.log_density(name, held_out))
    assert truth < -np.mean(kde.log_prob(held_out))


def test_a_dataset_without_a_true_density_says_so():
    with pytest.raises(ValueError, match="no true density"):
        toys.log_density("digits", np.zeros((1, 2)))
