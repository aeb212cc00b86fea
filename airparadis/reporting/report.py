"""The ``report`` stage: the comparison of the approaches (simple, deep, transformer) that the documents show.

For each registered version asked for (default: the ``best-<approach>`` aliases), the report loads
the logged pyfunc from the registry and recomputes, on the SAME splits for every model (the
deterministic split of ``--source``/``--sample``): accuracy, F1 of the negative class and ROC AUC on
validation, test and STS-Test, at the model's own threshold. It adds the model's size (the logged
model folder), its training time (the run's ``training_seconds``) and its latency measured in
process (one fresh process per model) through the pyfunc's ``predict`` (contract checks +
preprocessing + model): one tweet per call (median and 95th percentile) and one call on a batch of
tweets (tweets per second).

It also says whether each model was trained on the same split (the digests of the datasets its run
logged): a model trained on another split may have seen some of these test tweets.

For models whose run logged a learning curve (the transformer), it adds the accuracy against
training steps (table and ``comparison_curves.png``).

Outputs: a printed table, and in ``--out`` (default docs/results/) ``comparison.md``,
``comparison.json``, ``comparison_quality.png``, ``comparison_cost.png`` (and
``comparison_curves.png``), also logged as artifacts of a ``report`` run.

This module selects the versions, scores them, judges the targets (:data:`config.TARGETS`, by
:func:`airparadis.core.evaluation.check_targets`) and sets issue 18's before/after beside them; the measures
are named in :mod:`airparadis.reporting.measures`, the tables written by :mod:`airparadis.reporting.tables` and the
charts drawn by :mod:`airparadis.reporting.charts`, in the palette of every chart.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from pathlib import Path

import numpy as np

from airparadis import config
from airparadis.core.timing import measure_latency
from airparadis.reporting import charts, tables
from airparadis.reporting.measures import CURVE_METRICS, FORM_METRICS, QUALITY, SPLIT_NAMES

# the comparison: each approach without, then with, the airline feedback in its training split
DEFAULT_MODELS = ("approach:simple,feedback=none", "approach:simple,feedback=airline", "approach:deep,!teacher",
                  "approach:deep,teacher,feedback=none", "approach:deep,teacher,feedback=airline", "best-transformer")
DEFAULT_OUT = config.ROOT / "docs" / "results"


def find_versions(specs: list[str]) -> list[tuple[str, int | None, str]]:
    """(spec, version or None, why not) for each spec (alias, number, ``approach:<name>``...)."""
    from mlflow.exceptions import MlflowException

    from airparadis.core import registry

    found = []
    for spec in specs:
        try:
            found.append((spec, registry.resolve_version(spec), ""))
        except (LookupError, MlflowException) as e:
            found.append((spec, None, f"not registered ({str(e).splitlines()[0][:120]})"))
    return found


def trained_on_same_split(run, digests: dict[str, str]) -> str:
    """``yes`` when the run logged the same train/validation/test datasets, ``no`` or ``unknown``."""
    logged = {d.dataset.name: d.dataset.digest for d in run.inputs.dataset_inputs}
    names = ("train", "validation", "test")
    if not all(n in logged for n in names):
        return "unknown"
    return "yes" if all(logged[n] == digests[n] for n in names) else "no"


def score_version(version: int, splits, single_calls: int, batch_rows: int) -> dict:
    """One row of the comparison: quality recomputed on ``splits``, size, training time, latency."""
    import mlflow.pyfunc
    import pandas as pd
    from mlflow.tracking import MlflowClient

    from airparadis import config
    from airparadis.core import evaluation

    client = MlflowClient()
    mv = client.get_model_version(config.settings().model_name, str(version))
    run = client.get_run(mv.run_id)
    model = mlflow.pyfunc.load_model(f"models:/{config.settings().model_name}/{version}")
    threshold = float(model.unwrap_python_model().threshold)

    def proba(texts: list[str]) -> np.ndarray:
        return model.predict(pd.DataFrame({"text": texts}))["negative_probability"].to_numpy()

    table = evaluation.metrics_table(evaluation.score_splits(proba, splits, SPLIT_NAMES), splits, threshold)
    approach, feedback = mv.tags.get(config.APPROACH_TAG, "?"), mv.tags.get("feedback", "none")
    kind = "student" if approach == "deep" and "teacher" in mv.tags else approach
    row = {"approach": approach, "kind": kind, "feedback": feedback,
           # the teacher is one model, ``transformer`` in the documents, whatever its training mix
           "key": kind + ("" if feedback == "none" or kind == "transformer" else "_feedback"),
           "name": f"{kind}{'' if feedback == 'none' else ' + ' + feedback + ' feedback'} (v{version})",
           "teacher": mv.tags.get("teacher", ""), "version": int(version), "run_id": mv.run_id,
           "production": config.PRODUCTION_ALIAS in mv.aliases,
           "threshold": threshold, "threshold_rule": run.data.params.get("threshold_rule", "sentiment140"),
           **{f"threshold_{rule}": run.data.metrics[f"threshold_{rule}"] for rule in evaluation.THRESHOLD_SETS
              if f"threshold_{rule}" in run.data.metrics},
           "trained_on_same_split": trained_on_same_split(run, splits.digests)}
    row.update({f"{s}_{m}": float(table.loc[s, m]) for s in SPLIT_NAMES for m in QUALITY})
    row["model_size_mb"] = float(mv.tags.get("model_size_mb") or run.data.metrics.get("model_size_mb", np.nan))
    row["training_seconds"] = float(run.data.metrics.get("training_seconds", np.nan))
    row.update(measure_latency(proba, splits.test.text.tolist(), single_calls, batch_rows))
    forms = {form: {k: run.data.metrics.get(f"form_{form}_{k}", np.nan) for k in FORM_METRICS}
             for form in ("fp32", "int8") if f"form_{form}_validation_accuracy" in run.data.metrics}
    if forms:
        row["forms"] = {"chosen": run.data.params.get("quantization", "?"), **forms}
    return row


def learning_curves(rows: list[dict]) -> dict[str, dict]:
    """The logged learning curve (metric histories by step, and how its accuracy threshold was
    chosen) of every model that has one, keyed by its column name: what a larger budget buys."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    curves = {}
    for r in rows:
        histories = {m: {h.step: h.value for h in client.get_metric_history(r["run_id"], m)} for m in CURVE_METRICS}
        steps = sorted(histories["curve_sts_test_accuracy"])
        if steps:
            threshold = client.get_run(r["run_id"]).data.tags.get("curve_threshold", "0.5")
            curves[r["name"]] = {"threshold": threshold, "points": [
                {"step": s, **{m: histories[m].get(s, float("nan")) for m in CURVE_METRICS}} for s in steps]}
    return curves


