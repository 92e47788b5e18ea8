"""Glue for the Diffusion page: which model to show (shipped or trained here), the forward process, the cached
reverse trajectories and noise fields that make stepping free, the measurements, and the page's pictures.

Stepping through the reverse process must cost no model call and render fast, so:
- `trajectory` runs the sampler once per (model, seed, method, steps, class, guidance) and keeps every x_t,
  x̂_0 and ε̂ (st.cache_data, shared by every session);
- `noise_field` predicts the noise on a grid over the plane for every t the sampler visits, in one batch;
- the step maps are built as plain dicts from a layout validated once (`map_layout`) and handed to Plotly
  without re-validation (`fast_figure`): building a validated go.Figure of 1,000 points costs ~30-90 ms,
  the dict ~1-10 ms.

The figure helpers at the bottom take data and return a figure, an image or bytes; they never train or load.
"""
from __future__ import annotations

import base64
import io
import time

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from gdl import data, models, plots
from gdl.data import world
from gdl.ui import cache

DATASETS = {"world": "World map (2-D points)", "digits": "Handwritten digits (8×8 images)",
            "tins": "Biscuit tins (32×32 images)"}
SHIPPED = ("world", "digits")  # datasets with a pretrained diffusion checkpoint in assets/checkpoints
PATH_COLORS = ["#dc2626", "#7c3aed", "#0891b2", "#ca8a04", "#db2777", "#15803d", "#ea580c", "#0f172a"]
FORWARD_N = 2000  # world points shown dissolving in the forward process
ARROW_GRID = (23, 13)  # arrows of predicted noise across the view (columns, rows)
HELD_OUT_N = 1000  # held-out points for the NLL bound (T network calls each)
DIGITS_TEST = 297  # the benchmark's split: digits after the first 1,500 of a seeded permutation are held out


# ==== models =================================================================================================
def model_key(model) -> str:
    """A string that names a model for the caches: the checkpoint's command, or the live object's id."""
    meta = getattr(model, "checkpoint_meta_", None)
    return f"ckpt:{meta.get('command')}" if meta else f"live:{id(model)}"


def shipped_model(dataset: str):
    """The pretrained diffusion checkpoint for `dataset`, or None."""
    return cache.shipped_model("diffusion", dataset)


@st.cache_data(show_spinner=False, max_entries=8)
def training_data(dataset: str, seed: int):
    """(X, labels or None) to train on: 10,000 world points, all digits with their labels, 2,000 tins."""
    if dataset == "world":
        return data.load("world", n=10_000, seed=seed), None
    if dataset == "digits":
        return data.load("digits", with_targets=True)
    return data.load(dataset, n=2000, seed=seed), None


def training_work(dataset: str, schedule: str, timesteps: int, seconds: float, device: str, seed: int):
    """The function a background job runs: a fresh diffusion model trained on `dataset` (class-conditional
    with label dropout for digits, so it also samples unconditionally)."""
    def work(job):
        X, labels = training_data(dataset, seed)
        overrides = {"schedule": schedule, "timesteps": int(timesteps)}
        if labels is not None:
            overrides["num_classes"] = int(labels.max()) + 1
        model = models.create("diffusion", **overrides)
        model.fit(X, y=labels, seconds=seconds, device=device, seed=seed, callback=job.on_progress,
                  cancel=job.cancel)
        job.message = model.history_.message
        return model.to("cpu")

    return work


# ==== the schedule and the forward process =====================================================================
@st.cache_resource(show_spinner=False, max_entries=32)
def schedule(kind: str, timesteps: int):
    """A NoiseSchedule (shared; it holds no state that changes)."""
    from gdl.models.diffusion import NoiseSchedule

    return NoiseSchedule(kind, int(timesteps))


@st.cache_data(show_spinner=False, max_entries=32)
def schedule_arrays(kind: str, timesteps: int) -> dict[str, np.ndarray]:
    """β_t, ᾱ_t and SNR(t) over t = 1..T."""
    return schedule(kind, timesteps).arrays()


