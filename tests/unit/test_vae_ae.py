"""The VAE and the plain autoencoder: training lowers the loss, the ELBO is a lower bound, the exported decoder
is the decoder, and the autoencoder has no density."""
import io

import numpy as np
import pytest
import torch

import gdl
from gdl import checkpoints
from gdl.models import create
from gdl.models.vae import apply_exported

torch.set_num_threads(1)

SMALL = dict(hidden=(32,), batch_size=64)  # tiny networks keep each fit to a second or two


def early_and_late_loss(model, key="loss"):
    losses = [r[key] for r in model.history_.history]
    return np.mean(losses[:3]), np.mean(losses[-3:])


@pytest.fixture(scope="module")
def digits():
    return gdl.data.load("digits")[:600]


@pytest.fixture(scope="module")
def tins_vae():
    X = gdl.data.load("tins", n=300, seed=0)
    return create("vae", **SMALL).fit(X, steps=80, seed=0), X


@pytest.fixture(scope="module")
def digits_vae(digits):
    return create("vae", latent_dim=4, **SMALL).fit(digits, steps=200, seed=0)


@pytest.fixture(scope="module")
def moons_vae():
    """A small trained VAE on 2-D points with a 2-D code, for the bound checks."""
    X = gdl.data.load("moons", n=2000, seed=0)
    return create("vae", latent_dim=2, hidden=(64, 64), batch_size=128).fit(X, steps=400, seed=0), X


@pytest.fixture(scope="module")
def digits_ae(digits):
    return create("ae", latent_dim=2, **SMALL).fit(digits, steps=200, seed=0)


def test_vae_loss_falls_on_tins(tins_vae):
    model, _ = tins_vae
    early, late = early_and_late_loss(model)
    assert late < early - 100  # nats per image; the first steps sit near 1,300


def test_vae_loss_falls_on_digits_and_the_loss_is_reconstruction_plus_beta_kl(digits_vae):
    early, late = early_and_late_loss(digits_vae)
    assert late < early - 20
    last = digits_vae.history_.history[-1]
    assert last["loss"] == pytest.approx(last["reconstruction"] + digits_vae.config.beta * last["kl"], rel=1e-4)
    assert last["kl"] > 0


def test_encode_and_decode_shapes(digits_vae, digits):
    Z = digits_vae.encode(digits[:7])
    assert Z.shape == (7, 4) and Z.dtype == np.float32
    mu, log_var = digits_vae.encode_distribution(digits[:7])
    np.testing.assert_array_equal(mu, Z)
    assert log_var.shape == (7, 4)
    images = digits_vae.decode(Z)
    assert images.shape == (7, 8, 8) and images.min() >= 0 and images.max() <= 1
    with pytest.raises(ValueError):
        digits_vae.decode(np.zeros((3, 5)))


def test_vae_reconstructs_digits_better_than_the_mean_image(digits_vae, digits):
    mse = ((digits_vae.decode(digits_vae.encode(digits)) - digits) ** 2).mean()
    baseline = ((digits.mean(axis=0) - digits) ** 2).mean()
    assert mse < 0.8 * baseline


def test_elbo_never_exceeds_the_importance_weighted_estimate(moons_vae):
    """ELBO(x) <= E[IWAE_k(x)] <= log p(x) for every x (Burda et al. 2016, Theorem 1). Both sides are Monte-Carlo
    estimates, so per point we compare their means over 5 seeds and allow 4 standard errors of the difference,
    measured from the spread across those seeds (a false alarm at 4 SE is ~3e-5 per point under a normal
    approximation, and the bound's own slack is usually larger). With 256 samples for the ELBO and 1,000 for IWAE
    the standard errors are a few hundredths of a nat."""
    model, X = moons_vae
    points = X[:40]
    elbo = np.stack([model.elbo(points, samples=256, seed=s) for s in range(5)])  # (5, 40)
    iwae = np.stack([model.iwae_log_prob(points, k=1000, seed=s) for s in range(5)])
    standard_error = np.sqrt(elbo.var(axis=0, ddof=1) / 5 + iwae.var(axis=0, ddof=1) / 5)
    gap = iwae.mean(axis=0) - elbo.mean(axis=0)
    assert np.all(gap >= -4 * standard_error - 1e-6)
    assert gap.mean() > 0  # and the importance-weighted bound is strictly tighter on average
    # log_prob is the ELBO with 16 samples and a fixed seed: deterministic, and within its own (4x larger than a
    # 256-sample run's) Monte-Carlo error of the bound
    elbo_16 = model.log_prob(points)
    np.testing.assert_array_equal(elbo_16, model.log_prob(points))
    sd_16 = elbo.std(axis=0, ddof=1) * np.sqrt(256 / 16)
    assert np.all(elbo_16 <= iwae.mean(axis=0) + 4 * (sd_16 + standard_error) + 1e-6)


