"""Plotly figure builders: plain data in, `go.Figure` out. No Streamlit, no training, no loading.

The world map is drawn offline: the land is the same mask that defines p_data, rendered once into a small
PNG that sits under the plot as a layout image (no map tiles, no topojson, no network).
"""
from __future__ import annotations

import base64
import io

import numpy as np
import plotly.graph_objects as go

LAND_RGB = (214, 196, 160)  # sand
SEA_RGB = (210, 228, 242)  # pale blue
DATA_COLOR = "#1d4ed8"  # p_data samples: blue
MODEL_COLOR = "#c2410c"  # p_model (box, samples): orange, as in the book
MLE_COLOR = "#15803d"  # the maximum-likelihood box: green
BAD_COLOR = "#dc2626"  # points the box misses: red
FAMILY_COLORS = {"vae": "#7c3aed", "ae": "#a855f7", "gan": "#dc2626", "ebm": "#0891b2", "diffusion": "#16a34a",
                 "autoregressive": "#ca8a04", "flow": "#db2777", "gmm": "#64748b", "kde": "#475569",
                 "histogram": "#334155", "gaussian": "#94a3b8", "box": MODEL_COLOR}


def land_png(land: np.ndarray, step: int = 5) -> str:
    """A data-URI PNG of the land mask (rows south to north), every `step`-th cell, for a map background."""
    from PIL import Image

    small = land[::step, ::step][::-1]  # image rows run north to south
    rgb = np.where(small[..., None], np.array(LAND_RGB, np.uint8), np.array(SEA_RGB, np.uint8))
    buffer = io.BytesIO()
    Image.fromarray(rgb.astype(np.uint8)).save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def world_map(land_uri: str, title: str | None = None, height: int = 430) -> go.Figure:
    """An empty equirectangular world map: x = longitude, y = latitude, land drawn from `land_uri`."""
    fig = go.Figure()
    fig.add_layout_image(source=land_uri, xref="x", yref="y", x=-180, y=90, sizex=360, sizey=180,
                         sizing="stretch", layer="below")
    fig.update_xaxes(range=[-180, 180], title="longitude (°)", showgrid=False, zeroline=False,
                     constrain="domain", tickvals=list(range(-180, 181, 60)))
    fig.update_yaxes(range=[-90, 90], title="latitude (°)", showgrid=False, zeroline=False,
                     scaleanchor="x", scaleratio=1, constrain="domain", tickvals=list(range(-90, 91, 30)))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40 if title else 10, b=10), title=title,
                      plot_bgcolor="rgba(0,0,0,0)", legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0),
                      uirevision="world")
    return fig


def add_points(fig: go.Figure, X: np.ndarray, name: str, color: str = DATA_COLOR, size: float = 4,
               opacity: float = 0.7, symbol: str = "circle") -> go.Figure:
    """Scatter (longitude, latitude) rows of X onto a map (WebGL for thousands of points, SVG for a few)."""
    X = np.asarray(X)
    trace = go.Scattergl if len(X) > 1500 else go.Scatter
    fig.add_trace(trace(x=X[:, 0], y=X[:, 1], mode="markers", name=name, hoverinfo="skip",
                               marker=dict(color=color, size=size, opacity=opacity, symbol=symbol)))
    return fig


def add_box(fig: go.Figure, theta, name: str, color: str = MODEL_COLOR, dash: str = "solid",
            fill: bool = True, width: float = 3) -> go.Figure:
    """Draw the box theta = (x_min, y_min, x_max, y_max) as a closed outline (a trace, so it has a legend)."""
    x0, y0, x1, y1 = (float(v) for v in theta)
    fig.add_trace(go.Scatter(x=[x0, x1, x1, x0, x0], y=[y0, y0, y1, y1, y0], mode="lines", name=name,
                             line=dict(color=color, width=width, dash=dash), hoverinfo="name",
                             fill="toself" if fill else None, fillcolor=_rgba(color, 0.12)))
    return fig