@st.cache_data(show_spinner=False, max_entries=16)
def forward_start(dataset: str, n: int, seed: int) -> dict:
    """What the forward process needs: x_0 in model space, one fixed draw of ε, and the map back to data.

    Model space is the models' own: points standardised per coordinate, images mapped to [-1, 1]. Keeping ε
    fixed while t moves makes every point slide on a straight line from x_0 towards its noise.
    """
    X = data.load(dataset, n=n, seed=seed) if dataset != "digits" else data.load("digits", n=None)[:n]
    flat = X.reshape(len(X), -1).astype(np.float64)
    if data.is_image(dataset):
        shift, scale = np.full(flat.shape[1], 0.5), np.full(flat.shape[1], 0.5)
    else:
        shift, scale = flat.mean(axis=0), flat.std(axis=0)
    z0 = ((flat - shift) / scale).astype(np.float32)
    eps = np.random.default_rng(seed + 1).standard_normal(z0.shape).astype(np.float32)
    return {"z0": z0, "eps": eps, "shift": shift.astype(np.float32), "scale": scale.astype(np.float32),
            "shape": X.shape[1:]}


def forward_at(start: dict, kind: str, timesteps: int, t: int) -> np.ndarray:
    """x_t = sqrt(ᾱ_t) x_0 + sqrt(1 - ᾱ_t) ε (the schedule's closed form), back in data units."""
    import torch

    zt = schedule(kind, timesteps).q_sample(torch.from_numpy(start["z0"]), int(t), torch.from_numpy(start["eps"]))
    x = zt.numpy() * start["scale"] + start["shift"]
    return x.reshape(len(x), *start["shape"])


# ==== the reverse process, computed once ======================================================================
@st.cache_data(show_spinner=False, max_entries=24)
def trajectory(_model, key: str, n: int, seed: int, method: str, steps: int | None, label: int | None = None,
               guidance: float = 0.0) -> dict:
    """The whole reverse path (see `Diffusion.trajectory`) plus "seconds", the time the sampler took."""
    start = time.perf_counter()
    out = _model.trajectory(n, seed=seed, method=method, steps=steps, y=label, guidance=guidance)
    out["seconds"] = time.perf_counter() - start
    return out


@st.cache_data(show_spinner=False, max_entries=16)
def noise_field(_model, key: str, timesteps: tuple[int, ...], view: tuple[float, float, float, float]):
    """The predicted noise on a grid over `view` (lon0, lat0, lon1, lat1) at every t in `timesteps`.

    Returns (grid (G, 2) in data units, arrows (S, G, 2)): each arrow is −ε̂ drawn in data units, the way
    the next reverse step pushes a point there, scaled so that |ε̂| = 1 spans about half a grid cell.
    """
    lon0, lat0, lon1, lat1 = view
    cols, rows = ARROW_GRID
    dx, dy = (lon1 - lon0) / cols, (lat1 - lat0) / rows
    gx, gy = np.meshgrid(lon0 + dx * (np.arange(cols) + 0.5), lat0 + dy * (np.arange(rows) + 0.5))
    grid = np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32)  # (G, 2)
    ts = np.asarray([t for t in timesteps if t >= 1], dtype=np.int64)
    if not len(ts):
        return grid, np.zeros((0, len(grid), 2), np.float32)
    eps = _model.predict_noise(np.tile(grid, (len(ts), 1)), np.repeat(ts, len(grid)))  # (S·G, 2)
    scale = _model.scale.detach().cpu().numpy()
    arrows = -eps.reshape(len(ts), len(grid), 2) * scale / scale.mean() * 0.55 * min(dx, dy)
    return grid, arrows.astype(np.float32)


@st.cache_data(show_spinner=False, max_entries=32)
def timed_samples(_model, key: str, n: int, seed: int, method: str, steps: int | None) -> tuple[np.ndarray, float]:
    """(samples, seconds) for the DDPM-against-DDIM race."""
    start = time.perf_counter()
    out = _model.sample(n, seed=seed, method=method, steps=steps)
    return out, time.perf_counter() - start


def view_box(shift: np.ndarray, scale: np.ndarray) -> tuple[float, float, float, float]:
    """The map's view for noisy points: the world, widened to hold ±2.5 σ of N(0, I) mapped to data units
    (x = shift + scale · z), rounded out to 10 degrees."""
    shift, scale = np.asarray(shift, dtype=float), np.asarray(scale, dtype=float)
    low, high = shift - 2.5 * scale, shift + 2.5 * scale
    return (float(np.floor(min(-180, low[0]) / 10) * 10), float(np.floor(min(-90, low[1]) / 10) * 10),
            float(np.ceil(max(180, high[0]) / 10) * 10), float(np.ceil(max(90, high[1]) / 10) * 10))


