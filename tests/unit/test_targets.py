"""The quality targets (issue 18), declared in the configuration and checked by one pure function."""

import pytest

from airparadis import config
from airparadis.core import evaluation

FIGURES = {
    "teacher": {"sts_test_accuracy": 0.86, "test_accuracy": 0.84, "airline_roc_auc": 0.931},
    "student": {"airline_roc_auc": 0.925, "airline_f1_negative": 0.86, "airline_accuracy": 0.84,
                "sts_test_accuracy": 0.84, "test_accuracy": 0.80},
    "simple": {"airline_accuracy": 0.80},
}


def _by_target(rows):
    return {row["target"]: row for row in rows}


def test_absolute_and_relative_targets_are_met_or_missed_by_the_measured_figure():
    rows = _by_target(evaluation.check_targets(FIGURES))
    assert len(rows) == len(config.TARGETS)
    assert rows["teacher airline_roc_auc >= 0.93"]["met"] is True
    assert rows["student airline_f1_negative >= 0.87"]["met"] is False  # 0.86
    assert rows["student sts_test_accuracy >= 0.84"]["met"] is True  # equal is met
    assert rows["student test_accuracy >= 0.81"]["met"] is False
    relative = rows["student airline_accuracy >= simple +0.03"]
    assert relative["bound"] == pytest.approx(0.83) and relative["met"] is True
    within = rows["student airline_roc_auc >= teacher -0.01"]
    assert within["bound"] == pytest.approx(0.921) and within["measured"] == 0.925 and within["met"] is True


def test_a_missing_figure_is_neither_met_nor_missed():
    rows = _by_target(evaluation.check_targets({"student": {"airline_accuracy": 0.9}}))
    assert rows["student airline_accuracy >= simple +0.03"]["met"] is None  # no simple figure
    assert rows["teacher sts_test_accuracy >= 0.85"] == {
        "target": "teacher sts_test_accuracy >= 0.85", "model": "teacher", "metric": "sts_test_accuracy",
        "bound": 0.85, "measured": None, "met": None}
