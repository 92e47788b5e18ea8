"""Glue for the Compare page: training data, background training work, cached panels and measurements."""
from __future__ import annotations

import numpy as np
import streamlit as st

from gdl import data, models, plots
from gdl.bench import IWAE_SAMPLES
from gdl.data import world
from gdl.mapimage import Canvas
from gdl.ui import background, cache, jobs
from gdl.ui.widgets import in_words

GRID_STEP = {"world": 3.0}  # degrees per cell of the field plots; toys use 80 cells a side
COSTLY_FIELD_STEP = {"diffusion": 6.0}  # world cells for a family whose density costs many network calls per point
#                                         (diffusion's bound: T = 200): a quarter of the points, ~5 s instead of 20
N_SAMPLES = 2000
SHOWN_DATA = 1500  # held-out points drawn in grey under a toy's samples; their extent frames its panels
MEASURE_SEED = 0  # the measurements always use these samples (the page's default seed, so they are shared)
N_HELD_OUT = 5000
TOY_RADIUS = 0.1  # a toy's sample is "on the data" within this distance of a held-out point (the noise's width)
TEXT_SCALE = 2.0  # the world panels' axis labels, twice the usual size: the pictures show at about half their width
FIELD_RANGE = 10.0  # nats: a density panel's colours span at most this far below its peak (e^-10 looks like 0)
_VAE_BOUND = (f"The VAE's bound is the importance-weighted one (Burda et al., {IWAE_SAMPLES} draws per point), "
              "tighter than the ELBO it trains on. ")
_DIFFUSION_SLACK = ("The diffusion model's bound has slack (each of its Gaussian denoising steps adds some), so its "
                    "true NLL lies lower by an unknown amount: {}. ")
_MEASURED = {
    "world": "Measured on 5,000 held-out points and 2,000 samples: precision = share of samples on land; "
             "coverage = share of held-out points within 2° of a sample; NLL = the held-out NLL in nats, lower is "
             "better; gap = NLL − the entropy floor log A, the NLL of p_data itself. ",
    "points": f"Measured on 5,000 held-out points the families never saw and 2,000 samples: precision = share of "
              f"samples within {TOY_RADIUS:g} of a held-out point (on the data, not in the gaps); coverage = share "
              f"of held-out points within {TOY_RADIUS:g} of a sample (no part of the data left out); NLL = the "
              "held-out NLL in nats, lower is better; gap = NLL − the floor, the NLL of the true p_data on the same "
              "points. ",
    "image": "Measured on 500 samples. Confidence: how sure a classifier trained on real digits is about each "
             "sample; evenness: 1 when all ten digits appear equally; nearest: mean distance to the closest "
             "of the 1,797 training digits (near 0 would mean copies). The first row scores 297 real digits the "
             "classifier never saw, against the other 1,500 as their 'training' set, as the yardstick (a smaller "
             "set than the families' 1,797, so its distance reads a little larger for that alone). The families "
             "here train on all 1,797 digits, so their NLL (nats per image) is measured on digits they have seen, "
             "not held out. It can be negative: it is a density over 64 continuous pixel values, and a density, "
             "unlike a probability, can exceed 1; lower is still better. ",
}
NLL_COLUMN = {"points": "held-out NLL", "image": "NLL (training digits)"}
COVERAGE_COLUMN = "coverage (2°)"


def short_labels(columns) -> dict:
    """Column labels for the measurements table, short enough for all its columns to fit at 1024 px: 'precision
    (on land)' -> 'precision', 'held-out NLL' -> 'NLL' (the caption under the table says what each measures)."""
    short = {"gap to floor": "gap"}
    return {c: short.get(c, c.split(" (")[0].removeprefix("held-out ")) for c in columns}


def three_decimals(labels: dict, rows: list[dict]) -> dict:
    """`labels` with every column that holds only fractions shown to three decimals: a GAN's precision of 0.990
    read "0.99" beside the others' "0.801"."""
    out = dict(labels)
    for column, label in labels.items():
        values = [row.get(column) for row in rows if row.get(column) is not None]
        if values and all(isinstance(v, float) for v in values) and isinstance(label, str):
            out[column] = st.column_config.NumberColumn(label, format="%.3f")
    return out


