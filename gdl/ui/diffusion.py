"""Glue for the Diffusion page: which model to show (shipped or trained here), the forward process, the cached
reverse trajectories and noise fields that make stepping cheap, the measurements, and the page's pictures.

Stepping through the reverse process must render fast, so:
- `trajectory` runs the sampler once per (model, seed, method, steps, class, guidance) and keeps every x_t,
  x̂_0 and ε̂ (st.cache_data, shared by every session);
- `noise_field` predicts the noise on a small grid over the plane at every step of the path, in one batch in the
  background (gdl.ui.background); until it is ready, `noise_arrows` predicts it at the step shown;
- the slower panels below the player (the samplers' race, the conditional digits, the scores) are computed in
  gdl.ui.background on a first visit, so the page renders at once and they fill in;
- the maps are small PNG pictures drawn with NumPy and PIL (`map_picture`, ~10-20 ms), not Plotly charts: a
  Plotly chart whose data change is mounted afresh in the browser at every step, which costs hundreds of
  milliseconds for a thousand points. The same pictures make the downloadable GIF.

The picture helpers take data and return a picture or bytes; they never train or load.
"""
from __future__ import annotations

import io
import math
import time

import numpy as np
import streamlit as st

from gdl import data, plots
from gdl.mapimage import Canvas
from gdl.ui import cache, jobs

DATASETS = {"world": "World map (2-D points)", "digits": "Handwritten digits (8×8 images)",
            "tins": "Biscuit tins (32×32 images)"}
SHIPPED = ("world", "digits")  # datasets with a pretrained diffusion checkpoint in assets/checkpoints
PATH_COLORS = ["#dc2626", "#7c3aed", "#0891b2", "#ca8a04", "#db2777", "#15803d", "#ea580c", "#0f172a"]
FORWARD_N = 2000  # world points shown dissolving in the forward process
ARROW_GRID = (23, 13)  # arrows of predicted noise across the view (columns, rows)
HELD_OUT_N = 1000  # held-out points for the NLL bound (T network calls each)


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
        if dataset == "tins":  # 1,024 pixels: the MLP learns x_0 but not ε (see gdl/models/diffusion.py)
            overrides["prediction"] = "x0"
        if labels is not None:
            overrides["num_classes"] = int(labels.max()) + 1
        model = jobs.fit_model(jobs.TrainSpec("diffusion", X, overrides, y=labels, seconds=seconds, device=device,
                                              seed=seed), job)
        return jobs.report(job, model)

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
def own_clock(device: str) -> bool:
    """Whether `timed` reads the calling thread's CPU time: a model on the CPU with torch on one thread computes on
    the calling thread alone, so that time is the work itself, whatever else the server's cores do meanwhile."""
    import torch

    return device == "cpu" and torch.get_num_threads() == 1


def timed(device: str, fn, *args, **kwargs):
    """(fn(*args, **kwargs), seconds): the calling thread's CPU time where `own_clock(device)`, wall time
    otherwise. On a first visit several panels sample at once on the server's two cores, and wall time charged
    each sampler for the others' work: DDPM once took 45x as long as DDIM for 11x the network calls."""
    clock = time.thread_time if own_clock(device) else time.perf_counter
    start = clock()
    result = fn(*args, **kwargs)
    return result, clock() - start


@st.cache_data(show_spinner=False, max_entries=24)
def trajectory(_model, key: str, n: int, seed: int, method: str, steps: int | None, label: int | None = None,
               guidance: float = 0.0) -> dict:
    """The whole reverse path (see `Diffusion.trajectory`) plus "seconds", the time the sampler took (`timed`)."""
    out, seconds = timed(_model.device_.type, _model.trajectory, n, seed=seed, method=method, steps=steps, y=label,
                         guidance=guidance)
    out["seconds"] = seconds
    return out


