"""Server-drawn map pictures: things land on the right pixels, density shading follows the values."""
import base64
import io

import numpy as np
from PIL import Image

from gdl import plots
from gdl.mapimage import MARGIN, Canvas, rgb


def test_coordinates_map_to_pixels_corner_to_corner():
    c = Canvas(px_per_degree=2.0)
    np.testing.assert_allclose(c.to_px([[-180, 90], [180, -90], [0, 0]]),
                               [[MARGIN[0], MARGIN[1]], [MARGIN[0] + 720, MARGIN[1] + 360], [MARGIN[0] + 360, MARGIN[1] + 180]])


def test_points_are_drawn_in_their_colour_where_they_are_and_nowhere_else():
    c = Canvas(px_per_degree=2.0)
    before = c.pixels.copy()
    c.points(np.array([[10.0, 20.0]]), plots.MODEL_COLOR, radius=1.5)
    x, y = np.round(c.to_px([[10.0, 20.0]])[0]).astype(int)
    assert tuple(c.pixels[y, x]) == rgb(plots.MODEL_COLOR)
    changed = np.argwhere(np.any(c.pixels != before, axis=2))
    assert len(changed) == 9 and np.abs(changed - [y, x]).max() == 1  # a 3x3 dot around the point


def test_density_leaves_impossible_cells_clear_and_shades_the_likeliest_darkest():
    xs, ys = np.linspace(-180, 180, 37), np.linspace(-90, 90, 19)
    z = np.full((len(ys), len(xs)), -np.inf)
    z[9, 18] = 0.0  # the most likely cell, at (0, 0)
    z[9, 19] = -5.0
    c = Canvas(px_per_degree=1.0)
    base = c.pixels.copy()
    c.density(xs, ys, z, label=None)
    far = np.round(c.to_px([[-150.0, 60.0]])[0]).astype(int)
    assert tuple(c.pixels[far[1], far[0]]) == tuple(base[far[1], far[0]])  # density 0: untouched
    top, second = (np.round(c.to_px([[p, 5.0]])[0]).astype(int) for p in (5.0, 15.0))
    shift = lambda p: np.abs(c.pixels[p[1], p[0]].astype(int) - base[p[1], p[0]]).sum()  # noqa: E731
    assert shift(top) > shift(second) > 0


def test_the_picture_is_a_png_data_uri_with_a_legend_band():
    c = Canvas(px_per_degree=1.0).points(np.zeros((1, 2)), label="one point")
    uri = c.png_uri()
    assert uri.startswith("data:image/png;base64,")
    img = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert img.size[0] == c.pixels.shape[1] and img.size[1] > c.pixels.shape[0]  # the legend sits below the map
    picture = np.asarray(img.convert("RGB")).astype(int)
    assert np.abs(picture[: c.pixels.shape[0]] - c.pixels).max() < 20  # the map itself (palette rounding only)
    legend = picture[c.pixels.shape[0]:]
    dot = np.argwhere(np.all(np.abs(legend - np.array(rgb(plots.DATA_COLOR))) < 40, axis=2))
    assert len(dot) > 20 and abs(dot[:, 1].min() - MARGIN[0]) <= 1  # the entry's dot in the points' colour...
    text = np.argwhere(legend.sum(axis=2) < 300)
    assert len(text) > 50 and text[:, 1].min() > dot[:, 1].max()  # ...and its label written after it
    unlabelled = Canvas(px_per_degree=1.0).points(np.zeros((1, 2))).image()
    assert unlabelled.size == (c.pixels.shape[1], c.pixels.shape[0])  # no label, no legend band


def _picture(canvas) -> np.ndarray:
    return np.asarray(canvas.image().convert("RGB")).astype(int)


def test_a_marker_at_the_top_edge_keeps_its_label_inside_the_picture():
    at = np.array([[180.0, 90.0]])  # the book's point B typed as "90, 180": the map's top-right corner
    plain, named = _picture(Canvas().markers(at)), _picture(Canvas().markers(at, labels=["B"]))
    changed = np.argwhere(np.any(plain != named, axis=2))
    assert len(changed) > 20  # the letter is drawn...
    y = Canvas().to_px(at)[0, 1]
    assert changed[:, 0].min() > y  # ...below the marker, since above it lies outside the picture