def model_view_box(model) -> tuple[float, float, float, float]:
    """`view_box` for a fitted model's own standardisation."""
    return view_box(model.shift.detach().cpu().numpy(), model.scale.detach().cpu().numpy())


# ==== measurements =============================================================================================
@st.cache_resource(show_spinner=False)
def digit_judge():
    """The benchmark's digit classifier and its split: (classifier, accuracy, train images, held-out images)."""
    from gdl.bench import _digit_classifier

    clf, accuracy = _digit_classifier(0)
    X = data.load("digits", n=None)
    idx = np.random.default_rng(0).permutation(len(X))
    return clf, accuracy, X[idx[:1500]], X[idx[1500:]]


@st.cache_data(show_spinner=False, max_entries=16)
def world_quality(_model, key: str, n: int = 1000) -> dict:
    """Share on land and coverage of n DDPM samples (seed 1)."""
    from gdl.metrics import coverage, precision_on_land

    samples = _model.sample(n, seed=1)
    return {"land": precision_on_land(samples),
            "coverage": coverage(cache.world_held_out()[:5000], samples, radius=2.0), "samples": samples}


@st.cache_data(show_spinner=False, max_entries=16)
def world_nll_bound(_model, key: str) -> float:
    """The held-out NLL bound (−mean ELBO, nats) on HELD_OUT_N fresh points: an upper bound on the true NLL."""
    from gdl.metrics import held_out_nll

    return held_out_nll(_model.log_prob(cache.world_held_out()[:HELD_OUT_N]))


@st.cache_data(show_spinner=False, max_entries=16)
def digit_quality(_model, key: str, n: int = 300) -> dict:
    """The benchmark's digit scores of n unconditional DDPM samples, beside the same for real held-out digits."""
    from gdl.bench import digit_scores

    clf, accuracy, train, test = digit_judge()
    samples = _model.sample(n, seed=1)
    return {"model": digit_scores(samples, clf, train), "real": digit_scores(test, clf, train),
            "accuracy": accuracy}


def class_agreement(images: np.ndarray, label: int) -> float:
    """Share of images the benchmark's classifier reads as `label`."""
    clf = digit_judge()[0]
    return float(np.mean(clf.predict(np.clip(images, 0, 1).reshape(len(images), -1)) == label))


# ==== figures: data in, figure out ==============================================================================
@st.cache_data(show_spinner=False, max_entries=8)
def map_layout(view: tuple[float, float, float, float], height: int) -> dict:
    """The validated layout of a world map widened to `view`, as a plain dict (validated once, reused)."""
    fig = plots.world_map(cache.land_uri(), height=height)
    fig.update_xaxes(range=[view[0], view[2]], tickvals=list(range(-360, 361, 60)))
    fig.update_yaxes(range=[view[1], view[3]], tickvals=list(range(-180, 181, 30)))
    fig.add_shape(type="rect", x0=-180, y0=-90, x1=180, y1=90, line=dict(color="#94a3b8", width=1),
                  layer="below")
    fig.update_layout(margin=dict(l=10, r=10, t=36, b=10), legend=dict(orientation="h", y=1.0, yanchor="bottom",
                                                                     x=0, font=dict(size=11)))
    return fig.to_dict()["layout"]


class PrebuiltFigure(go.Figure):
    """A figure that is already a finished Plotly spec (a dict), for views redrawn at every step.

    st.plotly_chart turns any go.Figure into a dict with `to_dict()`, which re-creates and copies every trace
    and converts every array (~40-80 ms for a map of 1,000 points on a busy server). This figure returns its
    ready spec instead, with arrays already packed as Plotly's base64 typed arrays (~2 ms).
    """

    def __init__(self, spec: dict):
        super().__init__()
        self._spec = spec

    def to_dict(self) -> dict:
        return self._spec


def _packed(value):
    """NumPy arrays inside a spec as Plotly typed arrays {"dtype", "bdata"} (float32 keeps NaN gaps)."""
    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value, dtype=np.float32)
        return {"dtype": "f4", "bdata": base64.b64encode(array.tobytes()).decode("ascii")}
    if isinstance(value, dict):
        return {k: _packed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_packed(v) for v in value]
    return value


