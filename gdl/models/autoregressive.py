"""Autoregressive model: MADE, a masked autoencoder for distribution estimation (Germain et al., 2015).

Place in the taxonomy: explicit density, tractable. The chain rule of probability factorises any density
exactly over a fixed ordering of the features,

    log p(x) = sum_i log p(x_i | x_1, ..., x_{i-1}),

and one network gives every conditional at once: a multilayer perceptron whose weight matrices are multiplied
by binary masks, so that the outputs for feature i only ever see features before i. Training is plain maximum
likelihood in a single pass; sampling takes d passes, drawing one feature at a time.

Each conditional p(x_i | x_<i) is a mixture of K components whose weights, centres and widths the network
outputs. A mixture is what makes the model sharp: for the world map, p(latitude | longitude) must switch on
and off at every coastline the meridian crosses. The components are logistics or Gaussians (the usual choice,
as in PixelCNN++), or, by default, "boxes": a uniform on [c - w/2, c + w/2] convolved with a logistic of
scale s, whose density is exactly

    p(x) = [sigmoid((x - c + w/2) / s) - sigmoid((x - c - w/2) / s)] / w,

flat inside and with edges as sharp as s. A box of width w -> 0 is a logistic, so boxes only add to what a
logistic mixture can say; for land, which is uniform with sharp coasts, a few boxes per meridian do the work
of many bumps (held-out NLL on the world map 10.18 against 10.21 for 40 logistics, both after 2,000 steps).

The inputs are also lifted by sine and cosine features at several frequencies (Fourier features, Tancik et
al., 2020), so that the network can follow conditionals that change quickly with the features before them;
each lifted feature keeps its place in the ordering, so the masks stay valid. The weights used to evaluate and
sample are an exponential moving average of the trained ones (Polyak averaging), which does the work of a
decaying learning rate without knowing the budget.

For the 8x8 digits the 64 pixels are taken in raster order and dequantised (uniform noise of one grey level),
so that a continuous density on pixels is a fair likelihood.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from gdl.models.neural import NeuralConfig, NeuralModel


@dataclass
class AutoregressiveConfig(NeuralConfig):
    lr: float = 3e-3  # Adam learning rate
    batch_size: int = 1024  # observations per training step
    hidden: int = 128  # units per hidden layer of the masked network
    layers: int = 2  # hidden layers
    components: int = 40  # mixture components per conditional p(x_i | x_<i)
    mixture: str = "box"  # component shape: "box" (a uniform with logistic edges), "logistic" or "gaussian"
    frequencies: int = 6  # Fourier features per input: sin and cos at (pi/4) 2^0 .. 2^(f-1); 0 = raw values only
    frequency_dims: int = 4  # only data with at most this many features gets Fourier features (points, not images)
    min_log_scale: float = -7.0  # floor on a component's log width, in model-space units (keeps densities finite)
    max_log_scale: float = 3.0  # ceiling on it: far wider than the data (spread about 1), and sampling cannot run away
    ema: float = 0.999  # weights used for log_prob and sampling are this exponential moving average; 0 = off
    weight_decay: float = 0.0  # AdamW's decoupled weight decay (a little smoothing against overfitting)


def _soft_ceiling(log_width: torch.Tensor, ceiling: float) -> torch.Tensor:
    """Bound a log width above by `ceiling`: the identity up to ceiling - 1, then a tanh that bends smoothly to it.

    Why a ceiling: ancestral sampling feeds each drawn x_i to the later conditionals. A draw from a component's
    tail lands outside the data, where the network extrapolates (linearly, with SiLU) to a larger log width, so
    the next draw lands further out: the widths grow like exp(exp(...)) along the features, and within a few
    dozen of the 64 pixels of a half-trained digits model float32 overflows and the mixture weights turn NaN.
    No component ever needs to be much wider than the data (spread about 1 in model space; the default ceiling
    e^3 is 20 spreads), so a ceiling costs nothing in likelihood, and it keeps every draw finite. Below the knee
    it changes nothing, gradients included: training on the world map never reaches it.
    """
    knee = ceiling - 1.0
    return torch.where(log_width < knee, log_width, knee + torch.tanh(log_width - knee))


class MaskedLinear(nn.Linear):
    """A linear layer whose weight is multiplied by a fixed binary mask (out_features, in_features)."""

    def __init__(self, in_features: int, out_features: int, mask: torch.Tensor):
        super().__init__(in_features, out_features)
        self.register_buffer("mask", mask.float(), persistent=False)  # rebuilt from the config, not stored

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.mask, self.bias)


class MADE(nn.Module):
    """A masked MLP: output block i depends only on inputs with degree < i (Germain et al., 2015, Sec. 4).

    Degrees: input feature j (0-based) has degree j + 1; its Fourier features share that degree. Hidden units get
    degrees 1 .. d-1 in turn (deterministic, so a checkpoint needs no masks). A hidden unit of degree m sees inputs of
    degree <= m; the outputs of feature i (degree i + 1) see hidden units of degree <= i, i.e. only features < i.
    """

    def __init__(self, dim: int, hidden: int, layers: int, outputs_per_feature: int, frequencies: int):
        super().__init__()
        self.dim, self.per_feature, self.frequencies = dim, outputs_per_feature, frequencies
        width_per_feature = 1 + 2 * frequencies  # the value itself, then sin and cos at each frequency
        in_degrees = torch.arange(1, dim + 1).repeat_interleave(width_per_feature)  # (dim * width,)
        hidden_degrees = [torch.arange(hidden) % max(dim - 1, 1) + 1 for _ in range(layers)]
        out_degrees = torch.arange(1, dim + 1).repeat_interleave(outputs_per_feature)  # (dim * P,)
        self.register_buffer("freqs", (2.0 ** torch.arange(frequencies)) * math.pi / 4, persistent=False)

        blocks: list[nn.Module] = []
        previous = in_degrees
        for degrees in hidden_degrees:
            mask = degrees[:, None] >= previous[None, :]  # (hidden, previous)
            blocks += [MaskedLinear(len(previous), hidden, mask), nn.SiLU()]
            previous = degrees
        mask = out_degrees[:, None] > previous[None, :]  # strict: feature i never sees itself
        self.net = nn.Sequential(*blocks, MaskedLinear(len(previous), len(out_degrees), mask))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """(B, d) -> (B, d * (1 + 2f)): each feature followed by its own sines and cosines."""
        if self.frequencies == 0:
            return x
        angles = x[:, :, None] * self.freqs  # (B, d, f)
        return torch.cat([x[:, :, None], torch.sin(angles), torch.cos(angles)], dim=2).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, d) -> (B, d, P): the parameters of every conditional p(x_i | x_<i)."""
        return self.net(self.embed(x)).view(len(x), self.dim, self.per_feature)


