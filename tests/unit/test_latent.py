"""gdl.latent: views of a latent space, walks through it, reading uploaded images, the decoder for the browser,
and the shipped tins VAE's latent dimensions tracking the true factors."""
import base64
import io
import json
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import gdl
from gdl import checkpoints, latent
from gdl.data import tins
from gdl.models.vae import apply_exported

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parents[2]
COMPONENT_JS = ROOT / "gdl" / "ui" / "components" / "latent_plane" / "latent_plane.js"
SHIPPED = [("vae", "tins"), ("ae", "tins"), ("vae", "digits"), ("ae", "digits")]


# ---- numbers about codes ------------------------------------------------------------------------------------------

def test_factor_correlations_recover_known_correlations():
    rng = np.random.default_rng(0)
    height, width = rng.uniform(8, 28, 5000), rng.uniform(8, 28, 5000)
    Z = np.column_stack([-2 * width + 1, height + rng.normal(0, 1e-9, 5000), np.ones(5000)])
    r = latent.factor_correlations(Z, np.column_stack([height, width]))
    assert r.shape == (3, 2)
    np.testing.assert_allclose(r[0], [0, -1], atol=0.05)
    np.testing.assert_allclose(r[1], [1, 0], atol=0.05)
    np.testing.assert_array_equal(r[2], [0, 0])  # a constant dimension correlates with nothing


def test_attribute_vector_points_along_the_direction_the_attribute_grows():
    rng = np.random.default_rng(1)
    direction = np.array([0.6, -0.8, 0.0])
    attribute = rng.uniform(-1, 1, 4000)
    Z = attribute[:, None] * direction + rng.normal(0, 0.05, (4000, 3))
    v = latent.attribute_vector(Z, attribute)
    assert v.dtype == np.float32
    assert np.dot(v, direction) / np.linalg.norm(v) > 0.99
    # top quarter's mean attribute is 0.75, bottom's -0.75: the vector spans 1.5 units of the attribute
    assert np.linalg.norm(v) == pytest.approx(1.5, rel=0.03)
    with pytest.raises(ValueError):
        latent.attribute_vector(Z, attribute, fraction=0.7)


def test_strength_range_carries_a_code_to_the_datas_ends_along_the_vector():
    # codes on a line: positions 0, 1, ..., 100 along v = (2, 0), so the 2% and 98% quantiles sit at 2 and 98
    v = np.array([2.0, 0.0])
    Z = np.column_stack([np.arange(101) * 2.0, np.full(101, 5.0)])  # the other coordinate does not count
    low, high = latent.strength_range(Z, 30, v)
    assert (low, high) == pytest.approx((2 - 30, 98 - 30))
    assert latent.strength_range(Z, 100, v)[1] == 0.0  # past the upper end already: only the way back in
    assert latent.strength_range(Z, 0, v)[0] == 0.0
    assert latent.strength_range(Z, 30, np.zeros(2)) == (0.0, 0.0)


def test_class_directions_are_offsets_from_the_overall_mean():
    Z = np.array([[0.0, 0], [2, 0], [0, 4], [0, 6]])
    d = latent.class_directions(Z, np.array([1, 1, 7, 7]))
    np.testing.assert_allclose(d[1], [1 - 0.5, 0 - 2.5])
    np.testing.assert_allclose(d[7], [0 - 0.5, 5 - 2.5])


def test_interpolation_is_a_straight_line_with_both_ends():
    path = latent.interpolate([0, 0], [2, -4], 5)
    np.testing.assert_allclose(path, [[0, 0], [0.5, -1], [1, -2], [1.5, -3], [2, -4]])
    with pytest.raises(ValueError):
        latent.interpolate([0], [1], 1)


def test_pca_view_round_trips_codes_that_lie_in_its_plane():
    rng = np.random.default_rng(2)
    basis = np.linalg.qr(rng.normal(size=(5, 2)))[0].T  # (2, 5) orthonormal rows
    Z = 3.0 + rng.normal(size=(500, 2)) * [4, 1] @ basis
    view = latent.pca_view(Z)
    np.testing.assert_allclose(view.to_latent(view.to_plane(Z)), Z, atol=1e-4)
    assert view.to_plane(Z)[:, 0].std() > view.to_plane(Z)[:, 1].std()  # most variance first


def test_dims_view_holds_the_other_dimensions_at_the_origin():
    view = latent.dims_view(4, 2, 0, origin=np.array([9.0, 9.0, 9.0, 5.0]))
    z = view.to_latent([[1.5, -2.0]])
    np.testing.assert_allclose(z, [[-2.0, 9.0, 1.5, 5.0]])
    np.testing.assert_allclose(view.to_plane(z), [[1.5, -2.0]])
    assert view.labels == ("z3", "z1")
    with pytest.raises(ValueError):
        latent.dims_view(3, 1, 1)