def fast_figure(layout: dict, traces: list[dict], title: str | None = None, legend: bool = True) -> go.Figure:
    """A figure from plain trace dicts and a layout validated once (`map_layout`), without Plotly's per-trace
    validation and copying: cheap enough to rebuild at every step of a player."""
    layout = dict(layout, showlegend=legend)
    if title:
        layout["title"] = {"text": title, "font": {"size": 14}, "x": 0.01, "y": 0.99, "yanchor": "top"}
    return PrebuiltFigure({"data": _packed(traces), "layout": layout})


def points_trace(X: np.ndarray, name: str, color: str = plots.DATA_COLOR, size: float = 3.5,
                 opacity: float = 0.6) -> dict:
    """Markers at (longitude, latitude) rows of X (SVG: cheap to redraw for a few thousand points)."""
    return {"type": "scatter", "x": X[:, 0], "y": X[:, 1], "mode": "markers", "name": name, "hoverinfo": "skip",
            "marker": {"color": color, "size": size, "opacity": opacity}}


def path_traces(paths: np.ndarray) -> list[dict]:
    """The highlighted chains: each one's path so far (a line) and where it is now (a big dot)."""
    traces = []
    for k, path in enumerate(paths):  # path (i+1, 2)
        color = PATH_COLORS[k % len(PATH_COLORS)]
        traces.append({"type": "scatter", "x": path[:, 0], "y": path[:, 1], "mode": "lines", "hoverinfo": "skip",
                       "line": {"color": color, "width": 1.6}, "opacity": 0.85, "showlegend": False})
        traces.append({"type": "scatter", "x": path[-1:, 0], "y": path[-1:, 1], "mode": "markers",
                       "hoverinfo": "skip", "showlegend": k == 0, "name": "highlighted chains",
                       "marker": {"color": color, "size": 11, "line": {"color": "white", "width": 1.5}}})
    return traces


def arrow_trace(grid: np.ndarray, arrows: np.ndarray, name: str = "−ε̂: where a step pushes") -> dict:
    """Arrows from each grid point along `arrows` (one trace: segments with arrowheads at the tips)."""
    tips = grid + arrows
    nan = np.full(len(grid), np.nan, np.float32)
    x = np.column_stack([grid[:, 0], tips[:, 0], nan]).ravel()
    y = np.column_stack([grid[:, 1], tips[:, 1], nan]).ravel()
    size = np.tile([0.0, 7.0, 0.0], len(grid))
    return {"type": "scatter", "x": x, "y": y, "mode": "lines+markers", "name": name, "hoverinfo": "skip",
            "line": {"color": "#475569", "width": 1.2}, "opacity": 0.75,
            "marker": {"symbol": "arrow", "angleref": "previous", "size": size, "color": "#475569"}}


def prior_ellipse_trace(shift: np.ndarray, scale: np.ndarray, radius: float = 2.0) -> dict:
    """The 2σ contour of N(0, I) in data units: where the forward process ends and the reverse one starts."""
    a = np.linspace(0, 2 * np.pi, 80)
    return {"type": "scatter", "x": shift[0] + radius * scale[0] * np.cos(a),
            "y": shift[1] + radius * scale[1] * np.sin(a), "mode": "lines", "name": "2σ of the noise N(0, I)",
            "hoverinfo": "skip", "line": {"color": "#64748b", "width": 1.5, "dash": "dot"}}


def image_row(images: np.ndarray, scale: int = 5) -> np.ndarray:
    """One row of (n, H, W) images as a uint8 picture."""
    return plots.image_grid(images, columns=len(images), scale=scale)


# ---- the download: the denoising as a GIF or a strip -----------------------------------------------------------
def _frame_indices(total: int, frames: int) -> np.ndarray:
    return np.unique(np.round(np.linspace(0, total - 1, min(frames, total))).astype(int))


