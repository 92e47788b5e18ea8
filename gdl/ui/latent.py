"""Glue for the Latent Space page: the data and models it shows (cached), training in the page, and the
latent-plane component (a decoder running in the browser)."""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import streamlit as st

from gdl import data, latent
from gdl.ui import cache, jobs
from gdl.ui.widgets import a_digit

COMPONENT_DIR = Path(__file__).resolve().parent / "components" / "latent_plane"
DATASETS = {"tins": "Biscuit tins (32×32)", "digits": "Handwritten digits (8×8)",
            "idx": "Your own IDX file"}
DATASET_HELP = ("**Biscuit tins**: generated pictures of tins whose only true factors are their height and width, so "
                "you can check whether the code finds those two. **Digits**: scikit-learn's 1,797 handwritten digits, "
                "8×8 pixels. **Your own IDX file**: MNIST or Fashion-MNIST, uploaded; train a model on it here.")
VIEW_N = {"tins": 2000}  # how many observations each view shows (digits: all 1,797)
VIEW_SEED = 1  # the shipped tins models trained on seed 0: the page shows fresh tins
IDX_LIMIT = 10_000  # images read from an IDX file (MNIST has 60,000: enough for a quick model in the page)
IDX_MAX_SIDE = 64  # the largest images the page takes (MNIST's are 28x28; the models are small MLPs)
IDX_MAX_BYTES = 64 * 2**20  # the largest IDX file it reads, uncompressed (MNIST's 60,000 images are 47 MB)
PLANE_POINTS = 600  # codes drawn under the draggable point
UPLOAD_DIR = Path(tempfile.gettempdir()) / "gdl-uploads"  # uploaded IDX files, one folder per content hash
UPLOAD_KEEP_SECONDS = 24 * 3600  # an upload nobody has used for a day is removed


# ---- data ----------------------------------------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=8)
def idx_data(images_path: str, labels_path: str, mtime: float) -> tuple[np.ndarray, np.ndarray | None]:
    """Images (and labels) from IDX files on this server, cached per path and modification time."""
    from gdl.data.idx import load_idx_images

    return load_idx_images(images_path, labels_path or None, limit=IDX_LIMIT, max_side=IDX_MAX_SIDE,
                           max_bytes=IDX_MAX_BYTES)


def idx_mtime(path: str) -> float:
    """The modification time of a file (0 when missing or unreadable): part of the cache key, so a replaced file
    reloads."""
    try:
        p = Path(path).expanduser()
        return p.stat().st_mtime if p.is_file() else 0.0
    except (OSError, ValueError, RuntimeError):  # a name too long, a null byte, an unknown ~user
        return 0.0


def server_paths_allowed() -> bool:
    """Whether the page may read IDX files by a path on this server. GDL_SERVER_PATHS=0 turns it off (the
    classroom image does): a path box on a shared server lets anyone probe its files; uploads stay."""
    return os.environ.get("GDL_SERVER_PATHS", "1") != "0"