def measure_caption(dataset: str, families: list[str], yardstick: dict) -> str:
    """What the measurements table's columns and marks mean, for the families on the page and this data."""
    kind = kind_of(dataset)
    text = _MEASURED[kind]
    if kind != "image":
        text += (f"The first row, real data, scores {N_SAMPLES:,} fresh real points the same way: what a perfect "
                 "model would reach")
        reach = yardstick.get(COVERAGE_COLUMN)
        if kind == "world" and reach is not None:
            text += (f". Even they cover only {reach:.0%} of the held-out points: {N_SAMPLES:,} points leave some "
                     "land more than 2° from the nearest one, so read coverage against that row, not against 100%")
        text += ". "
    bounds = [f for f in ("vae", "diffusion") if f in families]
    if bounds:
        text += (f"≤ marks the NLL of {in_words(THE[f] for f in bounds)}: "
                 f"{'it computes' if len(bounds) == 1 else 'they compute'} a lower bound on log p(x), so the NLL "
                 "shown is an upper bound and the true NLL is at or below it. ")
    if "vae" in families:
        text += _VAE_BOUND
    if "diffusion" in families:
        text += _DIFFUSION_SLACK.format("judge diffusion by its precision and coverage too" if kind == "world" else
                                        "do not rank it against the exact ones")
    if "ebm" in families:
        text += "“unknown”: the energy-based model knows p(x) only up to a constant it cannot compute. "
    if "gan" in families:
        text += "“none”: the GAN has no density. "
    return text.strip()


LOSS_CAPTIONS = {  # under each family's loss chart: what its curves are
    "vae": "Loss: the negative ELBO, the reconstruction term plus β times the KL divergence from each code's "
           "distribution to the prior N(0, I); lower is better.",
    "gan": "D's loss falls while it tells real from fake; G's loss, −log D(G(z)), falls while G fools D. D(real) "
           "and D(fake) are D's mean outputs on real and generated points: they meet near 0.5 when neither wins.",
    "ebm": "Contrastive divergence pushes the energy E of the data down and that of the Langevin samples up; once "
           "the samples look like data, E(data) and E(samples) meet and CD nears 0. The loss adds a small penalty "
           "on the energies' size.",
    "diffusion": "Loss: the mean squared error of the predicted noise ε̂ at a random noise level.",
    "autoregressive": "Loss: the negative log-likelihood of the training batch, −Σ log p(x_i | x_<i) (nats).",
    "flow": "Loss: the negative log-likelihood of the training batch by the change of variables (nats).",
}
COLLAPSED_KL = 0.05  # nats: a VAE whose KL term ends below this has codes that say (almost) nothing


def loss_caption(family: str, model, dataset: str) -> str:
    """What a family's loss curves are; for a likelihood loss, how its units differ from the table's NLL."""
    text = LOSS_CAPTIONS[family]
    if family in ("vae", "autoregressive", "flow") and hasattr(model, "log_det_scale"):
        offset = float(model.log_det_scale())
        how = ("pixels from [0, 1] to [−1, 1], with a little noise added to each" if data.is_image(dataset) else
               "each coordinate to mean 0 and spread 1")
        shift = f"{offset:+.1f}".replace("-", "−")  # a minus sign, as the page's other numbers
        text += (f" The curve is in the units of the data as the model sees it, rescaled ({how}): add {shift} "
                 "nats, the log of that rescaling, to read it on the table's scale"
                 + (", where the NLL scores the exact grey levels, without the noise, and reads lower still."
                    if data.is_image(dataset) else "."))
    return text


def collapsed(family: str, history: list[dict]) -> bool:
    """Whether a VAE's KL term ended near 0 (posterior collapse): mean of its last few logged values."""
    kls = [row["kl"] for row in history[-5:] if "kl" in row]
    return family == "vae" and bool(kls) and float(np.mean(kls)) < COLLAPSED_KL


COLLAPSE_NOTE = (f"The KL term ended near 0 (below {COLLAPSED_KL:g} nats): the codes carry almost nothing about "
                 "their points and the decoder ignores z (posterior collapse), so the samples are its one best "
                 "guess plus noise. A longer training usually gets past it.")


WHAT_TO_LOOK_FOR = {  # the note beside the data
    "world": "Sharp, land-shaped samples with few in the sea mean high precision; samples over every continent mean "
             "good coverage.",
    "points": "A good fit traces the grey data's shape: samples on every part of it, and few in the gaps between "
              "the parts.",
    "image": "Crisp strokes that read as one digit mean high confidence; all ten digits about equally often mean high "
             "evenness; a nearest training image about as far away as a real new digit's means the family is not "
             "copying.",
}


