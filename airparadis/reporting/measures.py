"""The measures of the comparison (the ``report`` stage), named once: which sets, which quality and
cost figures, their labels, and how a value is written. The scoring (:mod:`airparadis.reporting.report`),
the tables (:mod:`airparadis.reporting.tables`) and the charts (:mod:`airparadis.reporting.charts`)
read them here."""

from __future__ import annotations

import math

SPLIT_NAMES = ("airline", "validation", "test", "sts_test")  # the product's own domain first
QUALITY = ("accuracy", "f1_negative", "roc_auc", "pr_auc", "brier")
COST = ("model_size_mb", "training_seconds", "latency_single_ms_p50", "latency_single_ms_p95",
        "latency_batch_ms", "batch_tweets_per_second")
LABELS = {
    "accuracy": "accuracy", "f1_negative": "F1 (negative)", "roc_auc": "ROC AUC", "pr_auc": "PR AUC",
    "brier": "Brier score (calibration, lower is better)",
    "model_size_mb": "model size (MB)", "training_seconds": "training time (s)",
    "latency_single_ms_p50": "one tweet, median (ms)", "latency_single_ms_p95": "one tweet, p95 (ms)",
    "latency_batch_ms": "batch call (ms)", "batch_tweets_per_second": "batch throughput (tweets/s)",
}
# the served forms a training stage measured (``form_<form>_<metric>`` metrics of its run)
FORM_METRICS = ("validation_accuracy", "validation_f1_negative", "sts_test_accuracy", "sts_test_roc_auc",
                "latency_single_ms_p50")
# the learning curve a training stage logged (metric histories by step)
CURVE_METRICS = ("train_loss", "curve_validation_subset_accuracy", "curve_sts_test_accuracy", "curve_sts_test_roc_auc",
                 "curve_validation_subset_roc_auc", "curve_airline_holdout_roc_auc")
CURVE_AUC = {"curve_validation_subset_roc_auc": "validation subset", "curve_sts_test_roc_auc": "STS-Test",
             "curve_airline_holdout_roc_auc": "held-out airline feedback"}  # the threshold-free curves


def label(key: str) -> str:
    """The label of a measure key: ``sts_test_accuracy`` -> ``sts_test: accuracy``."""
    for split in SPLIT_NAMES:
        if key.startswith(split + "_"):
            return f"{split}: {LABELS[key[len(split) + 1:]]}"
    return LABELS[key]


def fmt(value) -> str:
    """A measured value as the tables and charts write it (``n/a`` when not measured)."""
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:.4f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)
