"""Six families side by side: the same data, the same budget, the same measurements."""
import numpy as np
import streamlit as st

from gdl import data, models, plots
from gdl.models import DISPLAY_NAMES, NEURAL, TAXONOMY
from gdl.ui import background, cache, compare, jobs
from gdl.ui.widgets import in_words, note, number_box, out_of_range_help, panel_guard, through_app

through_app()  # a deep link to a fresh server must still go through app.py

P = "cmp_"
DATASETS = {"world": "World map (land)", "moons": "Two moons", "spirals": "Two spirals",
            "checkerboard": "Checkerboard", "digits": "Handwritten digits (8×8)"}
PLACE = {family: place for place, families in TAXONOMY.items() for family in families}

st.title("⚖️ Six families side by side")
st.markdown(
    "Every family of deep generative model, measured the same way. The page opens from pretrained checkpoints "
    "(world map and digits), each made by its own recorded command, so their training times differ. Press "
    "**Retrain** to train them here, live, on **the same data with the same time budget**: the data, seed, "
    "budget, training points and device you choose below take effect when you press it."
)
with st.expander("📖 New to the words here? NLL, bounds, precision, coverage, energy…"):
    st.markdown(compare.glossary_markdown())

c = st.columns([2, 3])
dataset = c[0].selectbox("Data", list(DATASETS), format_func=DATASETS.get, key=P + "data", persist_state="session")
families = c[1].multiselect("Families", list(NEURAL), default=list(NEURAL), format_func=DISPLAY_NAMES.get,
                            key=P + "families", max_selections=6, persist_state="session",
                            wrap=True)  # every chosen family in view (in columns the chips would scroll out of it)
c = st.columns([1.2, 1.2, 0.8, 1.2])  # number boxes wide enough for their +/- buttons at 1024 px (narrower: none)
seed, seed_ok = number_box(c[0], "Seed", 0, 1_000_000, 0, key=P + "seed", persist_state="session")
budget = int(c[1].slider("Time budget per family (s)", 5, int(jobs.MAX_SECONDS), 30, step=5, key=P + "budget",
                         persist_state="session"))
devices = compare.devices()
device = c[2].selectbox("Device", devices, key=P + "device", help="Only the devices on this server are offered.",
                        persist_state="session")
n_train, n_ok = number_box(c[3], "Training points", 500, 20_000, 10_000, step=500, key=P + "n",
                           disabled=data.is_image(dataset), persist_state="session")
refused = not (seed_ok and n_ok)  # Retrain would not train what the boxes show (a disabled box is ok)

# ---- training here ---------------------------------------------------------------------------------------
RUNS = P + "runs"  # (dataset, family) -> Job, this session's own trainings
st.session_state.setdefault(RUNS, {})
runs: dict = st.session_state[RUNS]
WATCHED = P + "watched"  # the trainings this tab saw running (its progress view follows them)
TRAINED = P + "trained"  # (dataset, family) -> the model trained here in use (a run you cancel leaves it)
st.session_state.setdefault(TRAINED, {})


def _show_trained(keys: list) -> None:
    for d, _ in keys:
        st.session_state[P + "show_" + d] = "trained here"  # a new model: show it (on its data)


jobs.ended(WATCHED, [job for (d, _), job in runs.items() if d == dataset])  # seen to their end: forgotten
_show_trained(jobs.keep(st.session_state[TRAINED], runs, lambda key: compare.has_checkpoints(key[0])))  # on any
# data: a model made while you looked at other data is shown when you come back
b = st.columns([2, 2, 4])  # wide enough for the buttons' labels at 1024 px
if b[0].button("🔁 Retrain", type="primary", key=P + "retrain", width="stretch", disabled=refused,
               help=out_of_range_help() if refused else None):
    X_train = compare.training_data(dataset, n_train, seed)
    for family in families:
        old = runs.get((dataset, family))
        if old is not None and not old.finished:
            old.cancel.set()
        runs[(dataset, family)] = jobs.start(
            f"{DISPLAY_NAMES[family]} on {dataset}",
            compare.training_work(family, X_train, budget, device, seed))
active = [job for (d, _), job in runs.items() if d == dataset and not job.finished]
if b[1].button("✋ Cancel", key=P + "cancel", disabled=not active, width="stretch",
               help=jobs.CANCEL_HELP):
    jobs.cancel(active)


def _progress_view() -> None:
    mine = [(f, job) for (d, f), job in runs.items() if d == dataset and f in families]
    for _, job in mine:
        jobs.show(job)
    unseen = [(d, f) for (d, f), job in runs.items() if not job.finished and (d != dataset or f not in families)]
    elsewhere = sorted({DATASETS[d] for d, _ in unseen if d != dataset})
    unchosen = [DISPLAY_NAMES[f] for d, f in unseen if d == dataset]
    if elsewhere:
        st.caption(f"Still training here on {in_words(elsewhere)}: choose that data to follow or cancel it.")
    if unchosen:
        it = "it" if len(unchosen) == 1 else "them"
        st.caption(f"Still training here: {in_words(unchosen)}, not among the families chosen; choose {it} again "
                   f"to follow or cancel {it}.")
    jobs.follow(WATCHED, [job for _, job in mine], runs, polling)  # one ended: redraw the panels with its new
    # model, while the others go on


