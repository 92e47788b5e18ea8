"""Plotly figure builders: plain data in, `go.Figure` out. No Streamlit, no training, no loading.

World maps are not Plotly charts: they are pictures drawn on the server from the same land mask that defines
p_data (gdl.mapimage), offline, with no map tiles or topojson. The colours here are shared by both.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

LAND_RGB = (214, 196, 160)  # sand
SEA_RGB = (210, 228, 242)  # pale blue
DATA_COLOR = "#1d4ed8"  # p_data samples: blue
REFERENCE_COLOR = "#94a3b8"  # the data drawn faintly under a model's samples: grey
MODEL_COLOR = "#c2410c"  # p_model (box, samples): orange, as in the book
MLE_COLOR = "#15803d"  # the maximum-likelihood box: green
BAD_COLOR = "#dc2626"  # points the box misses: red
FAMILY_COLORS = {"vae": "#7c3aed", "ae": "#a855f7", "gan": "#dc2626", "ebm": "#0891b2", "diffusion": "#16a34a",
                 "autoregressive": "#ca8a04", "flow": "#db2777", "gmm": "#64748b", "kde": "#475569",
                 "histogram": "#334155", "gaussian": "#94a3b8", "box": MODEL_COLOR}


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


def frame(reference: np.ndarray) -> tuple[list[float], list[float]]:
    """The x and y ranges of a plane panel around `reference` points: their extent, padded by 15% of its larger
    side. Samples and a field drawn in the same frame line up when stacked."""
    lo, hi = reference.min(axis=0), reference.max(axis=0)
    pad = 0.15 * (hi - lo).max()
    return [float(lo[0] - pad), float(hi[0] + pad)], [float(lo[1] - pad), float(hi[1] + pad)]


PANEL_MARGIN = dict(l=38, r=60, t=35, b=30, autoexpand=False)  # a plane panel's fixed margins (the right one room
# for a field's colour bar, empty beside samples): Plotly would otherwise fit each figure's to its own labels


def _fixed_margins(fig: go.Figure) -> None:
    fig.update_layout(margin=PANEL_MARGIN)
    fig.update_xaxes(automargin=False)
    fig.update_yaxes(automargin=False)


def plane_figure(xs: np.ndarray, ys: np.ndarray, z: np.ndarray, title: str, colorscale: str = "Viridis",
                 points: np.ndarray | None = None, height: int = 300, colorbar_title: str = "") -> go.Figure:
    """A scalar field over the plane (a density, an energy, a discriminator), its colour bar in the right margin
    of PANEL_MARGIN, which a `scatter_figure` with a reference keeps too: the two, of one height and in one frame,
    then have the same axes and line up when stacked (a bar that took its room from the axes narrowed them). World
    maps are pictures (gdl.mapimage)."""
    fig = go.Figure()
    z = np.where(np.isfinite(z), z, np.nan)
    bar = dict(thickness=10, x=1.02, xanchor="left", xpad=0, len=1.0, title=dict(text=colorbar_title, side="right"))
    fig.add_trace(go.Heatmap(x=xs, y=ys, z=z, colorscale=colorscale, colorbar=bar, hoverinfo="skip",
                             zsmooth="best"))
    if points is not None:
        fig.add_trace(go.Scattergl(x=points[:, 0], y=points[:, 1], mode="markers", hoverinfo="skip",
                                   marker=dict(size=2, color="white", opacity=0.5), showlegend=False))
    fig.update_layout(title=dict(text=title, font=dict(size=14)), height=height)
    _fixed_margins(fig)
    fig.update_yaxes(scaleanchor="x", scaleratio=1)
    fig.update_xaxes(range=[float(xs[0]), float(xs[-1])])  # the field's frame, widened as the aspect needs, as a
    fig.update_yaxes(range=[float(ys[0]), float(ys[-1])])  # scatter_figure's in the same frame and size is
    return fig


def scatter_figure(X: np.ndarray, title: str, color: str = DATA_COLOR, height: int = 300,
                   reference: np.ndarray | None = None, beside_field: bool = False) -> go.Figure:
    """Samples in the plane, optionally over faint reference data, whose extent (padded, `frame`) then fixes the
    axes so that panels share one frame. `beside_field`: a `plane_figure`'s margins, so that a field of the same
    height and frame, drawn above or under it, lines up with it. World maps are pictures (gdl.mapimage)."""
    fig = go.Figure()
    if reference is not None:
        fig.add_trace(go.Scattergl(x=reference[:, 0], y=reference[:, 1], mode="markers", name="data",
                                   marker=dict(size=2, color=REFERENCE_COLOR, opacity=0.4), hoverinfo="skip"))
    fig.add_trace(go.Scattergl(x=X[:, 0], y=X[:, 1], mode="markers", name="samples", hoverinfo="skip",
                               marker=dict(size=2.5, color=color, opacity=0.6)))
    fig.update_layout(title=dict(text=title, font=dict(size=14)), height=height, showlegend=False,
                      margin=dict(l=10, r=10, t=35, b=10))
    fig.update_yaxes(scaleanchor="x", scaleratio=1)
    if beside_field:
        _fixed_margins(fig)
    if reference is not None and len(reference):
        x_range, y_range = frame(reference)
        fig.update_xaxes(range=x_range)
        fig.update_yaxes(range=y_range)
    return fig


CURVE_NAMES = {  # what each family's training record calls a curve -> what the legend says
    "loss": "loss", "reconstruction": "reconstruction", "kl": "KL to the prior",
    "d_loss": "D's loss", "g_loss": "G's loss", "d_real": "D(real)", "d_fake": "D(fake)",
    "cd": "CD = E(data) − E(samples)", "e_data": "E(data)", "e_neg": "E(samples)",
}


def loss_figure(history: list[dict], title: str = "training loss", height: int = 220) -> go.Figure:
    """Loss curves from a training history (a list of {"step": ..., "loss": ..., ...})."""
    fig = go.Figure()
    if history:
        steps = [h["step"] for h in history]
        curves = {k: [h.get(k) for h in history] for k in history[-1] if k not in ("step", "seconds")}
        if "loss" in curves and any(v == curves["loss"] for k, v in curves.items() if k != "loss"):
            del curves["loss"]  # the total is one of the named parts (the GAN's is its generator loss): draw it once
        for k, values in curves.items():
            fig.add_trace(go.Scatter(x=steps, y=values, mode="lines", name=CURVE_NAMES.get(k, k)))
    # What is plotted names the y axis, and the legend sits above the plot: below it, it ran into the x-axis title
    fig.update_layout(height=height, xaxis_title="step", yaxis_title=title, margin=dict(l=10, r=10, t=30, b=10),
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
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
