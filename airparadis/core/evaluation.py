"""Evaluation: the same metrics and plots for every approach and every split.

Why not ``mlflow.models.evaluate``: its static-dataset mode takes predicted labels only (no ROC
or PR AUC, no calibration), and its model mode scores the model itself with its own threshold,
split after split, where every stage here already holds the probabilities it needs (each split
scored once) and chooses its threshold on validation. The metrics are scikit-learn's.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from airparadis import config
from airparadis.core.data import Splits

EVALUATED = ("validation", "test", "sts_test", "airline")  # every model is judged on these (airline: the judge slice)

# the two threshold rules (best negative F1, on which set): Sentiment140 validation, or the held-out
# airline feedback (the deployment domain; never the judge slice), see domain_threshold
THRESHOLD_SETS = {"sentiment140": "validation", "airline_holdout": "airline_holdout"}
DOMAIN_RULE = "airline_holdout"
DOMAIN_KEEPS = config.TOLERATED_LOSS / 2  # validation F1 the domain threshold may give up, at most

METRICS = ("accuracy", "f1_negative", "precision_negative", "recall_negative", "roc_auc", "pr_auc", "log_loss", "brier")


def compute_metrics(y_true, negative_probability, threshold: float) -> dict[str, float]:
    """Metrics that do not hide the class imbalance (label 1 = negative)."""
    y = np.asarray(y_true, dtype=int)
    p = np.clip(np.asarray(negative_probability, dtype=float), 1e-7, 1 - 1e-7)
    pred = (p >= threshold).astype(int)
    both = len(np.unique(y)) == 2
    return {
        "accuracy": skm.accuracy_score(y, pred),
        "f1_negative": skm.f1_score(y, pred, zero_division=0),
        "precision_negative": skm.precision_score(y, pred, zero_division=0),
        "recall_negative": skm.recall_score(y, pred, zero_division=0),
        "roc_auc": skm.roc_auc_score(y, p) if both else float("nan"),
        "pr_auc": skm.average_precision_score(y, p) if both else float("nan"),
        "log_loss": skm.log_loss(y, p, labels=[0, 1]),
        "brier": skm.brier_score_loss(y, p),  # calibration: mean squared error of the probability
    }


def choose_threshold(y_true, negative_probability) -> float:
    """The decision threshold, one rule for every model: the one that maximises the negative
    class's F1 on the Sentiment140 validation split (catching negatives matters more than accuracy;
    F1 balances missed negatives against false alarms). It is then used unchanged on every set."""
    precision, recall, thresholds = skm.precision_recall_curve(y_true, negative_probability)
    f1 = 2 * precision * recall / np.clip(precision + recall, 1e-12, None)
    return float(thresholds[int(np.argmax(f1[:-1]))]) if len(thresholds) else 0.5


def plot_evaluation(y_true, negative_probability, threshold: float, title: str):
    """One figure per split: confusion matrix, ROC curve, precision-recall curve, calibration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.calibration import calibration_curve

    y = np.asarray(y_true, dtype=int)
    p = np.asarray(negative_probability, dtype=float)
    fig, axes = plt.subplots(2, 2, figsize=(10, 9))
    cm = skm.confusion_matrix(y, (p >= threshold).astype(int), labels=[1, 0])
    skm.ConfusionMatrixDisplay(cm, display_labels=["negative", "not negative"]).plot(
        ax=axes[0, 0], colorbar=False, cmap="Blues", values_format="d"
    )
    axes[0, 0].set_title(f"Confusion matrix (threshold {threshold:.2f})")
    if len(np.unique(y)) == 2:
        skm.RocCurveDisplay.from_predictions(y, p, ax=axes[0, 1], name="model", plot_chance_level=True)
        skm.PrecisionRecallDisplay.from_predictions(y, p, ax=axes[1, 0], name="model", plot_chance_level=True)
        frac_pos, mean_pred = calibration_curve(y, p, n_bins=10, strategy="quantile")
        axes[1, 1].plot(mean_pred, frac_pos, "o-", label="model")
    axes[0, 1].set_title("ROC curve (negative class)")
    axes[1, 0].set_title("Precision-recall (negative class)")
    axes[1, 1].plot([0, 1], [0, 1], "k--", label="perfectly calibrated")
    axes[1, 1].set(xlabel="predicted probability of negative", ylabel="observed share of negatives",
                   title="Calibration")
    axes[1, 1].legend(loc="upper left")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def score_splits(
    predict_proba: Callable[[list[str]], np.ndarray], splits: Splits, names: tuple[str, ...] = EVALUATED
) -> dict[str, np.ndarray]:
    """Negative-class probabilities of a model (raw texts in) on each named split: each split is
    scored once, and the threshold, the metrics and the plots are all computed from these."""
    return {name: np.asarray(predict_proba(getattr(splits, name).text.tolist()), dtype=float) for name in names}