PANELS = {  # the note beside the data: what each family's panel holds
    "world": "Each family's panel shows 2,000 of its samples on the map, then its field over the plane (darker = "
             "higher), then its training loss.",
    "points": "Each family's panel shows 2,000 of its samples (coloured) over the grey data, then its field over "
              "the plane (brighter = higher), then its training loss.",
    "image": "Each family's panel shows 32 of its samples, then its training loss.",
}
THE = {"vae": "the VAE", "gan": "the GAN", "ebm": "the energy-based model", "diffusion": "the diffusion model",
       "autoregressive": "the autoregressive model", "flow": "the normalizing flow"}
_WHAT_THEY_KNOW = (  # (families, what one knows of p(x), what two know, what its picture over a plane is): the
    #                   note names only the families shown, and the pictures only on 2-D data
    (("autoregressive", "flow"), "computes p(x) exactly (lower NLL is better)", "compute p(x) exactly (lower NLL is "
                                                                                  "better)", ""),
    (("vae", "diffusion"), "reports a bound on it", "report a bound on it", ""),
    (("ebm",), "knows it only up to a constant it cannot compute", "",
     " (its second picture is its negative energy −E(x))"),
    (("gan",), "has no density at all", "", ""),
)
_GAN_FIELD = (" The GAN's second picture is its discriminator D(x), not a density: D is high where real data lies "
              "but few samples do, low where samples crowd (more of them than real data there), and "
              "where neither lies its value means nothing: nothing taught it there.")


GLOSSARY = (  # the page's words, for a newcomer (an expander under the introduction)
    ("p_data, p_model", "the unknown distribution the data come from, and the model's attempt to mimic it."),
    ("sample", "a new point (or image) the model makes up; a good model's samples look like fresh data."),
    ("likelihood, NLL", "how probable the model finds real points it never saw: the negative log-likelihood "
                        "−mean log p_model(x), in nats (natural-log units). Lower is better."),
    ("bound (≤)", "a family that cannot compute p(x) exactly may compute a number that lies above the true NLL "
                  "on average (the VAE's importance-weighted bound, diffusion's variational bound). Its true NLL "
                  "is at or below the number shown."),
    ("entropy floor", "the NLL of p_data itself (on the world map, log of the land's area): no model can do better "
                      "on average. The gap is how far a model stays above it."),
    ("precision, coverage", "the share of samples that land where the data are, and the share of the data that "
                            "has a sample nearby. A model can be precise but miss whole regions (low coverage)."),
    ("energy E(x)", "the energy-based model's score: low where data are likely. p(x) is proportional to e^−E(x), "
                    "but the constant that makes it a density is out of reach."),
    ("Langevin dynamics", "how the energy-based model samples: small steps downhill in energy, with a little "
                          "noise at each."),
    ("discriminator D(x)", "the GAN's second network, which guesses whether x is real (D near 1) or made by the "
                           "generator (near 0)."),
    ("checkpoint", "a model trained earlier and saved with the app; 'trained here' is one you trained on this "
                   "page."),
)


def glossary_markdown() -> str:
    """The glossary as a Markdown list."""
    return "\n".join(f"- **{term}**: {meaning}" for term, meaning in GLOSSARY)


def reading_note(dataset: str, families: list[str]) -> str:
    """How to read the panels of `families` on `dataset`, and what each of them knows of p(x)."""
    kind = kind_of(dataset)
    parts = []
    for group, one, two, picture in _WHAT_THEY_KNOW:
        shown = [f for f in group if f in families]
        if shown:
            parts.append(in_words(THE[f] for f in shown) + " " + (one if len(shown) == 1 else two)
                         + (picture if kind != "image" else ""))
    knows = ("; ".join(parts) + ".") if parts else ""
    gan_field = _GAN_FIELD if "gan" in families and kind != "image" else ""
    return f"{WHAT_TO_LOOK_FOR[kind]} {PANELS[kind]} Of p(x) itself, {knows}{gan_field}"


