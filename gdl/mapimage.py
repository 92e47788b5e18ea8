"""World maps as small pictures drawn with NumPy and Pillow on the server: points, boxes, density heat maps,
arrows and paths over the land mask, with labelled axes and a legend.

Why not Plotly for these: a page's first Plotly chart costs the browser about 1.3 s to load and start plotly.js,
and every further chart about 0.2-0.3 s to lay out and draw (measured in headless Chromium on 2 cores), while a
picture costs next to nothing to show, and drawing one here takes ~10-30 ms. Maps that only show things are
pictures; charts a learner clicks on (picking a point) stay Plotly.

    c = Canvas()                                   # the whole world; Canvas(view=(lon0, lat0, lon1, lat1)) zooms
    c.points(X, plots.DATA_COLOR, radius=2, label="p_data samples").box(theta, fill=True, label="the MLE box")
    st.image(c.png_uri())                          # each label= becomes a legend entry under the map
"""
from __future__ import annotations

import base64
import functools
import io

import numpy as np

from gdl import plots
from gdl.data import world

WORLD = (-180.0, -90.0, 180.0, 90.0)  # (lon0, lat0, lon1, lat1)
MARGIN = (34, 8, 12, 20)  # left, top, right, bottom: room for the axis labels (pixels)
LEGEND_HEIGHT = 24
OUTSIDE_RGB = (248, 250, 252)
FRAME_RGB = (148, 163, 184)
LABEL_RGB = (71, 85, 105)
TEXT_RGB = (15, 23, 42)
DENSITY_COLOR = "#5b21b6"  # deep violet: apart from the orange model samples drawn on top of it


def rgb(color) -> tuple[int, int, int]:
    """'#rrggbb' or an (r, g, b) tuple as an (r, g, b) tuple."""
    if isinstance(color, str):
        h = color.lstrip("#")
        return tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))
    return tuple(int(v) for v in color)


# Characters some fonts lack, each with a stand-in spelled in characters every font has. The app's own font
# (Source Sans, which Streamlit ships) has them all; Pillow's built-in font, the fallback, has Latin-1 letters and
# the degree sign but none of these (each drew as a box).
_STAND_INS = {"²": "^2", "³": "^3", "−": "-", "∞": "inf", "θ": "theta", "×": "x", "≤": "<=", "≥": ">=",
              "…": "...", "–": "-", "—": "-"}


@functools.lru_cache(maxsize=1)
def _lacking() -> dict:
    """The translation table `printable` applies: a stand-in for each character `font` draws as a box."""
    f = font(20)
    box = bytes(f.getmask("\uffff"))
    return str.maketrans({ch: sub for ch, sub in _STAND_INS.items() if bytes(f.getmask(ch)) == box})


def printable(text: str) -> str:
    """`text` with each character the font lacks spelled in ones it has (deg² -> deg^2, − -> -); unchanged in the
    app's own font."""
    return str(text).translate(_lacking())


def signed(label: str) -> str:
    """A number's label with a true minus sign (−90°, as the page's Plotly charts write it), not a hyphen."""
    return label[:1].replace("-", "−") + label[1:]


def draw_text(draw, xy, text: str, **kwargs) -> None:
    """ImageDraw.text with `printable` text: what every picture here writes with."""
    draw.text(xy, printable(text), **kwargs)