def test_points_over_lines_stay_visible_on_a_box_edge_and_plain_points_go_under_it():
    corner = np.array([[0.0, 0.0]])
    box = (0.0, 0.0, 40.0, 30.0)  # the point sits on the box's bottom-left corner
    blue = np.array(rgb(plots.DATA_COLOR))

    def blue_pixels(over: bool) -> int:
        c = Canvas(px_per_degree=2.0).box(box).points(corner, radius=3, over_lines=over)
        img = np.asarray(c.image()).astype(int)
        return int(np.all(np.abs(img - blue) < 10, axis=2).sum())

    assert blue_pixels(True) >= 20  # the whole dot (radius 3: about 29 pixels)
    assert blue_pixels(False) < blue_pixels(True)  # painted under the edge's 3-pixel line, most of it is hidden


def test_a_path_that_leaves_the_map_is_cut_at_its_frame_and_a_marker_beyond_it_is_left_out():
    color = (220, 38, 38)  # a colour that appears nowhere else in the picture
    blank = np.asarray(Canvas(px_per_degree=2.0).image().convert("RGB"))
    c = Canvas(px_per_degree=2.0).path(np.array([[0.0, 0.0], [400.0, 0.0], [400.0, 200.0]]), color)
    c.markers(np.array([[400.0, 200.0], [185.0, 0.0]]), "#dc2626", radius=5)  # both beyond the view
    img = np.asarray(c.image().convert("RGB"))
    x0, y0, x1, y1 = c.plane
    drawn = np.argwhere(np.all(img == color, axis=2))  # (row, column) of the path's pixels
    assert len(drawn) > 100  # the part inside is drawn: 180 degrees of longitude at 2 px each
    assert drawn[:, 1].max() < x1 + 1 and drawn[:, 0].min() >= y0 - 1  # nothing past the east edge or above
    outside = np.ones(img.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    assert np.array_equal(img[outside], blank[outside])  # axes, labels and margins untouched


def test_larger_axis_labels_widen_the_margins_and_move_the_map_with_them():
    """Compare shows its maps at about half their width: text_scale=2 keeps their axis labels legible there."""
    from gdl.mapimage import margins

    small, large = Canvas(px_per_degree=1.5), Canvas(px_per_degree=1.5, text_scale=2.0)
    assert margins(2.0) == tuple(2 * m for m in MARGIN) and large.plane[:2] == margins(2.0)[:2]
    np.testing.assert_allclose(large.to_px([[-180, 90], [180, -90]]),
                               [margins(2.0)[:2], [margins(2.0)[0] + 540, margins(2.0)[1] + 270]])
    assert large.pixels.shape[1] - small.pixels.shape[1] == sum(margins(2.0)[::2]) - sum(MARGIN[::2])

    def label_rows(canvas):  # rows under the map that hold the longitude labels' ink
        ink = np.any(canvas.pixels[canvas.plane[3] + 6:] < 200, axis=2)
        return int(np.any(ink, axis=1).sum())

    assert label_rows(large) >= 1.7 * label_rows(small)  # the labels themselves are drawn larger


def test_a_legend_wider_than_the_picture_wraps_into_rows_that_stay_inside_it():
    """The World map page draws its legends 1.6 times larger: three entries no longer fit one row of a narrow map
    (432 px of map here)."""
    def legend(canvas):
        picture = _picture(canvas)
        return picture[canvas.pixels.shape[0]:]

    def make(text_scale):
        return (Canvas(px_per_degree=1.2, text_scale=text_scale).box((0, 0, 10, 10), label="the MLE box")
                .points(np.zeros((1, 2)), label="earlier points").markers(np.ones((1, 2)), label="the newest point"))

    one_row, wrapped = legend(make(1.0)), legend(make(1.6))
    assert one_row.shape[0] == 24 and wrapped.shape[0] == 2 * round(24 * 1.6)  # a second row, each row taller
    right_margin = make(1.6).margin[2]
    ink = np.argwhere(wrapped.sum(axis=2) < 300)
    assert ink[:, 1].max() < wrapped.shape[1] - right_margin  # no label runs off the right edge
    row = round(24 * 1.6)
    assert (ink[:, 0] < row).any() and (ink[:, 0] >= row).any()  # text in both rows
    marker = np.all(np.abs(wrapped - np.array(rgb(plots.BAD_COLOR))) < 8, axis=2)  # not the box's orange
    assert np.argwhere(marker)[:, 0].min() >= row  # the entry that did not fit starts the second row
