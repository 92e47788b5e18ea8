"""Server-drawn line charts: round ticks, lines where the data are, gaps where they are not finite."""
import numpy as np
import pytest

from gdl import plots
from gdl.chartimage import LINE_COLORS, line_chart, nice_ticks, tick_labels
from gdl.mapimage import printable, rgb


@pytest.mark.parametrize("low, high, expected", [
    (0, 10, [0, 2, 4, 6, 8, 10]), (1, 2, [1, 1.2, 1.4, 1.6, 1.8, 2]), (-270.3, -268.1, [-270, -269.5, -269, -268.5]),
    (0, 46_919, [0, 10_000, 20_000, 30_000, 40_000]),
])
def test_ticks_are_round_steps_inside_the_range(low, high, expected):
    np.testing.assert_allclose(nice_ticks(low, high), expected)


def _coloured_columns(img, color) -> np.ndarray:
    pixels = np.asarray(img).astype(int)
    hit = np.all(np.abs(pixels - np.array(rgb(color))) < 40, axis=2)
    return np.flatnonzero(hit.any(axis=0))


def test_a_line_spans_its_data_and_a_non_finite_stretch_leaves_a_gap():
    x = np.arange(100.0)
    y = np.where((x > 40) & (x < 60), np.nan, x)  # a hole in the middle
    img = line_chart(x, {"y": y}, "x", "y", width=400, height=240)
    columns = _coloured_columns(img, LINE_COLORS[0])
    assert columns.size > 200  # the line is drawn
    gaps = np.diff(columns)
    assert gaps.max() > 50  # the hole: no line between x = 40 and x = 60 (about 66 pixels)
    assert np.sum(gaps > 5) == 1  # and nowhere else


def test_band_and_marker_are_drawn_where_their_x_values_are():
    # The default 560 x 280 chart plots x in [0, 10] on columns 64..546 and y on rows 12..236.
    x = np.linspace(0, 10, 50)
    plain = np.asarray(line_chart(x, {"y": x}, "x", "y")).astype(int)
    marked = np.asarray(line_chart(x, {"y": x}, "x", "y", band=(6, 10, "L = 0"), marker=(5, "here"))).astype(int)
    to_column = lambda v: 64 + v / 10 * (546 - 64)  # noqa: E731
    band = np.all(marked == [254, 226, 226], axis=2)  # the pale red band, from x = 6 to the right edge
    assert not np.all(plain == [254, 226, 226], axis=2).any()
    columns = np.flatnonzero(band.any(axis=0))
    assert abs(columns.min() - to_column(6)) <= 1 and abs(columns.max() - to_column(10)) <= 2
    assert np.ptp(np.flatnonzero(band.any(axis=1))) > 0.9 * (236 - 12)  # the plot's full height
    # the marker: an orange vertical line through the plot's full height at x = 5, and no such line elsewhere
    orange = np.all(np.abs(marked - np.array(rgb(plots.MODEL_COLOR))) < 40, axis=2)
    tall = np.flatnonzero(orange.sum(axis=0) > 0.9 * (236 - 12))
    assert tall.size and np.all(np.abs(tall - to_column(5)) <= 1.5), tall
    assert not np.all(np.abs(plain - np.array(rgb(plots.MODEL_COLOR))) < 40, axis=2).any()


@pytest.mark.parametrize("at, side", [(0.3, "right"), (5, "left"), (9.8, "left")])
def test_a_markers_label_sits_beside_its_line_inside_the_plot_never_over_the_y_ticks(at, side):
    # columns 64..546 hold x in [0, 10], as above; the label's orange letters are found apart from the line
    x = np.linspace(0, 10, 50)
    marked = np.asarray(line_chart(x, {"y": x}, "x", "y", marker=(at, "your east edge"))).astype(int)
    orange = np.all(np.abs(marked - np.array(rgb(plots.MODEL_COLOR))) < 40, axis=2)
    line = 64 + at / 10 * (546 - 64)
    columns = np.flatnonzero(orange.any(axis=0))
    letters = columns[np.abs(columns - line) > 2]
    assert letters.size > 20  # the label is drawn
    assert letters.min() > 64 and letters.max() < 546  # inside the plot's frame
    assert (letters > line).all() if side == "right" else (letters < line).all()


@pytest.mark.parametrize("low, high", [(-270.3, -268.1), (179.5, 181.0), (0.001, 0.0052), (13_964_000, 13_966_000),
                                       (0, 46_919), (-1e-6, 3e-6)])
def test_tick_labels_never_repeat_and_read_as_their_values(low, high):
    ticks = nice_ticks(low, high)
    labels = tick_labels(ticks)
    assert len(set(labels)) == len(labels) == len(ticks), labels
    np.testing.assert_allclose([float(label.replace(",", "")) for label in labels], ticks, rtol=1e-9, atol=1e-12)


def test_a_tick_at_zero_reads_0_and_a_range_too_narrow_for_floats_still_gets_labels():
    for low, high in [(-0.42, 0.019), (-0.21, 0.04), (-7e-5, 3e-5), (-4.2e-4, 1.9e-5)]:
        ticks = nice_ticks(low, high)
        assert 0.0 in ticks.tolist()  # exactly zero, not -1e-17
        assert not any(label.startswith("-0") and float(label) == 0 for label in tick_labels(ticks))
    y = -2.2e9
    assert tick_labels(nice_ticks(y, np.nextafter(y, 0))) != []  # no "math domain error"


def _is_missing_glyph(ch: str) -> bool:
    from gdl.mapimage import font

    f = font(20)
    return bytes(f.getmask(ch)) == bytes(f.getmask("\uffff")) and ch != "\uffff"


LABELS = "box area (deg²) · log L = −∞ at θ3 × 2 ≤ 5"


