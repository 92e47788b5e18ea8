"""The two tractable-density families: invariants of every flow transform, the autoregressive masks, and that
each model's density is normalised and agrees with its own sampler."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import gdl
from gdl.models.autoregressive import MADE
from gdl.models.flow import AffineCoupling, FlowStack, SplineCoupling, Transform, coupling_masks

torch.set_num_threads(1)


def _randomised(transform: Transform, seed: int = 0) -> Transform:
    """Give every layer (the zero-initialised last ones included) random weights, so that no coupling is the identity.

    Weights of standard deviation 0.7/sqrt(fan-in) keep the spline parameters of order one, as after training; much
    larger ones make bins so flat that no float32 inverse can undo them (nor would training produce them)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in transform.modules():
            if isinstance(module, torch.nn.Linear):
                module.weight.copy_(torch.randn(module.weight.shape, generator=g) * 0.7 / module.in_features ** 0.5)
                module.bias.copy_(torch.randn(module.bias.shape, generator=g) * 0.3)
    return transform


TRANSFORMS = {  # every transform kind, on 2-D points, on a 6-feature vector (no Fourier features) and on images
    "affine-2d": lambda: AffineCoupling(torch.tensor([False, True]), hidden=16, layers=2, frequencies=3),
    "spline-2d": lambda: SplineCoupling(torch.tensor([False, True]), hidden=16, layers=2, frequencies=3, bins=8,
                                        bound=3.0),
    "affine-6d": lambda: AffineCoupling(coupling_masks((6,), 1)[0], hidden=16, layers=2, frequencies=0),
    "spline-6d": lambda: SplineCoupling(coupling_masks((6,), 1)[0], hidden=16, layers=2, frequencies=0, bins=8,
                                        bound=3.0),
    "stack-2d": lambda: FlowStack([SplineCoupling(m, 16, 2, 3, bins=8, bound=3.0) for m in coupling_masks((2,), 3)]
                                  + [AffineCoupling(m, 16, 2, 3) for m in coupling_masks((2,), 2)]),
    "stack-image": lambda: FlowStack([SplineCoupling(m, 16, 1, 0, bins=6, bound=3.0)
                                      for m in coupling_masks((4, 4), 4)]),
}


def _inputs(dim: int, n: int = 256) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n, dim, generator=g) * 1.5  # most inside the splines' [-3, 3], some in the identity tails
    return x


def _dim(transform) -> int:
    first = transform.transforms[0] if isinstance(transform, FlowStack) else transform
    return len(first.idx_a) + len(first.idx_b)


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_inverse_undoes_forward_and_log_determinants_cancel(name):
    """In float64, so that the test checks the inverse formulas rather than float32 rounding, which a stack of
    random (untrained, steep) splines can amplify past 1e-4."""
    transform = _randomised(TRANSFORMS[name]()).double()
    x = _inputs(_dim(transform)).double()
    with torch.no_grad():
        z, logdet_forward = transform(x)
        x_back, logdet_inverse = transform.inverse(z)
    assert z.shape == x.shape and logdet_forward.shape == (len(x),)
    assert not torch.allclose(z, x), "the randomised transform should not be the identity"
    assert (x_back - x).abs().max() < 1e-4
    assert (logdet_forward + logdet_inverse).abs().max() < 1e-4


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_log_determinant_equals_log_abs_det_of_the_autograd_jacobian(name):
    transform = _randomised(TRANSFORMS[name]()).double()
    x = _inputs(_dim(transform), n=5).double()
    _, logdet = transform(x)
    for i in range(len(x)):
        jac = torch.autograd.functional.jacobian(lambda row: transform(row[None])[0][0], x[i])  # (d, d)
        assert torch.isclose(logdet[i], torch.linalg.slogdet(jac)[1], atol=1e-6)


def test_spline_is_the_identity_outside_its_interval():
    spline = _randomised(SplineCoupling(torch.tensor([False, True]), 16, 2, 3, bins=8, bound=3.0))
    x = torch.tensor([[0.3, -5.0], [1.0, 4.0], [-2.0, 3.5]])
    z, logdet = spline(x)
    assert torch.equal(z, x)
    assert torch.equal(logdet, torch.zeros(3))


