"""Diffusion: the noise schedule's closed forms, the reverse steps, and the model's sampling API.

Statistical tests draw N samples and allow 5 standard errors: the standard error of a sample mean is
sqrt(var / N) and of a sample variance about var * sqrt(2 / N), so a correct implementation fails with
probability well under 1e-5 per check (and the seeds are fixed anyway).
"""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

import gdl
from gdl.models.diffusion import Diffusion, NoiseSchedule

torch.set_num_threads(1)

N = 40_000  # samples per statistical check
Z = 5.0  # tolerance in standard errors


def _close_in_distribution(samples: torch.Tensor, mean: torch.Tensor, var: float) -> None:
    """Per-coordinate sample mean and variance of samples (N, d) agree with N(mean, var) within Z SEs."""
    n = len(samples)
    assert torch.all((samples.mean(0) - mean).abs() < Z * np.sqrt(var / n))
    assert torch.all((samples.var(0) - var).abs() < Z * var * np.sqrt(2 / n))


@pytest.fixture(scope="module")
def points():
    return gdl.data.load("moons", n=400, seed=0)


@pytest.fixture(scope="module")
def tiny(points):
    """An unconditional model on 2-D points, trained a few steps (the tests check mechanics, not quality)."""
    return Diffusion(timesteps=50, width=32, depth=1, batch_size=64).fit(points, steps=20)


@pytest.fixture(scope="module")
def conditional():
    X, y = gdl.data.load("digits", n=200, seed=0, with_targets=True)
    return Diffusion(timesteps=50, width=32, depth=1, batch_size=64, num_classes=10).fit(X, y=y, steps=20)


