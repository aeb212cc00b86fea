"""The deployed student's threshold: the best F1 on the held-out airline feedback that the
Sentiment140 validation F1 can afford."""

import numpy as np
import pytest

from airparadis.core import evaluation


def test_f1_at_counts_a_probability_equal_to_the_threshold_as_negative():
    f1 = evaluation.f1_at([1, 1, 0, 0], [0.9, 0.5, 0.5, 0.1], np.array([0.5, 0.6, 0.95]))
    assert f1.tolist() == pytest.approx([2 * 2 / (3 + 2), 2 * 1 / (1 + 2), 0.0])


def test_the_domain_threshold_follows_the_domain_while_validation_can_afford_it():
    rng = np.random.default_rng(0)
    y_val = rng.integers(0, 2, 4000)
    p_val = np.clip(0.5 * y_val + rng.normal(0.25, 0.2, 4000), 0, 1)  # best validation threshold near 0.5
    y_dom = rng.integers(0, 2, 800)
    p_dom = np.clip(0.5 * y_dom + rng.normal(0.4, 0.2, 800), 0, 1)  # the domain's scores run higher
    validation_best = evaluation.choose_threshold(y_val, p_val)
    free = evaluation.domain_threshold(y_val, p_val, y_dom, p_dom, kept=1.0)  # nothing to keep: the domain's best
    assert free == pytest.approx(evaluation.choose_threshold(y_dom, p_dom)) and free > validation_best + 0.05
    kept = evaluation.domain_threshold(y_val, p_val, y_dom, p_dom, kept=0.005)
    assert validation_best < kept < free  # moved toward the domain, as far as validation allows
    f1_val = evaluation.f1_at(y_val, p_val, np.array([validation_best, kept]))
    assert f1_val[1] >= f1_val[0] - 0.005
    assert evaluation.domain_threshold(y_val, p_val, y_dom, p_dom, kept=0.0) == pytest.approx(validation_best)
