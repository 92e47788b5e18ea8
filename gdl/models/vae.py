"""Variational autoencoder (VAE): a latent-variable model trained by maximising a lower bound on log p(x).

Place in the taxonomy: explicit density, approximate. The model is p(x) = integral p(x|z) p(z) dz with a
standard-normal prior p(z) = N(0, I) and a Gaussian decoder p(x|z) = N(x | f(z), diag(sigma^2)). The integral
is intractable, so an encoder q(z|x) = N(mu(x), diag(s(x)^2)) proposes plausible codes and training maximises
the evidence lower bound (Kingma & Welling, "Auto-Encoding Variational Bayes", 2014):

    log p(x) >= ELBO(x) = E_q(z|x)[ log p(x|z) ] - KL( q(z|x) || p(z) )

The first term is the (negative) reconstruction error, the second keeps codes near the prior so that decoding
z ~ N(0, I) gives plausible data. `beta` weights the KL term while training (Higgins et al., "beta-VAE", 2017);
with beta = 1 the training loss is exactly -ELBO. The decoder's variance sigma^2 is learned per feature, so the
ELBO is a real bound on a continuous density, reported (like every family's log_prob) in nats per data unit.
A tighter bound, the importance-weighted estimate (Burda et al., "Importance Weighted Autoencoders", 2016),
is `iwae_log_prob`: log (1/k) sum_k p(x, z_k) / q(z_k|x), which rises towards log p(x) as k grows.

Which direction of the code carries which factor is left almost free by the ELBO: the prior N(0, I) looks the
same after any rotation, and only the diagonal posterior prefers one frame, by a fraction of a nat. So a plain
2-D VAE on the tins often ends up with one dimension for height and one for a mixture. `decorrelation` adds an
optional training penalty that pushes the codes towards independent dimensions (`code_dependence`: DIP-VAE's
covariance term, Kumar et al. 2018, plus fourth-order cross-moments), and then each dimension follows one factor.

This file also holds the parts the plain autoencoder (`gdl.models.ae`) shares: the config of the encoder and
decoder, the network builders, and `LatentModel` (encode, decode, and the decoder's export for JavaScript).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from gdl.models.neural import LOG_2PI, NeuralConfig, NeuralModel, mlp

# The decoder may hold only Linear layers and these elementwise activations, so that `decoder_export` can
# describe it to a few lines of JavaScript.
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU, "silu": nn.SiLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "leaky_relu": nn.LeakyReLU,
}
_ACTIVATION_NAMES = {cls: name for name, cls in ACTIVATIONS.items()}

# Bounds on log-variances (model space) that keep training finite; they do not bind on the shipped data.
MIN_DECODER_LOG_VAR = math.log(1e-4)
ENCODER_LOG_VAR_RANGE = (-12.0, 6.0)


@dataclass
class LatentConfig(NeuralConfig):
    latent_dim: int = 2  # size of the code z (the app uses 2..16)
    hidden: tuple[int, ...] = (256, 128)  # encoder layer widths; the decoder mirrors them
    activation: str = "silu"  # one of ACTIVATIONS, used between Linear layers
    lr: float = 1e-3  # Adam learning rate
    batch_size: int = 128  # observations per training step


@dataclass
class VAEConfig(LatentConfig):
    beta: float = 1.0  # weight of the KL term in the training loss (1: the loss is -ELBO)
    elbo_samples: int = 16  # Monte-Carlo samples of z per observation in log_prob (fixed seed: deterministic)
    decorrelation: float = 0.0  # weight of `code_dependence` in the training loss (0: the plain VAE)
    noise_lr_factor: float = 10.0  # the decoder's log-variance learns this many times faster than the networks


def activation_class(name: str) -> type[nn.Module]:
    """The nn.Module class of activation `name`. Raises ValueError for an unknown name."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]


