"""Hello World: p_data is uniform over the land; fit p_model, watch the MLE box, explore the likelihood."""
import numpy as np
import streamlit as st

from gdl import plots
from gdl.data import world
from gdl.chartimage import line_chart
from gdl.mapimage import Canvas, png_uri, signed
from gdl.models import DISPLAY_NAMES
from gdl.models.box import box_area, box_log_likelihood, east_edge_profile, in_box, mle_box
from gdl.ui import cache, clickmap
from gdl.ui.widgets import (arrived_from_another_page, guarded, in_words, note, number_box, panel_guard, plain,
                             through_app, within)

through_app()  # a deep link to a fresh server must still go through app.py

P = "wm_"  # this page's session-state prefix
N_MIN, N_MAX = 10, 20_000
CLASSICAL_SETTINGS = {  # family -> (config field, label, min, max, default) for its one setting
    "gmm": ("n_components", "mixture components", 1, 100, 20),
    "kde": ("bandwidth", "kernel width h, in degrees", 0.2, 20.0, 2.0),
    "histogram": ("bins", "bins per axis", 5, 200, 60),
}
FEW = 200  # below this many points, chance clumps hide that p_data spreads them evenly
SMOOTHER = {"gmm": ("fewer components", -1), "kde": ("a wider kernel", +1), "histogram": ("fewer bins", -1)}


def overfit_advice(family: str, value, n: int) -> str:
    """What would make the fit smoother: a setting that can still move that way, more points below the limit."""
    ways = []
    if family in SMOOTHER:
        words, sign = SMOOTHER[family]
        _, _, lo, hi, _ = CLASSICAL_SETTINGS[family]
        if (value > lo) if sign < 0 else (value < hi):
            ways.append(words)
    if n < N_MAX:
        ways.append("more points")
    return ("try " + " or ".join(ways) + "." if ways else
            "both the setting and N are at their limits, so this is as smooth as this family gets here.")


def nats(value: float) -> str:
    """A log-likelihood for a metric: +∞, or three decimals, or (past 100,000) three significant figures."""
    if not np.isfinite(value):
        return "+∞" if value > 0 else "−∞" if value < 0 else "–"
    if abs(value) >= 1e5:
        mantissa, exponent = f"{value:.2e}".split("e")
        return f"{signed(mantissa)} × 10^{int(exponent)}"
    return signed(f"{value:,.3f}")


st.title("🌍 Hello World: a generative model of the land")
st.markdown(
    "Somewhere there is a rule, **p_data**, that scatters points uniformly over the land of a flat "
    "longitude–latitude map: the same density in every square degree, so polar land such as Antarctica gets "
    "more points than its true area on the globe would. We never see the rule, only the points it produces. A "
    "generative model **p_model** is our guess at that rule, learned from the points, that we can sample new "
    "points from. Here p_data is known exactly (a land mask from the "
    "GLOBE elevation data), so we can check every guess against the truth."
)

# ---- 1. draw from p_data ------------------------------------------------------------------------------
st.header("1 · Draw samples from p_data")
c1, c2 = st.columns(2)
n, _ = number_box(c1, "How many points N", N_MIN, N_MAX, 1000, step=100, key=P + "n", persist_state="session")
seed, _ = number_box(c2, "Seed", 0, 1_000_000, 0, step=1, key=P + "seed", say_range=False,
                     help="The same seed and N draw the same points.", persist_state="session")
n, seed = int(n), int(seed)
X = cache.world_sample(n, seed)
DOT = 1.5 if n > 3000 else 2.5  # dot radius in pixels: small dots for many points
HALF = 1.6  # pixels per degree for a map in a column beside a chart (the full-width maps use Canvas's 3)
TEXT = 1.6  # every picture's text at 1.6 times the usual size: the page shows them at 0.8 of their width at 1400 px,
# 0.5 at 1024 px, where the usual 12-px axis labels would be 6 px


