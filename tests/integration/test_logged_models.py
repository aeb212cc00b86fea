"""Every model is logged from code (no pickled Python object) and loads where only the serving
requirements are installed."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import venv
import warnings
from pathlib import Path

import mlflow
import pytest
import yaml

from airparadis import config
from airparadis.training import simple

TWEETS = ["@AirParadis lost my luggage again, worst airline ever", "Lovely crew, thank you for the upgrade!"]


def test_a_model_is_logged_from_code_without_any_pickle_or_inferred_schema_warning(monkeypatch, caplog):
    monkeypatch.setenv("AIRPARADIS_MODEL_NAME", "from-code-test")
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        version = simple.run(source="bundled", sample=900, c_values=[1.0], ngram_values=[1])
    said = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    assert not [s for s in said if "pickle" in s.lower()], said
    assert not [s for s in said if "Inferred schema contains integer column" in s], said
    # the splits' schemas are declared (data.SPLIT_COLUMNS), not inferred, and logged with the run
    run = mlflow.get_run(mlflow.MlflowClient().get_model_version("from-code-test", str(version)).run_id)
    schemas = {d.dataset.name: json.loads(d.dataset.schema)["mlflow_colspec"] for d in run.inputs.dataset_inputs}
    assert schemas["train"] == [{"type": "string", "name": "text", "required": True},
                                {"type": "long", "name": "label", "required": True}]
    assert [c["type"] for c in schemas["airline"]] == ["string", "long", "datetime", "string", "string"]
    local = Path(mlflow.artifacts.download_artifacts(f"models:/from-code-test/{version}"))
    flavor = yaml.safe_load((local / "MLmodel").read_text())["flavors"]["python_function"]
    assert flavor["model_code_path"].endswith("simple.py") and "python_model" not in flavor
    assert not list(local.rglob("*.pkl"))  # nothing pickled: the model is built by running its code file
    assert flavor["config"]["approach"] == "simple" and 0 < flavor["config"]["threshold"] < 1


@pytest.fixture(scope="session")
def serving_python(tmp_path_factory) -> Path:
    """A fresh virtualenv holding only requirements/serving.txt."""
    where = tmp_path_factory.mktemp("serving-venv")
    venv.create(where, with_pip=True)
    python = where / "bin" / "python"
    done = subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(config.SERVING_REQUIREMENTS)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return python


@pytest.mark.parametrize("fixture", ["simple_version", "deep_version"])
def test_each_deployable_model_loads_and_predicts_with_the_serving_requirements_only(
        fixture, request, serving_python, tmp_path):
    version = request.getfixturevalue(fixture)
    local = mlflow.artifacts.download_artifacts(f"models:/{config.settings().model_name}/{version}",
                                                dst_path=str(tmp_path))
    script = ("import json, sys, mlflow.pyfunc, pandas as pd\n"
              f"m = mlflow.pyfunc.load_model({local!r})\n"
              f"out = m.predict(pd.DataFrame({{'text': {TWEETS!r}}}))\n"
              "print(json.dumps({'labels': out.label.tolist(), 'heavy': sorted(k for k in sys.modules "
              "if k.split('.')[0] in ('tensorflow', 'torch', 'keras', 'airparadis', 'entrypoints'))}))\n")
    done = subprocess.run([str(serving_python), "-c", script], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    expected = mlflow.pyfunc.load_model(local).predict(__import__("pandas").DataFrame({"text": TWEETS}))
    assert answer == {"labels": expected.label.tolist(), "heavy": []}
    assert sys.executable != str(serving_python)
