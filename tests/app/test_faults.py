"""Fault injection, page by page (issue 6): a loader or model that raises, a shipped checkpoint that is missing or
corrupt, a training run that diverges to NaN, and hostile text in every text field. Each fault must give a clear
message in its own panel while the rest of the page renders, and never an uncaught exception.

AppTest runs a page in this process, so monkeypatching a gdl function reaches the page. The caches
(st.cache_data / st.cache_resource) are process-wide: every test starts and ends with them cleared, so that no
good object hides a fault and no broken one leaks into the next test.
"""
from __future__ import annotations

import pickle
import time
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
import torch
from streamlit.testing.v1 import AppTest

import gdl.checkpoints
import gdl.models
import gdl.plots
import gdl.ui.cache
import gdl.ui.compare
import gdl.ui.diffusion
import gdl.ui.latent
from gdl.data.idx import save_idx
from gdl.ui.widgets import number_text
from tests.app.conftest import open_page, settled

torch.set_num_threads(1)  # the pages run in this process; one thread is faster on a shared machine

FAULT = "injected fault 7f3a"  # the text of every injected error, so a test can find it in the page
SMALL_DIFFUSION = {"dif_chains": 100, "dif_race_steps": 10}  # keep the diffusion page's sampling light
REAL_SHIPPED_PATH = gdl.checkpoints.shipped_path


@pytest.fixture(autouse=True)
def fresh_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def guard_message(at: AppTest, what: str) -> str:
    """The panel_guard message of the panel called `what` (fails when there is none)."""
    found = [e.value for e in at.error if e.value.startswith(f"**{what}** could not be shown")]
    assert found, f"no message for panel {what!r}; errors: {[e.value for e in at.error]}"
    assert len(found) == 1, found
    return found[0]


def headers(at: AppTest) -> list[str]:
    return [h.value for h in at.header]


def raises(*args, **kwargs):
    raise RuntimeError(FAULT)


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


# ==== 1. a loader or a model raises: the message stays in its panel, the page goes on ==========================

def test_home_a_failing_family_map_gets_a_message_and_the_lessons_still_show(monkeypatch):
    monkeypatch.setattr(gdl.plots, "taxonomy_dot", raises)
    at = open_page("app.py", timeout=60)
    assert_clean(at)
    assert FAULT in guard_message(at, "The map of the families")
    assert headers(at) == ["The six families", "Lessons"]
    assert len(at.get("page_link")) == 4


@pytest.mark.parametrize("patched, state, panel", [
    ("classical_score", {}, "The measurements"),
    ("classical_density_grid", {"wm_family": "gaussian"}, "Fitting p_model"),
])
def test_world_map_a_failing_cached_loader_is_contained_in_its_panel(monkeypatch, patched, state, panel):
    monkeypatch.setattr(gdl.ui.cache, patched, raises)
    at = open_page("pages/world_map.py", **state)
    assert_clean(at)
    assert FAULT in guard_message(at, panel)
    assert [h[:4] for h in headers(at)] == ["1 · ", "2 · ", "3 · ", "4 · ", "5 · "]
    assert any(m.label.startswith("log L") for m in at.metric)  # section 4 still computes
    assert at.dataframe[-1].value["point"].tolist() == ["A", "B", "C"]  # section 5 still answers


def test_compare_a_family_whose_model_fails_to_load_gets_a_message_and_the_others_still_show(monkeypatch):
    real = gdl.ui.cache.shipped_model

    def flow_fails(family, dataset):
        if family == "flow":
            raise RuntimeError(FAULT)
        return real(family, dataset)

    monkeypatch.setattr(gdl.ui.cache, "shipped_model", flow_fails)
    at = open_page("pages/compare.py", cmp_families=["flow", "gan"])
    assert_clean(at)
    assert FAULT in guard_message(at, "Normalizing flow")
    assert [s.value for s in at.subheader][2:] == ["Normalizing flow", "GAN"]  # after the data and how to read
    table = at.dataframe[0].value
    assert table["family"].tolist()[1:] == ["GAN"]  # the measurements skip the family that has no model
    assert headers(at) == ["Samples, densities and losses", "The measurements", "Where each family sits"]


def test_compare_failing_measurements_get_a_message_and_the_taxonomy_still_shows(monkeypatch):
    monkeypatch.setattr(gdl.ui.compare, "measure", raises)
    at = open_page("pages/compare.py", cmp_families=["gan"])
    assert_clean(at)
    assert FAULT in guard_message(at, "The measurements")
    assert headers(at)[-1] == "Where each family sits"
    assert len(at.get("graphviz_chart")) == 1


