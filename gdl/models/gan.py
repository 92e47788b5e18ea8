"""Generative adversarial network: a generator learns to fool a discriminator that learns to tell real from fake.

Place in the taxonomy: an *implicit* density. The generator G turns noise z ~ N(0, I) into samples x = G(z),
so the model can sample, but it never writes down p_model(x): `log_prob` raises NotImplementedError.

Paper: Goodfellow et al., "Generative Adversarial Nets" (2014).

The two-player game that matters:

    min_G max_D  E_x~p_data[log D(x)] + E_z~N(0,I)[log(1 - D(G(z)))]

In practice (as in the paper) the generator maximises log D(G(z)) instead of minimising log(1 - D(G(z))):
the "non-saturating" loss, whose gradient does not vanish while D still easily rejects the fakes.
Each training step does one discriminator update, then one generator update, each with its own Adam.

What makes it train fast and stably on the 2-D maps within a minute on a CPU (measured on `world`):
- Random Fourier features in the discriminator (Tancik et al., 2020): D sees [x, sin(2 pi B x), cos(2 pi B x)]
  for a fixed random B, so it can draw sharp coastlines within a few hundred steps; a plain MLP on (lon, lat)
  stays blurry for thousands of steps, and the generator then keeps putting samples in the sea.
- A residual generator for points, G(z) = z[:2] + MLP(z): at the start G is close to the standard Gaussian
  in model space (the data's own mean and spread), so training only has to move mass from sea to land.
- Adam with beta1 = 0.5 (as in DCGAN) for both players, which damps the game's oscillations.
Spectral normalisation of D (Miyato et al., 2018) and the R1 gradient penalty (Mescheder et al., 2018) are
there as options; on the world map both made D too gentle to find the coastlines within a minute.

What to expect: the classic GAN failure, mode dropping. The samples land on land most of the time, but a
short run often covers only some continents (e.g. Eurasia and Africa) and leaves others empty: nothing in
the loss rewards covering every mode, only fooling D where the samples are.

Model space: 2-D points are standardised and the generator's last layer is linear; images are flattened
(8x8 digits -> 64 features) in [-1, 1], and the generator ends in tanh so that its output stays there.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from gdl.models.neural import NeuralConfig, NeuralModel


@dataclass
class GANConfig(NeuralConfig):
    latent_dim: int = 8  # size of the noise vector z the generator starts from
    hidden_g: list[int] = field(default_factory=lambda: [128, 128])  # generator hidden layer widths
    hidden_d: list[int] = field(default_factory=lambda: [128, 128])  # discriminator hidden layer widths
    lr: float = 1e-3  # Adam learning rate of both players, unless lr_g / lr_d below override it
    lr_g: float | None = None  # generator learning rate (None: lr)
    lr_d: float | None = None  # discriminator learning rate (None: lr)
    beta1: float = 0.5  # Adam's first-moment decay; 0.5 (as in DCGAN) damps the game's oscillations
    spectral_norm: bool = False  # spectral normalisation on the discriminator's layers (see the module docstring)
    r1_gamma: float = 0.0  # weight of the R1 gradient penalty gamma/2 * |grad_x D(x_real)|^2 (0: off)
    leak: float = 0.2  # LeakyReLU slope in both networks
    residual: bool = True  # 2-D points only: G(z) = z[:2] + MLP(z), so training starts from a standard Gaussian
    fourier_features: int = 128  # 2-D points only: random Fourier features the discriminator sees (0: raw x only)
    fourier_scale: float = 1.0  # their frequencies' spread, in cycles per standard deviation of the data
    batch_size: int = 256  # observations per training step


class FourierFeatures(nn.Module):
    """x -> [x, sin(2 pi B x), cos(2 pi B x)] with a fixed random B (Tancik et al., 2020): (B, dim) -> (B, dim + 2k).

    A plain MLP on 2-D input learns sharp boundaries (coastlines) slowly; sines of many frequencies let the
    discriminator draw them within a few hundred steps. B is a buffer, so a checkpoint restores it.
    """

    def __init__(self, dim: int, k: int, scale: float):
        super().__init__()
        self.register_buffer("B", torch.randn(dim, k) * scale)  # (dim, k)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        proj = 2 * torch.pi * x @ self.B  # (B, k)
        return torch.cat([x, torch.sin(proj), torch.cos(proj)], dim=1)  # (B, dim + 2k)


def _leaky_mlp(sizes: list[int], leak: float, normalise: bool) -> nn.Sequential:
    """Linear layers of `sizes` with LeakyReLU between them; optionally spectral-normalised."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        linear = nn.Linear(a, b)
        layers.append(spectral_norm(linear) if normalise else linear)
        if i < len(sizes) - 2:
            layers.append(nn.LeakyReLU(leak))
    return nn.Sequential(*layers)