def build_encoder(dim: int, config: LatentConfig, outputs: int) -> nn.Sequential:
    """An MLP from `dim` features through `config.hidden` to `outputs` numbers: (B, dim) -> (B, outputs)."""
    return mlp([dim, *config.hidden, outputs], activation=activation_class(config.activation))


def build_decoder(dim: int, config: LatentConfig) -> nn.Sequential:
    """An MLP from the code to the decoder mean in model space, (B, latent_dim) -> (B, dim); only Linear
    layers and elementwise activations, so that it can be exported."""
    return mlp([config.latent_dim, *reversed(config.hidden), dim], activation=activation_class(config.activation))


def export_sequential(net: nn.Sequential, out_scale: torch.Tensor, out_shift: torch.Tensor) -> list[dict]:
    """Describe an MLP of Linear layers and elementwise activations as plain arrays, with the affine map
    y -> y * out_scale + out_shift folded into the last Linear layer.

    Returns:
        One dict per Linear layer: {"weight": float32 (out, in), "bias": float32 (out,), "activation": name}
        where name is one of ACTIVATIONS or "identity"; "leaky_relu" layers also carry "negative_slope".
        Applying the layers in order, h = activation(h @ weight.T + bias), reproduces net(z) * scale + shift.
    """
    layers: list[dict] = []
    for module in net:
        if isinstance(module, nn.Linear):
            layers.append({"weight": module.weight.detach().double().cpu().numpy(),
                           "bias": module.bias.detach().double().cpu().numpy(), "activation": "identity"})
        elif type(module) in _ACTIVATION_NAMES and layers and layers[-1]["activation"] == "identity":
            layers[-1]["activation"] = _ACTIVATION_NAMES[type(module)]
            if isinstance(module, nn.LeakyReLU):
                layers[-1]["negative_slope"] = float(module.negative_slope)
        else:
            raise TypeError(f"cannot export layer {module!r}: only Linear layers, each followed by at most one of "
                            f"{sorted(ACTIVATIONS)}")
    if not layers or layers[-1]["activation"] != "identity":
        raise TypeError("the exported network must end with a Linear layer")
    scale = out_scale.detach().double().cpu().numpy()
    shift = out_shift.detach().double().cpu().numpy()
    last = layers[-1]
    last["weight"] = scale[:, None] * last["weight"]  # (out, in): row i scaled by scale[i]
    last["bias"] = scale * last["bias"] + shift
    for layer in layers:
        layer["weight"] = layer["weight"].astype(np.float32)
        layer["bias"] = layer["bias"].astype(np.float32)
    return layers


def apply_exported(layers: list[dict], Z: np.ndarray) -> np.ndarray:
    """Run an exported network (see `export_sequential`) with NumPy: (n, in) -> (n, out), float64. This is
    the reference the JavaScript port follows."""
    h = np.asarray(Z, dtype=np.float64)
    for layer in layers:
        h = h @ layer["weight"].T.astype(np.float64) + layer["bias"].astype(np.float64)
        name = layer["activation"]
        if name == "relu":
            h = np.maximum(h, 0.0)
        elif name == "leaky_relu":
            h = np.where(h >= 0, h, layer.get("negative_slope", 0.01) * h)
        elif name == "silu":
            h = h / (1.0 + np.exp(-h))
        elif name == "sigmoid":
            h = 1.0 / (1.0 + np.exp(-h))
        elif name == "tanh":
            h = np.tanh(h)
        elif name != "identity":
            raise ValueError(f"unknown activation {name!r}")
    return h


