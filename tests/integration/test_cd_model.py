"""CD's path B (no tracking server): the command the workflow runs trains and gates the deployed
kind of model, the student distilled with the airline feedback, and that is what it would deploy."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml
from mlflow.tracking import MlflowClient

from airparadis import config
from airparadis.core import registry
from airparadis.training import distill

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = "2000"  # the workflow's command on a sample of the bundled data (the runner trains on all of it)


def path_b_command() -> list[str]:
    """The model step of CD's path B, as the workflow file writes it."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "cd.yml").read_text())
    scripts = [s.get("run", "") for s in workflow["jobs"]["deploy"]["steps"]]
    (script,) = [s for s in scripts if "python -m entrypoints.image" in s]
    (line,) = re.findall(r"^\s*(python -m entrypoints\.main\b.*)$", script, flags=re.MULTILINE)
    return shlex.split(line)


def test_cd_path_b_trains_gates_and_would_deploy_the_student_with_the_airline_feedback(tmp_path):
    command = path_b_command()
    assert command[:3] == ["python", "-m", "entrypoints.main"]
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_EXPERIMENT", "MLFLOW_RUN_ID"))}
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    env = {**inherited, "MLFLOW_TRACKING_URI": store, "AIRPARADIS_ARTIFACT_ROOT": (tmp_path / "artifacts").as_uri()}
    done = subprocess.run([sys.executable, *command[1:], "--sample", SAMPLE], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    client = MlflowClient(store)
    name = config.settings().model_name
    deployed = client.get_model_version_by_alias(name, config.PRODUCTION_ALIAS)  # what MODEL_URI resolves to
    assert deployed.tags[config.APPROACH_TAG] == "deep" and deployed.tags[registry.FEEDBACK_TAG] == "airline"
    assert deployed.tags[distill.TEACHER_TAG] and deployed.tags[distill.TEACHER_RUN_TAG]
    assert {v.tags[config.APPROACH_TAG] for v in client.search_model_versions(f"name='{name}'")} == {"deep"}
    assert client.get_run(deployed.run_id).data.params["threshold_rule"] == "airline_holdout"