class Autoregressive(NeuralModel):
    """MADE with a mixture of K boxes, logistics or Gaussians for every conditional p(x_i | x_<i)."""

    name = "autoregressive"
    log_prob_kind = "exact"
    Config = AutoregressiveConfig
    dequantize = True

    def _build(self, dim: int) -> None:
        c = self.config
        if c.mixture not in ("logistic", "gaussian", "box"):
            raise ValueError(f"mixture must be 'logistic', 'gaussian' or 'box', got {c.mixture!r}")
        frequencies = c.frequencies if dim <= c.frequency_dims else 0
        self.made = MADE(dim, c.hidden, c.layers, self._params_per_component * c.components, frequencies)
        self.keep_average("made", "ema_made", c.ema)  # evaluation and sampling use the averaged copy

    # ---- the mixture conditionals ---------------------------------------------------------------------
    @property
    def _params_per_component(self) -> int:
        return 4 if self.config.mixture == "box" else 3  # logit, centre, log width (and log box width)

    def _mixture(self, params: torch.Tensor) -> dict[str, torch.Tensor]:
        """(..., P K) -> the mixture's log weights, centres, log widths (and log box widths), each (..., K)."""
        parts = params.unflatten(-1, (self._params_per_component, self.config.components)).unbind(-2)
        floor, ceiling = self.config.min_log_scale, self.config.max_log_scale
        mixture = {"log_w": F.log_softmax(parts[0], dim=-1), "loc": parts[1],
                   "log_scale": _soft_ceiling(floor + F.softplus(parts[2] - floor), ceiling)}
        if self.config.mixture == "box":
            mixture["log_width"] = _soft_ceiling(floor + F.softplus(parts[3] - floor), ceiling)
        return mixture

    def _component_log_prob(self, x: torch.Tensor, m: dict[str, torch.Tensor]) -> torch.Tensor:
        """log density of each component at x: (..., 1) against parameters (..., K) -> (..., K)."""
        inv_scale = torch.exp(-m["log_scale"])
        u = (x - m["loc"]) * inv_scale
        if self.config.mixture == "gaussian":
            return -0.5 * (u * u + math.log(2 * math.pi)) - m["log_scale"]
        if self.config.mixture == "logistic":
            return -u - 2 * F.softplus(-u) - m["log_scale"]  # log [e^-u / (s (1 + e^-u)^2)]
        # box: [sigma((x - a)/s) - sigma((x - b)/s)] / w for the box [a, b] = [loc - w/2, loc + w/2], written
        # as log sigma(u_a) + log sigma(-u_b) + log(1 - e^-(w/s)) - log w so that it never cancels digits.
        width = torch.exp(m["log_width"])
        half = 0.5 * width * inv_scale
        d = width * inv_scale  # u_a - u_b > 0
        log1mexp = torch.where(d < math.log(2), torch.log(-torch.expm1(-d)), torch.log1p(-torch.exp(-d)))
        return F.logsigmoid(u + half) + F.logsigmoid(half - u) + log1mexp - m["log_width"]

    def _conditional_log_probs(self, made: MADE, x: torch.Tensor) -> torch.Tensor:
        """(B, d) -> (B, d): log p(x_i | x_<i) for every feature."""
        mixture = self._mixture(made(x))  # each (B, d, K)
        return torch.logsumexp(mixture["log_w"] + self._component_log_prob(x[:, :, None], mixture), dim=-1)

    # ---- hooks for NeuralModel ------------------------------------------------------------------------
    def loss(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        nll = -self._conditional_log_probs(self.made, x).sum(dim=1).mean()  # nats per observation, model space
        return {"loss": nll}

    def make_optimizers(self):
        return [torch.optim.AdamW(self.made.parameters(), lr=self.config.lr, weight_decay=self.config.weight_decay,
                                  foreach=True)]

    def _log_prob(self, x: torch.Tensor) -> torch.Tensor:
        return self._conditional_log_probs(self.evaluated(), x).sum(dim=1)  # (B,)

    def _sample(self, n: int, g: torch.Generator) -> torch.Tensor:
        """Ancestral sampling: pass i draws x_i from p(x_i | x_<i); later features are ignored by the masks."""
        made = self.evaluated()
        x = torch.zeros(n, self.dim, device=self.device_)  # (n, d)
        for i in range(self.dim):
            mixture = self._mixture(made(x)[:, i])  # each (n, K)
            k = torch.multinomial(mixture["log_w"].exp(), 1, generator=g)  # (n, 1): which component
            pick = {name: value.gather(1, k)[:, 0] for name, value in mixture.items()}  # each (n,)
            u = torch.rand(n, device=x.device, generator=g).clamp(1e-6, 1 - 1e-6)
            if self.config.mixture == "gaussian":
                noise = math.sqrt(2) * torch.erfinv(2 * u - 1)  # the Gaussian's inverse CDF
            else:
                noise = torch.log(u) - torch.log1p(-u)  # the logistic's inverse CDF
            x[:, i] = pick["loc"] + pick["log_scale"].exp() * noise
            if self.config.mixture == "box":  # a box is a uniform plus logistic noise: add the uniform part
                x[:, i] += pick["log_width"].exp() * (torch.rand(n, device=x.device, generator=g) - 0.5)
        return x