def _arrows(_model, view: tuple[float, float, float, float], timesteps: np.ndarray):
    """(grid (G, 2) over `view` in data units, arrows (len(timesteps), G, 2)): −ε̂ at each t, drawn in data
    units, the way the next reverse step pushes a point there, scaled so that |ε̂| = 1 spans about half a cell."""
    lon0, lat0, lon1, lat1 = view
    cols, rows = ARROW_GRID
    dx, dy = (lon1 - lon0) / cols, (lat1 - lat0) / rows
    gx, gy = np.meshgrid(lon0 + dx * (np.arange(cols) + 0.5), lat0 + dy * (np.arange(rows) + 0.5))
    grid = np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32)  # (G, 2)
    ts = np.asarray(timesteps, dtype=np.int64)
    eps = _model.predict_noise(np.tile(grid, (len(ts), 1)), np.repeat(ts, len(grid)))  # (S·G, 2)
    scale = _model.scale.detach().cpu().numpy()
    arrows = -eps.reshape(len(ts), len(grid), 2) * scale / scale.mean() * 0.55 * min(dx, dy)
    return grid, arrows.astype(np.float32)


@st.cache_data(show_spinner=False, max_entries=16)
def noise_field(_model, key: str, timesteps: tuple[int, ...], view: tuple[float, float, float, float]):
    """The predicted noise on a grid over `view` (lon0, lat0, lon1, lat1) at every t in `timesteps` (all ≥ 1), in
    one batch (a few seconds for 200 steps): (grid (G, 2), arrows (S, G, 2)); see `_arrows`."""
    return _arrows(_model, view, timesteps)


@st.cache_data(show_spinner=False, max_entries=1024)
def noise_arrows(_model, key: str, t: int, view: tuple[float, float, float, float]):
    """The same at one step t (one small batch, about 10 ms): (grid (G, 2), arrows (G, 2)). The player uses it
    until `noise_field` for the whole path is ready."""
    grid, arrows = _arrows(_model, view, [int(t)])
    return grid, arrows[0]


@st.cache_data(show_spinner=False, max_entries=32)
def race(_model, key: str, dataset: str, n: int, seed: int, ddim_steps: int) -> dict:
    """DDPM (all T steps) against DDIM (`ddim_steps`) from the same seed: for each, "samples", "seconds" (`timed`;
    "cpu_time" says whether that is the sampling thread's CPU time) and, for the world, the share "on_land"; for
    the digits, the classifier's mean "confidence". Both samplers run here, one after the other (DDPM's run,
    cached on its own, once kept the wall time of a busy moment: 3.74 s against DDIM's 1.27 s for the same 200
    network calls)."""
    out = {}
    for name, method, steps in (("DDPM", "ddpm", _model.config.timesteps), ("DDIM", "ddim", ddim_steps)):
        samples, seconds = timed(_model.device_.type, _model.sample, n, seed=seed, method=method, steps=steps)
        out[name] = {"samples": samples, "seconds": seconds, "steps": steps,
                     "cpu_time": own_clock(_model.device_.type)}  # which clock `timed` read
        if dataset == "world":
            from gdl.data import world

            out[name]["on_land"] = float(np.mean(world.is_land(samples)))
        elif dataset == "digits":
            out[name]["confidence"] = float(cache.read_digits(samples)[1].mean())
    return out


def race_verdict(raced: dict) -> str:
    """One sentence on how DDIM's samples compare with DDPM's, from the race's own numbers (`race`): the share on
    land for the world, the classifier's confidence for the digits; by eye for data with no score."""
    if "on_land" in raced["DDPM"]:
        what, a, b = "on land", raced["DDPM"]["on_land"], raced["DDIM"]["on_land"]
        fmt = "{:.0%}"
    elif "confidence" in raced["DDPM"]:
        what, a, b = "classifier confidence", raced["DDPM"]["confidence"], raced["DDIM"]["confidence"]
        fmt = "{:.2f}"
    else:
        return "Compare the two grids by eye, and move DDIM's steps down to see what fewer steps cost."
    numbers = f"({what}: DDPM {fmt.format(a)}, DDIM {fmt.format(b)})"
    if b > a + 0.05:
        return f"Here its samples even score better than DDPM's {numbers}."
    if b >= a - 0.05:
        return f"Its samples are about as good as DDPM's {numbers}, for a fraction of the network calls."
    return f"With this few steps its samples fall behind DDPM's {numbers}: more DDIM steps usually close the gap."


