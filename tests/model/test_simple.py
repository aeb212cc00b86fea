"""The simple model, as logged and registered by its stage: tracking, registry, contract, behaviour."""

import json
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from airparadis import config
from tests import behaviour


@pytest.fixture(scope="module")
def version_info(simple_version):
    client = MlflowClient()
    mv = client.get_model_version(config.settings().model_name, str(simple_version))
    return client, mv, client.get_run(mv.run_id)


def predict_fn(model):
    return lambda texts: model.predict(pd.DataFrame({"text": texts}))["negative_probability"].tolist()


def test_version_is_tagged_and_holds_the_best_simple_alias(version_info, simple_version):
    client, mv, _ = version_info
    assert mv.tags[config.APPROACH_TAG] == "simple"
    assert int(client.get_model_version_by_alias(config.settings().model_name, "best-simple").version) == simple_version


def test_run_logs_metrics_on_every_split_plots_and_datasets(version_info):
    client, mv, run = version_info
    from airparadis.core import data, evaluation

    for split in ("validation", "test", "sts_test", "airline"):
        for metric in ("accuracy", "f1_negative", "roc_auc", "pr_auc", "log_loss", "brier"):
            assert f"{split}_{metric}" in run.data.metrics
    assert 0.5 < run.data.metrics["sts_test_roc_auc"] <= 1.0 and 0.5 < run.data.metrics["airline_roc_auc"] <= 1.0
    plots = {f.path for f in client.list_artifacts(run.info.run_id, "plots")}
    assert plots == {f"plots/evaluation_{s}.png" for s in evaluation.EVALUATED}
    contexts = {i.tags[0].value for i in run.inputs.dataset_inputs}
    assert contexts == set(data.SPLITS)  # the airline judge and feedback parts are logged too
    children = mlflow.search_runs([run.info.experiment_id], f"tags.mlflow.parentRunId = '{run.info.run_id}'")
    assert len(children) >= 1 and "metrics.validation_roc_auc" in children.columns


def test_logged_model_carries_its_code_signature_and_light_requirements(version_info):
    _, mv, _ = version_info
    local = Path(mlflow.artifacts.download_artifacts(f"models:/{config.settings().model_name}/{mv.version}"))
    assert (local / "code" / "pyfunc" / "preprocess.py").exists()
    requirements = (local / "requirements.txt").read_text()
    assert "scikit-learn==" in requirements and "tensorflow" not in requirements and "torch" not in requirements
    signature = json.loads(mlflow.models.Model.load(local).signature.to_dict()["inputs"])
    assert signature == [{"type": "string", "name": "text", "required": True}]
    assert 0 < mlflow.models.Model.load(local).flavors["python_function"]["config"]["threshold"] < 1


def test_output_contract(simple_model):
    out = simple_model.predict(pd.DataFrame({"text": ["I hate delays", "I love this crew"]}))
    assert out.columns.tolist() == ["label", "negative_probability"]
    assert set(out.label) <= {"negative", "not_negative"} and out.negative_probability.between(0, 1).all()


def test_python_model_also_takes_a_plain_list(simple_model):
    out = simple_model.unwrap_python_model().predict(None, ["I hate delays", "I love this crew"])
    assert len(out) == 2


@pytest.fixture(scope="module")
def threshold(simple_model):
    return simple_model.unwrap_python_model().threshold


def test_behaviour_clear_cases(simple_model, threshold):
    behaviour.check_clear_cases(predict_fn(simple_model), threshold)


def test_behaviour_negation(simple_model):
    behaviour.check_negation(predict_fn(simple_model))


def test_behaviour_sarcasm_markers(simple_model):
    behaviour.check_sarcasm_markers(predict_fn(simple_model))


@pytest.mark.xfail(strict=True, reason="known limit of TF-IDF: sarcasm without a marker word")
def test_behaviour_unmarked_sarcasm_is_missed(simple_model):
    behaviour.check_sarcasm_markers(predict_fn(simple_model), behaviour.SARCASM_UNMARKED)


def test_behaviour_invariance_to_mentions_and_urls(simple_model):
    behaviour.check_invariance(predict_fn(simple_model))
