"""Metrics and threshold choice."""

import numpy as np
import pytest

from airparadis.core.evaluation import choose_threshold, compute_metrics, plot_evaluation


def test_metrics_on_a_hand_checked_example():
    y = [1, 1, 0, 0]
    p = [0.9, 0.4, 0.6, 0.1]
    m = compute_metrics(y, p, threshold=0.5)
    # predictions 1,0,1,0: one true positive, one false positive, one false negative
    assert m["accuracy"] == pytest.approx(0.5)
    assert m["precision_negative"] == pytest.approx(0.5)
    assert m["recall_negative"] == pytest.approx(0.5)
    assert m["f1_negative"] == pytest.approx(0.5)
    assert m["roc_auc"] == pytest.approx(0.75)  # 3 of the 4 (negative, positive) pairs are ordered right


def test_threshold_maximises_negative_f1():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2000)
    p = np.clip(0.3 * y + rng.normal(0.35, 0.2, 2000), 0, 1)
    best = choose_threshold(y, p)
    f1 = lambda t: compute_metrics(y, p, t)["f1_negative"]
    assert all(f1(best) >= f1(t) - 1e-9 for t in np.linspace(0.05, 0.95, 19))


def test_evaluation_figure_has_four_panels():
    fig = plot_evaluation([0, 1, 0, 1, 1, 0], [0.2, 0.8, 0.4, 0.6, 0.9, 0.1], 0.5, "t")
    titles = [ax.get_title() for ax in fig.axes]
    assert any("Confusion" in t for t in titles) and any("ROC" in t for t in titles)
    assert any("Precision-recall" in t for t in titles) and any("Calibration" in t for t in titles)