@st.cache_data(show_spinner=False, max_entries=32)
def _data_map(n: int, seed: int) -> str:
    X = cache.world_sample(n, seed)
    return Canvas(text_scale=TEXT).points(X, radius=DOT, label=f"p_data: {n:,} samples").png_uri()


@st.cache_data(show_spinner=False, max_entries=32)
def _model_map(family: str, n: int, seed: int, config: tuple, n_model: int, show_data: bool) -> str:
    model = cache.fitted_classical(family, n, seed, config)
    c = Canvas(text_scale=TEXT)
    if family == "box":
        c.box(model.theta_, fill=True, label="p_model: the MLE box")
    else:
        c.density(*cache.classical_density_grid(family, n, seed, config))
    c.points(model.sample(n_model, seed=seed + 1), plots.MODEL_COLOR, radius=1.5, label="samples from p_model")
    if show_data:  # over the samples: a few training points must not drown under thousands of samples
        c.points(cache.world_sample(n, seed), radius=DOT, label="training points")
    return c.png_uri()

with panel_guard("The sample map"):
    st.image(_data_map(n, seed), width="stretch", alt="p_data sample map")
    note(f"All {n:,} points fall on land (sand), none at sea (blue), " + (
        "and they spread evenly: " if n >= FEW else
        f"but {n:,} are too few to show how they spread: chance leaves gaps and clumps. With more points (try "
        "2,000) they fill the land evenly, because ") +
        "the density of p_data is the same everywhere on land, 1/A, where A is the land area.")
    st.caption(f"A = {world.area():,.0f} square degrees of land, so p_data(x) = 1/A = {1 / world.area():.3g} "
               f"per square degree on land and 0 at sea. Its entropy, log A = {world.entropy():.3f} nats, is the "
               "lowest held-out negative log-likelihood any model can reach on average.")

# ---- 2. fit p_model, sample from it, judge it -------------------------------------------------------------
st.header("2 · Fit p_model and sample from it")
c1, c2 = st.columns([1, 1])
family = c1.selectbox("Model family", ["box", "gaussian", "gmm", "kde", "histogram"],
                      format_func=DISPLAY_NAMES.get, key=P + "family", persist_state="session")
config: tuple = ()
value = None  # the family's one setting, where it has one
if family in CLASSICAL_SETTINGS:
    field, label, lo, hi, default = CLASSICAL_SETTINGS[family]
    value, _ = number_box(c2, label, lo, hi, default, key=P + "setting_" + family, persist_state="session")
    config = ((field, value),)
    if family == "gmm" and value > n:
        c2.caption(f"A mixture fitted to {n:,} points can use at most {n:,} components, one per point: "
                   f"it uses {n:,}, not {value:,}.")
n_model, _ = number_box(c1, "Samples to draw from p_model", 100, 20_000, 2000, step=500, key=P + "n_model",
                        help="How many orange dots the map shows. The accuracy and coverage below always measure "
                             "10,000 samples of their own, so they do not change with this.", persist_state="session")
show_data = c2.toggle("Show training points", value=family == "box", key=P + "show_data_" + family,
                      persist_state="session", help="On at first for the box (its edges are set by the outermost "
                      "points), off for the others, whose shading the points would hide; each family keeps its own.")

with panel_guard("Fitting p_model"):
    with st.spinner(f"Fitting the {DISPLAY_NAMES[family].lower()}…"):
        model = cache.fitted_classical(family, n, seed, config)
        picture = _model_map(family, n, seed, config, int(n_model), bool(show_data))
    st.image(picture, width="stretch", alt="p_model map")
    if family == "box":
        note("The box is the smallest rectangle that holds every training point: that is its maximum-likelihood "
             "estimate. Sampling from it is easy (pick two uniform numbers), but most samples land in the sea.")
    else:
        note("The purple shading is log p_model over the map (darker = more likely). Orange dots are new points "
             "sampled from p_model: where they fall in the sea, the model puts mass where p_data has none. The "
             "shading ranks the map's cells against each other, so it shows where the model puts the most mass, "
             "not how much: a faint halo can stand for a vanishingly small density. The numbers below say how "
             "good the fit is.")

