"""Normalizing flow: an invertible network that carries the data to a standard normal, with an exact density.

Place in the taxonomy: explicit density, tractable. A bijection f from data x to latent z = f(x), with
z ~ N(0, I), gives the density of x exactly by the change of variables:

    log p(x) = log N(f(x) | 0, I) + log |det df/dx|.

Training maximises it directly; sampling runs the inverse, x = f^-1(z). Every piece of f must be invertible
and have a cheap Jacobian determinant. Coupling layers (Dinh et al., 2017, "RealNVP") achieve both: split the
features in two by a mask, leave one part x_a as it is, and transform the other part x_b elementwise with
parameters computed from x_a:

    z_a = x_a,    z_b = g(x_b; theta(x_a)),    log |det| = sum_b log g'(x_b; theta(x_a)).

The Jacobian is triangular, and g is a one-dimensional monotone map, so it can be inverted exactly whatever the
network theta is. Here g is a monotone rational-quadratic spline (Durkan et al., 2019, "Neural Spline Flows"):
K bins on [-B, B] whose widths, heights and knot slopes the network outputs, the identity outside. Splines
with many bins can stretch and squeeze space sharply, which the world map's coastlines need; the older affine
coupling g(x) = x * exp(s) + t (RealNVP) is here as well, for comparison.

Successive couplings alternate which features they transform: for 2-D points one coordinate at a time,
conditioned on the other; for the 8x8 digits a checkerboard, its complement, and the two halves of the image.
For points, the conditioner networks see their inputs lifted by sines and cosines at a few frequencies
(Fourier features, Tancik et al., 2020), so that a coastline can bend quickly; the weights used to evaluate
and sample are an exponential moving average of the trained ones (Polyak averaging).

Every transform follows the `Transform` protocol below: `forward(x) -> (z, logdet)` and
`inverse(z) -> (x, logdet)`, where each logdet is log |det| of that direction's Jacobian, shape (B,).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from gdl.models.neural import NeuralConfig, NeuralModel, mlp, standard_normal_log_prob


@dataclass
class FlowConfig(NeuralConfig):
    lr: float = 2e-3  # Adam learning rate
    batch_size: int = 1024  # observations per training step
    coupling: str = "spline"  # "spline" (rational-quadratic, Neural Spline Flows) or "affine" (RealNVP)
    couplings: int = 4  # coupling layers; successive ones transform alternating halves of the features
    hidden: int = 128  # units per hidden layer of each coupling's conditioner network
    layers: int = 2  # hidden layers per conditioner
    bins: int = 32  # spline bins K on [-bound, bound]
    bound: float = 4.0  # the splines act on [-bound, bound] (model-space units) and are the identity outside
    frequencies: int = 5  # Fourier features of conditioner inputs, sin and cos at (pi/4) 2^0..2^(f-1); 8 was unstable
    frequency_dims: int = 4  # only data with at most this many features gets Fourier features (points, not images)
    ema: float = 0.999  # weights used for log_prob and sampling are this exponential moving average; 0 = off
    weight_decay: float = 0.0  # AdamW's decoupled weight decay (a little smoothing against overfitting)
    clip_grad: float = 5.0  # clip the gradient's norm to this before each step (the shared train_step); 0 = off


# ---- the protocol every transform provides -------------------------------------------------------------
class Transform(nn.Module):
    """An invertible map with a tractable Jacobian determinant.

    forward(x) -> (z, logdet): z = f(x) and log |det df/dx|, shape (B,).
    inverse(z) -> (x, logdet): x = f^-1(z) and log |det df^-1/dz|, shape (B,); at x = f^-1(z) the two cancel.
    """

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def inverse(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError


class Conditioner(nn.Module):
    """The network theta(x_a) inside a coupling: (B, d) masked input -> (B, n_out) parameters.

    Its last layer starts at zero, so that every coupling (spline or affine) starts as the identity."""

    def __init__(self, in_features: int, n_out: int, hidden: int, layers: int, frequencies: int):
        super().__init__()
        self.register_buffer("freqs", (2.0 ** torch.arange(frequencies)) * math.pi / 4, persistent=False)
        width = in_features * (1 + 2 * frequencies)
        self.net = mlp([width] + [hidden] * layers + [n_out])
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, x_a: torch.Tensor) -> torch.Tensor:
        if len(self.freqs):
            angles = x_a[:, :, None] * self.freqs  # (B, a, f)
            x_a = torch.cat([x_a[:, :, None], torch.sin(angles), torch.cos(angles)], dim=2).flatten(1)
        return self.net(x_a)


class Coupling(Transform):
    """A coupling layer: features where `mask` is False condition the elementwise map of those where it is True."""

    params_per_feature = 0

    def __init__(self, mask: torch.Tensor, hidden: int, layers: int, frequencies: int):
        super().__init__()
        mask = torch.as_tensor(mask, dtype=torch.bool)  # (d,) True = transformed
        # index lists rather than boolean masks: indexing by them is cheaper and keeps autograd simple
        self.register_buffer("idx_b", torch.nonzero(mask)[:, 0], persistent=False)  # (d_b,) transformed
        self.register_buffer("idx_a", torch.nonzero(~mask)[:, 0], persistent=False)  # (d_a,) conditioning
        self.conditioner = Conditioner(len(self.idx_a), len(self.idx_b) * self.params_per_feature, hidden, layers,
                                       frequencies)

    def _couple(self, x: torch.Tensor, inverse: bool) -> tuple[torch.Tensor, torch.Tensor]:
        params = self.conditioner(x[:, self.idx_a]).view(len(x), len(self.idx_b), -1)  # (B, d_b, P)
        y_b, logdet = self.elementwise(x[:, self.idx_b], params, inverse)  # (B, d_b), (B, d_b)
        return x.index_copy(1, self.idx_b, y_b), logdet.sum(dim=1)  # x_a passes through unchanged

    def forward(self, x):
        return self._couple(x, inverse=False)

    def inverse(self, z):
        return self._couple(z, inverse=True)

    def elementwise(self, x_b, params, inverse):
        """The 1-D monotone map g and log g' for each transformed feature: (B, d_b) -> (B, d_b), (B, d_b)."""
        raise NotImplementedError