def test_plane_grid_reads_like_an_image_top_row_is_the_largest_v():
    codes, us, vs = latent.plane_grid(latent.dims_view(2), (-1, 1), (0, 2), 3)
    assert codes.shape == (9, 2)
    np.testing.assert_allclose(codes[:3], [[-1, 2], [0, 2], [1, 2]])  # top row, left to right
    np.testing.assert_allclose(codes[-1], [1, 0])


def test_hole_fraction_is_zero_on_the_codes_and_one_far_away():
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(800, 2))
    assert latent.hole_fraction(Z[:100] + 1e-6, Z) == 0.0
    assert latent.hole_fraction(Z[:100] + 50.0, Z) == 1.0


def test_the_hole_distance_is_the_99th_percentile_of_the_nearest_neighbour_distances():
    """Codes on a regular grid of spacing 0.5 are each 0.5 from their nearest neighbour: so is the threshold; a
    grid of spacing 1 has twice the threshold."""
    grid = np.stack(np.meshgrid(np.arange(20), np.arange(20)), axis=-1).reshape(-1, 2).astype(float)
    assert latent.hole_threshold(grid * 0.5) == pytest.approx(0.5)
    assert latent.hole_threshold(grid) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        latent.hole_threshold(grid[:2])


def test_lists_read_as_words():
    from gdl.ui.widgets import in_words

    assert [in_words(x) for x in (["a"], ["a", "b"], ["a", "b", "c"], (d for d in "xyz"))] == [
        "a", "a and b", "a, b and c", "x, y and z"]


# ---- reading an upload ------------------------------------------------------------------------------------------

