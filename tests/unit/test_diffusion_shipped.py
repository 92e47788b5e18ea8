"""The shipped diffusion checkpoints: the world model puts at least 90% of its samples on land; the digits model
draws a requested class with guidance and also samples unconditionally (the null label)."""
import numpy as np
import pytest
import torch

from gdl import checkpoints
from gdl.metrics import precision_on_land

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def world_model():
    return checkpoints.load_shipped("diffusion", "world")


@pytest.fixture(scope="module")
def digits_model():
    return checkpoints.load_shipped("diffusion", "digits")


@pytest.fixture(scope="module")
def classifier():
    from gdl.bench import _digit_classifier

    return _digit_classifier(0)[0]


def test_shipped_world_diffusion_puts_at_least_90_percent_of_ddpm_samples_on_land(world_model):
    assert world_model.checkpoint_meta_["command"].startswith("python -m gdl train --family diffusion --data world")
    assert precision_on_land(world_model.sample(2000, seed=1)) >= 0.90


def test_shipped_world_diffusion_ddim_in_50_steps_still_lands_mostly_on_land(world_model):
    assert precision_on_land(world_model.sample(1000, seed=2, method="ddim", steps=50)) >= 0.85


def test_shipped_digits_diffusion_is_class_conditional_with_label_dropout(digits_model):
    command = digits_model.checkpoint_meta_["command"]
    assert command.startswith("python -m gdl train --family diffusion --data digits") and "--labels" in command
    assert digits_model.config.num_classes == 10 and digits_model.config.cond_drop_prob > 0


def test_shipped_digits_diffusion_draws_the_requested_class_with_guidance(digits_model, classifier):
    samples = digits_model.sample(50, seed=0, method="ddim", steps=50, y=7, guidance=2.0)
    assert samples.shape == (50, 8, 8)
    read_as_seven = np.mean(classifier.predict(np.clip(samples, 0, 1).reshape(50, -1)) == 7)
    assert read_as_seven >= 0.8


def test_shipped_digits_diffusion_samples_unconditionally_across_the_classes(digits_model, classifier):
    samples = digits_model.sample(100, seed=0, method="ddim", steps=50)  # y=None: the null label
    assert samples.shape == (100, 8, 8) and np.isfinite(samples).all()
    classes = classifier.predict(np.clip(samples, 0, 1).reshape(100, -1))
    assert len(np.unique(classes)) >= 8
