"""The promotion gate: real promotions in the registry (its pure decision: tests/unit/test_gate.py)."""

import shutil
from pathlib import Path

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from airparadis import config
from airparadis.core import registry
from airparadis.release import promote
from airparadis.training import simple
from tests.conftest import invoke


@pytest.fixture
def own_model_name(monkeypatch):
    """Promotions here use their own registered model, so other tests' aliases are untouched."""
    monkeypatch.setenv("AIRPARADIS_MODEL_NAME", "promotion-gate-test")
    return config.settings().model_name


def test_real_promotions_in_the_registry(own_model_name, simple_version, tmp_path, capsys):
    client = MlflowClient()
    source = client.get_model_version("air-paradis-sentiment", str(simple_version)).source
    good = mlflow.register_model(source, own_model_name, tags={config.APPROACH_TAG: "simple"}).version

    first = promote.run(good)
    assert first.promote
    assert client.get_model_version_by_alias(own_model_name, "production").version == good

    weak = simple.run(source="bundled", sample=800, c_values=[0.05], ngram_values=[1])  # registered under the test name
    second = promote.run(str(weak))
    assert not second.promote
    assert client.get_model_version_by_alias(own_model_name, "production").version == good
    assert client.get_model_version(own_model_name, str(weak)).tags["promotion"].startswith("NOT promoted")
    assert "validation f1_negative" in (out := capsys.readouterr().out) and "loses more than the tolerated" in out

    # the same good model, but declaring a GB-sized serving dependency, is refused by the budget
    local = Path(mlflow.artifacts.download_artifacts(source))
    artifacts = {"pipeline": str(shutil.copy(local / "artifacts" / "pipeline.joblib", tmp_path))}
    threshold = mlflow.pyfunc.load_model(str(local)).unwrap_python_model().threshold
    with mlflow.start_run():
        heavy = registry.log_and_register("simple", artifacts, {"threshold": threshold},
                                          [*registry.pinned("mlflow", "scikit-learn"), "torchvision==0.28.0"],
                                          {"f1_negative": 0.9})
    third = promote.run(str(heavy), margin=-1.0)  # any quality passes: only the budget can refuse it
    assert not third.promote and any("serving needs torchvision" in r for r in third.reasons)


def test_promote_command_reports_a_missing_model(own_model_name):
    from entrypoints import promote as command

    code, out = invoke(command.main, "--model", "approach:transformer")
    assert code == 2 and "error: no registered version" in out


def test_version_specs_resolve_in_every_form(simple_version):
    from mlflow.tracking import MlflowClient

    MlflowClient().set_registered_model_alias(config.settings().model_name, "spec-test", str(simple_version))
    for spec in (simple_version, str(simple_version), "spec-test", f"models:/{config.settings().model_name}@spec-test",
                 f"models:/{config.settings().model_name}/{simple_version}"):
        assert registry.resolve_version(spec) == simple_version, spec
    assert registry.resolve_version("approach:simple") >= simple_version
