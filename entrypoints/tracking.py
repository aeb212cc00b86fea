"""MLflow tracking set-up shared by every stage (one store, one experiment)."""

from __future__ import annotations

import contextlib
import os

import mlflow

from entrypoints import config


def setup() -> str:
    """Point MLflow at the configured store and experiment; return the experiment id.

    The experiment is created with its artifacts under ``mlartifacts/`` in the project root
    (or ``AIRPARADIS_ARTIFACT_ROOT``), next to the sqlite store.
    """
    mlflow.set_tracking_uri(config.TRACKING_URI)
    experiment = mlflow.get_experiment_by_name(config.EXPERIMENT_NAME)
    if experiment is None:
        experiment_id = mlflow.create_experiment(config.EXPERIMENT_NAME, artifact_location=config.ARTIFACT_ROOT)
    else:
        experiment_id = experiment.experiment_id
    if not os.environ.get("MLFLOW_RUN_ID"):  # under `mlflow run`, the run already has its experiment
        mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


@contextlib.contextmanager
def start_run(run_name: str, **kwargs):
    """Start (or, under ``mlflow run``, resume) the stage's run."""
    setup()
    if mlflow.active_run() is not None:
        yield mlflow.active_run()
        return
    with mlflow.start_run(run_name=None if os.environ.get("MLFLOW_RUN_ID") else run_name, **kwargs) as run:
        mlflow.set_tag("stage", run_name)
        yield run


if __name__ == "__main__":
    print(f"tracking {config.TRACKING_URI}, experiment {config.EXPERIMENT_NAME!r} (id {setup()})")