def land_verdict(land: float, land_ddim: float) -> str:
    """What section 6's two shares on land say: DDPM's samples, and DDIM's 50-step shortcut beside them."""
    first = (f"Most samples ({land:.0%}) land on land" if land >= 0.8 else f"Only {land:.0%} of the samples land "
             "on land") + " (the maps in section 4 show where)"
    gap = land_ddim - land
    if gap > 0.01:
        return f"{first}, and DDIM's 50-step shortcut puts even a little more there ({land_ddim:.1%})."
    if gap >= -0.01:
        return f"{first}, and DDIM's 50-step shortcut does about as well ({land_ddim:.1%})."
    return f"{first}; DDIM's 50-step shortcut loses {-gap * 100:.1f} points ({land_ddim:.1%})."


def guidance_verdict(digit: int, strengths: list) -> str:
    """What the four guidance strengths' classifier readings say, from (w, samples, share read as `digit`)."""
    from gdl.ui.widgets import a_digit

    (w0, _, a0), (w1, _, a1) = strengths[0], strengths[-1]
    if min(a for _, _, a in strengths) >= 0.99:
        return (f"Here the classifier reads every sample as {a_digit(digit)} at every strength, so guidance shows "
                "only in the strokes: as w grows they become bolder and more alike.")
    if a1 > a0 + 0.05:
        return (f"At w = {w0:g} the classifier reads {a0:.0%} of them as {a_digit(digit)}, at w = {w1:g} "
                f"{a1:.0%}: as w grows the samples become bolder, more alike and easier to read.")
    return (f"Here the classifier reads about as many as {a_digit(digit)} at w = {w1:g} ({a1:.0%}) as at "
            f"w = {w0:g} ({a0:.0%}): guidance makes the strokes bolder and more alike, not always easier to read.")


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
QUALITY_N = 1000  # section 6's samples per sampler


@st.cache_data(show_spinner=False, max_entries=16)
def world_quality(_model, key: str, n: int = QUALITY_N) -> dict:
    """Share on land of n DDPM samples and of n DDIM samples in 50 steps (seed 1)."""
    from gdl.metrics import precision_on_land

    steps = min(50, _model.config.timesteps)
    return {"land": precision_on_land(_model.sample(n, seed=1)),
            "land_ddim": precision_on_land(_model.sample(n, seed=1, method="ddim", steps=steps))}


def chance_note(share: float, n: int = QUALITY_N, other: int = 500) -> str:
    """Why section 6's share on land differs from those of sections 3 and 4: their samples are other draws (500 by
    default), and some come from another sampler. Chance alone, from the binomial standard error sqrt(p(1 - p)/n)
    (p kept at least 1/n from 0 and 1, where the formula would claim no spread at all)."""
    p = min(max(share, 1 / n), 1 - 1 / n)
    se = math.sqrt(p * (1 - p) / n)
    apart = math.sqrt(p * (1 - p) * (1 / n + 1 / other))  # the spread of the difference of two such shares
    return (f"Sections 3 and 4 draw samples of their own ({other:,} by default, with other seeds, and DDIM's with "
            f"another sampler), so their shares on land differ from these. Chance alone moves a share of "
            f"{share:.1%} from {n:,} samples by about ±{100 * se:.1f} percentage points (one standard error), and "
            f"two shares, one from {n:,} samples and one from {other:,}, typically lie about {100 * apart:.1f} "
            "points apart.")


@st.cache_data(show_spinner=False, max_entries=16)
def world_nll_bound(_model, key: str) -> dict:
    """The held-out NLL bound (−mean ELBO, nats) on HELD_OUT_N fresh points, an upper bound on the true NLL:
    "fitted" with the step variances fitted after training (None for a model without them), "fixed" with
    DDPM's β̃_t."""
    from gdl.metrics import held_out_nll

    X = cache.world_held_out()[:HELD_OUT_N]
    fitted = held_out_nll(_model.log_prob(X)) if _model.has_bound_variances else None
    return {"fitted": fitted, "fixed": held_out_nll(_model.log_prob(X, fixed_variances=True))}