def _app_font_file():
    """Streamlit's own copy of Source Sans, the font the app's pages are set in (None if this Streamlit has none),
    found without importing streamlit."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("streamlit")
    for root in (spec.submodule_search_locations or []) if spec else []:
        found = sorted((Path(root) / "static" / "static" / "media").glob("SourceSansVF-Upright*.woff2"))
        if found:
            return found[0]
    return None


@functools.lru_cache(maxsize=32)
def font(size: int = 12):
    """The app's own font at its regular weight, so that the pictures' labels match the page's text; Pillow's
    built-in scalable font where it cannot be read (no font files needed on the server)."""
    from PIL import ImageFont

    path = _app_font_file()
    if path is not None:
        try:
            f = ImageFont.truetype(str(path), size)
            f.set_variation_by_name("Regular")  # a variable font: its default is its lightest weight
            return f
        except (OSError, ValueError):
            pass
    return ImageFont.load_default(size=size)


def margins(text_scale: float = 1.0) -> tuple[int, int, int, int]:
    """The picture's margins (left, top, right, bottom) in pixels, for axis labels `text_scale` times the usual
    size."""
    return tuple(int(round(m * text_scale)) for m in MARGIN)


@functools.lru_cache(maxsize=8)
def _base(view: tuple[float, float, float, float], px_per_degree: float, text_scale: float = 1.0) -> np.ndarray:
    """RGB pixels (H, W, 3) of the land mask resampled to `view` (sea pale blue, beyond the world paler), with
    the world's frame and labelled axes in the margins (labels `text_scale` times the usual size, for a picture
    shown shrunk). Shared, read-only: callers copy it."""
    from PIL import Image, ImageDraw

    land, cell = world.mask()
    lon0, lat0, lon1, lat1 = view
    w, h = int(round((lon1 - lon0) * px_per_degree)), int(round((lat1 - lat0) * px_per_degree))
    lon = lon0 + (np.arange(w) + 0.5) / px_per_degree
    lat = lat1 - (np.arange(h) + 0.5) / px_per_degree  # image rows run north to south
    inside = (np.abs(lon)[None, :] <= 180) & (np.abs(lat)[:, None] <= 90)
    col = np.clip(((lon + 180) / cell).astype(int), 0, land.shape[1] - 1)
    row = np.clip(((lat + 90) / cell).astype(int), 0, land.shape[0] - 1)
    is_land = land[row[:, None], col[None, :]] & inside
    plane = np.empty((h, w, 3), np.uint8)
    plane[:] = OUTSIDE_RGB
    plane[inside] = plots.SEA_RGB
    plane[is_land] = plots.LAND_RGB
    left, top, right, bottom = margins(text_scale)
    size, tick = int(round(12 * text_scale)), int(round(3 * text_scale))
    img = Image.new("RGB", (w + left + right, h + top + bottom), (255, 255, 255))
    img.paste(Image.fromarray(plane, mode="RGB"), (left, top))
    draw = ImageDraw.Draw(img)
    x_of = lambda v: left + (v - lon0) * px_per_degree  # noqa: E731
    y_of = lambda v: top + (lat1 - v) * px_per_degree  # noqa: E731
    lon_step = 60 if lon1 - lon0 > 120 else 30 if lon1 - lon0 > 60 else 10
    lat_step = 30 if lat1 - lat0 > 60 else 10
    for v in range(-360, 361, lon_step):
        if lon0 <= v <= lon1:
            draw.line([(x_of(v), top + h), (x_of(v), top + h + tick)], fill=LABEL_RGB)
            draw_text(draw, (x_of(v), top + h + tick + 1), signed(f"{v}°"), fill=LABEL_RGB, font=font(size),
                      anchor="ma")
    for v in range(-180, 181, lat_step):
        if lat0 <= v <= lat1:
            draw.line([(left - tick, y_of(v)), (left, y_of(v))], fill=LABEL_RGB)
            draw_text(draw, (left - tick - 1, y_of(v)), signed(f"{v}°"), fill=LABEL_RGB, font=font(size), anchor="rm")
    draw.rectangle([x_of(-180), y_of(90), x_of(180), y_of(-90)], outline=FRAME_RGB)
    draw.rectangle([left - 1, top - 1, left + w, top + h], outline=FRAME_RGB)
    pixels = np.asarray(img).copy()
    pixels.setflags(write=False)
    return pixels


def _disk(radius: float) -> np.ndarray:
    """Integer offsets (k, 2) of a filled disk of the given radius in pixels."""
    r = int(np.ceil(radius))
    dy, dx = np.mgrid[-r:r + 1, -r:r + 1]
    keep = dx ** 2 + dy ** 2 <= radius ** 2 + radius * 0.5
    return np.column_stack([dx[keep], dy[keep]])


class Canvas:
    """One map picture. Methods draw onto it and return the canvas, so calls chain; `png_uri()` finishes it."""

    def __init__(self, view=WORLD, px_per_degree: float = 3.0, text_scale: float = 1.0):
        """`text_scale` enlarges the axis labels, the caption and the legend, for a picture that the page shows
        shrunk (a narrow column, a small screen)."""
        self.view = tuple(float(v) for v in view)
        self.ppd = float(px_per_degree)
        self.text_scale = float(text_scale)
        self.margin = margins(text_scale)
        self.pixels = _base(self.view, self.ppd, float(text_scale)).copy()  # (H, W, 3)
        self._legend: list[tuple[str, tuple, str]] = []
        self._overlays: list = []  # PIL drawing to do after the pixel work: (callable(draw))

    # ---- coordinates ------------------------------------------------------------------------------------
    def to_px(self, X) -> np.ndarray:
        """(n, 2) longitude, latitude -> (n, 2) pixel x, y (floats)."""
        X = np.asarray(X, dtype=np.float64).reshape(-1, 2)
        lon0, _, _, lat1 = self.view
        left, top = self.margin[:2]
        return np.column_stack([left + (X[:, 0] - lon0) * self.ppd, top + (lat1 - X[:, 1]) * self.ppd])

    @property
    def plane(self) -> tuple[int, int, int, int]:
        """The map's pixel rectangle (x0, y0, x1, y1), exclusive at the far end."""
        h, w = self.pixels.shape[:2]
        left, top, right, bottom = self.margin
        return left, top, w - right, h - bottom

    # ---- layers -----------------------------------------------------------------------------------------
    def points(self, X, color=plots.DATA_COLOR, radius: float = 1.5, label: str | None = None,
               over_lines: bool = False) -> Canvas:
        """Dots of the given radius (pixels) at the rows (longitude, latitude) of X, clipped to the map.

        They are painted into the pixels, under every outline and marker; `over_lines` draws them with those
        instead, in call order (a few points that a box's edge must not hide)."""
        X = np.asarray(X)
        if label:
            self._legend.append((label, rgb(color), "dot"))
        if not len(X):
            return self
        p = np.round(self.to_px(X)).astype(int)
        x0, y0, x1, y1 = self.plane
        offsets = _disk(radius)
        xy = (p[:, None, :] + offsets[None, :, :]).reshape(-1, 2)
        ok = (xy[:, 0] >= x0) & (xy[:, 0] < x1) & (xy[:, 1] >= y0) & (xy[:, 1] < y1)
        if over_lines:
            self._overlays.append(lambda draw: draw.point([tuple(q) for q in xy[ok].tolist()], fill=rgb(color)))
        else:
            self.pixels[xy[ok, 1], xy[ok, 0]] = rgb(color)
        return self

    def markers(self, X, color=plots.BAD_COLOR, radius: float = 6, labels: list[str] | None = None,
                label: str | None = None) -> Canvas:
        """Big round markers with a white rim (a few points that must stand out), optionally labelled. Markers
        beyond the view are left out (they would sit on the axes), as points are and paths are cut."""
        X = np.asarray(X, dtype=np.float64).reshape(-1, 2)
        if label:
            self._legend.append((label, rgb(color), "marker"))
        lon0, lat0, lon1, lat1 = self.view
        inside = (X[:, 0] >= lon0) & (X[:, 0] <= lon1) & (X[:, 1] >= lat0) & (X[:, 1] <= lat1)
        centres = self.to_px(X[inside]).tolist()
        names = [name for name, keep in zip(labels or [None] * len(X), inside) if keep]

        def draw_markers(draw):
            for (x, y), name in zip(centres, names):
                draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=rgb(color),
                             outline=(255, 255, 255), width=2)
                if name:  # above the marker, or below it where the picture's top edge would cut it off
                    above = y - radius - 2 - round(18 * self.text_scale) >= 0
                    draw_text(draw, (x, y - radius - 2 if above else y + radius + 2), name, fill=TEXT_RGB,
                              font=font(round(16 * self.text_scale)), anchor="md" if above else "ma", stroke_width=2,
                              stroke_fill=(255, 255, 255))

        self._overlays.append(draw_markers)
        return self

    def box(self, theta, color=plots.MODEL_COLOR, dashed: bool = False, fill: bool = False, width: int = 3,
            label: str | None = None) -> Canvas:
        """The rectangle theta = (lon_min, lat_min, lon_max, lat_max): an outline, optionally tinted inside."""
        (ax, ay), (bx, by) = self.to_px([[theta[0], theta[3]], [theta[2], theta[1]]])  # top-left, bottom-right
        x0, y0, x1, y1 = self.plane
        if label:
            self._legend.append((label, rgb(color), "dashed" if dashed else "box"))
        if fill:
            l, r = int(np.clip(round(ax), x0, x1)), int(np.clip(round(bx), x0, x1))
            t, b = int(np.clip(round(ay), y0, y1)), int(np.clip(round(by), y0, y1))
            region = self.pixels[t:b, l:r].astype(np.float32)
            self.pixels[t:b, l:r] = (0.85 * region + 0.15 * np.array(rgb(color), np.float32)).astype(np.uint8)

        def draw_box(draw):
            corners = [(ax, ay), (bx, ay), (bx, by), (ax, by), (ax, ay)]
            for (px, py), (qx, qy) in zip(corners[:-1], corners[1:]):
                if not dashed:
                    draw.line([(px, py), (qx, qy)], fill=rgb(color), width=width)
                    continue
                length = max(np.hypot(qx - px, qy - py), 1e-9)
                for s in np.arange(0, length, 14.0):
                    e = min(s + 8.0, length)
                    draw.line([(px + (qx - px) * s / length, py + (qy - py) * s / length),
                               (px + (qx - px) * e / length, py + (qy - py) * e / length)], fill=rgb(color),
                              width=width)

        self._overlays.append(draw_box)
        return self

    def density(self, xs, ys, log_density, color=DENSITY_COLOR, opacity: float = 0.8,
                label: str | None = "log p_model (darker = more likely)") -> Canvas:
        """A heat map of a log-density (or any score) on the grid (rows = ys, columns = xs) over the map: each
        cell is shaded by its rank among the grid's values, squared (the top tenth darkest, the bottom half
        nearly clear), so that where the model puts its mass shows whatever the range of the numbers; cells
        where the density is 0 (-inf) stay clear."""
        xs, ys, z = np.asarray(xs), np.asarray(ys), np.asarray(log_density, dtype=np.float64)
        finite = np.isfinite(z)
        if not finite.any():
            return self
        ranks = np.zeros(z.shape)
        order = np.sort(z[finite])
        ranks[finite] = np.searchsorted(order, z[finite], side="right") / order.size  # empirical CDF, ties equal
        strength = ranks ** 2
        x0, y0, x1, y1 = self.plane
        lon0, _, _, lat1 = self.view
        lon = lon0 + (np.arange(x1 - x0) + 0.5) / self.ppd
        lat = lat1 - (np.arange(y1 - y0) + 0.5) / self.ppd
        ci = np.clip(np.searchsorted(xs, lon) - 1, 0, len(xs) - 1)
        ri = np.clip(np.searchsorted(ys, lat) - 1, 0, len(ys) - 1)
        covered = ((lon >= xs[0]) & (lon <= xs[-1]))[None, :] & ((lat >= ys[0]) & (lat <= ys[-1]))[:, None]
        a = (opacity * strength[ri[:, None], ci[None, :]] * covered)[..., None]  # (h, w, 1)
        region = self.pixels[y0:y1, x0:x1].astype(np.float32)
        self.pixels[y0:y1, x0:x1] = ((1 - a) * region + a * np.array(rgb(color), np.float32)).astype(np.uint8)
        if label:
            self._legend.append((label, rgb(color), "swatch"))
        return self

    def arrows(self, starts, vectors, color=LABEL_RGB) -> Canvas:
        """Arrows from each row of `starts` along the matching row of `vectors` (data units)."""
        start, end = self.to_px(starts), self.to_px(np.asarray(starts) + np.asarray(vectors))
        d = end - start
        length = np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-6)
        u = d / length[:, None]
        normal = u[:, ::-1] * [1, -1]
        head = np.minimum(4.0, 0.45 * length)[:, None]
        wing1, wing2 = end - head * (u + 0.6 * normal), end - head * (u - 0.6 * normal)

        def draw_arrows(draw):
            for a, b, w1, w2 in zip(start.tolist(), end.tolist(), wing1.tolist(), wing2.tolist()):
                draw.line([tuple(a), tuple(b)], fill=rgb(color))
                draw.line([tuple(w1), tuple(b), tuple(w2)], fill=rgb(color))

        self._overlays.append(draw_arrows)
        return self

    def path(self, P, color, width: int = 2) -> Canvas:
        """A polyline through the rows of P (data units), cut at the plot's frame (no line over the axes)."""
        pieces: list[list[tuple[float, float]]] = []  # the visible runs of the polyline
        xy = self.to_px(P).tolist()
        x0, y0, x1, y1 = self.plane
        half = width / 2  # the line's own thickness stays inside too (x1, y1 are exclusive)
        inner = (x0 + half, y0 + half, x1 - 1 - half, y1 - 1 - half)
        for a, b in zip(xy[:-1], xy[1:]):
            seg = _clip_segment(a, b, inner)
            if seg is None:
                continue
            if pieces and pieces[-1][-1] == seg[0]:
                pieces[-1].append(seg[1])
            else:
                pieces.append(list(seg))

        def draw_path(draw):
            for piece in pieces:
                draw.line(piece, fill=rgb(color), width=width, joint="curve")

        if pieces:
            self._overlays.append(draw_path)
        return self

    def ellipse(self, centre, radii, color=(51, 65, 85), width: int = 2) -> Canvas:
        """An axis-aligned ellipse with the given centre and radii (data units)."""
        (cx, cy), (rx, ry) = self.to_px([centre])[0], np.asarray(radii, dtype=np.float64) * self.ppd
        self._overlays.append(lambda draw: draw.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], outline=rgb(color),
                                                         width=width))
        return self

    # ---- finishing --------------------------------------------------------------------------------------
    def image(self, caption: str | None = None):
        """The finished PIL image: pixels, then outlines and markers, a caption in the corner, the legend below (in
        as many rows as it needs to stay inside the picture's width)."""
        from PIL import Image, ImageDraw

        img = Image.fromarray(self.pixels, mode="RGB")
        draw = ImageDraw.Draw(img)
        for overlay in self._overlays:
            overlay(draw)
        s = self.text_scale
        if caption:
            draw_text(draw, (self.margin[0] + 6, self.margin[1] + 4), caption, fill=TEXT_RGB, font=font(round(15 * s)),
                      stroke_width=2, stroke_fill=(255, 255, 255))
        if not self._legend:
            return img
        key, gap, label_font = round(22 * s), round(6 * s), font(round(14 * s))  # a swatch's width, the gaps
        radius = {"dot": round(4 * s), "marker": round(6 * s)}
        rows, x = [[]], self.margin[0]  # entries that would run past the picture's right edge start a new row
        for label, color, kind in self._legend:
            symbol = 2 * radius[kind] if kind in radius else key
            width = symbol + gap + int(draw.textlength(printable(label), font=label_font))
            if rows[-1] and x + width > img.width - self.margin[2]:
                rows.append([])
                x = self.margin[0]
            rows[-1].append((x, label, color, kind, symbol))
            x += width + key
        height = round(LEGEND_HEIGHT * s)
        out = Image.new("RGB", (img.width, img.height + height * len(rows)), (255, 255, 255))
        out.paste(img, (0, 0))
        draw = ImageDraw.Draw(out)
        for i, row in enumerate(rows):
            y = img.height + height * i + height // 2
            for x, label, color, kind, symbol in row:  # each entry where the layout above placed it
                if kind in radius:
                    r = radius[kind]
                    draw.ellipse([x, y - r, x + 2 * r, y + r], fill=color,
                                 outline=(255, 255, 255) if kind == "marker" else None)
                elif kind == "swatch":
                    draw.rectangle([x, y - gap, x + key, y + gap], fill=color)
                elif kind == "dashed":
                    line = max(3, round(3 * s))
                    draw.line([(x, y), (x + key * 4 // 11, y)], fill=color, width=line)
                    draw.line([(x + key * 7 // 11, y), (x + key, y)], fill=color, width=line)
                else:
                    draw.rectangle([x, y - gap, x + key, y + gap], outline=color, width=max(3, round(3 * s)))
                draw_text(draw, (x + symbol + gap, y), label, fill=TEXT_RGB, font=label_font, anchor="lm")
        return out

    def png_uri(self, caption: str | None = None) -> str:
        return png_uri(self.image(caption))


def png_uri(img) -> str:
    """A picture as a PNG data URI: colours reduced to a palette, compressed lightly. st.image shows a data URI as it is, inside the page's own
    update, where image bytes would be stored on the server and fetched by a second request (which costs more
    than the drawing on a busy server)."""
    from PIL import Image

    if img.mode == "RGB":  # at most 256 colours (fast octree, no dithering): half the bytes, and faster to encode
        img = img.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    img.save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _clip_segment(a, b, rect):
    """The part of the segment a-b (pixel coordinates) inside rect = (x0, y0, x1, y1), or None
    (Liang & Barsky's clipping: the segment's parameter range [0, 1] narrowed by each edge)."""
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    lo, hi = 0.0, 1.0
    for p, q in ((-dx, ax - rect[0]), (dx, rect[2] - ax), (-dy, ay - rect[1]), (dy, rect[3] - ay)):
        if p == 0:
            if q < 0:
                return None  # parallel to this edge and outside it
            continue
        r = q / p
        if p < 0:
            lo = max(lo, r)
        else:
            hi = min(hi, r)
        if lo > hi:
            return None
    return (ax + lo * dx, ay + lo * dy), (ax + hi * dx, ay + hi * dy)
