"""The Keras/TFLite parity gate: a probability moved too far fails it, and so do labels flipped on
tweets the model decides clearly; a tweet on the threshold itself is a coin toss for either model."""

import numpy as np
import pytest

from airparadis.training import deep


class Answers:
    """Stands for a Keras model or a TFLite runner: answers fixed probabilities."""

    def __init__(self, p):
        self.p = np.asarray(p, dtype=np.float32)

    def predict(self, encoded, **_):
        return self.p[: len(encoded)]


ROWS = np.zeros((200, 4), dtype=np.int32)
KERAS = np.linspace(0.0, 1.0, 200)


def check(tflite, **limits):
    return deep.parity_check(Answers(KERAS), Answers(tflite), ROWS, threshold=0.5, **limits)


def test_labels_flipped_beside_the_threshold_do_not_fail_the_gate():
    near = np.abs(KERAS - 0.5) < deep.PARITY_MARGIN
    tflite = np.where(near, 1.0 - KERAS, KERAS)  # the two models disagree only on the coin tosses
    result = check(tflite)
    assert result["parity_agreement"] == 1.0 and result["parity_agreement_all"] < 1.0
    assert result["parity_decided_tweets"] == 200 - near.sum()


def test_labels_flipped_on_decided_tweets_fail_the_gate():
    tflite = KERAS.copy()
    tflite[(KERAS > 0.515) & (KERAS < 0.535)] = 0.49  # clearly negative for Keras, positive for TFLite
    with pytest.raises(deep.ParityError, match=r"max \|diff\| 0\.0[0-4]\d+ \(allowed 0\.05\), agreement 0\.9[0-8]\d+ "
                                                r"on the \d+ tweets at least 0.01"):
        check(tflite)


def test_a_probability_moved_further_than_allowed_fails_the_gate():
    tflite = KERAS.copy()
    tflite[0] += 0.2
    with pytest.raises(deep.ParityError, match=r"max \|diff\| 0\.2000 \(allowed 0\.05\)"):
        check(tflite)
