"""The one training loop, for every neural family.

It knows nothing about any particular model: each step it draws a random batch and calls
`model.train_step(batch, optimizers)` (the GAN's two-player step lives in the GAN's own `train_step`).
It stops at a step or seconds budget, on a cancel request, or when the loss turns NaN or infinite, in which
case it puts back the last good weights and says so.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from gdl.device import resolve
from gdl.seeding import seed_everything

SNAPSHOT_EVERY = 25  # steps between copies of the last good weights


@dataclass
class Progress:
    """What a callback sees after each logged step."""

    step: int
    seconds: float
    losses: dict[str, float]
    max_steps: int | None
    max_seconds: float | None
    finished: bool = False  # the last report: the loop has ended (the model may still do work after training)

    @property
    def fraction(self) -> float:
        """Share of the budget used, in [0, 1]."""
        parts = []
        if self.max_steps:
            parts.append(self.step / self.max_steps)
        if self.max_seconds:
            parts.append(self.seconds / self.max_seconds)
        return min(1.0, max(parts)) if parts else 0.0


@dataclass
class TrainResult:
    """The record of one run."""

    steps: int = 0
    seconds: float = 0.0
    device: str = "cpu"
    status: str = "done"  # "done", "cancelled" or "diverged"
    message: str = ""
    history: list[dict[str, float]] = field(default_factory=list)  # {"step", "seconds", loss names...}

    @property
    def ok(self) -> bool:
        return self.status != "diverged"


def cancelled(cancel) -> bool:
    """Whether a cancel request (a threading.Event, a function returning a bool, or None) has been made."""
    if cancel is None:
        return False
    if isinstance(cancel, threading.Event):
        return cancel.is_set()
    return bool(cancel())


def _snapshot(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _finite(model: torch.nn.Module) -> bool:
    return all(torch.isfinite(p).all() for p in model.parameters())


def train(model, X: np.ndarray, *, labels: np.ndarray | None = None, steps: int | None = None, seconds: float | None = None,
          batch_size: int | None = None, callback: Callable[[Progress], None] | None = None,
          cancel: threading.Event | Callable[[], bool] | None = None, device: str = "auto", seed: int = 0,
          log_every: int = 10) -> TrainResult:
    """Train `model` (a built `NeuralModel`) on data X (n, *data_shape) until the budget is spent.

    Args:
        steps, seconds: the budget; whichever comes first (at least one must be given).
        batch_size: observations per step (default: the model's config).
        callback: called with a `Progress` every `log_every` steps and at the end.
        cancel: a threading.Event or a function; when it turns true, training stops after the current step.
        device: "auto" (cuda, then mps, then cpu) or a device name.
        seed: seeds Python, NumPy and torch together.
        labels: optional integer labels (n,), passed to `model.train_step(batch, optimizers, y=...)`.
    Returns:
        A `TrainResult`; the model is left in eval mode on `device` with the last good weights.
    """
    if steps is None and seconds is None:
        raise ValueError("give a budget: steps=, seconds= or both")
    seed_everything(seed)
    dev = resolve(device)
    model.to(dev)
    data = model.to_model_space(X)  # (n, dim)
    targets = None if labels is None else torch.as_tensor(np.asarray(labels), dtype=torch.long, device=dev)
    n = len(data)
    batch_size = min(batch_size or model.config.batch_size, n)
    optimizers = model.make_optimizers()
    g = torch.Generator(device=dev).manual_seed(seed)

    result = TrainResult(device=dev)
    good, good_step = _snapshot(model), 0
    start = time.perf_counter()
    step = 0
    losses: dict[str, float] = {}
    model.train()
    while True:
        elapsed = time.perf_counter() - start
        if (steps is not None and step >= steps) or (seconds is not None and elapsed >= seconds):
            break
        if cancelled(cancel):
            result.status, result.message = "cancelled", f"Cancelled after {step} steps."
            break
        idx = torch.randint(n, (batch_size,), generator=g, device=dev)
        batch = model.prepare_batch(data[idx])
        if targets is None:
            losses = model.train_step(batch, optimizers)
        else:
            losses = model.train_step(batch, optimizers, y=targets[idx])
        step += 1
        if not all(math.isfinite(v) for v in losses.values()) or not _finite(model):
            model.load_state_dict(good)
            result.status = "diverged"
            result.message = (f"Training stopped at step {step}: the loss became "
                              f"{'NaN' if any(math.isnan(v) for v in losses.values()) else 'infinite'}. "
                              f"The weights were restored to step {good_step}, the last good one. "
                              "Try a smaller learning rate.")
            step -= 1
            break
        if step % SNAPSHOT_EVERY == 0:
            good, good_step = _snapshot(model), step
        if step % log_every == 0 or step == 1:
            record = {"step": step, "seconds": time.perf_counter() - start, **losses}
            result.history.append(record)
            if callback is not None:
                callback(Progress(step, record["seconds"], losses, steps, seconds))
    model.eval()
    result.steps = step
    result.seconds = time.perf_counter() - start
    if result.status == "done":
        result.message = f"Trained {step} steps in {result.seconds:.1f} s on {dev}."
    if callback is not None:
        callback(Progress(step, result.seconds, losses, steps, seconds, finished=True))
    return result
