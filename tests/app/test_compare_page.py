"""AppTest: the Compare page opens from checkpoints, and Retrain trains in the background and replaces them."""
import json
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from gdl.models import DISPLAY_NAMES, NEURAL
from tests.app.conftest import open_page, script, settled

PAGE = script("pages/compare.py")


def test_compare_page_shows_a_panel_and_a_measurement_row_per_family():
    at = settled(AppTest.from_file(PAGE, default_timeout=180).run())
    assert not at.exception, at.exception
    assert [s.value for s in at.subheader] == ["The data", "How to read the panels"] + [
        DISPLAY_NAMES[f] for f in NEURAL]  # the data, then one panel per family, in order
    table = at.dataframe[0].value
    assert len(table) == 7 and list(table["source"]) == ["data"] + ["checkpoint"] * 6
    # the first row is real data scored the same way: every point on land, NLL the entropy floor itself
    from gdl.data import world

    real = table.iloc[0]
    assert real["precision (on land)"] == 1.0 and real["held-out NLL"] == f"{world.entropy():.3f}"
    assert (table["coverage (2°)"].iloc[1:] <= real["coverage (2°)"] + 0.05).all()  # 2,000 samples cover that much
    assert [r.key for r in at.radio] == ["cmp_per_row"]  # nothing trained here yet: no choice of models to show
    words = " ".join(m.value for m in at.expander[0].markdown)  # the glossary for newcomers
    assert all(term in words for term in ("**likelihood, NLL**", "**entropy floor**", "**precision, coverage**"))
    # every loss chart names its curves in words, and a caption under it says what they are
    legends = [{trace.get("name") for trace in json.loads(chart.proto.spec)["data"]} for chart in at.get("plotly_chart")]
    assert {"D's loss", "G's loss", "D(real)", "D(fake)"} in legends
    assert {"loss", "CD = E(data) − E(samples)", "E(data)", "E(samples)"} in legends
    captions = [c.value for c in at.caption]
    assert any(c.startswith("Contrastive divergence pushes") for c in captions)
    assert sum(c.startswith("Loss: the negative") for c in captions) == 3  # VAE, autoregressive, flow
    # their curves are in the model's rescaled units: the caption gives the shift to the table's NLL
    flow = checkpoints_world_flow()
    assert sum(f"add {float(flow.log_det_scale()):+.1f} nats" in c for c in captions) == 3
    # the real row's coverage is the yardstick: the caption quotes it
    assert f"Even they cover only {real['coverage (2°)']:.0%}" in " ".join(captions)
    # the VAE's NLL is its importance-weighted bound, tighter than the ELBO it trains on, and the caption says so
    from gdl import checkpoints
    from gdl.bench import IWAE_SAMPLES
    from gdl.metrics import held_out_nll
    from gdl.ui.compare import reference_data

    vae, reference = checkpoints.load(checkpoints.shipped_path("vae", "world")), reference_data("world")
    iwae = held_out_nll(vae.iwae_log_prob(reference, k=IWAE_SAMPLES))
    shown = dict(zip(table["family"], table["held-out NLL"]))[DISPLAY_NAMES["vae"]]
    assert shown == f"≤ {iwae:.3f}" and iwae < held_out_nll(vae.log_prob(reference))
    assert any("importance-weighted" in c for c in captions)


def _flow_on_moons(budget: int):
    """The page showing only the flow on two moons (no checkpoint: nothing until a Retrain), with this budget."""
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    at.selectbox(key="cmp_data").set_value("moons")
    at.multiselect(key="cmp_families").set_value(["flow"])
    at.slider(key="cmp_budget").set_value(budget)
    return at.run()