def add_density(fig: go.Figure, xs: np.ndarray, ys: np.ndarray, log_density: np.ndarray, name: str,
                colorscale: str = "Oranges", opacity: float = 0.65, zmin: float | None = None) -> go.Figure:
    """A heat map of a log-density (rows = ys, columns = xs) over the map; -inf cells are left clear."""
    z = np.where(np.isfinite(log_density), log_density, np.nan)
    finite = z[np.isfinite(z)]
    if zmin is None and finite.size:
        zmin = float(np.quantile(finite, 0.02))
    fig.add_trace(go.Heatmap(x=xs, y=ys, z=z, name=name, colorscale=colorscale, opacity=opacity, zmin=zmin,
                             colorbar=dict(title="log p", thickness=12, len=0.8), hoverinfo="skip",
                             zsmooth="best"))
    return fig


def add_markers(fig: go.Figure, X: np.ndarray, labels: list[str], color: str = "#111827") -> go.Figure:
    """Labelled markers (e.g. the points A, B, C) on a map."""
    X = np.asarray(X).reshape(-1, 2)
    fig.add_trace(go.Scatter(x=X[:, 0], y=X[:, 1], mode="markers+text", text=labels, name="your points",
                             textposition="top center", textfont=dict(size=16, color=color),
                             marker=dict(size=13, color="white", line=dict(color=color, width=3)),
                             hoverinfo="text"))
    return fig


def add_click_grid(fig: go.Figure, step: float = 2.0) -> go.Figure:
    """An invisible grid of points, so that a click anywhere on the map selects a (longitude, latitude)."""
    lon = np.arange(-180 + step / 2, 180, step)
    lat = np.arange(-90 + step / 2, 90, step)
    gx, gy = np.meshgrid(lon, lat)
    fig.add_trace(go.Scattergl(x=gx.ravel().round(2), y=gy.ravel().round(2), mode="markers", name="click",
                               marker=dict(size=8, opacity=0), showlegend=False,
                               hovertemplate="lat %{y:.1f}°, lon %{x:.1f}°<extra>click to pick</extra>"))
    return fig


def line_chart(x, series: dict[str, np.ndarray], x_title: str, y_title: str, height: int = 260,
               title: str | None = None, log_y: bool = False) -> go.Figure:
    """Lines over a shared x; used for the box's area and log-likelihood against n, and loss curves."""
    fig = go.Figure()
    for name, y in series.items():
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines+markers", name=name, marker=dict(size=4)))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40 if title else 10, b=10), title=title,
                      xaxis_title=x_title, yaxis_title=y_title, showlegend=len(series) > 1)
    if log_y:
        fig.update_yaxes(type="log")
    return fig


