"""The MLflow Project itself: `mlflow run . -e main --env-manager local` end to end, in a
fresh tracking store of its own."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from airparadis import config

ROOT = Path(__file__).resolve().parents[2]


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
    subprocess.run([sys.executable, "-m", "airparadis.core.tracking"], cwd=ROOT, env=fresh_store, check=True)
    result = mlflow_cli(fresh_store, "run", ".", "-e", "main", "--env-manager", "local",
                        "--experiment-name", config.settings().experiment, "-P", "sample=2000")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    client = MlflowClient(fresh_store["MLFLOW_TRACKING_URI"])
    versions = {int(v.version): v.tags[config.APPROACH_TAG] for v in client.search_model_versions(
        f"name='{config.settings().model_name}'")}
    assert versions == {1: "simple", 2: "deep"}
    tags = {int(v.version): v.tags for v in client.search_model_versions(f"name='{config.settings().model_name}'")}
    assert tags[1]["feedback"] == tags[2]["feedback"] == "airline"  # main trains with the airline feedback
    assert tags[2]["teacher"] and tags[2]["teacher_run_id"]  # the student, taught by the shipped soft labels
    # the simple model is promoted first (nothing in production); the deep one only if it beats it
    assert "version 1: PROMOTED to production" in result.stdout
    production = int(client.get_model_version_by_alias(config.settings().model_name, config.PRODUCTION_ALIAS).version)
    assert production == (2 if "version 2: PROMOTED to production" in result.stdout else 1)
    assert "version 2: NOT promoted" in result.stdout or production == 2
    runs = client.search_runs([client.get_experiment_by_name(config.settings().experiment).experiment_id])
    assert {r.data.tags.get("stage") for r in runs} >= {"main", "data", "simple", "distill"}


def test_entry_point_with_a_bad_parameter_fails_with_a_message(fresh_store):
    result = mlflow_cli(fresh_store, "run", ".", "-e", "simple", "--env-manager", "local", "-P", "sample=lots")
    assert result.returncode != 0
    assert "expected a whole number, got 'lots'" in result.stderr


def _normal(value) -> list[str]:
    """A default as text, comma lists and numbers compared by value (MLproject passes text)."""
    if value is None or value == "":
        return ["none"] if value is None else [""]
    out = []
    for part in str(value).lower().split(","):
        try:
            out.append(repr(float(part)))
        except ValueError:
            out.append(part.strip())
    return out


def test_every_mlproject_default_is_the_command_default():
    import importlib
    import re

    import typer.main
    import yaml

    from airparadis import cli
    from airparadis.training import deep

    grid = {("sweep", "embedding"): ",".join(deep.EMBEDDINGS), ("sweep", "architecture"): ",".join(deep.ARCHITECTURES)}
    project = yaml.safe_load((ROOT / "MLproject").read_text())
    for name, entry in project["entry_points"].items():
        module = re.search(r"python -m (entrypoints\.\w+)", entry["command"]).group(1)
        options = {p.name: p for p in typer.main.get_command(cli.app(importlib.import_module(module).main)).params}
        for param, spec in entry.get("parameters", {}).items():
            assert f"{{{param}}}" in entry["command"], (name, param)
            option = options[param]
            if "default" in spec:
                expected = grid.get((name, param), option.default)
                assert _normal(spec["default"]) == _normal(expected), (name, param, spec, expected)
            else:
                assert option.required, (name, param)