def test_the_pictures_are_lettered_in_the_apps_own_font_which_has_every_character_of_their_labels():
    from gdl import mapimage

    assert mapimage._app_font_file() is not None and mapimage._app_font_file().name.startswith("SourceSansVF")
    assert not any(_is_missing_glyph(ch) for ch in LABELS)
    assert printable(LABELS) == LABELS  # nothing spelled out: deg², −∞, θ and × as they are
    assert [mapimage.signed(t) for t in ("-90°", "0°", "-1,200", "3")] == ["−90°", "0°", "−1,200", "3"]
    assert mapimage.font(20).font.family == "SourceSans3VF" and mapimage.font(20).font.style == "Regular"


def test_with_the_built_in_font_labels_with_characters_it_lacks_are_drawn_with_stand_ins(monkeypatch):
    from gdl import mapimage

    monkeypatch.setattr(mapimage, "_app_font_file", lambda: None)  # a Streamlit without its font files
    mapimage.font.cache_clear()
    mapimage._lacking.cache_clear()
    try:
        lacking = "²−∞θ×"
        assert all(_is_missing_glyph(ch) for ch in lacking)  # each would be drawn as a box
        assert not any(_is_missing_glyph(ch) for ch in printable(LABELS) if ch != " ")
        x = np.linspace(0, 10, 50)
        drawn = np.asarray(line_chart(x, {"y": x}, "θ3 (deg)", "box area (deg²)", band=(6, 10, "log L = −∞")))
        spelled = np.asarray(line_chart(x, {"y": x}, "theta3 (deg)", "box area (deg^2)",
                                        band=(6, 10, "log L = -inf")))
        np.testing.assert_array_equal(drawn, spelled)
    finally:
        mapimage.font.cache_clear()
        mapimage._lacking.cache_clear()


def _frame(img: np.ndarray) -> tuple[int, int, int, int]:
    """(left, right, top, bottom) pixel positions of the plot's frame: its long runs of the frame colour."""
    from gdl.mapimage import FRAME_RGB

    frame = np.all(img == FRAME_RGB, axis=2)
    cols, rows = np.flatnonzero(frame.sum(axis=0) > 0.5 * img.shape[0]), np.flatnonzero(frame.sum(axis=1) > 0.5 * img.shape[1])
    return cols.min(), cols.max(), rows.min(), rows.max()


def test_wide_tick_labels_get_room_and_a_non_negative_series_gets_no_negative_axis():
    from gdl.mapimage import font

    k = np.arange(1, 20_001)
    img = np.asarray(line_chart(k, {"log L": -k * 11.0}, "points n", "log L", width=440, height=230)).astype(int)
    left, right, top, bottom = _frame(img)
    assert left - 5 - font(12).getlength("-200,000") >= 22  # the widest y label ends before the y title's strip
    below = img[bottom + 6: bottom + 20]  # the x tick labels' rows: the last one, "20,000", is not cut at the edge
    assert (below[:, right:].sum(axis=2) < 600).any() and not (below[:, -1].sum(axis=1) < 600).any()
    # a series that is never negative (a box's area, 0 at n = 1) starts its axis at 0: the point sits on the frame
    area = np.asarray(line_chart(np.array([1.0]), {"area": np.array([0.0])}, "n", "area", xlim=(1, 2))).astype(int)
    left, right, top, bottom = _frame(area)
    dot = np.argwhere(np.all(np.abs(area - rgb(LINE_COLORS[0])) < 30, axis=2))
    assert dot.size and abs(dot[:, 0].mean() - bottom) <= 3


def _ink_rows(pixels) -> int:
    return int((pixels.sum(axis=2) < 400).any(axis=1).sum())


def test_text_scale_enlarges_the_tick_labels_and_keeps_a_long_axis_title_inside_the_picture():
    x = np.linspace(0, 10, 50)
    small = np.asarray(line_chart(x, {"y": x}, "x", "y", width=440, height=250)).astype(int)
    large = np.asarray(line_chart(x, {"y": x}, "x", "y", width=440, height=250, text_scale=1.6)).astype(int)
    # the x tick labels and title sit under the plot: their rows of ink are about 1.6 times as many
    assert _ink_rows(large[-70:, 80:]) >= 1.4 * _ink_rows(small[-44:, 80:])
    # a y title longer than the plot is tall is drawn smaller rather than cut at the picture's edges
    title = "a rather long title for the y axis"
    chart = np.asarray(line_chart(x, {"y": x}, "x", title, width=440, height=200, text_scale=1.6)).astype(int)
    py0, py1 = round(12 * 1.6), 200 - round(44 * 1.6)  # the plot's top and bottom rows (no chart title)
    column = chart[:, :30]  # the rotated title's strip
    rows = np.flatnonzero((column.sum(axis=2) < 400).any(axis=1))
    assert rows.size and rows.min() > py0 + 1 and rows.max() < py1 - 1  # whole: its ends are not cut off


def test_a_chart_with_nothing_finite_has_no_y_scale_to_misread():
    # log L at n = 1 is +inf: the chart had ticks 0, 0.5, 1 that read as values. The default chart's plot starts at
    # column 64 and its y title sits in columns 4..22, so its y tick labels are the only ink in columns 26..58.
    x = np.array([1.0, 2.0])
    empty = np.asarray(line_chart(x, {"log L": np.array([np.inf, np.nan])}, "n", "log L")).astype(int)
    drawn = np.asarray(line_chart(x, {"log L": np.array([-3.0, -5.0])}, "n", "log L")).astype(int)
    ink = lambda pixels: (pixels[12:236, 26:58] < 200).any()  # noqa: E731
    assert ink(drawn) and not ink(empty)
    assert not (empty[14:234, 66:540] != 255).any()  # and no grid lines across the plot either
