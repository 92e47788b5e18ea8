"""The shared base of the neural families: data standardisation, device handling, NumPy at the boundary.

A family subclasses `NeuralModel` and provides:
    Config             a dataclass subclassing `NeuralConfig` (every field a default and a comment)
    _build(dim)        create its networks for flattened data of `dim` features
    loss(x)            dict of scalar tensors for a batch x (B, dim) in model space; "loss" is what is minimised
    _sample(n, g)      (n, dim) samples in model space, using torch.Generator g
    _log_prob(x)       (B,) log density in model space (only where the family has one)
and may override `train_step` (e.g. the GAN's two-player step) and `make_optimizers`. A family that evaluates
with averaged weights makes the copy with `keep_average(...)` in `_build` and evaluates with `evaluated()`;
the shared `train_step` then keeps the average up to date (and clips the gradient when the config has a
`clip_grad` field above 0).

Model space: 2-D points are standardised per coordinate, z = (x - shift) / scale; images (values in [0, 1])
map to [-1, 1]. Densities are converted back to data space with the change of variables,
log p(x) = log p(z) - sum(log scale), so that every family's log_prob is in nats per unit of the data.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from gdl.models.base import GenerativeModel


@dataclass
class NeuralConfig:
    lr: float = 1e-3  # Adam learning rate
    batch_size: int = 256  # observations per training step


class NeuralModel(GenerativeModel, nn.Module):
    """Base for the six neural families (and the plain autoencoder)."""

    Config = NeuralConfig
    dequantize = False  # likelihood-trained families add uniform noise to discrete image pixels

    def __init__(self, **overrides):
        nn.Module.__init__(self)
        GenerativeModel.__init__(self, **overrides)
        self.data_shape_: tuple[int, ...] | None = None
        self.history_ = None
        self._averaged: tuple[str, str | None, float] | None = None  # see keep_average: names and decay

    # ---- building -------------------------------------------------------------------------------------
    @property
    def is_image(self) -> bool:
        return self.data_shape_ is not None and len(self.data_shape_) >= 2

    @property
    def dim(self) -> int:
        return int(np.prod(self.data_shape_))

    @property
    def device_(self) -> torch.device:
        for tensor in self.parameters():
            return tensor.device
        return torch.device("cpu")

    def build(self, data_shape: tuple[int, ...]) -> "NeuralModel":
        """Create the networks for observations of `data_shape` ((2,) for points, (H, W) for images)."""
        self.data_shape_ = tuple(int(s) for s in data_shape)
        self.register_buffer("shift", torch.zeros(self.dim))
        self.register_buffer("scale", torch.ones(self.dim))
        self._build(self.dim)
        return self

    def _build(self, dim: int) -> None:
        raise NotImplementedError

    def set_data_scale(self, X: np.ndarray) -> None:
        """Fit the standardisation to training data X (n, *data_shape)."""
        flat = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
        if self.is_image:
            shift, scale = np.full(self.dim, 0.5), np.full(self.dim, 0.5)
        else:
            shift, scale = flat.mean(axis=0), np.maximum(flat.std(axis=0), 1e-6)
        self.shift.copy_(torch.as_tensor(shift, dtype=torch.float32))
        self.scale.copy_(torch.as_tensor(scale, dtype=torch.float32))

    # ---- NumPy boundary -------------------------------------------------------------------------------
    def to_model_space(self, X: np.ndarray) -> torch.Tensor:
        """Data (n, *data_shape) -> model-space tensor (n, dim) on the model's device."""
        x = torch.as_tensor(np.asarray(X, dtype=np.float32).reshape(len(X), -1), device=self.device_)
        return (x - self.shift) / self.scale

    def from_model_space(self, z: torch.Tensor) -> np.ndarray:
        """Model-space tensor (n, dim) -> data (n, *data_shape) as float32 NumPy."""
        x = z * self.scale + self.shift
        return x.detach().cpu().numpy().reshape(len(z), *self.data_shape_).astype(np.float32)

    def log_det_scale(self) -> torch.Tensor:
        """sum(log scale): subtract it from a model-space log density to get nats per data unit."""
        return torch.log(self.scale).sum()

    def generator(self, seed: int | None) -> torch.Generator:
        g = torch.Generator(device=self.device_)
        g.manual_seed(int(seed) if seed is not None else int(torch.seed() % 2**63))
        return g

    # ---- the public API -------------------------------------------------------------------------------
    def fit(self, X, y=None, steps: int | None = None, seconds: float | None = None, callback=None, cancel=None,
            device: str = "auto", seed: int = 0, **train_kwargs):
        """Train on X (n, *data_shape) for a step or seconds budget (default 2,000 steps). Returns self;
        the run's record (losses, steps, seconds, status, message) is in `self.history_`.
        y: optional integer labels (n,) for class-conditional families; batches then reach `loss(x, y)`."""
        from gdl.train import train

        X = np.asarray(X, dtype=np.float32)
        if len(X) < 2 or not np.isfinite(X).all():
            raise ValueError("training data must hold at least two finite observations")
        if self.data_shape_ is None:
            torch.manual_seed(seed)
            self.build(X.shape[1:])
        elif tuple(X.shape[1:]) != self.data_shape_:
            raise ValueError(f"this model was built for data of shape {self.data_shape_}, got {X.shape[1:]}")
        self.set_data_scale(X)
        if steps is None and seconds is None:
            steps = 2000
        self.history_ = train(self, X, labels=y, steps=steps, seconds=seconds, callback=callback, cancel=cancel,
                              device=device, seed=seed, **train_kwargs)
        return self

    @torch.no_grad()
    def sample(self, n, seed=None):
        self.eval()
        return self.from_model_space(self._sample(int(n), self.generator(seed)))

    @torch.no_grad()
    def log_prob(self, X):
        if self.log_prob_kind == "none":
            raise NotImplementedError(f"{self.name} defines no density")
        self.eval()
        out = self._log_prob(self.to_model_space(X)) - self.log_det_scale()
        return out.double().cpu().numpy()

    # ---- checkpoints -------------------------------------------------------------------------------------
    def export_state(self):
        return {k: v.detach().cpu() for k, v in self.state_dict().items()}

    def import_state(self, state, data_shape=None):
        if self.data_shape_ is None:
            self.build(tuple(data_shape))
        self.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()})
        self.eval()
        return self

    # ---- training hooks (used by gdl.train) ------------------------------------------------------------
    def make_optimizers(self) -> list[torch.optim.Optimizer]:
        return [torch.optim.Adam(self.parameters(), lr=self.config.lr)]

    def prepare_batch(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """A training batch in model space; likelihood families dequantise discrete pixels (with `generator`'s
        noise when one is given)."""
        if self.dequantize and self.is_image:
            u = torch.rand_like(x) if generator is None else torch.rand(x.shape, generator=generator,
                                                                         device=x.device, dtype=x.dtype)
            x = x + (u - 0.5) * (2.0 / 16.0)  # one grey level of the 8x8 digits, in [-1, 1] units
        return x

    def train_step(self, x: torch.Tensor, optimizers: list[torch.optim.Optimizer],
                   y: torch.Tensor | None = None) -> dict[str, float]:
        """One optimisation step on batch x (and labels y, when the data has them); returns the losses."""
        (opt,) = optimizers
        losses = self.loss(x) if y is None else self.loss(x, y)
        opt.zero_grad(set_to_none=True)
        losses["loss"].backward()
        max_norm = getattr(self.config, "clip_grad", 0.0)
        if max_norm > 0:  # a steep spline can give one batch a huge gradient; keep the step sane
            nn.utils.clip_grad_norm_(self.parameters(), max_norm)  # the averaged copy has no gradients to clip
        opt.step()
        self.update_average()
        return {k: float(v.detach()) for k, v in losses.items()}

    # ---- Polyak averaging of the weights --------------------------------------------------------------
    def keep_average(self, trained: str, average: str, decay: float) -> None:
        """Make `self.<average>` a frozen copy of the network `self.<trained>` whose weights trail the trained
        ones as an exponential moving average (Polyak averaging), which does the work of a decaying learning
        rate without knowing the budget. With decay 0, `self.<average>` is None and nothing is averaged.
        The copy is saved with the checkpoint; `evaluated()` returns it and `train_step` updates it."""
        self._averaged = (trained, average if decay > 0 else None, decay)
        if decay <= 0:
            setattr(self, average, None)
            return
        setattr(self, average, copy.deepcopy(getattr(self, trained)).requires_grad_(False))
        self.register_buffer("ema_updates", torch.zeros((), dtype=torch.long))

    def evaluated(self) -> nn.Module:
        """The network that log_prob and sampling use: the average where there is one, else the trained one."""
        trained, average, _ = self._averaged
        return getattr(self, average or trained)

    @torch.no_grad()
    def update_average(self) -> None:
        """One step of the moving average, after an optimiser step; a no-op where nothing is averaged."""
        if self._averaged is None or self._averaged[1] is None:
            return
        trained, average, decay = self._averaged
        self.ema_updates += 1
        # short runs average over fewer steps: decay (1 + t) / (10 + t) until it reaches the configured decay
        t = float(self.ema_updates)
        decay = min(decay, (1 + t) / (10 + t))
        torch._foreach_lerp_(list(getattr(self, average).parameters()), list(getattr(self, trained).parameters()),
                             1 - decay)

    def loss(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def _sample(self, n: int, g: torch.Generator) -> torch.Tensor:
        raise NotImplementedError

    def _log_prob(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{self.name} defines no density")


def mlp(sizes: list[int], activation=nn.SiLU, final_activation=None) -> nn.Sequential:
    """A plain multilayer perceptron: Linear layers of the given sizes with `activation` between them."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(activation())
    if final_activation is not None:
        layers.append(final_activation())
    return nn.Sequential(*layers)


LOG_2PI = math.log(2 * math.pi)


def standard_normal_log_prob(z: torch.Tensor) -> torch.Tensor:
    """log N(z | 0, I) summed over features: (B, d) -> (B,)."""
    return -0.5 * (z.pow(2) + LOG_2PI).sum(dim=1)