st.subheader("Judge the model")
st.markdown(
    "The book judges a generative model by **accuracy** (do its samples look like p_data's? here: do they land "
    "on land), **coverage** (does it produce all of p_data, not one continent?) and, where it has a density, the "
    "**held-out negative log-likelihood** on 20,000 fresh points from p_data, whose floor is the entropy log A."
)
st.caption("**Held-out** points are fresh draws from p_data that the model never saw while fitting. The NLL is "
           "the average of −log p_model(x) over them, in **nats** (natural-log units); it can be negative where a "
           "density exceeds 1 per square degree. The **entropy** log A is p_data's own NLL: no model beats it on "
           "average. **Overfitting**: a model that fits its training points much better than fresh ones has "
           "learned where those points happen to lie, not where the land is.")
with panel_guard("The measurements"):
    with st.spinner("Measuring on 20,000 held-out points…"):
        score = cache.classical_score(family, n, seed, config)
    row = st.container(horizontal=True)  # short labels, the help says the rest; a row that wraps when
    # narrow (at 800 px, four columns cut "Held-out NLL" short)
    row.metric("Accuracy", f"{score['precision']:.1%}",
               help="The share of 10,000 samples from p_model that land on land. p_data's own samples: 100%.")
    row.metric("Coverage", f"{score['coverage']:.1%}",
               help="The share of the 20,000 held-out points from p_data that have a sample from p_model within "
                    "2° of them: low when the model leaves out parts of the land, or wastes its samples at sea. "
                    f"For scale, 10,000 fresh points from p_data itself cover {cache.world_coverage_of_p_data():.1%}.")
    nll = score["nll"]
    row.metric("Held-out NLL", nats(nll), help="The average of −log p_model(x) over the 20,000 held-out points, in "
               "nats (natural-log units): lower is better.")
    row.metric("Gap to floor", nats(score["gap"]),
               help=f"The held-out NLL minus the entropy floor log A = {world.entropy():.3f} nats, the NLL of "
                    "p_data itself: 0 would be a perfect model.")
    with st.spinner(f"Measuring on the {n:,} training points, to compare…"):  # KDE at N = 17,000: about 4 s
        train_nll = cache.classical_train_nll(family, n, seed, config)
    if score["outside"]:
        held_out = cache.world_held_out()
        beyond = int((~in_box(held_out, X.min(axis=0), X.max(axis=0))).sum())  # past the training points' extent
        zero = (f"**{score['outside']:,} of {cache.HELD_OUT_N:,} held-out points** get p_model(x) = 0, so their "
                "log-likelihood is −∞ and the average NLL is +∞, although the model gives every training point "
                "a density. ")
        if family == "box":
            st.warning(
                zero + "Four numbers are far too few to follow the coasts (most of the box is sea), and still the "
                "box is overfitting at its edges: the smallest rectangle holding the training points lies "
                + ("just inside the land's true extremes, so the fresh points beyond them fall outside. "
                   if beyond < 0.02 * len(held_out) else
                   f"well inside the land's true extremes, and {beyond / len(held_out):.0%} of fresh points fall "
                   f"beyond it: {n:,} points cannot find the land's edges. ")
                + "Maximum likelihood fits the sample, not p_data; with more points, the box grows.")
        elif family == "histogram":
            st.warning(
                zero + (f"{beyond:,} of them {'lies' if beyond == 1 else 'lie'} beyond the rectangle of the training "
                        "points, which is all that the histogram bins, as the box does. " if beyond else "")
                + (f"{score['outside'] - beyond:,} {'falls' if score['outside'] - beyond == 1 else 'fall'} in bins "
                   "that no training point reached. " if score["outside"] > beyond else "")
                + "It has overfitted to the training points: " + overfit_advice(family, value, n))
        else:
            st.warning(zero + "It has overfitted to the training points: " + overfit_advice(family, value, n))
    elif nll - train_nll > 0.5:
        st.warning(f"Overfitting: on its own {n:,} training points the NLL is {nats(train_nll)} nats, against "
                   f"{nats(nll)} on fresh points. The model has learned where the training points happen to lie, "
                   "not where the land is: " + overfit_advice(family, value, n))
    else:
        note("Every held-out point has positive probability, so the NLL is finite. On the training points it is "
             f"{nats(train_nll)}, " + (
                 "about the same: no sign of overfitting. " if abs(nll - train_nll) < 0.1 else
                 f"{train_nll - nll:.2f} nats higher than on fresh points, which happened to fit better: no sign of "
                 "overfitting. " if nll < train_nll else
                 f"{nll - train_nll:.2f} nats lower than on fresh points: a mild overfit. ")
             + "Compare families: a lower held-out NLL and more samples on land mean p_model is closer to p_data.")
    if st.toggle("Compare all five classical families", key=P + "compare_all", persist_state="session"):
        rows = []
        with st.spinner("Fitting and measuring each family…"):
            for name in ("box", "gaussian", "gmm", "kde", "histogram"):
                if name == family:  # the family chosen above, with your setting: the same numbers as above
                    cfg = config
                elif name in CLASSICAL_SETTINGS:
                    cfg = ((CLASSICAL_SETTINGS[name][0], CLASSICAL_SETTINGS[name][4]),)
                else:
                    cfg = ()
                s = cache.classical_score(name, n, seed, cfg)
                rows.append({"family": DISPLAY_NAMES[name], "accuracy": 100 * s["precision"],
                             "coverage": 100 * s["coverage"],
                             "held-out NLL": nats(s["nll"]), "gap to floor": nats(s["gap"])})  # as the metrics
        st.dataframe(rows, hide_index=True, column_config={
            "accuracy": st.column_config.NumberColumn(format="%.1f%%"),  # one decimal, as the metrics above
            "coverage": st.column_config.NumberColumn(format="%.1f%%")})
        st.caption(f"Each family fitted to the same {n:,} points"
                   + (f": the {DISPLAY_NAMES[family] if family == 'gmm' else DISPLAY_NAMES[family].lower()} with "
                      "your setting above, the others with a setting at their "
                      "default" if family in CLASSICAL_SETTINGS else ", those with a setting at their default")
                   + " (" + ", ".join(f"{label.split(',')[0]} = {default:g}"
                                      for name, (_, label, _, _, default) in CLASSICAL_SETTINGS.items()
                                      if name != family) + ")"
                   + ". A held-out NLL of +∞ means some held-out point got probability zero.")