def has_checkpoints(dataset: str) -> bool:
    """Whether any family has a pretrained checkpoint for `dataset` (the world map and the digits)."""
    from gdl import checkpoints

    return any(checkpoints.shipped_path(f, dataset).is_file() for f in models.NEURAL)


def kind_of(dataset: str) -> str:
    """Which of the page's texts fit `dataset`: "world", "points" (a 2-D toy) or "image"."""
    return "image" if data.is_image(dataset) else "world" if dataset == "world" else "points"


@st.cache_resource(show_spinner=False)
def devices() -> list[str]:
    from gdl.device import available

    return available()


@st.cache_data(show_spinner=False, max_entries=32)
def training_data(dataset: str, n: int, seed: int) -> np.ndarray:
    """The training set every family shares."""
    return data.load(dataset, n=None if data.is_image(dataset) else n, seed=seed)


@st.cache_data(show_spinner=False, max_entries=8)
def reference_data(dataset: str) -> np.ndarray:
    """Held-out data for plots and measurements."""
    if data.is_image(dataset):
        return data.load(dataset, n=None, seed=0)[-N_HELD_OUT:]
    return data.load(dataset, n=N_HELD_OUT, seed=cache.HELD_OUT_SEED)


def training_work(family: str, X: np.ndarray, seconds: float, device: str, seed: int):
    """The function a background job runs: train a fresh model and return it."""
    def work(job):
        model = jobs.fit_model(jobs.TrainSpec(family, X, seconds=seconds, device=device, seed=seed), job)
        if not model.history_.ok:  # the panel shows the divergence message with the last good samples
            job.result = model  # stored before it is marked done: a page that sees it done finds its model
            job.status = "done"
        return jobs.report(job, model)

    return work


def history_of(model) -> list[dict]:
    """The loss curve of a model trained here, or the one saved in its checkpoint."""
    h = getattr(model, "history_", None)
    if h is not None:
        return h.history
    return getattr(model, "checkpoint_meta_", {}).get("history", [])


def _key(model) -> str:
    meta = getattr(model, "checkpoint_meta_", None)
    return f"ckpt:{meta.get('command')}" if meta else f"live:{id(model)}"


@st.cache_data(show_spinner=False, max_entries=128)
def _samples(_model, key: str, n: int, seed: int) -> np.ndarray:
    return _model.sample(n, seed=seed)


@st.cache_data(show_spinner=False, max_entries=128)
def _field(_model, key: str, dataset: str):
    """(xs, ys, z, title, colorbar) of the family's scalar field over the plane."""
    if dataset == "world":
        step = COSTLY_FIELD_STEP.get(_model.name, GRID_STEP["world"])
        xs, ys = np.arange(-180 + step / 2, 180, step), np.arange(-90 + step / 2, 90, step)
    else:
        (x0, x1), (y0, y1) = plots.frame(reference_data(dataset)[:SHOWN_DATA])  # the samples panel's frame
        xs, ys = np.linspace(x0, x1, 80), np.linspace(y0, y1, 80)
    gx, gy = np.meshgrid(xs, ys)
    grid = np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32)
    if hasattr(_model, "discriminate"):
        z, title, bar = _model.discriminate(grid), "discriminator D(x)", "D"
    elif hasattr(_model, "energy"):
        z, title, bar = -_model.energy(grid), "negative energy −E(x)", "−E"
    elif _model.log_prob_kind != "none":
        z = _model.log_prob(grid)
        title, bar = ("log density (a lower bound)" if _model.log_prob_kind == "lower_bound" else "log density"), "log p"
        finite = z[np.isfinite(z)]
        if finite.size:  # keep the colour scale on the interesting range: at most 10 nats below the peak
            z = np.maximum(z, max(np.quantile(finite, 0.05), finite.max() - FIELD_RANGE))
    else:
        return None
    return xs, ys, z.reshape(gy.shape), title, bar


def field_cells(family: str) -> str:
    """Why a world field is coarser than the others, if it is ('' if not)."""
    step = COSTLY_FIELD_STEP.get(family)
    if step is None:
        return ""
    return (f"; in {step:g}° cells, not {GRID_STEP['world']:g}°, since its bound costs "
            "a network call per denoising step at every cell")


def _map() -> Canvas:
    """A world map for a narrow panel (what it shows is said in a caption under it, in the page's own text)."""
    return Canvas(px_per_degree=1.5, text_scale=TEXT_SCALE)


