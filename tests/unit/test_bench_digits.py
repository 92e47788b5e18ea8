"""The digit benchmark's split and scores: what the Compare and Diffusion pages' digit tables stand on."""
import numpy as np
import pytest

from gdl import data
from gdl.bench import _digit_classifier, digit_split, real_digit_scores
from gdl.metrics import digit_scores


def test_digit_split_is_1500_training_digits_and_the_other_297_held_out():
    train, test = digit_split(0)
    everything = data.load("digits")
    assert train.shape == (1500, 8, 8) and test.shape == (297, 8, 8)
    rows = lambda a: {x.tobytes() for x in a.astype(np.float32)}  # noqa: E731
    assert rows(train) | rows(test) == rows(everything)
    assert not any(np.array_equal(t, x) for t in test[:20] for x in train)  # held out: not among the training ones
    assert np.array_equal(digit_split(0)[1], test) and not np.array_equal(digit_split(1)[1], test)


def test_digit_scores_see_copies_at_distance_zero_and_real_held_out_digits_away_from_the_training_ones():
    clf, accuracy = _digit_classifier(0)
    train, test = digit_split(0)
    copies = digit_scores(train[:300], clf, train)
    assert copies["nearest_train_distance"] == 0.0
    real = real_digit_scores(clf, 0)
    assert real == digit_scores(test, clf, train)
    assert real["nearest_train_distance"] > 0.5  # a new digit is never a copy of a training one
    assert 0.5 < real["confidence"] <= 1 and real["evenness"] > 0.95 and accuracy > 0.9


class _FixedClassifier:
    """A stand-in for the digit classifier whose class probabilities the test chooses."""

    def __init__(self, probs):
        self.probs = np.asarray(probs, dtype=float)

    def predict_proba(self, flat):
        assert flat.shape == (len(self.probs), 64)
        return self.probs


def test_digit_scores_are_the_mean_top_probability_the_entropy_of_the_read_classes_and_the_nearest_distance():
    train = np.zeros((5, 8, 8), dtype=np.float32)
    train[np.arange(5), np.arange(5), 0] = 1.0  # five images, each with one lit pixel
    images = train.copy()
    images[:, 7, 7] = 0.1  # each a copy of one training image with one pixel moved by 0.1
    one_class = np.tile([0.7, 0.3] + [0.0] * 8, (5, 1))
    scores = digit_scores(images, _FixedClassifier(one_class), train)
    assert scores["confidence"] == pytest.approx(0.7)  # the mean of each image's top probability
    assert scores["evenness"] == pytest.approx(0.0)  # every image read as a 0: no spread over the classes
    assert scores["nearest_train_distance"] == pytest.approx(0.1)

    ten = np.eye(10) * 0.6 + 0.04  # image k read as digit k with probability 0.64
    scores = digit_scores(np.zeros((10, 8, 8)), _FixedClassifier(ten), train)
    assert scores["evenness"] == pytest.approx(1.0) and scores["confidence"] == pytest.approx(0.64)
    two = np.zeros((10, 10))
    two[:5, 3] = two[5:, 8] = 1.0  # half read as 3, half as 8: entropy log 2 out of at most log 10
    assert digit_scores(np.zeros((10, 8, 8)), _FixedClassifier(two), train)["evenness"] == pytest.approx(
        np.log(2) / np.log(10))
