"""Plain (deterministic) autoencoder: the VAE's ancestor, shown beside it to explain why the VAE exists.

Place in the taxonomy: not a generative model in its own right. An encoder squeezes x into a code z = e(x) and a
decoder maps it back; training minimises the reconstruction error (Hinton & Salakhutdinov, "Reducing the
Dimensionality of Data with Neural Networks", 2006):

    L = mean || x - d(e(x)) ||^2

Nothing shapes the distribution of the codes, so the autoencoder defines no density (log_prob raises
NotImplementedError) and has no prior to sample from. To draw new images anyway, `sample` fits a Gaussian to the
training codes (per dimension) and decodes draws from it; those draws fall into the holes between the
clusters of codes, which is the point the lab makes with it. The encoder and decoder have the VAE's shapes and
come from `gdl.models.vae`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from gdl.models.vae import LatentConfig, LatentModel, build_decoder, build_encoder


@dataclass
class AutoencoderConfig(LatentConfig):
    """The VAE's encoder and decoder settings (latent_dim, hidden, activation, lr, batch_size); no beta."""


class Autoencoder(LatentModel):
    """Deterministic autoencoder trained on mean squared error; samples by decoding draws from a diagonal
    Gaussian fitted to the training codes (`code_mean`, `code_std`, buffers saved with the checkpoint)."""

    name = "ae"
    log_prob_kind = "none"
    Config = AutoencoderConfig

    def _build(self, dim: int) -> None:
        cfg = self.config
        self.encoder = build_encoder(dim, cfg, cfg.latent_dim)  # (B, dim) -> (B, L)
        self.decoder = build_decoder(dim, cfg)  # (B, L) -> (B, dim)
        self.register_buffer("code_mean", torch.zeros(cfg.latent_dim))  # set from the training codes by fit
        self.register_buffer("code_std", torch.ones(cfg.latent_dim))

    def _encode_mean(self, x):
        return self.encoder(x)

    def loss(self, x):
        """Mean squared error per feature over the batch x (B, dim), in model space: both "reconstruction" and
        "loss" (images in [-1, 1] units, so four times the error in pixel units)."""
        reconstruction = (self.decoder(self.encoder(x)) - x).pow(2).mean()
        return {"loss": reconstruction, "reconstruction": reconstruction}

    def fit(self, X, y=None, **kwargs):
        """Train on X (see `NeuralModel.fit`), then fit the Gaussian over the codes of X that `sample` uses."""
        super().fit(X, y, **kwargs)
        with torch.no_grad():
            codes = self.encode(np.asarray(X, dtype=np.float32)).astype(np.float64)  # (n, L)
            self.code_mean.copy_(torch.as_tensor(codes.mean(axis=0), dtype=torch.float32))
            self.code_std.copy_(torch.as_tensor(np.maximum(codes.std(axis=0), 1e-6), dtype=torch.float32))
        return self

    def _sample(self, n, g):
        eps = torch.randn(n, self.config.latent_dim, generator=g, device=self.device_)  # (n, L)
        return self.decoder(self.code_mean + self.code_std * eps)  # (n, dim)