class GAN(NeuralModel):
    """A generator MLP z -> x and a discriminator MLP x -> logit, trained by the non-saturating GAN game."""

    name = "gan"
    log_prob_kind = "none"
    Config = GANConfig

    def _build(self, dim: int) -> None:
        c = self.config
        generator = _leaky_mlp([c.latent_dim, *c.hidden_g, dim], c.leak, normalise=False)
        if self.is_image:
            generator.append(nn.Tanh())  # pixels live in [-1, 1] in model space
        self.generator_net = generator  # (B, latent_dim) -> (B, dim)
        k = c.fourier_features if not self.is_image else 0
        body = _leaky_mlp([dim + 2 * k, *c.hidden_d, 1], c.leak, normalise=c.spectral_norm)
        # (B, dim) -> (B, dim + 2k) -> (B, 1)
        self.discriminator_net = nn.Sequential(FourierFeatures(dim, k, c.fourier_scale), *body) if k else body

    # ---- the two players ----------------------------------------------------------------------------
    def generate(self, z: torch.Tensor) -> torch.Tensor:
        """G(z): noise (B, latent_dim) -> samples (B, dim) in model space."""
        x = self.generator_net(z)  # (B, dim)
        if self.config.residual and not self.is_image and self.config.latent_dim >= self.dim:
            x = x + z[:, : self.dim]
        return x

    def logit(self, x: torch.Tensor) -> torch.Tensor:
        """The discriminator's logit, log D(x) / (1 - D(x)), for model-space x (B, dim) -> (B,)."""
        return self.discriminator_net(x).squeeze(-1)

    def make_optimizers(self) -> list[torch.optim.Optimizer]:
        """[opt_D, opt_G]: one Adam per player, each over its own network's parameters only."""
        c = self.config
        betas = (c.beta1, 0.999)
        lr_d = c.lr if c.lr_d is None else c.lr_d
        lr_g = c.lr if c.lr_g is None else c.lr_g
        return [torch.optim.Adam(self.discriminator_net.parameters(), lr=lr_d, betas=betas),
                torch.optim.Adam(self.generator_net.parameters(), lr=lr_g, betas=betas)]

    def discriminator_step(self, x: torch.Tensor, opt_d: torch.optim.Optimizer) -> dict[str, float]:
        """One update of D on real batch x (B, dim) against as many fresh fakes; G is not touched."""
        with torch.no_grad():
            z = torch.randn(len(x), self.config.latent_dim, device=x.device)  # (B, latent_dim)
            fake = self.generate(z)  # (B, dim)
        gamma = self.config.r1_gamma
        if gamma > 0:
            x = x.detach().requires_grad_(True)
        real_logit, fake_logit = self.logit(x), self.logit(fake)  # (B,), (B,)
        # -[log D(x) + log(1 - D(G(z)))], written with logits for numerical safety
        d_loss = (F.binary_cross_entropy_with_logits(real_logit, torch.ones_like(real_logit))
                  + F.binary_cross_entropy_with_logits(fake_logit, torch.zeros_like(fake_logit)))
        if gamma > 0:  # R1 (Mescheder et al., 2018): keep D flat on the data, so the game settles there
            (grad,) = torch.autograd.grad(real_logit.sum(), x, create_graph=True)  # (B, dim)
            d_loss = d_loss + 0.5 * gamma * grad.pow(2).sum(dim=1).mean()
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        return {"d_loss": float(d_loss.detach()),
                "d_real": float(torch.sigmoid(real_logit).mean().detach()),
                "d_fake": float(torch.sigmoid(fake_logit).mean().detach())}

    def generator_step(self, n: int, opt_g: torch.optim.Optimizer) -> dict[str, float]:
        """One update of G on n fresh fakes with the non-saturating loss -log D(G(z)); D is not touched."""
        self.discriminator_net.requires_grad_(False)  # gradients flow *through* D to G, but D gets none
        try:
            z = torch.randn(n, self.config.latent_dim, device=self.device_)  # (n, latent_dim)
            fake_logit = self.logit(self.generate(z))  # (n,)
            g_loss = F.binary_cross_entropy_with_logits(fake_logit, torch.ones_like(fake_logit))
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            opt_g.step()
        finally:
            self.discriminator_net.requires_grad_(True)
        return {"g_loss": float(g_loss.detach())}

    def train_step(self, x, optimizers, y=None) -> dict[str, float]:
        """One discriminator step, then one generator step. "loss" is the generator's loss."""
        opt_d, opt_g = optimizers
        out = self.discriminator_step(x, opt_d)
        out.update(self.generator_step(len(x), opt_g))
        out["loss"] = out["g_loss"]
        return out

    # ---- sampling and the public extras ---------------------------------------------------------------
    def _sample(self, n: int, g: torch.Generator) -> torch.Tensor:
        z = torch.randn(n, self.config.latent_dim, generator=g, device=self.device_)  # (n, latent_dim)
        return self.generate(z)  # (n, dim)

    @torch.no_grad()
    def discriminate(self, X: np.ndarray) -> np.ndarray:
        """D(x): the discriminator's probability that each data-space observation is real, shape (n,), in (0, 1).

        Args:
            X: observations in data space, (n, 2) points or (n, H, W) images.
        """
        self.eval()
        logit = self.logit(self.to_model_space(X)).double()  # float64, so that D stays inside (0, 1) for longer
        return torch.sigmoid(logit).cpu().numpy()

    @torch.no_grad()
    def decode(self, Z: np.ndarray) -> np.ndarray:
        """G(z) for given latent vectors Z (n, latent_dim): data-shaped samples (for latent walks)."""
        self.eval()
        z = torch.as_tensor(np.asarray(Z, dtype=np.float32).reshape(len(Z), -1), device=self.device_)
        return self.from_model_space(self.generate(z))
