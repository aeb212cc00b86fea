"""The ``promote`` stage, the promotion gate: move the ``production`` alias to a candidate version, or say why not.

The gate, stated once in :mod:`airparadis.config`:
1. quality, on the SAME tweets for both versions: the candidate's ``PROMOTION_METRIC`` beats the
   production version's by at least ``margin`` on the Sentiment140 validation set or on the
   airline judge slice (the product's own domain), and loses more than ``TOLERATED_LOSS`` on
   neither: a candidate that wins on Sentiment140 but loses the airline tweets is refused. The
   "beats" comparisons are MLflow's ``mlflow.validate_evaluation_results``
   (``MetricThreshold(min_absolute_change=margin)``); a tolerated loss is a negative change, which
   ``MetricThreshold`` cannot state, so it is compared here. A version whose training run already
   scored these very tweets (same dataset digest) is not scored again: its logged ``validation_*``
   and ``airline_*`` metrics are read back;
2. deployment budget (``config.BUDGET``): model size, single-tweet p99 latency in process, and no
   GB-sized serving dependency (one check, :mod:`airparadis.release.requirements`, shared with
   the image builder).
With no production version yet, a candidate that fits the budget is promoted.

Why not ``mlflow.models.evaluate`` to score: see :mod:`airparadis.core.evaluation`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import MetricThreshold
from mlflow.models.evaluation import EvaluationResult
from mlflow.models.evaluation.validation import ModelValidationFailedException
from mlflow.tracking import MlflowClient

from airparadis import config
from airparadis.core import data, evaluation, registry, tracking
from airparadis.release import requirements
from pyfunc.names import PROBABILITY_COLUMN, TEXT_COLUMN

LATENCY_CALLS = 100


@dataclass
class Assessment:
    """What the gate measured for one model version."""

    version: int
    approach: str
    metrics: dict[str, float]
    size_mb: float
    p99_ms: float
    heavy_requirements: list[str] = field(default_factory=list)
    airline: dict[str, float] | None = None  # metrics on the airline judge slice

    def budget_problems(self, budget: config.DeploymentBudget) -> list[str]:
        problems = []
        if self.size_mb > budget.max_model_mb:
            problems.append(f"size {self.size_mb:.1f} MB > {budget.max_model_mb} MB")
        if self.p99_ms > budget.max_p99_ms:
            problems.append(f"single-tweet p99 {self.p99_ms:.1f} ms > {budget.max_p99_ms} ms")
        if self.heavy_requirements:
            problems.append(f"serving needs {', '.join(self.heavy_requirements)}")
        return problems


def logged_metrics(run, splits: data.Splits, split: str) -> dict[str, float] | None:
    """The run's own ``<split>_*`` metrics when it scored exactly these tweets (same digest)."""
    logged = {d.dataset.name: d.dataset.digest for d in run.inputs.dataset_inputs}
    if logged.get(split) != splits.digests.get(split):
        return None
    metrics = {m: run.data.metrics.get(f"{split}_{m}") for m in evaluation.METRICS}
    return None if any(v is None for v in metrics.values()) else metrics


def assess(version: int, splits: data.Splits) -> Assessment:
    """Size, requirements and single-tweet latency of a version; its validation and airline judge
    metrics read back from its run when it scored these tweets, else computed now."""
    client = MlflowClient()
    model_name = config.settings().model_name
    mv = client.get_model_version(model_name, str(version))
    local = Path(mlflow.artifacts.download_artifacts(f"models:/{model_name}/{version}"))
    model = mlflow.pyfunc.load_model(str(local))
    run = client.get_run(mv.run_id)
    judged = {}
    for split in ("validation", "airline"):
        judged[split] = logged_metrics(run, splits, split)
        if judged[split] is None:
            frame = getattr(splits, split)
            prob = model.predict(pd.DataFrame({TEXT_COLUMN: frame.text.tolist()}))[PROBABILITY_COLUMN].to_numpy()
            judged[split] = evaluation.compute_metrics(frame.label, prob, model.unwrap_python_model().threshold)
    texts = splits.validation.text.tolist()
    timings = []
    for text in texts[:LATENCY_CALLS]:
        start = time.perf_counter()
        model.predict(pd.DataFrame({TEXT_COLUMN: [text]}))
        timings.append((time.perf_counter() - start) * 1000)
    return Assessment(
        version=version,
        approach=mv.tags.get(config.APPROACH_TAG, "?"),
        metrics=judged["validation"],
        airline=judged["airline"],
        size_mb=registry.directory_mb(local),
        p99_ms=float(np.percentile(timings, 99)),
        heavy_requirements=requirements.forbidden(requirements.of_model(local)),
    )


@dataclass
class Decision:
    promote: bool
    reasons: list[str]
    candidate: Assessment
    production: Assessment | None


def beats(candidate: dict[str, float], production: dict[str, float], margin: float, metric: str) -> bool:
    """MLflow's own validation: the candidate beats production on ``metric`` by at least ``margin``."""
    if margin <= 0:  # MLflow's MetricThreshold takes positive changes only: a tolerated loss is compared here
        return candidate[metric] - production[metric] >= margin
    thresholds = {metric: MetricThreshold(min_absolute_change=margin, greater_is_better=True)}
    try:
        mlflow.validate_evaluation_results(thresholds, EvaluationResult(candidate, {}),
                                           EvaluationResult(production, {}))
    except ModelValidationFailedException:
        return False
    return True