def test_made_output_for_feature_i_depends_only_on_earlier_features():
    """The autoregressive property: d params_i / d x_j = 0 for j >= i (Germain et al. 2015)."""
    for dim, frequencies in [(4, 3), (6, 0)]:
        made = MADE(dim, hidden=32, layers=2, outputs_per_feature=5, frequencies=frequencies)
        x = torch.randn(dim)
        jac = torch.autograd.functional.jacobian(lambda row: made(row[None])[0], x)  # (dim, 5, dim)
        dependence = jac.abs().sum(dim=1) > 0  # (dim outputs, dim inputs)
        assert torch.equal(dependence, torch.ones(dim, dim).tril(-1).bool())


@pytest.mark.parametrize("mixture", ["logistic", "gaussian", "box"])
def test_every_mixture_component_integrates_to_one(mixture):
    """Narrow, wide and in-between components (the box from nearly a logistic to far wider than its edges)."""
    model = gdl.models.create("autoregressive", mixture=mixture).build((2,))
    xs = torch.linspace(-80, 80, 320001, dtype=torch.float64)[:, None]  # (N, 1), step 5e-4
    params = torch.tensor([[0.5, -6.0, 0.0], [0.5, 0.0, -3.0], [-1.0, 2.0, -5.0], [0.0, 3.0, 1.0]],
                          dtype=torch.float64)  # (loc, log box width, log scale) per component
    components = {"loc": params[:, 0], "log_width": params[:, 1], "log_scale": params[:, 2]}
    density = model._component_log_prob(xs, components).exp()  # (N, 4)
    np.testing.assert_allclose(density.sum(dim=0) * 5e-4, 1.0, atol=1e-6)


def test_mixture_widths_stay_between_floor_and_ceiling_whatever_the_network_outputs():
    """Extreme network outputs (as for inputs far outside the data) give log widths within the config's bounds,
    finite log weights that sum to one, and no change at all below the ceiling's knee."""
    model = gdl.models.create("autoregressive", components=3).build((2,))
    c = model.config
    params = torch.tensor([-1e4, -3.0, 0.0, 0.5, 3.0, 1e4]).repeat_interleave(2)  # (12,) = 4 parts x 3 components
    mixture = model._mixture(torch.stack([params, -params]))  # (2, 12) -> each (2, 3)
    for name in ("log_scale", "log_width"):
        assert (mixture[name] >= c.min_log_scale).all() and (mixture[name] <= c.max_log_scale).all()
    assert torch.isfinite(mixture["log_w"]).all()
    assert torch.allclose(mixture["log_w"].exp().sum(dim=-1), torch.ones(2))
    moderate = torch.tensor([-3.0, 0.0, 0.5])
    expected = c.min_log_scale + torch.nn.functional.softplus(moderate - c.min_log_scale)
    assert torch.equal(model._mixture(moderate.repeat(4))["log_scale"], expected)


def test_a_briefly_trained_digits_model_samples_finite_pixels():
    """The bench's failure in miniature: after 40 steps on the digits, some of the model's draws land outside the
    pixel range, and the later conditionals, extrapolating, widened without bound until float32 overflowed and
    the mixture weights turned NaN (at about pixel 47). The ceiling on the log widths keeps every draw finite."""
    X = gdl.data.load("digits")
    X = X[np.random.default_rng(0).permutation(len(X))[:1500]]
    model = gdl.models.create("autoregressive", batch_size=256).fit(X, steps=40, seed=0)
    samples = model.sample(300, seed=1)
    assert np.isfinite(samples).all()
    assert np.abs(samples).max() < 1e3  # far outside [0, 1] would mean the runaway has only slowed down


# ---- trained briefly on a toy: normalisation and agreement with the sampler -------------------------------
FAST = {
    "autoregressive": dict(hidden=64, components=8, frequencies=3, batch_size=256, lr=3e-3),
    "flow": dict(hidden=32, couplings=4, bins=8, frequencies=3, batch_size=256, lr=3e-3),
}


@pytest.fixture(scope="module", params=sorted(FAST))
def toy_model(request):
    X = gdl.data.load("moons", n=2000, seed=0)
    model = gdl.models.create(request.param, **FAST[request.param]).fit(X, steps=150, seed=0)
    assert model.history_.ok
    return model


