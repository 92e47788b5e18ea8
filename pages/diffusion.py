"""Diffusion: noise the data forward in closed form, then step through the learned denoising from pure noise."""
import numpy as np
import streamlit as st

from gdl import plots
from gdl.chartimage import line_chart
from gdl.data import world
from gdl.mapimage import png_uri
from gdl.ui import background, jobs
from gdl.ui import diffusion as dui
from gdl.ui.widgets import (a_digit, guarded, natural_image, note, number_box, out_of_range_help, panel_guard,
                             through_app, within)

through_app()  # a deep link to a fresh server must still go through app.py

P = "dif_"  # this page's session-state prefix
LANE, WAIT = "diffusion", 0.5  # slow panels run in this background lane; a quick answer within WAIT s shows at once
PLAYER_LANE = "player"  # the reverse path: its own lane, at normal priority (gdl.ui.background.NICE)
RUNS = P + "runs"  # dataset -> Job: this session's trainings
WORLD_VIEW = (-180.0, -90.0, 180.0, 90.0)
TIME_HELP = (  # section 4's sampler times (gdl.ui.diffusion.timed)
    "The sampler's own computing time on this server's CPU (its thread's CPU time), so that other work "
    "on the server at the same moment does not count; on a GPU, or with torch on several threads, the "
    "time on the clock.")
st.session_state.setdefault(RUNS, {})
KEPT = P + "kept"  # dataset -> the model trained here in use (kept while a new run trains, and if you cancel it)
st.session_state.setdefault(KEPT, {})

st.title("🌫️ Diffusion: drown the data in noise, then learn to undo it")
st.markdown(
    "A diffusion model never learns p_data in one go. A fixed **forward process** adds a little Gaussian noise "
    "at each of T steps until nothing of the data is left but a standard Gaussian cloud. A network learns the "
    "**reverse**: given a noisy x_t and the step t, predict the noise ε that was added. Sampling starts from "
    "pure noise and removes the predicted noise one small step at a time (Ho, Jain & Abbeel, 2020). Here you "
    "can walk that road both ways, on points you can see (the world map) and on images."
)

c = st.columns([2, 3])
dataset = c[0].selectbox("Data", list(dui.DATASETS), format_func=dui.DATASETS.get, key=P + "data",
                         persist_state="session")
job = st.session_state[RUNS].get(dataset)
WATCHED = P + "watched"  # the trainings this tab saw running (its progress view follows them)


def _show_trained(datasets: list) -> None:
    for d in datasets:
        st.session_state[P + "source_" + d] = "trained here"  # a new model: show it (on its data)


jobs.ended(WATCHED, [job] if job is not None else [])  # seen to its end: forgotten
_show_trained(jobs.keep(st.session_state[KEPT], st.session_state[RUNS], lambda d: d in dui.SHIPPED))  # on any
# data: a model made while you looked at other data is shown when you come back
trained = st.session_state[KEPT].get(dataset)
sources = (["trained here"] if trained is not None else []) + (["pretrained"] if dataset in dui.SHIPPED else [])
if sources:
    source = c[1].radio("Model", sources, horizontal=True, key=P + "source_" + dataset,
                        help=("The pretrained checkpoint ships with the app; train your own in section 7."
                              if dataset in dui.SHIPPED else "Train your own in section 7."),
                        persist_state="session")
else:
    source = None
    c[1].info("No pretrained model for this data: sections 1-2 work as they are; train a model in section 7 "
              "to run the reverse process.")
model = trained if source == "trained here" else None
if source == "pretrained":
    with panel_guard("The pretrained model"):
        model = dui.shipped_model(dataset)
        if model is None:
            st.warning(f"The pretrained checkpoint for this data is missing on this server (assets/checkpoints/"
                       f"{dataset}-diffusion.pt): train a model in section 7, or rebuild it with the command in "
                       "assets/checkpoints/README.md.")
key = dui.model_key(model) if model is not None else ""
is_world = dataset == "world"
if model is not None:
    mc = model.config
    st.caption("The model: a residual MLP that predicts "
               + ("the clean x_0" if mc.prediction == "x0" else "the noise ε") + " from (x_t, t"
               + (", class" if mc.num_classes else "") + f"); {mc.schedule} schedule, T = {mc.timesteps} steps"
               + (f"; {mc.num_classes} classes with label dropout {mc.cond_drop_prob:g} (classifier-free guidance)"
                  if mc.num_classes else "")
               + (f". Made by `{model.checkpoint_meta_.get('command')}`" if hasattr(model, "checkpoint_meta_") else
                  ". Trained in this session") + ".")