def test_retrain_trains_in_the_background_and_the_page_then_shows_the_new_model():
    at = _flow_on_moons(budget=5)
    assert any("Retrain" in i.value for i in at.info)  # no checkpoint for the toys
    assert not at.dataframe and any("Nothing to measure yet" in i.value for i in at.info)  # not an empty table
    assert not any("checkpoint" in c.value for c in at.caption)  # the panel does not claim one
    at.button(key="cmp_retrain").click().run()
    # while it trains, the panel and the table say so, instead of still asking for a Retrain
    infos = " ".join(i.value for i in at.info)
    assert "Training here now" in infos and "fill this table as each one ends" in infos and "press **Retrain**" \
        not in infos.replace("Press **Retrain**", "")
    deadline = time.time() + 90
    while time.time() < deadline:
        time.sleep(2)
        settled(at.run())
        table = at.dataframe[0].value if at.dataframe else None
        if table is not None and "source" in table.columns and "trained here" in set(table["source"]):
            break
    assert not at.exception, at.exception
    real, row = at.dataframe[0].value.iloc[0], at.dataframe[0].value.iloc[1]
    assert row["source"] == "trained here"
    assert float(str(row["held-out NLL"]).lstrip("≤ ")) < 3.0  # two moons: a real fit, not a blank
    # precision and coverage against the held-out points, beside a fresh draw of real points scored the same way
    assert real["source"] == "data" and real["precision (within 0.1)"] >= 0.99 and real["coverage (0.1)"] >= 0.99
    assert 0.5 < row["precision (within 0.1)"] <= 1 and 0.5 < row["coverage (0.1)"] <= 1
    from gdl.ui.compare import floor_nll  # the true moons' NLL on the held-out points: no model beats it on average

    assert real["held-out NLL"] == f"{floor_nll('moons'):.3f}" and real["gap to floor"] == "0"
    nll = float(str(row["held-out NLL"]).lstrip("≤ "))
    assert float(str(row["gap to floor"]).lstrip("≤ ")) == pytest.approx(nll - floor_nll("moons"), abs=2e-3)
    assert [r.key for r in at.radio] == ["cmp_per_row"]  # no checkpoints for the toys: nothing to choose


def checkpoints_world_flow():
    from gdl import checkpoints

    return checkpoints.load(checkpoints.shipped_path("flow", "world"))


def test_compare_on_digits_measures_every_family_beside_real_digits():
    at = open_page("pages/compare.py", timeout=300, cmp_data="digits")
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]  # "The measurements could not be shown: ..." was one
    table = at.dataframe[0].value
    assert list(table["family"])[0] == "real digits" and len(table) == 7
    assert table["confidence"].between(0, 1).all() and table["evenness"].between(0, 1).all()
    assert (table["nearest_train_distance"] > 0).all()  # no family returns copies of its training digits
    nll = dict(zip(table["family"], table["NLL (training digits)"]))
    assert nll["GAN"] == "none" and nll["Energy-based"] == "unknown" and np.isfinite(float(nll["Normalizing flow"]))
    captions = " ".join(c.value for c in at.caption)
    assert "“none”: the GAN has no density" in captions and "“unknown”: the energy-based model" in captions
    assert "not held out" in " ".join(c.value for c in at.caption)
    notes = " ".join(i.value for i in at.info)
    assert "read as one digit" in notes and "continent" not in notes  # the note speaks of digits, not of land


