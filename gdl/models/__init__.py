"""Every family of generative model by name, behind one interface (see `gdl.models.base.GenerativeModel`).

    m = gdl.models.create("box")          # keyword arguments override the family's config
    m.fit(X); m.sample(500, seed=1); m.log_prob(X); m.log_prob_kind

Families load lazily, so `import gdl` stays light and the classical ones never import torch.
"""
from __future__ import annotations

import importlib

from gdl.models.base import GenerativeModel  # noqa: F401

# family name -> (module, class)
_REGISTRY: dict[str, tuple[str, str]] = {
    "box": ("gdl.models.box", "UniformBox"),
    "gaussian": ("gdl.models.gaussian", "Gaussian"),
    "gmm": ("gdl.models.gmm", "GaussianMixture"),
    "kde": ("gdl.models.kde", "KernelDensity"),
    "histogram": ("gdl.models.histogram", "Histogram"),
    "vae": ("gdl.models.vae", "VAE"),
    "ae": ("gdl.models.ae", "Autoencoder"),
    "gan": ("gdl.models.gan", "GAN"),
    "ebm": ("gdl.models.ebm", "EBM"),
    "diffusion": ("gdl.models.diffusion", "Diffusion"),
    "autoregressive": ("gdl.models.autoregressive", "Autoregressive"),
    "flow": ("gdl.models.flow", "Flow"),
}

CLASSICAL = ("box", "gaussian", "gmm", "kde", "histogram")
NEURAL = ("vae", "gan", "ebm", "diffusion", "autoregressive", "flow")  # the book's six families
FAMILIES = CLASSICAL + NEURAL + ("ae",)

# The book's taxonomy of the six neural families.
TAXONOMY = {
    "Explicit density, tractable": ("autoregressive", "flow"),
    "Explicit density, approximate": ("vae", "ebm", "diffusion"),
    "Implicit density": ("gan",),
}

DISPLAY_NAMES = {
    "box": "Uniform box", "gaussian": "Gaussian", "gmm": "Gaussian mixture", "kde": "Kernel density",
    "histogram": "Histogram", "vae": "VAE", "ae": "Autoencoder", "gan": "GAN", "ebm": "Energy-based",
    "diffusion": "Diffusion", "autoregressive": "Autoregressive", "flow": "Normalizing flow",
}


def model_class(name: str) -> type:
    """The class that implements family `name`. Raises ValueError for an unknown name."""
    if name not in _REGISTRY:
        raise ValueError(f"unknown model family {name!r}; choose one of {sorted(_REGISTRY)}")
    module, cls = _REGISTRY[name]
    return getattr(importlib.import_module(module), cls)


def create(name: str, **config) -> GenerativeModel:
    """A new, unfitted model of family `name`; keyword arguments override fields of its config."""
    return model_class(name)(**config)