# ---- 3. watch the MLE box grow ---------------------------------------------------------------------------
st.header("3 · Watch the MLE box grow as points arrive")
st.markdown("Points arrive one at a time. After each, the maximum-likelihood box is the smallest rectangle "
            "holding all the points so far.")

GROW = P + "grow_n"
PLAYING = P + "playing"
TIMER = P + "grow_timer"  # whether the section was set up to redraw itself on a timer (decided by a full run)
START = 2  # the first view: two points, the first box with an area
TICK = 0.4  # seconds between two steps of Play
st.session_state.setdefault(GROW, START)
st.session_state.setdefault(PLAYING, False)
if arrived_from_another_page():
    st.session_state[PLAYING] = False  # Play stopped when the user left; coming back shows where it stopped
st.session_state[GROW] = int(np.clip(st.session_state[GROW], 1, n))  # N may have shrunk below it


def _grow_steps(delta: int) -> None:
    st.session_state[GROW] = int(np.clip(st.session_state[GROW] + delta, 1, n))


def _step_by_hand(delta: int = 0) -> None:
    """Step +1, Step −1 or the slider: the hand takes over from Play."""
    st.session_state[PLAYING] = False
    _grow_steps(delta)


def _reset() -> None:
    st.session_state[GROW] = START
    st.session_state[PLAYING] = False