class LatentModel(NeuralModel):
    """What the VAE and the plain autoencoder share: an encoder to codes z, a decoder `self.decoder`
    (z -> decoder mean in model space), and the NumPy methods encode, decode, sample and decoder_export.

    Subclasses build `self.encoder` and `self.decoder` and provide `_encode_mean(x)`.
    """

    Config = LatentConfig

    def _encode_mean(self, x: torch.Tensor) -> torch.Tensor:
        """The code of each observation (the posterior mean for a VAE): (B, dim) -> (B, latent_dim)."""
        raise NotImplementedError

    def _check_fitted(self) -> None:
        if self.data_shape_ is None:
            raise RuntimeError(f"{self.name}: fit the model (or load a checkpoint) first")

    def _to_data(self, mean: torch.Tensor) -> np.ndarray:
        """Decoder means in model space (n, dim) -> data (n, *data_shape); images clipped to [0, 1]."""
        out = self.from_model_space(mean)
        return np.clip(out, 0.0, 1.0) if self.is_image else out

    @torch.no_grad()
    def encode(self, X: np.ndarray) -> np.ndarray:
        """Codes of observations X (n, *data_shape): float32 (n, latent_dim) (for a VAE, the posterior means)."""
        self._check_fitted()
        self.eval()
        return self._encode_mean(self.to_model_space(X)).cpu().numpy().astype(np.float32)

    @torch.no_grad()
    def decode(self, Z: np.ndarray) -> np.ndarray:
        """Decoder means of codes Z (n, latent_dim) in data units: float32 (n, *data_shape); images are
        clipped to [0, 1]."""
        self._check_fitted()
        Z = np.asarray(Z, dtype=np.float32)
        if Z.ndim != 2 or Z.shape[1] != self.config.latent_dim:
            raise ValueError(f"expected codes of shape (n, {self.config.latent_dim}), got {Z.shape}")
        self.eval()
        return self._to_data(self.decoder(torch.as_tensor(Z, device=self.device_)))

    @torch.no_grad()
    def sample(self, n, seed=None):
        """n observations: the decoder means of n codes drawn from the family's code distribution (the
        prior for a VAE). Decoder means, not draws from p(x|z), whose pixel noise would only blur the
        picture. Images are clipped to [0, 1]."""
        self._check_fitted()
        self.eval()
        return self._to_data(self._sample(int(n), self.generator(seed)))

    def decoder_export(self) -> list[dict]:
        """The decoder as plain arrays, for the JavaScript port: one dict per Linear layer,
        {"weight": float32 (out, in), "bias": float32 (out,), "activation": "silu" | ... | "identity"}.
        The last layer includes the unscale to data units, so h = activation(h @ weight.T + bias), applied
        in order from z, gives data-space values (pixels before clipping to [0, 1]) flattened to (n, dim)."""
        self._check_fitted()
        return export_sequential(self.decoder, self.scale, self.shift)


