"""The report command: a comparison built from real registered versions, on the same splits."""

from __future__ import annotations

import json

import numpy as np
import pytest

from airparadis import config
from airparadis.reporting import measures, report
from tests.conftest import SMALL_SAMPLE, invoke

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def comparison(simple_version, transformer_version, tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    result = report.run([str(simple_version), str(transformer_version), "999"], "bundled", SMALL_SAMPLE, out,
                       single_calls=5, batch_rows=50)
    return result, out


def test_report_rows_come_from_the_registered_runs(comparison, simple_version, transformer_version):
    from mlflow.tracking import MlflowClient

    result, _ = comparison
    rows = {r["approach"]: r for r in result["models"]}
    assert [(r["approach"], r["version"]) for r in result["models"]] == [
        ("simple", simple_version), ("transformer", transformer_version)]
    client = MlflowClient()
    tf = rows["transformer"]
    run = client.get_run(tf["run_id"])
    # The transformer was trained on this very split: the report's recomputation through the
    # registered pyfunc reproduces what the training stage logged, on every split.
    assert tf["trained_on_same_split"] == "yes"
    for split in measures.SPLIT_NAMES:
        for metric in measures.QUALITY:
            assert tf[f"{split}_{metric}"] == pytest.approx(run.data.metrics[f"{split}_{metric}"], abs=1e-6)
    assert tf["training_seconds"] == run.data.metrics["training_seconds"]
    assert tf["forms"]["chosen"] == run.data.params["quantization"]
    assert tf["forms"]["int8"]["sts_test_accuracy"] == run.data.metrics["form_int8_sts_test_accuracy"]
    assert "forms" not in rows["simple"]
    for r in rows.values():
        mv = client.get_model_version(config.settings().model_name, str(r["version"]))
        assert r["model_size_mb"] == pytest.approx(float(mv.tags["model_size_mb"]))
        assert r["trained_on_same_split"] in ("yes", "no")
        assert 0 < r["latency_single_ms_p50"] <= r["latency_single_ms_p95"]
        assert np.isfinite(r["batch_tweets_per_second"]) and r["batch_tweets_per_second"] > 0
    assert rows["transformer"]["model_size_mb"] > 10 * rows["simple"]["model_size_mb"]
    assert result["missing"][0]["spec"] == "999"
    # the configured targets, the teacher's judged on the registered transformer's recomputed figures
    assert [c["target"] for c in result["targets"]] == [str(t) for t in config.TARGETS]
    for check in (c for c in result["targets"] if c["model"] == "teacher"):
        assert (check["version"], check["measured"]) == (transformer_version, tf[check["metric"]])
        assert check["met"] == (tf[check["metric"]] >= check["bound"])
    teacher_now = result["before_after"]["rows"][0]
    assert teacher_now["door"] == "teacher" and teacher_now["after"].endswith(tf["run_id"])
    assert teacher_now["sts_test_accuracy"]["after"] == tf["sts_test_accuracy"]


def test_report_writes_table_json_charts_and_logs_them(comparison, transformer_version):
    import mlflow
    from mlflow.tracking import MlflowClient

    result, out = comparison
    markdown = (out / "comparison.md").read_text()
    assert f"transformer (v{transformer_version})" in markdown and "`999`: not registered" in markdown
    assert f"| transformer (v{transformer_version}) | int8 | " in markdown
    assert "## Targets (issue 18)" in markdown and "## Before and after issue 18" in markdown
    sts_accuracy = result["models"][1]["sts_test_accuracy"]
    row = next(line for line in markdown.splitlines() if line.startswith("| sts_test: accuracy "))
    assert [c.strip() for c in row.strip("|").split("|")] == [
        "sts_test: accuracy", f"{result['models'][0]['sts_test_accuracy']:.4f}", f"{sts_accuracy:.4f}"]
    assert json.loads((out / "comparison.json").read_text()) == json.loads(json.dumps(result))
    curve = result["curves"][f"transformer (v{transformer_version})"]
    assert [p["step"] for p in curve["points"]] == [2, 4] and "validation subset" in curve["threshold"]
    assert f"| 4 | {curve['points'][1]['train_loss']:.4f} |" in markdown
    assert list(result["curves"]) == [f"transformer (v{transformer_version})"]  # the simple model has no curve
    for name in ("comparison_quality.png", "comparison_cost.png", "comparison_curves.png"):
        data = (out / name).read_bytes()
        assert data.startswith(PNG) and len(data) > 10_000
    runs = mlflow.search_runs(experiment_names=[config.settings().experiment], filter_string="tags.stage = 'report'",
                              output_format="list")
    assert runs, "no report run logged"
    logged = {a.path for a in MlflowClient().list_artifacts(runs[0].info.run_id, "comparison")}
    assert {"comparison/comparison.md", "comparison/comparison.json", "comparison/comparison_quality.png"} <= logged


def test_report_command_fails_clearly_when_nothing_is_registered(tmp_path):
    from entrypoints import report as command

    code, out = invoke(command.main, "--models", "998;approach:nothing", "--sample", "300", "--out", str(tmp_path),
                       "--no-log")
    assert code == 2 and "none of ['998', 'approach:nothing'] is registered" in out
    assert not (tmp_path / "comparison.md").exists()


def test_a_store_lacking_models_keeps_the_complete_comparison_the_documents_use(tmp_path):
    """`make report` after `make demo` alone (no transformer, no feedback models): the complete
    comparison measured where they were all registered is kept, not overwritten by a partial one."""
    from entrypoints import report as command

    complete = {"meta": {"generated_at": "2026-11-25 18:01 UTC", "command_args": "--models 'a;b'"},
                "models": [{"key": "a", "version": 1}], "missing": [], "curves": {}, "targets": []}
    (tmp_path / "comparison.json").write_text(json.dumps(complete))
    code, out = invoke(command.main, "--models", "997", "--sample", "300", "--out", str(tmp_path), "--no-log")
    assert code == 0 and "This store lacks 997: kept the complete comparison" in out and "2026-11-25 18:01" in out
    assert json.loads((tmp_path / "comparison.json").read_text()) == complete
    code, out = invoke(command.main, "--models", "997", "--sample", "300", "--out", str(tmp_path), "--no-log",
                       "--partial")
    assert code == 2 and "none of ['997'] is registered" in out  # --partial compares what is there: nothing
