"""MLflow tracking shared by every stage: one store, one experiment, steps that reuse finished runs."""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

import mlflow

from airparadis import config

STAGE_TAG = "stage"
CODE_VERSION_TAG = "code_version"


def setup() -> str:
    """Point MLflow at the configured store and experiment; return the experiment id.

    The experiment is created with its artifacts under ``mlartifacts/`` in the project root
    (or ``AIRPARADIS_ARTIFACT_ROOT``), next to the sqlite store.
    """
    settings = config.settings()
    mlflow.set_tracking_uri(settings.tracking_uri)
    experiment = mlflow.get_experiment_by_name(settings.experiment)
    if experiment is None:
        experiment_id = mlflow.create_experiment(settings.experiment, artifact_location=settings.artifact_root)
    else:
        experiment_id = experiment.experiment_id
    if not os.environ.get("MLFLOW_RUN_ID"):  # under `mlflow run`, the run already has its experiment
        mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


@contextlib.contextmanager
def start_run(run_name: str, **kwargs):
    """Start (or, under ``mlflow run``, resume) the stage's run; nested when a run is active."""
    setup()
    if mlflow.active_run() is None and os.environ.get("MLFLOW_RUN_ID"):
        with mlflow.start_run(**kwargs) as run:  # the run `mlflow run` created for this stage
            mlflow.set_tag(STAGE_TAG, run_name)
            yield run
        return
    with mlflow.start_run(run_name=run_name, nested=mlflow.active_run() is not None, **kwargs) as run:
        mlflow.set_tag(STAGE_TAG, run_name)
        yield run


def code_version(*paths: Path) -> str:
    """A digest of the files a step depends on (its code and input files)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).name.encode())
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:16]


def find_finished(stage: str, params: dict[str, str], version: str):
    """The newest finished run of ``stage`` with these parameters and code version, or ``None``."""
    clauses = [f"tags.{STAGE_TAG} = '{stage}'", f"tags.{CODE_VERSION_TAG} = '{version}'",
               "attributes.status = 'FINISHED'"]
    clauses += [f"params.{k} = '{v}'" for k, v in params.items()]
    runs = mlflow.search_runs(experiment_ids=[setup()], filter_string=" and ".join(clauses),
                              order_by=["attributes.start_time DESC"], max_results=1, output_format="list")
    return runs[0] if runs else None


@contextlib.contextmanager
def step(stage: str, params: dict[str, str], version: str):
    """Yield ``(run, reused)``: a finished run of this step with the same parameters and code
    version (``reused`` true: nothing to compute), or a new run of it (MLflow's multistep pattern)."""
    previous = find_finished(stage, params, version)
    if previous is not None:
        if mlflow.active_run() is not None:
            mlflow.set_tag(f"reused_{stage}_run", previous.info.run_id)
        yield previous, True
        return
    with start_run(stage) as run:
        mlflow.log_params(params)
        mlflow.set_tag(CODE_VERSION_TAG, version)
        yield run, False


if __name__ == "__main__":
    print(f"tracking {config.settings().tracking_uri}, experiment {config.settings().experiment!r} (id {setup()})")