def _wait_for_source(at, wanted: str, seconds: float = 120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        time.sleep(1)
        settled(at.run())
        table = at.dataframe[0].value if at.dataframe else None
        if table is not None and "source" in table.columns and wanted in set(table["source"]):
            return table
    raise AssertionError(f"no row from '{wanted}' within {seconds} s")


def test_a_retrain_cancelled_before_it_trains_keeps_the_model_trained_before(monkeypatch):
    from gdl.ui import jobs

    at = _flow_on_moons(budget=5)
    at.button(key="cmp_retrain").click().run()
    first = _wait_for_source(at, "trained here")
    at.slider(key="cmp_budget").set_value(30).run()
    monkeypatch.setattr(jobs, "MAX_CONCURRENT", 0)  # the new run waits for a slot: it cannot take a step before
    # the Cancel (a click right after Retrain no longer beats the first step: a training starts at once)
    at.button(key="cmp_retrain").click().run()
    at.button(key="cmp_cancel").click().run()
    deadline = time.time() + 60
    while time.time() < deadline and not any("Cancelled" in w.value for w in at.warning):
        time.sleep(1)
        settled(at.run())
    assert not at.exception
    row = at.dataframe[0].value.iloc[1]  # under the real data's row
    assert row["source"] == "trained here"  # the first run's model, not the checkpoint (there is none for moons)
    assert row["held-out NLL"] == first.iloc[1]["held-out NLL"]


def _retrain_then_cancel_after_some_steps(at) -> None:
    at.button(key="cmp_retrain").click().run()
    job = at.session_state["cmp_runs"][("moons", "flow")]
    deadline = time.time() + 240  # a child that starts cold on a loaded machine may take a while to its first step
    while time.time() < deadline and job.step < 5:
        time.sleep(0.5)  # it has learned something before the Cancel
        at.run()
    assert job.step >= 5 and not job.finished, (job.status, job.step)
    at.button(key="cmp_cancel").click().run()


def test_a_retrain_cancelled_after_some_steps_keeps_the_earlier_model_and_offers_its_own():
    at = _flow_on_moons(budget=5)
    at.button(key="cmp_retrain").click().run()
    first = _wait_for_source(at, "trained here").iloc[1]
    at.slider(key="cmp_budget").set_value(60).run()
    _retrain_then_cancel_after_some_steps(at)
    deadline = time.time() + 180
    while time.time() < deadline and not [b for b in at.button if b.key == "cmp_take"]:
        time.sleep(1)
        settled(at.run())
    assert not at.exception, at.exception
    assert any("Cancelled by you, after" in w.value and "keeps the model it had" in w.value for w in at.warning)
    row = at.dataframe[0].value.iloc[1]
    assert row["source"] == "trained here" and row["held-out NLL"] == first["held-out NLL"]  # the first model stays
    take = at.button(key="cmp_take")
    assert take.label.startswith("Use what the cancelled training learned in ")
    take.click().run()
    settled(at)
    row = at.dataframe[0].value.iloc[1]
    assert row["source"] == "trained here" and row["held-out NLL"] != first["held-out NLL"]  # now the partial one
    assert not [b for b in at.button if b.key == "cmp_take"]  # taken: no longer offered
    assert any(w.value.endswith("steps. What it learned is now the model *trained here*, as you chose.")
               for w in at.warning)


def test_a_first_retrain_cancelled_on_data_with_no_model_shows_what_it_learned_at_once():
    from gdl.ui import jobs

    at = _flow_on_moons(budget=60)  # the toys have no checkpoint, and nothing was trained here yet
    _retrain_then_cancel_after_some_steps(at)
    table = _wait_for_source(at, "trained here", seconds=60)
    assert not at.exception, at.exception
    assert len(table) == 2 and not [b for b in at.button if b.key == "cmp_take"]  # nothing to choose between
    assert any(w.value.endswith(jobs.FIRST_NOTE) for w in at.warning)


def test_a_training_goes_on_while_the_page_shows_other_data():
    """Only the panels of the data on show used to mark their trainings as watched: switch data during a Retrain
    and the page's own trainings were stopped as abandoned ('nobody was watching')."""
    at = _flow_on_moons(budget=20)  # long enough to be still training after the data switches below
    at.button(key="cmp_retrain").click().run()
    at.selectbox(key="cmp_data").set_value("spirals").run()
    assert any(c.value.startswith("Still training here on Two moons: choose that data") for c in at.caption)
    at.selectbox(key="cmp_data").set_value("moons").run()
    at.multiselect(key="cmp_families").set_value(["gan"]).run()  # the flow trains on, out of the page's view
    assert any(c.value.startswith("Still training here: Normalizing flow, not among the families chosen; choose it")
               for c in at.caption)
    at.multiselect(key="cmp_families").set_value(["flow"]).run()
    at.selectbox(key="cmp_data").set_value("spirals").run()
    job = at.session_state["cmp_runs"][("moons", "flow")]
    touched = 0
    for _ in range(14):  # looking at the spirals all the while: each run of the page marks the moons' run watched
        time.sleep(1)
        before = job.last_seen
        at.run()
        if not job.finished:  # (the exact property, not a race against ABANDON_SECONDS on a loaded machine)
            assert job.last_seen > before
            touched += 1
    assert touched >= 1
    at.selectbox(key="cmp_data").set_value("moons").run()
    _wait_for_source(at, "trained here", seconds=60)
    job = at.session_state["cmp_runs"][("moons", "flow")]
    assert job.status == "done" and job.message.startswith("Trained"), job.message  # its whole budget, not stopped


def test_while_every_row_is_being_measured_the_note_stands_alone_without_an_empty_table(monkeypatch):
    from gdl.ui import background, compare

    monkeypatch.setattr(compare, "measure", lambda *args, **kwargs: None)  # every measurement still pending
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    assert not at.exception, at.exception
    assert any(i.value.startswith("Drawing each family's samples and field and measuring them") for i in at.info)
    assert not at.dataframe  # no table with nothing in it (Chromium showed an 'empty' box there)
    settled(at)  # the panels' own background work ends before the test does
    assert background.PENDING_MARK in compare.PENDING_NOTE


def test_a_density_panel_spans_at_most_ten_nats_below_its_peak():
    """A bound that plunges at the plot's edges (diffusion on the spirals: -150 there) must not wash the colours
    out: the panel's scale stops FIELD_RANGE nats below the peak, where the density looks like zero anyway."""
    from gdl import models
    from gdl.ui import compare

    X = compare.reference_data("spirals")
    model = models.create("kde", bandwidth=0.05).fit(X)  # sharp: far below its peak over most of the plane
    xs, ys, z, title, bar = compare._field(model, "test-kde-0.05", "spirals")
    assert title == "log density" and z.shape == (len(ys), len(xs))
    assert z.max() - z.min() == pytest.approx(compare.FIELD_RANGE)


def test_after_a_retrain_the_checkpoints_stay_one_click_away():
    """A Retrain used to replace the checkpoint for the rest of the session (and a cancelled one, with a model of a
    few seconds' training): the page now offers both."""
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    at.multiselect(key="cmp_families").set_value(["flow"])
    at.slider(key="cmp_budget").set_value(5)
    at.number_input(key="cmp_n").set_value(500)
    settled(at.run())
    checkpoint = at.dataframe[0].value.iloc[1]
    assert checkpoint["source"] == "checkpoint"
    at.button(key="cmp_retrain").click().run()
    trained = _wait_for_source(at, "trained here").iloc[1]
    assert at.radio(key="cmp_show_world").value == "trained here"  # the page shows what the run made
    assert trained["held-out NLL"] != checkpoint["held-out NLL"]
    at.radio(key="cmp_show_world").set_value("pretrained checkpoints")
    settled(at.run())
    again = at.dataframe[0].value.iloc[1]
    assert again["source"] == "checkpoint" and again["held-out NLL"] == checkpoint["held-out NLL"]
    assert any("checkpoint" in c.value for c in at.caption)


def test_the_reading_note_speaks_only_of_the_families_on_the_page():
    from gdl.ui.compare import reading_note

    gan_only = reading_note("world", ["gan"])
    assert "the GAN has no density at all" in gan_only and "discriminator D(x)" in gan_only
    assert "autoregressive" not in gan_only and "VAE" not in gan_only and "energy" not in gan_only
    two = reading_note("moons", ["flow", "autoregressive", "vae"])
    assert "the autoregressive model and the normalizing flow compute p(x) exactly" in two
    assert "the VAE reports a bound" in two and "GAN" not in two
    assert "negative energy" in reading_note("world", ["ebm"])
    assert "discriminator" not in reading_note("digits", ["gan"])  # images: no field over a plane
    assert "picture" not in reading_note("digits", ["ebm"]).split("Of p(x)")[1]


def test_two_panels_to_a_row_at_first_and_three_on_request():
    def panel_widths(at):
        return {col.subheader[0].value: round(col.weight, 3) for col in at.columns
                if col.subheader and col.subheader[0].value in {DISPLAY_NAMES[f] for f in NEURAL}}

    at = settled(AppTest.from_file(PAGE, default_timeout=180).run())
    assert set(panel_widths(at).values()) == {0.5}  # two to a row at first: readable at 1024 px
    at.radio(key="cmp_per_row").set_value(3).run()
    assert not at.exception
    widths = panel_widths(settled(at))
    assert list(widths) == [DISPLAY_NAMES[f] for f in NEURAL] and set(widths.values()) == {0.333}


def test_the_measurement_caption_explains_only_the_marks_of_the_families_shown():
    from gdl.ui.compare import COVERAGE_COLUMN, measure_caption

    gan_only = measure_caption("world", ["gan"], {COVERAGE_COLUMN: 0.651})
    assert "“none”: the GAN has no density" in gan_only and "Even they cover only 65%" in gan_only
    assert not any(word in gan_only for word in ("≤", "VAE", "diffusion", "energy-based"))
    both = measure_caption("moons", ["vae", "diffusion", "ebm"], {})
    assert "≤ marks the NLL of the VAE and the diffusion model: they compute a lower bound on log p(x)" in both
    assert "importance-weighted" in both and "do not rank it" in both and "“unknown”: the energy-based" in both
    assert "GAN" not in both and "cover only" not in both  # the toys' real row reaches about all of the data


def test_a_collapsed_vae_is_named_from_its_kl_term():
    from gdl.ui.compare import collapsed

    assert collapsed("vae", [{"kl": 3.0}] * 5 + [{"kl": 0.01}] * 5)
    assert not collapsed("vae", [{"kl": 0.01}] * 5 + [{"kl": 2.99}])  # the last few values decide
    assert not collapsed("flow", [{"loss": 1.0}]) and not collapsed("vae", [])

