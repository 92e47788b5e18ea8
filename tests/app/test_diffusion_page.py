"""AppTest: the Diffusion page opens from the shipped checkpoints, the forward t slider moves the points, and
stepping through the reverse process moves the step counter and the figures."""
import pytest
import torch
from streamlit.testing.v1 import AppTest

from tests.app.conftest import open_page, settled

torch.set_num_threads(1)  # AppTest runs the page in this process; one thread is faster on a shared machine
SMALL = {"dif_chains": 100, "dif_race_steps": 10}  # keep the sampling light: the page's own defaults are larger


def _open(**state) -> AppTest:
    at = open_page("pages/diffusion.py", timeout=600, **{**SMALL, **state})  # waits for the background panels
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module")
def world():
    return _open()


def _counter(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**step "))


def _picture(at, alt: str) -> str:
    """The URL of the picture with this alt text (a new picture gets a new URL)."""
    for element in at.get("image"):
        for img in element.proto.imgs:
            if img.alt == alt:
                return img.url
    raise AssertionError(f"no picture {alt!r}")


def test_the_page_opens_on_the_world_from_pure_noise(world):
    assert _counter(world).startswith("**step 0 of ")
    assert "pure noise" in _counter(world)
    metrics = {m.label: m.value for m in world.metric}
    texts = [m.value for m in world.markdown]
    assert f"**DDPM**, {world.session_state['dif_T']} steps" in texts and "**DDIM**, 10 steps" in texts
    assert metrics["Samples on land"].endswith("%")
    share = metrics["Samples on land"]  # e.g. "96.8%": the caption under it gives its spread from chance
    chance = f"Chance alone moves a share of {share} from 1,000 samples by about ±"
    assert any(chance in c.value for c in world.caption)
    race = next(i.value for i in world.info if "network calls against" in i.value)
    # the shipped model: T = 200 steps and 5 x 4 corrector steps against 10 DDIM steps, each timed by its thread's
    # CPU time (this process runs torch on one thread, as the app does)
    assert "DDIM made its samples with 10 network calls against DDPM's 220 (22× fewer), and took " in race
    assert "less computing time" in race and "faster here" not in race


def test_the_very_first_click_moves_by_the_step_size_the_widget_shows(world):
    fresh = _open()  # a new visit (the world fixture has filled the caches, so its first run shows the player)
    fresh.button(key="dif_next").click().run()
    stride = int(fresh.session_state["dif_stride"])
    assert stride > 1 and _counter(fresh).startswith(f"**step {stride} of ")


def test_moving_the_t_slider_changes_the_forward_map(world):
    before = _picture(world, "forward map")
    world.slider(key="dif_t").set_value(int(world.session_state["dif_T"])).run()
    assert not world.exception
    assert _picture(world, "forward map") != before
    assert float(next(m.value for m in world.metric if m.label.startswith("Signal"))) < 0.01


def test_t_follows_t_max_down_when_the_steps_t_shrink_below_it(world):
    default = int(world.session_state["dif_T"])
    world.number_input(key="dif_T").set_value(1000).run()
    world.slider(key="dif_t").set_value(900).run()
    world.number_input(key="dif_T").set_value(100).run()  # t = 900 is kept across pages, but cannot exceed T
    assert not world.exception, world.exception
    assert world.slider(key="dif_t").value == 100
    # each change of range gives the slider a new identity: the value carried over is the latest, not the first
    world.number_input(key="dif_T").set_value(1000).run()
    world.slider(key="dif_t").set_value(900).run()
    world.number_input(key="dif_T").set_value(950).run()
    world.slider(key="dif_t").set_value(30).run()
    world.number_input(key="dif_T").set_value(500).run()
    assert not world.exception and not world.error
    assert world.slider(key="dif_t").value == 30
    world.number_input(key="dif_T").set_value(default).run()


def test_stepping_changes_the_step_counter_and_the_maps(world):
    world.button(key="dif_first").click().run()
    before_xt, before_x0 = _picture(world, "x_t map"), _picture(world, "x0 map")
    start = _counter(world)
    world.button(key="dif_next").click().run()
    assert not world.exception
    stride = int(world.session_state["dif_stride"])
    assert _counter(world).startswith(f"**step {stride} of ") and _counter(world) != start
    assert _picture(world, "x_t map") != before_xt
    assert _picture(world, "x0 map") != before_x0
    world.button(key="dif_back").click().run()
    assert _counter(world) == start
    world.button(key="dif_last").click().run()
    assert "the samples" in _counter(world)


def test_play_advances_by_the_step_size_and_then_offers_pause(world):
    world.button(key="dif_first").click().run()
    world.select_slider(key="dif_stride").set_value(10).run()
    world.button(key="dif_play").click().run()
    assert not world.exception
    assert world.button(key="dif_play").label.startswith("⏸")
    assert _counter(world).startswith("**step 10 of ")  # the first frame: one step of the chosen size
    world.run()  # the next frame (a browser's timer reruns the player)
    assert _counter(world).startswith("**step 20 of ")
    world.button(key="dif_play").click().run()
    assert world.button(key="dif_play").label.startswith("▶")


def test_a_ddim_path_has_as_many_steps_as_asked(world):
    world.select_slider(key="dif_stride").set_value(5).run()  # fine for DDPM's 200 steps
    world.radio(key="dif_method").set_value("ddim").run()
    world.select_slider(key="dif_ddim_steps").set_value(10).run()
    assert not world.exception
    assert _counter(world).startswith("**step 0 of 10**")
    assert world.select_slider(key="dif_stride").value == 1  # 5 would play a 10-step path in 3 frames


def test_the_nll_bound_on_request_with_fitted_variances_tighter_than_the_fixed_ones(world):
    import re

    world.button(key="dif_nll").click().run()
    settled(world)
    assert not world.exception
    shown = next(m for m in world.metric if m.label == "Held-out NLL bound")
    caption = next(c.value for c in world.caption if "Analytic-DPM" in c.value)
    fixed, fitted = (float(v) for v in re.findall(r"≤\s(\d+\.\d+)", caption))
    assert shown.value == f"≤ {fitted:.3f} nats"
    assert fitted < fixed


def test_digits_noise_forward_step_backward_and_draw_a_chosen_class():
    at = _open(dif_data="digits")
    images = [img.value for img in at.get("image")]
    at.slider(key="dif_t").set_value(0).run()
    assert [img.value for img in at.get("image")] != images  # the grid at t changed
    before = _picture(at, "x_t images")
    at.button(key="dif_next").click().run()
    assert not at.exception
    assert not _counter(at).startswith("**step 0 of ")
    assert _picture(at, "x_t images") != before
    labels = [m.label for m in at.metric]
    assert "Read as a 7 by the classifier" in labels
    table = at.dataframe[0].value  # section 6: the benchmark's digit scores, the real digits beside the samples
    assert list(table[""]) == ["real digits the classifier never saw", "diffusion samples (DDPM, unconditional)"]
    assert table["confidence"].between(0, 1).all() and table["evenness"].between(0, 1).all()
    assert (table["nearest_train_distance"] > 0).all()  # new images, not copies of the training digits
    at.selectbox(key="dif_class").set_value(3).run()
    assert not at.exception
    assert _counter(at).startswith("**step 0 of ")  # a new class is a new path: back to pure noise

    digit = next(b for b in at.get("button_group") if b.key == "dif_digit")
    settled(digit.set_value(4).run())  # a new digit's images are drawn in the background: wait for them
    assert "Read as a 4 by the classifier" in [m.label for m in at.metric]
    assert "5 · Draw me a 4: class-conditional digits with guidance" in [h.value for h in at.header]
    assert digit.proto.required  # the browser never lets a click on the chosen digit leave none chosen


def _place_of(at, key: str) -> int:
    """How many elements down the page (the main column's top level) the widget `key` sits."""
    def holds(node) -> bool:
        return getattr(node, "key", None) == key or any(holds(c) for c in getattr(node, "children", {}).values())

    return next(i for i, node in at.main.children.items() if holds(node))


def test_the_player_sits_at_the_same_place_on_the_page_whatever_the_data(world):
    """Streamlit names a fragment by its place on the page: were the player lower for one data than for the other,
    a click on it while the page redraws for new data would name a player that no longer exists and be lost."""
    on_world = _place_of(world, "dif_next")
    digits = _open(dif_data="digits")
    assert _place_of(digits, "dif_next") == on_world


def test_a_watched_training_that_fails_is_reported_once_and_leaves_the_model_choice_alone():
    """The page redraws itself once when a training it saw running ends. A failed run has no model: the redraw
    must neither offer *trained here* nor repeat (a rerun that reran on every poll would spin the server)."""
    from gdl.ui.jobs import Job

    job = Job("Diffusion on world", status="running", step=5)
    at = _open(dif_runs={"world": job})
    assert at.session_state["dif_watched"] == [job]  # the progress view saw it running
    job.status, job.message = "failed", "Training failed: out of memory"
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["dif_watched"] == []  # seen to its end, once
    assert at.radio(key="dif_source_world").options == ["pretrained"]  # no model came of it
    assert any("out of memory" in e.value for e in at.error)
    runs = at.run()  # a further poll changes nothing and does not loop
    assert not runs.exception and runs.session_state["dif_watched"] == []


def test_a_second_training_keeps_the_first_model_in_use_while_it_runs():
    import time

    from tests.app.conftest import settled

    at = _open(dif_budget=10)
    at.button(key="dif_train").click().run()
    deadline = time.time() + 120
    while time.time() < deadline and "trained here" not in (at.radio(key="dif_source_world").options or []):
        time.sleep(1)
        settled(at.run())
    assert not at.exception, at.exception
    assert at.radio(key="dif_source_world").value == "trained here"  # the page shows the new model by itself
    assert any(c.value.startswith("The model: a residual MLP that predicts the noise ε") for c in at.caption)
    first = at.session_state["dif_kept"]["world"]
    # a budget the Cancel below surely falls within, on a loaded machine too (with 10 s the run could end first)
    at.slider(key="dif_budget").set_value(60).run()
    at.button(key="dif_train").click().run()  # a new training starts
    assert at.button(key="dif_cancel").disabled is False  # it is running
    assert at.radio(key="dif_source_world").value == "trained here"  # and the first model is still the one in use
    assert not any("Train a model in section 7" in i.value for i in at.info)
    second = at.session_state["dif_runs"]["world"]
    deadline = time.time() + 60
    while time.time() < deadline and second.step < 5:  # it has learned something before the Cancel
        time.sleep(0.5)
        at.run()
    assert second.step >= 5 and second.status == "running"
    at.button(key="dif_cancel").click().run()
    assert not at.exception, at.exception
    deadline = time.time() + 60  # let the cancelled training end
    while time.time() < deadline and at.button(key="dif_train").disabled:
        time.sleep(1)
        at.run()
    assert not at.button(key="dif_train").disabled and second.status == "cancelled"
    assert at.radio(key="dif_source_world").value == "trained here"  # Cancel kept the first model
    assert at.session_state["dif_kept"]["world"] is first
    at.button(key="dif_take").click().run()  # what the cancelled run learned, one click away
    assert not at.exception, at.exception
    assert at.session_state["dif_kept"]["world"] is second.result is not first
    assert at.radio(key="dif_source_world").value == "trained here"
    assert not [b for b in at.button if b.key == "dif_take"]  # taken: no longer offered
    settled(at)  # and the page's background work for the new model, which also runs in this process