@st.cache_data(show_spinner=False, max_entries=64)
def _world_pictures(_model, key: str, family: str, seed: int) -> tuple[str, str | None, str | None]:
    """The family's samples on the world map, and its field over the plane (None where it has none), as PNGs,
    and the field's title."""
    color = plots.FAMILY_COLORS.get(family, plots.MODEL_COLOR)
    samples = _samples(_model, key, N_SAMPLES, seed)
    samples_png = _map().points(samples, color, radius=1.5).png_uri()
    field = _field(_model, key, "world")
    if field is None:
        return samples_png, None, None
    xs, ys, z, title, _ = field
    return samples_png, _map().density(xs, ys, z, label=None).png_uri(), title


@st.cache_data(show_spinner=False, max_entries=8)
def _world_data_picture() -> str:
    return _map().points(reference_data("world")[:N_SAMPLES], plots.DATA_COLOR, radius=1.5).png_uri()


def draw_data(dataset: str, reference: np.ndarray) -> None:
    """The data every family learns from, drawn in the panels' own frame."""
    if data.is_image(dataset):
        st.image(plots.image_grid(reference[:32], columns=8, scale=4), width="stretch",
                 caption="32 real digits, the kind of image every family learns to make")
    elif dataset == "world":
        st.image(_world_data_picture(), width="stretch", caption=f"{N_SAMPLES:,} points drawn uniformly from the "
                 "land: what a perfect model's samples would look like")
    else:
        st.plotly_chart(plots.scatter_figure(reference[:SHOWN_DATA], "held-out data", color=plots.REFERENCE_COLOR,
                                             reference=reference[:SHOWN_DATA]),
                        key="cmp_data_scatter", config={"displayModeBar": False})
        st.caption(f"{SHOWN_DATA:,} points of the data, never trained on: the grey under every family's samples")


# ---- first-time work in the background ---------------------------------------------------------------------
# The first visit after a server starts computes each family's samples, field and measurements (about 15 s for
# the diffusion model alone: its bound costs 200 network calls per point). The panels ask for them through
# gdl.ui.background: the page renders at once with a note in the slow panels, and they fill in by themselves.
LANE = "compare"
PENDING_NOTE = ("⏳ Drawing each family's samples and field and measuring them, once for each model and seed: every "
                "later look reuses them (for the pretrained models, anyone's on this server). It "
                f"{background.PENDING_MARK}.")


def draw_panels(model, dataset: str, reference: np.ndarray, seed: int, family: str) -> None:
    """Samples, and for 2-D data the family's field over the plane (on the world map, a note while they are still
    being computed)."""
    key = _key(model)
    color = plots.FAMILY_COLORS.get(family, plots.MODEL_COLOR)
    if data.is_image(dataset):
        images = _samples(model, key, 32, seed)
        st.image(plots.image_grid(images, columns=8, scale=4), caption="32 samples", width="stretch")
        return
    if dataset == "world":  # pictures, not Plotly charts: twelve maps would cost the browser seconds (gdl.mapimage)
        pictures = background.in_background(("pictures", key, family, seed), _world_pictures, model, key, family,
                                            seed, lane=LANE)
        if pictures is None:
            st.info(PENDING_NOTE)
            return
        samples_png, field_png, title = pictures
        st.image(samples_png, width="stretch", caption=f"{N_SAMPLES:,} samples", alt=f"{family} samples")
        if field_png:
            st.image(field_png, width="stretch", caption=f"{title}: darker = higher" + field_cells(family),
                     alt=f"{family} field")
        return
    samples = _samples(model, key, N_SAMPLES, seed)
    field = _field(model, key, dataset)
    st.plotly_chart(plots.scatter_figure(samples, "samples", color=color, reference=reference[:SHOWN_DATA],
                                         beside_field=field is not None),
                    key=f"cmp_samples_{family}", config={"displayModeBar": False})
    st.caption(f"{N_SAMPLES:,} samples (coloured) over {SHOWN_DATA:,} held-out points of the data (grey)")
    if field is not None:
        xs, ys, z, title, bar = field
        st.plotly_chart(plots.plane_figure(xs, ys, z, title, colorbar_title=bar),
                        key=f"cmp_field_{family}", config={"displayModeBar": False})
        st.caption(f"{title}: brighter = higher")


