"""Cached, shared objects. Data, fitted models and figures that do not depend on the user are computed once per
server (st.cache_resource / st.cache_data) and shared by every session, never copied per session."""
from __future__ import annotations

import numpy as np
import streamlit as st

from gdl import data, models

HELD_OUT_N = 20_000
HELD_OUT_SEED = 1_000_003  # never one of the seeds a user picks for training data
YARDSTICK_SEED = HELD_OUT_SEED + 1  # fresh real points scored as samples are: what p_data itself reaches


@st.cache_data(show_spinner=False, max_entries=64)
def world_sample(n: int, seed: int) -> np.ndarray:
    """n points from p_data (uniform over land), cached per (n, seed)."""
    return data.load("world", n=n, seed=seed)


@st.cache_data(show_spinner=False, max_entries=4)
def world_held_out() -> np.ndarray:
    """A fixed held-out set of 20,000 p_data points for every measurement in the app."""
    return data.load("world", n=HELD_OUT_N, seed=HELD_OUT_SEED)


@st.cache_data(show_spinner=False)
def world_coverage_of_p_data(n_samples: int = 10_000) -> float:
    """The coverage that p_data's own samples reach: `n_samples` fresh land points against the held-out set, the
    yardstick for a model's coverage (a model cannot do better on average)."""
    from gdl.metrics import coverage

    return coverage(world_held_out(), data.load("world", n=n_samples, seed=YARDSTICK_SEED))


@st.cache_resource(show_spinner=False, max_entries=64)
def fitted_classical(family: str, n: int, seed: int, config: tuple = ()):
    """A classical family fitted to world_sample(n, seed); `config` is a tuple of (field, value) pairs."""
    return models.create(family, **dict(config)).fit(world_sample(n, seed))


@st.cache_data(show_spinner=False, max_entries=64)
def classical_density_grid(family: str, n: int, seed: int, config: tuple = (), step: float = 2.0):
    """log p_model over a lon/lat grid with `step`-degree cells: (xs, ys, log_density (len(ys), len(xs)))."""
    model = fitted_classical(family, n, seed, config)
    xs = np.arange(-180 + step / 2, 180, step)
    ys = np.arange(-90 + step / 2, 90, step)
    gx, gy = np.meshgrid(xs, ys)
    log_density = model.log_prob(np.column_stack([gx.ravel(), gy.ravel()])).reshape(gy.shape)
    return xs, ys, log_density


@st.cache_data(show_spinner=False, max_entries=64)
def classical_score(family: str, n: int, seed: int, config: tuple = ()) -> dict:
    """The book's measurements of a fitted classical family against the shared held-out set."""
    from gdl.metrics import score_world

    return score_world(fitted_classical(family, n, seed, config), world_held_out()).as_dict()


@st.cache_data(show_spinner=False, max_entries=64)
def classical_train_nll(family: str, n: int, seed: int, config: tuple = ()) -> float:
    """The fitted classical family's NLL on its own training points (against the held-out NLL: overfitting)."""
    from gdl.metrics import held_out_nll

    return float(held_out_nll(fitted_classical(family, n, seed, config).log_prob(world_sample(n, seed))))


@st.cache_resource(show_spinner=False, max_entries=64)
def shipped_model(family: str, dataset: str):
    """A pretrained checkpoint from assets/checkpoints, loaded once per server; None when there is none.

    Raises CheckpointError, naming the file and how to rebuild it, when the file is there but cannot be loaded
    (corrupt, truncated, not a gdl checkpoint): the page shows that in the model's panel. An error is not
    cached, so a repaired file is picked up on the next rerun.
    """
    from gdl import checkpoints

    path = checkpoints.shipped_path(family, dataset)
    if not path.is_file():
        return None
    try:
        return checkpoints.load(path)
    except checkpoints.CheckpointError as err:
        raise checkpoints.CheckpointError(
            f"the pretrained checkpoint {path.name} cannot be loaded: {str(err).rstrip('.')}. Rebuild it with "
            "the command in assets/checkpoints/README.md.") from None


@st.cache_resource(show_spinner=False)
def digit_judge():
    """The benchmark's digit classifier and its split: (classifier, accuracy, train images, held-out images)."""
    from gdl.bench import _digit_classifier, digit_split

    clf, accuracy = _digit_classifier(0)
    return clf, accuracy, *digit_split(0)


def read_digits(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What the benchmark's classifier reads each 8x8 image (n, 8, 8) in [0, 1] as: (digits, confidence), each (n,)."""
    probs = digit_judge()[0].predict_proba(np.clip(images, 0, 1).reshape(len(images), -1))
    return probs.argmax(axis=1), probs.max(axis=1)