# ---- 1. the schedule ------------------------------------------------------------------------------------------
st.header("1 · The noise schedule")
st.markdown(
    "Step t of the forward process keeps √(1 − β_t) of the signal and adds noise of variance β_t. Composing "
    "t steps gives a closed form: **x_t = √ᾱ_t · x_0 + √(1 − ᾱ_t) · ε** with ᾱ_t = Π (1 − β_s) and ε ~ N(0, I), "
    "so any x_t can be drawn in one jump from x_0. The schedule decides how fast the signal fades."
)
c = st.columns([1.2, 1.2, 1.6])  # T's box wide enough for its +/- buttons at 1024 px (narrower hides them)
kinds = ["linear", "cosine"]
default_kind = model.config.schedule if model is not None else "cosine"
default_T = model.config.timesteps if model is not None else 200
kind = c[0].radio("Schedule", kinds, index=kinds.index(default_kind), horizontal=True, key=P + "kind",
                  help="linear: Ho et al. (2020); cosine: Nichol & Dhariwal (2021).", persist_state="session")
T, T_ok = number_box(c[1], "Steps T", 50, 1000, default_T, step=50, key=P + "T",
                     help="The pretrained model uses the values it was trained with.", persist_state="session")
if model is not None and (kind, T) != (model.config.schedule, model.config.timesteps):
    c[2].caption(f"Sections 1 and 2 follow your choice; the model below was trained with the {model.config.schedule} "
                 f"schedule and T = {model.config.timesteps}, and samples with those.")
with panel_guard("The schedule"):
    arrays = dui.schedule_arrays(kind, T)
    cols = st.columns(3)
    charts = [  # drawn on the server (gdl.chartimage): no plotly.js for the page to load
        ("β_t, the noise added at step t (log scale)",
         line_chart(arrays["t"], {"beta": arrays["beta"]}, "step t", "beta_t", width=300, height=220, log_y=True),
         "**β_t** is the variance of the fresh noise added at step t: tiny at first, growing to the end."),
        ("ᾱ_t, the signal kept", line_chart(arrays["t"], {"alpha-bar": arrays["alpha_bar"]}, "step t",
                                            "alpha-bar_t", width=300, height=220),
         "**ᾱ_t** is how much of x_0's variance survives to step t: 1 at the start, near 0 at T."),
        ("SNR, signal over noise (log scale)",
         line_chart(arrays["t"], {"SNR": arrays["snr"]}, "step t", "SNR", width=300, height=220, log_y=True),
         "**SNR(t) = ᾱ_t / (1 − ᾱ_t)**: signal power over noise power. Below 1 the noise dominates."),
    ]
    for col, (title, chart, sentence) in zip(cols, charts):
        col.markdown(f"**{title}**")
        col.image(png_uri(chart), width="stretch", alt=title)
        col.markdown(sentence)
    half = int(np.argmax(arrays["snr"] < 1)) + 1 if (arrays["snr"] < 1).any() else T
    note(f"With the {kind} schedule the noise overtakes the signal (SNR < 1) at t = {half} of {T}. The linear "
         "schedule destroys the signal early and then wastes many steps on what is already almost pure noise; "
         "the cosine schedule lowers ᾱ_t gently, so more steps carry information the network can learn from.")

# ---- 2. the forward process -----------------------------------------------------------------------------------
st.header("2 · The forward process: from data to noise")
st.markdown("Move t and watch the closed form q(x_t | x_0) at work: every observation keeps √ᾱ_t of itself "
            "and gets √(1 − ᾱ_t) of one fixed noise draw.")


