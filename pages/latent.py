"""Latent space: every point of a small space stands for an image; move through it and watch the image change."""
import hashlib
import html

import numpy as np
import streamlit as st

from gdl import latent, plots
from gdl.data.idx import IDXError
from gdl.models import DISPLAY_NAMES
from gdl.ui import cache, jobs
from gdl.ui import latent as ui
from gdl.ui.widgets import (a_digit, guarded, in_words, natural_image, note, number_box, out_of_range_help,
                             panel_guard, plain, through_app)

through_app()  # a deep link to a fresh server must still go through app.py

P = "lat_"  # this page's session-state prefix
FACTORS = ("height", "width")
STRIP_WIDTH = 880  # px: the widest picture strip that fits the page's main column
GRID_N = {"tins": 12, "digits": 15}  # tiles per side of the decoded manifold
IMAGE_SCALE = {8: 24, 28: 8, 32: 7}  # enlargement of a single decoded image, by its size
GRID_HOLES = ("Where the map has no points (often the window's corners), the decoder was never trained: its "
              "tiles there come out as {}. Section 6 calls such places holes.")

st.title("🧭 Latent space: a map of the data in a few numbers")
st.markdown(
    "A **latent variable model** explains each high-dimensional observation (a 32×32 tin is 1,024 numbers, an "
    "8×8 digit 64) by "
    "a point **z** in a small space of 2 to 16 numbers. The **encoder** maps an image to its point; the "
    "**decoder** maps any point back to an image. If the model has learned well, moving z a little changes the "
    "image a little, and directions in the space mean something: taller, wider, a different digit. This "
    "**representation** is the third thing a good generative model gives us, after samples and likelihoods.\n\n"
    "A **VAE** (variational autoencoder) also says where the codes should lie: its **prior** is N(0, I), the "
    "standard Gaussian, centred on 0 with a spread of 1 along every dimension, and a **KL term** in its training "
    "loss pulls each image's code towards it, so that a point drawn from the prior decodes to a plausible image. "
    "A plain **autoencoder** has no such term; section 6 compares the two."
)

# ---- 0. the data and the model --------------------------------------------------------------------------------
st.header("0 · The data and the model")
c = st.columns([3, 2, 3])  # wide enough for the longest data name
dataset = c[0].selectbox("Data", list(ui.DATASETS), format_func=ui.DATASETS.get, key=P + "data",
                         help=ui.DATASET_HELP, persist_state="session")
idx_paths = ("", "")
IDX_FILES = P + "idx_files"  # {"images" | "labels": (name, path on this server)}: uploads, kept across visits


def _keep_upload(slot: str) -> None:
    """An upload changed (a file chosen, or removed with its ×): keep it on the server, or forget it."""
    upload, files = st.session_state.get(P + "idx_up_" + slot), st.session_state.setdefault(IDX_FILES, {})
    files.pop(slot, None)
    if slot == "images" and st.session_state.get(P + "idx_up_labels") is None:
        files.pop("labels", None)  # labels kept from an earlier visit belonged to the earlier images
    st.session_state.pop(P + "idx_upload_error", None)
    if upload is not None:
        try:
            files[slot] = (upload.name, ui.stash_upload(upload.name, upload.getvalue()))
        except OSError as err:
            st.session_state[P + "idx_upload_error"] = f"{upload.name} could not be kept on this server ({err})."


if dataset == "idx":
    where = "upload"
    if ui.server_paths_allowed():
        where = st.radio("Where are the files?", ["upload", "path"], horizontal=True, key=P + "idx_where",
                         format_func={"upload": "Upload them from this computer",
                                      "path": "Read them from a path on this server"}.get, persist_state="session")
    p = st.columns(2)
    if where == "upload":
        files = st.session_state.setdefault(IDX_FILES, {})
        for column, slot, label in ((p[0], "images", "IDX image file"),
                                    (p[1], "labels", "Its IDX label file (optional)")):
            column.file_uploader(label, key=P + "idx_up_" + slot, on_change=_keep_upload, args=(slot,),
                                 help="MNIST or Fashion-MNIST, raw or .gz (for example "
                                      f"`train-{slot}-idx{3 if slot == 'images' else 1}-ubyte.gz`). The first "
                                      f"{ui.IDX_LIMIT:,} images are used.")
            if slot in files and st.session_state.get(P + "idx_up_" + slot) is None:  # back from another page
                column.caption(f"Using **{plain(files[slot][0])}**, uploaded earlier. Upload another file to "
                               "replace it.")
                column.button("Forget this file", key=P + "idx_forget_" + slot,
                              on_click=lambda s=slot: st.session_state[IDX_FILES].pop(s, None))
        if st.session_state.get(P + "idx_upload_error"):
            st.error(plain(st.session_state[P + "idx_upload_error"]))
        idx_paths = (files.get("images", ("", ""))[1], files.get("labels", ("", ""))[1])
    else:
        idx_paths = (p[0].text_input("Path of an IDX image file on this server", key=P + "idx_images",
                                     placeholder="/data/mnist/train-images-idx3-ubyte.gz",
                                     help=f"MNIST or Fashion-MNIST, raw or .gz. The first {ui.IDX_LIMIT:,} "
                                          "images are used.", persist_state="session").strip(),
                     p[1].text_input("Path of its IDX label file (optional)", key=P + "idx_labels",
                                     placeholder="/data/mnist/train-labels-idx1-ubyte.gz",
                                     persist_state="session").strip())
    if not idx_paths[0]:
        st.info("Give an IDX image file (for example MNIST's `train-images-idx3-ubyte.gz`, from "
                "yann.lecun.com or the Fashion-MNIST repository), then train a model on it below.")
        st.stop()
try:
    X, targets = ui.dataset_data(dataset, idx_paths)
except IDXError as err:
    st.error(f"That file cannot be used: {plain(err)}")
    st.stop()
data_id = dataset if dataset != "idx" else f"idx:{idx_paths[0]}"
has_factors = dataset == "tins"
has_labels = targets is not None and not has_factors
kind, kinds = ("digit", "digits") if dataset == "digits" else ("class", "classes")  # what a label names
shape = X.shape[1:]

# training here: (data_id, family) -> Job, this session's own runs
RUNS = P + "runs"
st.session_state.setdefault(RUNS, {})
runs: dict = st.session_state[RUNS]
WATCHED = P + "watched"  # the trainings this tab saw running (its training view follows them)
KEPT = P + "kept"  # (data_id, family) -> the model trained here in use (a run you cancel leaves it)
st.session_state.setdefault(KEPT, {})