def test_iwae_approaches_the_exact_likelihood_of_a_linear_gaussian_vae():
    """With no hidden layers the decoder is affine, z -> W z + b, and the marginal is exactly
    p(x) = N(x | b, W W^T + diag(sigma^2)) (probabilistic PCA). The ELBO must lie below it and the
    importance-weighted estimate must close in on it from below."""
    X = gdl.data.load("moons", n=2000, seed=0)
    model = create("vae", latent_dim=2, hidden=()).fit(X, steps=150, seed=0)
    (linear,) = model.decoder
    W, b = linear.weight.detach().double(), linear.bias.detach().double()
    covariance = W @ W.T + torch.diag(model.decoder_variance_log().detach().double().exp())
    points = X[:30]
    exact = (torch.distributions.MultivariateNormal(b, covariance).log_prob(model.to_model_space(points).double())
             - model.log_det_scale().double()).numpy()
    elbo, iwae = model.elbo(points, samples=1000), model.iwae_log_prob(points, k=5000)
    assert np.all(elbo <= exact + 0.02)  # 1,000 samples: Monte-Carlo error of a few thousandths of a nat
    assert np.all(iwae <= exact + 0.02) and np.all(iwae >= elbo - 0.02)
    assert np.abs(iwae - exact).max() < 0.05 < (exact - elbo).max()  # much tighter than the ELBO


def test_log_prob_is_a_density_in_data_units_for_every_point_alone(moons_vae):
    model, X = moons_vae
    together = model.log_prob(X[:10])
    alone = np.array([model.log_prob(X[i:i + 1])[0] for i in range(10)])
    np.testing.assert_allclose(together, alone, rtol=1e-5, atol=1e-5)
    assert model.log_prob_kind == "lower_bound"
    # typical ELBO on the moons (standardised: a density over an area of a few square units) is of order -1
    assert -4 < model.log_prob(X[:500]).mean() < 1


@pytest.mark.parametrize("fixture", ["digits_vae", "digits_ae", "moons_vae"])
def test_decoder_export_applied_with_numpy_reproduces_decode(fixture, request):
    model = request.getfixturevalue(fixture)
    model = model[0] if isinstance(model, tuple) else model
    Z = np.random.default_rng(0).normal(size=(25, model.config.latent_dim)).astype(np.float32) * 2
    layers = model.decoder_export()
    assert all(set(layer) >= {"weight", "bias", "activation"} for layer in layers)
    assert layers[-1]["activation"] == "identity"
    out = apply_exported(layers, Z)  # (25, dim) in data units, before clipping
    if model.is_image:
        out = np.clip(out, 0, 1)
    # float32 torch against float64 NumPy with the unscale folded into the last layer: rounding only
    np.testing.assert_allclose(out.reshape(model.decode(Z).shape), model.decode(Z), atol=2e-5)


def test_sample_is_repeatable_and_shaped_like_the_data(digits_vae, digits_ae):
    for model in (digits_vae, digits_ae):
        a, b, c = model.sample(6, seed=3), model.sample(6, seed=3), model.sample(6, seed=4)
        assert a.shape == (6, 8, 8) and a.min() >= 0 and a.max() <= 1
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)


def test_vae_sample_decodes_draws_from_the_standard_normal_prior(digits_vae):
    z = torch.randn(5, 4, generator=digits_vae.generator(11))
    np.testing.assert_allclose(digits_vae.sample(5, seed=11), digits_vae.decode(z.numpy()), atol=1e-6)


def test_autoencoder_has_no_density_and_samples_from_a_gaussian_fitted_to_its_codes(digits_ae, digits):
    assert digits_ae.log_prob_kind == "none"
    with pytest.raises(NotImplementedError):
        digits_ae.log_prob(digits[:3])
    codes = digits_ae.encode(digits).astype(np.float64)
    np.testing.assert_allclose(digits_ae.code_mean.numpy(), codes.mean(axis=0), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(digits_ae.code_std.numpy(), codes.std(axis=0), rtol=1e-4, atol=1e-4)
    early, late = early_and_late_loss(digits_ae)
    assert late < 0.7 * early
    assert set(digits_ae.history_.history[-1]) >= {"loss", "reconstruction"}


def test_code_dependence_vanishes_for_independent_codes_and_catches_rotations_and_shears():
    from gdl.models.vae import VAE

    rng = np.random.default_rng(0)
    independent = torch.as_tensor(rng.uniform(-3 ** 0.5, 3 ** 0.5, (50_000, 2)))  # unit variance, uniform
    c, s = np.cos(np.pi / 4), np.sin(np.pi / 4)
    rotated = independent @ torch.tensor([[c, -s], [s, c]], dtype=independent.dtype)  # covariance still I
    sheared = independent @ torch.tensor([[1.0, 0.0], [0.8, 0.6]], dtype=independent.dtype)  # correlated
    assert VAE.code_dependence(independent) < 0.01
    # rotated standard uniforms: Cov[z1^2, z2^2] = (2 Var[a^2] - 4) / 4 = -0.6, counted twice: 0.72
    assert VAE.code_dependence(rotated) == pytest.approx(0.72, abs=0.05)
    assert VAE.code_dependence(sheared) > 1.0


@pytest.mark.parametrize("fixture", ["digits_vae", "digits_ae"])
def test_checkpoint_round_trip_keeps_the_decoder_and_the_sampler(fixture, request):
    model = request.getfixturevalue(fixture)
    buffer = io.BytesIO()
    checkpoints.save(model, buffer)
    loaded = checkpoints.load(buffer.getvalue())
    Z = np.zeros((2, model.config.latent_dim), dtype=np.float32)
    np.testing.assert_array_equal(loaded.decode(Z), model.decode(Z))
    np.testing.assert_array_equal(loaded.sample(3, seed=0), model.sample(3, seed=0))
