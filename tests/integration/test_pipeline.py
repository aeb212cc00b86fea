"""The main pipeline: the raw file is read once, steps are chained by the splits' URI, and a
second run with the same parameters reuses the finished data step."""

from __future__ import annotations

import mlflow

from airparadis import config, pipeline
from airparadis.core import data

SAMPLE = 1537  # a size no other test uses, so the first run below cannot find a data run to reuse


def test_one_main_run_reads_the_raw_file_once_and_a_second_reuses_the_data_step(monkeypatch):
    reads = []
    original = data.load_raw
    monkeypatch.setattr(data, "load_raw", lambda source: reads.append(source) or original(source))

    first = pipeline.run(list(pipeline.MAIN_STEPS), "bundled", SAMPLE)  # what `make train` runs, on a sample
    assert reads == ["bundled"]  # data, simple, distill and the gate all read the splits from one URI
    assert first["data"].startswith("runs:/")
    assert [d.candidate.version for d in first["promote"]] == [first["simple"], first["distill"]]
    for step in ("simple", "distill"):
        run_id = mlflow.MlflowClient().get_model_version(config.settings().model_name, str(first[step])).run_id
        assert mlflow.get_run(run_id).data.params["splits_uri"] == first["data"]

    second = pipeline.run(["data", "simple"], "bundled", SAMPLE)
    assert reads == ["bundled"]  # nothing read again
    assert second["data"] == first["data"]  # the same finished data run


def test_the_splits_read_back_are_the_ones_written_with_their_digests():
    uri = data.prepare("bundled", SAMPLE + 1)
    read = data.read_splits(uri)
    fresh = data.load_splits("bundled", SAMPLE + 1)
    assert read.train.equals(fresh.train) and read.sts_test.equals(fresh.sts_test)
    assert read.digests == {name: dataset.digest for name, dataset in fresh.datasets().items()}


def test_retrain_adds_the_feedback_to_training_only_and_lets_the_gate_decide(capsys):
    results = pipeline.retrain(["airline"], approach="simple", sample=SAMPLE + 2)
    splits = data.read_splits(results["data"])
    baseline = data.load_splits("bundled", SAMPLE + 2)
    assert splits.feedback == "airline" and splits.feedback_rows == int(splits.train.feedback.sum()) > 3_000
    for name in data.JUDGING:  # the sets that judge are exactly those without feedback
        assert getattr(splits, name).text.tolist() == getattr(baseline, name).text.tolist()
    version = results["simple"]
    tags = mlflow.MlflowClient().get_model_version(config.settings().model_name, str(version)).tags
    assert tags["feedback"] == "airline"
    (decision,) = results["promote"]
    assert decision.candidate.version == version and decision.candidate.airline is not None
    out = capsys.readouterr().out
    assert f"version {version}: " in out and "airline judge" in out
