"""Energy-based model: a network assigns each point an energy E(x); likely points get low energy.

Place in the taxonomy: an *explicit but unnormalised* density, p(x) = exp(-E(x)) / Z, where the normaliser
Z = integral of exp(-E(x)) dx is intractable. So `log_prob` raises NotImplementedError: `energy` gives
-log p(x) only up to the unknown constant log Z, which is enough to draw the landscape and to sample.

Paper: Du & Mordatch, "Implicit Generation and Generalization in Energy-Based Models" (2019), building on
Hinton's contrastive divergence (2002) and Welling & Teh's stochastic-gradient Langevin dynamics (2011).

The equation that matters: the gradient of the log-likelihood needs samples from the model itself,

    grad_theta E_data[-log p(x)] = E_data[grad_theta E(x)] - E_model[grad_theta E(x)],

so training lowers the energy of data and raises the energy of "negatives" drawn from the model. The loss
minimised here is that difference, plus a small regulariser that keeps energies near zero:

    loss = mean E(x_data) - mean E(x_neg) + alpha * mean(E(x_data)^2 + E(x_neg)^2).

Negatives come from Langevin dynamics, which follows the energy downhill with noise:

    x <- x - step/2 * grad_x E(x) + sqrt(step) * noise,      noise ~ N(0, I)

run exactly, that samples p(x) = exp(-E(x)) / Z. In practice (as in Du & Mordatch) the gradient step and
the noise scale are set separately: x <- x - step_size * grad_x E(x) + noise * N(0, I). That samples
exp(-E(x) / T) at temperature T = noise^2 / (2 step_size); a noise smaller than sqrt(2 step_size) gives a
colder chain that settles into the energy's valleys within a few dozen steps instead of thousands. The model
learns the energy for *those* samplers, so the energy is best read as a landscape, not a calibrated density.
The defaults (step_size 0.1, noise 0.03: T ~ 0.005) trade spread against stability: on `world` after 1,500
steps, a colder chain (noise 0.01) keeps as many samples on land but piles them into a few valleys per continent
(coverage 0.61 against 0.89); a warmer one (0.05) spreads them a little further (0.93) but, on two seeds, let
training fall apart after about 3,000 steps (40% of samples on land), even with the stabiliser described below.

Chains persist between training steps in a replay buffer: each step starts 95% of its chains where earlier
chains ended and 5% from fresh uniform noise over the data's range, so short chains (a few dozen steps)
still add up to long mixing. The buffer is working memory, not learned state, and stays out of checkpoints;
`sample` always starts from seeded uniform noise and runs more steps than training does.

Keeping training stable: contrastive divergence with short chains can collapse, and without help this model did.
On `world` it trained well for about 3,000 steps; then, within a hundred steps, a steep spot grew in the energy
where a few chains sat (|grad_x E| near 30 where the median was 0.05: with step_size 0.1, one Langevin step
flings such a chain three standard deviations), the chains piled up on the edges of their box, and the network
learnt to tell them from the data perfectly: data energy -5, negatives +5, where the regulariser alpha * E^2
stops the gap (at +-1 / (2 alpha)). Samples from uniform noise then ran to the edges too: 1% of them on land.
Clipping the weights' gradient did not stop this, and a larger alpha only delayed it. The cure, as in Du &
Mordatch, is a smooth energy: every linear layer is spectrally normalised (Miyato et al., 2018, "Spectral
Normalization for Generative Adversarial Networks"), its weight divided by its largest singular value (estimated
by one step of power iteration per training step). No layer can then stretch its input, so the energy's slope is
bounded (by a constant that the Fourier features' frequencies set) and no cliff can grow. With it, 82-90% of
samples landed on land at every 1,000 steps up to 8,000 (two seeds). `spectral_norm=False` brings the collapse
back, for anyone who wants to watch it.

Model space: 2-D points are standardised; images are flattened (8x8 digits -> 64 features) in [-1, 1].
Chains are kept inside the data's range (a box in model space) by clamping. For 2-D points the energy network
sees random Fourier features [x, sin(2 pi B x), cos(2 pi B x)] (as the GAN's discriminator does), so that the
energy can follow coastlines within a minute of training instead of staying one smooth bowl.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm

from gdl.models.gan import FourierFeatures
from gdl.models.neural import NeuralConfig, NeuralModel, mlp


@dataclass
class EBMConfig(NeuralConfig):
    hidden: list[int] = field(default_factory=lambda: [128, 128, 128])  # energy network hidden widths (SiLU between)
    lr: float = 1e-3  # Adam learning rate
    beta1: float = 0.0  # Adam first-moment decay; 0 (as in Du & Mordatch) follows the moving negatives faster
    batch_size: int = 256  # data points (and as many negatives) per training step
    langevin_steps: int = 20  # Langevin steps per training step, from the replay buffer
    sample_steps: int = 100  # Langevin steps when `sample` starts from fresh uniform noise
    step_size: float = 0.1  # gradient step of Langevin dynamics (step/2 in the exact update)
    noise: float = 0.03  # noise scale of Langevin dynamics (sqrt(step) in the exact update; smaller is colder)
    buffer_size: int = 10000  # persistent chains kept between training steps
    reinit_prob: float = 0.05  # share of each step's chains restarted from uniform noise
    alpha: float = 0.1  # weight of the energy-magnitude regulariser E^2
    fourier_features: int = 64  # 2-D points only: random Fourier features the energy network sees (0: raw x only)
    fourier_scale: float = 1.0  # their frequencies' spread, in cycles per standard deviation of the data
    margin: float = 0.1  # the chains' box: the data's range in model space, widened by this share on each side
    spectral_norm: bool = True  # divide each layer's weight by its largest singular value (stability: see docstring)


def langevin(energy_fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, steps: int, step_size: float,
             noise: float, low: torch.Tensor | None = None, high: torch.Tensor | None = None,
             generator: torch.Generator | None = None) -> torch.Tensor:
    """Run `steps` of Langevin dynamics x <- x - step_size * grad E(x) + noise * N(0, I) from x (B, dim).

    Args:
        energy_fn: maps (B, dim) to energies (B,).
        low, high: optional (dim,) box the chains are clamped into after each step.
        generator: a torch.Generator for the noise (seeded, repeatable sampling); None uses torch's global one.
    Returns:
        The chains' end points (B, dim), detached from any graph.
    """
    x = x.detach().clone()
    for _ in range(int(steps)):
        x.requires_grad_(True)
        with torch.enable_grad():
            grad = torch.autograd.grad(energy_fn(x).sum(), x)[0]  # (B, dim); the network's weights get no gradient
        x = x.detach() - step_size * grad
        if noise > 0:
            x = x + noise * torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        if low is not None:
            x = torch.maximum(torch.minimum(x, high), low)
    return x.detach()


class EBM(NeuralModel):
    """An energy MLP E: x -> scalar, trained by contrastive divergence with Langevin negatives."""

    name = "ebm"
    log_prob_kind = "none"
    Config = EBMConfig

    def _build(self, dim: int) -> None:
        c = self.config
        k = c.fourier_features if not self.is_image else 0
        body = mlp([dim + 2 * k, *c.hidden, 1], activation=nn.SiLU)  # (B, dim + 2k) -> (B, 1)
        if c.spectral_norm:  # without it, training on `world` collapsed after ~3,000 steps (module docstring)
            for i, layer in enumerate(body):
                if isinstance(layer, nn.Linear):
                    body[i] = spectral_norm(layer)
        self.energy_net = nn.Sequential(FourierFeatures(dim, k, c.fourier_scale), *body) if k else body
        # The box the chains live in (model space); learned from the data by `set_data_scale`, saved in checkpoints.
        self.register_buffer("low", torch.full((dim,), -1.0))
        self.register_buffer("high", torch.full((dim,), 1.0))
        self.replay_: torch.Tensor | None = None  # (buffer_size, dim) persistent chains; not part of state_dict

    def set_data_scale(self, X: np.ndarray) -> None:
        """Standardise as the base does, then set the chains' box to the data's range in model space."""
        super().set_data_scale(X)
        if self.is_image:
            low, high = torch.full((self.dim,), -1.0), torch.full((self.dim,), 1.0)  # pixels in [-1, 1]
        else:
            z = self.to_model_space(X)  # (n, dim)
            low, high = z.min(dim=0).values, z.max(dim=0).values
            pad = self.config.margin * (high - low)
            low, high = low - pad, high + pad
        self.low.copy_(low)
        self.high.copy_(high)
        self.replay_ = None  # new data, new chains

    # ---- energy and sampling in model space ------------------------------------------------------------
    def energy_model(self, x: torch.Tensor) -> torch.Tensor:
        """E(x) for model-space x (B, dim) -> (B,)."""
        return self.energy_net(x).squeeze(-1)

    def _uniform(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n points uniform over the chains' box, (n, dim)."""
        u = torch.rand(n, self.dim, generator=generator, device=self.low.device)
        return self.low + u * (self.high - self.low)

    def _langevin(self, x: torch.Tensor, steps: int, generator: torch.Generator | None = None) -> torch.Tensor:
        c = self.config
        with parametrize.cached():  # normalise the weights once per run of chains, not once per Langevin step
            return langevin(self.energy_model, x, steps, c.step_size, c.noise, self.low, self.high, generator)

    def negatives(self, n: int) -> torch.Tensor:
        """n training negatives (n, dim): chains from the replay buffer (some restarted), advanced and put back."""
        c = self.config
        if self.replay_ is None or self.replay_.device != self.low.device or self.replay_.shape[1] != self.dim:
            self.replay_ = self._uniform(max(c.buffer_size, n))
        idx = torch.randint(len(self.replay_), (n,), device=self.low.device)  # (n,)
        start = self.replay_[idx]  # (n, dim)
        fresh = torch.rand(n, 1, device=start.device) < c.reinit_prob  # (n, 1)
        start = torch.where(fresh, self._uniform(n), start)
        x = self._langevin(start, c.langevin_steps)
        self.replay_[idx] = x
        return x

    def loss(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Contrastive divergence on data batch x (B, dim): push data energy down, negatives' energy up."""
        with parametrize.cached():  # one power iteration and one set of normalised weights for the whole step
            neg = self.negatives(len(x))  # (B, dim)
            e_data, e_neg = self.energy_model(x), self.energy_model(neg)  # (B,), (B,)
        cd = e_data.mean() - e_neg.mean()
        reg = self.config.alpha * (e_data.pow(2).mean() + e_neg.pow(2).mean())
        return {"loss": cd + reg, "cd": cd.detach(), "e_data": e_data.mean().detach(), "e_neg": e_neg.mean().detach()}

    def make_optimizers(self) -> list[torch.optim.Optimizer]:
        return [torch.optim.Adam(self.parameters(), lr=self.config.lr, betas=(self.config.beta1, 0.999))]

    # ---- the public API ---------------------------------------------------------------------------------
    def sample(self, n, seed=None, steps: int | None = None):
        """n samples shaped like the data: Langevin chains from seeded uniform noise over the data's range.

        Args:
            n: how many samples.
            seed: seeds the starting points and the noise, so that the same seed gives the same samples.
            steps: Langevin steps (default `config.sample_steps`, more than a training step runs).
        """
        self.eval()
        g = self.generator(seed)
        x = self._uniform(int(n), g)  # (n, dim)
        x = self._langevin(x, self.config.sample_steps if steps is None else steps, g)
        return self.from_model_space(x)

    def _sample(self, n: int, g: torch.Generator) -> torch.Tensor:
        return self._langevin(self._uniform(n, g), self.config.sample_steps, g)

    @torch.no_grad()
    def energy(self, X: np.ndarray) -> np.ndarray:
        """E(x) for data-space observations X ((n, 2) points or (n, H, W) images), shape (n,).

        Lower is more likely: p(x) is proportional to exp(-E(x)) (in model-space units; the constant log Z
        and the standardisation's Jacobian are unknown offsets that do not change the landscape's shape).
        """
        self.eval()
        return self.energy_model(self.to_model_space(X)).double().cpu().numpy()
