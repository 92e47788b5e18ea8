"""AppTest: the Latent Space page opens from the shipped checkpoints, its sliders redraw the decoded image, bad
uploads and bad IDX files get a message, and training in the page reports progress and can be cancelled."""
import io
import re
import time

import numpy as np
import pytest
from PIL import Image

from gdl.data import tins
from gdl.data.idx import save_idx
from tests.app.conftest import open_page, script

PAGE = script("pages/latent.py")


@pytest.fixture
def at():
    at = open_page("pages/latent.py", timeout=240)
    assert not at.exception, at.exception
    return at


def decoded_image_url(at) -> str:
    """The slider section's decoded image (an inline data URI)."""
    return next(m.value for m in at.markdown if 'alt="decoder(z)"' in m.value)


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray((np.clip(array, 0, 1) * 255).astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_page_opens_from_checkpoints_with_every_section_and_the_factor_correlations(at):
    headers = [h.value for h in at.header]
    for number in range(9):
        assert any(h.startswith(f"{number} ·") for h in headers), headers
    assert not at.error
    labels = [m.label for m in at.metric]
    assert "Reconstruction error" in labels and "Draws that land in a hole" in labels
    table = at.table[-1].value
    assert list(table["tracks"]) != ["no single factor"] * len(table)
    assert sorted(table["tracks"]) == ["height", "width"]  # the shipped tins VAE: one dimension per factor
    # the notes of sections 1 and 2 say what the table measures, naming the dimensions, not a fixed claim
    roles = dict(zip(table["tracks"], table["latent dimension"]))
    notes = " ".join(i.value for i in at.info)
    assert (f"{roles['height']} mostly changes the height and {roles['width']} mostly changes the width" in notes
            or f"{roles['width']} mostly changes the width and {roles['height']} mostly changes the height" in notes)
    assert "the model has sorted the tins by their true height and width" in notes
    # the shipped model's recorded command sets beta and decorrelation: the page says what they are
    model = checkpoints_shipped_tins_vae()
    captions = " ".join(c.value for c in at.caption)
    assert (f"β = {model.config.beta:g} weights the KL term" in captions) == (model.config.beta != 1)
    assert (f"decorrelation = {model.config.decorrelation:g}" in captions) == (model.config.decorrelation > 0)


def checkpoints_shipped_tins_vae():
    from gdl import checkpoints

    return checkpoints.load_shipped("vae", "tins")


def test_the_tins_notes_follow_the_codes_when_no_dimension_tracks_a_factor(monkeypatch):
    """A model whose dimensions each mix height and width: the notes must not claim that each slider took one
    factor, or that the map sorts the tins (a fixed text said so whatever the numbers)."""
    from gdl import latent

    monkeypatch.setattr(latent, "TRACKS", 1.01)  # no |r| can exceed it: nothing counts as tracking a factor
    at = open_page("pages/latent.py", timeout=240)
    assert not at.exception, at.exception
    notes = " ".join(i.value for i in at.info)
    assert "no slider here tracks the height or the width alone" in notes
    assert "partly mixed" in notes and "has sorted the tins" not in notes
    assert set(at.table[-1].value["tracks"]) == {"no single factor"}


def test_moving_a_slider_changes_the_decoded_image(at):
    before = decoded_image_url(at)
    z1 = next(s for s in at.slider if s.label == "z1")
    z1.set_value(-2.5).run()
    assert not at.exception
    after = decoded_image_url(at)
    assert after != before
    next(s for s in at.slider if s.label == "z2").set_value(2.5).run()
    assert decoded_image_url(at) not in (before, after)


def test_the_sliders_say_whose_code_they_hold_until_moved(at):
    def caption() -> str:
        return next(c.value for c in at.caption if c.value.startswith("decoder(z)"))

    assert caption().startswith("decoder(z), with z = the code of image 0 (a tin ")
    assert 'alt="the image itself"' in decoded_image_url(at)
    picked = set()
    for _ in range(6):  # a fresh image each press (a pick seeded by the sliders went round nine digits)
        at.button(key="lat_random").click().run()
        named = re.search(r"the code of image ([\d,]+) \(a tin (\d+) px tall", caption())
        assert named, caption()
        picked.add(named.group(1))
    assert len(picked) >= 5
    assert 'alt="the image itself"' in decoded_image_url(at)
    next(s for s in at.slider if s.label == "z1").set_value(2.9).run()  # moved off it: no claim, no comparison
    assert caption() == "decoder(z)" and 'alt="the image itself"' not in decoded_image_url(at)
    at.button(key="lat_zero").click().run()
    assert caption() == "decoder(z), with z = 0"


@pytest.mark.parametrize("name, data, message", [
    ("digit.png", b"this is text pretending to be a picture", "not an image"),
    ("huge.png", b"\x00" * (6 * 2**20), "too large"),
    ("cut.png", png(np.random.default_rng(0).random((64, 64))), "fail to decode"),
])
def test_a_bad_upload_produces_a_clear_message(at, name, data, message):
    if name == "cut.png":
        data = data[: len(data) // 2]
    at.file_uploader(key="lat_upload").set_value((name, data, "image/png")).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any(name in e and message in e for e in errors), errors


def test_an_uploaded_tin_is_encoded_placed_on_the_map_and_decoded(at):
    big_tin = np.kron(tins.render(22, 12), np.ones((3, 3), np.float32))  # 96 x 96
    at.file_uploader(key="lat_upload").set_value(("tin.png", png(big_tin), "image/png")).run()
    assert not at.exception and not at.error
    assert any("decoded from its z" in c and "lies nearest to yours" in c for c in _captions(at))
    assert any("Your image's code (the star) lies" in i.value for i in at.info)


def test_an_image_of_the_data_itself_is_placed_among_the_codes_next_to_itself(at):
    """Section 7 judges the place of an upload's code by its distance to the data's codes, not by its pixel error
    (a crisp drawing of a familiar digit has a large pixel error against blurry 8x8 data)."""
    from gdl.ui import latent as ui

    X, targets = ui.dataset_data("tins")
    k = 17
    at.file_uploader(key="lat_upload").set_value(("one.png", png(X[k]), "image/png")).run()
    assert not at.exception and not at.error
    caption = next(c for c in _captions(at) if "lies nearest to yours" in c)
    nearest, height, width = map(int, re.search(r"\(image (\d+), a tin (\d+) px tall and (\d+) px wide\)",
                                                caption).groups())
    assert np.allclose(targets[nearest], [height, width], atol=0.5)  # the caption describes that image
    assert np.allclose(targets[nearest], targets[k], atol=2.0)  # a tin of about the same size (or image k itself)
    note = next(i.value for i in at.info if "Your image's code (the star)" in i.value)
    assert f"lies among the data's codes, next to a tin {height} px tall and {width} px wide" in note
    assert "in a hole" not in note


@pytest.mark.parametrize("threshold, verdict", [(0.0, "lies in a hole"), (float("inf"), "lies among the data's codes")])
def test_section_7_says_an_upload_lies_in_a_hole_exactly_when_its_code_is_past_the_hole_distance(
        at, monkeypatch, threshold, verdict):
    """The verdict is the distance's: with the hole distance at 0 every code is in a hole, at infinity none is."""
    monkeypatch.setattr("gdl.ui.latent.hole_threshold", lambda *args: threshold)
    at.session_state["lat_data"] = "digits"
    at.run()
    stroke = np.zeros((64, 64), np.float32)
    stroke[8:56, 30:34] = 1.0  # a thick vertical bar
    at.radio(key="lat_mine_how").set_value("Upload a file")
    at.file_uploader(key="lat_upload").set_value(("bar.png", png(stroke), "image/png")).run()
    assert not at.exception and not at.error
    note = next(i.value for i in at.info if "Your image's code (the star)" in i.value)
    assert verdict in note
    from gdl.ui import latent as ui
    from gdl.ui.widgets import a_digit

    _, targets = ui.dataset_data("digits")
    caption = next(c for c in _captions(at) if "lies nearest to yours" in c)
    nearest = int(re.search(r"\(image (\d+),", caption).group(1))
    if threshold == 0.0:  # in a hole, the note names the single nearest image, as the caption does
        assert f"the nearest is {a_digit(int(targets[nearest]))}" in note
    else:  # among the codes, it names the digits around it
        assert re.search(r"(where|between) the \d+s", note)


def test_digits_get_label_colours_and_a_direction_per_digit(at):
    at.selectbox(key="lat_data").set_value("digits").run()
    assert not at.exception and not at.error
    assert "lat_colour" not in [s.key for s in at.selectbox]  # one way to colour them: no one-option box
    assert "more like a 7" in at.selectbox(key="lat_attr").options


def test_the_digits_notes_follow_their_numbers(at):
    """The walk's note names the digits a classifier reads along it; section 6 does not claim that the VAE fills
    the holes better when both models rarely land in one; the attribute section opens on a step that works."""
    from gdl.ui import latent as ui
    from gdl.ui.widgets import a_digit

    at.selectbox(key="lat_data").set_value("digits").run()
    notes = [i.value for i in at.info]
    walk = next(n for n in notes if n.startswith("Every step of the walk"))
    listed = re.search(r"reads the steps as ([\d, ]+)", walk).group(1)
    reads = [int(r) for r in listed.split(", ")]
    assert len(reads) == at.slider(key="lat_interp_steps").value
    a, b = at.number_input(key="lat_interp_a_digits").value, at.number_input(key="lat_interp_b_digits").value
    _, targets = ui.dataset_data("digits")
    ends = {reads[0], reads[-1], int(targets[a]), int(targets[b])}
    crossed = [int(d) for d in re.findall(r"the (\d)s", walk.split("crosses the region", 1)[-1])]
    assert set(crossed) == set(reads[1:-1]) - ends  # every digit read in between, and no end's own digit
    ae, vae = [m.value for m in at.metric if m.label == "Draws that land in a hole"]
    compare = next(n for n in notes if n.startswith("Compare the two maps' axes"))
    assert (ae, vae) == ("3%", "1%")  # the shipped digits models: both rarely land in a hole
    assert "both land in a hole rarely (3% and 1%)" in compare and "fills the gaps" not in compare
    assert at.slider(key="lat_attr_strength_digits").value == 1.0
    d = int(at.selectbox(key="lat_attr").value.split()[-1])  # "more like a 0"
    note = next(n for n in notes if "The classifier reads your decoded image as" in n)
    assert f"reads your decoded image as {a_digit(d)}." in note  # the shipped model's first example works


def idx_bytes(images: np.ndarray, tmp_path, name: str = "images-idx3-ubyte.gz") -> bytes:
    save_idx(images, tmp_path / name)
    return (tmp_path / name).read_bytes()


def test_an_uploaded_idx_file_is_read_and_a_bad_one_gets_a_message(at, tmp_path, monkeypatch):
    monkeypatch.setattr("gdl.ui.latent.UPLOAD_DIR", tmp_path / "uploads")
    good = idx_bytes(np.random.default_rng(0).integers(0, 256, (40, 28, 28), dtype=np.uint8), tmp_path)
    at.selectbox(key="lat_data").set_value("idx").run()
    assert not at.exception and at.radio(key="lat_idx_where").value == "upload"
    assert any("Give an IDX image file" in i.value for i in at.info)
    at.file_uploader(key="lat_idx_up_images").set_value(("broken-idx3-ubyte", b"\x00\x00\x08\x03" + b"\x00" * 9,
                                                          "application/octet-stream")).run()
    errors = [e.value for e in at.error]
    assert any("cannot be used" in e and "broken-idx3-ubyte is cut short" in e for e in errors), errors
    at.file_uploader(key="lat_idx_up_images").set_value(("train-images-idx3-ubyte.gz", good, "application/gzip")).run()
    assert not at.exception and not at.error
    assert any("no VAE for this data yet" in i.value for i in at.info)
    kept = list((tmp_path / "uploads").glob("*/train-images-idx3-ubyte.gz"))
    assert len(kept) == 1 and kept[0].read_bytes() == good  # kept under its own name, which messages quote
    at.file_uploader(key="lat_idx_up_images").set_value(None).run()  # its × removes it
    assert any("Give an IDX image file" in i.value for i in at.info)


def test_idx_files_by_path_are_read_and_a_bad_one_gets_a_message(at, tmp_path):
    save_idx(np.random.default_rng(0).integers(0, 256, (40, 28, 28), dtype=np.uint8), tmp_path / "images-idx3-ubyte.gz")
    (tmp_path / "broken").write_bytes(b"\x00\x00\x08\x03" + b"\x00" * 9)
    at.selectbox(key="lat_data").set_value("idx").run()
    at.radio(key="lat_idx_where").set_value("path").run()
    assert not at.exception
    at.text_input(key="lat_idx_images").set_value(str(tmp_path / "broken")).run()
    assert any("cannot be used" in e.value and "cut short" in e.value for e in at.error)
    at.text_input(key="lat_idx_images").set_value(str(tmp_path / "images-idx3-ubyte.gz")).run()
    assert not at.exception and not at.error
    assert any("no VAE for this data yet" in i.value for i in at.info)


def test_a_server_can_turn_off_reading_files_by_path(tmp_path, monkeypatch):
    monkeypatch.setenv("GDL_SERVER_PATHS", "0")  # as the classroom image does: nobody can probe its files
    at = open_page("pages/latent.py", timeout=240, lat_data="idx")
    assert not at.exception
    assert not at.radio and not at.text_input
    assert [u.key for u in at.get("file_uploader")] == ["lat_idx_up_images", "lat_idx_up_labels"]


def test_an_upload_is_kept_through_a_visit_to_another_page(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setattr("gdl.ui.latent.UPLOAD_DIR", tmp_path / "uploads")
    good = idx_bytes(np.random.default_rng(1).integers(0, 256, (30, 28, 28), dtype=np.uint8), tmp_path)
    at = AppTest.from_file(script("app.py"), default_timeout=240).run()
    at.switch_page("pages/latent.py").run()
    at.selectbox(key="lat_data").set_value("idx").run()
    at.file_uploader(key="lat_idx_up_images").set_value(("my-digits-idx3-ubyte.gz", good, "application/gzip")).run()
    assert any("no VAE for this data yet" in i.value for i in at.info)
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/latent.py").run()
    assert not at.exception and not at.error
    assert any("no VAE for this data yet" in i.value for i in at.info)  # the images are still there
    assert any("Using **my-digits-idx3-ubyte.gz**, uploaded earlier" in c.value for c in at.caption)
    at.button(key="lat_idx_forget_images").click().run()  # the empty uploader has no ×: this button forgets it
    assert any("Give an IDX image file" in i.value for i in at.info)


def test_new_images_drop_the_labels_kept_from_an_earlier_visit(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setattr("gdl.ui.latent.UPLOAD_DIR", tmp_path / "uploads")
    rng = np.random.default_rng(2)
    images_a = idx_bytes(rng.integers(0, 256, (40, 28, 28), dtype=np.uint8), tmp_path, "a-idx3-ubyte.gz")
    labels_a = idx_bytes(rng.integers(0, 10, 40, dtype=np.uint8), tmp_path, "a-idx1-ubyte.gz")
    images_b = idx_bytes(rng.integers(0, 256, (30, 28, 28), dtype=np.uint8), tmp_path, "b-idx3-ubyte.gz")
    at = AppTest.from_file(script("app.py"), default_timeout=240).run()
    at.switch_page("pages/latent.py").run()
    at.selectbox(key="lat_data").set_value("idx").run()
    at.file_uploader(key="lat_idx_up_images").set_value(("a-idx3-ubyte.gz", images_a, "application/gzip")).run()
    at.file_uploader(key="lat_idx_up_labels").set_value(("a-idx1-ubyte.gz", labels_a, "application/gzip")).run()
    assert not at.error
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/latent.py").run()
    at.file_uploader(key="lat_idx_up_images").set_value(("b-idx3-ubyte.gz", images_b, "application/gzip")).run()
    assert not at.exception and not at.error, [e.value for e in at.error]  # not "40 labels for 30 images"
    assert any("no VAE for this data yet" in i.value for i in at.info)


def test_the_training_box_opened_for_an_idx_file_stays_open_when_its_training_ends(tmp_path):
    """Streamlit draws an expander whose `expanded` changed as a new, closed one: the box opened because the file
    had no VAE must not close under the user's eyes once the VAE it trains arrives."""
    from gdl.data.idx import load_idx_images
    from gdl.models import create
    from gdl.train import TrainResult
    from gdl.ui.jobs import Job

    images = np.random.default_rng(3).integers(0, 256, (40, 28, 28), dtype=np.uint8)
    save_idx(images, tmp_path / "images-idx3-ubyte.gz")
    path = str(tmp_path / "images-idx3-ubyte.gz")
    job = Job("VAE (2-D) on idx", status="running", step=5)
    at = open_page("pages/latent.py", timeout=240, lat_data="idx", lat_idx_where="path", lat_idx_images=path,
                   lat_runs={(f"idx:{path}", "vae"): job})
    assert not at.exception, at.exception
    box = next(e for e in at.expander if "Train a model here" in e.label)
    assert box.proto.expanded
    model = create("vae", latent_dim=2).fit(load_idx_images(path)[0], steps=2, seed=0, device="cpu")
    model.history_ = TrainResult(steps=2, status="done", message="Trained 2 steps.")
    job.result, job.status, job.message = model, "done", "Trained 2 steps."
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["lat_source"] == "trained here"  # the page shows the VAE it made
    box = next(e for e in at.expander if "Train a model here" in e.label)
    assert box.proto.expanded  # and the box it was trained in stays open


def test_training_in_the_page_shows_progress_then_can_be_cancelled(at):
    at.selectbox(key="lat_data").set_value("digits").run()
    at.slider(key="lat_train_seconds").set_value(60)
    at.button(key="lat_train").click().run()
    assert not at.exception
    def steps_shown() -> int:
        found = [re.search(r"step (\d+)", p.proto.text) for p in at.get("progress")]
        return max([int(m.group(1)) for m in found if m] or [-1])

    deadline = time.time() + 60
    while time.time() < deadline and steps_shown() <= 0:  # wait until it has trained a few steps
        time.sleep(1.0)
        at.run()
    assert steps_shown() > 0, "no progress bar counting steps while training"
    at.button(key="lat_cancel").click().run()
    deadline = time.time() + 30
    while time.time() < deadline and not any("Cancelled by you" in w.value for w in at.warning):
        time.sleep(0.5)
        at.run()
    assert any("Cancelled by you" in w.value for w in at.warning)
    assert not at.exception
    # a cancelled run keeps the model the page had (the pretrained one); what it learned is one click away
    assert not [box for box in at.selectbox if box.key == "lat_source"]  # only the pretrained VAE to choose
    at.button(key="lat_take").click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key="lat_source").value == "trained here"
    assert not [b for b in at.button if b.key == "lat_take"]


def test_a_training_that_ends_while_you_look_at_other_data_is_shown_when_you_come_back():
    """The page follows a training it saw running even while it shows other data: back on that data, the model
    it made is what the page shows (trained here)."""
    from gdl import checkpoints
    from gdl.train import TrainResult
    from gdl.ui.jobs import Job

    job = Job("VAE (2-D) on digits", status="running", step=5)
    at = open_page("pages/latent.py", timeout=240, lat_data="digits", lat_runs={("digits", "vae"): job})
    assert at.session_state["lat_watched"] == [job]  # seen running
    at.selectbox(key="lat_data").set_value("tins").run()
    model = checkpoints.load(checkpoints.shipped_path("vae", "digits"))
    del model.checkpoint_meta_  # a model trained here, not a shipped checkpoint
    model.history_ = TrainResult(steps=5, status="done", message="Trained 5 steps.")
    job.result, job.status, job.message = model, "done", "Trained 5 steps."
    at.run()  # it ends while the page shows the tins
    assert not [box for box in at.selectbox if box.key == "lat_source"]  # the tins have only their checkpoint
    assert at.session_state["lat_watched"] == [job]  # still followed
    at.selectbox(key="lat_data").set_value("digits").run()
    assert not at.exception, at.exception
    assert at.session_state["lat_source"] == "trained here" and at.session_state["lat_watched"] == []


def test_the_vae_trained_here_stays_in_use_while_a_new_one_trains_and_after_it_is_cancelled():
    from gdl import checkpoints
    from gdl.train import TrainResult
    from gdl.ui.jobs import Job

    model = checkpoints.load(checkpoints.shipped_path("vae", "digits"))
    del model.checkpoint_meta_  # a model trained here, not a shipped checkpoint
    model.history_ = TrainResult(steps=5, status="done", message="Trained 5 steps.")
    job = Job("VAE (2-D) on digits", status="running", step=5)
    at = open_page("pages/latent.py", timeout=240, lat_data="digits", lat_runs={("digits", "vae"): job},
                   lat_kept={("digits", "vae"): model}, lat_source="trained here")
    assert at.selectbox(key="lat_source").value == "trained here"  # while the new one trains
    job.status, job.message = "cancelled", "Cancelled by you, after 0 steps."
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="lat_source").value == "trained here" and at.session_state["lat_kept"][
        ("digits", "vae")] is model
    assert not [b for b in at.button if b.key == "lat_take"]  # the cancelled run made nothing to offer


def test_a_3d_model_trained_here_never_offers_the_same_dimension_twice_and_the_notes_fit_it(at):
    at.selectbox(key="lat_data").set_value("digits").run()
    at.slider(key="lat_train_dim").set_value(3)
    at.slider(key="lat_train_seconds").set_value(5)
    at.button(key="lat_train").click().run()

    def source():
        return at.session_state["lat_source"] if "lat_source" in at.session_state else None

    deadline = time.time() + 120
    while time.time() < deadline and source() != "trained here":
        time.sleep(1.0)
        at.run()
    assert source() == "trained here"
    horizontal = next(s for s in at.selectbox if s.label == "Horizontal")
    vertical = next(s for s in at.selectbox if s.label == "Vertical")
    assert 0 not in vertical.options and vertical.value == 1
    horizontal.set_value(1).run()  # onto the vertical axis: the vertical axis moves off it, no error, no stop
    assert not at.exception and not at.error
    vertical = next(s for s in at.selectbox if s.label == "Vertical")
    assert vertical.value != 1 and 1 not in vertical.options
    assert any(m.value.startswith("<img") and 'alt="decoder(z)"' in m.value for m in at.markdown)  # sliders drawn
    notes = " ".join(i.value for i in at.info)
    assert "looks along two of the 3 dimensions" in notes
    assert "different numbers of latent dimensions (2 and 3)" in notes  # the shipped 2-D autoencoder beside it


def test_the_attribute_note_follows_the_sign_of_the_strength_and_says_when_it_leaves_the_data(at):
    def attribute_note():
        return next(i.value for i in at.info if "the vector" in i.value and "attribute" in i.value)

    assert at.selectbox(key="lat_data").value == "tins"
    at.selectbox(key="lat_attr").set_value("wider").run()
    at.slider(key="lat_attr_strength_tins").set_value(0.3).run()
    assert "the same tin, wider" in attribute_note() and "stays within the data" in attribute_note()
    at.slider(key="lat_attr_strength_tins").set_value(-1.0).run()
    assert not at.exception
    text = attribute_note()
    assert "the same tin, narrower" in text and "goes past the narrowest tins" in text
    assert any("from the narrowest to the widest 2% of the tins" in c for c in _captions(at))


def _captions(at) -> list[str]:
    """Every caption on the page, pictures' included (st.image captions live in the image protos)."""
    out = [c.value for c in at.caption]
    for element in at.get("image"):
        out += [img.caption for img in element.proto.imgs]
    return out


def test_identical_images_get_a_clear_message_not_minus_infinite_variance_explained(at, tmp_path, monkeypatch):
    monkeypatch.setattr("gdl.ui.latent.UPLOAD_DIR", tmp_path / "uploads")
    blank = idx_bytes(np.zeros((6, 28, 28), dtype=np.uint8), tmp_path, "blank-idx3-ubyte")
    at.selectbox(key="lat_data").set_value("idx").run()
    at.file_uploader(key="lat_idx_up_images").set_value(("blank-idx3-ubyte", blank, "application/octet-stream")).run()
    at.slider(key="lat_train_seconds").set_value(5)
    at.button(key="lat_train").click().run()
    deadline = time.time() + 120
    while time.time() < deadline and not ("lat_source" in at.session_state
                                          and at.session_state["lat_source"] == "trained here"):
        time.sleep(1.0)
        at.run()
    assert not at.exception
    explained = next(m.value for m in at.metric if m.label == "Variance explained")
    assert explained == "–"
    assert any("Every image here is the same" in w.value for w in at.warning)
    assert not any("inf" in i.value for i in at.info)


def test_the_digit_attribute_note_says_what_a_classifier_reads_in_the_decoded_image(at):
    from gdl import checkpoints, data, latent
    from gdl.ui import cache

    at.selectbox(key="lat_data").set_value("digits").run()
    at.selectbox(key="lat_attr").set_value("more like a 7").run()
    model = checkpoints.load_shipped("vae", "digits")  # the page's model and data, outside the page
    X, labels = data.load("digits", seed=1, with_targets=True)
    Z = model.encode(X)
    toward_7 = latent.class_directions(Z, labels)[7]
    for strength in (1.5, 0.5):
        at.slider(key="lat_attr_strength_digits").set_value(strength).run()
        assert not at.exception
        note = next(i.value for i in at.info if "mean code of the digit 7" in i.value)
        z = Z[int(at.number_input(key="lat_attr_image_digits").value)] + strength * toward_7
        digit = int(cache.read_digits(model.decode(z[None].astype(np.float32)))[0][0])
        article = "an" if digit == 8 else "a"
        assert f"reads your decoded image as {article} {digit}" in note  # the same decoding, the same classifier
        assert (digit == 7) == ("not a 7" not in note)
    # an image that already reads as the digit is not told that the line 'never reads' as it
    at.selectbox(key="lat_attr").set_value("more like a 0").run()
    at.number_input(key="lat_attr_image_digits").set_value(101).run()  # a 0 that the classifier reads as a 0
    at.slider(key="lat_attr_strength_digits").set_value(-1.5).run()
    note = next(i.value for i in at.info if "mean code of the digit 0" in i.value)
    assert "The image itself already reads as a 0" in note
    assert "never reads" not in note and "not a 0" not in note  # subtracting is meant to leave the 0s


def test_image_numbers_belong_to_their_data(at):
    """Image 5 of the tins is not image 5 of the digits: switching the data starts from the digits' own
    middling image, and switching back finds the tins' choice again."""
    at.number_input(key="lat_attr_image_tins").set_value(5).run()
    at.selectbox(key="lat_data").set_value("digits").run()
    assert not at.exception
    digits_default = at.number_input(key="lat_attr_image_digits").value
    assert digits_default != 5
    # the digits start from an image the classifier reads confidently as its label, as it is and decoded
    from gdl import checkpoints, data
    from gdl.ui import cache

    X, labels = data.load("digits", seed=1, with_targets=True)
    model = checkpoints.load_shipped("vae", "digits")
    image = X[digits_default:digits_default + 1]
    reads, sure = cache.read_digits(np.concatenate([image, model.decode(model.encode(image))]))
    assert (reads == labels[digits_default]).all() and (sure >= 0.8).all()
    at.selectbox(key="lat_data").set_value("tins").run()
    assert at.number_input(key="lat_attr_image_tins").value == 5


def test_the_autoencoder_can_be_explored_too_and_section_6_still_compares_it_with_the_vae(at):
    from gdl.ui import latent as ui

    vae_image = decoded_image_url(at)
    at.radio(key="lat_explore").set_value("ae").run()
    assert not at.exception and not at.error
    assert any(m.value.startswith("**Autoencoder**, ") for m in at.markdown)  # the model line
    assert decoded_image_url(at) != vae_image  # the sliders decode with the autoencoder
    ae = ui.shipped("ae", "tins")
    lo, hi = ui.slider_range(ae, ui.codes(ae, "tins"))[0]
    z1 = next(s for s in at.slider if s.label == "z1")
    assert (z1.min, z1.max) == pytest.approx((lo, hi))  # the codes' own span, not the prior's ±3
    assert any("The autoencoder's codes leave gaps" in i.value for i in at.info)
    assert [h.value for h in at.subheader][:2] == ["Autoencoder", "VAE"]  # section 6 is unchanged
    at.radio(key="lat_explore").set_value("vae").run()
    assert decoded_image_url(at) == vae_image  # and back
