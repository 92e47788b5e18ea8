"""p_data: uniform over the land, with an exact density and entropy."""
import numpy as np
import pytest

import gdl
from gdl.data import world


def test_books_check_points_new_york_is_land_and_the_pacific_point_is_sea():
    ny = world.from_lat_lon(*world.NEW_YORK)
    sea = world.from_lat_lon(*world.PACIFIC)
    assert world.is_land(ny)[0]
    assert not world.is_land(sea)[0]
    assert world.log_prob(ny)[0] == pytest.approx(-np.log(world.area()))
    assert world.log_prob(sea)[0] == -np.inf


def test_world_samples_all_lie_on_land_within_the_map():
    X = gdl.data.load("world", n=5000, seed=3)
    assert X.shape == (5000, 2) and X.dtype == np.float32
    assert world.is_land(X).all()
    assert (np.abs(X[:, 0]) <= 180).all() and (np.abs(X[:, 1]) <= 90).all()


def test_world_samples_are_repeatable_by_seed_and_differ_across_seeds():
    a, b, c = (gdl.data.load("world", n=100, seed=s) for s in (1, 1, 2))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_log_prob_integrates_to_one_over_the_map():
    # A midpoint rule on a grid finer than the mask's cells.
    step = 0.05
    lon = np.arange(-180 + step / 2, 180, step)
    lats = np.arange(-90 + step / 2, 90, step)
    total = 0.0
    for chunk in np.array_split(lats, 40):
        glon, glat = np.meshgrid(lon, chunk)
        total += np.exp(world.log_prob(np.column_stack([glon.ravel(), glat.ravel()]))).sum() * step * step
    assert total == pytest.approx(1.0, abs=2e-3)


def test_samples_are_uniform_over_land_not_over_latitude_bands():
    # The share of samples in a region equals the region's share of the land area.
    X = gdl.data.load("world", n=200_000, seed=0)
    land, cell = world.mask()
    rows_south = int(round((-60 + 90) / cell))  # everything south of 60 S: Antarctica
    share_true = land[:rows_south].sum() / land.sum()
    share_sampled = np.mean(X[:, 1] < -60)
    assert share_sampled == pytest.approx(share_true, abs=4 * np.sqrt(share_true * (1 - share_true) / len(X)))


def test_entropy_is_log_of_the_land_area_and_is_close_to_the_full_resolution_value():
    assert world.entropy() == pytest.approx(np.log(world.area()))
    # scripts/make_land_mask.py measured 21,497.8 deg^2 at full (30 arc-second) resolution.
    assert world.area() == pytest.approx(21_497.8, rel=0.005)


def test_points_off_the_map_or_not_finite_have_zero_density():
    X = np.array([[200.0, 0.0], [0.0, -95.0], [np.nan, 10.0]])
    assert (world.log_prob(X) == -np.inf).all()


@pytest.mark.parametrize("text, message", [
    ("200, 10", "Latitude must lie between -90 and 90"),
    ("10, 190", "Longitude must lie between -180 and 180"),
    ("abc, 10", "is not two numbers"),
    ("40.7", "Type two numbers"),
    ("", "Type two numbers"),
    ("ᛗ" * 10_000, "Type two numbers"),
    ("40,7, -73,9", "Write decimals with a point, not a comma"),  # a European keyboard's decimals
])
def test_typed_points_out_of_range_or_not_numbers_get_a_clear_message(text, message):
    with pytest.raises(ValueError, match=message):
        world.parse_lat_lon(text)


def test_only_decimal_commas_get_the_decimal_hint():
    for text in ("1, 2, 3", "40.7, -73.9, 5", "a, b, c, d"):
        with pytest.raises(ValueError) as err:
            world.parse_lat_lon(text)
        assert "decimals" not in str(err.value)


def test_typed_points_in_the_books_order_become_longitude_latitude_rows():
    lat, lon = world.parse_lat_lon("40.7306, -73.9352")
    np.testing.assert_allclose(world.from_lat_lon(lat, lon), [[-73.9352, 40.7306]], rtol=1e-6)


def test_unknown_dataset_name_fails_loudly():
    with pytest.raises(ValueError, match="unknown dataset"):
        gdl.data.load("mars", n=10)
    with pytest.raises(ValueError, match="positive"):
        gdl.data.load("world", n=0)


@pytest.mark.parametrize("text, words", [("1e400, 0", "too large"), ("0, -inf", "too large"),
                                         ("nan, 0", "must be numbers")])
def test_a_typed_point_out_of_every_range_says_so(text, words):
    """'1e400' is a number, just too large: the message says so instead of 'must be numbers'."""
    with pytest.raises(ValueError, match=words):
        world.parse_lat_lon(text)
