"""The one trainer: budgets, progress callbacks, cancel, and the NaN guard that keeps the last good weights."""
import threading

import numpy as np
import pytest
import torch

import gdl
from gdl.models.neural import NeuralModel, standard_normal_log_prob

torch.set_num_threads(1)


class DiagonalGaussian(NeuralModel):
    """A minimal neural family for testing the trainer: a learned diagonal Gaussian."""

    name = "test_gaussian"

    def _build(self, dim):
        self.mu = torch.nn.Parameter(torch.zeros(dim))
        self.log_sigma = torch.nn.Parameter(torch.zeros(dim))

    def _log_prob(self, x):
        return standard_normal_log_prob((x - self.mu) / self.log_sigma.exp()) - self.log_sigma.sum()

    def loss(self, x):
        return {"loss": -self._log_prob(x).mean()}

    def _sample(self, n, g):
        return self.mu + self.log_sigma.exp() * torch.randn(n, self.dim, generator=g, device=self.device_)


@pytest.fixture(scope="module")
def X():
    return gdl.data.load("world", n=2000, seed=0)


def test_training_reaches_the_closed_form_gaussian_fit(X):
    m = DiagonalGaussian(lr=0.05).fit(X, steps=400, device="cpu")
    assert m.history_.status == "done" and m.history_.steps == 400
    mean, std = X.mean(axis=0), X.std(axis=0)
    expected = -np.mean(np.sum(-0.5 * ((X - mean) / std) ** 2 - np.log(std) - 0.5 * np.log(2 * np.pi), axis=1))
    assert -np.mean(m.log_prob(X)) == pytest.approx(expected, abs=0.02)


def test_progress_callback_reports_steps_and_reaches_the_whole_budget(X):
    seen = []
    DiagonalGaussian().fit(X, steps=50, callback=seen.append, device="cpu")
    assert seen[-1].step == 50 and seen[-1].fraction == 1.0
    assert [p.step for p in seen] == sorted(p.step for p in seen)
    assert "loss" in seen[-1].losses
    assert [p.finished for p in seen] == [False] * (len(seen) - 1) + [True]  # only the last says the loop ended


def test_a_seconds_budget_stops_training(X):
    m = DiagonalGaussian().fit(X, seconds=0.5, device="cpu")
    assert 0.5 <= m.history_.seconds < 30 and m.history_.steps > 0  # (the upper bound only for a stalled machine)


def test_cancel_stops_training_at_once(X):
    stop = threading.Event()
    stop.set()
    m = DiagonalGaussian().fit(X, steps=10_000, cancel=stop, device="cpu")
    assert m.history_.status == "cancelled" and m.history_.steps == 0


def test_a_diverging_run_stops_and_keeps_the_last_good_weights(X):
    class Diverges(DiagonalGaussian):
        def loss(self, x):
            out = super().loss(x)
            if self.calls >= 60:
                out["loss"] = out["loss"] * float("nan")
            self.calls += 1
            return out

    m = Diverges(lr=0.01)
    m.calls = 0
    m.fit(X, steps=500, device="cpu")
    h = m.history_
    assert h.status == "diverged" and not h.ok
    assert "NaN" in h.message and "restored to step 50" in h.message
    assert all(torch.isfinite(p).all() for p in m.parameters())
    assert np.isfinite(m.log_prob(X[:10])).all()


def test_same_seed_gives_the_same_weights(X):
    a = DiagonalGaussian().fit(X, steps=30, seed=4, device="cpu")
    b = DiagonalGaussian().fit(X, steps=30, seed=4, device="cpu")
    torch.testing.assert_close(a.state_dict(), b.state_dict())


@pytest.mark.parametrize("cuda, mps, best", [(True, True, "cuda"), (True, False, "cuda"), (False, True, "mps"),
                                             (False, False, "cpu")])
def test_device_auto_prefers_cuda_then_mps_then_cpu(monkeypatch, cuda, mps, best):
    from gdl.device import available, resolve

    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    assert resolve("auto") == best and resolve(None) == best
    assert available() == [name for name, present in (("cuda", cuda), ("mps", mps)) if present] + ["cpu"]
    assert resolve("cpu") == "cpu"
    if not mps:
        with pytest.raises(ValueError, match="not available"):
            resolve("mps")
    with pytest.raises(ValueError, match="not available"):
        resolve("tpu")


def test_share_cpu_sets_torch_threads_from_the_argument_or_the_environment(monkeypatch):
    from gdl.device import describe, share_cpu

    before = torch.get_num_threads()
    try:
        assert share_cpu(2) == 2 and torch.get_num_threads() == 2
        monkeypatch.setenv("GDL_TORCH_THREADS", "1")
        assert share_cpu() == 1 and torch.get_num_threads() == 1
        assert describe("cpu") == "CPU (1 thread per model)"
        monkeypatch.setenv("GDL_TORCH_THREADS", "lots")
        assert share_cpu() == 1  # nonsense falls back to the default
    finally:
        torch.set_num_threads(before)