class VAE(LatentModel):
    """Variational autoencoder with a Gaussian encoder, a standard-normal prior and a Gaussian decoder
    whose per-feature log-variance is learned. log_prob is the ELBO (a lower bound on log p(x))."""

    name = "vae"
    log_prob_kind = "lower_bound"
    Config = VAEConfig
    dequantize = True  # the ELBO is a bound on a continuous density, so discrete pixels get uniform noise

    def _build(self, dim: int) -> None:
        cfg = self.config
        self.encoder = build_encoder(dim, cfg, 2 * cfg.latent_dim)  # (B, dim) -> (B, 2 * latent): mu, log var
        self.decoder = build_decoder(dim, cfg)  # (B, latent) -> (B, dim): mean of p(x|z)
        self.decoder_log_var = nn.Parameter(torch.zeros(dim))  # log sigma^2 of p(x|z) per feature

    # ---- the distributions ---------------------------------------------------------------------------------
    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """q(z|x): mean and log-variance, each (B, latent_dim), for x (B, dim) in model space."""
        mu, log_var = self.encoder(x).chunk(2, dim=1)  # (B, 2L) -> 2 x (B, L)
        return mu, log_var.clamp(*ENCODER_LOG_VAR_RANGE)

    def _encode_mean(self, x):
        return self.posterior(x)[0]

    @torch.no_grad()
    def encode_distribution(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """q(z|x) for observations X (n, *data_shape): (mean, log-variance), each float32 (n, latent_dim)."""
        self._check_fitted()
        self.eval()
        mu, log_var = self.posterior(self.to_model_space(X))
        return mu.cpu().numpy().astype(np.float32), log_var.cpu().numpy().astype(np.float32)

    def decoder_variance_log(self) -> torch.Tensor:
        """log sigma^2 of p(x|z) per feature in model space: (dim,)."""
        return self.decoder_log_var.clamp(min=MIN_DECODER_LOG_VAR)

    def reconstruction_log_prob(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log p(x|z) = log N(x | decoder(z), diag(sigma^2)) in model space: x (..., dim), z (..., L) -> (...)."""
        mean = self.decoder(z)  # (..., dim)
        log_var = self.decoder_variance_log()  # (dim,)
        return -0.5 * ((x - mean).pow(2) / log_var.exp() + log_var + LOG_2PI).sum(dim=-1)

    @staticmethod
    def kl_to_prior(mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
        """KL(N(mu, diag(exp(log_var))) || N(0, I)) in closed form: (B, L) -> (B,)."""
        return 0.5 * (mu.pow(2) + log_var.exp() - 1.0 - log_var).sum(dim=1)

    # ---- training ------------------------------------------------------------------------------------------
    def make_optimizers(self):
        # Adam moves each parameter by about lr per step; the log-variance must travel several nats (from 0 to
        # about -6 on images), which at the networks' lr would take thousands of steps of slow, uniform loss decline.
        noise = [self.decoder_log_var]
        networks = [p for p in self.parameters() if p is not self.decoder_log_var]
        return [torch.optim.Adam([{"params": networks},
                                  {"params": noise, "lr": self.config.lr * self.config.noise_lr_factor}],
                                 lr=self.config.lr)]

    def loss(self, x):
        """Per-observation means over the batch x (B, dim): "reconstruction" = -E_q log p(x|z) (one
        reparameterised sample), "kl" = KL(q(z|x) || p(z)), "loss" = reconstruction + beta * kl (nats,
        model space), plus decorrelation * code_dependence(mu) when that weight is set (then also reported as
        "decorrelation"). The penalty only shapes training; log_prob stays the ELBO."""
        mu, log_var = self.posterior(x)  # (B, L) each
        z = mu + (0.5 * log_var).exp() * torch.randn_like(mu)  # reparameterisation: (B, L)
        reconstruction = -self.reconstruction_log_prob(x, z).mean()
        kl = self.kl_to_prior(mu, log_var).mean()
        losses = {"loss": reconstruction + self.config.beta * kl, "reconstruction": reconstruction, "kl": kl}
        if self.config.decorrelation > 0:
            losses["decorrelation"] = self.code_dependence(mu)
            losses["loss"] = losses["loss"] + self.config.decorrelation * losses["decorrelation"]
        return losses

    @staticmethod
    def code_dependence(mu: torch.Tensor) -> torch.Tensor:
        """How far a batch of codes mu (B, L) is from independent unit-variance dimensions, a scalar:
        ||Cov[mu] - I||^2 (DIP-VAE-I, Kumar et al. 2018) plus the squared cross-covariances of the squared
        centred codes, Cov[mu_i^2, mu_j^2] for i != j (a fourth-order cross-cumulant, as in ICA). Both vanish for
        independent dimensions. The first undoes shears and duplicated factors; the second undoes rotations,
        which leave the covariance at I but mix non-Gaussian factors (uniform ones, like the tins' sizes)."""
        centred = mu - mu.mean(dim=0)  # (B, L)
        eye = torch.eye(mu.shape[1], device=mu.device)
        covariance = centred.T @ centred / (len(mu) - 1)  # (L, L)
        squares = centred.pow(2) - centred.pow(2).mean(dim=0)  # (B, L)
        square_covariance = squares.T @ squares / (len(mu) - 1)  # (L, L)
        return (covariance - eye).pow(2).sum() + (square_covariance * (1 - eye)).pow(2).sum()

    # ---- sampling and densities ------------------------------------------------------------------------------
    def _sample(self, n, g):
        z = torch.randn(n, self.config.latent_dim, generator=g, device=self.device_)  # z ~ N(0, I): (n, L)
        return self.decoder(z)  # decoder means (n, dim)

    def _elbo(self, x: torch.Tensor, samples: int, g: torch.Generator) -> torch.Tensor:
        """ELBO in model space, (B, dim) -> (B,): the reconstruction term averaged over `samples` draws of z,
        the KL term in closed form. Every observation uses the same standard-normal draws eps (from g), so an
        observation's value does not depend on which others share its batch."""
        eps = torch.randn(samples, 1, self.config.latent_dim, generator=g, device=x.device)  # (S, 1, L)
        out = []
        for xb in x.split(self._chunk(samples)):
            mu, log_var = self.posterior(xb)  # (b, L)
            z = mu + (0.5 * log_var).exp() * eps  # (S, b, L)
            reconstruction = self.reconstruction_log_prob(xb.unsqueeze(0), z).mean(dim=0)  # (S, b) -> (b,)
            out.append(reconstruction - self.kl_to_prior(mu, log_var))
        return torch.cat(out)

    def _chunk(self, samples: int) -> int:
        """Observations per pass when each takes `samples` decoder evaluations: bounds memory to ~16 MB."""
        return max(1, 4_000_000 // (samples * self.dim))

    def _log_prob(self, x):
        return self._elbo(x, self.config.elbo_samples, self.generator(0))

    @torch.no_grad()
    def elbo(self, X: np.ndarray, samples: int | None = None, seed: int = 0) -> np.ndarray:
        """The ELBO of each observation in nats per data unit, shape (n,). `log_prob(X)` is
        `elbo(X, samples=config.elbo_samples, seed=0)`: deterministic for a given model."""
        self._check_fitted()
        self.eval()
        samples = self.config.elbo_samples if samples is None else int(samples)
        out = self._elbo(self.to_model_space(X), samples, self.generator(seed)) - self.log_det_scale()
        return out.double().cpu().numpy()

    @torch.no_grad()
    def iwae_log_prob(self, X: np.ndarray, k: int = 1000, seed: int = 0) -> np.ndarray:
        """Importance-weighted estimate of log p(x) in nats per data unit, shape (n,):
        log (1/k) sum_i p(x|z_i) p(z_i) / q(z_i|x), z_i ~ q(z|x). Its expectation is a lower bound on
        log p(x) that is never below the ELBO's and tightens as k grows."""
        self._check_fitted()
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        self.eval()
        x_all = self.to_model_space(X)  # (n, dim)
        # the same k standard-normal draws for every observation, as in `_elbo`
        eps = torch.randn(k, 1, self.config.latent_dim, generator=self.generator(seed), device=x_all.device)
        log_q = (-0.5 * (eps.pow(2) + LOG_2PI)).sum(dim=-1)  # log q(z|x) without its -sum(log std): (k, 1)
        out = []
        for x in x_all.split(self._chunk(k)):
            mu, log_var = self.posterior(x)  # (b, L)
            z = mu + (0.5 * log_var).exp() * eps  # (k, b, L)
            log_prior = -0.5 * (z.pow(2) + LOG_2PI).sum(dim=-1)  # log p(z): (k, b)
            log_w = (self.reconstruction_log_prob(x.unsqueeze(0), z) + log_prior
                     - (log_q - 0.5 * log_var.sum(dim=1)))  # log p(x|z) + log p(z) - log q(z|x): (k, b)
            out.append(torch.logsumexp(log_w, dim=0) - math.log(k))  # (b,)
        return (torch.cat(out) - self.log_det_scale()).double().cpu().numpy()
