"""gdl: an interactive lab for generative deep learning.

    import gdl
    X = gdl.data.load("world", n=1000, seed=0)     # (n, 2) columns (longitude, latitude)
    m = gdl.models.create("box").fit(X)
    m.sample(500, seed=1); m.log_prob(X)

Heavy modules (torch, scikit-learn) load only when a family that needs them is created.
"""
from gdl import data, device, models  # noqa: F401  (light: no torch at import time)

__all__ = ["data", "device", "models"]
__version__ = "0.1.0"
