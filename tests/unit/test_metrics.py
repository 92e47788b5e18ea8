"""The shared measurements on cases with known answers."""
import numpy as np
import pytest

from gdl.metrics import coverage, held_out_nll, precision_on_land


def test_coverage_counts_held_out_points_within_the_radius_of_a_sample_edges_included():
    samples = np.array([[0.0, 0.0], [100.0, 0.0]])
    held_out = np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 0.0], [100.0, -1.5], [50.0, 50.0]])
    assert coverage(held_out, samples, radius=2.0) == pytest.approx(3 / 5)  # 1, 2 (on the edge) and 1.5 away
    assert coverage(held_out, samples, radius=0.5) == 0.0
    assert coverage(held_out, samples, radius=100.0) == 1.0


def test_held_out_nll_is_minus_the_mean_and_infinite_once_a_point_is_impossible():
    assert held_out_nll(np.array([-1.0, -3.0])) == pytest.approx(2.0)
    assert held_out_nll(np.array([-1.0, -np.inf])) == np.inf


def test_precision_on_land_counts_the_book_points():
    new_york, pacific = [-73.9352, 40.7306], [142.1996, 11.3493]  # (longitude, latitude)
    assert precision_on_land(np.array([new_york, pacific, new_york, new_york])) == pytest.approx(0.75)


def test_precision_near_counts_samples_within_the_radius_of_a_held_out_point():
    from gdl.metrics import precision_near

    held_out = np.array([[0.0, 0.0], [5.0, 5.0]])
    samples = np.array([[0.05, 0.0], [0.0, 0.1], [0.2, 0.0], [5.0, 4.8]])  # in, on the edge, out, out
    assert precision_near(held_out, samples, radius=0.1) == 0.5