class AffineCoupling(Coupling):
    """RealNVP (Dinh et al., 2017): z_b = x_b * exp(s) + t, with s bounded by tanh for stability."""

    params_per_feature = 2

    def elementwise(self, x_b, params, inverse):
        log_s, t = torch.tanh(params[..., 0]) * 2.0, params[..., 1]  # (B, d_b) each; |log s| <= 2 per layer
        if inverse:
            return (x_b - t) * torch.exp(-log_s), -log_s
        return x_b * torch.exp(log_s) + t, log_s


class SplineCoupling(Coupling):
    """Monotone rational-quadratic spline coupling (Durkan et al., 2019), identity outside [-bound, bound]."""

    min_width = 1e-3  # smallest bin width and height, as a share of 2 * bound
    min_slope = 1e-3  # smallest slope at a knot

    def __init__(self, mask, hidden, layers, frequencies, bins: int, bound: float):
        self.bins, self.bound = bins, bound
        self.params_per_feature = 3 * bins - 1  # K widths, K heights, K - 1 inner knot slopes
        super().__init__(mask, hidden, layers, frequencies)

    def elementwise(self, x_b, params, inverse):
        return rational_quadratic_spline(x_b, params, self.bins, self.bound, inverse, self.min_width, self.min_slope)


def rational_quadratic_spline(x, params, bins, bound, inverse=False, min_width=1e-3, min_slope=1e-3):
    """The monotone rational-quadratic spline of Durkan et al. (2019), elementwise, and log |dy/dx|.

    Args:
        x: (B, n) inputs (outputs of the forward map when inverse=True).
        params: (B, n, 3K - 1) unnormalised bin widths (K), bin heights (K) and inner knot slopes (K - 1).
        bins, bound: K bins on [-bound, bound]; outside it the map is the identity (slope 1 at the ends).
        inverse: evaluate the inverse map instead.
    Returns:
        y (B, n) and the log-derivative of the direction evaluated, (B, n).
    """
    widths, heights, slopes = params[..., :bins], params[..., bins:2 * bins], params[..., 2 * bins:]
    # 1. Bin widths and heights: a softmax, floored, scaled to the interval; knots are their running sums.
    widths = min_width + (1 - min_width * bins) * torch.softmax(widths, dim=-1)
    heights = min_width + (1 - min_width * bins) * torch.softmax(heights, dim=-1)
    knots_x = F.pad(torch.cumsum(widths, dim=-1), (1, 0)) * 2 * bound - bound  # (B, n, K + 1)
    knots_y = F.pad(torch.cumsum(heights, dim=-1), (1, 0)) * 2 * bound - bound
    knots_x[..., -1], knots_y[..., -1] = bound, bound  # exact ends despite rounding
    # 2. Knot slopes: positive, 1 at both ends so that the spline meets the identity tails smoothly.
    #    The shift makes a zero parameter give slope 1, so a zero-initialised network is the identity.
    shift = math.log(math.expm1(1 - min_slope))
    slopes = F.pad(min_slope + F.softplus(slopes + shift), (1, 1), value=1.0)  # (B, n, K + 1)

    inside = (x > -bound) & (x < bound)
    xc = x.clamp(-bound, bound)
    knots = knots_y if inverse else knots_x
    k = (torch.searchsorted(knots.contiguous(), xc[..., None].contiguous(), right=True) - 1).clamp(0, bins - 1)

    def at(t):  # the value of a per-knot tensor at bin k: (B, n)
        return t.gather(-1, k)[..., 0]

    x_k, y_k = at(knots_x), at(knots_y)
    w, h = at(knots_x[..., 1:] - knots_x[..., :-1]), at(knots_y[..., 1:] - knots_y[..., :-1])
    d_k, d_k1 = at(slopes[..., :-1]), at(slopes[..., 1:])
    s = h / w  # the bin's mean slope
    # 3. Eq. (4) of the paper and its inverse, the root of a quadratic (Eqs. 6-8).
    if inverse:
        dy = xc - y_k
        a = h * (s - d_k) + dy * (d_k1 + d_k - 2 * s)
        b = h * d_k - dy * (d_k1 + d_k - 2 * s)
        c = -s * dy
        disc = (b * b - 4 * a * c).clamp_min(0)
        xi = (2 * c / (-b - torch.sqrt(disc))).clamp(0, 1)
        y = x_k + xi * w
    else:
        xi = ((xc - x_k) / w).clamp(0, 1)
        y = y_k + h * (s * xi ** 2 + d_k * xi * (1 - xi)) / (s + (d_k1 + d_k - 2 * s) * xi * (1 - xi))
    one_minus = 1 - xi
    denominator = s + (d_k1 + d_k - 2 * s) * xi * one_minus
    # 4. Eq. (5): the derivative dy/dx of the forward map at this point.
    log_grad = (2 * torch.log(s) + torch.log(d_k1 * xi ** 2 + 2 * s * xi * one_minus + d_k * one_minus ** 2)
                - 2 * torch.log(denominator))
    if inverse:
        log_grad = -log_grad
    return torch.where(inside, y, x), torch.where(inside, log_grad, torch.zeros_like(log_grad))


