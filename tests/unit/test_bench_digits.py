"""The digit benchmark's split and scores: what the Compare and Diffusion pages' digit tables stand on."""
import numpy as np

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