# ---- the schedule ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("T", [50, 200, 1000])
def test_schedules_follow_their_closed_forms(T):
    """Linear (Ho et al.): β evenly spaced from 1e-4 to 0.02 at T = 1000, both scaled by 1000/T. Cosine (Nichol &
    Dhariwal): ᾱ_t = f(t)/f(0) with f(t) = cos²((t/T + 0.008)/1.008 · π/2), except the last step, whose β is
    clipped to 0.999. Written here with Python's math, one step at a time."""
    lin = NoiseSchedule("linear", T).arrays()
    first, last = 1e-4 * 1000 / T, min(0.02 * 1000 / T, 0.999)
    expected = [first + (last - first) * k / (T - 1) for k in range(T)]
    np.testing.assert_allclose(lin["beta"], expected, rtol=1e-12)
    for t in (1, T // 2, T):
        product = math.prod(1 - b for b in expected[:t])
        assert lin["alpha_bar"][t - 1] == pytest.approx(product, rel=1e-9)
        assert lin["snr"][t - 1] == pytest.approx(product / (1 - product), rel=1e-9)

    cos = NoiseSchedule("cosine", T).arrays()
    f = [math.cos((t / T + 0.008) / 1.008 * math.pi / 2) ** 2 for t in range(T + 1)]
    np.testing.assert_allclose(cos["alpha_bar"][:-1], [f[t] / f[0] for t in range(1, T)], rtol=1e-9)
    assert cos["beta"][-1] == pytest.approx(0.999)  # 1 - f(T)/f(T-1) = 1 exactly: clipped
    assert cos["alpha_bar"][-1] == pytest.approx(f[T - 1] / f[0] * 0.001, rel=1e-9)
    np.testing.assert_array_equal(cos["t"], np.arange(1, T + 1))


def test_ddim_with_eta_one_on_consecutive_steps_is_the_ddpm_step():
    """DDIM's σ at η = 1 between t and t - 1 equals sqrt(β̃_t), and its mean equals DDPM's μ_θ: the two steps
    coincide (DDIM paper, eq. 16), the path DDPM takes on a sub-sequence of steps."""
    s = NoiseSchedule("cosine", 50, dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    for t in (1, 2, 10, 49, 50):
        xt, eps, z = (torch.randn(64, 3, generator=g, dtype=torch.float64) for _ in range(3))
        ddpm = s.ddpm_step(xt, t, eps, z if t > 1 else None)
        torch.testing.assert_close(s.ddim_step(xt, t, t - 1, eps, eta=1.0, noise=z), ddpm, rtol=1e-9, atol=1e-9)
        if t > 1:
            assert not torch.allclose(s.ddim_step(xt, t, t - 1, eps, eta=0.0), ddpm)  # the noise term matters


@pytest.mark.parametrize("kind", ["linear", "cosine"])
@pytest.mark.parametrize("T", [50, 1000])
def test_schedules_have_betas_in_unit_interval_and_alpha_bar_falling_from_one_to_zero(kind, T):
    s = NoiseSchedule(kind, T)
    betas, alpha_bars = s.betas[1:].double(), s.alpha_bars.double()
    assert len(s.betas) == T + 1 and s.betas[0] == 0 and alpha_bars[0] == 1  # index t = 0 is the data
    assert torch.all((betas > 0) & (betas < 1))
    assert torch.all(alpha_bars[1:] < alpha_bars[:-1])
    assert alpha_bars[1] > 0.99 and alpha_bars[T] < 0.01
    assert torch.all(s.snr(torch.arange(2, T + 1)) < s.snr(torch.arange(1, T)))
    arrays = s.arrays()
    assert set(arrays) == {"t", "beta", "alpha_bar", "snr"}
    assert all(a.shape == (T,) and isinstance(a, np.ndarray) for a in arrays.values())


def test_unknown_schedule_fails_loudly():
    with pytest.raises(ValueError, match="schedule"):
        NoiseSchedule("quadratic", 100)


# ---- the forward process ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_closed_form_forward_matches_iterating_single_steps_in_distribution(kind):
    s = NoiseSchedule(kind, 100)
    g = torch.Generator().manual_seed(0)
    x0 = torch.tensor([1.5, -0.7]).expand(N, 2)
    t = 30
    x = x0
    for step in range(1, t + 1):
        x = s.q_step(x, step, torch.randn(N, 2, generator=g))
    a = s.alpha_bars[t]
    _close_in_distribution(x, torch.sqrt(a) * x0[0], float(1 - a))
    closed = s.q_sample(x0, t, torch.randn(N, 2, generator=g))
    _close_in_distribution(closed, torch.sqrt(a) * x0[0], float(1 - a))


@pytest.mark.parametrize("t", [1, 10, 49])
def test_marginal_at_t_is_gaussian_with_closed_form_mean_and_variance(t):
    s = NoiseSchedule("cosine", 50)
    g = torch.Generator().manual_seed(1)
    x0 = torch.full((N, 1), 2.0)
    xt = s.q_sample(x0, t, torch.randn(N, 1, generator=g))
    a = float(s.alpha_bars[t])
    _close_in_distribution(xt, torch.tensor([np.sqrt(a) * 2.0]), 1 - a)
    # Gaussian shape, not just two moments: the central 95% interval holds about 95% of the samples.
    z = (xt[:, 0] - np.sqrt(a) * 2.0) / np.sqrt(1 - a)
    inside = float((z.abs() < 1.959964).float().mean())
    assert abs(inside - 0.95) < Z * np.sqrt(0.95 * 0.05 / N)


def test_public_q_sample_accepts_int_or_per_row_t_and_is_repeatable(tiny, points):
    X = points[:10]
    assert np.array_equal(tiny.q_sample(X, 0, seed=3), X) or np.allclose(tiny.q_sample(X, 0, seed=3), X, atol=1e-5)
    a, b = tiny.q_sample(X, 25, seed=3), tiny.q_sample(X, 25, seed=3)
    assert a.shape == X.shape and np.array_equal(a, b)
    # x_t = sqrt(ᾱ_t) x_0 + sqrt(1 - ᾱ_t) ε in model space, and a seed fixes ε: the noise implied by each output
    # is the same at every t (wrong coefficients, or a result left in model space, would make it depend on t)
    x0, alpha_bars = tiny.to_model_space(X).double(), tiny.schedule.alpha_bars.double()

    def implied_noise(xt, t):
        return ((tiny.to_model_space(xt).double() - alpha_bars[t].sqrt() * x0) / (1 - alpha_bars[t]).sqrt()).numpy()

    eps = implied_noise(a, 25)
    for t in (1, 10, 50):
        np.testing.assert_allclose(implied_noise(tiny.q_sample(X, t, seed=3), t), eps, atol=1e-4)
    per_row = tiny.q_sample(X, np.arange(10) * 5, seed=3)
    assert np.allclose(per_row[0], X[0], atol=1e-5)  # t = 0 leaves the data as it is
    for k in range(1, 10):  # and row k is noised to its own t = 5k, not to the first row's t
        np.testing.assert_allclose(per_row[k], tiny.q_sample(X, 5 * k, seed=3)[k], rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError):
        tiny.q_sample(X, 51)


# ---- reverse steps ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_ddpm_step_fed_the_true_noise_gives_the_posterior_mean_exactly(kind):
    s = NoiseSchedule(kind, 200, dtype=torch.float64)  # in float64 the two algebraic forms agree to ~1e-12
    g = torch.Generator().manual_seed(2)
    x0 = torch.randn(64, 3, generator=g, dtype=torch.float64)
    eps = torch.randn(64, 3, generator=g, dtype=torch.float64)
    t = torch.randint(1, 201, (64,), generator=g)
    xt = s.q_sample(x0, t, eps)
    posterior_mean, posterior_var = s.posterior_mean_variance(x0, xt, t)
    torch.testing.assert_close(s.ddpm_step(xt, t, eps), posterior_mean, atol=1e-10, rtol=1e-10)
    # ... and with noise z it adds sigma_t z, sigma_t^2 the posterior variance (none at t = 1)
    z = torch.randn(64, 3, generator=g, dtype=torch.float64)
    expected = posterior_mean + torch.where(t[:, None] > 1, posterior_var.sqrt(), 0) * z
    torch.testing.assert_close(s.ddpm_step(xt, t, eps, z), expected, atol=1e-10, rtol=1e-10)
    assert float(s.posterior_var[1]) == 0.0


def test_ddim_step_with_the_true_noise_lands_on_the_forward_process():
    s = NoiseSchedule("linear", 100)
    g = torch.Generator().manual_seed(3)
    x0, eps = torch.randn(32, 2, generator=g), torch.randn(32, 2, generator=g)
    xt = s.q_sample(x0, 80, eps)
    torch.testing.assert_close(s.ddim_step(xt, 80, 0, eps), x0, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(s.ddim_step(xt, 80, 40, eps), s.q_sample(x0, 40, eps), atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(s.predict_x0(xt, 80, eps), x0, atol=1e-4, rtol=1e-4)


def test_posterior_variance_matches_its_closed_form_and_lies_below_beta():
    s = NoiseSchedule("cosine", 200, dtype=torch.float64)
    a = s.alpha_bars.numpy()
    t = np.arange(2, 201)
    expected = (1 - a[t - 1]) / (1 - a[t]) * s.betas.numpy()[t]  # β̃_t, DDPM eq. 7
    x = torch.zeros(len(t), 1, dtype=torch.float64)
    np.testing.assert_allclose(s.reverse_variance(torch.as_tensor(t), x, "posterior")[:, 0].numpy(), expected,
                               rtol=1e-12)
    assert np.all(expected < s.reverse_variance(torch.as_tensor(t), x, "beta")[:, 0].numpy())


def test_langevin_step_with_the_exact_score_moves_a_gaussian_marginal_as_the_closed_form_says():
    # Data x_0 ~ N(m, s²) makes p_t Gaussian, N(μ, v) with μ = sqrt(ᾱ) m and v = ᾱ s² + 1 - ᾱ, so the exact
    # noise prediction is ε̂(x) = sqrt(1 - ᾱ) (x - μ) / v. One step x + δ ∇log p_t + sqrt(2δ) z with
    # δ = size (1 - ᾱ) maps N(μ, v) to N(μ, (1 - δ/v)² v + 2δ): close to p_t, off only by O(δ²).
    s = NoiseSchedule("cosine", 100, dtype=torch.float64)
    g = torch.Generator().manual_seed(5)
    m, sd, t, size = 1.5, 0.3, 20, 0.25
    a = float(s.alpha_bars[t])
    mu, v = np.sqrt(a) * m, a * sd**2 + 1 - a
    x = mu + np.sqrt(v) * torch.randn(N, 1, generator=g, dtype=torch.float64)
    eps_hat = np.sqrt(1 - a) * (x - mu) / v
    z = torch.randn(N, 1, generator=g, dtype=torch.float64)
    stepped = s.langevin_step(x, t, eps_hat, z, size)
    delta = size * (1 - a)
    torch.testing.assert_close(stepped, x - delta * (x - mu) / v + np.sqrt(2 * delta) * z)  # score = -(x - μ)/v
    _close_in_distribution(stepped, torch.tensor([mu]), (1 - delta / v) ** 2 * v + 2 * delta)


# ---- sampling ---------------------------------------------------------------------------------------------
def test_ddim_is_deterministic_for_a_seed_and_seeds_differ(tiny):
    a = tiny.sample(50, seed=7, method="ddim", steps=20)
    b = tiny.sample(50, seed=7, method="ddim", steps=20)
    c = tiny.sample(50, seed=8, method="ddim", steps=20)
    assert a.shape == (50, 2) and np.array_equal(a, b) and not np.allclose(a, c)
    assert np.array_equal(tiny.sample(20, seed=1), tiny.sample(20, seed=1))  # DDPM is repeatable too


def test_ddpm_sampling_is_the_reverse_steps_then_langevin_corrector_steps_at_the_last_noise_levels(tiny):
    # The sampler written out with the schedule's steps, drawing from the same generator in the same order.
    c, sch = tiny.config, tiny.schedule
    assert c.corrector_levels >= 1 and c.corrector_steps >= 1 and c.corrector_size > 0  # the defaults use it
    g = tiny.generator(11)
    with torch.no_grad():
        x = torch.randn(30, 2, generator=g)
        for t in range(c.timesteps, 0, -1):
            z = torch.randn(x.shape, generator=g) if t > 1 else None
            x = sch.ddpm_step(x, t, tiny._eps(x, t, None), z, variance=c.variance, clip_x0=tiny._clip)
            if 1 <= t - 1 <= c.corrector_levels:
                for _ in range(c.corrector_steps):
                    z = torch.randn(x.shape, generator=g)
                    x = sch.langevin_step(x, t - 1, tiny._eps(x, t - 1, None), z, c.corrector_size)
    np.testing.assert_allclose(tiny.sample(30, seed=11), tiny.from_model_space(x), atol=1e-5)


def test_corrector_levels_zero_is_plain_ddpm_and_ddim_never_uses_the_corrector(points):
    with_corrector = Diffusion(timesteps=50, width=32, depth=1, batch_size=64).fit(points, steps=5)
    without = Diffusion(timesteps=50, width=32, depth=1, batch_size=64, corrector_levels=0).fit(points, steps=5)
    assert not np.allclose(with_corrector.sample(20, seed=3), without.sample(20, seed=3))
    assert np.array_equal(with_corrector.sample(20, seed=3, method="ddim", steps=10),
                          without.sample(20, seed=3, method="ddim", steps=10))
    without.config.corrector_levels = with_corrector.config.corrector_levels  # same weights, same sampler now
    assert np.array_equal(with_corrector.sample(20, seed=3), without.sample(20, seed=3))


@pytest.mark.parametrize("method, steps", [("ddpm", None), ("ddim", 10), ("ddim", None), ("ddpm", 7)])
def test_network_calls_counts_the_network_evaluations_of_sampling(tiny, method, steps):
    calls = []
    hook = tiny.denoiser.register_forward_hook(lambda *_: calls.append(1))
    try:
        tiny.sample(4, seed=0, method=method, steps=steps)
    finally:
        hook.remove()
    assert len(calls) == tiny.network_calls(method, steps)
    c = tiny.config
    if method == "ddpm" and steps is None:  # every step, plus the corrector's at the lowest noise levels
        assert len(calls) == c.timesteps + c.corrector_levels * c.corrector_steps


def test_samples_of_points_stay_inside_the_training_data_box(tiny, points):
    # x̂_0 is clipped to the data's box, and the last reverse step returns x̂_0 itself (ᾱ_0 = 1).
    low, high = points.min(axis=0), points.max(axis=0)
    tol = 1e-5 * (high - low)
    for samples in (tiny.sample(500, seed=2), tiny.sample(500, seed=2, method="ddim", steps=10)):
        assert np.all(samples >= low - tol) and np.all(samples <= high + tol)


def test_training_timesteps_follow_the_power_law_with_a_uniform_share():
    # P(t <= k) = (1 - w) (k / T)^(1/p) + w k / T for t = ceil(T u^p), of which a share w has p = 1.
    T, p, w = 200, 6.0, 0.1
    model = Diffusion(timesteps=T, t_power=p, t_uniform=w)
    torch.manual_seed(0)
    t = model.draw_timesteps(N).numpy()
    assert t.min() >= 1 and t.max() <= T
    for k in (1, 5, 20, 100, 199):
        cdf = (1 - w) * (k / T) ** (1 / p) + w * k / T
        assert abs(np.mean(t <= k) - cdf) < Z * np.sqrt(cdf * (1 - cdf) / N)


@pytest.mark.parametrize("bad", [{"t_uniform": 1.5}, {"corrector_levels": -1}, {"corrector_steps": -1},
                                 {"corrector_size": -1.0}])
def test_sampling_and_timestep_settings_are_checked(bad):
    with pytest.raises(ValueError):
        Diffusion(**bad)


def test_trajectory_shapes_run_from_noise_to_the_sample(tiny):
    tr = tiny.trajectory(6, seed=4, method="ddim", steps=10)
    assert tr["timesteps"].tolist() == [50, 45, 40, 35, 30, 25, 20, 15, 10, 5, 0]
    assert tr["x"].shape == (11, 6, 2) and tr["x0_pred"].shape == (10, 6, 2) and tr["eps"].shape == (10, 6, 2)
    assert tr["alpha_bar"].shape == (11,)
    assert np.array_equal(tr["x"][-1], tiny.sample(6, seed=4, method="ddim", steps=10))
    assert np.array_equal(tr["sample"], tr["x"][-1])
    kept = tiny.trajectory(6, seed=4, method="ddpm", keep=2)
    assert kept["x"].shape == (51, 2, 2) and kept["sample"].shape == (6, 2)
    assert np.array_equal(kept["sample"], tiny.sample(6, seed=4))
    whole = tiny.trajectory(6, seed=4, method="ddpm")  # keep=2 records the first two of the same six chains
    np.testing.assert_array_equal(kept["x"], whole["x"][:, :2])
    np.testing.assert_array_equal(kept["x0_pred"], whole["x0_pred"][:, :2])


def test_image_trajectory_keeps_the_image_shape(conditional):
    tr = conditional.trajectory(3, seed=0, method="ddim", steps=5, y=4, guidance=2.0)
    assert tr["x"].shape == (6, 3, 8, 8) and tr["eps"].shape == (5, 3, 8, 8)
    assert conditional.sample(4, seed=0, method="ddim", steps=5, y=[0, 1, 2, 3]).shape == (4, 8, 8)


def test_guidance_zero_is_the_conditional_prediction_and_w_mixes_with_the_unconditional(conditional):
    X = gdl.data.load("digits", n=8, seed=1)
    y = np.arange(8)
    cond = conditional.predict_noise(X, 10, y=y)
    uncond = conditional.predict_noise(X, 10)  # y=None: the null class
    assert np.array_equal(conditional.predict_noise(X, 10, y=y, guidance=0.0), cond)
    assert not np.allclose(cond, uncond)
    np.testing.assert_allclose(conditional.predict_noise(X, 10, y=y, guidance=2.0), 3 * cond - 2 * uncond,
                               atol=1e-5, rtol=1e-5)


def test_labels_are_checked(conditional, tiny):
    with pytest.raises(ValueError):
        conditional.sample(2, seed=0, y=10)
    with pytest.raises(ValueError):
        tiny.sample(2, seed=0, y=1)


# ---- the bound and checkpoints ----------------------------------------------------------------------------
def test_variational_bound_is_deterministic_finite_and_its_mean_does_not_depend_on_the_order(tiny, points):
    assert tiny.log_prob_kind == "lower_bound"
    lp = tiny.log_prob(points[:30])
    assert lp.shape == (30,) and np.all(np.isfinite(lp))
    assert np.array_equal(lp, tiny.log_prob(points[:30]))
    # each row is one Monte Carlo draw that depends on its place in the batch, so a shuffled batch gives each
    # point another number, but the mean over the points (what a held-out NLL is) stays within its error
    full = tiny.log_prob(points)
    order = np.random.default_rng(0).permutation(len(points))
    shuffled = tiny.log_prob(points[order])
    assert not np.allclose(full[order], shuffled)
    assert abs(full.mean() - shuffled.mean()) < 4 * full.std() / np.sqrt(len(points))


def _exact_denoiser_for_gaussian_data(m: Diffusion, s: float):
    """Give m the exact noise predictor for data N(0, s² I) in model space: x_t ~ N(0, ᾱ s² + 1 - ᾱ), so
    E[ε | x_t] = sqrt(1 - ᾱ_t) x_t / (ᾱ_t s² + 1 - ᾱ_t). Its reverse steps are then the true ones in mean."""
    def eps(x, t, labels, guidance=0.0):
        a = m.schedule.alpha_bars[t]
        return torch.sqrt(1 - a) * x / (a * s**2 + 1 - a)
    m._eps = eps
    return m


def test_with_the_exact_denoiser_the_fitted_bound_is_the_true_log_likelihood_and_the_fixed_one_is_not():
    # For Gaussian data every true reverse step q(x_{t-1} | x_t) is Gaussian, with the exact denoiser's mean and
    # a variance that does not depend on x_t: the fitted variance. The bound is then tight (only the prior term,
    # KL(q(x_T) || N(0, I)) ~ 0, separates it from log p), while β̃_t, the variance given x_0, is too small.
    s, d = 0.5, 2
    m = Diffusion(timesteps=100, width=8, depth=1).build((d,))
    _exact_denoiser_for_gaussian_data(m, s)
    rng = np.random.default_rng(0)
    X_fit, X = (rng.normal(0, s, (n, d)).astype(np.float32) for n in (20_000, 4_000))
    true = (-0.5 * (X / s) ** 2 - np.log(s) - 0.5 * np.log(2 * np.pi)).sum(1).mean()
    fixed = m.log_prob(X).mean()
    var = m.fit_bound_variances(X_fit, n=len(X_fit))
    fitted = m.log_prob(X).mean()
    assert np.all(var[2:] >= m.schedule.posterior_var[2:, None].numpy() * (1 - 1e-6))
    assert abs(fitted - true) < 0.03, (fitted, true)
    assert fixed < true - 0.3, (fixed, true)


def test_the_fitted_variances_maximise_the_bound_on_the_draws_they_were_fitted_on(tiny, points):
    # Each step's (and the decoder's) term depends on its own variance only, and the fitted one is its maximiser
    # over the same x_t draws: moving any one of them either way lowers the mean bound.
    m = copy.deepcopy(tiny)
    m.fit_bound_variances(points, n=len(points), seed=3)
    x = m.to_model_space(points)
    best = m._log_prob(x, seed=4).mean().item()  # fit_bound_variances drew its x_t with seed + 1
    T = m.config.timesteps
    for t in (1, 2, T // 2, T):
        for factor in (0.7, 1.4):
            moved = copy.deepcopy(m)
            moved.bound_var[t] *= factor
            assert moved._log_prob(x, seed=4).mean().item() < best, (t, factor)


def test_fitting_runs_after_training_is_saved_and_old_checkpoints_keep_the_fixed_variances(tiny, points, tmp_path):
    from gdl import checkpoints

    assert tiny.has_bound_variances  # fit() fitted them
    fitted = tiny.log_prob(points[:50])
    checkpoints.save(tiny, tmp_path / "d.pt")
    loaded = checkpoints.load(tmp_path / "d.pt")
    assert np.array_equal(loaded.log_prob(points[:50]), fitted)
    old = {k: v for k, v in tiny.export_state().items() if k != "bound_var"}  # a checkpoint from before
    before = Diffusion(**vars(tiny.config)).import_state(old, data_shape=(2,))
    assert not before.has_bound_variances
    assert np.array_equal(before.log_prob(points[:50]), tiny.log_prob(points[:50], fixed_variances=True))
    assert fitted.mean() > before.log_prob(points[:50]).mean()


@pytest.mark.parametrize("settings, cancel", [({"bound_points": 0}, None), ({}, lambda: True)])
def test_no_variances_are_fitted_when_switched_off_or_cancelled(points, settings, cancel):
    m = Diffusion(timesteps=50, width=32, depth=1, batch_size=64, **settings).fit(points, steps=20, cancel=cancel)
    assert not m.has_bound_variances


def test_an_x0_network_that_returns_the_clean_data_implies_exactly_the_noise_that_was_added():
    m = Diffusion(timesteps=50, width=8, depth=1, prediction="x0").build((3,))
    x0 = torch.randn(20, 3)
    noise = torch.randn(20, 3)
    t = torch.arange(1, 21)
    xt = m.schedule.q_sample(x0, t, noise)
    m.net.forward = lambda x, t, y=None: x0  # a perfect x_0 predictor
    m.ema = None
    assert torch.allclose(m._eps(xt, t, None), noise, atol=1e-4)
    assert m.loss(x0)["loss"].item() < 1e-6  # and its loss is zero whatever t is drawn
    with pytest.raises(ValueError, match="prediction"):
        Diffusion(prediction="v")


def test_checkpoint_round_trip_gives_the_same_samples(tiny, tmp_path):
    from gdl import checkpoints

    checkpoints.save(tiny, tmp_path / "d.pt")
    loaded = checkpoints.load(tmp_path / "d.pt")
    assert np.array_equal(loaded.sample(10, seed=5, method="ddim", steps=10),
                          tiny.sample(10, seed=5, method="ddim", steps=10))


def test_the_race_verdict_follows_the_race_numbers():
    from gdl.data import world
    from gdl.ui.diffusion import race_verdict

    land = world.sample(200, seed=0)
    sea = np.tile(np.array([[-150.0, 0.0]], dtype=np.float32), (200, 1))  # the middle of the Pacific

    def world_race(ddpm, ddim):  # what `race` records for the world: the share of each sampler's points on land
        return {name: {"on_land": float(np.mean(world.is_land(x)))} for name, x in (("DDPM", ddpm), ("DDIM", ddim))}

    same = race_verdict(world_race(land, land))
    assert same.startswith("Its samples are about as good") and "DDPM 100%, DDIM 100%" in same
    worse = race_verdict(world_race(land, sea))
    assert worse.startswith("With this few steps its samples fall behind") and "DDIM 0%" in worse
    better = race_verdict(world_race(sea, land))
    assert better.startswith("Here its samples even score better")  # never "about as good" when far ahead
    digits = race_verdict({"DDPM": {"confidence": 0.9}, "DDIM": {"confidence": 0.7}})
    assert "classifier confidence: DDPM 0.90, DDIM 0.70" in digits
    assert "by eye" in race_verdict({"DDPM": {}, "DDIM": {}})


def test_section_6s_land_note_follows_its_two_shares():
    """The note said 'DDIM's shortcut loses only a little' beside DDIM 89.6% against DDPM 88.3% on land."""
    from gdl.ui.diffusion import land_verdict

    assert "puts even a little more there (89.6%)" in land_verdict(0.883, 0.896)
    assert "does about as well" in land_verdict(0.96, 0.955)
    assert "loses 6.0 points (90.0%)" in land_verdict(0.96, 0.90)
    assert land_verdict(0.5, 0.5).startswith("Only 50% of the samples land on land")


def test_section_6_gives_the_chance_spread_of_its_share_on_land():
    """Sections 3, 4 and 6 show shares from different samples (96%, 97.6%, 96.8% once): section 6 says how far
    chance alone moves its share, sqrt(p (1 - p) / n), and two shares from 1,000 and 500 samples apart."""
    from gdl.ui.diffusion import QUALITY_N, chance_note

    assert QUALITY_N == 1000
    note = chance_note(0.968)
    assert "moves a share of 96.8% from 1,000 samples by about ±0.6 percentage points" in note
    assert "one from 1,000 samples and one from 500, typically lie about 1.0 points apart" in note  # 0.0096
    assert "a share of 50.0% from 100 samples by about ±5.0 percentage points" in chance_note(0.5, n=100)
    assert "±0.0" not in chance_note(1.0) and "by about ±0.1 percentage points" in chance_note(1.0)  # p = 0.999


def test_the_guidance_note_follows_the_classifiers_readings():
    """The note said 'with w = 0 a few samples ... look like another digit' beside 100% read as 3 at every w."""
    from gdl.ui.diffusion import guidance_verdict

    def strengths(*shares):
        return [(w, None, a) for w, a in zip((0, 1, 3, 6), shares)]

    assert "reads every sample as a 3 at every strength" in guidance_verdict(3, strengths(1, 1, 1, 1))
    assert "at w = 0 the classifier reads 60% of them as an 8, at w = 6 95%" in guidance_verdict(
        8, strengths(0.6, 0.8, 0.9, 0.95)).replace("At", "at")
    assert "not always easier to read" in guidance_verdict(5, strengths(0.9, 0.9, 0.85, 0.88))


def test_a_cancel_after_the_training_loop_has_ended_does_not_cut_the_variance_fit_short(points):
    """A page's Cancel during 'finishing up' comes after a training that ran to its end: the model is done, and
    must not come back with the variances half fitted (DDPM's fixed ones kept)."""
    import threading

    pressed = threading.Event()

    def callback(p):
        if p.finished:
            pressed.set()  # Cancel pressed while the variances are being fitted

    m = Diffusion(timesteps=50, width=32, depth=1, batch_size=64).fit(points, steps=20, callback=callback,
                                                                       cancel=pressed)
    assert pressed.is_set() and m.history_.status == "done"
    assert m.has_bound_variances


def test_race_times_count_the_samplers_own_work_not_the_servers_other_work(monkeypatch):
    """On the CPU with torch on one thread, `timed` reads the calling thread's CPU time: time the thread spends
    waiting (here asleep, on a server its share of two busy cores) does not count, its own computing does. On a
    GPU, or with torch on several threads, the work runs elsewhere, so it reads the clock."""
    import time

    from gdl.ui import diffusion as dui

    def wait_then_work():
        time.sleep(0.3)
        end = time.thread_time() + 0.1
        while time.thread_time() < end:
            pass
        return "done"

    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    result, seconds = dui.timed("cpu", wait_then_work)
    assert result == "done" and 0.1 <= seconds < 0.25
    assert dui.timed("cuda", wait_then_work)[1] >= 0.4
    monkeypatch.setattr(torch, "get_num_threads", lambda: 2)
    assert not dui.own_clock("cpu") and dui.timed("cpu", wait_then_work)[1] >= 0.4
