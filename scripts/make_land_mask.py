"""Derive the compact land-mask asset (assets/land_mask.npz) from the public `global-land-mask` package.

`global-land-mask` (MIT) ships a GLOBE-based mask at 30 arc-seconds (21600 x 43200 cells). Importing it
unpacks about 1 GB, so the app never imports it: this script coarsens it once into a bit-packed grid.

A coarse cell is land when at least half of its fine cells are land, so coastline errors cancel and the land
area A (in degree^2, the unit of p_data's support) stays within 0.5% of the full-resolution value.

Reproduce the shipped asset:
    pip install global-land-mask && python scripts/make_land_mask.py --cell-deg 0.1
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

FINE_CELLS_PER_DEG = 120  # the GLOBE grid: 30 arc-seconds
TOLERANCE = 0.005  # largest relative error in A that we accept


def coarsen(land: np.ndarray, factor: int) -> np.ndarray:
    """Majority vote over factor x factor blocks. `land` rows run north to south."""
    rows, cols = land.shape
    blocks = land.reshape(rows // factor, factor, cols // factor, factor)
    fraction = blocks.mean(axis=(1, 3), dtype=np.float32)
    return fraction >= 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cell-deg", type=float, default=0.1, help="cell size of the asset, in degrees")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "assets" / "land_mask.npz")
    args = parser.parse_args()

    from global_land_mask import globe  # noqa: PLC0415  (only this script may import it)

    land_fine = ~globe._mask  # the package stores True for water; rows from +90 to -90, columns from -180
    fine_cell = 1.0 / FINE_CELLS_PER_DEG
    area_fine = float(land_fine.sum(dtype=np.int64)) * fine_cell**2

    factor = round(args.cell_deg * FINE_CELLS_PER_DEG)
    land = coarsen(land_fine, factor)[::-1]  # store rows south to north, so row i covers latitude -90 + i*cell
    cell = factor * fine_cell
    area = float(land.sum(dtype=np.int64)) * cell**2
    rel = abs(area - area_fine) / area_fine

    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, bits=np.packbits(land, axis=None), shape=np.array(land.shape), cell_deg=np.array(cell))
    print(f"full resolution ({fine_cell:.6f} deg cells): A = {area_fine:,.1f} deg^2")
    print(f"asset resolution ({cell:.3f} deg cells, {land.shape[1]}x{land.shape[0]}): A = {area:,.1f} deg^2")
    print(f"relative difference: {rel:.4%} (tolerance {TOLERANCE:.1%})")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB)")
    if rel > TOLERANCE:
        raise SystemExit("the asset's land area is off by more than the tolerance: choose a finer --cell-deg")


if __name__ == "__main__":
    main()
