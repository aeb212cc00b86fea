"""Promotion stage: move the ``production`` alias to a candidate version, or say why not.

The gate, stated once in ``entrypoints.config``:
1. quality: the candidate's ``PROMOTION_METRIC`` on the validation set beats the production
   version's by at least ``margin``. Both are *recomputed now* on the same validation tweets, so
   versions trained on different data are compared fairly;
2. deployment budget (``config.BUDGET``): model size, single-tweet p99 latency in process, and no
   GB-sized serving dependency (tensorflow, torch) in the model's requirements.
With no production version yet, a candidate that fits the budget is promoted.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow.tracking import MlflowClient

from entrypoints import config, data, evaluate, registry, tracking

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

    def budget_problems(self, budget: config.DeploymentBudget) -> list[str]:
        problems = []
        if self.size_mb > budget.max_model_mb:
            problems.append(f"size {self.size_mb:.1f} MB > {budget.max_model_mb} MB")
        if self.p99_ms > budget.max_p99_ms:
            problems.append(f"single-tweet p99 {self.p99_ms:.1f} ms > {budget.max_p99_ms} ms")
        if self.heavy_requirements:
            problems.append(f"serving needs {', '.join(self.heavy_requirements)}")
        return problems


def requirements_of(model_dir: Path) -> list[str]:
    path = model_dir / "requirements.txt"
    return [line.strip() for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def heavy(requirements: list[str], forbidden: tuple[str, ...]) -> list[str]:
    names = {r.split("==")[0].split(">")[0].split("<")[0].strip().lower() for r in requirements}
    return sorted(n for n in names if any(n == f or n.startswith(f + "-") for f in forbidden))


def assess(version: int, splits: data.Splits, budget: config.DeploymentBudget = config.BUDGET) -> Assessment:
    """Load a version, score it on validation, time single-tweet calls and size it."""
    client = MlflowClient()
    mv = client.get_model_version(config.MODEL_NAME, str(version))
    uri = f"models:/{config.MODEL_NAME}/{version}"
    local = Path(mlflow.artifacts.download_artifacts(uri))
    model = mlflow.pyfunc.load_model(str(local))
    threshold = float(model.unwrap_python_model().threshold)
    texts = splits.validation.text.tolist()
    prob = model.predict(pd.DataFrame({"text": texts}))["negative_probability"].to_numpy()
    metrics = evaluate.compute_metrics(splits.validation.label, prob, threshold)
    timings = []
    for text in texts[:LATENCY_CALLS]:
        start = time.perf_counter()
        model.predict(pd.DataFrame({"text": [text]}))
        timings.append((time.perf_counter() - start) * 1000)
    return Assessment(
        version=version,
        approach=mv.tags.get(config.APPROACH_TAG, "?"),
        metrics=metrics,
        size_mb=registry.directory_mb(local),
        p99_ms=float(np.percentile(timings, 99)),
        heavy_requirements=heavy(requirements_of(local), budget.forbidden_requirements),
    )


@dataclass
class Decision:
    promote: bool
    reasons: list[str]
    candidate: Assessment
    production: Assessment | None


def decide(candidate: Assessment, production: Assessment | None, margin: float,
           budget: config.DeploymentBudget = config.BUDGET, metric: str = config.PROMOTION_METRIC) -> Decision:
    """The gate itself: pure, so it is tested on its own."""
    reasons = [f"over the deployment budget: {p}" for p in candidate.budget_problems(budget)]
    if production is not None and production.version == candidate.version:
        reasons.append(f"version {candidate.version} is already production")
    elif production is not None:
        gain = candidate.metrics[metric] - production.metrics[metric]
        verdict = "beats" if gain >= margin else "does not beat"
        line = (f"validation {metric} {candidate.metrics[metric]:.4f} vs production v{production.version} "
                f"{production.metrics[metric]:.4f} ({gain:+.4f}; {verdict} the margin {margin})")
        if gain < margin:
            reasons.append(line)
        else:
            return Decision(not reasons, reasons or [line], candidate, production)
    if not reasons and production is None:
        reasons = ["no production version yet; the candidate fits the budget"]
        return Decision(True, reasons, candidate, production)
    return Decision(not reasons, reasons, candidate, production)


def _row(a: Assessment, metric: str) -> str:
    return (f"v{a.version:<4} {a.approach:<12} {a.metrics[metric]:>8.4f} {a.metrics['roc_auc']:>8.4f} "
            f"{a.size_mb:>9.2f} {a.p99_ms:>8.1f}  {','.join(a.heavy_requirements) or '-'}")


def run(spec: str = "latest", margin: float = config.PROMOTION_MARGIN, source: str = "bundled",
        sample: int | None = None) -> Decision:
    """Assess the candidate and the current production version and move the alias if it passes."""
    tracking.setup()
    client = MlflowClient()
    candidate_version = registry.resolve_version(spec)
    try:
        production_version = int(client.get_model_version_by_alias(config.MODEL_NAME, config.PRODUCTION_ALIAS).version)
    except mlflow.exceptions.MlflowException:
        production_version = None
    splits = data.load_splits(source, sample)
    candidate = assess(candidate_version, splits)
    production = assess(production_version, splits) if production_version is not None else None
    decision = decide(candidate, production, margin)

    metric = config.PROMOTION_METRIC
    print(f"\nvalidation set: {len(splits.validation):,} tweets from {source!r}; budget: {config.BUDGET}")
    print(f"{'':5} {'approach':<12} {metric[:8]:>8} {'roc_auc':>8} {'size MB':>9} {'p99 ms':>8}  heavy deps")
    print(_row(candidate, metric) + "   <- candidate")
    if production is not None:
        print(_row(production, metric) + "   <- production")
    if decision.promote:
        client.set_registered_model_alias(config.MODEL_NAME, config.PRODUCTION_ALIAS, str(candidate_version))
    outcome = "PROMOTED to production" if decision.promote else "NOT promoted"
    client.set_model_version_tag(config.MODEL_NAME, str(candidate_version), "promotion",
                                 f"{outcome}: {'; '.join(decision.reasons)}"[:5000])
    print(f"\nversion {candidate_version}: {outcome}")
    for reason in decision.reasons:
        print(f"  - {reason}")
    return decision


def main(argv: list[str] | None = None) -> int:
    from entrypoints import cli

    parser = argparse.ArgumentParser(prog="python -m entrypoints.promote", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="latest",
                        help="candidate: 'latest', a version number, an alias (best-deep), 'approach:deep', "
                             "or models:/air-paradis-sentiment/N (default: latest)")
    parser.add_argument("--margin", type=float, default=config.PROMOTION_MARGIN,
                        help=f"required gain in validation {config.PROMOTION_METRIC} "
                             f"(default {config.PROMOTION_MARGIN})")
    parser.add_argument("--source", default="bundled", help="data whose validation split is used (default bundled)")
    parser.add_argument("--sample", type=cli.optional_int, default=None, help="rows of the training file to split")
    parser.add_argument("--strict", action="store_true", help="exit with status 3 when the candidate is refused")
    args = parser.parse_args(argv)
    try:
        decision = run(args.model, args.margin, args.source, args.sample)
    except (LookupError, mlflow.exceptions.MlflowException) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 3 if args.strict and not decision.promote else 0


if __name__ == "__main__":
    sys.exit(main())