def coupling_masks(data_shape: tuple[int, ...], count: int) -> list[torch.Tensor]:
    """Which features each coupling transforms (True), cycling so that every feature is transformed in turn.

    Points (d,): alternate even and odd indices (for d = 2: one coordinate, then the other).
    Images (H, W): a checkerboard, its complement, the top half, the bottom half.
    """
    if len(data_shape) >= 2:
        h, w = data_shape[-2], data_shape[-1]
        rows, cols = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
        board = ((rows + cols) % 2 == 0).ravel()
        top = (rows < h // 2).ravel()
        cycle = [board, ~board, top, ~top]
    else:
        parity = np.arange(int(np.prod(data_shape))) % 2 == 1
        cycle = [parity, ~parity]
    return [torch.as_tensor(cycle[i % len(cycle)]) for i in range(count)]


class FlowStack(Transform):
    """A chain of transforms: forward applies them in order and adds their log-determinants."""

    def __init__(self, transforms: list[Transform]):
        super().__init__()
        self.transforms = nn.ModuleList(transforms)

    def forward(self, x):
        logdet = torch.zeros(len(x), device=x.device)
        for t in self.transforms:
            x, ld = t(x)
            logdet = logdet + ld
        return x, logdet

    def inverse(self, z):
        logdet = torch.zeros(len(z), device=z.device)
        for t in reversed(self.transforms):
            z, ld = t.inverse(z)
            logdet = logdet + ld
        return z, logdet


class Flow(NeuralModel):
    """A stack of coupling layers over a standard normal base distribution."""

    name = "flow"
    log_prob_kind = "exact"
    Config = FlowConfig
    dequantize = True

    def _make_stack(self) -> FlowStack:
        c = self.config
        frequencies = c.frequencies if self.dim <= c.frequency_dims else 0
        transforms: list[Transform] = []
        for mask in coupling_masks(self.data_shape_, c.couplings):
            if c.coupling == "spline":
                transforms.append(SplineCoupling(mask, c.hidden, c.layers, frequencies, c.bins, c.bound))
            elif c.coupling == "affine":
                transforms.append(AffineCoupling(mask, c.hidden, c.layers, frequencies))
            else:
                raise ValueError(f"coupling must be 'spline' or 'affine', got {c.coupling!r}")
        return FlowStack(transforms)

    def _build(self, dim: int) -> None:
        self.flow = self._make_stack()
        self.keep_average("flow", "ema_flow", self.config.ema)  # evaluation and sampling use the averaged copy

    # ---- hooks for NeuralModel ------------------------------------------------------------------------
    def loss(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        z, logdet = self.flow(x)  # (B, d), (B,)
        return {"loss": -(standard_normal_log_prob(z) + logdet).mean()}

    def make_optimizers(self):
        return [torch.optim.AdamW(self.flow.parameters(), lr=self.config.lr, weight_decay=self.config.weight_decay,
                                  foreach=True)]

    def _log_prob(self, x: torch.Tensor) -> torch.Tensor:
        z, logdet = self.evaluated()(x)
        return standard_normal_log_prob(z) + logdet  # (B,)

    def _sample(self, n: int, g: torch.Generator) -> torch.Tensor:
        z = torch.randn(n, self.dim, device=self.device_, generator=g)  # (n, d) from the base distribution
        return self.evaluated().inverse(z)[0]

    # ---- data-space views of the bijection, for the pages -----------------------------------------------
    @torch.no_grad()
    def transform(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Carry data X (n, *data_shape) to the latent space.

        Returns:
            Z (n, dim) float32, approximately standard normal for data like the training data, and
            logdet (n,) = log |det dz/dx| in nats per data unit (the standardisation's Jacobian included),
            so that log p(x) = log N(z | 0, I) + logdet.
        """
        self.eval()
        z, logdet = self.evaluated()(self.to_model_space(X))
        return z.cpu().numpy().astype(np.float32), (logdet - self.log_det_scale()).double().cpu().numpy()

    @torch.no_grad()
    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        """Carry latent points Z (n, dim) back to data space: (n, *data_shape) float32."""
        self.eval()
        z = torch.as_tensor(np.asarray(Z, dtype=np.float32).reshape(len(Z), self.dim), device=self.device_)
        return self.from_model_space(self.evaluated().inverse(z)[0])
