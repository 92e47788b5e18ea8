"""The biscuit-tins dataset: two true factors, height and width, and nothing else."""
import math

import numpy as np
import pytest

import gdl
from gdl.data import tins


def nonzero_rows_and_columns(image):
    rows = np.flatnonzero(image.any(axis=1))
    cols = np.flatnonzero(image.any(axis=0))
    return rows, cols


@pytest.mark.parametrize("height, width", [(8, 8), (12, 20), (20, 13), (28, 28), (17, 9)])
def test_bounding_box_of_a_whole_pixel_tin_matches_its_height_and_width_within_one_pixel(height, width):
    rows, cols = nonzero_rows_and_columns(tins.render(height, width))
    assert abs(len(rows) - height) <= 1 and abs(len(cols) - width) <= 1
    # the rows and columns are contiguous: one solid tin, no stray pixels
    assert np.array_equal(rows, np.arange(rows[0], rows[-1] + 1))
    assert np.array_equal(cols, np.arange(cols[0], cols[-1] + 1))


@pytest.mark.parametrize("height, width", [(8.3, 10.7), (13.9, 21.25), (26.6, 9.4), (27.99, 27.99)])
def test_bounding_box_follows_the_closed_form_edges_for_fractional_sizes(height, width):
    # the tin covers rows [30 - h, 30] and columns [16 - w/2, 16 + w/2]; pixel i covers [i, i + 1)
    rows, cols = nonzero_rows_and_columns(tins.render(height, width))
    assert rows[0] == math.floor(tins.FLOOR - height) and rows[-1] == int(tins.FLOOR) - 1
    assert cols[0] == math.floor(tins.CENTRE - width / 2)
    assert cols[-1] == math.ceil(tins.CENTRE + width / 2) - 1


def test_edges_are_anti_aliased_so_the_factors_are_continuous():
    # the bottom row of the body outside the glint has grey BODY; its sum over columns grows linearly with width
    def row_mass(width):
        return tins.render(20, width)[int(tins.FLOOR) - 1].sum()

    base = row_mass(10.0)
    for step in (0.1, 0.25, 0.6):
        assert row_mass(10.0 + step) - base == pytest.approx(tins.BODY * step + tins.HIGHLIGHT * 0.15 * step, abs=1e-5)
    # a column through the tin's middle: the lid, seam and body add up to a closed-form total
    h = 15.3
    column = tins.render(h, 20)[:, 16]
    expected = h * (tins.BODY + tins.LID * 0.2 + tins.LID_LINE * 0.06)
    assert column.sum() == pytest.approx(expected, abs=1e-4)


def test_equal_factors_give_identical_images_and_the_dataset_renders_its_own_factors():
    X, factors = tins.load(20, seed=3)
    for image, (h, w) in zip(X, factors):
        assert np.array_equal(image, tins.render(h, w))
    assert np.array_equal(tins.render(14.5, 19.25), tins.render(14.5, 19.25))


def test_changing_height_alone_changes_only_rows_and_width_alone_only_columns():
    base = tins.render(15.0, 18.0)
    taller = tins.render(19.5, 18.0)
    wider = tins.render(15.0, 23.5)
    # a different height: the same columns hold ink, and every column keeps its left-right profile shape
    assert np.array_equal(base.any(axis=0), taller.any(axis=0))
    assert not np.array_equal(base.any(axis=1), taller.any(axis=1))
    # a different width: the same rows hold ink, and the tin's vertical profile (the centre column) is unchanged
    assert np.array_equal(base.any(axis=1), wider.any(axis=1))
    assert not np.array_equal(base.any(axis=0), wider.any(axis=0))
    np.testing.assert_array_equal(base[:, 16], wider[:, 16])
    # height leaves the bottom row (all body and glint) exactly as it was
    np.testing.assert_array_equal(base[int(tins.FLOOR) - 1], taller[int(tins.FLOOR) - 1])


def test_load_returns_float32_images_in_unit_range_with_uniform_factors():
    X, factors = gdl.data.load("tins", n=400, seed=0, with_targets=True)
    assert X.shape == (400, *tins.IMAGE_SHAPE) and X.dtype == np.float32
    assert factors.shape == (400, 2) and factors.dtype == np.float32
    assert X.min() >= 0.0 and X.max() <= 1.0
    for column, (lo, hi) in zip(factors.T, (tins.HEIGHT_RANGE, tins.WIDTH_RANGE)):
        assert lo <= column.min() and column.max() <= hi
        assert column.std() > 0.25 * (hi - lo)  # spread like a uniform (std = 0.29 of the range), not clumped
    assert abs(np.corrcoef(factors.T)[0, 1]) < 0.15  # drawn independently
    assert len(gdl.data.load("tins", seed=0)) == tins.DEFAULT_N
    np.testing.assert_array_equal(gdl.data.load("tins", n=5, seed=7), gdl.data.load("tins", n=5, seed=7))


def test_render_refuses_a_tin_that_does_not_fit():
    with pytest.raises(ValueError):
        tins.render(0, 10)
    with pytest.raises(ValueError):
        tins.render(10, 40)