def _show_trained(keys: list) -> None:
    if (data_id, "vae") in keys:
        st.session_state[P + "source"] = "trained here"  # show the VAE it made


ended = jobs.ended(WATCHED, [job for (d, _), job in runs.items() if d == data_id])
_show_trained([key for key, job in runs.items() if job in ended and job.status == "done" and job.result is not None])
_show_trained(jobs.keep(st.session_state[KEPT], runs, lambda key: ui.shipped(key[1], key[0]) is not None))


shipped = {}  # family -> the pretrained model for this data; a checkpoint that cannot be loaded says so here
for family in ("vae", "ae"):
    with panel_guard(f"The pretrained {DISPLAY_NAMES[family]}"):
        shipped[family] = ui.shipped(family, dataset)


def sources(family: str) -> dict:
    """The models of `family` this page can show for this data: the pretrained one, and one trained here."""
    out = {}
    if shipped.get(family) is not None:
        out["pretrained checkpoint"] = shipped[family]
    if (data_id, family) in st.session_state[KEPT]:
        out["trained here"] = st.session_state[KEPT][(data_id, family)]
    return out


# open at first for an IDX file with no VAE yet; it stays as it was once a training ends (a changed `expanded`
# would make Streamlit draw a new, closed expander under the user's eyes)
OPENED = P + "train_opened_for"
if dataset == "idx" and not sources("vae"):
    st.session_state[OPENED] = data_id
elif st.session_state.get(OPENED) != data_id:  # other data since: back on this file, with its VAE, it starts closed
    st.session_state.pop(OPENED, None)
with st.expander("🔁 Train a model here (retrain, or train on your IDX file)",
                 expanded=st.session_state.get(OPENED) == data_id):
    t = st.columns([1.1, 1, 1, 1.3])  # β's box wide enough for its +/- buttons at 1024 px (narrower ones hide them)
    train_family = t[0].selectbox("Family", ["vae", "ae"], format_func=DISPLAY_NAMES.get, key=P + "train_family",
                                  persist_state="session")
    train_dim = int(t[1].slider("Latent dimensions", 2, 16, 2, key=P + "train_dim", persist_state="session"))
    train_seconds = int(t[2].slider("Time budget (s)", 5, int(jobs.MAX_SECONDS), 30, step=5, key=P + "train_seconds",
                                    persist_state="session"))
    beta, beta_ok = number_box(t[3], "β, the weight of the KL term", 0.0, 20.0, 1.0, step=0.5, key=P + "train_beta",
                               disabled=train_family != "vae", persist_state="session",
                               help="1 trains on the ELBO itself; more pushes the codes harder towards the prior "
                                    "(a β-VAE).")
    b = st.columns([1, 1.4, 3.6])  # wide enough for "✋ Cancel" at 1024 px (it read "✋ Ca…")
    refused = not beta_ok  # an autoencoder's disabled β box is always ok
    if b[0].button("Train", type="primary", key=P + "train", width="stretch", disabled=refused,
                   help=out_of_range_help() if refused else None):
        old = runs.get((data_id, train_family))
        if old is not None and not old.finished:
            old.cancel.set()
        overrides = {"latent_dim": train_dim, **({"beta": beta} if train_family == "vae" else {})}
        runs[(data_id, train_family)] = jobs.start(
            f"{DISPLAY_NAMES[train_family]} ({train_dim}-D) on {dataset}",
            ui.training_work(train_family, X, overrides, train_seconds, "auto", seed=0))
    active = [job for (d, _), job in runs.items() if d == data_id and not job.finished]
    if b[1].button("✋ Cancel", key=P + "cancel", disabled=not active, width="stretch",
                   help=jobs.CANCEL_HELP):
        jobs.cancel(active)

    def _training_view() -> None:
        mine = [(f, job) for (d, f), job in runs.items() if d == data_id]
        for family, job in mine:
            jobs.show(job)
            if job.losses:
                steps = [r["step"] for r in job.losses]
                lc = st.columns(2)
                lc[0].plotly_chart(plots.line_chart(steps, {"reconstruction": [r.get("reconstruction") for r in
                                                                                 job.losses]},
                                                    "step", "reconstruction term", height=200,
                                                    title=f"{DISPLAY_NAMES[family]}: reconstruction"),
                                   key=f"{P}loss_rec_{family}", config={"displayModeBar": False})
                if "kl" in job.losses[-1]:
                    lc[1].plotly_chart(plots.line_chart(steps, {"KL": [r.get("kl") for r in job.losses]}, "step",
                                                        "KL(q(z|x) ‖ p(z)) (nats)", height=200,
                                                        title=f"{DISPLAY_NAMES[family]}: KL to the prior"),
                                       key=f"{P}loss_kl_{family}", config={"displayModeBar": False})
            diverged = getattr(job.result, "history_", None) is not None and not job.result.history_.ok
            if job.status == "done" and diverged:  # the NaN guard stopped it: say so, not "success"
                st.error(f"{job.label}: {job.message} The model keeps its last good weights (**trained here**).")
            elif job.status == "done":
                st.success(f"{job.label}: {job.message} " + (
                    "The page now shows it (model source: **trained here**)." if family == "vae" else
                    "Section 6 now compares it with the VAE; choose **Explore: Autoencoder** at the top to move "
                    "through its space."))
        jobs.follow(WATCHED, [job for _, job in mine], runs, polling)  # an end redraws the page once

    polling = jobs.keep_watching(runs)  # every training this tab started, whatever data it shows now
    st.fragment(_training_view, run_every=1.0 if polling else None)()
    jobs.offer(st.session_state[KEPT], runs, [(data_id, f) for f in ("vae", "ae")], P + "take", _show_trained)
    st.caption("The loss is split into its two terms: the **reconstruction** term (how far decoded images are "
               "from the originals, in nats for the VAE; a density over continuous pixels can exceed 1, so "
               "this term can fall below 0) and, for the VAE, the **KL** term (how far each image's "
               "code distribution q(z|x) strays from the prior N(0, I)). Training runs in the background; the "
               "rest of the page stays usable.")

vae_sources = sources("vae")
if not vae_sources:
    st.info("There is no VAE for this data yet: train one above (the page opens from pretrained models for the "
            "tins and the digits).")
    st.stop()
ae_sources = sources("ae")
family = "vae"
if ae_sources:
    family = c[1].radio("Explore", ["vae", "ae"], format_func=DISPLAY_NAMES.get, horizontal=True, key=P + "explore",
                        help="Sections 1 to 5, 7 and 8 show this model; section 6 compares the two.",
                        persist_state="session")
