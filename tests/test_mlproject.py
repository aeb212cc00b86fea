"""The MLflow Project itself: `mlflow run . -e main --env-manager local` end to end, in a
fresh tracking store of its own."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from entrypoints import config

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fresh_store(tmp_path):
    # mlflow.set_experiment() in this process exports MLFLOW_EXPERIMENT_ID: the child must not inherit it
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_EXPERIMENT", "MLFLOW_RUN_ID"))}
    env = {**inherited, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
           "AIRPARADIS_ARTIFACT_ROOT": (tmp_path / "artifacts").as_uri(),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return env


def mlflow_cli(env, *args):
    return subprocess.run([sys.executable, "-m", "mlflow", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


def test_main_entry_point_trains_registers_and_promotes(fresh_store):
    subprocess.run([sys.executable, "-m", "entrypoints.tracking"], cwd=ROOT, env=fresh_store, check=True)
    result = mlflow_cli(fresh_store, "run", ".", "-e", "main", "--env-manager", "local",
                        "--experiment-name", config.EXPERIMENT_NAME, "-P", "sample=2000")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    client = MlflowClient(fresh_store["MLFLOW_TRACKING_URI"])
    versions = {int(v.version): v.tags[config.APPROACH_TAG] for v in client.search_model_versions(
        f"name='{config.MODEL_NAME}'")}
    assert versions == {1: "simple", 2: "deep"}
    # the simple model is promoted first (nothing in production); the deep one only if it beats it
    assert "version 1: PROMOTED to production" in result.stdout
    production = int(client.get_model_version_by_alias(config.MODEL_NAME, config.PRODUCTION_ALIAS).version)
    assert production == (2 if "version 2: PROMOTED to production" in result.stdout else 1)
    assert "version 2: NOT promoted" in result.stdout or production == 2
    runs = client.search_runs([client.get_experiment_by_name(config.EXPERIMENT_NAME).experiment_id])
    assert {r.data.tags.get("stage") for r in runs} >= {"data", "simple", "deep", "promote"}


def test_entry_point_with_a_bad_parameter_fails_with_a_message(fresh_store):
    result = mlflow_cli(fresh_store, "run", ".", "-e", "simple", "--env-manager", "local", "-P", "sample=lots")
    assert result.returncode != 0
    assert "expected a whole number, got 'lots'" in result.stderr


@pytest.mark.parametrize("stage", ["data", "simple", "promote", "main", "serve"])
def test_every_stage_has_a_helpful_help(stage):
    result = subprocess.run([sys.executable, "-m", f"entrypoints.{stage}", "--help"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "usage:" in result.stdout and "--" in result.stdout