def stash_upload(name: str, content: bytes, folder: Path | None = None) -> str:
    """Keep an uploaded file on this server and return its path, so that it is read, cached and trained on like
    a file given by path. The folder is named by the content's hash (the same file uploaded by thirty students
    is kept once) and the file keeps the uploaded name (safe characters only), which messages quote. Folders
    unused for a day are removed."""
    folder = Path(folder or UPLOAD_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in folder.iterdir():
        try:
            if now - old.stat().st_mtime > UPLOAD_KEEP_SECONDS:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:  # another session removed it first
            pass
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", Path(str(name)).name).lstrip(".")[:80] or "upload"
    home = folder / hashlib.sha256(content).hexdigest()[:24]
    home.mkdir(exist_ok=True)
    path = home / safe
    if not path.is_file():
        part = home / f".{safe}.{os.getpid()}.{time.monotonic_ns()}.part"
        part.write_bytes(content)
        part.replace(path)  # atomic: a session reading the file never sees half of it
    os.utime(home)  # in use: not to be removed for another day
    return str(path)


@st.cache_data(show_spinner=False, max_entries=8)
def view_data(dataset: str) -> tuple[np.ndarray, np.ndarray | None]:
    """The observations every figure shows, with their labels (digits) or true factors (tins)."""
    return data.load(dataset, n=VIEW_N.get(dataset), seed=VIEW_SEED, with_targets=True)


def dataset_data(dataset: str, idx_paths: tuple[str, str] = ("", "")):
    """(X, targets) for a dataset name, or for "idx" the user's files (targets: labels or None)."""
    if dataset == "idx":
        from gdl.data.idx import IDXError

        try:
            return idx_data(idx_paths[0], idx_paths[1], idx_mtime(idx_paths[0]))
        except (OSError, ValueError, RuntimeError) as err:
            if isinstance(err, IDXError):
                raise
            # whatever the path typed (far too long, odd characters), the page gets a message, not a traceback
            raise IDXError(f"the path cannot be read on this server ({type(err).__name__}: "
                           f"{getattr(err, 'strerror', None) or str(err)[:100]})") from None
    return view_data(dataset)


# ---- models ---------------------------------------------------------------------------------------------------

def model_key(model) -> str:
    """A stable cache key for a model: its checkpoint's command, or its identity for one trained here."""
    meta = getattr(model, "checkpoint_meta_", None)
    return f"ckpt:{meta.get('command')}:{model.config.latent_dim}" if meta else f"live:{id(model)}"


def shipped(family: str, dataset: str):
    """The pretrained checkpoint of `family` on `dataset`, loaded once per server; None when there is none."""
    return cache.shipped_model(family, dataset) if dataset in ("tins", "digits") else None


@st.cache_data(show_spinner=False, max_entries=32)
def _codes(_model, key: str, dataset: str, idx_paths: tuple[str, str]) -> np.ndarray:
    X, _ = dataset_data(dataset, idx_paths)
    return _model.encode(X)


def codes(model, dataset: str, idx_paths: tuple[str, str] = ("", "")) -> np.ndarray:
    """The codes of the page's observations under `model`, cached per model."""
    return _codes(model, model_key(model), dataset, tuple(idx_paths))


@st.cache_resource(show_spinner=False, max_entries=16)
def _exported(_model, key: str) -> list[dict]:
    return _model.decoder_export()


def decode_now(model, Z: np.ndarray) -> np.ndarray:
    """The decoder's images of codes Z (n, L): float32 (n, H, W) in [0, 1], as model.decode(Z) gives them (to
    about 1e-5), computed in NumPy from the exported layers. On a busy server torch's thread pool takes tens of
    milliseconds to wake for a single small image; NumPy answers a slider in under a millisecond."""
    from gdl.models.vae import apply_exported

    Z = np.asarray(Z, dtype=np.float32).reshape(-1, model.config.latent_dim)
    out = np.clip(apply_exported(_exported(model, model_key(model)), Z), 0.0, 1.0)
    return out.reshape(len(Z), *model.data_shape_).astype(np.float32)


@st.cache_data(show_spinner=False, max_entries=64)
def _decode(_model, key: str, Z: np.ndarray) -> np.ndarray:
    return decode_now(_model, Z)


def decode(model, Z: np.ndarray) -> np.ndarray:
    """`decode_now`, cached per model and codes (for grids and strips that many reruns share)."""
    return _decode(model, model_key(model), np.ascontiguousarray(Z, dtype=np.float32))


@st.cache_data(show_spinner=False, max_entries=16)
def _payload(_model, key: str) -> dict:
    return latent.decoder_payload(_model)


@st.cache_data(show_spinner=False, max_entries=16)
def _reconstruction(_model, key: str, dataset: str, idx_paths: tuple[str, str]) -> np.ndarray:
    X, _ = dataset_data(dataset, idx_paths)
    return latent.reconstruction_error(_model, X)


def reconstruction(model, dataset: str, idx_paths: tuple[str, str] = ("", "")) -> np.ndarray:
    """Per-image mean squared reconstruction error on the page's observations (cached per model)."""
    return _reconstruction(model, model_key(model), dataset, tuple(idx_paths))


HOLE_CODES = 1500  # the first codes of the page's images, against which holes are measured


@st.cache_data(show_spinner=False, max_entries=16)
def _holes(_model, key: str, dataset: str, idx_paths: tuple[str, str]) -> float:
    Z = _codes(_model, key, dataset, idx_paths)[:HOLE_CODES]  # hole_threshold measures the same codes
    return latent.hole_fraction(latent.prior_codes(_model, 2000, seed=0), Z,
                                threshold=_hole_threshold(_model, key, dataset, idx_paths))


def holes(model, dataset: str, idx_paths: tuple[str, str] = ("", "")) -> float:
    """The share of the model's sampling draws that land in a hole of the page's codes (cached per model)."""
    return _holes(model, model_key(model), dataset, tuple(idx_paths))


@st.cache_data(show_spinner=False, max_entries=16)
def _hole_threshold(_model, key: str, dataset: str, idx_paths: tuple[str, str]) -> float:
    return latent.hole_threshold(_codes(_model, key, dataset, idx_paths)[:HOLE_CODES])


def hole_threshold(model, dataset: str, idx_paths: tuple[str, str] = ("", "")) -> float:
    """How far from the first HOLE_CODES codes of the page's images a code must lie to be in a hole (as `holes`
    counts them)."""
    return _hole_threshold(model, model_key(model), dataset, tuple(idx_paths))


def slider_range(model, Z: np.ndarray) -> list[tuple[float, float]]:
    """A range per latent dimension for the sliders: for a VAE the prior's +-3, widened to hold 99% of its codes
    where they spread further (as when β = 0 switches the pull towards the prior off); for a plain autoencoder,
    whose codes nothing constrains, their own span, padded."""
    lo, hi = np.quantile(Z, 0.005, axis=0), np.quantile(Z, 0.995, axis=0)
    if model.name == "vae":
        lo, hi = np.minimum(lo, -3.0), np.maximum(hi, 3.0)
    else:
        pad = 0.15 * (hi - lo) + 1e-3
        lo, hi = lo - pad, hi + pad
    return [(float(a), float(b)) for a, b in zip(lo, hi)]


def neighbourhood(near: np.ndarray, digits: bool) -> str:
    """Where a code lies among the data's labelled codes, in words, from the labels of its nearest codes (the page
    passes 15): "where the 3s lie (12 of its 15 nearest codes are 3s)" when one label holds at least two thirds of
    them, else "between the 3s and the 5s (of its 15 nearest codes, 7 are 3s and 5 are 5s)", the two commonest (a
    tie goes to the smaller label). Other labelled data reads "images of class 3"."""
    names, counts = np.unique(near, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    first, n_first, n = names[order[0]], counts[order[0]], len(near)

    def plural(label) -> str:
        return f"{label}s" if digits else f"images of class {label}"

    if n_first * 3 >= n * 2 or len(order) == 1:
        return f"where the {plural(first)} lie ({n_first} of its {n} nearest codes are {plural(first)})"
    second, n_second = names[order[1]], counts[order[1]]
    one = a_digit(second) if digits else f"an image of class {second}"
    return (f"between the {plural(first)} and the {plural(second)} (of its {n} nearest codes, {n_first} are "
            f"{plural(first)} and {n_second} " + (f"is {one})" if n_second == 1 else f"are {plural(second)})"))


# ---- training in the page --------------------------------------------------------------------------------------

def training_work(family: str, X: np.ndarray, overrides: dict, seconds: float, device: str, seed: int):
    """The function a background job runs: train a fresh latent model on X and return it (on the CPU)."""
    def work(job):
        model = jobs.fit_model(jobs.TrainSpec(family, X, overrides, seconds=seconds, device=device, seed=seed), job)
        return jobs.report(job, model)

    return work


# ---- the latent-plane component ------------------------------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def _plane_component():
    """Register the component once per server: a plain ES module and its CSS, read from the package."""
    js = (COMPONENT_DIR / "latent_plane.js").read_text(encoding="utf-8")
    css = (COMPONENT_DIR / "latent_plane.css").read_text(encoding="utf-8")
    return st.components.v2.component("gdl_latent_plane", js=js, css=css)


def _hex_colors(color: np.ndarray, categorical: bool) -> list[str]:
    """One hex colour per point, as the latent map draws it: a colour per label, or Viridis over a factor."""
    if categorical:
        values = np.asarray(color)
        order = {c: i for i, c in enumerate(np.unique(values))}
        return [latent.DIGIT_COLORS[order[c] % len(latent.DIGIT_COLORS)] for c in values]
    from plotly.colors import sample_colorscale

    c = np.asarray(color, dtype=np.float64)
    t = (c - c.min()) / max(c.max() - c.min(), 1e-12)
    rgb = sample_colorscale("Viridis", list(t))
    return [_rgb_to_hex(s) for s in rgb]


def _rgb_to_hex(rgb: str) -> str:
    r, g, b = (int(float(v)) for v in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def latent_plane(model, view: latent.PlaneView, UV: np.ndarray, color: np.ndarray | None, categorical: bool,
                 extent, start: tuple[float, float], key: str, size: int = 360, image_size: int = 256):
    """Mount the draggable latent plane: the codes UV (n, 2) as a faint scatter, a point to drag, and the
    decoded image, decoded in the browser. Returns the component's result; `.point` is where the point was
    last let go ({"u", "v", "z"}), or None."""
    n = len(UV)
    pick = np.random.default_rng(0).choice(n, size=min(n, PLANE_POINTS), replace=False) if n else np.arange(0)
    colors = ["#7c3aed"] * len(pick) if color is None else _hex_colors(np.asarray(color)[pick], categorical)
    mkey = model_key(model)
    payload = {
        "model_id": mkey,
        "view_id": f"{mkey}|{np.round(view.axes, 6).tolist()}|{np.round(view.origin, 6).tolist()}|{extent}",
        "decoder": _payload(model, mkey),
        "view": {"origin": view.origin.tolist(), "axes": view.axes.tolist(), "labels": list(view.labels)},
        "extent": [list(extent[0]), list(extent[1])],
        "points": {"u": np.round(UV[pick, 0], 4).tolist(), "v": np.round(UV[pick, 1], 4).tolist(),
                   "color": colors},
        "start": [float(start[0]), float(start[1])],
        "size": size,
        "image_size": image_size,
    }
    return _plane_component()(data=payload, key=key, default={"point": None}, on_point_change=lambda: None,
                              height="content")


@st.cache_resource(show_spinner=False)
def _draw_component():
    js = (COMPONENT_DIR / "draw_pad.js").read_text(encoding="utf-8")
    css = (COMPONENT_DIR / "latent_plane.css").read_text(encoding="utf-8")
    return st.components.v2.component("gdl_draw_pad", js=js, css=css)


def draw_pad(key: str, size: int = 224) -> bytes | None:
    """Mount a drawing pad; returns the drawing as PNG bytes once a stroke has been drawn, else None."""
    result = _draw_component()(data={"size": size}, key=key, default={"drawing": None},
                               on_drawing_change=lambda: None, height="content")
    url = result.get("drawing") if hasattr(result, "get") else getattr(result, "drawing", None)
    return latent.data_url_bytes(url) if url else None