polling = jobs.keep_watching(runs)  # trainings of every data shown here go on while you look at other data
st.fragment(_progress_view, run_every=1.0 if polling else None)()
jobs.offer(st.session_state[TRAINED], runs, [(dataset, f) for f in families], P + "take", _show_trained)
if not families:
    st.info("Choose at least one family.")
    st.stop()

# ---- which models ------------------------------------------------------------------------------------------
SHOW = P + "show_" + dataset  # "trained here" or "pretrained checkpoints", for this data
trained_here = {f for (d, f) in st.session_state[TRAINED] if d == dataset}
has_checkpoints = compare.has_checkpoints(dataset)
show = "trained here"
if trained_here and has_checkpoints:  # both kinds exist: neither replaces the other, you choose
    show = st.radio("Models shown", ["trained here", "pretrained checkpoints"], horizontal=True, key=SHOW,
                    help="The pretrained checkpoints stay one click away after a Retrain. A family not trained "
                         "here shows its checkpoint under either choice.")


def model_source(family: str) -> tuple[str, object]:
    """(origin, model) for a family: this session's latest trained model (unless the checkpoints are chosen), else
    the shipped checkpoint (None if none)."""
    if show == "trained here" and (dataset, family) in st.session_state[TRAINED]:
        return "trained here", st.session_state[TRAINED][(dataset, family)]
    return "checkpoint", cache.shipped_model(family, dataset)


# ---- the panels ------------------------------------------------------------------------------------------
st.header("Samples, densities and losses")
source = {}  # family -> (origin, model); a family whose checkpoint cannot be loaded gets its message in its panel
reference = None
with panel_guard("The data"):
    reference = compare.reference_data(dataset)
if reference is None:
    st.stop()
c = st.columns([1, 2])
with c[0], panel_guard("The data"):
    st.subheader("The data")
    compare.draw_data(dataset, reference)
with c[1]:
    st.subheader("How to read the panels")
    note(compare.reading_note(dataset, families))
per_row = int(st.radio("Panels per row", [2, 3], horizontal=True, key=P + "per_row", persist_state="session",
                       help="Three to a row fits more on a wide screen; two draws every picture half as large "
                            "again, readable in a laptop's window or on a projector."))
for start in range(0, len(families), per_row):
    cols = st.columns(per_row)
    for col, family in zip(cols, families[start:start + per_row]):
        with col, panel_guard(DISPLAY_NAMES[family]):
            st.subheader(DISPLAY_NAMES[family])
            origin, model = source[family] = model_source(family)
            st.caption(PLACE.get(family, "") + (f" · {origin}" if model is not None else ""))
            if model is None:
                job = runs.get((dataset, family))
                st.info("Training here now: its panel appears when it ends (progress above)." if job is not None
                        and not job.finished else
                        "No pretrained checkpoint for this data: press **Retrain** to train it here.")
                continue
            history = compare.history_of(model)
            if getattr(model, "history_", None) is not None and not model.history_.ok:
                st.error(model.history_.message + " The samples below come from the last good weights.")
            compare.draw_panels(model, dataset, reference, seed, family)  # a note while first computed
            st.plotly_chart(plots.loss_figure(history, "losses and D's mean outputs" if family == "gan" else
                                              "training loss"),
                            key=f"{P}loss_{family}", config={"displayModeBar": False})
            st.caption(compare.loss_caption(family, model, dataset))
            if compare.collapsed(family, history):
                st.warning(compare.COLLAPSE_NOTE)

# ---- the measurements ------------------------------------------------------------------------------------
st.header("The measurements")
with panel_guard("The measurements"), st.spinner("Measuring…"):
    rows = [compare.measure(model, f, dataset, origin=origin) for f, (origin, model) in source.items()
            if model is not None]
    if any(row is None for row in rows):
        st.info(compare.PENDING_NOTE)
    if not rows:
        st.info("Nothing to measure yet: no family has a model for this data. " + (
            "The trainings above fill this table as each one ends." if active else
            "Press **Retrain** to train them."))
    else:
        measured = [row for row in rows if row is not None]
        if measured:  # while every row is still being measured, the note above stands alone, not over an empty table
            yardstick = compare.yardstick_row(dataset)
            labels = compare.short_labels(yardstick)
            labels = compare.three_decimals(labels, [yardstick] + measured)
            labels["nearest_train_distance"] = st.column_config.NumberColumn("nearest", format="%.2f", width="small")
            st.dataframe([yardstick] + measured, hide_index=True, column_config=labels)
            st.caption(compare.measure_caption(dataset, families, yardstick))

background.fill_in_when_done()  # first-time work pending: look again every second, show it when done

st.header("Where each family sits")
st.graphviz_chart(plots.taxonomy_dot(tuple(families)))
note("Tractable families can compute p(x) exactly; approximate ones bound it or know it up to a constant; the GAN "
     "only knows how to sample. The coloured boxes are the families on this page.")
