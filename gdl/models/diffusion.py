"""Denoising diffusion: learn to undo a fixed process that slowly drowns the data in Gaussian noise.

Place in the taxonomy: explicit density, approximate. Like a VAE it is trained on a variational bound, but
the "encoder" is fixed (it only adds noise) and the "decoder" is T small denoising steps that share one
network. Papers: Ho, Jain & Abbeel (2020), "Denoising Diffusion Probabilistic Models" (DDPM); Song, Meng &
Ermon (2021), "Denoising Diffusion Implicit Models" (DDIM); Nichol & Dhariwal (2021), "Improved DDPM" (the
cosine schedule); Ho & Salimans (2021), "Classifier-Free Diffusion Guidance"; Song, Sohl-Dickstein, Kingma,
Kumar, Ermon & Poole (2021), "Score-Based Generative Modeling through Stochastic Differential Equations" (the
Langevin corrector).

The forward process adds noise in closed form,

    x_t = sqrt(ᾱ_t) x_0 + sqrt(1 - ᾱ_t) ε,    ε ~ N(0, I),    ᾱ_t = prod_{s<=t} (1 - β_s),

and the network ε_θ(x_t, t) learns to predict the ε that was added; the one equation that matters is the
(simplified) DDPM loss

    L = E_{x_0, t, ε} || ε - ε_θ(sqrt(ᾱ_t) x_0 + sqrt(1 - ᾱ_t) ε, t) ||².

Sampling starts from pure noise x_T ~ N(0, I) and takes reverse steps x_t -> x_{t-1} with the predicted noise
(DDPM: T stochastic steps; DDIM: any sub-sequence of steps, deterministic when eta = 0).

Index convention (the papers'): t runs over 1..T and t = 0 is the clean data. Every schedule tensor has T + 1
entries so that it is indexed by t directly, with β_0 = 0 and ᾱ_0 = 1 at the front.

The schedule (`NoiseSchedule`) is its own small object, separate from the network that predicts noise
(`NoisePredictor`); `Diffusion` joins them behind the common `GenerativeModel` interface.

What it takes to draw the world map's coastlines in a minute on a CPU (the defaults): the noise predictor
reads 2-D points through a learned multi-resolution grid as well as Fourier features (an MLP on coordinates
alone stays blurred), training draws low noise levels more often (`t_power`), and samples come from a moving
average of the weights. Three sampling choices each put more of the samples on land:
  - each DDPM step adds noise of variance σ_t² = β̃_t, the variance of the true posterior q(x_{t-1} | x_t, x_0),
    not β_t (Ho et al. found the two alike on images; here β_t leaves about 2% more samples at sea);
  - x̂_0 is clipped to the data's box ([-1, 1] for images), which keeps points off latitudes beyond the poles;
  - the DDPM steps that land on the 5 lowest noise levels are each followed by 4 Langevin "corrector" steps at
    that level (Song et al.), which pull stray points back towards the data: about 1% more on land, for 10%
    more network calls.

What the network predicts (`prediction`): the noise ε (DDPM, the default) or the clean data x_0, from which
ε̂ = (x_t - sqrt(ᾱ_t) x̂_0) / sqrt(1 - ᾱ_t). The two carry the same information, but not for a small MLP on large
images: at low noise ε is white noise over every pixel, which a hidden layer narrower than the image cannot pass
through, while x_0 lies near the few factors the images vary by. On the 32×32 tins (1,024 pixels, 128 hidden
units) predicting ε learned nothing in 300 s (loss 0.93-0.96, samples of pure noise), and predicting x_0 drew
clean tins in 60 s. The x_0 loss, measured on ε, weighs t by SNR_t ||x_0 - x̂_0||²; it is capped at SNR 5
(Hang et al., 2023, "Min-SNR"), or the nearly noiseless steps would drown the rest.

The likelihood bound (`log_prob`, the ELBO) is that of the reverse chain the sampler walks, with its clipped
means, and with each step's variance fitted after training to what that mean misses (Bao et al., 2022,
"Analytic-DPM"; `fit_bound_variances`). DDPM's fixed β̃_t leaves the bound far looser (see the benchmark).
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from gdl.models.neural import LOG_2PI, NeuralConfig, NeuralModel


# ==== the noise schedule ====================================================================================
class NoiseSchedule(nn.Module):
    """β_t, α_t = 1 - β_t and ᾱ_t = prod α_s for t = 0..T, and the closed-form steps built from them.

    An `nn.Module` only so that its tensors follow the model between devices; it has no parameters and its
    buffers are not saved (they are recomputed from `kind` and `timesteps`).

    Args:
        kind: "linear" (Ho et al.: β from 1e-4 to 0.02 at T = 1000, scaled by 1000 / T for other T, as in
            Nichol & Dhariwal's code, so that ᾱ_T is near 0 whatever T) or "cosine" (Nichol & Dhariwal:
            ᾱ_t = f(t) / f(0), f(t) = cos²((t/T + s) / (1 + s) · π/2), s = 0.008, β clipped at 0.999).
        timesteps: T, the number of noising steps (50..1000 are sensible).
        dtype: of the stored tensors. float32 sits beside the network (and works on every device, MPS
            included); float64 makes the closed forms agree to ~1e-12, for tests.
    """

    KINDS = ("linear", "cosine")

    def __init__(self, kind: str = "linear", timesteps: int = 1000, dtype: torch.dtype = torch.float32):
        super().__init__()
        if kind not in self.KINDS:
            raise ValueError(f"unknown noise schedule {kind!r}; choose one of {self.KINDS}")
        if int(timesteps) != timesteps or not 2 <= timesteps <= 10_000:
            raise ValueError(f"timesteps must be a whole number in 2..10000, got {timesteps!r}")
        self.kind, self.T = kind, int(timesteps)
        T = self.T
        if kind == "linear":
            scale = 1000.0 / T
            betas = np.linspace(scale * 1e-4, min(scale * 0.02, 0.999), T)
        else:
            s = 0.008
            f = np.cos((np.arange(T + 1) / T + s) / (1 + s) * math.pi / 2) ** 2
            alpha_bar = f / f[0]
            betas = np.clip(1 - alpha_bar[1:] / alpha_bar[:-1], 0.0, 0.999)
        betas = np.concatenate([[0.0], betas])  # (T+1,): β_0 = 0 so that index t means step t
        alphas = 1.0 - betas
        alpha_bars = np.cumprod(alphas)
        # β̃_t = (1 - ᾱ_{t-1}) / (1 - ᾱ_t) β_t, the variance of q(x_{t-1} | x_t, x_0)   (DDPM eq. 7)
        posterior_var = np.zeros(T + 1)
        posterior_var[1:] = (1 - alpha_bars[:-1]) / (1 - alpha_bars[1:]) * betas[1:]
        # Computed in float64, stored in `dtype`.
        for name, value in [("betas", betas), ("alphas", alphas), ("alpha_bars", alpha_bars),
                            ("posterior_var", posterior_var)]:
            self.register_buffer(name, torch.as_tensor(value, dtype=dtype), persistent=False)
        self._numpy = {"beta": betas, "alpha_bar": alpha_bars}

    # ---- for plotting -------------------------------------------------------------------------------------
    def snr(self, t) -> torch.Tensor:
        """Signal-to-noise ratio ᾱ_t / (1 - ᾱ_t) at step(s) t (infinite at t = 0)."""
        a = self.alpha_bars[torch.as_tensor(t, device=self.alpha_bars.device)]
        return a / (1 - a)

    def arrays(self) -> dict[str, np.ndarray]:
        """The schedule as float64 NumPy arrays over t = 1..T, for plots: keys "t", "beta", "alpha_bar", "snr"."""
        beta, alpha_bar = self._numpy["beta"][1:], self._numpy["alpha_bar"][1:]
        return {"t": np.arange(1, self.T + 1), "beta": beta.copy(), "alpha_bar": alpha_bar.copy(),
                "snr": alpha_bar / (1 - alpha_bar)}

    # ---- helpers ------------------------------------------------------------------------------------------
    def _at(self, values: torch.Tensor, t, x: torch.Tensor) -> torch.Tensor:
        """values[t] shaped to broadcast against x (B, ...): t is an int or a (B,) integer tensor."""
        t = torch.as_tensor(t, device=values.device, dtype=torch.long)
        v = values[t].to(x.dtype)
        return v.reshape(-1, *([1] * (x.dim() - 1))) if v.dim() == 1 else v

    # ---- the forward (noising) process -----------------------------------------------------------------
    def q_step(self, x_prev: torch.Tensor, t, noise: torch.Tensor) -> torch.Tensor:
        """One forward step x_{t-1} -> x_t.   (DDPM eq. 2)

            x_t = sqrt(1 - β_t) x_{t-1} + sqrt(β_t) ε
        """
        beta = self._at(self.betas, t, x_prev)
        return torch.sqrt(1 - beta) * x_prev + torch.sqrt(beta) * noise

    def q_sample(self, x0: torch.Tensor, t, noise: torch.Tensor) -> torch.Tensor:
        """Jump from x_0 straight to x_t, the closed form of t forward steps.   (DDPM eq. 4)

            x_t = sqrt(ᾱ_t) x_0 + sqrt(1 - ᾱ_t) ε
        """
        a = self._at(self.alpha_bars, t, x0)
        return torch.sqrt(a) * x0 + torch.sqrt(1 - a) * noise

    def predict_x0(self, xt: torch.Tensor, t, eps: torch.Tensor) -> torch.Tensor:
        """Invert the closed form for x_0, given (predicted) noise.   (DDPM eq. 15)

            x̂_0 = (x_t - sqrt(1 - ᾱ_t) ε) / sqrt(ᾱ_t)
        """
        a = self._at(self.alpha_bars, t, xt)
        return (xt - torch.sqrt(1 - a) * eps) / torch.sqrt(a)

    def posterior_mean_variance(self, x0: torch.Tensor, xt: torch.Tensor, t) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and variance of q(x_{t-1} | x_t, x_0), the true reverse step when x_0 is known.   (DDPM eqs. 6-7)

            μ̃_t = sqrt(ᾱ_{t-1}) β_t / (1 - ᾱ_t) · x_0 + sqrt(α_t) (1 - ᾱ_{t-1}) / (1 - ᾱ_t) · x_t
            β̃_t = (1 - ᾱ_{t-1}) / (1 - ᾱ_t) · β_t

        Returns:
            (mean shaped like x0, variance broadcastable against it). t >= 1.
        """
        t = torch.as_tensor(t, device=self.betas.device, dtype=torch.long)
        beta, alpha = self._at(self.betas, t, xt), self._at(self.alphas, t, xt)
        a_t, a_prev = self._at(self.alpha_bars, t, xt), self._at(self.alpha_bars, t - 1, xt)
        mean = (torch.sqrt(a_prev) * beta / (1 - a_t)) * x0 + (torch.sqrt(alpha) * (1 - a_prev) / (1 - a_t)) * xt
        return mean, self._at(self.posterior_var, t, xt)

    # ---- reverse steps with a noise prediction ------------------------------------------------------------
    def reverse_variance(self, t, x: torch.Tensor, variance: str = "posterior") -> torch.Tensor:
        """σ_t² of the learned reverse step: β̃_t ("posterior", the lower choice) or β_t ("beta", the upper)."""
        if variance == "posterior":
            return self._at(self.posterior_var, t, x)
        if variance == "beta":
            return self._at(self.betas, t, x)
        raise ValueError(f"variance must be 'posterior' or 'beta', got {variance!r}")

    def ddpm_step(self, xt: torch.Tensor, t, eps_hat: torch.Tensor, noise: torch.Tensor | None = None,
                  variance: str = "posterior", clip_x0=None) -> torch.Tensor:
        """One ancestral reverse step x_t -> x_{t-1} using the predicted noise ε̂.   (DDPM eq. 11, Algorithm 2)

            μ_θ = 1/sqrt(α_t) · (x_t - β_t / sqrt(1 - ᾱ_t) · ε̂)
            x_{t-1} = μ_θ + σ_t z,   σ_t² = β̃_t or β_t,   z ~ N(0, I)  (no noise at t = 1)

        Args:
            noise: z; None returns the mean μ_θ.
            clip_x0: if given, a (low, high) pair (numbers or tensors broadcastable to x): clip x̂_0 to that
                range and use the posterior mean μ̃(x̂_0, x_t) instead (equal to μ_θ when nothing is clipped).
        """
        if clip_x0 is None:
            beta, alpha = self._at(self.betas, t, xt), self._at(self.alphas, t, xt)
            a_t = self._at(self.alpha_bars, t, xt)
            mean = (xt - beta / torch.sqrt(1 - a_t) * eps_hat) / torch.sqrt(alpha)
        else:
            x0 = _clamp(self.predict_x0(xt, t, eps_hat), clip_x0)
            mean, _ = self.posterior_mean_variance(x0, xt, t)
        if noise is None:
            return mean
        sigma = torch.sqrt(self.reverse_variance(t, xt, variance))
        t = torch.as_tensor(t, device=xt.device)
        not_last = (t > 1).to(xt.dtype).reshape(-1, *([1] * (xt.dim() - 1))) if t.dim() else float(t > 1)
        return mean + not_last * sigma * noise

    def ddim_step(self, xt: torch.Tensor, t, t_prev, eps_hat: torch.Tensor, eta: float = 0.0,
                  noise: torch.Tensor | None = None, clip_x0=None) -> torch.Tensor:
        """One DDIM step x_t -> x_{t_prev} for any t_prev < t (t_prev = 0 lands on x̂_0).   (DDIM eq. 12, 16)

            x̂_0 = (x_t - sqrt(1 - ᾱ_t) ε̂) / sqrt(ᾱ_t)                                  "predicted x_0"
            σ   = η · sqrt((1 - ᾱ_prev) / (1 - ᾱ_t)) · sqrt(1 - ᾱ_t / ᾱ_prev)
            x_prev = sqrt(ᾱ_prev) x̂_0 + sqrt(1 - ᾱ_prev - σ²) ε̂ + σ z                  "direction to x_t" + noise

        eta = 0 is deterministic (no z needed); eta = 1 is DDPM's ancestral step with variance β̃ on the
        sub-sequence of steps. clip_x0: an optional (low, high) range for x̂_0, as in `ddpm_step`.
        """
        a_t, a_prev = self._at(self.alpha_bars, t, xt), self._at(self.alpha_bars, t_prev, xt)
        x0 = self.predict_x0(xt, t, eps_hat)
        if clip_x0 is not None:  # re-derive ε̂ from the clipped x̂_0 so that the two stay consistent
            x0 = _clamp(x0, clip_x0)
            eps_hat = (xt - torch.sqrt(a_t) * x0) / torch.sqrt(1 - a_t)
        sigma = eta * torch.sqrt((1 - a_prev) / (1 - a_t)) * torch.sqrt(1 - a_t / a_prev)
        x_prev = torch.sqrt(a_prev) * x0 + torch.sqrt((1 - a_prev - sigma**2).clamp_min(0)) * eps_hat
        if eta > 0:
            if noise is None:
                raise ValueError("ddim_step with eta > 0 needs noise")
            x_prev = x_prev + sigma * noise
        return x_prev

    def langevin_step(self, xt: torch.Tensor, t, eps_hat: torch.Tensor, noise: torch.Tensor,
                      size: float) -> torch.Tensor:
        """One Langevin step at a fixed noise level t, the "corrector" of Song et al.'s (2021) predictor-corrector
        samplers: it moves x_t towards the noisy marginal p_t without changing t, undoing some of the error the
        reverse steps (the "predictor") have piled up. (Song et al. set δ from a target signal-to-noise ratio
        measured on the batch; here it is a fixed share of the noise variance, so each chain is on its own.)

            ∇ log p_t(x_t) ≈ -ε̂ / sqrt(1 - ᾱ_t)                                        score from the noise
            δ_t = size · (1 - ᾱ_t)                                                      step, scaled to the noise
            x_t <- x_t + δ_t ∇ log p_t(x_t) + sqrt(2 δ_t) z,   z ~ N(0, I)

        Args:
            size: δ_t as a share of the noise variance 1 - ᾱ_t. Small: without a Metropolis test the step
                samples p_t exactly only as δ -> 0.
        """
        var = self._at(1 - self.alpha_bars, t, xt)  # 1 - ᾱ_t
        delta = size * var
        return xt - delta / torch.sqrt(var) * eps_hat + torch.sqrt(2 * delta) * noise

    def __repr__(self) -> str:
        return f"NoiseSchedule(kind={self.kind!r}, timesteps={self.T})"