@st.cache_data(show_spinner=False, max_entries=16)
def digit_quality(_model, key: str, n: int = 300) -> dict:
    """The benchmark's digit scores of n unconditional DDPM samples, beside the same for the 297 real digits the
    classifier never saw."""
    from gdl.metrics import digit_scores

    clf, accuracy, train, test = cache.digit_judge()
    samples = _model.sample(n, seed=1)
    return {"model": digit_scores(samples, clf, train), "real": digit_scores(test, clf, train),
            "accuracy": accuracy}


def class_agreement(images: np.ndarray, label: int) -> float:
    """Share of images the benchmark's classifier reads as `label`."""
    return float(np.mean(cache.read_digits(images)[0] == label))


@st.cache_data(show_spinner=False, max_entries=64)
def conditional_digits(_model, key: str, digit: int, guidance: float, seed: int,
                       strengths: tuple[float, ...] = (0.0, 1.0, 3.0, 6.0)) -> dict:
    """Eight DDIM chains (50 steps) drawing `digit` with guidance w: their trajectory ("traj") and the share read
    as that digit ("agreement"); and the same seed at each of `strengths`: ("samples", "agreement") pairs."""
    steps = min(50, _model.config.timesteps)
    traj = trajectory(_model, key, 8, seed, "ddim", steps, digit, guidance)
    by_strength = []
    for g in strengths:
        s = trajectory(_model, key, 8, seed, "ddim", steps, digit, g)["sample"]
        by_strength.append((g, s, class_agreement(s, digit)))
    return {"traj": traj, "agreement": class_agreement(traj["sample"], digit), "strengths": by_strength}


# ==== pictures: data in, picture out =============================================================================
# ---- pictures of the plane for the player and the GIF --------------------------------------------------------
# The player redraws at every step. A Plotly chart whose data change is mounted afresh in the browser (a new
# element id), which costs hundreds of milliseconds for a map of a thousand points. These maps are PNGs drawn
# with NumPy and PIL instead (gdl.mapimage: a few milliseconds to draw and encode), and the same pictures make
# the GIF.
PX_PER_DEGREE = 1.5
TEXT_SCALE = 1.5  # the page shows these maps at 0.6-0.75 of their width at 1400 px: labels, caption 1.5 times larger


def _frame_indices(total: int, frames: int) -> np.ndarray:
    return np.unique(np.round(np.linspace(0, total - 1, min(frames, total))).astype(int))


def map_picture(view, points: np.ndarray | None = None, color: str = plots.DATA_COLOR, arrows=None,
                paths: np.ndarray | None = None, highlight: np.ndarray | None = None, ellipse=None,
                caption: str | None = None, px_per_degree: float = PX_PER_DEGREE):
    """A PIL picture of the plane over `view`: points (3-pixel squares), optional arrows (grid, vectors),
    coloured paths (k, steps, 2) ending in big dots, extra big dots `highlight` (k, 2), the 2σ ellipse of the
    noise given as (shift, scale), and a caption in the corner."""
    c = Canvas(view, px_per_degree, text_scale=TEXT_SCALE)
    if points is not None:
        c.points(points, color, radius=1.5)
    if arrows is not None:
        c.arrows(*arrows)
    ends = []
    for k, path in enumerate(paths if paths is not None else []):
        c.path(path, PATH_COLORS[k % len(PATH_COLORS)])
        ends.append((path[-1], k))
    ends += [(q, k) for k, q in enumerate(highlight if highlight is not None else [])]
    for q, k in ends:
        c.markers(q, PATH_COLORS[k % len(PATH_COLORS)], radius=5)
    if ellipse is not None:  # the 2σ contour of N(0, I), mapped to data units by (shift, scale)
        c.ellipse(ellipse[0], 2 * np.asarray(ellipse[1], dtype=np.float64))
    return c.image(caption)


def world_frame(points: np.ndarray, view, caption: str):
    """One frame of the world GIF: the points at one step, with a caption."""
    return map_picture(view, points, caption=caption)


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
