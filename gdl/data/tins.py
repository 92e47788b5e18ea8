"""Biscuit tins: grayscale 32x32 images generated from exactly two true factors, height and width.

Nothing else varies. The tin stands on a fixed floor line, centred left to right; its lid band, the dark line
under the lid and a vertical highlight are drawn at fixed fractions of its height and width. So the images
form a two-dimensional manifold inside R^1024, and a good two-dimensional latent space should find it.

The picture is a sum of axis-aligned rectangles of constant grey, each rendered with exact box-filter
anti-aliasing (every pixel takes the fraction of its area that the rectangle covers). Edges therefore move
continuously with the factors: a tin 12.3 px wide differs from one 12.4 px wide.
"""
from __future__ import annotations

import numpy as np

IMAGE_SHAPE = (32, 32)
DEFAULT_N = 5_000
FACTOR_NAMES = ("height", "width")
# Height spans a wider range than width on purpose: with equal ranges the two factors are interchangeable, and the
# images' first principal component is overall size (height + width), a direction that a VAE's early training
# tends to lock in. With these ranges the first two principal components follow height and width (|r| 0.93, 0.88).
HEIGHT_RANGE = (8.0, 28.0)  # pixels, drawn uniformly
WIDTH_RANGE = (10.0, 22.0)  # pixels, drawn uniformly
FLOOR = 30.0  # the tin's bottom edge (row coordinate, in pixels from the top): rows 30-31 stay empty
CENTRE = 16.0  # the tin's vertical axis (column coordinate)

# Grey levels: the body, and what the lid, the lid line and the highlight add to it (all in [0, 1] in sum).
BODY = 0.6
LID = +0.35  # the lid band is lighter: 0.95
LID_LINE = -0.3  # the seam under the lid is darker: 0.3
HIGHLIGHT = +0.2  # a vertical glint on the body: 0.8
LID_FRACTION = (0.0, 0.2)  # the lid band, as fractions of the height from the top
LINE_FRACTION = (0.2, 0.26)  # the seam under the lid
HIGHLIGHT_FRACTION = (0.2, 0.35)  # the glint, as fractions of the width from the left (below the seam)


def _coverage(lo: float, hi: float, size: int) -> np.ndarray:
    """The share of each unit pixel [i, i+1), i = 0..size-1, that the interval [lo, hi] covers: (size,)."""
    edges = np.arange(size, dtype=np.float64)
    return np.clip(np.minimum(edges + 1, hi) - np.maximum(edges, lo), 0.0, 1.0)


def _rectangle(top: float, bottom: float, left: float, right: float) -> np.ndarray:
    """An anti-aliased rectangle of value 1: (32, 32). Box filtering is separable for a rectangle."""
    rows, cols = IMAGE_SHAPE
    return np.outer(_coverage(top, bottom, rows), _coverage(left, right, cols))


def render(height: float, width: float) -> np.ndarray:
    """The tin of the given height and width in pixels: float32 (32, 32) in [0, 1].

    The tin spans rows [30 - height, 30] and columns [16 - width/2, 16 + width/2] (pixel i covers [i, i+1)).
    Sizes from 1 to 30 px fit the image; the dataset draws them from `HEIGHT_RANGE` and `WIDTH_RANGE`.
    """
    height, width = float(height), float(width)
    if not (0 < height <= FLOOR and 0 < width <= IMAGE_SHAPE[1]):
        raise ValueError(f"a tin must be 0 < height <= {FLOOR:g} and 0 < width <= {IMAGE_SHAPE[1]} px, "
                         f"got height={height}, width={width}")
    top, left, right = FLOOR - height, CENTRE - width / 2, CENTRE + width / 2

    def band(fractions):  # rows [top + a h, top + b h]
        return top + fractions[0] * height, top + fractions[1] * height

    image = BODY * _rectangle(top, FLOOR, left, right)
    image += LID * _rectangle(*band(LID_FRACTION), left, right)
    image += LID_LINE * _rectangle(*band(LINE_FRACTION), left, right)
    glint_left, glint_right = left + HIGHLIGHT_FRACTION[0] * width, left + HIGHLIGHT_FRACTION[1] * width
    image += HIGHLIGHT * _rectangle(band(LINE_FRACTION)[1], FLOOR, glint_left, glint_right)
    return np.clip(image, 0.0, 1.0).astype(np.float32)  # clip only removes float rounding


def load(n: int | None, seed: int):
    """n tins with height and width drawn independently and uniformly from `HEIGHT_RANGE`, `WIDTH_RANGE`.

    Returns:
        (X float32 (n, 32, 32) in [0, 1], factors float32 (n, 2) = (height, width) in pixels).
    """
    n = DEFAULT_N if n is None else n
    rng = np.random.default_rng(seed)
    factors = np.column_stack([rng.uniform(*HEIGHT_RANGE, size=n),
                               rng.uniform(*WIDTH_RANGE, size=n)]).astype(np.float32)  # (n, 2)
    # rendered from the float32 factors themselves, so that render(*factors[i]) == X[i] exactly
    X = np.stack([render(h, w) for h, w in factors]) if n else np.zeros((0, *IMAGE_SHAPE))
    return X.astype(np.float32), factors
