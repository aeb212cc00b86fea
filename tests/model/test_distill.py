"""Distillation: the transformer teaches a TFLite student that is registered as the deployed kind."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from airparadis import config
from airparadis.core import data, evaluation
from airparadis.release import requirements
from airparadis.training import distill
from tests.conftest import SMALL_SAMPLE, TOY_MIN_AGREEMENT


@pytest.fixture(scope="module")
def student(transformer_version):
    version = distill.run(source="bundled", sample=SMALL_SAMPLE, feedback=["airline"], teacher=str(transformer_version),
                          settings=dataclasses.replace(distill.STUDENT, epochs=2),
                          parity_min_agreement=TOY_MIN_AGREEMENT)
    return MlflowClient().get_model_version(config.settings().model_name, str(version))


def test_the_student_is_registered_as_the_deployed_kind_with_its_teacher(student, transformer_version):
    assert student.tags[config.APPROACH_TAG] == "deep" and student.tags["feedback"] == "airline"
    assert student.tags[distill.TEACHER_TAG] == f"{config.settings().model_name}/{transformer_version}"
    teacher = MlflowClient().get_model_version(config.settings().model_name, str(transformer_version))
    assert student.tags[distill.TEACHER_RUN_TAG] == teacher.run_id


def test_the_students_threshold_is_chosen_on_the_held_out_airline_feedback(student):
    run = mlflow.get_run(student.run_id)
    splits = data.read_splits(run.data.params["splits_uri"])
    params, metrics = run.data.params, run.data.metrics
    assert params["threshold_rule"] == "airline_holdout"
    assert float(params["threshold"]) == pytest.approx(metrics["threshold_airline_holdout"])
    assert 0 < metrics["threshold_sentiment140"] < 1  # the Sentiment140 rule's, logged beside it
    served = mlflow.pyfunc.load_model(f"models:/{config.settings().model_name}/{student.version}")
    scores = {name: served.predict(getattr(splits, name)[["text"]]).negative_probability.to_numpy()
              for name in ("validation", "airline_holdout")}
    chosen = evaluation.domain_threshold(splits.validation.label, scores["validation"],
                                         splits.airline_holdout.label, scores["airline_holdout"])
    assert float(params["threshold"]) == pytest.approx(chosen, abs=1e-6)  # what it serves is that rule's
    f1 = evaluation.f1_at(splits.validation.label, scores["validation"],
                          [chosen, metrics["threshold_sentiment140"]])
    assert f1[0] >= f1[1] - evaluation.DOMAIN_KEEPS - 1e-9  # validation gives up at most that much
    assert not set(splits.train.text) & set(splits.airline_holdout.text)  # held out: never trained on
    assert not set(splits.airline_holdout.text) & set(splits.airline.text)  # and not the judge slice


def test_the_teachers_probabilities_are_logged_once_for_every_training_tweet(student):
    run = mlflow.get_run(student.run_id)
    train = data.read_splits(run.data.params["splits_uri"]).train
    soft = pd.read_parquet(mlflow.artifacts.download_artifacts(run_id=student.run_id,
                                                               artifact_path="teacher/soft_labels.parquet"))
    assert (soft.key.to_numpy() == distill.keys(train.text)).all() and soft.p.between(0, 1).all()
    assert int(run.data.params["feedback_rows"]) == int(train.feedback.sum()) > 3_000  # the airline feedback part
    assert run.data.metrics["teacher_known_share"] == 1.0 and 0 <= run.data.metrics["teacher_train_agreement"] <= 1


def test_the_student_fits_the_deployment_budget_without_torch_or_tensorflow(student):
    local = Path(mlflow.artifacts.download_artifacts(f"models:/{config.settings().model_name}/{student.version}"))
    size_mb = sum(f.stat().st_size for f in local.rglob("*") if f.is_file()) / 1e6
    assert size_mb <= 10.0, size_mb
    assert requirements.forbidden(requirements.of_model(local)) == [] and "keras" not in requirements.names(
        requirements.of_model(local))
    run = mlflow.get_run(student.run_id)
    assert run.data.metrics["parity_max_abs_diff"] <= 0.05  # parity with the Keras student, logged


def test_the_student_reads_emoji_and_unseen_spellings(student):
    model = mlflow.pyfunc.load_model(f"models:/{config.settings().model_name}/{student.version}")
    inner = model.unwrap_python_model()
    assert inner.encoder.emoji and inner.encoder.subword_buckets == distill.STUDENT.subword_buckets
    out = model.predict(pd.DataFrame({"text": ["😡😡😡", "cancelation"]}))
    assert out.negative_probability.between(0, 1).all()
