"""IDX files: the format of MNIST and Fashion-MNIST (LeCun et al.), raw or gzip-compressed.

An IDX file is a 4-byte magic number, then one big-endian uint32 per dimension, then the values in row-major
order, big-endian:

    magic = 0x00 0x00 <type code> <number of dimensions>
    type codes: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64

`load_idx(path)` reads any IDX file and checks its header against its length, so that a truncated download, a
file of another kind or a wrong path gets a clear `IDXError` instead of garbage. `load_idx_images` turns an
MNIST-style image file (and its optional label file) into the lab's image convention: float32 (n, H, W) in [0, 1].
"""
from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

# IDX type code -> big-endian NumPy dtype
IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}
GZIP_MAGIC = b"\x1f\x8b"
MAX_BYTES = 512 * 1024 * 1024  # the largest uncompressed file we read (MNIST's 60,000 images are 47 MB)
MAX_DIMENSIONS = 8


class IDXError(ValueError):
    """A file that is not a well-formed IDX file (or cannot be read), with a message a person can act on."""


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    if not path.exists():
        raise IDXError(f"no file at {path}")
    if not path.is_file():
        raise IDXError(f"{path} is not a file")
    with open(path, "rb") as f:
        head = f.read(2)
        f.seek(0)
        if head == GZIP_MAGIC:
            try:
                with gzip.GzipFile(fileobj=f) as g:
                    raw = g.read(max_bytes + 1)  # never inflate more than the limit (a gzip bomb stops here)
            except (OSError, EOFError, zlib.error) as err:
                raise IDXError(f"{path.name} looks gzip-compressed but does not decompress: {err}") from None
        else:
            raw = f.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise IDXError(f"{path.name} holds more than {max_bytes / 2**20:.0f} MB of data; that is too large to load")
    return raw


def parse_idx(raw: bytes, name: str = "the file") -> np.ndarray:
    """Parse the bytes of an (uncompressed) IDX file into an array of its shape and native-endian dtype.

    Raises:
        IDXError: the magic number, type code, dimensions or length do not make a valid IDX file.
    """
    if len(raw) < 4:
        raise IDXError(f"{name} is only {len(raw)} bytes long: too short to be an IDX file")
    if raw[0] != 0 or raw[1] != 0:
        raise IDXError(f"{name} is not an IDX file: it must start with two zero bytes, "
                       f"found 0x{raw[0]:02x} 0x{raw[1]:02x}")
    code, ndim = raw[2], raw[3]
    if code not in IDX_TYPES:
        raise IDXError(f"{name} has unknown IDX type code 0x{code:02x}; expected one of "
                       + ", ".join(f"0x{c:02x}" for c in IDX_TYPES))
    if not 1 <= ndim <= MAX_DIMENSIONS:
        raise IDXError(f"{name} declares {ndim} dimensions; an IDX file has 1 to {MAX_DIMENSIONS}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IDXError(f"{name} is cut short inside its header ({len(raw)} of {header} bytes)")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_TYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(raw) - header
    if actual != expected:
        what = "is truncated" if actual < expected else "has extra bytes at the end"
        raise IDXError(f"{name} {what}: its header declares shape {shape} of {dtype.name} "
                       f"({expected:,} bytes of values) but it holds {actual:,}")
    values = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))


def load_idx(path: str | Path, max_bytes: int = MAX_BYTES) -> np.ndarray:
    """Read an IDX file (raw, or gzip-compressed: detected from its first bytes, not its name).

    Returns:
        The array with the file's shape, e.g. uint8 (60000, 28, 28) for MNIST's training images.
    Raises:
        IDXError: no such file, not an IDX file, truncated, or larger than `max_bytes` uncompressed.
    """
    path = Path(path).expanduser()
    return parse_idx(_read_bytes(path, max_bytes), name=path.name)


def load_idx_images(images_path: str | Path, labels_path: str | Path | None = None, limit: int | None = None,
                    max_side: int | None = None, max_bytes: int = MAX_BYTES) -> tuple[np.ndarray, np.ndarray | None]:
    """MNIST-style images (and labels) as the lab's image convention.

    Args:
        images_path: an IDX file of shape (n, H, W) (uint8 0..255, or floats already in [0, 1]).
        labels_path: optional IDX file of shape (n,) with one integer label per image.
        limit: keep only the first `limit` images (and labels).
        max_side: refuse images taller or wider than this (a few kilobytes of gzip can declare huge images).
        max_bytes: refuse files larger than this uncompressed.
    Returns:
        (X float32 (n, H, W) in [0, 1], labels int64 (n,) or None).
    """
    images = load_idx(images_path, max_bytes)
    name = Path(images_path).name
    if images.ndim != 3:
        raise IDXError(f"{name} holds an array of shape {images.shape}; images must be (n, height, width)")
    if images.shape[0] == 0 or min(images.shape[1:]) < 2:
        raise IDXError(f"{name} holds no usable images (shape {images.shape})")
    if images.shape[0] == 1:
        raise IDXError(f"{name} holds a single image; a model needs at least two to learn from")
    if max_side is not None and max(images.shape[1:]) > max_side:
        raise IDXError(f"{name} holds images of {images.shape[1]}×{images.shape[2]} pixels; this page takes images "
                       f"of at most {max_side}×{max_side} (MNIST's are 28×28)")
    if limit is not None:
        images = images[:int(limit)]
    if images.dtype == np.uint8:
        X = images.astype(np.float32) / 255.0
    else:
        X = images.astype(np.float32)
        if not np.isfinite(X).all() or X.min() < 0 or X.max() > 1:
            lo, hi = float(np.nanmin(X)), float(np.nanmax(X))
            X = (X - lo) / (hi - lo) if np.isfinite([lo, hi]).all() and hi > lo else np.zeros_like(X)
    labels = None
    if labels_path is not None and str(labels_path).strip():
        labels = load_idx(labels_path, max_bytes)
        if labels.ndim != 1:
            raise IDXError(f"{Path(labels_path).name} holds shape {labels.shape}; labels must be one number per image")
        if limit is not None:
            labels = labels[:int(limit)]
        if len(labels) != len(X):
            raise IDXError(f"{len(labels):,} labels for {len(X):,} images: the two files do not belong together")
        labels = labels.astype(np.int64)
    return X, labels


def save_idx(array: np.ndarray, path: str | Path, compress: bool | None = None) -> None:
    """Write `array` as an IDX file (gzip when `compress`, or when the name ends in .gz). For tests and tools."""
    array = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("=").str: k for k, v in IDX_TYPES.items()}
    key = array.dtype.newbyteorder("=").str
    if key not in codes:
        raise IDXError(f"IDX cannot hold dtype {array.dtype}")
    code = codes[key]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    raw = header + array.astype(IDX_TYPES[code]).tobytes()
    path = Path(path)
    if compress if compress is not None else path.suffix == ".gz":
        raw = gzip.compress(raw)
    path.write_bytes(raw)
