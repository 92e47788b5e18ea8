"""Small line charts drawn on the server as pictures (NumPy and Pillow), for views that redraw at every click.

A page that holds even one Plotly chart makes the browser load and start plotly.js (over a second on a classroom
laptop) and lay out each chart again at every rerun; a picture costs neither. These charts are for curves that
only need reading: axes with round ticks, one or more lines, a shaded band and a marked position.

    img = line_chart(n, {"box area": area}, "points n", "box area (deg²)", band=(x0, x1, "L = 0"))
    st.image(gdl.mapimage.png_uri(img))
"""
from __future__ import annotations

import math

import numpy as np

from gdl import plots
from gdl.mapimage import FRAME_RGB, LABEL_RGB, TEXT_RGB, draw_text, font, printable, rgb, signed

LINE_COLORS = ["#1d4ed8", plots.MODEL_COLOR, "#15803d", "#7c3aed"]
GRID_RGB = (226, 232, 240)


def nice_ticks(low: float, high: float, count: int = 5) -> np.ndarray:
    """About `count` round tick values (steps of 1, 2 or 5 times a power of ten) covering [low, high]."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return np.array([])
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(count, 1)
    if not raw > 0:  # a range narrower than float precision
        return np.array([low])
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-6)
    return np.unique(np.arange(first, last + 1) * step)  # whole multiples of the step: zero is exactly 0


def tick_labels(ticks) -> list[str]:
    """Labels for evenly spaced ticks, with just enough digits that no two read the same (-269.5, -270)."""
    ticks = np.asarray(ticks, dtype=np.float64)
    if ticks.size == 0:
        return []
    step = float(np.min(np.diff(ticks))) if ticks.size > 1 else 0.0
    if not (math.isfinite(step) and step > 0):
        return [f"{t:.6g}" for t in ticks]
    ticks = np.where(np.abs(ticks) < step * 1e-6, 0.0, ticks)  # no "-0.0"
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    fixed = [f"{t:,.{decimals}f}" for t in ticks]
    if decimals <= 3 and max(len(label) for label in fixed) <= 12:
        return fixed
    digits = max(1, math.floor(math.log10(float(np.max(np.abs(ticks))))) - math.floor(math.log10(step)) + 1)
    return [f"{t:.{digits}g}" for t in ticks]


def line_chart(x, series: dict[str, np.ndarray], xlabel: str, ylabel: str, width: int = 560, height: int = 280,
               title: str | None = None, band: tuple[float, float, str] | None = None,
               marker: tuple[float, str] | None = None, xlim: tuple[float, float] | None = None,
               log_y: bool = False, integer_x: bool = False, text_scale: float = 1.0):
    """A PIL picture of the curves `series` (name -> y values over x; NaN breaks a line) with labelled axes.
    `band` = (x0, x1, label) shades a stretch of x in red; `marker` = (x, label) draws a vertical line; `log_y`
    plots log10 of y (values <= 0 leave gaps) with ticks at powers of ten; `integer_x` keeps only whole-number x
    ticks (for a count such as n); `text_scale` enlarges every text and the margins that hold it, for a picture that
    the page shows shrunk."""
    from PIL import Image, ImageDraw

    x = np.asarray(x, dtype=np.float64)
    ys = {name: np.asarray(y, dtype=np.float64) for name, y in series.items()}
    if log_y:
        with np.errstate(divide="ignore", invalid="ignore"):
            ys = {name: np.where(y > 0, np.log10(np.where(y > 0, y, 1.0)), np.nan) for name, y in ys.items()}
    x0, x1 = xlim or ((float(x.min()), float(x.max())) if x.size else (0.0, 1.0))
    if x1 <= x0:
        x1 = x0 + 1.0
    finite = np.concatenate([y[np.isfinite(y)] for y in ys.values()]) if ys else np.array([])
    y0, y1 = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    pad = (y1 - y0) * 0.06 or abs(y0) * 0.06 or 1.0
    y0, y1 = (max(y0 - pad, 0.0) if y0 >= 0 and not log_y else y0 - pad), y1 + pad  # no axis below 0 for y >= 0
    y_ticks = nice_ticks(y0, y1)
    if log_y:  # whole powers of ten only, thinned to about five
        powers = np.arange(math.ceil(y0), math.floor(y1) + 1)
        y_ticks = powers[::max(1, math.ceil(len(powers) / 6))]
    if not finite.size:  # nothing finite to draw (log L = +∞ at n = 1): no y scale that would read as values
        y_ticks = np.array([])
    y_labels = [f"1e{int(t)}" for t in y_ticks] if log_y else tick_labels(y_ticks)
    x_ticks = nice_ticks(x0, x1)
    if integer_x:
        x_ticks = np.unique(np.round(x_ticks))
        x_ticks = x_ticks[(x_ticks >= x0) & (x_ticks <= x1)]
    x_labels = tick_labels(x_ticks)
    z = lambda size: max(1, round(size * text_scale))  # noqa: E731  a size in pixels, scaled with the text
    label_font = font(z(12))

    def text_width(text: str) -> float:
        return label_font.getlength(printable(text))

    # the margins make room for the widest tick label (the y title and a gap on the left; half the last x label on
    # the right), so that "−200,000" keeps its minus sign and "20,000" its last digit
    left = max(z(64), int(z(24) + max((text_width(t) for t in y_labels), default=0) + 6))
    right = max(14, int(text_width(x_labels[-1]) / 2 + 4) if x_labels else 14)
    top, bottom = z(30) if title else z(12), z(44) + (z(18) if len(ys) > 1 else 0)
    img = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    px0, px1, py0, py1 = left, width - right, top, height - bottom
    to_x = lambda v: px0 + (np.asarray(v) - x0) / (x1 - x0) * (px1 - px0)  # noqa: E731
    to_y = lambda v: py1 - (np.asarray(v) - y0) / (y1 - y0) * (py1 - py0)  # noqa: E731
    if title:
        draw_text(draw, (px0, z(6)), title, fill=TEXT_RGB, font=font(z(15)))
    if band is not None:
        b0, b1 = float(np.clip(to_x(band[0]), px0, px1)), float(np.clip(to_x(band[1]), px0, px1))
        draw.rectangle([b0, py0, b1, py1], fill=(254, 226, 226))
        draw_text(draw, (b0 + 4, py0 + 3), band[2], fill=rgb(plots.BAD_COLOR), font=label_font)
    for t, label in zip(y_ticks, y_labels):
        y = float(to_y(t))
        draw.line([(px0, y), (px1, y)], fill=GRID_RGB)
        draw_text(draw, (px0 - 5, y), signed(label), fill=LABEL_RGB, font=label_font, anchor="rm")
    for t, label in zip(x_ticks, x_labels):
        xx = float(to_x(t))
        draw.line([(xx, py1), (xx, py1 + z(4))], fill=FRAME_RGB)
        draw_text(draw, (xx, py1 + z(6)), signed(label), fill=LABEL_RGB, font=label_font, anchor="ma")
    draw.rectangle([px0, py0, px1, py1], outline=FRAME_RGB)
    draw_text(draw, ((px0 + px1) / 2, py1 + z(22)), xlabel, fill=LABEL_RGB, font=font(z(13)), anchor="ma")
    ylabel_size = z(13)  # smaller where the title would be longer than the axis it labels
    while ylabel_size > 6 and font(ylabel_size).getlength(printable(ylabel)) > py1 - py0:
        ylabel_size -= 1
    ylabel_img = Image.new("RGB", (py1 - py0, z(18)), (255, 255, 255))
    draw_text(ImageDraw.Draw(ylabel_img), ((py1 - py0) / 2, z(9)), ylabel, fill=LABEL_RGB, font=font(ylabel_size),
              anchor="mm")
    img.paste(ylabel_img.rotate(90, expand=True), (4, py0))
    for k, (name, y) in enumerate(ys.items()):
        color = rgb(LINE_COLORS[k % len(LINE_COLORS)])
        ok = np.isfinite(y) & np.isfinite(x)
        runs = np.split(np.arange(len(y)), np.where(np.diff(ok.astype(int)) != 0)[0] + 1)  # unbroken stretches
        for run in runs:
            if run.size and ok[run[0]]:
                pts = list(zip(to_x(x[run]).tolist(), to_y(y[run]).tolist()))
                if len(pts) == 1:
                    (cx, cy), = pts
                    draw.ellipse([cx - 3, cy - 3, cx + 3, cy + 3], fill=color)
                else:
                    draw.line(pts, fill=color, width=2, joint="curve")
        if len(ys) > 1:
            lx, ly = px0 + k * z(160), height - z(10)
            draw.line([(lx, ly), (lx + z(18), ly)], fill=color, width=3)
            draw_text(draw, (lx + z(24), ly), name, fill=TEXT_RGB, font=label_font, anchor="lm")
    if marker is not None and x0 <= marker[0] <= x1:
        mx = float(to_x(marker[0]))
        draw.line([(mx, py0), (mx, py1)], fill=rgb(plots.MODEL_COLOR), width=2)
        below_band_label = z(17) if band is not None else 0  # the band's label sits on the top line
        fits_left = mx - 4 - text_width(marker[1]) >= px0 + 2  # else to the right, not over the y ticks
        draw_text(draw, (mx - 4 if fits_left else mx + 4, py0 + 3 + below_band_label), marker[1],
                  fill=rgb(plots.MODEL_COLOR), font=label_font, anchor="ra" if fits_left else "la")
    return img
