"""p_data for the Hello World example: uniform over the Earth's land mass in (longitude, latitude) degrees.

The land is a 0.1-degree grid derived from the GLOBE-based mask in the `global-land-mask` package
(see scripts/make_land_mask.py). Density is uniform *in degrees*, as on the book's flat map, so
p_data(x) = 1/A on land and 0 at sea, where A is the land area in degree^2, and the entropy is log A:
no model can have a lower expected held-out negative log-likelihood.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

ASSET = Path(__file__).resolve().parents[2] / "assets" / "land_mask.npz"
LON_RANGE = (-180.0, 180.0)
LAT_RANGE = (-90.0, 90.0)
# The book's two check points, typed in its order (latitude, longitude).
NEW_YORK = (40.7306, -73.9352)
PACIFIC = (11.3493, 142.1996)


@lru_cache(maxsize=1)
def mask() -> tuple[np.ndarray, float]:
    """The land grid (rows south to north, columns west to east; True = land) and its cell size in degrees."""
    with np.load(ASSET) as f:
        shape = tuple(int(s) for s in f["shape"])
        land = np.unpackbits(f["bits"], count=shape[0] * shape[1]).reshape(shape).astype(bool)
        cell = float(f["cell_deg"])
    land.setflags(write=False)
    return land, cell


@lru_cache(maxsize=1)
def _land_cells() -> np.ndarray:
    """Flat indices of the land cells, for sampling."""
    land, _ = mask()
    return np.flatnonzero(land.ravel())


def area() -> float:
    """A: the land area in degree^2 (the size of p_data's support)."""
    land, cell = mask()
    return float(land.sum()) * cell * cell


def entropy() -> float:
    """H(p_data) = log A nats: the floor under every model's expected held-out NLL."""
    return float(np.log(area()))


def _cell_index(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, column and inside-the-rectangle flag for each (longitude, latitude) row of X."""
    land, cell = mask()
    X = np.asarray(X, dtype=np.float64).reshape(-1, 2)
    lon, lat = X[:, 0], X[:, 1]
    inside = (lon >= LON_RANGE[0]) & (lon <= LON_RANGE[1]) & (lat >= LAT_RANGE[0]) & (lat <= LAT_RANGE[1])
    inside &= np.isfinite(lon) & np.isfinite(lat)
    col = np.clip(np.floor((np.nan_to_num(lon) - LON_RANGE[0]) / cell), 0, land.shape[1] - 1).astype(np.int64)
    row = np.clip(np.floor((np.nan_to_num(lat) - LAT_RANGE[0]) / cell), 0, land.shape[0] - 1).astype(np.int64)
    return row, col, inside


def is_land(X: np.ndarray) -> np.ndarray:
    """Boolean (n,): whether each (longitude, latitude) row of X lies on land."""
    land, _ = mask()
    row, col, inside = _cell_index(X)
    return inside & land[row, col]


def log_prob(X: np.ndarray) -> np.ndarray:
    """Exact log p_data(x) in nats per degree^2: -log A on land, -inf at sea or off the map. Shape (n,)."""
    return np.where(is_land(X), -np.log(area()), -np.inf)


def sample(n: int, seed: int = 0) -> np.ndarray:
    """n points uniform over land, float32 (n, 2) columns (longitude, latitude).

    Every cell has the same area in degree^2, so picking a land cell uniformly and then a point uniformly
    inside it is exactly uniform over the land.
    """
    land, cell = mask()
    rng = np.random.default_rng(seed)
    cells = rng.choice(_land_cells(), size=n)
    row, col = np.divmod(cells, land.shape[1])
    lon = LON_RANGE[0] + (col + rng.random(n)) * cell
    lat = LAT_RANGE[0] + (row + rng.random(n)) * cell
    return np.column_stack([lon, lat]).astype(np.float32)


def load(n: int | None, seed: int):
    """The registry's entry point: (X, None). Default n = 10,000."""
    return sample(10_000 if n is None else n, seed), None


def from_lat_lon(lat: float, lon: float) -> np.ndarray:
    """A point typed in the book's order (latitude, longitude) as an API row (longitude, latitude)."""
    return np.array([[lon, lat]], dtype=np.float32)


def validate_lat_lon(lat: float, lon: float) -> str | None:
    """A message for a typed point that is off the map, or None when it is valid."""
    if np.isnan(lat) or np.isnan(lon):
        return "Latitude and longitude must be numbers (you typed nan)."
    if not (np.isfinite(lat) and np.isfinite(lon)):  # inf, or a number too large to hold, such as 1e400
        return ("Latitude must lie between -90 and 90 degrees and longitude between -180 and 180 (you typed a "
                "number too large for either).")
    if not -90 <= lat <= 90:
        return f"Latitude must lie between -90 and 90 degrees (you typed {lat:g})."
    if not -180 <= lon <= 180:
        return f"Longitude must lie between -180 and 180 degrees (you typed {lon:g})."
    return None


def parse_lat_lon(text: str) -> tuple[float, float]:
    """Parse a point typed in the book's order, "latitude, longitude" (e.g. "40.7306, -73.9352").

    Raises ValueError with a message meant for the user when the text is not two numbers on the map.
    """
    text = str(text)[:200].strip()
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
    if len(parts) != 2:
        decimal_commas = len(parts) == 4 and all(p.lstrip("+-").isdigit() for p in parts)  # "40,7, -73,9"
        raise ValueError("Type two numbers separated by a comma: latitude, longitude (e.g. 40.7306, -73.9352)."
                         + (" Write decimals with a point, not a comma." if decimal_commas else ""))
    try:
        lat, lon = (float(p) for p in parts)
    except ValueError:
        raise ValueError(f"“{text[:40]}” is not two numbers: type latitude, longitude (e.g. 40.7306, -73.9352).") from None
    message = validate_lat_lon(lat, lon)
    if message:
        raise ValueError(message)
    return lat, lon