def _clamp(x: torch.Tensor, bounds) -> torch.Tensor:
    low, high = bounds
    return torch.clamp(x, min=torch.as_tensor(low, dtype=x.dtype, device=x.device),
                       max=torch.as_tensor(high, dtype=x.dtype, device=x.device))


def gaussian_kl(mean_q, var_q, mean_p, var_p) -> torch.Tensor:
    """KL(N(mean_q, var_q) || N(mean_p, var_p)) per element, for diagonal Gaussians (variances broadcast)."""
    return 0.5 * (torch.log(var_p / var_q) + (var_q + (mean_q - mean_p) ** 2) / var_p - 1)


# ==== the network that predicts noise =========================================================================
def sinusoidal_embedding(t: torch.Tensor, dim: int, max_period: float = 10_000.0) -> torch.Tensor:
    """Transformer-style features of (real-valued) positions t (B,) -> (B, dim): sines and cosines of t at
    geometrically spaced frequencies, so that the network can tell nearby timesteps apart."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    angles = t.float()[:, None] * freqs[None]  # (B, half)
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)  # (B, dim)


class ResidualBlock(nn.Module):
    """h + W2 SiLU(W1 LayerNorm(h) + time/label embedding): a pre-norm MLP block that sees the conditioning."""

    def __init__(self, width: int):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.fc1, self.fc2 = nn.Linear(width, width), nn.Linear(width, width)
        self.act = nn.SiLU()

    def forward(self, h: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        return h + self.fc2(self.act(self.fc1(self.norm(h)) + cond))


class GridEncoding(nn.Module):
    """Learned features stored on square grids of several resolutions over a 2-D box, read by bilinear
    interpolation and concatenated (the dense-grid version of Müller et al., 2022, "Instant Neural Graphics
    Primitives"). A cell's features only answer for its neighbourhood, so sharp local detail (a coastline)
    is learned in a few thousand steps, where an MLP on coordinates alone stays blurred. Points outside the
    box read its edge.

    All levels' cells are rows of one `nn.Embedding`. A batch touches only 4 cells per point and level, so on
    CPU and CUDA its gradient is sparse and `torch.optim.SparseAdam` updates just those rows
    (see `Diffusion.make_optimizers`).
    """

    def __init__(self, levels: int, finest: int, features: int = 2, coarsest: int = 8):
        super().__init__()
        sizes = np.unique(np.round(np.geomspace(coarsest, max(finest, coarsest), levels)).astype(np.int64))
        offsets = np.concatenate([[0], np.cumsum(sizes**2)[:-1]])  # first row of each level in the table
        self.register_buffer("sizes", torch.as_tensor(sizes), persistent=False)  # (L,) cells per side
        self.register_buffer("offsets", torch.as_tensor(offsets), persistent=False)  # (L,)
        self.table = nn.Embedding(int((sizes**2).sum()), features)
        nn.init.uniform_(self.table.weight, -1e-4, 1e-4)  # small: at first the network leans on the coordinates
        self.register_buffer("low", torch.full((2,), -3.0))  # the box the grids span, set from the data
        self.register_buffer("high", torch.full((2,), 3.0))
        self.out_dim = features * len(sizes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, 2) -> features (B, out_dim)."""
        u = ((x - self.low) / (self.high - self.low)).clamp(0, 1)  # (B, 2) in the unit square
        r = self.sizes[None, :, None]  # (1, L, 1)
        p = u[:, None, :] * (r - 1)  # (B, L, 2) position in cells, per level
        corner = torch.minimum(p.floor().long(), r - 2)  # (B, L, 2) lower-left corner of the cell
        fx, fy = (p - corner).unbind(dim=2)  # (B, L) each: where inside the cell
        i = self.offsets + corner[..., 1] * r[..., 0] + corner[..., 0]  # (B, L) table row of the corner
        rows = torch.stack([i, i + 1, i + r[..., 0], i + r[..., 0] + 1], dim=2)  # (B, L, 4) the cell's corners
        weights = torch.stack([(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy], dim=2)  # (B, L, 4)
        feats = (self.table(rows) * weights[..., None]).sum(dim=2)  # (B, L, features)
        return feats.flatten(1)  # (B, out_dim)


class NoisePredictor(nn.Module):
    """ε_θ(x_t, t, y): a residual MLP on the flattened x_t, told the timestep by a sinusoidal embedding and
    (optionally) the class by a learned embedding whose last row is the "no label" (null) class.

    Points (dim = 2) are also described by Fourier features sin/cos(2π B x) with fixed random frequencies B
    (Tancik et al., 2020) and by a learned multi-resolution grid (`GridEncoding`), which together let a small
    MLP draw coastlines nearly as sharp as the data; images use the raw pixels.
    """

    def __init__(self, dim: int, timesteps: int, width: int, depth: int, num_classes: int, fourier: int = 0,
                 fourier_scale: float = 1.0, grid_levels: int = 0, grid_resolution: int = 512):
        super().__init__()
        self.timesteps = timesteps
        self.time_dim = 64
        if fourier > 0:
            # Fixed (not learned) frequencies, from a fixed seed so that a checkpoint rebuilds them exactly.
            freqs = torch.randn(dim, fourier, generator=torch.Generator().manual_seed(0)) * fourier_scale
            self.register_buffer("freqs", freqs)  # (dim, fourier)
            in_dim = dim + 2 * fourier
        else:
            self.freqs = None
            in_dim = dim
        self.grid = GridEncoding(grid_levels, grid_resolution) if grid_levels > 0 and dim == 2 else None
        if self.grid is not None:
            in_dim += self.grid.out_dim
        self.inp = nn.Linear(in_dim, width)
        self.time_mlp = nn.Sequential(nn.Linear(self.time_dim, width), nn.SiLU(), nn.Linear(width, width))
        self.label_emb = nn.Embedding(num_classes + 1, width) if num_classes > 0 else None  # +1: the null class
        self.blocks = nn.ModuleList(ResidualBlock(width) for _ in range(depth))
        self.out = nn.Sequential(nn.LayerNorm(width), nn.SiLU(), nn.Linear(width, dim))

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """x (B, dim) in model space, t (B,) integer steps in 1..T, y (B,) labels (num_classes = null) -> ε̂ (B, dim)."""
        feats = x
        if self.freqs is not None:
            angles = 2 * math.pi * x @ self.freqs  # (B, fourier)
            feats = torch.cat([x, torch.sin(angles), torch.cos(angles)], dim=1)  # (B, dim + 2 fourier)
        if self.grid is not None:
            feats = torch.cat([feats, self.grid(x)], dim=1)  # (B, in_dim)
        h = self.inp(feats)  # (B, width)
        # t scaled to 0..1000 so the embedding means the same noise level whatever T is
        cond = self.time_mlp(sinusoidal_embedding(t.float() * (1000.0 / self.timesteps), self.time_dim))
        if self.label_emb is not None:
            if y is None:
                y = torch.full((len(x),), self.label_emb.num_embeddings - 1, device=x.device, dtype=torch.long)
            cond = cond + self.label_emb(y)  # (B, width)
        for block in self.blocks:
            h = block(h, cond)
        return self.out(h)  # (B, dim)


# ==== the model ================================================================================================
@dataclass
class DiffusionConfig(NeuralConfig):
    schedule: str = "cosine"  # noise schedule: "linear" (Ho et al.) or "cosine" (Nichol & Dhariwal)
    timesteps: int = 200  # T, the number of noising steps (DDPM samples with T network calls)
    width: int = 128  # hidden units of the noise-prediction MLP
    depth: int = 3  # residual blocks of the noise-prediction MLP
    fourier: int = 64  # random Fourier features of 2-D inputs (0 = none); images always use raw pixels
    fourier_scale: float = 1.0  # std of their frequencies, cycles per standardised unit
    grid_levels: int = 6  # levels of the learned multi-resolution grid for 2-D inputs (0 = none)
    grid_resolution: int = 512  # cells per side of its finest level (coarsest: 8)
    grid_lr_scale: float = 30.0  # the grid's learning rate is this times lr
    t_power: float = 6.0  # training draws t = ceil(T u^p), u ~ U(0, 1); p > 1 favours low noise (1 = uniform)
    t_uniform: float = 0.1  # ... except this share of t, drawn uniformly from 1..T (keeps high noise trained)
    num_classes: int = 0  # classes for conditioning (0 = unconditional); labels come from fit(X, y=...)
    cond_drop_prob: float = 0.1  # chance a label is dropped to the null class in training (classifier-free guidance)
    ema_decay: float = 0.995  # decay of the moving average of weights used for sampling (0 = use the last weights)
    variance: str = "posterior"  # reverse-step variance σ_t²: "posterior" (β̃_t) or "beta" (β_t)
    prediction: str = "eps"  # what the network outputs: "eps" (the noise, DDPM) or "x0" (the clean data; see below)
    min_snr: float = 5.0  # with prediction "x0": the loss weighs each t by min(1, min_snr / SNR_t) (Min-SNR)
    corrector_levels: int = 5  # DDPM sampling: Langevin corrector steps at the noise levels t = 1..this (0 = none)
    corrector_steps: int = 4  # corrector steps at each of those levels
    corrector_size: float = 0.5  # each one's step δ_t as a share of the noise variance 1 - ᾱ_t
    bound_points: int = 2000  # after training, fit the bound's step variances on this many training points (images:
    #                           a quarter); 0 = off, keeping DDPM's fixed variances
    lr: float = 2e-3  # Adam learning rate
    batch_size: int = 512  # observations per training step


class Diffusion(NeuralModel):
    """A denoising diffusion model (DDPM training, DDPM or DDIM sampling, optional classifier-free guidance).

    Arrays at the public boundary are NumPy in data space, except the predicted noise ε, which lives in model
    space (see `predict_noise`).
    """

    name = "diffusion"
    log_prob_kind = "lower_bound"
    Config = DiffusionConfig
    dequantize = True  # the bound is a density: spread the 17 grey levels of digits over their bins

    def __init__(self, **overrides):
        super().__init__(**overrides)
        c = self.config
        if not 0 <= c.cond_drop_prob <= 1:
            raise ValueError(f"cond_drop_prob must lie in [0, 1], got {c.cond_drop_prob}")
        if c.num_classes < 0:
            raise ValueError(f"num_classes must be >= 0, got {c.num_classes}")
        if c.variance not in ("posterior", "beta"):
            raise ValueError(f"variance must be 'posterior' or 'beta', got {c.variance!r}")
        if c.prediction not in ("eps", "x0"):
            raise ValueError(f"prediction must be 'eps' or 'x0', got {c.prediction!r}")
        if c.min_snr <= 0:
            raise ValueError(f"min_snr must be positive, got {c.min_snr}")
        if c.t_power <= 0:
            raise ValueError(f"t_power must be positive, got {c.t_power}")
        if not 0 <= c.t_uniform <= 1:
            raise ValueError(f"t_uniform must lie in [0, 1], got {c.t_uniform}")
        if min(c.corrector_levels, c.corrector_steps) < 0 or c.corrector_size < 0:
            raise ValueError("corrector_levels, corrector_steps and corrector_size must be >= 0, got "
                             f"{c.corrector_levels}, {c.corrector_steps} and {c.corrector_size}")
        self.schedule = NoiseSchedule(c.schedule, c.timesteps)

    def _build(self, dim: int) -> None:
        c = self.config
        fourier = c.fourier if not self.is_image else 0
        # Where x̂_0 may lie (model space), set from the data in `set_data_scale`; saved with the weights.
        self.register_buffer("x0_low", torch.full((dim,), -1e6))
        self.register_buffer("x0_high", torch.full((dim,), 1e6))
        # The reverse-step variances of the likelihood bound, per step and feature; all zero = not fitted
        # (see `fit_bound_variances`). Saved with the weights.
        self.register_buffer("bound_var", torch.zeros(c.timesteps + 1, dim))
        grid_levels = c.grid_levels if not self.is_image else 0
        self.net = NoisePredictor(dim, c.timesteps, c.width, c.depth, c.num_classes, fourier, c.fourier_scale,
                                  grid_levels, c.grid_resolution)
        # An exponential moving average of the weights samples better than the last, noisy iterate.
        self.ema = copy.deepcopy(self.net).requires_grad_(False) if c.ema_decay > 0 else None
        self._ema_updates = 0
        self.schedule.to(self.shift.device)

    def set_data_scale(self, X: np.ndarray) -> None:
        """The base's standardisation, plus the range x̂_0 is clipped to while sampling: the data's own range,
        [-1, 1] for images and the training data's box for points (x̂_0 is a guess at a data point, and none lies
        outside it: on the world map this keeps samples off latitudes beyond the South Pole). Models saved
        before this rule clip to that box widened by 10% on each side, as they were trained."""
        super().set_data_scale(X)
        if self.is_image:
            low, high = -torch.ones(self.dim), torch.ones(self.dim)
        else:
            z = self.to_model_space(X).cpu()
            low, high = z.min(dim=0).values, z.max(dim=0).values
        self.x0_low.copy_(low)
        self.x0_high.copy_(high)
        for net in (self.net, self.ema):
            if net is not None and net.grid is not None:  # the grid spans the data's own box: x_t near the
                net.grid.low.copy_(low)                    # data needs its cells; beyond it reads the edge
                net.grid.high.copy_(high)

    @property
    def _clip(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x0_low, self.x0_high

    def fit(self, X, y=None, steps: int | None = None, seconds: float | None = None, callback=None, cancel=None,
            device: str = "auto", seed: int = 0, **train_kwargs):
        """Train (see `NeuralModel.fit`), then fit the bound's step variances on the training data (skipped
        when training was cancelled: a cancelled model keeps DDPM's fixed variances). A training that ran to its
        end is done: a cancel that comes during the few seconds of this fit does not cut it short, so the model is
        what its training earned."""
        super().fit(X, y, steps=steps, seconds=seconds, callback=callback, cancel=cancel, device=device, seed=seed,
                    **train_kwargs)
        if self.config.bound_points > 0 and self.history_.status != "cancelled":
            self.fit_bound_variances(X, seed=seed)
        return self

    def import_state(self, state, data_shape=None):
        """Load saved weights; a checkpoint saved before the bound's variances were fitted keeps β̃_t and β_1."""
        if self.data_shape_ is None:
            self.build(tuple(data_shape))
        state = dict(state)
        state.setdefault("bound_var", torch.zeros_like(self.bound_var))
        return super().import_state(state)

    # ---- labels -----------------------------------------------------------------------------------------
    def _labels(self, y, n: int) -> torch.Tensor | None:
        """Labels as a (n,) long tensor; None (or no classes) means unconditional, i.e. the null class."""
        c = self.config
        if c.num_classes == 0:
            if y is not None:
                raise ValueError("this diffusion model is unconditional (num_classes = 0); pass y=None")
            return None
        null = torch.full((n,), c.num_classes, dtype=torch.long, device=self.device_)
        if y is None:
            return null
        y = torch.as_tensor(np.broadcast_to(np.asarray(y), (n,)).copy(), dtype=torch.long, device=self.device_)
        if ((y < 0) | (y >= c.num_classes)).any():
            raise ValueError(f"labels must lie in 0..{c.num_classes - 1}")
        return y

    def _eps(self, x: torch.Tensor, t, y: torch.Tensor | None, guidance: float = 0.0) -> torch.Tensor:
        """ε̂ at (x (B, dim), t), with classifier-free guidance (Ho & Salimans eq. 6):

            ε̃ = (1 + w) ε_θ(x, y) - w ε_θ(x, ∅)
        """
        t = torch.as_tensor(t, device=x.device, dtype=torch.long).expand(len(x))  # (B,)
        eps = self._as_eps(self.denoiser(x, t, y), x, t)
        if guidance != 0.0:
            if y is None or self.config.num_classes == 0:
                raise ValueError("guidance needs a class-conditional model (num_classes > 0) and labels y")
            null = torch.full_like(y, self.config.num_classes)
            eps = (1 + guidance) * eps - guidance * self._as_eps(self.denoiser(x, t, null), x, t)
        return eps

    def _as_eps(self, out: torch.Tensor, xt: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The network's output as a noise prediction: itself for prediction "eps"; for "x0", the noise that
        the predicted clean data x̂_0 implies, ε̂ = (x_t - sqrt(ᾱ_t) x̂_0) / sqrt(1 - ᾱ_t)."""
        if self.config.prediction == "eps":
            return out
        a = self.schedule._at(self.schedule.alpha_bars, t, xt)
        return (xt - torch.sqrt(a) * out) / torch.sqrt(1 - a)

    @property
    def denoiser(self) -> NoisePredictor:
        """The network used for sampling and the bound: the moving average of weights when there is one."""
        return self.ema if self.ema is not None else self.net

    # ---- training: the simplified DDPM loss ---------------------------------------------------------------
    def make_optimizers(self) -> list[torch.optim.Optimizer]:
        """Adam for the network; for the grid's cells (each touched by few points per batch) a higher rate,
        as in Instant-NGP, and SparseAdam, which updates only the cells a batch touched (Adam where the
        device has no sparse gradients, i.e. MPS)."""
        c = self.config
        grid = self.net.grid
        if grid is None:
            return [torch.optim.Adam(self.net.parameters(), lr=c.lr, foreach=True)]
        rest = [p for name, p in self.net.named_parameters() if not name.startswith("grid.")]
        grid.table.sparse = self.device_.type in ("cpu", "cuda")
        grid_opt = torch.optim.SparseAdam if grid.table.sparse else torch.optim.Adam
        return [torch.optim.Adam(rest, lr=c.lr, foreach=True),
                grid_opt(list(grid.parameters()), lr=c.lr * c.grid_lr_scale)]

    def train_step(self, x, optimizers, y=None) -> dict[str, float]:
        """One gradient step on the noise-prediction loss, then the moving average of weights."""
        losses = self.loss(x, y)
        for opt in optimizers:
            opt.zero_grad(set_to_none=True)
        losses["loss"].backward()
        for opt in optimizers:
            opt.step()
        if self.ema is not None:
            self._ema_updates += 1
            # warm-up: early on average over fewer steps, so the average is not dominated by the random init
            decay = min(self.config.ema_decay, (1 + self._ema_updates) / (10 + self._ema_updates))
            with torch.no_grad():
                for p_avg, p in zip(self.ema.parameters(), self.net.parameters()):
                    p_avg.lerp_(p, 1 - decay)
        return {k: float(v.detach()) for k, v in losses.items()}

    def draw_timesteps(self, n: int, device=None) -> torch.Tensor:
        """The noise levels of a training batch, (n,) integers in 1..T:

            t = ceil(T u^p),   u ~ U(0, 1),   p = t_power, or p = 1 (uniform) for a share t_uniform of them.

        p = 1 is DDPM's uniform t; p > 1 spends more steps on low noise, where the fine detail (a coastline) is
        learned and where sampling's last steps decide on which side of it a point lands (p = 6 against 4: about
        0.5% more samples on land after the same training). The uniform share keeps the high-noise steps
        trained, which the variational bound needs: it sums a term for every t (on the world map p = 6 alone
        loosened it by about 1.4 nats, with the uniform share by 0.2, both with DDPM's fixed step variances).
        Every t keeps the same optimum E[ε | x_t], so only the weighting of the loss over t changes.
        """
        c = self.config
        u = torch.rand(n, device=device)
        p = torch.where(torch.rand(n, device=device) < c.t_uniform, 1.0, c.t_power)
        return torch.ceil(c.timesteps * u**p).long().clamp(1, c.timesteps)

    def loss(self, x: torch.Tensor, y: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """|| ε - ε_θ(x_t, t, y) ||² averaged over the batch x (B, dim), ε ~ N(0, I), t drawn as below; with
        prediction "x0", ε_θ is the noise the predicted x̂_0 implies and each t is weighted by min(1, γ / SNR_t)."""
        c = self.config
        t = self.draw_timesteps(len(x), x.device)  # (B,)
        noise = torch.randn_like(x)
        xt = self.schedule.q_sample(x, t, noise)  # (B, dim)
        if c.num_classes > 0:
            if y is None:
                y = torch.full((len(x),), c.num_classes, dtype=torch.long, device=x.device)
            elif c.cond_drop_prob > 0:  # classifier-free guidance: sometimes train the unconditional model
                drop = torch.rand(len(x), device=x.device) < c.cond_drop_prob
                y = torch.where(drop, torch.full_like(y, c.num_classes), y)
        elif y is not None:
            y = None  # labels given to an unconditional model are ignored
        squared = (noise - self._as_eps(self.net(xt, t, y), xt, t)).pow(2)  # (B, dim)
        if c.prediction == "x0":  # Min-SNR weighting (Hang et al., 2023): SNR_t ||x_0 - x̂_0||², capped
            a = self.schedule._at(self.schedule.alpha_bars, t, xt)
            squared = squared * torch.clamp(c.min_snr * (1 - a) / a, max=1.0)
        return {"loss": squared.mean()}

    # ---- sampling -------------------------------------------------------------------------------------------
    def _timesteps(self, method: str, steps: int | None) -> list[int]:
        """The descending steps T = t_S > ... > t_0 = 0 the sampler visits."""
        T = self.config.timesteps
        if method not in ("ddpm", "ddim"):
            raise ValueError(f"method must be 'ddpm' or 'ddim', got {method!r}")
        if steps is None:
            steps = T if method == "ddpm" else min(T, 50)
        if int(steps) != steps or not 1 <= steps <= T:
            raise ValueError(f"steps must be a whole number in 1..{T}, got {steps!r}")
        ts = np.unique(np.round(np.linspace(0, T, int(steps) + 1)).astype(int))[::-1]
        return [int(t) for t in ts]

    def network_calls(self, method: str = "ddpm", steps: int | None = None) -> int:
        """How many times `sample(method=, steps=)` runs the noise-prediction network on a batch, without guidance
        (with it, twice as many): one call per reverse step, plus DDPM's Langevin corrector steps."""
        c = self.config
        timesteps = self._timesteps(method, steps)
        calls = len(timesteps) - 1
        if method == "ddpm" and c.corrector_steps > 0 and c.corrector_size > 0:
            calls += c.corrector_steps * sum(1 <= t <= c.corrector_levels for t in timesteps[1:])
        return calls

    def _reverse(self, n: int, g: torch.Generator, method: str, steps: int | None, y, guidance: float,
                 eta: float | None = None, record=None) -> torch.Tensor:
        """The sampling loop: from x_T ~ N(0, I) down the steps, in model space. `record(i, t, x, x0, eps)`
        is called before each step (and once at the end with x0 = eps = None). DDPM follows each step that
        lands on one of the lowest noise levels t = 1..corrector_levels with `corrector_steps` Langevin steps
        there (DDIM stays deterministic)."""
        c = self.config
        timesteps = self._timesteps(method, steps)
        labels = self._labels(y, n)
        if eta is None:
            eta = 1.0 if method == "ddpm" else 0.0
        correct = method == "ddpm" and c.corrector_steps > 0 and c.corrector_size > 0
        x = torch.randn(n, self.dim, generator=g, device=self.device_)  # x_T ~ N(0, I)   (n, dim)
        sch, clip = self.schedule, self._clip
        for i, (t, t_prev) in enumerate(zip(timesteps[:-1], timesteps[1:])):
            eps = self._eps(x, t, labels, guidance)
            if record is not None:
                record(i, t, x, _clamp(sch.predict_x0(x, t, eps), clip), eps)
            needs_noise = (method == "ddpm" and t > 1) or (method == "ddim" and eta > 0)
            z = torch.randn(x.shape, generator=g, device=x.device) if needs_noise else None
            if method == "ddpm" and t - t_prev == 1:
                x = sch.ddpm_step(x, t, eps, z, variance=self.config.variance, clip_x0=clip)
            else:  # DDIM, or DDPM on a respaced sub-sequence (DDIM with eta = 1)
                x = sch.ddim_step(x, t, t_prev, eps, eta=eta, noise=z, clip_x0=clip)
            if correct and 1 <= t_prev <= c.corrector_levels:  # Langevin corrector at the lowest noise levels
                for _ in range(c.corrector_steps):
                    z = torch.randn(x.shape, generator=g, device=x.device)
                    x = sch.langevin_step(x, t_prev, self._eps(x, t_prev, labels, guidance), z, c.corrector_size)
        if record is not None:
            record(len(timesteps) - 1, 0, x, None, None)
        return x

    def _sample(self, n: int, g: torch.Generator) -> torch.Tensor:
        return self._reverse(n, g, "ddpm", None, None, 0.0)

    @torch.no_grad()
    def sample(self, n, seed=None, method: str = "ddpm", steps: int | None = None, y=None,
               guidance: float = 0.0, eta: float | None = None) -> np.ndarray:
        """n samples in data space, shape (n, *data_shape).

        Args:
            seed: makes the draw repeatable.
            method: "ddpm" (ancestral, stochastic; T steps by default) or "ddim" (50 steps by default,
                deterministic given the seed when eta = 0).
            steps: how many reverse steps (a sub-sequence of 1..T); fewer is faster and coarser.
            y: a class (int) or (n,) labels for a class-conditional model; None samples unconditionally.
            guidance: w of classifier-free guidance (0 = plain conditional sampling; 1-3 sharpens the class).
            eta: DDIM's noise level (default 0 for "ddim", 1 for "ddpm").
        """
        self._check_built()
        self.eval()
        z = self._reverse(int(n), self.generator(seed), method, steps, y, guidance, eta)
        return self.from_model_space(z)

    @torch.no_grad()
    def trajectory(self, n, seed=None, method: str = "ddpm", steps: int | None = None, y=None,
                   guidance: float = 0.0, keep=None, eta: float | None = None) -> dict[str, np.ndarray]:
        """The whole reverse path, for pages that step through it without calling the model again.

        Same arguments as `sample` (the final row equals `sample` with the same arguments), plus
            keep: which of the n chains to record: None (all), an int k (the first k) or an index array.
        Returns (S = number of steps, m = chains kept):
            "timesteps" (S+1,) int: T ... 0, the t of each row of "x";
            "x" (S+1, m, *shape): data space, from pure noise x_T to the final sample x_0;
            "x0_pred" (S, m, *shape): data space, the model's x̂_0 at each step;
            "eps" (S, m, *shape): model space (standardised units, like `predict_noise`), the predicted noise;
            "alpha_bar" (S+1,): ᾱ at each row's t;
            "sample" (n, *shape): the final samples of all n chains.
        """
        self._check_built()
        self.eval()
        n = int(n)
        idx = np.arange(n) if keep is None else (np.arange(min(int(keep), n)) if np.ndim(keep) == 0
                                                 else np.asarray(keep, dtype=np.int64))
        sel = torch.as_tensor(idx, device=self.device_)
        xs, x0s, epss, ts = [], [], [], []

        def record(i, t, x, x0, eps):
            ts.append(t)
            xs.append(self.from_model_space(x[sel]))
            if x0 is not None:
                x0s.append(self.from_model_space(x0[sel]))
                epss.append(eps[sel].cpu().numpy().reshape(len(idx), *self.data_shape_))

        final = self._reverse(n, self.generator(seed), method, steps, y, guidance, eta, record=record)
        shape = (0, len(idx), *self.data_shape_)
        return {"timesteps": np.asarray(ts, dtype=np.int64), "x": np.stack(xs),
                "x0_pred": np.stack(x0s) if x0s else np.zeros(shape, np.float32),
                "eps": np.stack(epss).astype(np.float32) if epss else np.zeros(shape, np.float32),
                "alpha_bar": self.schedule.alpha_bars[ts].double().cpu().numpy(),
                "sample": self.from_model_space(final)}

    # ---- the forward process and the network, at the NumPy boundary -----------------------------------
    @torch.no_grad()
    def q_sample(self, X0, t, seed=None) -> np.ndarray:
        """Noise data X0 (n, *shape) to step t (an int or (n,) ints in 0..T) with the closed form; data space.

        Example: `m.q_sample(X, m.config.timesteps)` is (nearly) the N(0, I) prior, mapped back to data units.
        """
        self._check_built()
        x0 = self.to_model_space(X0)  # (n, dim)
        t = self._check_t(t, len(x0))
        g = self.generator(seed)
        noise = torch.randn(x0.shape, generator=g, device=x0.device)
        return self.from_model_space(self.schedule.q_sample(x0, t, noise))

    @torch.no_grad()
    def predict_noise(self, X, t, y=None, guidance: float = 0.0) -> np.ndarray:
        """The network's ε̂(x_t, t) for x_t given in data space (n, *shape), t an int or (n,) ints in 1..T.

        Units: ε̂ is in model space, i.e. standardised units of the N(0, I) noise (per coordinate of the
        standardised data; for images, per pixel in [-1, 1]). To draw it on the data's axes, multiply by
        `m.scale`: the denoiser moves x_t by about -sqrt(1 - ᾱ_t) · scale · ε̂ in data units, and the score
        of the noisy data is ∇ log p_t(x_t) = -ε̂ / sqrt(1 - ᾱ_t) in model space. Returns (n, *shape) float32.
        """
        self._check_built()
        self.eval()
        x = self.to_model_space(X)
        t = self._check_t(t, len(x), low=1)
        eps = self._eps(x, t, self._labels(y, len(x)), guidance)
        return eps.cpu().numpy().reshape(len(x), *self.data_shape_).astype(np.float32)

    def _check_t(self, t, n: int, low: int = 0) -> torch.Tensor:
        t = np.broadcast_to(np.asarray(t), (n,))
        if not np.issubdtype(t.dtype, np.integer) or t.min() < low or t.max() > self.config.timesteps:
            raise ValueError(f"t must be whole numbers in {low}..{self.config.timesteps}")
        return torch.as_tensor(t.astype(np.int64), device=self.device_)

    def _check_built(self) -> None:
        if self.data_shape_ is None:
            raise RuntimeError("fit the model (or load a checkpoint) first")

    # ---- the variational bound ------------------------------------------------------------------------------
    def _bound_terms(self, x: torch.Tensor, seed: int):
        """For t = 1..T: (t, x_t, m(x_t, t)) with one x_t ~ q(x_t | x_0) per row of x, drawn from a generator
        seeded with `seed` so that it is repeatable. m is the sampler's own mean: the posterior mean
        μ̃_t(x̂_0, x_t) with the guess x̂_0 clipped to the data's box (μ_θ where nothing is clipped); the model is
        unconditional here (the null class)."""
        sch = self.schedule
        g = torch.Generator(device=x.device).manual_seed(seed)
        labels = None if self.config.num_classes == 0 else self._labels(None, len(x))
        for t in range(1, self.config.timesteps + 1):
            noise = torch.randn(x.shape, generator=g, device=x.device)
            xt = sch.q_sample(x, t, noise)  # (B, dim)
            yield t, xt, sch.ddpm_step(xt, t, self._eps(xt, t, labels), clip_x0=self._clip)

    @torch.no_grad()
    def fit_bound_variances(self, X, n: int | None = None, seed: int = 0, batch_size: int = 4096) -> np.ndarray:
        """Fit the reverse-step variances of the likelihood bound (Bao, Li, Zhu & Zhang, 2022, "Analytic-DPM") on
        n training observations X (default `bound_points`, a quarter of that for images); returns them,
        (T + 1, dim). It runs to its end: `fit` calls it only after a training that did.

        A Gaussian step p(x_{t-1} | x_t) = N(m, σ² I) is scored by KL(q(x_{t-1} | x_t, x_0) || p) in the bound;
        averaged over the data, that KL is smallest at

            σ_t² = β̃_t + E || μ̃_t(x_0, x_t) - m(x_t, t) ||² / d     (per feature here, not averaged over d),

        the true posterior's own variance plus what the mean misses. The decoder at t = 1 likewise gets
        σ_1² = E (x_0 - m(x_1, 1))². Any fixed variances give a valid bound, so fitting them on the training data
        keeps it a bound on held-out data. DDPM's fixed β̃_t is too small where the mean is least exact relative to
        the step's own spread, at low noise: on the world map the steps t = 2..20 gain 1.0 of the 1.03 nats the
        fitted variances save (a point's side of a coastline is still uncertain there). Near t = T the mean's
        clipped x̂_0 does that work: μ_θ unclipped divides ε̂'s error by sqrt(α_T) ~ 0.03 (the cosine schedule's
        β_T = 0.999), which cost the unclipped bound 3.5 nats.
        """
        self._check_built()
        self.eval()
        X = np.asarray(X, dtype=np.float32)
        if n is None:  # images cost far more per network call than points
            n = self.config.bound_points // 4 if self.is_image else self.config.bound_points
        n = max(1, int(n))
        if len(X) > n:
            X = X[np.random.default_rng(seed).choice(len(X), n, replace=False)]
        sums = torch.zeros_like(self.bound_var, dtype=torch.float64)  # Σ squared miss per step and feature
        g = torch.Generator(device=self.device_).manual_seed(seed)
        for start in range(0, len(X), batch_size):
            # images are dequantised as in training: the bound is a density over continuous pixel values, and
            # variances fitted on exact grey levels would shrink around them
            x = self.prepare_batch(self.to_model_space(X[start:start + batch_size]), generator=g)
            for t, xt, mean in self._bound_terms(x, seed + 1 + start):
                target = x if t == 1 else self.schedule.posterior_mean_variance(x, xt, t)[0]
                sums[t] += (target - mean).double().pow(2).sum(dim=0)
        var = (sums / len(X)).float()
        var[2:] += self.schedule.posterior_var[2:, None]  # β̃_t; at t = 1 it is 0 (x_0 is the decoder's target)
        # a model that diverged keeps the fixed variances (all zero = not fitted)
        self.bound_var.copy_(var.clamp_min(1e-10) if torch.isfinite(var).all() else torch.zeros_like(var))
        return self.bound_var.cpu().numpy()

    @property
    def has_bound_variances(self) -> bool:
        return bool(self.bound_var.abs().sum() > 0)

    @torch.no_grad()
    def _log_prob(self, x: torch.Tensor, seed: int = 0, fixed_variances: bool = False) -> torch.Tensor:
        """The DDPM evidence lower bound on log p(x_0) in model space, (B, dim) -> (B,), over all T terms
        (DDPM eq. 5), with one x_t per term drawn from a fixed generator, so it is deterministic:

            log p(x_0) >= -KL(q(x_T|x_0) || N(0, I))                                    prior term L_T
                          - Σ_{t=2..T} KL(q(x_{t-1}|x_t, x_0) || N(m(x_t, t), σ_t²))    denoising terms L_{t-1}
                          + log N(x_0; m(x_1, 1), σ_1²)                                 decoder term -L_0

        m is the sampler's mean (x̂_0 clipped to the data's box; see `_bound_terms`), so this is the bound of the
        chain the sampler walks, unconditional (the null class) for class-conditional models, without the
        sampler's Langevin corrector steps. The step variances σ_t² are those fitted after training
        (`fit_bound_variances`); a model without them, or `fixed_variances`, uses β̃_t (or β_t, as the config's
        `variance`) and β_1 for the Gaussian decoder (continuous data, so no discretised decoder); the sampler
        itself keeps those fixed variances.
        Costs T network calls per observation.
        """
        sch, T = self.schedule, self.config.timesteps
        fitted = self.has_bound_variances and not fixed_variances
        a_T = sch.alpha_bars[T]
        # L_T: KL(N(sqrt(ᾱ_T) x_0, (1 - ᾱ_T) I) || N(0, I)), closed form
        prior = gaussian_kl(torch.sqrt(a_T) * x, 1 - a_T, torch.zeros_like(x), torch.ones_like(a_T)).sum(dim=1)
        bound = -prior  # (B,)
        for t, xt, mean_p in self._bound_terms(x, seed):
            if t == 1:  # -L_0: the decoder's log-likelihood of x_0
                var = self.bound_var[1] if fitted else sch.betas[1]
                bound = bound - 0.5 * ((x - mean_p) ** 2 / var + torch.log(var) + LOG_2PI).sum(dim=1)
            else:  # -L_{t-1}
                mean_q, var_q = sch.posterior_mean_variance(x, xt, t)
                var_p = self.bound_var[t] if fitted else sch.reverse_variance(t, xt, self.config.variance)
                bound = bound - gaussian_kl(mean_q, var_q, mean_p, var_p).sum(dim=1)
        return bound

    @torch.no_grad()
    def log_prob(self, X, batch_size: int = 4096, fixed_variances: bool = False):
        """The lower bound (the ELBO) on log p(x) in nats per data unit, shape (n,), each row a one-draw Monte Carlo
        estimate of it; deterministic: the same X and batch_size give the same numbers. The x_t of every step
        come from a generator that restarts at seed 0 for each batch, so a row's estimate depends on its place in
        its batch (rows scored one at a time all share one draw); averaged over the many rows of one call (a
        held-out NLL), the draws average out and the mean estimates the bound.
        fixed_variances: score the steps with β̃_t and β_1 even where fitted variances exist (for comparison)."""
        self._check_built()
        self.eval()
        X = np.asarray(X, dtype=np.float32)
        parts = [self._log_prob(self.to_model_space(X[i:i + batch_size]), fixed_variances=fixed_variances)
                 - self.log_det_scale() for i in range(0, len(X), batch_size)]
        return torch.cat(parts).double().cpu().numpy() if parts else np.zeros(0)