@st.cache_data(show_spinner=False, max_entries=128)
def _measure(_model, key: str, family: str, dataset: str, origin: str) -> dict:
    from gdl.bench import tightest_nll
    from gdl.metrics import digit_scores

    reference = reference_data(dataset)
    row = {"family": models.DISPLAY_NAMES[family], "source": origin}
    if data.is_image(dataset):
        clf = cache.digit_judge()[0]  # trained once per server, not once per family measured
        train = training_data(dataset, 0, 0)  # every image the families on this page train on (all the digits)
        row.update(_rounded(digit_scores(_samples(_model, key, 500, 1), clf, train)))
    else:  # the default panel's samples: computed once
        row.update(_point_scores(_samples(_model, key, N_SAMPLES, MEASURE_SEED), dataset))
    column = NLL_COLUMN["image" if data.is_image(dataset) else "points"]
    if _model.log_prob_kind != "none":
        nll = tightest_nll(_model, reference)  # for the VAE, its importance-weighted bound, as in the benchmark
        bound = "≤ " if _model.log_prob_kind == "lower_bound" else ""  # a bound from a lower-bound family
        row[column] = f"{bound}{nll:.3f}"
        if not data.is_image(dataset):
            row["gap to floor"] = f"{bound}{nll - floor_nll(dataset):.3f}"
    else:
        # a density only up to a constant it cannot compute, or none at all: the caption says why (measure_caption)
        word = "unknown" if hasattr(_model, "energy") else "none"
        row[column] = word
        if not data.is_image(dataset):
            row["gap to floor"] = word
    return row


def _point_scores(samples: np.ndarray, dataset: str) -> dict:
    """Precision and coverage of 2-D samples against the held-out points, as the table's columns."""
    from gdl.metrics import coverage, precision_near, precision_on_land

    reference = reference_data(dataset)
    if dataset == "world":
        return {"precision (on land)": round(precision_on_land(samples), 3),
                COVERAGE_COLUMN: round(coverage(reference, samples, radius=2.0), 3)}
    return {f"precision (within {TOY_RADIUS:g})": round(precision_near(reference, samples, TOY_RADIUS), 3),
            f"coverage ({TOY_RADIUS:g})": round(coverage(reference, samples, radius=TOY_RADIUS), 3)}


@st.cache_data(show_spinner=False, max_entries=8)
def real_points_row(dataset: str) -> dict:
    """The yardstick row of a 2-D table: a fresh draw of real points, scored as the samples are."""
    fresh = data.load(dataset, n=N_SAMPLES, seed=cache.YARDSTICK_SEED)
    row = {"family": "real data", "source": "data", **_point_scores(fresh, dataset)}
    row[NLL_COLUMN["points"]] = f"{floor_nll(dataset):.3f}"  # p_data's own NLL: the floor
    row["gap to floor"] = "0"
    return row


@st.cache_data(show_spinner=False, max_entries=8)
def floor_nll(dataset: str) -> float:
    """The held-out NLL of p_data itself, which no model beats on average: on the world map the entropy log A; on
    a toy, its true density (gdl.data.toys.log_density) on the held-out points."""
    if dataset == "world":
        return world.entropy()
    from gdl.data import toys

    return float(-np.mean(toys.log_density(dataset, reference_data(dataset))))


def yardstick_row(dataset: str) -> dict:
    """The table's first row: real data scored as the families' samples are."""
    return real_digits_row() if data.is_image(dataset) else real_points_row(dataset)


def _rounded(scores: dict) -> dict:
    return {k: round(v, 3) for k, v in scores.items()}


@st.cache_data(show_spinner=False)
def real_digits_row() -> dict:
    """The yardstick row of the digits table: real digits that neither the classifier nor the 1,500 images they are
    measured against were drawn from, scored as the samples are (the benchmark's reference row)."""
    from gdl.bench import real_digit_scores

    return {"family": "real digits", "source": "data", **_rounded(real_digit_scores(cache.digit_judge()[0])),
            NLL_COLUMN["image"]: "-"}


def measure(model, family: str, dataset: str, origin: str) -> dict | None:
    """The benchmark's measurements for one model on this page (cached per model); None while being computed."""
    key = _key(model)
    return background.in_background(("measure", key, family, dataset, origin), _measure, model, key, family,
                                    dataset, origin, lane=LANE)
