"""Working in a latent space: views of the codes, walks through them, and reading your own image into them.

Everything here is plain NumPy (and Pillow, Plotly) on top of a latent model's `encode` and `decode`
(`gdl.models.vae.VAE`, `gdl.models.ae.Autoencoder`); no Streamlit, so a notebook can do what the Latent Space
page does:

    m = gdl.checkpoints.load_shipped("vae", "tins")
    X, factors = gdl.data.load("tins", n=2000, seed=1, with_targets=True)
    Z = m.encode(X)                                               # (n, latent_dim)
    factor_correlations(Z, factors)                               # how each latent dimension tracks height, width
    taller = attribute_vector(Z, factors[:, 0])                   # mean code of tall tins minus that of short ones
    m.decode(Z[:1] + np.linspace(-2, 2, 5)[:, None] * taller)     # the same tin, shorter to taller
    m.decode(interpolate(Z[0], Z[1], 8))                          # a straight walk between two tins

A plane through the latent space (`PlaneView`) is what every 2-D picture of it shows: two chosen dimensions,
or the two principal directions of the codes when there are more than two.
"""
from __future__ import annotations

import base64
import io
import warnings
from dataclasses import dataclass

import numpy as np

# ---- numbers about the codes ------------------------------------------------------------------------------


def factor_correlations(Z: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Pearson correlation of every latent dimension with every true factor.

    Args:
        Z: codes (n, latent_dim).
        factors: true generating factors (n, n_factors), e.g. the tins' (height, width).
    Returns:
        r of shape (latent_dim, n_factors), in [-1, 1]; 0 where a dimension or factor does not vary.
    """
    Z = np.asarray(Z, dtype=np.float64)
    F = np.asarray(factors, dtype=np.float64).reshape(len(Z), -1)
    Zc, Fc = Z - Z.mean(axis=0), F - F.mean(axis=0)
    norms = np.outer(np.sqrt((Zc ** 2).sum(axis=0)), np.sqrt((Fc ** 2).sum(axis=0)))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (Zc.T @ Fc) / norms
    return np.nan_to_num(r, nan=0.0)


TRACKS = 0.8  # |r| above which a latent dimension is said to track a true factor


def tracked_factor(r_row: np.ndarray) -> int | None:
    """Which true factor one latent dimension tracks: the index of its strongest correlation in `r_row`
    (one row of `factor_correlations`), or None when no |r| exceeds TRACKS."""
    k = int(np.argmax(np.abs(r_row)))
    return k if abs(r_row[k]) > TRACKS else None


def reconstruction_error(model, X: np.ndarray) -> np.ndarray:
    """Mean squared error per image between X (n, H, W) and its reconstruction decode(encode(X)): (n,)."""
    X = np.asarray(X, dtype=np.float32)
    return ((model.decode(model.encode(X)) - X) ** 2).reshape(len(X), -1).mean(axis=1)


def attribute_vector(Z: np.ndarray, values: np.ndarray, fraction: float = 0.25) -> np.ndarray:
    """The direction in latent space along which an attribute grows, as the book builds "smiling" for faces:
    the mean code of the observations with the most of it minus the mean code of those with the least.

    Args:
        Z: codes (n, latent_dim).
        values: the attribute of each observation (n,), e.g. the tins' true height.
        fraction: the share of observations at each end that is averaged (the top and bottom quarter).
    Returns:
        (latent_dim,) float32: add it to a code to move that observation towards more of the attribute.
    """
    Z = np.asarray(Z, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64).ravel()
    if len(values) != len(Z) or len(Z) < 2:
        raise ValueError("need at least two codes and one attribute value per code")
    if not 0 < fraction <= 0.5:
        raise ValueError(f"fraction must lie in (0, 0.5], got {fraction}")
    k = max(1, int(round(fraction * len(Z))))
    order = np.argsort(values, kind="stable")
    return (Z[order[-k:]].mean(axis=0) - Z[order[:k]].mean(axis=0)).astype(np.float32)


def strength_range(Z: np.ndarray, k: int, vector: np.ndarray, share: float = 0.02) -> tuple[float, float]:
    """How far code k can move along an attribute vector and stay within the data: the strengths s (low, high) that
    carry Z[k] + s * vector to the `share` and 1 - `share` quantiles of the codes' positions along the vector.

    Past them the code lies beyond (nearly) every observation in that direction, where the decoder was never
    trained: a tin taller than any tin it saw, and the picture breaks up.
    """
    Z = np.asarray(Z, dtype=np.float64)
    vector = np.asarray(vector, dtype=np.float64)
    length2 = float(vector @ vector)
    if length2 == 0.0:
        return 0.0, 0.0  # no direction: every strength decodes the same code
    along = Z @ vector / length2  # each code's position along the vector, in units of the vector
    low, high = np.quantile(along, [share, 1.0 - share]) - along[k]
    return float(min(low, 0.0)), float(max(high, 0.0))  # an extreme code still offers the way back in


def class_directions(Z: np.ndarray, labels: np.ndarray) -> dict[int, np.ndarray]:
    """For each label, the mean code of its observations minus the mean code of all: e.g. "towards a 3".

    Returns:
        {label: (latent_dim,) float32} for every label present.
    """
    Z = np.asarray(Z, dtype=np.float64)
    labels = np.asarray(labels).ravel()
    centre = Z.mean(axis=0)
    return {int(c): (Z[labels == c].mean(axis=0) - centre).astype(np.float32) for c in np.unique(labels)}


def class_layout(UV: np.ndarray, labels: np.ndarray) -> tuple[float, tuple]:
    """How the classes sit in a plane: (the share of points nearer their own class's centre than any other's,
    the two classes whose centres lie closest, measured in units of their points' spread; None with one class)."""
    UV, labels = np.asarray(UV, dtype=np.float64), np.asarray(labels)
    classes = np.unique(labels)
    if len(classes) < 2:
        return 1.0, None
    centres = np.stack([UV[labels == c].mean(axis=0) for c in classes])
    spread = np.array([UV[labels == c].std(axis=0).mean() + 1e-9 for c in classes])
    nearest = classes[np.argmin(((UV[:, None, :] - centres[None]) ** 2).sum(axis=2), axis=1)]
    apart = np.linalg.norm(centres[:, None] - centres[None], axis=2) / (spread[:, None] + spread[None])
    np.fill_diagonal(apart, np.inf)
    a, b = np.unravel_index(np.argmin(apart), apart.shape)
    return float(np.mean(nearest == labels)), tuple(sorted((classes[a].item(), classes[b].item())))


def interpolate(z_start: np.ndarray, z_end: np.ndarray, steps: int) -> np.ndarray:
    """A straight line in latent space: `steps` codes from z_start to z_end inclusive, (steps, latent_dim)."""
    if steps < 2:
        raise ValueError(f"an interpolation needs at least 2 steps, got {steps}")
    a = np.asarray(z_start, dtype=np.float32).ravel()
    b = np.asarray(z_end, dtype=np.float32).ravel()
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]  # (steps, 1)
    return (1 - t) * a + t * b


def nearest_code_distance(probes: np.ndarray, Z: np.ndarray, chunk: int = 1024) -> np.ndarray:
    """Euclidean distance from each probe code (m, L) to its nearest code among Z (n, L): (m,)."""
    probes = np.asarray(probes, dtype=np.float64)
    Z = np.asarray(Z, dtype=np.float64)
    out = np.empty(len(probes))
    z2 = (Z ** 2).sum(axis=1)
    for s in range(0, len(probes), chunk):
        p = probes[s:s + chunk]
        d2 = (p ** 2).sum(axis=1)[:, None] - 2 * p @ Z.T + z2[None, :]
        out[s:s + chunk] = np.sqrt(np.maximum(d2.min(axis=1), 0.0))
    return out


def _some_codes(Z: np.ndarray, at_most: int = 3000) -> np.ndarray:
    """Z as float64, or a fixed random `at_most` of its rows (the holes' pairwise distances grow as n²)."""
    Z = np.asarray(Z, dtype=np.float64)
    return Z if len(Z) <= at_most else Z[np.random.default_rng(0).choice(len(Z), at_most, replace=False)]


def hole_threshold(Z: np.ndarray) -> float:
    """The distance past which a code lies in a hole of the codes Z: 99% of the codes are closer than this to
    their own nearest neighbour (measured on at most 3,000 of them)."""
    Z = _some_codes(Z)
    if len(Z) < 3:
        raise ValueError("need at least three codes")
    d2 = ((Z[:, None, :] - Z[None, :, :]) ** 2).sum(axis=-1)
    np.fill_diagonal(d2, np.inf)
    return float(np.quantile(np.sqrt(d2.min(axis=1)), 0.99))


def hole_fraction(probes: np.ndarray, Z: np.ndarray, threshold: float | None = None) -> float:
    """The share of probe codes (e.g. draws from the prior) that fall in a hole of the data's codes: farther
    from every code than 99% of the codes are from their own nearest neighbour. Decoding a code in a hole asks
    the decoder about a place it never saw in training. `threshold`: hole_threshold(Z), where already known."""
    threshold = hole_threshold(Z) if threshold is None else threshold
    return float((nearest_code_distance(probes, _some_codes(Z)) > threshold).mean())


def prior_codes(model, n: int, seed: int) -> np.ndarray:
    """The codes a latent model's `sample(n, seed)` decodes: N(0, I) for a VAE, the Gaussian fitted to the
    training codes for a plain autoencoder. (n, latent_dim) float32."""
    import torch

    g = torch.Generator().manual_seed(int(seed))
    eps = torch.randn(n, model.config.latent_dim, generator=g).numpy()
    if hasattr(model, "code_mean"):  # the autoencoder's fitted Gaussian
        return (model.code_mean.cpu().numpy() + model.code_std.cpu().numpy() * eps).astype(np.float32)
    return eps.astype(np.float32)


# ---- planes through the latent space ------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaneView:
    """A 2-D plane through the latent space: z = origin + u * axes[0] + v * axes[1].

    `to_plane` projects codes onto the plane (orthogonally, since the axes are orthonormal); `to_latent` maps
    plane coordinates back to full codes, holding every other direction at the origin's value.
    """

    origin: np.ndarray  # (L,)
    axes: np.ndarray  # (2, L), orthonormal rows
    labels: tuple[str, str]  # what u and v are, for axis titles

    def to_plane(self, Z: np.ndarray) -> np.ndarray:
        """Codes (n, L) -> plane coordinates (n, 2)."""
        return ((np.asarray(Z, dtype=np.float64) - self.origin) @ self.axes.T).astype(np.float32)

    def to_latent(self, UV: np.ndarray) -> np.ndarray:
        """Plane coordinates (n, 2) -> codes (n, L)."""
        return (self.origin + np.asarray(UV, dtype=np.float64).reshape(-1, 2) @ self.axes).astype(np.float32)


def dims_view(latent_dim: int, i: int = 0, j: int = 1, origin: np.ndarray | None = None) -> PlaneView:
    """The plane of latent dimensions i and j; the others held at `origin` (default 0, the prior's centre)."""
    if not (0 <= i < latent_dim and 0 <= j < latent_dim) or i == j:
        raise ValueError(f"choose two different dimensions between 0 and {latent_dim - 1}, got {i} and {j}")
    axes = np.zeros((2, latent_dim))
    axes[0, i] = axes[1, j] = 1.0
    origin = np.zeros(latent_dim) if origin is None else np.asarray(origin, dtype=np.float64).ravel().copy()
    origin[[i, j]] = 0.0  # the plane's own coordinates carry dimensions i and j
    return PlaneView(origin, axes, (f"z{i + 1}", f"z{j + 1}"))


def pca_view(Z: np.ndarray) -> PlaneView:
    """The plane through the codes' mean spanned by their two principal directions (most variance first)."""
    Z = np.asarray(Z, dtype=np.float64)
    if Z.shape[1] < 2:
        raise ValueError("a PCA plane needs at least two latent dimensions")
    mean = Z.mean(axis=0)
    _, _, vt = np.linalg.svd(Z - mean, full_matrices=False)
    axes = vt[:2] * np.sign(vt[:2].sum(axis=1, keepdims=True) + 1e-12)  # a stable sign, for repeatable plots
    return PlaneView(mean, axes, ("principal direction 1", "principal direction 2"))


def plane_extent(UV: np.ndarray, pad: float = 0.08, quantile: float = 0.005) -> tuple[tuple[float, float], ...]:
    """A square-ish window ((u_min, u_max), (v_min, v_max)) holding nearly all plane points UV (n, 2)."""
    lo = np.quantile(UV, quantile, axis=0)
    hi = np.quantile(UV, 1 - quantile, axis=0)
    span = np.maximum(hi - lo, 1e-3)
    lo, hi = lo - pad * span, hi + pad * span
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


def plane_grid(view: PlaneView, u_range, v_range, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An n x n grid of codes over a window of the plane, for the decoded manifold.

    Returns:
        (codes (n * n, L) in reading order: top row (largest v) first, left to right; us (n,); vs (n,) ascending).
    """
    us = np.linspace(*u_range, n)
    vs = np.linspace(*v_range, n)
    gu, gv = np.meshgrid(us, vs[::-1])  # the image's top row is the plane's largest v
    return view.to_latent(np.column_stack([gu.ravel(), gv.ravel()])), us, vs


# ---- your own image ---------------------------------------------------------------------------------------

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # 5 MB: any real digit or tin photo fits
MAX_PIXELS = 25_000_000  # 25 megapixels: a file declaring more is treated as a decompression bomb
ALLOWED_FORMATS = ("PNG", "JPEG")


class ImageError(ValueError):
    """An uploaded file that cannot be used as an image, with the reason in words."""


class BlankImage(ImageError):
    """An image with nothing on its background (an empty drawing, a plain white picture)."""


def read_image(data: bytes, max_bytes: int = MAX_UPLOAD_BYTES, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode an uploaded PNG or JPEG into grayscale float32 (h, w) in [0, 1], refusing anything unsafe.

    Checks, in order: the file's size, that Pillow recognises it as PNG or JPEG, the pixel count its header
    declares (before decoding a single pixel, so a tiny file claiming a gigapixel image is refused), and that
    the pixels decode (a truncated or corrupt file fails here). Transparent pixels are laid over white.

    Raises:
        ImageError: with a message fit to show the person who uploaded the file.
    """
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise ImageError("The file is empty.")
    if len(data) > max_bytes:
        raise ImageError(f"The file is too large: {len(data) / 2**20:.1f} MB, and the limit is "
                         f"{max_bytes / 2**20:.0f} MB. A small PNG or JPEG of one digit or tin is enough.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError("The image declares so many pixels that decoding it could exhaust the server's memory "
                         "(a decompression bomb), so it was refused.") from None
    except UnidentifiedImageError:
        raise ImageError("This file is not an image that can be read: upload a PNG or JPEG.") from None
    except Exception as err:  # noqa: BLE001  (Pillow raises many kinds on malformed headers)
        raise ImageError(f"This file is not a readable image ({type(err).__name__}): upload a PNG or JPEG.") from None
    if img.format not in ALLOWED_FORMATS:
        raise ImageError(f"This is a {img.format} image; upload a PNG or JPEG.")
    width, height = img.size
    if width * height > max_pixels:
        raise ImageError(f"The image declares {width:,} x {height:,} pixels, more than the {max_pixels / 1e6:.0f} "
                         "megapixel limit: it was refused without decoding (a possible decompression bomb).")
    if width < 1 or height < 1:
        raise ImageError("The image has no pixels.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img.load()
            if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
                rgba = img.convert("RGBA")
                background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                img = Image.alpha_composite(background, rgba)
            gray = img.convert("L")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError("The image expands to too many pixels (a decompression bomb), so it was refused.") from None
    except Exception as err:  # noqa: BLE001  (truncated data, broken chunks, bad Huffman tables...)
        raise ImageError(f"The file looks like a {img.format} image but its pixels fail to decode "
                         f"({type(err).__name__}): it may be truncated or corrupt.") from None
    return np.asarray(gray, dtype=np.float32) / 255.0


def to_dataset_image(gray: np.ndarray, shape: tuple[int, int], crop_to_content: bool,
                     content_box: tuple[float, float] = (1.0, 0.75), invert: bool | None = None) -> np.ndarray:
    """Make a grayscale picture look like the dataset's images: bright object on a dark background, resized to
    `shape` by area averaging, stretched to fill [0, 1].

    Args:
        gray: float32 (h, w) in [0, 1], e.g. from `read_image`.
        shape: the dataset's (H, W).
        crop_to_content: cut to the object's bounding box, scale it to fit `content_box` and centre it
            (digits: where the ink is does not matter, only its shape); leave False where position and size are
            the content (tins).
        content_box: the share of the rows and columns the object may fill: (1, 0.75) for the 8x8 digits,
            which fill the height and leave the outer columns empty; (0.72, 0.72) for MNIST's 20x20 box in 28x28.
        invert: flip dark and light; None decides from the border, which should be the background.
    Returns:
        float32 (H, W) in [0, 1].
    """
    from PIL import Image

    g = np.asarray(gray, dtype=np.float32)
    if invert is None:
        border = np.concatenate([g[0], g[-1], g[:, 0], g[:, -1]])
        invert = float(np.median(border)) > 0.5  # a light background: dark ink on paper
    if invert:
        g = 1.0 - g
    g = g - np.median(np.concatenate([g[0], g[-1], g[:, 0], g[:, -1]]))  # the background to 0
    g = np.clip(g, 0.0, None)
    if g.max() <= 1e-6:
        raise BlankImage("The image is blank: there is nothing on its background to encode.")
    if crop_to_content:
        rows = np.flatnonzero(g.max(axis=1) > 0.2 * g.max())
        cols = np.flatnonzero(g.max(axis=0) > 0.2 * g.max())
        g = g[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
        h, w = g.shape
        s = min(shape[0] * content_box[0] / h, shape[1] * content_box[1] / w)  # target pixels per source pixel
        canvas = np.zeros((max(h, round(shape[0] / s)), max(w, round(shape[1] / s))), dtype=np.float32)
        top, left = (canvas.shape[0] - h) // 2, (canvas.shape[1] - w) // 2
        canvas[top:top + h, left:left + w] = g  # the object centred, with the dataset's margins around it
        g = canvas
    resized = Image.fromarray(g.astype(np.float32), mode="F").resize((shape[1], shape[0]), Image.BOX)
    out = np.asarray(resized, dtype=np.float32)
    return np.clip(out / max(out.max(), 1e-6), 0.0, 1.0)


def data_url_bytes(url: str, max_bytes: int = MAX_UPLOAD_BYTES) -> bytes:
    """The bytes of a base64 "data:image/png;base64,..." URL (a drawing from the browser). Raises ImageError."""
    head, _, body = str(url).partition(",")
    if not head.startswith("data:image/") or not head.endswith(";base64"):
        raise ImageError("The drawing did not arrive as an image.")
    if len(body) > max_bytes * 4 // 3 + 4:
        raise ImageError("The drawing is too large.")
    try:
        return base64.b64decode(body, validate=True)
    except ValueError:
        raise ImageError("The drawing arrived damaged (not valid base64).") from None


def png_bytes(image: np.ndarray, scale: int = 8) -> bytes:
    """A small grayscale PNG of an image (H, W) in [0, 1], enlarged `scale` times with square pixels."""
    from PIL import Image

    img = np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)
    if scale > 1:
        img = np.kron(img, np.ones((scale, scale), dtype=np.float32))
    buffer = io.BytesIO()
    Image.fromarray((img * 255 + 0.5).astype(np.uint8), mode="L").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def png_data_uri(image: np.ndarray, scale: int = 8) -> str:
    """`png_bytes` as a data: URI, to put a small image straight into the page."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(image, scale)).decode("ascii")


# ---- the decoder for the browser --------------------------------------------------------------------------


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype="<f4").tobytes()).decode("ascii")


def decoder_payload(model) -> dict:
    """The model's decoder in the form the latent-plane component's JavaScript runs.

    Returns:
        {"shape": [H, W], "latent_dim": L, "layers": [{"in", "out", "activation", "negative_slope",
        "weight": base64 of float32 little-endian (out, in) row-major, "bias": base64 of float32 (out,)}]}.
        The JavaScript applies h = activation(W h + b) layer by layer from z and clips the result to [0, 1],
        which is what `model.decode(z)` returns.
    """
    layers = []
    for layer in model.decoder_export():
        w = np.asarray(layer["weight"], dtype=np.float32)
        layers.append({"in": int(w.shape[1]), "out": int(w.shape[0]), "activation": layer["activation"],
                       "negative_slope": float(layer.get("negative_slope", 0.01)),
                       "weight": _b64(w), "bias": _b64(np.asarray(layer["bias"], dtype=np.float32))})
    return {"shape": [int(s) for s in model.data_shape_], "latent_dim": int(model.config.latent_dim),
            "layers": layers}


# ---- figures (plain data in, a Plotly figure out) ------------------------------------------------------------

DIGIT_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                "#bcbd22", "#17becf"]


def latent_scatter_figure(UV: np.ndarray, color: np.ndarray | None, color_title: str, axis_titles=("z1", "z2"),
                          categorical: bool = False, extent=None, markers: dict | None = None,
                          title: str | None = None, height: int = 420):
    """The codes as points in a plane, coloured by a label (categorical) or a true factor (continuous).

    Args:
        UV: plane coordinates (n, 2).
        color: one value per point, or None for a single colour.
        markers: {name: (u, v)} extra labelled points drawn on top (your image, the chosen A and B).
        extent: ((u_min, u_max), (v_min, v_max)) to fix the window (so it matches the decoded grid).
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    UV = np.asarray(UV)
    if color is None:
        fig.add_trace(go.Scattergl(x=UV[:, 0], y=UV[:, 1], mode="markers", name="codes", hoverinfo="skip",
                                   marker=dict(size=4, color="#7c3aed", opacity=0.55)))
    elif categorical:
        values = np.asarray(color)
        for i, c in enumerate(np.unique(values)):
            sel = values == c
            fig.add_trace(go.Scattergl(x=UV[sel, 0], y=UV[sel, 1], mode="markers", name=str(c), hoverinfo="name",
                                       marker=dict(size=5, opacity=0.7, color=DIGIT_COLORS[i % len(DIGIT_COLORS)])))
    else:
        fig.add_trace(go.Scattergl(x=UV[:, 0], y=UV[:, 1], mode="markers", name=color_title, showlegend=False,
                                   marker=dict(size=4, opacity=0.75, color=np.asarray(color), colorscale="Viridis",
                                               colorbar=dict(title=color_title, thickness=12)),
                                   hovertemplate=color_title + " %{marker.color:.1f}<extra></extra>"))
    for name, (u, v) in (markers or {}).items():  # WebGL too: a WebGL layer is drawn over every SVG trace
        fig.add_trace(go.Scattergl(x=[u], y=[v], mode="markers+text", text=[name], textposition="top center",
                                   name=name, showlegend=False, textfont=dict(size=15, color="#111827"),
                                   marker=dict(size=20, color="white", symbol="star",
                                               line=dict(color="#111827", width=2))))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40 if title else 10, b=10), title=title,
                      xaxis_title=axis_titles[0], yaxis_title=axis_titles[1], plot_bgcolor="#f8fafc",
                      legend=dict(title=color_title if categorical else None, itemsizing="constant"))
    if extent is not None:
        fig.update_xaxes(range=list(extent[0]))
        fig.update_yaxes(range=list(extent[1]))
    return fig