def judge(name: str, candidate: dict[str, float], production: dict[str, float], version: int, margin: float,
          tolerated: float, metric: str) -> tuple[str, bool, bool]:
    """(the line to print, won by ``margin``, lost more than ``tolerated``) on one set."""
    gain = candidate[metric] - production[metric]
    won, lost = beats(candidate, production, margin, metric), gain < -tolerated
    verdict = (f"beats the margin {margin}" if won else f"loses more than the tolerated {tolerated}" if lost
               else f"within the margin {margin} and the tolerated loss {tolerated}")
    return (f"{name} {metric} {candidate[metric]:.4f} vs production v{version} {production[metric]:.4f} "
            f"({gain:+.4f}; {verdict})"), won, lost


def decide(candidate: Assessment, production: Assessment | None, margin: float,
           budget: config.DeploymentBudget = config.BUDGET, metric: str = config.PROMOTION_METRIC,
           tolerated: float = config.TOLERATED_LOSS) -> Decision:
    """The gate itself: pure, so it is tested on its own. The candidate must beat production by
    ``margin`` on Sentiment140 validation or on the airline judge slice, and lose more than
    ``tolerated`` on neither: a model that wins on Sentiment140 but loses the product's own domain
    is refused, and one that wins the domain without losing Sentiment140 is promoted."""
    reasons = [f"over the deployment budget: {p}" for p in candidate.budget_problems(budget)]
    if production is None:
        return Decision(not reasons, reasons or ["no production version yet; the candidate fits the budget"],
                        candidate, production)
    if production.version == candidate.version:
        return Decision(False, [*reasons, f"version {candidate.version} is already production"], candidate, production)
    sets = [("validation", candidate.metrics, production.metrics)]
    if candidate.airline is not None and production.airline is not None:
        sets.append(("airline judge", candidate.airline, production.airline))
    judged = [judge(name, c, p, production.version, margin, tolerated, metric) for name, c, p in sets]
    lines = [line for line, _, _ in judged]
    if any(lost for _, _, lost in judged) or not any(won for _, won, _ in judged):
        return Decision(False, [*reasons, *lines], candidate, production)
    return Decision(not reasons, reasons or lines, candidate, production)


SHOWN = ("accuracy", "f1_negative", "roc_auc", "pr_auc", "brier")  # what the gate prints per set


def table(candidate: Assessment, production: Assessment | None) -> pd.DataFrame:
    """Both versions on both judged sets (rows: set and metric), then their deployment figures."""
    versions = [("candidate", candidate)] + ([("production", production)] if production is not None else [])
    columns = {}
    for role, a in versions:
        quality = {("validation", m): a.metrics.get(m) for m in SHOWN}
        quality |= {("airline judge", m): (a.airline or {}).get(m) for m in SHOWN}
        budget = {("budget", "size MB"): round(a.size_mb, 2), ("budget", "p99 ms"): round(a.p99_ms, 1),
                  ("budget", "heavy deps"): ",".join(a.heavy_requirements) or "-"}
        columns[f"{role} v{a.version} ({a.approach})"] = {k: round(v, 4) if isinstance(v, float) else v
                                                          for k, v in (quality | budget).items()}
    return pd.DataFrame(columns)


def production_version() -> int | None:
    try:
        alias = MlflowClient().get_model_version_by_alias(config.settings().model_name, config.PRODUCTION_ALIAS)
    except mlflow.exceptions.MlflowException:
        return None
    return int(alias.version)


def run(spec: str | int = "latest", margin: float = config.PROMOTION_MARGIN, splits_uri: str | None = None,
        source: str = "bundled", sample: int | None = None) -> Decision:
    """Assess the candidate and the current production version on the validation split at
    ``splits_uri`` (or that of the data step for ``source``/``sample``) and move the alias if it passes."""
    tracking.setup()
    client = MlflowClient()
    model_name = config.settings().model_name
    candidate_version = registry.resolve_version(spec)
    current = production_version()
    splits = data.read_splits(splits_uri or data.prepare(source, sample))
    candidate = assess(candidate_version, splits)
    production = assess(current, splits) if current is not None else None
    decision = decide(candidate, production, margin)

    print(f"\nvalidation: {len(splits.validation):,} Sentiment140 tweets, airline judge: "
          f"{len(splits.airline):,} tweets ({splits.uri}); budget: {config.BUDGET}; each version at its own "
          "decision threshold (chosen on Sentiment140 validation for the best F1 of the negative class)")
    print(table(candidate, production).to_string())
    if decision.promote:
        client.set_registered_model_alias(model_name, config.PRODUCTION_ALIAS, str(candidate_version))
    outcome = "PROMOTED to production" if decision.promote else "NOT promoted"
    client.set_model_version_tag(model_name, str(candidate_version), "promotion",
                                 f"{outcome}: {'; '.join(decision.reasons)}"[:5000])
    print(f"\nversion {candidate_version}: {outcome}")
    for reason in decision.reasons:
        print(f"  - {reason}")
    return decision