@st.cache_resource(show_spinner=False, max_entries=4)
def _land_raster(view: tuple[float, float, float, float], px_per_degree: float):
    """The land mask resampled to `view` as an RGB array (sea outside the world too, drawn a shade lighter)."""
    land, cell = world.mask()
    lon0, lat0, lon1, lat1 = view
    w, h = int((lon1 - lon0) * px_per_degree), int((lat1 - lat0) * px_per_degree)
    lon = lon0 + (np.arange(w) + 0.5) / px_per_degree
    lat = lat1 - (np.arange(h) + 0.5) / px_per_degree  # image rows run north to south
    inside = (np.abs(lon)[None, :] <= 180) & (np.abs(lat)[:, None] <= 90)
    col = np.clip(((lon + 180) / cell).astype(int), 0, land.shape[1] - 1)
    row = np.clip(((lat + 90) / cell).astype(int), 0, land.shape[0] - 1)
    is_land = land[row[:, None], col[None, :]] & inside
    rgb = np.empty((h, w, 3), np.uint8)
    rgb[:] = (246, 248, 250)
    rgb[inside] = plots.SEA_RGB
    rgb[is_land] = plots.LAND_RGB
    return rgb


def world_frame(points: np.ndarray, view, caption: str, px_per_degree: float = 1.5):
    """A PIL image of points (3-pixel squares) on the land raster, with a caption: one frame of the GIF."""
    from PIL import Image, ImageDraw

    rgb = _land_raster(tuple(view), px_per_degree).copy()
    h, w, _ = rgb.shape
    lon0, _, _, lat1 = view
    px = np.round((points[:, 0] - lon0) * px_per_degree).astype(int)
    py = np.round((lat1 - points[:, 1]) * px_per_degree).astype(int)
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            x, y = px + dx, py + dy
            inside = (x >= 0) & (x < w) & (y >= 0) & (y < h)
            rgb[y[inside], x[inside]] = (29, 78, 216)
    img = Image.fromarray(rgb)
    ImageDraw.Draw(img).text((6, 4), caption, fill=(15, 23, 42))
    return img


def image_frame(images: np.ndarray, caption: str, columns: int = 8, scale: int = 6):
    """A PIL image of an image grid with a caption band on top: one frame of the GIF."""
    from PIL import Image, ImageDraw

    grid = plots.image_grid(images, columns=columns, scale=scale)
    img = Image.new("L", (grid.shape[1], grid.shape[0] + 16), color=255)
    img.paste(Image.fromarray(grid), (0, 16))
    ImageDraw.Draw(img).text((4, 2), caption, fill=0)
    return img.convert("RGB")


def denoising_frames(traj: dict, view=None, frames: int = 40) -> list:
    """About `frames` PIL frames of the reverse process (x_t), from pure noise to the samples."""
    xs, ts = traj["x"], traj["timesteps"]
    out = []
    for i in _frame_indices(len(xs), frames):
        caption = f"step {i}/{len(xs) - 1}  t = {ts[i]}"
        out.append(world_frame(xs[i], view, caption) if view is not None else image_frame(xs[i][:32], caption))
    return out


def gif_bytes(frames: list, ms_per_frame: int = 120, hold_ms: int = 1500) -> bytes:
    """An animated GIF that loops, holding the last frame (the samples) a little longer. Every frame shares
    one small palette (the pictures have only a few colours), which keeps the file small and fast to write."""
    from PIL import Image

    palette = frames[-1].convert("RGB").quantize(colors=32)
    indexed = [f.convert("RGB").quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    buffer = io.BytesIO()
    durations = [ms_per_frame] * (len(frames) - 1) + [hold_ms]
    indexed[0].save(buffer, format="GIF", save_all=True, append_images=indexed[1:], duration=durations, loop=0)
    return buffer.getvalue()


def strip_bytes(frames: list, columns: int = 8, width: int = 1600) -> bytes:
    """A PNG strip of `columns` frames side by side, from noise (left) to samples (right), `width` pixels wide."""
    from PIL import Image

    chosen = [frames[i] for i in _frame_indices(len(frames), columns)]
    w, h = chosen[0].size
    scale = min(1.0, (width - 4 * (len(chosen) - 1)) / (w * len(chosen)))
    w, h = max(1, int(w * scale)), max(1, int(h * scale))
    strip = Image.new("RGB", (w * len(chosen) + 4 * (len(chosen) - 1), h), color=(255, 255, 255))
    for k, frame in enumerate(chosen):
        strip.paste(frame.resize((w, h), Image.LANCZOS if scale < 1 else Image.NEAREST), (k * (w + 4), 0))
    buffer = io.BytesIO()
    strip.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