def image_grid(images: np.ndarray, columns: int = 8, pad: int = 1, scale: int = 4) -> np.ndarray:
    """Tile (n, H, W) images in [0, 1] into one uint8 picture (rows of `columns`), enlarged `scale` times."""
    images = np.clip(np.asarray(images, dtype=np.float32), 0, 1)
    n, h, w = images.shape
    rows = int(np.ceil(n / columns))
    canvas = np.ones((rows * (h + pad) + pad, columns * (w + pad) + pad), dtype=np.float32)
    for i, img in enumerate(images):
        r, c = divmod(i, columns)
        canvas[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = img
    canvas = np.kron(canvas, np.ones((scale, scale), dtype=np.float32))
    return (canvas * 255).astype(np.uint8)


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def plane_figure(xs: np.ndarray, ys: np.ndarray, z: np.ndarray, title: str, colorscale: str = "Viridis",
                 land_uri: str | None = None, points: np.ndarray | None = None, height: int = 300,
                 colorbar_title: str = "") -> go.Figure:
    """A scalar field over the plane (a density, an energy, a discriminator), on the world map when land_uri."""
    fig = world_map(land_uri, height=height) if land_uri else go.Figure()
    z = np.where(np.isfinite(z), z, np.nan)
    fig.add_trace(go.Heatmap(x=xs, y=ys, z=z, colorscale=colorscale, opacity=0.75 if land_uri else 1.0,
                             colorbar=dict(title=colorbar_title, thickness=10), hoverinfo="skip", zsmooth="best"))
    if points is not None:
        fig.add_trace(go.Scattergl(x=points[:, 0], y=points[:, 1], mode="markers", hoverinfo="skip",
                                   marker=dict(size=2, color="white", opacity=0.5), showlegend=False))
    fig.update_layout(title=dict(text=title, font=dict(size=14)), height=height,
                      margin=dict(l=10, r=10, t=35, b=10))
    if not land_uri:
        fig.update_yaxes(scaleanchor="x", scaleratio=1)
    return fig


def scatter_figure(X: np.ndarray, title: str, color: str = DATA_COLOR, land_uri: str | None = None,
                   height: int = 300, reference: np.ndarray | None = None) -> go.Figure:
    """Samples in the plane (over the land when land_uri), optionally over faint reference data."""
    fig = world_map(land_uri, height=height) if land_uri else go.Figure()
    if reference is not None:
        fig.add_trace(go.Scattergl(x=reference[:, 0], y=reference[:, 1], mode="markers", name="data",
                                   marker=dict(size=2, color="#94a3b8", opacity=0.4), hoverinfo="skip"))
    fig.add_trace(go.Scattergl(x=X[:, 0], y=X[:, 1], mode="markers", name="samples", hoverinfo="skip",
                               marker=dict(size=2.5, color=color, opacity=0.6)))
    fig.update_layout(title=dict(text=title, font=dict(size=14)), height=height, showlegend=False,
                      margin=dict(l=10, r=10, t=35, b=10))
    if not land_uri:
        fig.update_yaxes(scaleanchor="x", scaleratio=1)
    return fig


def loss_figure(history: list[dict], title: str = "training loss", height: int = 220) -> go.Figure:
    """Loss curves from a training history (a list of {"step": ..., "loss": ..., ...})."""
    fig = go.Figure()
    if history:
        steps = [h["step"] for h in history]
        keys = [k for k in history[-1] if k not in ("step", "seconds")]
        for k in keys:
            fig.add_trace(go.Scatter(x=steps, y=[h.get(k) for h in history], mode="lines", name=k))
    fig.update_layout(title=dict(text=title, font=dict(size=14)), height=height, xaxis_title="step",
                      margin=dict(l=10, r=10, t=35, b=10), legend=dict(orientation="h", y=-0.35))
    return fig


def taxonomy_dot(highlight: tuple[str, ...] = ()) -> str:
    """The book's taxonomy of the six families as Graphviz DOT, the chosen families highlighted."""
    def node(key, label):
        on = key in highlight
        return (f'{key} [label="{label}", fillcolor="{FAMILY_COLORS[key] if on else "#f1f5f9"}", '
                f'fontcolor="{"white" if on else "#0f172a"}"];')

    return "\n".join([
        "digraph G { rankdir=LR; node [shape=box, style=\"rounded,filled\", fontname=Helvetica, fontsize=12];",
        'root [label="Generative models", fillcolor="#fed7aa"]; explicit [label="Explicit density"];',
        'implicit [label="Implicit density"]; tractable [label="Tractable"]; approximate [label="Approximate"];',
        node("autoregressive", "Autoregressive"), node("flow", "Normalizing flow"), node("vae", "VAE"),
        node("ebm", "Energy-based"), node("diffusion", "Diffusion"), node("gan", "GAN"),
        "root -> explicit; root -> implicit; explicit -> tractable; explicit -> approximate;",
        "tractable -> autoregressive; tractable -> flow; approximate -> vae; approximate -> ebm;",
        "approximate -> diffusion; implicit -> gan; }"])