def encoded(array: np.ndarray, fmt: str = "PNG", mode: str = "L") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array.astype(np.uint8), mode=mode).save(buffer, format=fmt)
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A valid 1x1 PNG whose header is rewritten to declare width x height pixels (with a correct CRC)."""
    raw = bytearray(encoded(np.zeros((1, 1))))
    ihdr = raw[12:29]  # b"IHDR" + 13 bytes of data
    ihdr[4:12] = struct.pack(">II", width, height)
    raw[12:29] = ihdr
    raw[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)))
    return bytes(raw)


def test_png_and_jpeg_decode_to_grayscale_in_the_unit_interval():
    picture = np.zeros((20, 30), np.uint8)
    picture[5:15, 10:20] = 255
    for fmt in ("PNG", "JPEG"):
        gray = latent.read_image(encoded(picture, fmt))
        assert gray.shape == (20, 30) and gray.dtype == np.float32
        assert gray.min() >= 0 and gray.max() <= 1 and gray[10, 15] > 0.9 and gray[0, 0] < 0.1
    rgba = np.zeros((4, 4, 4), np.uint8)  # fully transparent: lies over white
    assert latent.read_image(encoded(rgba, mode="RGBA")).min() == 1.0


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"hello, this is text, not a picture", "not an image"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not an image|not a readable image"),
])
def test_files_that_are_not_images_get_a_clear_message(data, message):
    with pytest.raises(latent.ImageError, match=message):
        latent.read_image(data)


def test_other_formats_too_large_truncated_and_bomb_files_are_refused():
    gif = io.BytesIO()
    Image.new("L", (4, 4)).save(gif, format="GIF")
    with pytest.raises(latent.ImageError, match="GIF image; upload a PNG or JPEG"):
        latent.read_image(gif.getvalue())
    with pytest.raises(latent.ImageError, match="too large: 6.0 MB"):
        latent.read_image(b"\x00" * (6 * 2**20))
    noisy = encoded(np.random.default_rng(0).integers(0, 256, (64, 64)))
    with pytest.raises(latent.ImageError, match="fail to decode"):
        latent.read_image(noisy[: len(noisy) // 2])
    with pytest.raises(latent.ImageError, match="decompression bomb"):
        latent.read_image(png_declaring(6000, 6000))  # 36 megapixels: over our limit, under Pillow's
    with pytest.raises(latent.ImageError, match="decompression bomb"):
        latent.read_image(png_declaring(100_000, 100_000))  # Pillow itself refuses this one


def test_a_dark_digit_on_paper_is_inverted_cropped_and_centred():
    paper = np.ones((100, 80), np.float32)
    paper[10:60, 50:60] = 0.0  # a thick dark stroke, off centre
    image = latent.to_dataset_image(paper, (8, 8), crop_to_content=True)
    assert image.shape == (8, 8) and image.max() == pytest.approx(1.0)
    assert image[:, 0].max() < 0.05 and image[:, 7].max() < 0.05  # the outer columns stay dark, as in the data
    assert image[:, 3:5].min() > 0.5  # the stroke is bright, centred, and fills the height
    mnist = latent.to_dataset_image(paper, (28, 28), crop_to_content=True, content_box=(20 / 28, 20 / 28))
    assert mnist[:4].max() < 0.05 and mnist[-4:].max() < 0.05  # MNIST's 20x20 box in 28x28
    with pytest.raises(latent.ImageError, match="blank"):
        latent.to_dataset_image(np.ones((10, 10)), (8, 8), crop_to_content=True)


def test_a_big_tin_picture_shrinks_to_the_dataset_tin_keeping_its_size():
    big = np.kron(tins.render(20, 14), np.ones((4, 4), np.float32))  # 128 x 128, the same tin
    small = latent.to_dataset_image(big, (32, 32), crop_to_content=False)
    np.testing.assert_allclose(small, tins.render(20, 14) / tins.render(20, 14).max(), atol=1e-5)


def test_a_drawing_arrives_as_a_data_url_and_damaged_ones_are_refused():
    picture = encoded(np.full((5, 5), 255))
    url = "data:image/png;base64," + base64.b64encode(picture).decode()
    assert latent.data_url_bytes(url) == picture
    assert latent.read_image(latent.data_url_bytes(url)).min() == 1.0
    with pytest.raises(latent.ImageError, match="did not arrive as an image"):
        latent.data_url_bytes("data:text/html;base64,PGgxPg==")
    with pytest.raises(latent.ImageError, match="damaged"):
        latent.data_url_bytes("data:image/png;base64,***")


def test_png_bytes_is_a_png_of_the_enlarged_image():
    data = latent.png_bytes(np.eye(8, dtype=np.float32), scale=4)
    img = Image.open(io.BytesIO(data))
    assert img.format == "PNG" and img.size == (32, 32)
    assert np.asarray(img)[0, 0] == 255 and np.asarray(img)[0, 31] == 0
    uri = latent.png_data_uri(np.eye(8, dtype=np.float32), scale=4)
    assert uri.startswith("data:image/png;base64,") and base64.b64decode(uri.split(",", 1)[1]) == data


# ---- the decoder for the browser -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_vae():
    """An untrained VAE for 8x8 images: its random decoder is as good as any for checking the export."""
    torch.manual_seed(0)
    model = gdl.models.create("vae", latent_dim=3, hidden=(16,)).build((8, 8))
    model.set_data_scale(np.zeros((1, 8, 8), np.float32))
    return model.eval()


def unpack(payload):
    return [{"weight": np.frombuffer(base64.b64decode(layer["weight"]), "<f4").reshape(layer["out"], layer["in"]),
             "bias": np.frombuffer(base64.b64decode(layer["bias"]), "<f4"), "activation": layer["activation"],
             "negative_slope": layer["negative_slope"]} for layer in payload["layers"]]


def test_decoder_payload_carries_the_exported_decoder_exactly(small_vae):
    payload = latent.decoder_payload(small_vae)
    assert payload["shape"] == [8, 8] and payload["latent_dim"] == 3
    json.dumps(payload)  # plain JSON for the component
    Z = np.random.default_rng(0).normal(size=(10, 3)).astype(np.float32)
    out = np.clip(apply_exported(unpack(payload), Z), 0, 1).reshape(10, 8, 8)
    np.testing.assert_allclose(out, small_vae.decode(Z), atol=2e-5)


def run_js_forward(payload: dict, Z: np.ndarray) -> np.ndarray:
    """The component's own `forward`, run by Node on codes Z: (n, H * W)."""
    script = f"""
const src = require('fs').readFileSync({json.dumps(str(COMPONENT_JS))}, 'utf8');
import('data:text/javascript;base64,' + Buffer.from(src).toString('base64')).then((m) => {{
  const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
  const decoder = m.parseDecoder(input.payload);
  const t0 = performance.now();
  const out = input.z.map((z) => Array.from(m.forward(decoder, z)));
  process.stdout.write(JSON.stringify({{out, ms: (performance.now() - t0) / input.z.length}}));
}});
"""
    result = subprocess.run(["node", "-e", script], input=json.dumps({"payload": payload, "z": Z.tolist()}),
                            capture_output=True, text=True, timeout=60, check=True)
    return np.array(json.loads(result.stdout)["out"])


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed (the browser test checks the "
                                                          "same forward pass in Chromium)")
@pytest.mark.parametrize("family, dataset", [("vae", "tins"), ("vae", "digits")])
def test_the_javascript_decoder_matches_torch_on_the_shipped_models(family, dataset):
    model = checkpoints.load_shipped(family, dataset)
    Z = np.random.default_rng(4).normal(size=(12, model.config.latent_dim)).astype(np.float32) * 1.5
    js = run_js_forward(latent.decoder_payload(model), Z)
    torch_out = model.decode(Z).reshape(len(Z), -1)
    assert np.abs(js - torch_out).max() < 1e-4