if len(vae_sources) > 1 and family == "vae":
    c[1].selectbox("Model source", list(vae_sources), key=P + "source", persist_state="session")
source = st.session_state.get(P + "source") if st.session_state.get(P + "source") in vae_sources else next(
    iter(vae_sources))
vae = vae_sources[source]
ae_source = "trained here" if "trained here" in ae_sources else next(iter(ae_sources), None)
ae = ae_sources.get(ae_source)
if family == "ae":  # the autoencoder trained here, when there is one (as section 6 compares)
    model, source = ae, ae_source
else:
    model = vae
L = model.config.latent_dim
name_shown = DISPLAY_NAMES[family]
mkey = ui.model_key(model)
token = hashlib.md5(mkey.encode()).hexdigest()[:8]  # widget keys per model, so sliders reset with the model
command = getattr(model, "checkpoint_meta_", {}).get("command", "")  # none for a model trained here
command = " ".join(f'<span style="white-space:nowrap">{html.escape(word)}</span>' for word in command.split())
c[2].markdown(f"**{name_shown}**, {L} latent dimensions, {source}  \n<small>{command}</small>",
              unsafe_allow_html=True)  # the command breaks only at spaces
beta = getattr(model.config, "beta", 1.0)  # a plain autoencoder has no KL term to weight
settings = [f"β = {beta:g} weights the KL term: " + (
    "above 1, a β-VAE, with codes pulled harder towards the prior" if beta > 1 else
    "below 1, codes pulled less towards the prior, for sharper reconstructions" if beta > 0 else
    "0 leaves it out, so the codes are not pulled towards the prior at all")] if beta != 1 else []
if getattr(model.config, "decorrelation", 0) > 0:
    settings.append(f"decorrelation = {model.config.decorrelation:g} weights a training penalty that pushes the "
                    "latent dimensions towards independence, so that each can follow one true factor")
if settings:
    c[2].caption("; ".join(settings) + ".")
