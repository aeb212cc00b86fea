"""The main pipeline (what `make demo` runs): data -> simple model -> deep model -> promotion gate.

Steps are chained by artifact URI, as in MLflow's multistep workflow example: the data step reads
and splits the raw file once (or reuses a finished data run with the same parameters and code)
and every later step reads the splits from its URI. Each step is a nested run of one ``main``
run, so the MLflow UI shows the whole pipeline together; each is also its own entry point
(`mlflow run . -e <step>`). The deep model is trained with its default configuration (the best of
the sweep); the gate then sees each new version in turn, so the deep model becomes
``production`` only if it beats the simple one on validation within the budget.
"""

from __future__ import annotations

import contextlib
import time

import mlflow

from airparadis.core import data, tracking

STEPS = ("data", "simple", "deep", "promote")


def run(steps: list[str] = STEPS, source: str = "bundled", sample: int | None = None) -> dict[str, object]:
    """Run the named steps in order (the data step always: the others read its splits); return
    what each produced (the splits URI, versions, decisions)."""
    from airparadis.release import gate
    from airparadis.training import deep, simple

    unknown = set(steps) - set(STEPS)
    if unknown:
        raise ValueError(f"unknown step(s) {sorted(unknown)}; choose from {', '.join(STEPS)}")
    train = {"simple": simple.run, "deep": deep.run}
    results: dict[str, object] = {}
    with tracking.start_run("main"):
        mlflow.set_tags({"steps": ",".join(steps), "data_source": source, "data_sample": str(sample)})
        with _timed("data"):
            splits_uri = results["data"] = data.prepare(source, sample)
        for step in (s for s in STEPS if s in steps and s in train):
            with _timed(step):
                results[step] = train[step](splits_uri)
        if "promote" in steps:
            with _timed("promote"):
                results["promote"] = [gate.run(results[s], splits_uri=splits_uri) for s in train if s in results]
    return results


@contextlib.contextmanager
def _timed(step: str):
    """Print a step's banner and log its wall time as ``<step>_seconds`` on the main run."""
    print(f"\n=== step {step} ===", flush=True)
    start = time.perf_counter()
    yield
    mlflow.log_metric(f"{step}_seconds", time.perf_counter() - start)