# ---- the shipped checkpoints ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("family, dataset", SHIPPED)
def test_each_shipped_latent_checkpoint_loads_and_names_its_command(family, dataset):
    model = checkpoints.load_shipped(family, dataset)
    assert model.name == family
    command = model.checkpoint_meta_["command"]
    assert command.startswith(f"python -m gdl train --family {family} --data {dataset}")
    assert command in (ROOT / "assets" / "checkpoints" / "README.md").read_text()


def test_the_shipped_tins_vae_gives_each_latent_dimension_one_true_factor():
    model = checkpoints.load_shipped("vae", "tins")
    X, factors = gdl.data.load("tins", n=1500, seed=7, with_targets=True)  # tins it never saw
    r = np.abs(latent.factor_correlations(model.encode(X), factors))  # (latent_dim, 2)
    assert r.shape == (2, 2)
    tracked = r.argmax(axis=1)
    assert sorted(tracked) == [0, 1]  # one dimension for height, the other for width
    assert r.max(axis=1).min() > 0.8


def test_the_shipped_vae_fills_its_prior_better_than_the_autoencoder_on_tins():
    X = gdl.data.load("tins", n=1000, seed=7)
    holes = {}
    for family in ("vae", "ae"):
        model = checkpoints.load_shipped(family, "tins")
        holes[family] = latent.hole_fraction(latent.prior_codes(model, 1000, seed=0), model.encode(X))
    assert holes["vae"] < holes["ae"]


def test_class_layout_finds_the_separation_and_the_closest_pair():
    rng = np.random.default_rng(0)
    centres = {0: (0, 0), 1: (10, 0), 2: (10, 1.5), 3: (0, 10)}  # 1 and 2 sit close together
    labels = np.repeat(list(centres), 200)
    UV = np.array([centres[c] for c in labels]) + rng.normal(scale=0.5, size=(len(labels), 2))
    share, pair = latent.class_layout(UV, labels)
    assert pair == (1, 2)
    assert 0.9 < share < 1.0  # 1 and 2 overlap a little; 0 and 3 never miss
    mixed, _ = latent.class_layout(rng.normal(size=(800, 2)), labels)  # one cloud, labels at random
    assert mixed < 0.5
    assert latent.class_layout(UV[:5], np.zeros(5)) == (1.0, None)  # one class: no pair to name


def test_the_neighbourhood_sentence_names_the_majority_or_the_two_commonest_labels():
    from gdl.ui.latent import neighbourhood

    assert neighbourhood(np.array([3] * 10 + [5] * 5), digits=True) == (
        "where the 3s lie (10 of its 15 nearest codes are 3s)")  # two thirds: a clear majority
    assert neighbourhood(np.array([3] * 9 + [5] * 6), digits=True) == (
        "between the 3s and the 5s (of its 15 nearest codes, 9 are 3s and 6 are 5s)")
    assert neighbourhood(np.array([5] * 7 + [3] * 7 + [8]), digits=True) == (
        "between the 3s and the 5s (of its 15 nearest codes, 7 are 3s and 7 are 5s)")  # a tie: the smaller first
    assert neighbourhood(np.array([1] * 9 + [8, 9, 7, 6, 5, 4]), digits=True).endswith("9 are 1s and 1 is a 4)")
    assert neighbourhood(np.array([1, 1, 8, 9]), digits=True).endswith("2 are 1s and 1 is an 8)")
    assert neighbourhood(np.array([4] * 15), digits=False) == (
        "where the images of class 4 lie (15 of its 15 nearest codes are images of class 4)")


def test_slider_ranges_hold_the_codes_and_a_vaes_prior():
    """A VAE's sliders cover at least the prior's +-3 and, where its codes spread further (beta = 0 switches the
    pull towards the prior off), the codes too, so that 'the code of image N' is never clipped to the edge."""
    from types import SimpleNamespace

    from gdl.ui.latent import slider_range

    rng = np.random.default_rng(0)
    tight, wide = rng.normal(0, 1, (2000, 2)), rng.normal(0, 1, (2000, 2)) * [1, 8]
    vae, ae = SimpleNamespace(name="vae"), SimpleNamespace(name="ae")
    assert slider_range(vae, tight) == [(-3.0, 3.0)] * 2  # codes like the prior's: its +-3
    (lo1, hi1), (lo2, hi2) = slider_range(vae, wide)
    assert (lo1, hi1) == (-3.0, 3.0)
    assert (lo2, hi2) == (np.quantile(wide[:, 1], 0.005), np.quantile(wide[:, 1], 0.995)) and lo2 < -15 < 15 < hi2
    ae_ranges = np.asarray(slider_range(ae, tight * 0.5))
    assert np.all(ae_ranges[:, 0] > -3) and np.all(ae_ranges[:, 1] < 3)  # nothing to do with a prior