def _toggle_play() -> None:
    st.session_state[PLAYING] = not st.session_state[PLAYING]
    if st.session_state[PLAYING] and st.session_state[GROW] >= n:  # at the end: play again from the start
        st.session_state[GROW] = START


def play_seconds(n: int) -> float:
    """How long Play takes from the first box to all n points, at one tick every TICK seconds."""
    k, ticks = START, 0
    while k < n:
        k, ticks = k + play_step(k), ticks + 1
    return ticks * TICK


def play_step(k: int) -> int:
    """How far one tick of Play moves: one point at a time at first, then about 5% more each tick, so that
    20,000 points play through in about a minute while the first jumps of the box can still be followed."""
    return max(1, k // 20)


@st.cache_data(show_spinner=False, max_entries=16)
def _growth_curves(n: int, seed: int):
    """Area and log-likelihood of the MLE box of the first k points, for every k: cumulative min and max."""
    points = cache.world_sample(n, seed).astype(np.float64)
    low = np.minimum.accumulate(points, axis=0)
    high = np.maximum.accumulate(points, axis=0)
    area = np.prod(high - low, axis=1)
    k = np.arange(1, n + 1)
    with np.errstate(divide="ignore"):
        loglik = -k * np.log(area)
    return np.concatenate([low, high], axis=1), area, loglik


def _grow_view() -> None:
    if st.session_state[PLAYING] != st.session_state.get(TIMER, False):
        st.rerun(scope="app")  # Play or Pause was pressed here: only a full run can start or stop the timer
    if st.session_state[PLAYING]:
        _grow_steps(play_step(int(st.session_state[GROW])))
        if st.session_state[GROW] >= n:
            st.session_state[PLAYING] = False
    thetas, areas, logliks = _growth_curves(n, seed)
    b = st.columns(4)  # the buttons a row of their own, the slider under them: at 1024 px five columns cut labels
    b[0].button("⏸ Pause" if st.session_state[PLAYING] else "▶ Play", on_click=_toggle_play, key=P + "play",
                width="stretch", help="Points arrive one at a time at first, then faster: all "
                                      f"{n:,} take about {play_seconds(n):.0f} s.")
    b[1].button("Step +1", on_click=_step_by_hand, args=(1,), key=P + "step", width="stretch")
    b[2].button("Step −1", on_click=_step_by_hand, args=(-1,), key=P + "back", width="stretch")
    b[3].button("Reset", on_click=_reset, key=P + "reset", width="stretch")
    st.slider("Points so far, n", 1, n, key=GROW, on_change=_step_by_hand, help="Drag to jump to any n.",
              persist_state="session")
    k = int(st.session_state[GROW])
    st.markdown(f"**n = {k:,}** of {n:,} points · box area **{areas[k - 1]:,.0f}** deg²")
    left, right = st.columns([3, 2])
    picture = (Canvas(px_per_degree=HALF, text_scale=TEXT)
               .box(thetas[k - 1], fill=True, label="the MLE box")  # under the points
               .points(X[:k - 1], radius=DOT - 0.5, label="earlier points", over_lines=k <= 1000)
               .markers(X[k - 1:k], plots.BAD_COLOR, label="the newest point"))
    left.image(picture.png_uri(), width="stretch", alt="growing box map")
    shown = np.arange(1, k + 1)
    stride = max(1, k // 1500)  # keep the curves light for large n
    finite = np.where(np.isfinite(logliks[:k:stride]), logliks[:k:stride], np.nan)
    right.image(png_uri(line_chart(shown[::stride], {"area": areas[:k:stride]}, "points n", "box area (deg²)",
                                   width=440, height=250, xlim=(1, max(k, 2)), integer_x=True,
                                   text_scale=TEXT)),
                width="stretch", alt="box area against n")
    right.image(png_uri(line_chart(shown[::stride], {"log-likelihood": finite}, "points n", "log L at the MLE",
                                   width=440, height=250, xlim=(1, max(k, 2)), integer_x=True,
                                   band=(1, 1, "n = 1: log L = +∞, off the chart") if k == 1 else None,
                                   text_scale=TEXT)),  # at n = 1 the one value is +∞: say so, not a blank chart
                width="stretch", alt="log L against n")
    note("The box only ever grows, in jumps, whenever a point lands outside it; between jumps the area stays put "
         "and each new point costs the same −log(area). The log-likelihood falls roughly linearly in n: more "
         "data, more to explain." + (" With one point the box has zero area and an infinite likelihood: a "
                                     "degenerate maximum." if k == 1 else ""))


st.session_state[TIMER] = bool(st.session_state[PLAYING])
st.fragment(guarded("The growing box")(_grow_view), run_every=TICK if st.session_state[TIMER] else None)()


# ---- 4. likelihood explorer --------------------------------------------------------------------------------
st.header("4 · The likelihood explorer")
st.markdown(
    "p_model is a box with parameters **θ = (θ1, θ2, θ3, θ4)**: θ1 and θ2 are the longitude and latitude of its "
    "bottom-left corner, θ3 and θ4 of its top-right corner. The likelihood of θ given k points is "
    "**L(θ | X) = Π p_model(xᵢ | θ) = area(θ)^−k** if the box holds every point, and **0** (log-likelihood −∞) "
    "as soon as one point falls outside."
)
THETA = [P + f"theta{i}" for i in range(1, 5)]
K = P + "explore_k"
c1, _ = st.columns([1, 2])
within(K, 2, min(n, 500))
k_explore = int(c1.slider("Use the first k of your points", 2, min(n, 500), min(n, 25), key=K,
                          help="Few points make a small box; the more points, the closer the box gets to the "
                               "whole map. A new k moves the θ sliders to the new points' MLE box.",
                          persist_state="session"))
X_explore = X[:k_explore]
mle = mle_box(X_explore)


def _snap_to(theta) -> None:
    for key, value in zip(THETA, theta):
        st.session_state[key] = float(value)


def _outward(theta) -> np.ndarray:
    """The MLE rounded outward to the sliders' 0.5-degree grid, so the default box holds every point."""
    return np.array([np.floor(theta[0] * 2) / 2, np.floor(theta[1] * 2) / 2, np.ceil(theta[2] * 2) / 2,
                     np.ceil(theta[3] * 2) / 2])


def no_east_edge_helps(X: np.ndarray, theta) -> str:
    """Why the east edge's profile is 0 throughout: which points lie beyond which of the other three edges."""
    west, south, _, north = theta
    beyond = {"west": X[:, 0] < west, "south": X[:, 1] < south, "north": X[:, 1] > north}
    count = int(np.logical_or.reduce(list(beyond.values())).sum())
    sides = [side for side, out in beyond.items() if out.any()]
    return (f"No curve: {count:,} {'point lies' if count == 1 else 'points lie'} beyond the {in_words(sides)} "
            f"edge{'s' if len(sides) > 1 else ''} of your box, and moving the east edge cannot bring "
            f"{'it' if count == 1 else 'them'} in, so the likelihood is 0 wherever θ3 goes. Move "
            f"{'that edge' if len(sides) == 1 else 'those edges'}, or snap to the MLE box.")


if st.session_state.get(P + "theta_for") != (n, seed, k_explore):  # new data: start the sliders at its MLE
    st.session_state[P + "theta_for"] = (n, seed, k_explore)
    _snap_to(_outward(mle))


def _explorer_view() -> None:
    X, n = X_explore, k_explore  # noqa: N806  (this section's data: the first k points)
    c = st.columns(4)
    labels = ["θ1: west edge (longitude)", "θ2: south edge (latitude)", "θ3: east edge (longitude)",
              "θ4: north edge (latitude)"]
    limits = [(-180.0, 180.0), (-90.0, 90.0), (-180.0, 180.0), (-90.0, 90.0)]
    theta = [c[i].slider(labels[i], *limits[i], step=0.5, key=THETA[i], persist_state="session") for i in range(4)]
    st.button("Snap to the maximum-likelihood box", on_click=_snap_to, args=(_outward(mle),), key=P + "snap",
              help="The sliders move in steps of 0.5°, so this is the MLE box rounded outward to that grid: it "
                   "holds every point, and its log L sits just below the exact MLE's.")
    if theta[0] >= theta[2] or theta[1] >= theta[3]:
        st.error("The west edge θ1 must lie left of the east edge θ3, and the south edge θ2 below the north edge "
                 "θ4. Move a slider back.")
        return
    inside = in_box(X, theta[:2], theta[2:])
    ll = box_log_likelihood(theta, X)
    ll_mle = box_log_likelihood(mle, X)
    row = st.container(horizontal=True)  # one row that wraps when narrow
    row.metric("log L(θ | X)", "−∞" if ll == -np.inf else signed(f"{ll:,.1f}"),  # the delta keeps its hyphen:
               # Streamlit reads the arrow's direction from it
               delta=None if ll == -np.inf else f"{ll - ll_mle:,.1f} vs the MLE", delta_color="normal")
    row.metric("Points outside the box", f"{int((~inside).sum()):,} of {n:,}")
    row.metric("Box area (deg²)", f"{box_area(theta[:2], theta[2:]):,.0f}",
               help=f"The MLE box's area is {box_area(mle[:2], mle[2:]):,.0f} deg².")
    if np.allclose(theta, _outward(mle)) and np.isfinite(ll) and ll < ll_mle:
        st.caption(f"This is the MLE box rounded outward to the sliders' 0.5° steps, so that it holds every point: "
                   f"its log L sits {ll_mle - ll:,.1f} below the exact MLE's, which no slider position reaches.")
    left, right = st.columns([3, 2])
    # the boxes first, the points over them: a point just outside your box sits on the MLE box's edge
    picture = (Canvas(px_per_degree=HALF, text_scale=TEXT).box(theta, fill=True, label="your box")
               .box(mle, plots.MLE_COLOR, dashed=True, label="the MLE box")  # dashed over yours: both show
               .points(X[inside], radius=2.5, label="points inside", over_lines=True))
    if (~inside).any():
        picture.markers(X[~inside], plots.BAD_COLOR, radius=5, label="outside: likelihood 0")
    left.image(picture.png_uri(), width="stretch", alt="likelihood explorer map")
    # The profile of the likelihood along θ3, the others held: a function of the parameter, peaking at the MLE.
    east, profile = east_edge_profile(theta, X)
    zero = east[~np.isfinite(profile)]
    everywhere = zero.size == east.size  # a point beyond another edge: no east edge brings it in
    shown = (min(east[0], 179.0), 180.0)  # the chart's stretch of east edges
    profile_chart = line_chart(east, {"log L": np.where(np.isfinite(profile), profile, np.nan)},
                               "east edge (longitude)", "log L", width=440, height=360,
                               band=(zero.min(), zero.max(), "L = 0 at every east edge" if everywhere else "L = 0")
                               if zero.size else None,
                               marker=(theta[2], "your east edge"), xlim=shown, text_scale=TEXT)
    right.markdown("**log L as the east edge moves, the rest held**" + (
        "" if theta[2] >= shown[0] else f" (yours, {theta[2]:g}°, is off to the left)"))
    right.image(png_uri(profile_chart), width="stretch", alt="likelihood profile")
    if everywhere:
        right.caption(no_east_edge_helps(X, theta))
    if ll == -np.inf:
        st.warning("At least one point lies outside your box, where p_model is 0, so the likelihood of the whole "
                   "sample is 0 and the log-likelihood is −∞, however good the box is elsewhere.")
    note("Shrinking the box raises the likelihood (the same probability spread over less area) right up to the "
         "moment it loses a point, where the likelihood drops to 0 (the red band in the chart). The MLE sits on "
         "that edge. L(θ | X) is a function of θ for fixed data, not a probability distribution over θ: it need "
         "not sum to 1 over boxes, and it can exceed 1 (were all k points inside half a degree square, that box's "
         "likelihood would be 4^k).")


st.fragment(guarded("The likelihood explorer")(_explorer_view))()


# ---- 5. points A, B, C -------------------------------------------------------------------------------------
st.header("5 · Is this point likely? Points A, B and C")
st.markdown("Type a point as **latitude, longitude** (the book's order), or click the map to move the point "
            "chosen below. A and B start at the book's two examples: New York, and the Pacific Ocean.")
PTS = {"A": P + "pt_A", "B": P + "pt_B", "C": P + "pt_C"}
st.session_state.setdefault(PTS["A"], f"{world.NEW_YORK[0]}, {world.NEW_YORK[1]}")
st.session_state.setdefault(PTS["B"], f"{world.PACIFIC[0]}, {world.PACIFIC[1]}")
st.session_state.setdefault(PTS["C"], "-25.0, 135.0")


def _pick_from_click() -> None:
    where = clickmap.last_click(st.session_state.get(P + "pick_map"))
    if where is not None:
        target = st.session_state.get(P + "pick_target", "C")
        st.session_state[PTS[target]] = f"{where[1]:.2f}, {where[0]:.2f}"


def _points_view() -> None:
    c = st.columns(3)  # three boxes to a row: with a fourth column they cut their own text at 1024 px
    parsed = {}
    for i, (label, key) in enumerate(PTS.items()):
        text = c[i].text_input(f"Point {label}: latitude, longitude", key=key, max_chars=60, persist_state="session")
        try:
            parsed[label] = world.parse_lat_lon(text)
        except ValueError as err:
            c[i].error(plain(err))
    st.radio("A click on the map moves", list(PTS), index=2, key=P + "pick_target", horizontal=True,
             persist_state="session")
    box_model = cache.fitted_classical("box", n, seed)
    fitted = cache.fitted_classical(family, n, seed, config)
    rows = []
    for label, (lat, lon) in parsed.items():
        x = world.from_lat_lon(lat, lon)
        on_land = bool(world.is_land(x)[0])
        in_the_box = bool(in_box(x, box_model.low_, box_model.high_)[0])
        row = {"point": label, "latitude": lat, "longitude": lon, "on land?": "yes" if on_land else "no",
               "p_data(x)": f"{np.exp(world.log_prob(x)[0]):.3g}", "in the MLE box?": "yes" if in_the_box else "no",
               "p_model(x), box": f"{np.exp(box_model.log_prob(x)[0]):.3g}"}
        if family != "box":
            row[f"p_model(x), {DISPLAY_NAMES[family].lower()}"] = f"{np.exp(fitted.log_prob(x)[0]):.3g}"
        rows.append(row)
    picture = Canvas(px_per_degree=2.5, text_scale=TEXT).box(box_model.theta_, fill=True, label="the MLE box")
    if parsed:
        picture.markers(np.array([[lon, lat] for lat, lon in parsed.values()]), "#111827", radius=7,
                        labels=list(parsed), label="your points")
    clickmap.click_map(picture, key=P + "pick_map", on_click=_pick_from_click)
    if rows:
        st.dataframe(rows, hide_index=True)
    note("p_data(x) is 1/A on land and exactly 0 at sea. p_model(x) under the box is 1/area inside the box, whatever "
         "lies there, land or sea, and 0 outside: a point can be likely under the model and impossible under the "
         "data (the ocean inside the box), or the reverse (land outside it).")


st.fragment(guarded("Points A, B and C")(_points_view))()