def _score_in_child(version: int, splits_uri: str, single_calls: int, batch_rows: int) -> dict:
    from airparadis.core import data, tracking

    tracking.setup()
    return score_version(version, data.read_splits(splits_uri), single_calls, batch_rows)


def score_isolated(version: int, splits_uri: str, single_calls: int, batch_rows: int) -> dict:
    """:func:`score_version` in a fresh process: one model's threads (TensorFlow Lite, torch)
    cannot slow the next one's latency (measured: torch's latency doubled after a TFLite model
    had run in the same process)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_score_in_child, version, splits_uri, single_calls, batch_rows).result()


BEFORE = config.ROOT / "data" / "before_issue18.json"  # the teacher and the doors before issue 18, with provenance


def _pick(rows: list[dict], kind: str, feedback: bool | None = None) -> dict | None:
    """The production row of a kind if there is one, else its newest (with that feedback, if given)."""
    found = [r for r in rows if r["kind"] == kind and feedback in (None, r["feedback"] != "none")]
    return max(found, key=lambda r: (r.get("production", False), r["version"])) if found else None


def target_rows(rows: list[dict]) -> dict[str, dict]:
    """The rows :data:`config.TARGETS` name: the teacher, the student and the simple model, each with the
    airline feedback (the production one first)."""
    picked = {"teacher": _pick(rows, "transformer", True) or _pick(rows, "transformer"),
              "student": _pick(rows, "student", True), "simple": _pick(rows, "simple", True)}
    return {model: row for model, row in picked.items() if row is not None}


def targets(rows: list[dict]) -> list[dict]:
    """Each of :data:`config.TARGETS` judged by :func:`evaluation.check_targets` on these rows, with the
    version it measured."""
    from airparadis.core import evaluation

    picked = target_rows(rows)
    checks = evaluation.check_targets({model: {k: v for k, v in row.items() if isinstance(v, float)}
                                       for model, row in picked.items()})
    return [{**c, "version": picked[c["model"]]["version"] if c["model"] in picked else None} for c in checks]


def before_after(rows: list[dict], before: Path = BEFORE) -> dict:
    """Issue 18's before/after: the old teacher against the new one, and the model each door served
    against the one it serves now (the production student). ``before`` declares the old figures."""
    declared = json.loads(Path(before).read_text(encoding="utf-8"))
    now = {"teacher": _pick(rows, "transformer", True) or _pick(rows, "transformer"),
           "door": next((r for r in rows if r.get("production")), None)}
    out = []
    for old in declared["rows"]:
        new = now["teacher" if old["door"] == "teacher" else "door"]
        metrics = [k for k in old if k not in ("door", "model")]
        out.append({"door": old["door"], "before": old["model"],
                    "after": f"{new['name']}, run {new['run_id']}" if new else "not registered",
                    **{k: {"before": old[k], "after": new[k] if new else None} for k in metrics}})
    return {"provenance": declared["provenance"], "rows": out}


def run(
    models: list[str] = DEFAULT_MODELS,
    source: str = "bundled",
    sample: int | None = None,
    out_dir: Path = DEFAULT_OUT,
    single_calls: int = 50,
    batch_rows: int = 1000,
    log: bool = True,
    partial: bool = False,
) -> dict:
    """Build the comparison, write it to ``out_dir``, log it (``report`` run) and return it.

    With ``partial=False``, when this store lacks some of ``models`` and ``out_dir`` already holds
    a complete comparison (measured where they all were registered), that one is kept and returned
    with ``kept`` naming the missing specs: a store that has run ``make demo`` only (no
    transformer) does not overwrite the measured six-model comparison the documents are made of."""
    from tqdm.auto import tqdm

    from airparadis.core import data, tracking

    tracking.setup()
    found = find_versions(list(models))
    missing = [(spec, why) for spec, version, why in found if version is None]
    previous = Path(out_dir) / "comparison.json"
    if missing and not partial and previous.exists():
        earlier = json.loads(previous.read_text(encoding="utf-8"))
        if not earlier.get("missing"):
            return {**earlier, "kept": [{"spec": s, "why": w} for s, w in missing]}
    splits_uri = data.prepare(source, sample)
    splits = data.read_splits(splits_uri)
    rows = [score_isolated(version, splits_uri, single_calls, batch_rows)
            for _, version, _ in tqdm([f for f in found if f[1] is not None], desc="scoring models", unit="model")]
    if not rows:
        raise LookupError(f"none of {list(models)} is registered; train a model first")
    args = f"--source {source} --sample {sample if sample is not None else 'none'} --models '{';'.join(models)}'"
    meta = {"generated_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "command_args": args,
            "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores", "source": source, "sample": sample,
            "split_rows": ", ".join(f"{n} {len(f):,}" for n, f in splits.items() if n != "train"),
            "single_calls": single_calls, "batch_rows": batch_rows}
    curves = learning_curves(rows)
    checks = targets(rows)
    compared = before_after(rows)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    markdown = tables.to_markdown(rows, missing, meta, curves, checks, compared)
    (out_dir / "comparison.md").write_text(markdown, encoding="utf-8")
    result = {"meta": meta, "models": rows, "missing": [{"spec": s, "why": w} for s, w in missing],
              "curves": curves, "targets": checks, "before_after": compared}
    (out_dir / "comparison.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    charts.draw_comparison(rows, curves, out_dir)
    if log:
        _log(out_dir, rows)
    return result


def _log(out_dir: Path, rows: list[dict]) -> None:
    import mlflow

    from airparadis.core import tracking

    with tracking.start_run("report"):
        for name in ("comparison.md", "comparison.json", "comparison_quality.png", "comparison_cost.png",
                     "comparison_curves.png"):
            if (out_dir / name).exists():
                mlflow.log_artifact(str(out_dir / name), "comparison")
        mlflow.log_params({f"version_{r['key']}": r["version"] for r in rows})
