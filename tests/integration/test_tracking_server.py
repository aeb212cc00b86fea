"""Path A of CD, for real: `mlflow server` on 127.0.0.1 with a PostgreSQL backend store (Debian's
packages, installed by `make test-deps`), proxied artifacts and basic authentication, as
`make tracking-server` starts it. The pipeline trains and promotes against it, and CD's own fetch
step (its `run:` script, read from cd.yml) downloads the production model through it; path B (no
server: train and gate on the bundled data in the job) runs the same script without the secret."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import mlflow
import pytest
import requests
import yaml

from airparadis import config
from airparadis.release import tracking_server
from airparadis.release.serve import free_port
from entrypoints import main as main_command
from tests.conftest import invoke

CD = config.ROOT / ".github" / "workflows" / "cd.yml"
SAMPLE = "3000"


@pytest.fixture(scope="module")
def server():
    """(url, admin password, folder) of a tracking server in a folder PostgreSQL's user can reach."""
    folder = Path(tempfile.mkdtemp(prefix="airparadis-tracking-"))
    folder.chmod(0o755)
    password = secrets.token_urlsafe(16)
    try:
        with tracking_server.serve(folder, "127.0.0.1", free_port(), admin_password=password) as url:
            yield url, password, folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def against(server, monkeypatch):
    """The training side pointed at the server, logged in; MLflow's client state restored afterwards."""
    url, password, _ = server
    previous = mlflow.get_tracking_uri()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", tracking_server.ADMIN)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", password)
    monkeypatch.delenv("AIRPARADIS_ARTIFACT_ROOT", raising=False)  # the server keeps the artifacts
    yield url
    mlflow.set_tracking_uri(previous)


def fetch_step() -> dict:
    (step,) = [s for s in yaml.safe_load(CD.read_text())["jobs"]["deploy"]["steps"]
               if "entrypoints.image" in s.get("run", "")]
    return step


def run_fetch_step(cwd: Path, **secrets_: str) -> subprocess.CompletedProcess:
    """CD's fetch step as the runner runs it: bash -e, the step's env with the secrets filled in,
    the job's MODEL_URI, the project installed (here: on PYTHONPATH), nothing else of this session."""
    step = fetch_step()
    assert set(step["env"]) == {"MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"}
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(cwd), "PYTHONPATH": str(config.ROOT),
           "MODEL_URI": f"models:/{config.MODEL_NAME}@{config.PRODUCTION_ALIAS}",
           "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
           **{k: secrets_.get(k, "") for k in step["env"]}}
    return subprocess.run(["bash", "-eo", "pipefail", "-c", step["run"]], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def test_the_server_refuses_requests_without_a_login(server):
    url, password, _ = server
    search = f"{url}/api/2.0/mlflow/experiments/search"
    assert requests.post(search, json={"max_results": 1}, timeout=10).status_code == 401
    wrong = requests.post(search, json={"max_results": 1}, auth=(tracking_server.ADMIN, "wrong"), timeout=10)
    assert wrong.status_code == 401
    right = requests.post(search, json={"max_results": 1}, auth=(tracking_server.ADMIN, password), timeout=10)
    assert right.status_code == 200


def test_pipeline_trains_and_promotes_on_the_server_and_cd_fetches_the_model_through_it(server, against, tmp_path):
    url, password, folder = server
    code, out = invoke(main_command.main, "--steps", "data,simple,promote", "--sample", SAMPLE)
    assert code == 0, out
    client = mlflow.MlflowClient()
    version = client.get_model_version_by_alias(config.MODEL_NAME, config.PRODUCTION_ALIAS)
    run = client.get_run(version.run_id)
    assert run.info.artifact_uri.startswith("mlflow-artifacts:/"), run.info.artifact_uri  # proxied, not a path
    assert list((folder / "artifacts").rglob("MLmodel")), "the server's artifact store holds no model"
    # the store is PostgreSQL: the registry's rows are there
    socket = folder / "postgres" / "socket"
    rows = subprocess.run(["psql", "-h", str(socket), "-U", tracking_server.ROLE, "-d", tracking_server.DATABASE,
                           "-tAc", "select count(*) from registered_models"], capture_output=True, text=True)
    assert rows.returncode == 0 and int(rows.stdout) == 1, rows.stderr

    done = run_fetch_step(tmp_path, MLFLOW_TRACKING_URI=url, MLFLOW_TRACKING_USERNAME=tracking_server.ADMIN,
                          MLFLOW_TRACKING_PASSWORD=password)
    assert done.returncode == 0, done.stdout + done.stderr
    mlmodel = (tmp_path / "build" / "image" / "model_dir" / "MLmodel").read_text()
    assert f"run_id: {version.run_id}" in mlmodel
    assert (tmp_path / "build" / "image" / "Dockerfile").is_file()

    refused = run_fetch_step(tmp_path / "x", MLFLOW_TRACKING_URI=url, MLFLOW_TRACKING_USERNAME=tracking_server.ADMIN,
                             MLFLOW_TRACKING_PASSWORD="wrong") if (tmp_path / "x").mkdir() is None else None
    assert refused.returncode != 0 and "401" in refused.stdout + refused.stderr


@pytest.mark.slow
def test_cd_without_a_server_trains_and_gates_on_the_bundled_data(tmp_path):
    """Path B: no MLFLOW_TRACKING_URI secret; the step trains the simple model, gates it, packages it."""
    done = run_fetch_step(tmp_path)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert "path B" in done.stdout
    manifest = (tmp_path / "build" / "image" / "image-manifest.json").read_text()
    assert f"models:/{config.MODEL_NAME}@{config.PRODUCTION_ALIAS}" in manifest
    assert (tmp_path / "mlflow.db").is_file()  # a throw-away store on the runner
    assert not os.environ.get("MLFLOW_TRACKING_URI", "").startswith("sqlite:///" + str(tmp_path))