def _forward_view() -> None:
    within(P + "t", 0, T)
    t = int(st.slider("Step t", 0, T, min(T, max(1, T // 4)), key=P + "t",
                      help="t = 0 is the data; t = T is (almost) pure noise.", persist_state="session"))
    a = 1.0 if t == 0 else float(arrays["alpha_bar"][t - 1])
    row = st.container(horizontal=True)  # above the pictures, one row that wraps when narrow
    row.metric("Signal √ᾱ_t", f"{np.sqrt(a):.3f}", help="The share of x_0 kept in x_t.")
    row.metric("Noise √(1−ᾱ_t)", f"{np.sqrt(1 - a):.3f}", help="The scale of the noise in x_t.")
    row.metric("SNR", "∞" if t == 0 else f"{a / (1 - a):.3g}")
    if is_world:
        start = dui.forward_start("world", dui.FORWARD_N, 0)
        x = dui.forward_at(start, kind, T, t)
        view = dui.view_box(start["shift"], start["scale"])
        # the map the page's full width, its note under it (beside it, the map was 310 px wide at 1024 px)
        st.image(png_uri(dui.map_picture(view, x, ellipse=(start["shift"], start["scale"]),
                                         caption=f"{dui.FORWARD_N:,} land points noised to t = {t}")),
                 alt="forward map", width="stretch")
        note("At the first few t the continents are still sharp. By the time the SNR falls below 1 the "
             "coastlines are gone, and at t = T the points fill the dark ellipse (two standard deviations of "
             "the noise, which holds about 86% of them): a Gaussian that knows nothing of the land. That "
             "Gaussian, N(0, I) in the model's standardised units, is where sampling starts. The frame reaches "
             "past ±180° and ±90° to give the noise room: those coordinates are not places on Earth.")
    else:
        start = dui.forward_start(dataset, 64, 0)
        ts = np.unique(np.round(np.linspace(0, T, 9)).astype(int))
        rows = [dui.forward_at(start, kind, T, int(s))[:6] for s in ts]  # each (6, H, W)
        strip = np.stack(rows, axis=1).reshape(-1, *start["shape"])  # rows = images, columns = t
        scale = 5 if dataset == "digits" else 2
        natural_image(st, plots.image_grid(strip, columns=len(ts), scale=scale), alt="forward strip",
                      caption="The same six images (rows) at t = " + ", ".join(str(s) for s in ts) + " (columns).")
        natural_image(st, plots.image_grid(dui.forward_at(start, kind, T, t)[:16], columns=8, scale=scale),
                      alt="forward images", caption=f"16 images at your t = {t}")  # two rows: one ran past the
        # column at 1024 px
        note("Each row is one image sinking into noise. "
             + ("Strokes you can still read" if dataset == "digits" else "A tin's outline you can still make out")
             + " at a mid t " + ("are" if dataset == "digits" else "is") + " enough for the network to guess the "
             "clean image from; by t = T every image looks like every other: pixel noise.")


with panel_guard("The forward process"):
    st.fragment(guarded("The forward process")(_forward_view))()

# ---- 3. the reverse process, step by step -----------------------------------------------------------------
st.header("3 · The reverse process, one step at a time")
STEP, PLAYING = P + "step", P + "playing"
field_key = None  # the background's key for the player's arrows at every step (world only)
st.session_state.setdefault(PLAYING, False)
if model is None:
    st.info("Train a model in section 7 to see its reverse process.")
else:
    predicts_x0 = model.config.prediction == "x0"
    st.markdown(
        "Sampling starts from pure noise x_T ~ N(0, I). "
        + ("At each step the network guesses the clean data x̂_0 straight away (this model predicts x_0: a "
           "small network cannot output the per-pixel noise of a 32×32 image); the noise it implies is "
           "**ε̂ = (x_t − √ᾱ_t x̂_0) / √(1 − ᾱ_t)**" if predicts_x0 else
           "At each step the network predicts the noise ε̂ in x_t; from it follows a guess of the clean data, "
           "**x̂_0 = (x_t − √(1 − ᾱ_t) ε̂) / √ᾱ_t**")
        + ", and the sampler moves x_t a little towards x̂_0 (DDPM also adds a little fresh noise). The whole "
        "path is computed once; stepping through it only looks it up."
    )
    T_model = model.config.timesteps
    c = st.columns([1, 1, 1.2, 0.8] if is_world else [1, 0.8, 1.45, 0.9, 0.85])  # the world's toggle sits under the
    # row; the seed's box a little wider, to keep its +/- buttons at 1024 px
    method = c[0].radio("Sampler", ["ddpm", "ddim"], format_func=str.upper, horizontal=True, key=P + "method",
                        help="DDPM: all T stochastic steps. DDIM: a deterministic shortcut through fewer steps.",
                        persist_state="session")
    ddim_options = sorted({s for s in (5, 10, 20, 25, 50, 100, 200, 500) if s < T_model} | {T_model})
    if method == "ddim":
        steps = int(c[1].select_slider("DDIM steps", ddim_options, value=min(50, T_model), key=P + "ddim_steps",
                                       persist_state="session"))
    else:
        steps = T_model
        c[1].markdown(f"**{T_model} steps** (DDPM visits every t)")
    seed, _ = number_box(c[2], "Seed", 0, 1_000_000, 0, key=P + "seed", say_range=False, persist_state="session")
    label, guidance = None, 0.0
    # A row of its own for the world's toggle (a fifth column cut its label), there, empty, for the digits too: the
    # player below must stay the same number of elements down the page whatever the data, or its id changes with
    # the data, and a click on it while the page redraws for new data is lost (Streamlit names a fragment by its
    # place on the page).
    toggle_row = st.container()
    if is_world:
        n_chains = int(c[3].select_slider("Chains (points)", [100, 250, 500, 1000, 2000], value=500,
                                          key=P + "chains", persist_state="session"))
        toggle_row.toggle("Whole paths", key=P + "whole_paths",
                          help="Draw each highlighted chain's whole path from pure noise, not only its last steps.",
                          persist_state="session")
    else:
        n_chains = 32
        if model.config.num_classes:
            choice = c[3].selectbox("Class", ["any"] + list(range(model.config.num_classes)), key=P + "class",
                                    help="'any' samples unconditionally (the null label).", persist_state="session")
            label = None if choice == "any" else int(choice)
            guidance = float(c[4].slider("Guidance w", 0.0, 6.0, 2.0, 0.5, key=P + "guidance",
                                         disabled=label is None,
                                         help="Classifier-free guidance: 0 = plain p(x | y); larger = more typical.",
                                         persist_state="session"))
    with panel_guard("The reverse process"):
        traj = background.in_background(("trajectory", key, n_chains, seed, method, steps, label, guidance),
                                        dui.trajectory, model, key, n_chains, seed, method, steps, label, guidance,
                                        lane=PLAYER_LANE, wait=3.0)
        if traj is None:  # a server that just started: the first path is computed once for everyone
            st.info(background.PENDING)
        else:
            S = len(traj["timesteps"]) - 1
            view = dui.model_view_box(model) if is_world else None
            if is_world:  # the player's arrows for every step of this path, asked for at the end of the page
                path_ts = tuple(int(s) for s in traj["timesteps"][:-1])
                field_key = ("field", key, path_ts, view)
            default_stride = 1 if S <= 60 else 5  # the player's step size for this path, until you choose one
            traj_id = (key, n_chains, seed, method, steps, label, guidance)
            if st.session_state.get(P + "traj_for") != traj_id:  # a new path: start again from pure noise
                st.session_state[P + "traj_for"] = traj_id
                st.session_state[STEP] = 0
                st.session_state[PLAYING] = False
                if st.session_state.get(P + "stride", 1) > max(1, S // 10):  # too coarse for this path's S steps
                    st.session_state[P + "stride"] = default_stride  # (a pop would bring the kept value back)
            st.session_state[STEP] = min(int(st.session_state.get(STEP, 0)), S)
            st.caption(f"{S} steps for {n_chains} chains took {traj['seconds']:.2f} s of sampling (once; now cached).")

            def _move(delta: int) -> None:
                st.session_state[STEP] = int(np.clip(st.session_state[STEP] + delta, 0, S))

            def _jump(to: int) -> None:
                st.session_state[STEP] = to
                st.session_state[PLAYING] = False

            def _toggle_play() -> None:
                if not st.session_state[PLAYING] and st.session_state[STEP] >= S:
                    st.session_state[STEP] = 0  # play again from the start
                st.session_state[PLAYING] = not st.session_state[PLAYING]

            play_config = (st.session_state[PLAYING], st.session_state.get(P + "speed", 4))

            def _player() -> None:
                if (st.session_state[PLAYING], st.session_state.get(P + "speed", 4)) != play_config:
                    st.rerun()  # play, pause or a new speed: restart this view with the matching timer
                size = int(st.session_state.get(P + "stride", default_stride))  # the widget below shows the same
                if st.session_state[PLAYING]:
                    _move(size)
                    if st.session_state[STEP] >= S:
                        st.session_state[PLAYING] = False
                b = st.columns([1, 1, 1.6, 1, 1])  # the buttons, then the two sliders under them (at 1024 px
                # one row of seven cut the Play button's label)
                b[0].button("⏮", on_click=_jump, args=(0,), key=P + "first", help="Back to pure noise",
                            width="stretch")
                b[1].button("◀", on_click=_move, args=(-size,), key=P + "back", help="Step back",
                            width="stretch")
                b[2].button("⏸ Pause" if st.session_state[PLAYING] else "▶ Play", on_click=_toggle_play,
                            key=P + "play", width="stretch", type="primary")
                b[3].button("▶|", on_click=_move, args=(size,), key=P + "next", help="Step forward",
                            width="stretch")
                b[4].button("⏭", on_click=_jump, args=(S,), key=P + "last", help="Jump to the samples",
                            width="stretch")
                b = st.columns(2)
                b[0].select_slider("Step size", [1, 2, 5, 10, 20, 50], value=default_stride, key=P + "stride",
                                   help="Sampler steps per click or per frame of play.", persist_state="session")
                b[1].select_slider("Speed (frames/s)", [1, 2, 4, 8], value=4, key=P + "speed", persist_state="session")
                i = int(st.session_state[STEP])
                t = int(traj["timesteps"][i])
                st.slider("Step of the path (drag to jump)", 0, S, key=STEP, persist_state="session")
                st.markdown(f"**step {i} of {S}** · t = {t} · √ᾱ_t = {np.sqrt(traj['alpha_bar'][i]):.3f}"
                            + (" · pure noise" if i == 0 else " · the samples" if i == S else ""))
                x_now = traj["x"][i]
                x0 = traj["x0_pred"][i] if i < S else x_now
                left, right = st.columns(2)
                if is_world:
                    k = len(dui.PATH_COLORS)
                    trail = i if st.session_state.get(P + "whole_paths") else min(i, max(8, S // 10))
                    paths = traj["x"][i - trail: i + 1, :k].transpose(1, 0, 2)  # (k, trail+1, 2)
                    field = None
                    if i < S:  # the arrows: from the whole path's field once the background has it, else this step's
                        whole = background.ready(field_key, lane=LANE)
                        field = (whole[0], whole[1][i]) if whole is not None else dui.noise_arrows(model, key, t, view)
                    on_land, x0_land = float(np.mean(world.is_land(x_now))), float(np.mean(world.is_land(x0)))
                    on_edge = float(np.mean(np.any(np.isclose(x0, x0.min(axis=0)) | np.isclose(x0, x0.max(axis=0)),
                                                   axis=1)))  # guesses clipped to the data's box
                    left.image(png_uri(dui.map_picture(view, x_now, arrows=field, paths=paths,
                                                             caption=f"x_t at t = {t}")),
                               alt="x_t map", width="stretch",
                               caption=f"Blue: all {n_chains:,} chains at step {i} ({on_land:.0%} on land). Coloured: "
                                       f"{k} highlighted chains and their " + ("paths so far." if trail == i else
                                                                               f"last {trail} steps.")
                                       + (" Grey arrows: −ε̂, the way the next step pushes a point there." if i < S
                                          else ""))
                    right.image(png_uri(dui.map_picture(view, x0, color=plots.MODEL_COLOR, highlight=x0[:k],
                                                              caption="predicted x_0 at this step")),
                                alt="x0 map", width="stretch",
                                caption=f"Orange: x̂_0, the model's guess of the clean point behind each chain if "
                                        "all the predicted noise were removed in one jump (" + (
                                            f"{on_edge:.0%} of them clipped to the edges of the data's box, whose "
                                            f"bottom edge is Antarctica: {x0_land:.0%} on land" if on_edge > 0.2
                                            else f"{x0_land:.0%} on land") + "). "
                                        "The big dots are the highlighted chains' guesses.")
                else:
                    scale = 6 if dataset == "digits" else 2
                    left.image(plots.image_grid(x_now, columns=8, scale=scale), caption=f"x_t at t = {t}",
                               alt="x_t images", width="stretch")
                    right.image(plots.image_grid(x0, columns=8, scale=scale), alt="x0 images", width="stretch",
                                caption="x̂_0: the clean images the model predicts from this step")

            st.fragment(guarded("The reverse process")(_player),
                        run_every=(1.0 / play_config[1]) if play_config[0] else None)()
            if is_world:
                note("In the first few steps √ᾱ_t is almost 0, so x̂_0 divides by almost nothing and the guesses fly "
                     "to the edges of the allowed box (the sampler clips x̂_0 to the data's range). Soon after, "
                     "they collapse into one blob in the middle of the world: from so much noise the best guess is "
                     "an average over all the land. As t falls the blob spreads and splits into continents, and x_t "
                     "follows behind, reaching the land only near the end. The arrows first pull everything inwards, "
                     "then point to the nearest coast. Follow a coloured chain: DDPM's path leaps across the map at "
                     "first and jitters to the end, because each step adds fresh noise; DDIM's glides.")
            else:
                note(("At the first steps x̂_0 is already image-like (the network outputs it directly), but "
                      "blurred, with ghosts of several shapes; as the noise fades each chain commits to one shape, "
                      "and the late steps only sharpen edges. "
                      if predicts_x0 else
                      "At the first steps x̂_0 is the noise itself, blown up and clipped to black and white: it "
                      "divides by √ᾱ_t, almost 0. Within some tens of steps the guesses calm down into much the "
                      "same blurred average image; then each commits to a shape, and the late steps only sharpen "
                      "strokes. ")
                     + "x_t lags behind x̂_0: it is x̂_0 plus the noise that is still left."
                     + (" With a class chosen, guidance pushes every chain towards that digit."
                        if label is not None else ""))
            frames_for = dict(traj=traj, view=view)
            row = st.container(horizontal=True)  # side by side; one under the other when narrow (two
            # columns cut the labels short at 800 px)
            row.download_button("⬇️ The denoising as an animated GIF", lambda: dui.gif_bytes(
                dui.denoising_frames(**frames_for)), file_name=f"diffusion-{dataset}-{method}-{steps}.gif",
                mime="image/gif", key=P + "gif", on_click="ignore", width="stretch")
            row.download_button("⬇️ The denoising as a PNG strip", lambda: dui.strip_bytes(
                dui.denoising_frames(**frames_for)), file_name=f"diffusion-{dataset}-{method}-{steps}.png",
                mime="image/png", key=P + "strip", on_click="ignore", width="stretch")

# ---- 4. DDPM against DDIM -----------------------------------------------------------------------------------
st.header("4 · DDPM against DDIM")
if model is None:
    st.info("Train a model in section 7 to race the two samplers.")
else:
    st.markdown(
        "The same network, the same seed, two samplers. **DDPM** (ancestral sampling) walks all T steps, adding "
        "fresh noise at each, and takes a few Langevin corrector steps at the lowest noise levels. **DDIM** (Song "
        "et al., 2021) reads the same network as a deterministic ODE and jumps through a sub-sequence of the "
        "steps: x_prev = √ᾱ_prev x̂_0 + √(1 − ᾱ_prev) ε̂."
    )
    T_model = model.config.timesteps
    c = st.columns(3)
    race_steps = int(c[0].select_slider("DDIM steps", [s for s in (5, 10, 20, 50, 100) if s < T_model] + [T_model],
                                        value=min(20, T_model), key=P + "race_steps", persist_state="session"))
    race_seed, _ = number_box(c[1], "Seed for both", 0, 1_000_000, 7, key=P + "race_seed", say_range=False,
                              persist_state="session")
    n_race = 500 if is_world else 32
    with panel_guard("DDPM against DDIM"):
        raced = background.in_background(("race", key, dataset, n_race, race_seed, race_steps), dui.race, model,
                                         key, dataset, n_race, race_seed, race_steps, lane=LANE, wait=WAIT)
        if raced is None:
            st.info(background.PENDING)
        else:
            cols = st.columns(2)
            for col, (name, r) in zip(cols, raced.items()):
                col.markdown(f"**{name}**, {r['steps']} steps")  # two metrics a row: three were cut at 1024 px
                m = col.columns(2)
                m[0].metric("time", f"{r['seconds']:.2f} s", help=TIME_HELP)
                if is_world:
                    m[1].metric("on land", f"{r['on_land']:.1%}")
                    col.image(png_uri(dui.map_picture(WORLD_VIEW, r["samples"], color=plots.FAMILY_COLORS["diffusion"],
                                                      caption=f"{n_race:,} {name} samples")),
                              alt=f"{name} samples", width="stretch")
                else:
                    if "confidence" in r:
                        m[1].metric("confidence", f"{r['confidence']:.2f}",
                                    help="How sure a classifier trained on real digits is, on average, of the digit "
                                         "each sample shows (0.1 = a guess among ten, 1 = certain). Section 6 has "
                                         "more.")
                    col.image(plots.image_grid(r["samples"], columns=8, scale=6 if dataset == "digits" else 2),
                              alt=f"{name} samples",
                              caption=f"{n_race} {name} samples", width="stretch")
            own_clock = raced["DDPM"]["cpu_time"]
            speedup = raced["DDPM"]["seconds"] / max(raced["DDIM"]["seconds"], 1e-9)
            ddpm_calls, ddim_calls = model.network_calls("ddpm"), model.network_calls("ddim", race_steps)
            fewer = ddpm_calls / ddim_calls
            calls = (f"DDIM made its samples with {ddim_calls:,} network calls against DDPM's {ddpm_calls:,} "
                     f"({fewer:.3g}× fewer), and " + (f"took {speedup:.1f}× less computing time" if own_clock else
                                                      f"ran {speedup:.1f}× faster here")
                     + (" (the calls explain the speed-up; the rest is what else this server was doing while each "
                        "ran)" if not own_clock and not 0.5 <= speedup / fewer <= 1.5 else "")
                     + f". {dui.race_verdict(raced)}" if race_steps < T_model else
                     f"With as many steps as DDPM, DDIM makes {ddim_calls:,} network calls against DDPM's "
                     f"{ddpm_calls:,} (its corrector steps): choose fewer steps to race it.")
            note(f"{calls} DDIM with η = 0 is deterministic: the starting noise x_T alone decides the sample. A "
                 "DDPM sample also depends on the fresh noise drawn at every step (seeded here too, so the same "
                 "seed repeats it).")

# ---- 5. conditional digits -------------------------------------------------------------------------------------
chosen_digit = st.session_state.get(P + "digit", 7)  # the class chosen below (the heading names it)
chosen_digit = 7 if chosen_digit is None else chosen_digit
st.header(f"5 · Draw me {a_digit(chosen_digit)}: class-conditional digits with guidance")
digits_model = trained if dataset == "digits" and source == "trained here" else None
if digits_model is None:
    with panel_guard("The pretrained digits model"):
        digits_model = dui.shipped_model("digits")
if digits_model is None or not digits_model.config.num_classes:
    st.info("The digits model is not class-conditional here; the pretrained one is.")
else:
    st.markdown(
        "The digits model also sees the class y, and in training the label was hidden (replaced by a *null* "
        f"class) {digits_model.config.cond_drop_prob:.0%} of the time, so the same network predicts both "
        "ε(x_t, y) and ε(x_t). **Classifier-free "
        "guidance** (Ho & Salimans, 2021) steps along ε̃ = (1 + w) ε(x_t, y) − w ε(x_t): w = 0 is plain p(x | y); "
        f"a larger w exaggerates what makes {a_digit(chosen_digit)} {a_digit(chosen_digit)}, trading variety for "
        "clarity."
    )
    dkey = dui.model_key(digits_model)
    digit = int(st.segmented_control("Class", list(range(10)), default=7, required=True, key=P + "digit",
                                     persist_state="session"))  # a row of its own: ten buttons need the width
    c = st.columns([2, 1])
    w = float(c[0].slider("Guidance strength w", 0.0, 6.0, 2.0, 0.5, key=P + "w", persist_state="session"))
    dseed, _ = number_box(c[1], "Seed", 0, 1_000_000, 3, key=P + "dseed", say_range=False, persist_state="session")
    with panel_guard("Conditional digits"):
        drawn = background.in_background(("digits", dkey, digit, w, dseed), dui.conditional_digits, digits_model,
                                         dkey, digit, w, dseed, lane=LANE, wait=WAIT)
        if drawn is None:
            st.info(background.PENDING)
        else:
            dtraj = drawn["traj"]
            cols_t = np.unique(np.round(np.linspace(0, len(dtraj["timesteps"]) - 1, 10)).astype(int))
            xt_strip = dtraj["x"][cols_t]  # (10, 8, H, W): the sampler's x_t
            x0_strip = dtraj["x0_pred"][np.minimum(cols_t, len(dtraj["x0_pred"]) - 1)]  # the predicted x_0
            x0_strip[-1] = dtraj["x"][-1]
            left, right = st.columns(2)
            for col, strip, what in ((left, xt_strip, "x_t, what the sampler holds"),
                                     (right, x0_strip, "x̂_0, what the network predicts")):
                col.image(plots.image_grid(strip.transpose(1, 0, 2, 3).reshape(-1, *strip.shape[2:]),
                                           columns=len(cols_t), scale=5), width="stretch", alt=what,
                          caption=f"{what}: eight chains (rows) from pure noise (left) to the sample (right), "
                                  f"t = {', '.join(str(dtraj['timesteps'][i]) for i in cols_t)}")
            m = st.columns(2)
            m[0].metric(f"Read as {a_digit(digit)} by the classifier", f"{drawn['agreement']:.0%}")
            st.markdown("**The same seed at four guidance strengths** (DDIM, 50 steps):")
            for col, (g, samples, agreement) in zip(st.columns(4), drawn["strengths"]):
                col.image(plots.image_grid(samples, columns=4, scale=5), width="stretch", alt=f"w = {g:g} samples",
                          caption=f"w = {g:g}: {agreement:.0%} read as {digit}")
            note(f"Watch the {digit} appear. In x_t (left) it surfaces from the noise only in the second half; x̂_0 "
                 "(right) shows that the network settled the shape within the first few steps (its very first "
                 "guess, from pure noise, is clipped to black and white), and the later steps only clean the "
                 "strokes. " + dui.guidance_verdict(digit, drawn["strengths"]))

# ---- 6. how good are the samples -----------------------------------------------------------------------------
st.header("6 · How good are the samples?")
if model is None:
    st.info("Train a model in section 7 to measure it.")
elif is_world:
    with panel_guard("The measurements"):
        q = background.in_background(("world_quality", key), dui.world_quality, model, key, lane=LANE, wait=WAIT)
        m = st.columns(2) + st.columns(2)  # two to a row: four cut their labels and values at 1024 px
        if q is None:
            st.info(background.PENDING)
        else:
            m[0].metric("Samples on land", f"{q['land']:.1%}", help=f"{dui.QUALITY_N:,} DDPM samples, seed 1.")
            m[1].metric("DDIM (50 steps) on land", f"{q['land_ddim']:.1%}",
                        help=f"{dui.QUALITY_N:,} DDIM samples, seed 1.")
        m[3].metric("Entropy floor log A", f"{world.entropy():.3f} nats",
                    help=f"A is the land's area in the map's own units, {world.area():,.0f} square degrees of "
                         "longitude × latitude: p_data is uniform over the land, so its density is 1/A there and "
                         "its entropy is log A. No model can have a lower expected held-out NLL (nats per point, "
                         "with densities per square degree). The World map page starts from this.")
        bound = None
        if st.session_state.get(P + "nll_for") == key:
            bound = background.in_background(("world_nll", key), dui.world_nll_bound, model, key, lane=LANE,
                                             wait=WAIT)
            if bound is None:
                m[2].info(f"⏳ Evaluating the bound: {model.config.timesteps} network calls per point. It "
                          f"{background.PENDING_MARK}.")
            else:
                nll = bound["fitted"] if bound["fitted"] is not None else bound["fixed"]
                m[2].metric("Held-out NLL bound", f"≤ {nll:.3f} nats", delta=f"{nll - world.entropy():+.3f} vs the "
                            "floor", delta_color="inverse")
        elif m[2].button("Compute the NLL bound", key=P + "nll",
                         help=f"The ELBO costs T = {model.config.timesteps} network calls per held-out point "
                              f"({dui.HELD_OUT_N:,} points)" + (", twice: with fitted and with fixed step variances."
                                                               if model.has_bound_variances else ".")):
            st.session_state[P + "nll_for"] = key
            st.rerun()
        if bound is not None and bound["fitted"] is not None:
            gain = bound["fixed"] - bound["fitted"]
            st.caption(f"The bound is that of the reverse chain the sampler walks: each step a Gaussian around the "
                       f"sampler's mean, whose variance is a choice. DDPM's fixed β̃_t (the spread of x_(t−1) when "
                       f"x_0 is known, which the sampler uses) gives ≤\u00a0{bound['fixed']:.3f} nats. Variances "
                       f"fitted after training to what the mean misses on the training points (Analytic-DPM, Bao "
                       f"et al., 2022) give ≤\u00a0{bound['fitted']:.3f}, {abs(gain):.2f} nats "
                       f"{'tighter' if gain >= 0 else 'looser'}. Each is a valid bound for the chain with those "
                       "variances; the metric above shows the fitted one.")
        if q is not None:
            st.caption(dui.chance_note(q["land"]))
        note(("" if q is None else dui.land_verdict(q["land"], q["land_ddim"]) + " ") + "A diffusion model has no "
             "exact likelihood; its evidence lower bound (the ELBO, summed over all T steps) gives an upper bound "
             "on the held-out NLL, which sits above the floor log A: the bound has slack in every step, and a "
             "smooth network cannot draw a coastline as sharp as the land mask.")
elif dataset == "digits":
    with panel_guard("The measurements"):
        q = background.in_background(("digit_quality", key), dui.digit_quality, model, key, lane=LANE, wait=WAIT)
        if q is None:
            st.info(background.PENDING)
        else:
            rows = [{"": "real digits the classifier never saw", **q["real"]},
                    {"": "diffusion samples (DDPM, unconditional)", **q["model"]}]
            st.dataframe(rows, hide_index=True, column_config={
                "confidence": st.column_config.NumberColumn(format="%.3f"),
                "evenness": st.column_config.NumberColumn(format="%.3f"),
                "nearest_train_distance": st.column_config.NumberColumn("nearest train", format="%.2f")})
            st.caption("The benchmark's scores (`python -m gdl bench --data digits`) from a classifier trained on "
                       f"real digits (test accuracy {q['accuracy']:.1%}): confidence = how sure it is about each sample; "
                       "evenness = 1 when all ten digits appear equally; nearest train = mean distance to the "
                       "closest of the classifier's 1,500 digits (all of them in the model's training set too), a "
                       "Euclidean distance over the 64 pixel values, each 0 to 1. Near 0 would mean the model "
                       "copies its training images; the real row's other 297 digits show how far apart two "
                       "different real digits lie.")
            real, own = q["real"], q["model"]
            close = own["confidence"] >= real["confidence"] - 0.05
            note(f"The samples' confidence is {own['confidence']:.2f} against {real['confidence']:.2f} for real digits "
                 "the classifier never saw: " + ("they read as digits about as clearly. " if close else
                                                 "lower, so some samples are wobbly or between two digits. ")
                 + f"Evenness {own['evenness']:.2f} (real: {real['evenness']:.2f}) says how evenly the ten digits "
                 f"appear. The nearest training image lies {own['nearest_train_distance']:.2f} away on average, "
                 f"against {real['nearest_train_distance']:.2f} for a real digit and its nearest other digit: "
                 + ("about as far, so these are new images, not copies."
                    if own["nearest_train_distance"] <= 1.2 * real["nearest_train_distance"] else
                    "further; new images, not copies, but some lie away from every real digit."))
else:
    st.info("There is no sample score for this data yet: judge the samples by eye.")

# ---- 7. train here -------------------------------------------------------------------------------------------
st.header("7 · Train your own")
st.markdown(f"Train a fresh diffusion model on the data chosen at the top (**{dui.DATASETS[dataset]}**), with "
            "the schedule and T "
            "of section 1" + (", class-conditional with label dropout" if dataset == "digits" else "")
            + ". It runs in the background; this page keeps working, and the result appears as "
              "*trained here* at the top.")
c = st.columns([1.2, 1, 1.2, 0.9])  # the seed's box wide enough for its +/- buttons at 1024 px
budget = int(c[0].slider("Time budget (s)", 10, int(jobs.MAX_SECONDS), 60, step=10, key=P + "budget",
                         persist_state="session"))
from gdl.ui.compare import devices  # noqa: E402  (shared device list)

device = c[1].selectbox("Device", devices(), key=P + "device", persist_state="session")
train_seed, train_seed_ok = number_box(c[2], "Training seed", 0, 1_000_000, 0, key=P + "train_seed", say_range=False,
                                       persist_state="session")
c[3].markdown(f"Schedule **{kind}**, T = **{T}**")
running = job is not None and not job.finished
b = st.columns([2, 2, 4])  # wide enough for the buttons' labels at 1024 px
refused = not (T_ok and train_seed_ok)  # Train would not train with what the boxes show
if b[0].button("🏋️ Train", type="primary", key=P + "train", disabled=running or refused, width="stretch",
                help=out_of_range_help("T (section 1) or the training seed") if refused else
                "The new model replaces the one trained here when its budget is spent; until then the page keeps the "
                "model it has."):
    st.session_state[RUNS][dataset] = jobs.start(f"Diffusion on {dataset}",
                                                 dui.training_work(dataset, kind, T, budget, device, train_seed))
    st.rerun()
if b[1].button("✋ Cancel", key=P + "cancel", disabled=not running, width="stretch",
                help=jobs.CANCEL_HELP):
    jobs.cancel([job])


def _progress_view() -> None:
    current = st.session_state[RUNS].get(dataset)
    shown = [current] if current is not None else []
    jobs.follow(WATCHED, shown, st.session_state[RUNS], polling)  # its end (or the last run's) redraws the page
    if current is None:
        return
    jobs.show(current)
    diverged = getattr(current.result, "history_", None) is not None and not current.result.history_.ok
    if current.status == "done" and diverged:  # the NaN guard stopped it: say so, not "success"
        st.error(f"{current.label}: {current.message} The model keeps its last good weights (*trained here*).")
    elif current.status == "done":
        st.success(f"{current.label}: {current.message} It is *trained here* at the top.")


polling = jobs.keep_watching(st.session_state[RUNS])  # every training this tab started, whatever data it shows now
st.fragment(_progress_view, run_every=1.0 if polling else None)()
jobs.offer(st.session_state[KEPT], st.session_state[RUNS], [dataset], P + "take", _show_trained)

if field_key is not None:  # after the panels' own work: the arrows for every step of the path
    background.in_background(field_key, dui.noise_field, model, key, path_ts, view, lane=LANE, prefetch=True)
background.fill_in_when_done()  # panels that showed ⏳ fill in by themselves