@pytest.mark.parametrize("patched, panel, later", [
    ("holes", "AE against VAE", ["7 · ", "8 · "]),
    ("reconstruction", "The measurements", []),
])
def test_latent_a_failing_cached_computation_is_contained_in_its_panel(monkeypatch, patched, panel, later):
    monkeypatch.setattr(gdl.ui.latent, patched, raises)
    at = open_page("pages/latent.py")
    assert_clean(at)
    assert FAULT in guard_message(at, panel)
    assert [h[:4] for h in headers(at)] == [f"{k} · " for k in range(9)]
    assert any('alt="decoder(z)"' in m.value for m in at.markdown)  # section 2 still decodes
    if later:  # the sections after the failing one still measure
        assert "Reconstruction error" in [m.label for m in at.metric]


@pytest.mark.parametrize("patched, panel", [
    ("race", "DDPM against DDIM"),
    ("world_quality", "The measurements"),
])
def test_diffusion_a_failing_sampler_is_contained_in_its_panel(monkeypatch, patched, panel):
    monkeypatch.setattr(gdl.ui.diffusion, patched, raises)
    at = open_page("pages/diffusion.py", **SMALL_DIFFUSION)
    assert_clean(at)
    assert FAULT in guard_message(at, panel)
    assert [h[:4] for h in headers(at)] == [f"{k} · " for k in range(1, 8)]
    assert any(m.value.startswith("**step 0 of ") for m in at.markdown)  # section 3 still steps
    assert "Read as a 7 by the classifier" in [m.label for m in at.metric]  # section 5 still draws


# ==== 2. a shipped checkpoint that is missing or corrupt ====================================================

def _real_bytes(family: str, dataset: str) -> bytes:
    return REAL_SHIPPED_PATH(family, dataset).read_bytes()


def _not_a_gdl_checkpoint(family, dataset) -> bytes:
    import io

    buffer = io.BytesIO()
    torch.save({"weights": torch.zeros(3)}, buffer)
    return buffer.getvalue()