Z = ui.codes(model, dataset, idx_paths)
n = len(X)
# the tins' codes against their true factors, and which factor each dimension tracks (sections 2 and 8)
factor_r = latent.factor_correlations(Z, targets) if has_factors else None
roles = [latent.tracked_factor(row) for row in factor_r] if has_factors else []
scale = IMAGE_SCALE.get(shape[0], max(1, 224 // shape[0]))


def describe(k: int) -> str | None:
    """What image k is, in words ('a 3', 'a tin 18 px tall and 15 px wide', 'class 3'), or None without labels."""
    if dataset == "digits":
        return a_digit(targets[k])
    if has_factors:
        return f"a tin {targets[k, 0]:.0f} px tall and {targets[k, 1]:.0f} px wide"
    return f"class {targets[k]}" if has_labels else None


# ---- 1. the latent map ---------------------------------------------------------------------------------------
st.header("1 · The latent map")
st.markdown(f"Each of the {n:,} images below is encoded to its point z. The left plot shows those points; the right "
            "one decodes a regular grid of points over the same window, so you see what the decoder draws "
            "at each place.")
c = st.columns(3)
colour_options = list(FACTORS) if has_factors else (["digit label" if dataset == "digits" else "label"]
                                                      if has_labels else ["nothing"])
colour_by = c[0].selectbox("Colour the points by", colour_options, key=P + "colour",
                           help="For the tins, their true height or width in pixels, which the model never saw.",
                           persist_state="session") if len(colour_options) > 1 else colour_options[0]
if L > 2:
    how = c[1].radio("Which plane", ["two latent dimensions", "PCA plane"], key=P + "how", horizontal=True,
                     help="With more than two dimensions, look along two of them (the others held at their "
                          "mean) or along the two directions in which the codes vary most.", persist_state="session")
    if how == "two latent dimensions":
        d = c[2].columns(2)
        i = d[0].selectbox("Horizontal", range(L), format_func=lambda k: f"z{k + 1}", key=P + f"dim_i_{token}",
                           persist_state="session")
        others = [k for k in range(L) if k != i]  # the vertical axis offers every dimension but the horizontal one
        if st.session_state.get(P + f"dim_j_{token}") == i:
            st.session_state[P + f"dim_j_{token}"] = others[0]
        j = d[1].selectbox("Vertical", others, format_func=lambda k: f"z{k + 1}",
                           key=P + f"dim_j_{token}", persist_state="session")
        view = latent.dims_view(L, i, j, origin=Z.mean(axis=0))
    else:
        view = latent.pca_view(Z)
else:
    view = latent.dims_view(L, 0, 1)
categorical = colour_by in ("digit label", "label")
colour = None if colour_by == "nothing" else (targets[:, FACTORS.index(colour_by)] if has_factors else targets)
UV = view.to_plane(Z)
extent = latent.plane_extent(UV)

with panel_guard("The latent map"):
    left, right = st.columns(2)
    left.plotly_chart(latent.latent_scatter_figure(UV, colour, colour_by, view.labels, categorical=categorical,
                                                   extent=extent, height=430),
                      key=P + "map", config={"displayModeBar": False})
    grid_n = GRID_N.get(dataset, 10)
    grid_codes, _, _ = latent.plane_grid(view, *extent, grid_n)
    grid = plots.image_grid(ui.decode(model, grid_codes), columns=grid_n, pad=1,
                            scale=max(1, 480 // (grid_n * (shape[1] + 1))))
    right.image(grid, caption=f"The decoded grid: {grid_n}×{grid_n} points of the same window, decoded "
                              f"({view.labels[0]} left to right, {view.labels[1]} bottom to top).",
                width="stretch")
    if has_factors:
        axis_words, tracked = [], []
        for a, (axis_name, direction) in enumerate(zip(view.labels, ("right", "up"))):
            rr = latent.factor_correlations(UV[:, [a]], targets)[0]  # this plane axis against (height, width)
            k = int(np.argmax(np.abs(rr)))
            change = ("taller", "shorter")[int(rr[k] < 0)] if k == 0 else ("wider", "narrower")[int(rr[k] < 0)]
            how = "" if abs(rr[k]) > latent.TRACKS else "tend to " if abs(rr[k]) > 0.4 else "barely "
            axis_words.append(f"moving {direction} along {axis_name}, the tins {how}get {change} "
                              f"(correlation with the true {FACTORS[k]} r = {rr[k]:+.2f})")
            tracked.append(latent.tracked_factor(rr))
        sorted_ = None not in tracked and tracked[0] != tracked[1]
        words = "; ".join(axis_words)
        note(("The colours change smoothly across the map: the model has sorted the tins by their true height and "
              "width without ever being told them. " if sorted_ else
              "In this plane the colours are partly mixed: its two axes do not each follow one true factor"
              + (", so tins of different sizes overlap here; " + (
                  "the PCA plane, or other dimensions, may show more. " if view.labels[0].startswith("z") else
                  "two of the single dimensions may separate them better. ") if L > 2 else
                 ", so the model has only partly sorted the tins by their height and width " + (
                     "(nothing in an autoencoder's loss asks its dimensions to follow separate factors). "
                     if model.name == "ae" else "(a longer training usually sorts them better). ")))
             + words[0].upper() + words[1:] + ". In the grid, neighbouring tiles look alike: the decoder maps "
             "nearby points to similar tins. " + GRID_HOLES.format("broken or ghostly tins"))
    elif has_labels:
        share, pair = latent.class_layout(UV, targets)
        sliced = (f"This view looks along two of the {L} dimensions (the grid holds the others at their mean), so "
                  f"{kinds} that are apart in the full space can overlap here; the PCA plane often shows more. "
                  if L > 2 and view.labels[0].startswith("z") else "")
        closest = f"; the two {kinds} whose regions sit closest are {pair[0]} and {pair[1]}" if pair else ""
        note(sliced + (
            f"Each {kind} gathers in its own region of the map, with no label used in training: {share:.0%} of the "
            f"images lie nearer their own {kind}'s centre than any other's. The encoder puts similar images near "
            f"each other (a {kind} written in two styles can take two patches). Between the regions, the grid "
            f"shows the decoder morphing one {kind} into the next{closest}. " + GRID_HOLES.format("blurred hybrids")
            if share >= 0.6 else
            f"In this plane the {kinds} are not sorted apart: only {share:.0%} of the images lie nearer their own "
            f"{kind}'s centre than any other's, so the grid decodes much the same image everywhere. A model trained "
            "longer, or a plane that shows more of the space, sorts them better."))
    else:
        note("Nearby points decode to similar images: the grid changes smoothly from tile to tile. "
             + GRID_HOLES.format("blurred or broken images"))

# ---- 2. sliders --------------------------------------------------------------------------------------------------
st.header("2 · One slider per latent dimension")
st.markdown("Set each coordinate of z yourself and the decoder draws its image. The sliders start at the code of "
            "one real image.")
ranges = ui.slider_range(model, Z)
code_span = np.quantile(Z, [0.01, 0.99], axis=0).T  # (L, 2): where 98% of the codes lie along each dimension
SLIDERS = [P + f"z{k}_{token}" for k in range(L)]


SLIDERS_FROM = P + f"z_from_{token}"  # the image whose code the sliders were last set to (None: z = 0)


def _set_sliders(z, image: int | None = None) -> None:
    for key, value, (lo, hi) in zip(SLIDERS, z, ranges):
        st.session_state[key] = float(np.clip(value, lo, hi))
    st.session_state[SLIDERS_FROM] = image


if SLIDERS[0] not in st.session_state:
    _set_sliders(Z[0], 0)


def _random_image() -> None:
    """Set the sliders to the code of an image drawn afresh for each press (the n-th press of a session draws
    with seed n: a pick seeded by the sliders' values, as before, went round the same nine digits)."""
    draws = st.session_state[P + "random_draws"] = st.session_state.get(P + "random_draws", 0) + 1
    pick = int(np.random.default_rng(draws).integers(len(Z)))
    _set_sliders(Z[pick], pick)


def sliders_hold(z) -> tuple[bool, int | None]:
    """Whether the sliders still hold the z they were last set to (no slider moved since), and the image whose
    code that is (None for z = 0)."""
    k, span = st.session_state.get(SLIDERS_FROM), np.asarray(ranges)
    held = np.clip(Z[k] if k is not None else np.zeros(L), span[:, 0], span[:, 1])
    return bool(np.abs(held - np.asarray(z)).max() <= 0.01 * np.ptp(span, axis=1).max()), k


def _slider_view() -> None:
    left, right = st.columns([3, 2])
    per_row = 1 if L <= 4 else 2
    with left:
        cols = st.columns(per_row)
        z = [cols[k % per_row].slider(f"z{k + 1}", lo, hi, step=round((hi - lo) / 200, 4), key=SLIDERS[k],
                                      format="%.2f", persist_state="session")
             for k, (lo, hi) in enumerate(ranges)]
        b = st.columns(2)
        b[0].button("Centre: z = 0", on_click=_set_sliders, args=(np.zeros(L), None), key=P + "zero",
                    width="stretch",
                    help="The centre of the VAE's prior N(0, I)." if model.name == "vae" else
                    "Nothing pulls an autoencoder's codes towards 0: for it, z = 0 is just one more point, "
                    "perhaps far from every code.")
        b[1].button("Random image", on_click=_random_image, key=P + "random",
                    width="stretch", help="Set the sliders to the code of an image of the data, picked at random; "
                                          "the image itself is shown beside its decoding.")
    image = ui.decode_now(model, np.asarray([z], dtype=np.float32))[0]  # decode once per change
    still, k = sliders_hold(z)
    shown = [(image, "decoder(z)")] + ([(X[k], "the image itself")] if still and k is not None else [])
    # inline as data URIs: the new picture arrives with the rerun itself, with no second request for a file
    fit = "width: 48%; " if len(shown) > 1 else ""  # two side by side in the column, at any window width
    right.markdown(" ".join(
        f'<img src="{latent.png_data_uri(picture, scale)}" alt="{alt}" width="{picture.shape[1] * scale}" '
        f'style="{fit}image-rendering: pixelated">' for picture, alt in shown), unsafe_allow_html=True)
    what = describe(k) if k is not None else None
    right.caption("decoder(z)" + ("" if not still else ", with z = 0" if k is None else
                                  f", with z = the code of image {k:,}" + (f" ({what})" if what else "")
                                  + " (left); that image itself (right)"))
    note("Each slider moves one coordinate of z. " + (
        slider_roles() + " Towards the corners of the sliders' ranges the code leaves the region the tins' codes "
        "occupy, and the picture breaks up." if has_factors else "Small moves change the image a little; large "
        "moves leave the region the codes occupy, and the images grow strange. Along each dimension, 98% of the "
        "images' codes lie within "
        + ", ".join(f"z{k + 1} {lo:+.1f} to {hi:+.1f}" for k, (lo, hi) in enumerate(code_span[:4]))
        + (", …" if L > 4 else "") + "."))


def slider_roles() -> str:
    """What the tins' sliders do, read from the codes' correlations with the true factors (section 8's table)."""
    r = factor_r
    named = {f: [f"z{k + 1}" for k, role in enumerate(roles) if role == f] for f in range(len(FACTORS))}
    idle = [f"z{k + 1}" for k, role in enumerate(roles) if role is None and np.abs(r[k]).max() < 0.3]
    mixed = [k for k, role in enumerate(roles) if role is None and np.abs(r[k]).max() >= 0.3]
    parts = [f"{' and '.join(dims)} mostly {'change' if len(dims) > 1 else 'changes'} the {FACTORS[f]}"
             for f, dims in named.items() if dims]
    others = ([f"{'the other sliders change' if parts else 'each slider changes'} height and width together"]
              if mixed else []) + ([f"{' and '.join(idle)} barely {'change' if len(idle) > 1 else 'changes'} "
                                    "either (|r| < 0.3)"] if idle else [])
    if parts and not others and all(len(dims) == 1 for dims in named.values()):
        return ("For the tins, " + " and ".join(parts) + ": each of these dimensions has taken one true factor "
                "(section 8 measures how closely).")
    if parts:
        return "For the tins, " + "; ".join([" and ".join(parts)] + others) + " (section 8 measures how closely)."
    return ("For the tins, no slider here tracks the height or the width alone: " + "; ".join(others) + (
        ", so the two true factors are mixed in the code" if mixed else ", so the code has not learned the two "
        "true factors") + " (section 8's table gives the correlations).")


st.fragment(guarded("The sliders")(_slider_view))()

# ---- 3. drag it live ------------------------------------------------------------------------------------------
st.header("3 · Drag it live")
st.markdown("Drag the orange point across the plane of section 1. Here the decoder runs **in your browser**: its "
            "weights were sent once, and every mouse move decodes the image in JavaScript, with no trip to the "
            "server between your hand and the picture.")


def _plane_view() -> None:
    with panel_guard("The latent plane"):
        start = UV[0]
        result = ui.latent_plane(model, view, UV, colour, categorical, extent, start=(start[0], start[1]),
                                 key=P + f"plane_{token}")
        point = result.get("point") if hasattr(result, "get") else getattr(result, "point", None)
        if point:
            zs = ", ".join(f"{v:.2f}" for v in point["z"])
            st.caption(f"You let go at {view.labels[0]} = {point['u']:.2f}, {view.labels[1]} = {point['v']:.2f}: "
                       f"z = ({zs}). (Only this, the place you let go, went back to the server.)")
        note("The image follows the mouse at screen rate. Drag along a line where the colours of the points "
             "change and watch one feature change in the image; drag off the cloud of points and the decoder "
             "has to guess." + (" The autoencoder's codes leave gaps between and around their clusters, since "
                                "nothing pulls them together: drag into one and the decoder draws a smudge or a "
                                "hybrid (section 6 counts how often sampling lands in such a hole)."
                                if model.name == "ae" else ""))


st.fragment(guarded("The latent plane")(_plane_view))()

# ---- 4. interpolation -------------------------------------------------------------------------------------------
st.header("4 · Walk in a straight line between two images")
st.markdown("Encode two images, walk from one code to the other in equal steps, and decode each step.")


def _interpolation_view() -> None:
    c = st.columns(3)
    a, _ = number_box(c[0], "Start: image number", 0, n - 1, 0, key=P + "interp_a_" + dataset,
                      persist_state="session")
    far = int(np.argmax(np.linalg.norm(Z[:300] - Z[0], axis=1)))
    b, _ = number_box(c[1], "End: image number", 0, n - 1, far, key=P + "interp_b_" + dataset,
                      persist_state="session")
    steps = int(c[2].slider("Steps", 3, 15, 9, key=P + "interp_steps", persist_state="session"))
    path = latent.interpolate(Z[a], Z[b], steps)
    decoded = ui.decode(model, path)
    t_ = np.linspace(0, 1, steps, dtype=np.float32)[:, None, None]
    crossfade = (1 - t_) * X[a] + t_ * X[b]
    s = max(2, STRIP_WIDTH // ((steps + 2) * (shape[1] + 1)))  # at least as wide as the column at 1400 px
    for images, caption in (
            (decoded, "In latent space: the real start image, the decoded steps, the real end image."),
            (crossfade, "In pixel space, for comparison: a cross-fade, (1 − t)·start + t·end.")):
        strip = plots.image_grid(np.concatenate([X[a:a + 1], images, X[b:b + 1]]), columns=steps + 2, scale=s)
        st.image(strip, width="stretch", caption=caption)  # the column's width, narrower screens included
    if a == b:
        note("Start and end are the same image, so both walks stand still: choose two different images to see "
             "the latent walk change one into the other while the cross-fade lays two faint ones over each other.")
        return
    crossing = ""
    if dataset == "digits":  # a classifier trained on real digits says what each step shows
        reads = [int(r) for r in cache.read_digits(decoded)[0]]
        ends = {reads[0], reads[-1], int(targets[a]), int(targets[b])}  # the two ends, as labelled and as read
        others = sorted(set(reads[1:-1]) - ends)
        crossing = (" A digit classifier reads the steps as " + ", ".join(map(str, reads)) + (
            ": the straight line crosses the region" + ("s" if len(others) > 1 else "") + " of "
            + in_words(f"the {d}s" for d in others) + " on its way (see the map in section 1)." if others else
            ": every step reads as the start's digit or the end's, so the line goes straight from one region to the "
            "other."))
    note("Every step of the walk in latent space is decoded as one " + (
         "tin" if has_factors else "digit" if dataset == "digits" else "image") + " of its own, changing "
         "gradually from the start to the end (how crisp each one is depends on how well the model has learned; "
         "steps far from the codes of real images come out blurrier)." + crossing + " The cross-fade in pixel "
         "space is only ever two faint images laid over each other: the data does not live on straight lines in "
         "pixel space, but it nearly does in the latent space.")


st.fragment(guarded("The interpolation")(_interpolation_view))()

# ---- 5. attribute vectors ------------------------------------------------------------------------------------------
st.header("5 · Attribute vectors: directions that mean something")
if has_factors:
    vectors = {"taller": latent.attribute_vector(Z, targets[:, 0]), "wider": latent.attribute_vector(Z, targets[:, 1])}
    st.markdown("The book builds a \"smiling\" direction for faces as the mean code of smiling faces minus the "
                "mean code of the others. Here: **taller** = the mean code of the tallest quarter of the tins "
                "minus that of the shortest quarter; **wider** likewise for the width.")
elif has_labels:
    directions = latent.class_directions(Z, targets)
    classes = {(f"more like {a_digit(d)}" if dataset == "digits" else f"more like class {d}"): d for d in directions}
    vectors = {name: directions[d] for name, d in classes.items()}
    st.markdown(f"For each {kind}, the direction **towards it**: the mean code of that {kind}'s images minus the "
                "mean code of all images.")
else:
    vectors = {}
    st.info("Attribute vectors need labels or true factors; give a label file with your IDX images.")


def typical_image() -> int:
    """A middling image to start from: the one whose code lies nearest the codes' median; for the digits, the
    nearest of those that the classifier reads confidently as their own label both as they are and once decoded
    (an odd first example, decoded to a blob, would show a vector acting on a blob)."""
    order = np.argsort(np.linalg.norm(Z - np.median(Z, axis=0), axis=1))
    if dataset == "digits":
        candidates = order[:50]
        reads, sure = cache.read_digits(np.concatenate([X[candidates], ui.decode(model, Z[candidates])]))
        label = np.tile(targets[candidates], 2)
        good = ((reads == label) & (sure >= 0.8)).reshape(2, -1).all(axis=0)
        if good.any():
            return int(candidates[good][0])
    return int(order[0])


def _attribute_view() -> None:
    c = st.columns(3)
    name = c[0].selectbox("Attribute", list(vectors), key=P + "attr", persist_state="session")
    typical = typical_image()
    k, _ = number_box(c[1], "Image number", 0, n - 1, typical, key=P + "attr_image_" + dataset,
                      persist_state="session")
    reach = 1.0 if has_factors else 1.5  # the tins' data spans about -0.75 to +0.65 along their vectors
    strength = float(c[2].slider("Strength: how much of the vector to add", -reach, reach,
                                 0.5 if has_factors else 1.0, step=0.05, key=P + "attr_strength_" + dataset,
                                 help="1 adds the whole vector: " + (
                                     "the gap between the mean codes of the bottom and top quarters."
                                     if has_factors else f"the gap between the {kind}'s mean code and the mean "
                                     "code of all images."), persist_state="session"))
    v = vectors[name]
    z = Z[k] + strength * v
    cols = st.columns(3)  # three pictures to a row: at 1024 px four columns are narrower than the pictures
    s = max(2, 128 // shape[0])
    natural_image(cols[0], plots.image_grid(X[k:k + 1], columns=1, scale=s),
                  caption="the image" + (f" ({described})" if (described := describe(k)) else ""))
    natural_image(cols[1], plots.image_grid(ui.decode(model, Z[k:k + 1]), columns=1, scale=s), caption="decoded z")
    decoded = ui.decode(model, z[None])
    natural_image(cols[2], plots.image_grid(decoded, columns=1, scale=s),
                  caption=f"decoded z {'+' if strength >= 0 else '−'} {abs(strength):.2f} · “{name}”")
    if has_factors:  # the ladder spans the data along the vector, from the least to the most of the factor
        low, high = latent.strength_range(Z, k, v)
        strengths = np.linspace(low, high, 5)
    else:  # classes are regions, not directions: walk from the image itself as far as the slider goes
        strengths = np.linspace(0.0, 1.5, 5)
    ladder = Z[k] + strengths.astype(np.float32)[:, None] * v
    ladder_images = ui.decode(model, ladder)
    reads = None
    if has_factors:
        least, most = {"taller": ("shortest", "tallest"), "wider": ("narrowest", "widest")}[name]
        ladder_caption = (f"strength {low:+.2f} to {high:+.2f} in five steps: from the {least} to the {most} 2% of "
                          "the tins, along the vector")
    else:
        ladder_caption = "strength 0 to +1.5 in five steps"
        if dataset == "digits":  # a classifier trained on real digits says what each picture shows
            reads, _ = cache.read_digits(np.concatenate([ladder_images, decoded]))
            ladder_caption += ": a digit classifier reads them as " + ", ".join(str(r) for r in reads[:-1])
    natural_image(st, plots.image_grid(ladder_images, columns=5, scale=max(1, s // 2)), caption=ladder_caption)
    st.caption(f"The vector “{name}” = (" + ", ".join(f"{x:+.2f}" for x in v) + ")")
    if has_factors:
        beyond = most if strength > high else least if strength < low else None
        if beyond:
            where = (f"Your strength {strength:+.2f} goes past the {beyond} tins in the data (they end near "
                     f"{high if strength > high else low:+.2f}): the code has left the region the decoder was "
                     "trained on, and the picture breaks up.")
        else:
            where = (f"Your strength {strength:+.2f} stays within the data; past {low:+.2f} or {high:+.2f} the "
                     "code leaves the region the decoder was trained on, and the picture breaks up.")
        opposite = {"taller": "shorter", "wider": "narrower"}[name]
        note(("Adding" if strength >= 0 else "Subtracting (a negative strength)") + " the vector aims to change "
             f"that one attribute and keep the rest of the image: the same tin, {name if strength >= 0 else opposite}"
             ". It can, because the attribute varies along a consistent direction in the latent space; how cleanly "
             "depends on how well the model has separated the factors (section 8). The row of five steps "
             "spans the data along the vector. " + where)
    else:
        d = classes[name]
        text = (f"Adding the vector moves the code towards the mean code of the {kind} {d}" if strength >= 0 else
                f"Subtracting it (a negative strength) moves the code away from the mean code of the {kind} {d}")
        if reads is None:
            note(text + ". The row of five steps walks from the image towards them.")
        else:
            now, start = int(reads[-1]), int(reads[0])
            text += f". The classifier reads your decoded image as {a_digit(now)}" + (
                f", not {a_digit(d)}." if now != d and strength > 0 else
                f", still {a_digit(d)}." if now == d and strength < 0 else ".")
            seen = [int(r) for r in reads[1:-1]]  # the ladder's steps past the image itself
            hits = [i for i, r in enumerate(seen) if r == d]
            if start == d:
                text += (f" The image itself already reads as {a_digit(d)}" + (
                    "; so does every step of the ladder." if len(hits) == len(seen) else
                    "; along the ladder it reads as " + ", ".join(str(r) for r in seen) + f": the {d}s fill a "
                    "region of the latent space, not a whole direction."))
            elif len(hits) == len(seen):
                text += f" Along the ladder every step past the image itself reads as {a_digit(d)}."
            elif not hits:
                text += (f" Along the ladder it never reads as {a_digit(d)}: from this image the straight line "
                         f"towards the {d}s' mean code passes them by. Try another image, or another digit.")
            elif hits == list(range(hits[0], len(seen))):  # other digits first, then the target to the end
                text += (f" Along the ladder it first reads as {a_digit(d)} at strength "
                         f"{strengths[hits[0] + 1]:.2f}, after other digits: from this image the straight line "
                         f"reaches the {d}s only by way of them.")
            elif hits == list(range(hits[0], hits[-1] + 1)):  # one stretch of the target, then other digits
                text += (f" Along the ladder it reads as {a_digit(d)} only part of the way: the {d}s fill a region "
                         "of the latent space, not a whole direction, so a straight line from this image crosses "
                         "them and comes out among other digits.")
            else:
                text += (f" Along the ladder it goes in and out of the {d}s: they fill a region of the latent space, "
                         "not a whole direction, and a straight line from this image wanders across its edge.")
            note(text)


if vectors:
    st.fragment(guarded("The attribute vectors")(_attribute_view))()

# ---- 6. AE against VAE ---------------------------------------------------------------------------------------------
st.header("6 · A plain autoencoder against the VAE")
st.markdown("A plain **autoencoder** has the same encoder and decoder but learns only to reconstruct. Nothing tells "
            "its codes where to sit, so it has no prior to sample from: to generate, we can only guess a region "
            "(here, a Gaussian fitted to its codes). The **VAE** adds the KL term, which pulls every code "
            "towards N(0, I), so that decoding a draw from N(0, I) gives a plausible image.")
if ae is None:
    st.info("There is no autoencoder for this data yet: train one above (family: Autoencoder).")
else:
    with panel_guard("AE against VAE"):
        cols = st.columns(2)
        stats = {}
        for col, (name, m) in zip(cols, (("Autoencoder", ae), ("VAE", vae))):
            Zm = ui.codes(m, dataset, idx_paths)
            v = latent.dims_view(Zm.shape[1], 0, 1) if Zm.shape[1] == 2 else latent.pca_view(Zm)
            holes = ui.holes(m, dataset, idx_paths)
            lo, hi = np.quantile(Zm, 0.01, axis=0), np.quantile(Zm, 0.99, axis=0)
            stats[name] = (holes, float((hi - lo).max()))
            with col:
                st.subheader(name)
                st.plotly_chart(latent.latent_scatter_figure(v.to_plane(Zm), colour, colour_by, v.labels,
                                                             categorical=categorical, height=330),
                                key=P + f"cmp_map_{name}", config={"displayModeBar": False})
                spread = ", ".join(f"z{k + 1} from {lo[k]:.1f} to {hi[k]:.1f}" for k in range(min(4, len(lo))))
                st.metric("Draws that land in a hole", f"{holes:.0%}",
                          help=f"Share of 2,000 draws from the sampling distribution that lie farther from "
                               f"every one of {min(ui.HOLE_CODES, len(Zm)):,} of the page's image codes than 99% "
                               "of those codes lie from their nearest neighbour.")
                st.caption(f"98% of the codes lie within: {spread}" + (", …" if len(lo) > 4 else "."))
                st.image(plots.image_grid(m.sample(24, seed=1), columns=8, scale=max(1, 96 // shape[0])),
                         caption="24 decoded draws: " + ("N(0, I), the prior" if m.name == "vae"
                                                         else "a Gaussian fitted to the codes"),
                         width="stretch")
        (ae_holes, ae_width), (vae_holes, vae_width) = stats["Autoencoder"], stats["VAE"]
        dims = (ae.config.latent_dim, vae.config.latent_dim)
        note(f"Compare the two maps' axes. The autoencoder's codes spread over whatever range training happened to "
             f"give them (up to {ae_width:.0f} units wide); {ae_holes:.0%} of draws from the Gaussian fitted to "
             "them land where no training code lies, where the decoder was never trained, and decode to smudges "
             "or hybrids. " + (f"The KL term pulls the VAE's codes in towards N(0, I) (at most {vae_width:.0f} "
                               "units wide) " if vae.config.beta > 0 else
                               f"This VAE was trained with β = 0, so no KL term pulls its codes towards N(0, I) "
                               f"(they spread {vae_width:.0f} units wide), ")
             + (f"and fills the gaps: only {vae_holes:.0%} of its prior draws land in a hole, so more of its "
                "samples look like the data." if ae_holes - vae_holes >= 0.05 else
                f"and here both land in a hole rarely ({ae_holes:.0%} and {vae_holes:.0%}): on this data the "
                "Gaussian fitted to the autoencoder's codes happens to cover them about as well, so the two grids "
                "of samples look alike." + (" The tins show the difference more clearly." if dataset != "tins"
                                            else "") if max(ae_holes, vae_holes) < 0.1 else
                f"but here it does not fill them better: {vae_holes:.0%} of its prior draws land in a hole. A VAE "
                "trained only briefly, or given more dimensions than the data needs, leaves parts of its prior "
                "unused; train it longer, or with fewer dimensions, and compare again.")
             + (f" The two have different numbers of latent dimensions ({dims[0]} and {dims[1]}), so compare the "
                "shares of holes only roughly." if dims[0] != dims[1] else ""))

# ---- 7. encode your own ---------------------------------------------------------------------------------------------
st.header("7 · Encode your own image")
st.markdown(f"Upload a PNG or JPEG ({'a tin: a light shape on a dark background, or dark on light' if has_factors else 'a digit: dark ink on light paper works, or light on dark'})"
            + (", or draw a digit" if dataset == "digits" else "") + ". "
            f"It is turned to grayscale, {'cropped to the ' + ('digit' if dataset == 'digits' else 'object') + ', ' if not has_factors else ''}"
            f"resized to {shape[0]}×{shape[1]}, encoded to its point z and decoded back.")
picture, picture_name = None, ""
how_in = "Upload a file"
if dataset == "digits":
    how_in = st.radio("Your image", ["Upload a file", "Draw a digit"], horizontal=True, key=P + "mine_how",
                      label_visibility="collapsed", persist_state="session")
if how_in == "Upload a file":
    upload = st.file_uploader("Your image (PNG or JPEG)", type=["png", "jpg", "jpeg"], key=P + "upload",
                              max_upload_size=latent.MAX_UPLOAD_BYTES // 2**20)  # the widget states the limit
    if upload is not None:
        picture, picture_name = upload.getvalue(), upload.name
else:
    try:
        picture, picture_name = ui.draw_pad(key=P + "draw"), "your drawing"
    except latent.ImageError as err:
        st.error(plain(err), icon="🚫")
if picture is not None:
    try:
        gray = latent.read_image(picture)
        mine = latent.to_dataset_image(gray, shape, crop_to_content=not has_factors,
                                       content_box=(1.0, 0.75) if dataset == "digits" else (0.72, 0.72))
    except latent.ImageError as err:
        if isinstance(err, latent.BlankImage) and how_in != "Upload a file":  # a tap on the pad: nothing drawn yet
            st.info("Nothing drawn yet: press and drag in the box to draw a digit.")
        else:
            st.error(f"**{plain(picture_name)}**: {plain(err)}", icon="🚫")
    else:
        with panel_guard("Your image"):
            z_mine = model.encode(mine[None])
            decoded_mine = ui.decode_now(model, z_mine)
            distance = np.linalg.norm(Z - z_mine, axis=1)
            nearest = int(np.argmin(distance))  # the image to show and name: the nearest of all
            # a hole against the codes the threshold comes from, as section 6 counts them
            in_hole = distance[:ui.HOLE_CODES].min() > ui.hole_threshold(model, dataset, idx_paths)
            what = describe(nearest) or f"image {nearest}"
            cols = st.columns([2, 3])
            s = max(3, 112 // shape[0])
            cols[0].image(plots.image_grid(np.concatenate([mine[None], decoded_mine, X[nearest:nearest + 1]]),
                                           columns=3, scale=s), width="stretch",
                          caption=f"Left to right: your image as the model sees it; decoded from its z; the data's "
                                  f"image whose code lies nearest to yours (image {nearest}, {what}).")
            cols[1].plotly_chart(latent.latent_scatter_figure(UV, colour, colour_by, view.labels,
                                                              categorical=categorical, extent=None, height=360,
                                                              markers={"yours": tuple(view.to_plane(z_mine)[0])}),
                                 key=P + "mine_map", config={"displayModeBar": False})
            err_mine = float(((decoded_mine[0] - mine) ** 2).mean())
            typical = float(np.mean(ui.reconstruction(model, dataset, idx_paths)))  # section 8's number
            ratio = err_mine / max(typical, 1e-12)
            # the neighbourhood, not just the single nearest code (which may be a stray)
            near = (ui.neighbourhood(targets[np.argsort(distance)[:15]], digits=dataset == "digits") if has_labels
                    else f"next to {what}")
            place = (f"Your image's code (the star) lies in a hole: farther from every one of "
                     f"{min(ui.HOLE_CODES, len(Z)):,} of the page's image codes than 99% of those codes lie from "
                     "their nearest neighbour, where the decoder was never trained, so the model "
                     f"knows no image quite like yours (the nearest is {what}). " if in_hole else
                     f"Your image's code (the star) lies among the data's codes, {near}: to the model it is "
                     "an image of a familiar kind. ") + (
                f"The map shows one plane of the {L}-dimensional space, so the star's place there is only part "
                "of that story. " if L > 2 else "")
            how_well = (f"Its reconstruction error is {err_mine:.4f} per pixel, {ratio:.1f} times the data's average "
                        f"of {typical:.4f} (section 8): " + (
                            "about the same, so the model reproduces it as it does its own images." if ratio < 1.5
                            else "worse, so the decoder draws something like it, not quite it." if ratio < 3 else
                            "much worse. The decoder can only draw images in the style of its data, " + (
                                "and the data's 8×8 digits are blurrier and thicker than most drawings."
                                if dataset == "digits" else "and yours differs from them in more than the "
                                "factors the code holds.")))
            note(place + how_well)

# ---- 8. how well is it represented ------------------------------------------------------------------------------------
st.header("8 · How well is the data represented?")
with panel_guard("The measurements"):
    errors = ui.reconstruction(model, dataset, idx_paths)
    baseline = float(((X - X.mean(axis=0)) ** 2).mean())
    row = st.container(horizontal=True)  # one row that wraps when narrow (three columns cut the labels at
    # 800 px)
    row.metric("Reconstruction error", f"{errors.mean():.4f}",
               help="The mean squared error per pixel: the mean of (decoded − original)² over every pixel of "
                    "every image shown on this page.")
    row.metric("Mean image's error", f"{baseline:.4f}", help="The same error for drawing the average image for "
               "every input: the baseline a representation must beat.")
    explained = 1 - errors.mean() / baseline if baseline > 0 else None  # identical images: nothing to explain
    row.metric("Variance explained", "–" if explained is None else f"{explained:.1%}",
               help="1 − reconstruction error / error of the mean image.")
    if explained is None:
        st.warning("Every image here is the same, so there is no variation for a representation to explain, and "
                   "nothing for the latent space to organise: load images that differ.")
    show = np.arange(min(10, n))
    st.image(plots.image_grid(np.concatenate([X[show], ui.decode(model, Z[show])]), columns=len(show),
                              scale=max(1, 64 // shape[0])),
             caption="Top: images of the data; bottom: decoded from their codes.")
    if has_factors:
        r = factor_r
        rows = [{"latent dimension": f"z{k + 1}", "r with height": f"{r[k, 0]:+.3f}",
                 "r with width": f"{r[k, 1]:+.3f}", "tracks": "no single factor" if f is None else FACTORS[f]}
                for k, f in enumerate(roles)]
        st.table(rows)
        best = []
        for k, f in enumerate(roles):
            if f is not None:
                other = 1 - f
                best.append(f"z{k + 1} tracks the {FACTORS[f]} (|r| = {abs(r[k, f]):.2f}"
                            + (f", and leans on the {FACTORS[other]} too, |r| = {abs(r[k, other]):.2f})"
                               if abs(r[k, other]) > 0.3 else ")"))
        note(("; ".join(best) + ". " if best else "No latent dimension tracks a single factor closely. ") +
             "A correlation r near ±1 means that dimension rises (or falls) in step with the true factor; near 0, "
             "that it ignores it. A dimension that tracks one factor and ignores the other means the model has "
             "found one real cause of variation in the tins, unsupervised; where it leans on both, the two causes "
             "are partly mixed in it.")
    elif explained is not None:
        note(f"The decoder reproduces each image from just {L} numbers with {explained:.0%} of "
             "the pixel variance explained. Fine " + ("strokes" if dataset == "digits" else "details")
             + " are lost first: a small latent space keeps the overall shape.")