def metrics_table(scores: dict[str, np.ndarray], splits: Splits, threshold: float) -> pd.DataFrame:
    """One row of :data:`METRICS` per scored split."""
    rows = {name: compute_metrics(getattr(splits, name).label, prob, threshold) for name, prob in scores.items()}
    return pd.DataFrame(rows).T[list(METRICS)]


def log_evaluation(scores: dict[str, np.ndarray], splits: Splits, threshold: float, label: str) -> pd.DataFrame:
    """Log ``<split>_<metric>`` metrics, one evaluation figure per split and the table; return it."""
    import matplotlib.pyplot as plt
    import mlflow

    table = metrics_table(scores, splits, threshold)
    for name, prob in scores.items():
        mlflow.log_metrics({f"{name}_{k}": float(v) for k, v in table.loc[name].items()})
        frame = getattr(splits, name)
        fig = plot_evaluation(frame.label, prob, threshold, f"{label} on {name} ({len(frame):,} tweets)")
        mlflow.log_figure(fig, f"plots/evaluation_{name}.png")
        plt.close(fig)
    mlflow.log_table(table.reset_index(names="split"), "metrics_table.json")
    return table


def scored_sets(splits: Splits) -> tuple[str, ...]:
    """The evaluated sets, and the held-out airline feedback when the splits have it."""
    return (*EVALUATED, *(["airline_holdout"] if len(splits.airline_holdout) else []))


def f1_at(y_true, negative_probability, thresholds: np.ndarray) -> np.ndarray:
    """Negative-class F1 at each threshold (predicted negative when the probability is >= it)."""
    y = np.asarray(y_true, dtype=bool)
    p = np.asarray(negative_probability, dtype=float)
    predicted = p[None, :] >= np.asarray(thresholds, dtype=float)[:, None]
    tp = (predicted & y).sum(axis=1)
    return 2 * tp / np.clip(predicted.sum(axis=1) + y.sum(), 1, None)


def domain_threshold(y_validation, p_validation, y_domain, p_domain, kept: float = DOMAIN_KEEPS) -> float:
    """The deployed threshold: the best negative F1 on the held-out domain set among the thresholds
    that keep the Sentiment140 validation F1 within ``kept`` of its best (a domain threshold that
    gave up more would lose the promotion gate's comparison on validation)."""
    candidates = np.unique(np.concatenate([np.asarray(p_domain, dtype=float),
                                           [choose_threshold(y_validation, p_validation)]]))
    validation = f1_at(y_validation, p_validation, candidates)
    allowed = validation >= validation.max() - kept
    domain = np.where(allowed, f1_at(y_domain, p_domain, candidates), -1.0)
    return float(candidates[int(np.argmax(domain))])


def thresholds(scores: dict[str, np.ndarray], splits: Splits) -> dict[str, float]:
    """The threshold each rule chooses, for the sets that were scored and are not empty:
    ``sentiment140``, the best negative F1 on validation; ``airline_holdout``, :func:`domain_threshold`
    on the held-out airline feedback."""
    chosen = {"sentiment140": choose_threshold(splits.validation.label, scores["validation"])}
    if len(scores.get("airline_holdout", ())):
        chosen[DOMAIN_RULE] = domain_threshold(splits.validation.label, scores["validation"],
                                               splits.airline_holdout.label, scores["airline_holdout"])
    return chosen


def log_thresholds(scores: dict[str, np.ndarray], splits: Splits, chosen: dict[str, float]) -> dict[str, float]:
    """Log ``threshold_<rule>`` and, at each rule's threshold, the metrics on the airline judge
    slice and the held-out feedback (``<set>_<metric>_at_<rule>``): the report shows both rules
    side by side. Returns what was logged."""
    import mlflow

    logged = {}
    for rule, threshold in chosen.items():
        logged[f"threshold_{rule}"] = threshold
        for name in ("airline", "airline_holdout"):
            if len(scores.get(name, ())):
                m = compute_metrics(getattr(splits, name).label, scores[name], threshold)
                logged.update({f"{name}_{k}_at_{rule}": float(v) for k, v in m.items()})
    mlflow.log_metrics(logged)
    return logged


def check_targets(figures: dict[str, dict[str, float]],
                  targets: tuple[config.Target, ...] = config.TARGETS) -> list[dict[str, object]]:
    """Each target against ``figures`` (model -> metric -> value): the target, the bound it sets,
    the measured value and whether it is met (``None`` when a figure is missing)."""
    rows = []
    for target in targets:
        measured = figures.get(target.model, {}).get(target.metric)
        base = figures.get(target.relative_to, {}).get(target.metric) if target.relative_to else 0.0
        bound = None if base is None else base + target.at_least
        met = None if measured is None or bound is None else bool(measured >= bound - 1e-12)
        rows.append({"target": str(target), "model": target.model, "metric": target.metric, "bound": bound,
                     "measured": measured, "met": met})
    return rows