class _RunsCode:
    """A pickle that, if ever loaded with full unpickling, would create a marker file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


CORRUPTIONS = {  # kind -> (bytes of the bad file, a phrase the message must hold)
    "truncated": (lambda f, d: _real_bytes(f, d)[: len(_real_bytes(f, d)) // 2], "not a readable checkpoint"),
    # random bytes are read as a legacy (non-zip) torch file, that is a pickle: the weights-only loader refuses it
    "random bytes": (lambda f, d: np.random.default_rng(0).bytes(4096), "refused"),
    "foreign torch file": (_not_a_gdl_checkpoint, "not a gdl checkpoint"),
    "empty": (lambda f, d: b"", "not a readable checkpoint"),
}


def break_shipped(monkeypatch, tmp_path: Path, family: str, dataset: str, content: bytes | None) -> Path:
    """Point gdl.checkpoints.shipped_path(family, dataset) at a file in tmp_path holding `content` (None: no
    file there at all); every other checkpoint stays the real one."""
    bad = tmp_path / REAL_SHIPPED_PATH(family, dataset).name
    if content is not None:
        bad.write_bytes(content)

    def shipped_path(f, d):
        return bad if (f, d) == (family, dataset) else REAL_SHIPPED_PATH(f, d)

    monkeypatch.setattr(gdl.checkpoints, "shipped_path", shipped_path)
    return bad


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
def test_compare_a_corrupt_checkpoint_gets_a_message_naming_the_file_in_its_panel(monkeypatch, tmp_path, kind):
    make, phrase = CORRUPTIONS[kind]
    break_shipped(monkeypatch, tmp_path, "flow", "world", make("flow", "world"))
    at = open_page("pages/compare.py", cmp_families=["flow", "gan"])
    assert_clean(at)
    message = guard_message(at, "Normalizing flow")
    assert "world-flow.pt cannot be loaded" in message and phrase in message and "Rebuild it" in message
    assert at.dataframe[0].value["family"].tolist()[1:] == ["GAN"]  # under the real data's row
    assert at.get("plotly_chart") or at.get("image")  # the GAN's panel still draws its figures


def test_compare_a_crafted_pickle_as_checkpoint_is_refused_and_never_runs(monkeypatch, tmp_path):
    marker = tmp_path / "the-pickle-ran"
    break_shipped(monkeypatch, tmp_path, "flow", "world", pickle.dumps({"format": 1, "x": _RunsCode(marker)}))
    at = open_page("pages/compare.py", cmp_families=["flow", "gan"])
    assert_clean(at)
    message = guard_message(at, "Normalizing flow")
    assert "world-flow.pt cannot be loaded" in message and "refused" in message
    assert not marker.exists()


def test_compare_a_missing_checkpoint_says_there_is_none_and_offers_retrain(monkeypatch, tmp_path):
    break_shipped(monkeypatch, tmp_path, "flow", "world", None)
    at = open_page("pages/compare.py", cmp_families=["flow", "gan"])
    assert_clean(at)
    assert not at.error
    assert any("No pretrained checkpoint" in i.value and "Retrain" in i.value for i in at.info)
    assert at.dataframe[0].value["family"].tolist()[1:] == ["GAN"]  # under the real data's row


def test_latent_a_corrupt_autoencoder_checkpoint_leaves_the_vae_sections_working(monkeypatch, tmp_path):
    make, phrase = CORRUPTIONS["truncated"]
    break_shipped(monkeypatch, tmp_path, "ae", "tins", make("ae", "tins"))
    at = open_page("pages/latent.py")
    assert_clean(at)
    message = guard_message(at, "The pretrained Autoencoder")
    assert "tins-ae.pt cannot be loaded" in message and phrase in message
    assert [h[:4] for h in headers(at)] == [f"{k} · " for k in range(9)]
    assert any("no autoencoder for this data yet" in i.value for i in at.info)
    assert "Reconstruction error" in [m.label for m in at.metric]


@pytest.mark.parametrize("corrupt", [True, False], ids=["corrupt", "missing"])
def test_latent_a_broken_vae_checkpoint_gets_a_message_and_offers_training(monkeypatch, tmp_path, corrupt):
    make, phrase = CORRUPTIONS["random bytes"]
    break_shipped(monkeypatch, tmp_path, "vae", "tins", make("vae", "tins") if corrupt else None)
    at = open_page("pages/latent.py")
    assert_clean(at)
    if corrupt:
        message = guard_message(at, "The pretrained VAE")
        assert "tins-vae.pt cannot be loaded" in message and phrase in message
    else:
        assert not at.error
    assert any("no VAE for this data yet" in i.value for i in at.info)
    assert at.button(key="lat_train")  # the way out: train one here


@pytest.mark.parametrize("corrupt", [True, False], ids=["corrupt", "missing"])
def test_diffusion_a_broken_world_checkpoint_gets_a_message_and_the_rest_of_the_page_works(monkeypatch, tmp_path,
                                                                                           corrupt):
    make, phrase = CORRUPTIONS["truncated"]
    break_shipped(monkeypatch, tmp_path, "diffusion", "world", make("diffusion", "world") if corrupt else None)
    at = open_page("pages/diffusion.py", **SMALL_DIFFUSION)
    assert_clean(at)
    if corrupt:
        message = guard_message(at, "The pretrained model")
        assert "world-diffusion.pt cannot be loaded" in message and phrase in message
    else:
        assert any("world-diffusion.pt" in w.value and "missing" in w.value for w in at.warning)
    assert [h[:4] for h in headers(at)] == [f"{k} · " for k in range(1, 8)]
    assert any("Train a model in section 7" in i.value for i in at.info)
    assert "Read as a 7 by the classifier" in [m.label for m in at.metric]  # section 5 uses the digits model
    assert at.get("image")  # section 2's forward process needs no model


def test_diffusion_a_corrupt_digits_checkpoint_is_reported_in_section_5_only(monkeypatch, tmp_path):
    make, phrase = CORRUPTIONS["foreign torch file"]
    break_shipped(monkeypatch, tmp_path, "diffusion", "digits", make("diffusion", "digits"))
    at = open_page("pages/diffusion.py", **SMALL_DIFFUSION)
    assert_clean(at)
    message = guard_message(at, "The pretrained digits model")
    assert "digits-diffusion.pt cannot be loaded" in message and phrase in message
    assert any(m.value.startswith("**step 0 of ") for m in at.markdown)  # the world model still steps
    assert "Samples on land" in [m.label for m in at.metric]  # section 6 still measures


# ==== 3. a training run that diverges to NaN ==============================================================

NAN_MESSAGE = "the loss became NaN"  # gdl.train's guard


@pytest.fixture
def diverging_models(monkeypatch):
    """Every model created from now on returns a NaN loss from its first training step on."""
    real_create = gdl.models.create

    def create(name, **config):
        model = real_create(name, **config)
        real_step = model.train_step

        def nan_step(*args, **kwargs):
            return {k: float("nan") for k in real_step(*args, **kwargs)}

        model.train_step = nan_step
        return model

    monkeypatch.setattr(gdl.models, "create", create)
    monkeypatch.setenv("GDL_TRAIN_IN_PROCESS", "0")  # train in this process, where the patch applies


def wait_for(at: AppTest, found, seconds: float = 90) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline and not found(at):
        time.sleep(1.0)
        at.run()
    assert found(at), f"gave up after {seconds} s; errors {[e.value for e in at.error]}"


def _nan_error(at: AppTest) -> list[str]:
    return [e.value for e in at.error if NAN_MESSAGE in e.value]


def test_compare_a_diverging_training_shows_the_guard_message_in_its_panel(diverging_models):
    at = open_page("pages/compare.py", cmp_data="moons", cmp_families=["flow"], cmp_budget=5)
    at.button(key="cmp_retrain").click().run()
    wait_for(at, lambda a: bool(_nan_error(a)))
    settled(at)  # the new model's panel and measurement fill in from the background worker
    assert_clean(at)
    message = _nan_error(at)[0]
    assert "restored to step 0" in message and "last good weights" in message
    assert at.dataframe[0].value["source"].tolist() == ["data", "trained here"]  # the last good weights are shown


def test_latent_a_diverging_training_is_reported_as_an_error_not_a_success(diverging_models):
    at = open_page("pages/latent.py", lat_data="digits", lat_train_seconds=5)
    at.button(key="lat_train").click().run()
    wait_for(at, lambda a: bool(_nan_error(a)))
    assert_clean(at)
    assert "restored to step 0" in _nan_error(at)[0]
    assert not any(NAN_MESSAGE in s.value for s in at.success)


def test_diffusion_a_diverging_training_is_reported_as_an_error_not_a_success(diverging_models):
    at = open_page("pages/diffusion.py", dif_budget=10, **SMALL_DIFFUSION)
    at.button(key="dif_train").click().run()
    wait_for(at, lambda a: bool(_nan_error(a)))
    assert_clean(at)
    assert "restored to step 0" in _nan_error(at)[0]
    assert not any(NAN_MESSAGE in s.value for s in at.success)


# ==== 4. hostile text in every text field ===================================================================

HTML = "<img src=x onerror=alert(1)><script>alert(2)</script>"
BAD_TEXT = {
    "unicode": "Ünïcødé 🧪 路径 \u202e\u200b ﷽",
    "10,000 characters": "7" * 10_000,
    "10,000 characters, two numbers": "1, " + "2" * 10_000,
    "nan": "nan",
    "nan pair": "nan, nan",
    "1e309": "1e309",
    "1e309 pair": "1e309, -1e309",
    "html": HTML,
    "null byte": "a\x00b",
}


def no_user_text_as_html(at: AppTest, text: str) -> None:
    """No element that may render raw HTML carries the typed text."""
    probe = text[:30]
    html_bodies = [m.value for m in at.markdown if m.proto.allow_html] + [h.proto.body for h in at.get("html")]
    assert not any(probe in body for body in html_bodies)


@pytest.fixture(scope="module")
def world_map():
    st.cache_data.clear()
    st.cache_resource.clear()
    at = open_page("pages/world_map.py")
    assert_clean(at)
    return at


@pytest.mark.parametrize("what", list(BAD_TEXT))
def test_world_map_bad_text_in_a_point_gets_a_message_and_the_point_is_left_out(world_map, what):
    at = world_map
    at.text_input(key="wm_pt_C").set_value(BAD_TEXT[what]).run()
    assert_clean(at)
    assert len(at.error) == 1 and ("two numbers" in at.error[0].value or "must" in at.error[0].value)
    assert at.dataframe[-1].value["point"].tolist() == ["A", "B"]
    no_user_text_as_html(at, BAD_TEXT[what])
    at.text_input(key="wm_pt_C").set_value("-25.0, 135.0").run()  # and the page keeps answering
    assert not at.error and at.dataframe[-1].value["point"].tolist() == ["A", "B", "C"]


@pytest.fixture(scope="module")
def idx_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("idx")
    save_idx(np.random.default_rng(0).integers(0, 256, (40, 28, 28), dtype=np.uint8), folder / "images.gz")
    return folder


@pytest.fixture(scope="module")
def latent_idx():
    st.cache_data.clear()
    st.cache_resource.clear()
    at = open_page("pages/latent.py", lat_data="idx", lat_idx_where="path")
    assert_clean(at)
    return at


@pytest.mark.parametrize("field", ["lat_idx_images", "lat_idx_labels"])
@pytest.mark.parametrize("what", list(BAD_TEXT) + ["~nosuchuser/x", "/"])
def test_latent_bad_text_as_an_idx_path_gets_a_message(latent_idx, idx_files, field, what):
    at = latent_idx
    text = BAD_TEXT.get(what, what)
    at.text_input(key="lat_idx_images").set_value(str(idx_files / "images.gz") if field == "lat_idx_labels" else "")
    at.text_input(key=field).set_value(text).run()
    assert_clean(at)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("That file cannot be used"), errors
    assert len(errors[0]) < 600  # a message, not the 10,000 characters echoed back
    no_user_text_as_html(at, text)
    at.text_input(key="lat_idx_labels").set_value("")
    at.text_input(key="lat_idx_images").set_value(str(idx_files / "images.gz")).run()  # the page still works
    assert not at.error and any("no VAE for this data yet" in i.value for i in at.info)


# ==== 5. numbers out of range: the page hears them, says so, and keeps its last good value ===================

NUMBER_INPUTS = {  # case -> (page, session state to open it lightly, the keys of every number input it shows)
    "world map": ("pages/world_map.py", {}, {"wm_n", "wm_seed", "wm_n_model"}),
    "world map, KDE": ("pages/world_map.py", {"wm_family": "kde"}, {"wm_n", "wm_seed", "wm_n_model",
                                                                     "wm_setting_kde"}),
    "compare": ("pages/compare.py", {"cmp_families": ["gan"]}, {"cmp_seed", "cmp_n"}),
    "latent": ("pages/latent.py", {}, {"lat_train_beta", "lat_interp_a_tins", "lat_interp_b_tins",
                                       "lat_attr_image_tins"}),
    "diffusion": ("pages/diffusion.py", SMALL_DIFFUSION, {"dif_T", "dif_seed", "dif_race_seed", "dif_dseed",
                                                         "dif_train_seed"}),
}
TRAIN_BUTTONS = {"pages/compare.py": "cmp_retrain", "pages/latent.py": "lat_train", "pages/diffusion.py": "dif_train"}
NOT_FOR_TRAINING = {"lat_interp_a_tins", "lat_interp_b_tins", "lat_attr_image_tins", "dif_seed", "dif_race_seed",
                    "dif_dseed"}  # boxes whose value no training uses


@pytest.mark.parametrize("case", list(NUMBER_INPUTS))
def test_every_number_input_says_when_a_value_is_out_of_range_and_the_page_keeps_its_last_good_one(case):
    page, state, keys = NUMBER_INPUTS[case]
    at = open_page(page, **state)
    assert_clean(at)
    assert {n.key for n in at.number_input} == keys  # a new number input must be added here
    train = TRAIN_BUTTONS.get(page)
    for key in sorted(keys):
        default = at.number_input(key=key).value
        good = default - 1 if default >= 1 else default + 1  # in range, and not the default: the page must keep it
        settled(at.number_input(key=key).set_value(good).run())  # a panel it recomputes in the background: done
        assert_clean(at)
        assert not at.error, (key, [e.value for e in at.error])
        markdown_before = sorted(m.value for m in at.markdown)
        for bad in (10**12, -10**12):
            at.number_input(key=key).set_value(bad).run()
            assert_clean(at)
            errors = " ".join(e.value for e in at.error)
            assert f"{bad:,} is outside" in errors and f"the page still uses {number_text(good)}." in errors, (
                key, errors)
            assert sorted(m.value for m in at.markdown) == markdown_before, key  # drawn with the value kept
            if train:  # off exactly when the training would use the box
                assert at.button(key=train).disabled == (key not in NOT_FOR_TRAINING), key
        at.number_input(key=key).set_value(default).run()
        assert not at.error, (key, [e.value for e in at.error])
        if train:
            assert not at.button(key=train).disabled, key
