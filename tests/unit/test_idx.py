"""The IDX loader (MNIST, Fashion-MNIST): files the tests write, raw and gzipped, and every kind of bad file."""
import gzip

import numpy as np
import pytest

from gdl.data.idx import IDXError, load_idx, load_idx_images, parse_idx, save_idx


def mnist_like(n=5, h=28, w=28, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, h, w), dtype=np.uint8), rng.integers(0, 10, size=n).astype(np.uint8)


def idx_bytes(code: int, shape, payload: bytes) -> bytes:
    return bytes([0, 0, code, len(shape)]) + np.asarray(shape, dtype=">u4").tobytes() + payload


@pytest.mark.parametrize("compress", [False, True])
def test_images_and_labels_round_trip_raw_and_gzipped(tmp_path, compress):
    images, labels = mnist_like()
    suffix = ".gz" if compress else ""
    save_idx(images, tmp_path / f"images-idx3-ubyte{suffix}")
    save_idx(labels, tmp_path / f"labels-idx1-ubyte{suffix}")
    np.testing.assert_array_equal(load_idx(tmp_path / f"images-idx3-ubyte{suffix}"), images)
    X, y = load_idx_images(tmp_path / f"images-idx3-ubyte{suffix}", tmp_path / f"labels-idx1-ubyte{suffix}")
    assert X.shape == (5, 28, 28) and X.dtype == np.float32 and 0 <= X.min() and X.max() <= 1
    np.testing.assert_allclose(X * 255, images, atol=1e-4)
    np.testing.assert_array_equal(y, labels)


def test_gzip_is_detected_from_the_bytes_not_the_name(tmp_path):
    images, _ = mnist_like(n=2)
    save_idx(images, tmp_path / "no-suffix", compress=True)
    assert (tmp_path / "no-suffix").read_bytes()[:2] == b"\x1f\x8b"
    np.testing.assert_array_equal(load_idx(tmp_path / "no-suffix"), images)


def test_big_endian_values_of_every_type_are_read_as_written():
    values = np.array([[1.5, -2.25], [3.0, 1e-3]], dtype=np.float32)
    assert np.array_equal(parse_idx(idx_bytes(0x0D, (2, 2), values.astype(">f4").tobytes())), values)
    ints = np.array([1, -2, 70000], dtype=np.int32)
    assert np.array_equal(parse_idx(idx_bytes(0x0C, (3,), ints.astype(">i4").tobytes())), ints)
    shorts = np.array([-300, 300], dtype=np.int16)
    assert np.array_equal(parse_idx(idx_bytes(0x0B, (2,), shorts.astype(">i2").tobytes())), shorts)


@pytest.mark.parametrize("raw, message", [
    (b"\x00\x00", "too short"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "must start with two zero bytes"),
    (bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 5]), "unknown IDX type code 0x07"),
    (bytes([0, 0, 0x08, 0]), "declares 0 dimensions"),
    (bytes([0, 0, 0x08, 3, 0, 0, 0, 2]), "cut short inside its header"),
    (idx_bytes(0x08, (2, 3, 3), bytes(17)), "is truncated"),
    (idx_bytes(0x08, (2, 3, 3), bytes(19)), "has extra bytes"),
])
def test_bad_headers_get_a_clear_message(raw, message):
    with pytest.raises(IDXError, match=message):
        parse_idx(raw)


def test_missing_file_corrupt_gzip_and_oversize_files_are_refused(tmp_path):
    with pytest.raises(IDXError, match="no file at"):
        load_idx(tmp_path / "nothing-here")
    with pytest.raises(IDXError, match="is not a file"):
        load_idx(tmp_path)
    (tmp_path / "broken.gz").write_bytes(gzip.compress(idx_bytes(0x08, (4,), bytes(4)))[:-6])
    with pytest.raises(IDXError, match="does not decompress"):
        load_idx(tmp_path / "broken.gz")
    # a small gzip that inflates past the limit stops at the limit instead of filling memory
    (tmp_path / "bomb.gz").write_bytes(gzip.compress(idx_bytes(0x08, (100_000,), bytes(100_000))))
    with pytest.raises(IDXError, match="too large"):
        load_idx(tmp_path / "bomb.gz", max_bytes=10_000)


def test_image_files_must_be_three_dimensional_and_labels_must_match(tmp_path):
    images, labels = mnist_like(n=4, h=6, w=5)
    save_idx(images.reshape(4, 30), tmp_path / "flat")
    with pytest.raises(IDXError, match="must be \\(n, height, width\\)"):
        load_idx_images(tmp_path / "flat")
    save_idx(images, tmp_path / "images")
    save_idx(labels[:3], tmp_path / "labels")
    with pytest.raises(IDXError, match="3 labels for 4 images"):
        load_idx_images(tmp_path / "images", tmp_path / "labels")
    X, y = load_idx_images(tmp_path / "images", limit=2)
    assert X.shape == (2, 6, 5) and y is None
    save_idx(images[:1], tmp_path / "one")  # refused when read, not later when a training fails on it
    with pytest.raises(IDXError, match="a single image; a model needs at least two"):
        load_idx_images(tmp_path / "one")


def test_an_upload_is_kept_once_per_content_under_a_safe_version_of_its_name(tmp_path):
    import os
    import time

    from gdl.ui.latent import UPLOAD_KEEP_SECONDS, stash_upload

    a = stash_upload("train-images-idx3-ubyte.gz", b"abc", folder=tmp_path)
    assert a == stash_upload("train-images-idx3-ubyte.gz", b"abc", folder=tmp_path)  # thirty students, one copy
    assert open(a, "rb").read() == b"abc" and a.endswith("/train-images-idx3-ubyte.gz")
    b = stash_upload("../../etc/pass wd", b"other", folder=tmp_path)
    assert os.path.dirname(os.path.dirname(b)) == str(tmp_path) and b.endswith("/pass_wd")  # no way out of it
    assert stash_upload("...", b"x", folder=tmp_path).endswith("/upload")
    stale = time.time() - UPLOAD_KEEP_SECONDS - 60
    os.utime(os.path.dirname(a), (stale, stale))
    stash_upload("new", b"new", folder=tmp_path)  # any upload clears what nobody has used for a day
    assert not os.path.exists(a) and os.path.exists(b)


def test_images_too_large_for_the_page_are_refused_before_they_fill_memory(tmp_path):
    import gzip

    save_idx(np.zeros((10, 2000, 2000), dtype=np.uint8), tmp_path / "huge-idx3-ubyte.gz")
    assert len(gzip.compress(b"")) < (tmp_path / "huge-idx3-ubyte.gz").stat().st_size < 200_000  # tiny to upload
    with pytest.raises(IDXError, match="2000×2000 pixels; this page takes images of at most 64×64"):
        load_idx_images(tmp_path / "huge-idx3-ubyte.gz", max_side=64)
    with pytest.raises(IDXError, match="more than 1 MB"):
        load_idx_images(tmp_path / "huge-idx3-ubyte.gz", max_bytes=2**20)