def _grid(lo=(-5.0, -4.0), hi=(6.0, 4.5), cells=400):
    """Cell centres (cells^2, 2) of a grid over the moons (data range about [-1.2, 2.2] x [-0.8, 1.3]) with a
    wide margin, since logistic tails are heavy, and the area of one cell."""
    xs = np.linspace(lo[0], hi[0], cells + 1)
    ys = np.linspace(lo[1], hi[1], cells + 1)
    cx, cy = (xs[1:] + xs[:-1]) / 2, (ys[1:] + ys[:-1]) / 2
    gx, gy = np.meshgrid(cx, cy, indexing="ij")
    return np.column_stack([gx.ravel(), gy.ravel()]), (xs[1] - xs[0]) * (ys[1] - ys[0])


def test_density_integrates_to_one_over_a_grid(toy_model):
    """Midpoint rule on a 400 x 400 grid of cells 0.028 x 0.021 wide. A briefly trained model is smooth on that
    scale (its mixture widths and spline bins span several cells), so the rule's error is well under 1%; the
    grid reaches about 4 data standard deviations beyond the data, and the heavy logistic tails leave well under
    1% of the mass outside it. 2% leaves room for both."""
    points, cell_area = _grid()
    mass = np.exp(toy_model.log_prob(points)).sum() * cell_area
    assert abs(mass - 1) < 0.02, mass


def test_sampler_draws_from_the_reported_density(toy_model):
    """The share of 20,000 samples in each of four regions matches the integral of exp(log_prob) over it.

    The regions are the quadrants around the data's centre (0.5, 0.25). A share's standard error is at most
    sqrt(0.25 / 20000) = 0.0035 and the grid integral is good to about 1%, so 0.02 is a loose but telling bound:
    a sampler that, say, ignored the conditioning or mixed up components would miss it by far more."""
    points, cell_area = _grid()
    cell_mass = np.exp(toy_model.log_prob(points)) * cell_area
    samples = toy_model.sample(20000, seed=3)
    for right in (False, True):
        for top in (False, True):
            in_points = ((points[:, 0] > 0.5) == right) & ((points[:, 1] > 0.25) == top)
            in_samples = ((samples[:, 0] > 0.5) == right) & ((samples[:, 1] > 0.25) == top)
            assert abs(cell_mass[in_points].sum() - in_samples.mean()) < 0.02


def test_sampling_is_repeatable_with_a_seed(toy_model):
    a, b, c = toy_model.sample(50, seed=7), toy_model.sample(50, seed=7), toy_model.sample(50, seed=8)
    assert a.shape == (50, 2) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_log_prob_of_the_own_samples_estimates_minus_the_entropy(toy_model):
    """-mean log p(own samples) is a Monte Carlo estimate of the model's entropy H(p_model); on the grid the same
    entropy is -sum p log p dA. Both come out near 1.0-1.3 nats here; the Monte Carlo standard error is
    std(log p) / sqrt(20000), about 0.007, so they must agree within 0.03 (about four standard errors)."""
    points, cell_area = _grid()
    log_p = toy_model.log_prob(points)
    grid_entropy = -(np.exp(log_p) * log_p).sum() * cell_area
    mc_entropy = -toy_model.log_prob(toy_model.sample(20000, seed=4)).mean()
    assert abs(grid_entropy - mc_entropy) < 0.03


def test_flow_transform_and_inverse_transform_round_trip_in_data_space():
    X = gdl.data.load("moons", n=500, seed=0)
    flow = gdl.models.create("flow", **FAST["flow"]).fit(X, steps=20)
    Z, logdet = flow.transform(X)
    assert Z.shape == (500, 2) and logdet.shape == (500,)
    np.testing.assert_allclose(flow.inverse_transform(Z), X, atol=1e-4)
    # log p(x) = log N(z) + logdet, in data units
    log_normal = -0.5 * (Z.astype(np.float64) ** 2 + np.log(2 * np.pi)).sum(axis=1)
    np.testing.assert_allclose(log_normal + logdet, flow.log_prob(X), atol=1e-4)


@pytest.mark.parametrize("family", ["autoregressive", "flow"])
def test_families_handle_8x8_digits(family):
    X = gdl.data.load("digits", n=64, seed=0)
    model = gdl.models.create(family, hidden=32, batch_size=32).fit(X, steps=3)
    samples = model.sample(4, seed=0)
    assert samples.shape == (4, 8, 8) and np.isfinite(samples).all()
    log_p = model.log_prob(X[:5])
    assert log_p.shape == (5,) and np.isfinite(log_p).all()
