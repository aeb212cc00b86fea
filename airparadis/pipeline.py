"""The main pipeline (what `make demo` runs) and the improvement loop (`retrain`).

main: data (the airline feedback in the training split, ``MAIN_FEEDBACK``) -> simple model ->
distilled student (the deployed kind, taught by the shipped soft labels) -> promotion gate.
retrain: data with field feedback in the training split only -> a model -> promotion gate.

Steps are chained by artifact URI, as in MLflow's multistep workflow example: the data step reads
and splits the raw files once (or reuses a finished data run with the same parameters and code)
and every later step reads the splits from its URI. Each step is a nested run of one run, so the
MLflow UI shows the whole pipeline together; each is also its own entry point
(`mlflow run . -e <step>`). The gate sees each new version in turn, so a model becomes
``production`` only if it beats the current one by the margin on validation or on the airline
judge slice, loses more than the tolerated loss on neither, and fits the budget.
"""

from __future__ import annotations

import contextlib
import time

import mlflow

from airparadis.core import data, tracking

STEPS = ("data", "simple", "deep", "distill", "promote")
MAIN_STEPS = ("data", "simple", "distill", "promote")
TRAINERS = ("simple", "deep", "distill")
MAIN_FEEDBACK = "airline"  # what `make demo`, `make train` and CD's path B train with (entrypoints.main)


def run(steps: list[str] = MAIN_STEPS, source: str = "bundled", sample: int | None = None,
        feedback: list[str] = (), name: str = "main") -> dict[str, object]:
    """Run the named steps in order (the data step always: the others read its splits); return
    what each produced (the splits URI, versions, decisions)."""
    from airparadis.release import promote
    from airparadis.training import deep, distill, simple

    unknown = set(steps) - set(STEPS)
    if unknown:
        raise ValueError(f"unknown step(s) {sorted(unknown)}; choose from {', '.join(STEPS)}")
    train = {"simple": simple.run, "deep": deep.run, "distill": distill.run}
    results: dict[str, object] = {}
    with tracking.start_run(name):
        mlflow.set_tags({"steps": ",".join(steps), "data_source": source, "data_sample": str(sample),
                         "feedback": ",".join(feedback) or "none"})
        with _timed("data"):
            splits_uri = results["data"] = data.prepare(source, sample, list(feedback))
        for step in (s for s in TRAINERS if s in steps):
            with _timed(step):
                results[step] = train[step](splits_uri)
        if "promote" in steps:
            with _timed("promote"):
                results["promote"] = [promote.run(results[s], splits_uri=splits_uri) for s in TRAINERS if s in results]
    return results


def retrain(feedback: list[str], approach: str = "distill", source: str = "bundled",
            sample: int | None = None) -> dict[str, object]:
    """The improvement loop: the feedback joins the training split only, ``approach`` is retrained
    on it and the gate decides against the current production version."""
    if approach not in TRAINERS:
        raise ValueError(f"unknown approach {approach!r}; choose from {', '.join(TRAINERS)}")
    if not feedback:
        raise ValueError("no feedback given: name 'airline' and/or exported report files")
    return run(["data", approach, "promote"], source, sample, feedback, name="retrain")


@contextlib.contextmanager
def _timed(step: str):
    """Print a step's banner and log its wall time as ``<step>_seconds`` on the pipeline's run."""
    print(f"\n=== step {step} ===", flush=True)
    start = time.perf_counter()
    yield
    mlflow.log_metric(f"{step}_seconds", time.perf_counter() - start)
