"""The world benchmark's measurements beyond the table's own columns."""
import math


def test_the_world_benchmark_gives_the_vae_a_tighter_importance_weighted_bound_and_prints_it():
    """The VAE's row holds its ELBO as the NLL (a bound with slack); the benchmark also measures the
    importance-weighted bound, which can only be tighter on average, and prints it under the table."""
    from gdl import data
    from gdl.bench import _measure_world, table
    from gdl.data import world

    X, X_test = data.load("world", n=2000, seed=0), data.load("world", n=400, seed=5)
    row = _measure_world("vae", X, X_test, world.entropy(), 2, "cpu", 0)
    assert row.nll_kind == "lower_bound" and math.isfinite(row.extra["iwae_nll"])
    assert row.extra["iwae_nll"] < row.nll  # tighter: a smaller upper bound on the NLL
    printed = table([row], "world")
    assert f"≤ {row.extra['iwae_nll']:.4f}" in printed and f"{row.nll - row.extra['iwae_nll']:.4f} nats" in printed
