"""The deep model: embeddings offline, a small grid end to end, TFLite vs Keras, the real server.

One session fixture runs the whole grid (4 embeddings x 2 architectures, 2 epochs) on a few hundred
tweets, deploys the best as TFLite and registers it; the other tests read that model.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import requests

from airparadis import config
from airparadis.training import deep
from tests.conftest import DEEP_EPOCHS, TOY_MIN_AGREEMENT, invoke


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a network connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="session")
def deep_run_id(deep_version) -> str:
    from mlflow.tracking import MlflowClient

    return MlflowClient().get_model_version(config.settings().model_name, str(deep_version)).run_id


@pytest.fixture(scope="session")
def deep_pyfunc(deep_uri):
    import mlflow.pyfunc

    return mlflow.pyfunc.load_model(deep_uri)


def test_glove_loads_offline_and_holds_meaningful_vectors(no_network):
    from airparadis.training import embeddings

    tokens, vectors = embeddings.load_glove()
    assert vectors.shape == (400_000, 50) and len(tokens) == 400_000
    row = {t: i for i, t in enumerate(tokens[:20_000])}
    v = {w: np.asarray(vectors[row[w]]) for w in ("good", "great", "airport")}
    cos = lambda a, b: float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))  # noqa: E731
    assert cos(v["good"], v["great"]) > cos(v["good"], v["airport"]) + 0.3


def test_embedding_matrices_follow_the_vocabulary(no_network, deep_splits):
    from airparadis.training import embeddings
    from pyfunc.preprocess import clean_text, tokenize

    train_tokens = [tokenize(clean_text(t)) for t in deep_splits.train.text]
    vocabulary = embeddings.build_vocabulary(train_tokens) + ["zzqxnotaword"]
    glove = embeddings.build_embedding("glove", vocabulary, train_tokens)
    glove_tokens, glove_vectors = embeddings.load_glove()
    i = vocabulary.index("good")
    np.testing.assert_allclose(glove.matrix[i], glove_vectors[glove_tokens.index("good")])
    assert not glove.matrix[-1].any() and not glove.matrix[0].any()  # unknown word and padding stay zero
    assert 0 < glove.stats["vocabulary_without_vector_rate"] < 0.5

    for kind in ("word2vec", "fasttext"):
        first = embeddings.build_embedding(kind, vocabulary, train_tokens, seed=7, dim=16)
        again = embeddings.build_embedding(kind, vocabulary, train_tokens, seed=7, dim=16)
        np.testing.assert_array_equal(first.matrix, again.matrix)  # fixed seed: reproducible
        assert first.matrix.shape == (len(vocabulary), 16) and first.matrix[2].any()
    fasttext = embeddings.build_embedding("fasttext", vocabulary, train_tokens, dim=16)
    assert fasttext.matrix[-1].any()  # FastText composes unseen words from character n-grams
    assert embeddings.build_embedding("scratch", vocabulary, train_tokens).matrix is None
    with pytest.raises(ValueError, match="unknown embedding"):
        embeddings.build_embedding("bert", vocabulary, train_tokens)


def test_vocabulary_encoding_pads_truncates_and_marks_unknown_words():
    from airparadis.training import embeddings
    from pyfunc.deep import OOV_INDEX, PAD_INDEX, encode

    vocabulary = embeddings.build_vocabulary([["late", "again"], ["late", "flight"], ["flight"]], min_count=2)
    assert vocabulary == ["<pad>", "<oov>", "flight", "late"]
    index = {t: i for i, t in enumerate(vocabulary)}
    out = encode(["late flight", "very late plane again flight", ""], index, 3)
    assert out.dtype == np.int32 and out.shape == (3, 3)
    assert out[0].tolist() == [3, 2, PAD_INDEX]
    assert out[1].tolist() == [OOV_INDEX, 3, OOV_INDEX]
    assert out[2].tolist() == [PAD_INDEX] * 3
    assert embeddings.oov_rate(out) == pytest.approx(2 / 5)


def test_small_grid_compares_every_configuration_and_registers_the_best(deep_sweep, deep_run_id):
    import mlflow
    from mlflow.tracking import MlflowClient

    from airparadis.core import registry

    version, table = deep_sweep
    expected = {(e, a) for e in deep.EMBEDDINGS for a in deep.ARCHITECTURES}
    assert set(zip(table.embedding, table.architecture, strict=True)) == expected
    for column in ("val_accuracy", "val_roc_auc", "sts_accuracy", "sts_roc_auc"):
        assert table[column].between(0, 1).all(), column
    assert (table.training_seconds > 0).all() and table.epochs.between(1, DEEP_EPOCHS).all()

    client = MlflowClient()
    mv = client.get_model_version(config.settings().model_name, str(version))
    assert mv.tags[config.APPROACH_TAG] == "deep"
    best_alias = client.get_model_version_by_alias(config.settings().model_name, registry.best_alias("deep"))
    assert int(best_alias.version) >= 1
    run = client.get_run(deep_run_id)
    best = table.iloc[table.val_roc_auc.idxmax()]
    assert (run.data.tags["best_embedding"], run.data.tags["best_architecture"]) == (best.embedding, best.architecture)
    assert run.data.metrics["parity_tweets"] >= min(deep.PARITY_TWEETS, 900)
    assert run.data.metrics["parity_max_abs_diff"] <= deep.PARITY_MAX_DIFF
    assert run.data.metrics["size_tflite_quantised_mb"] < run.data.metrics["size_tflite_float_mb"]
    children = client.search_runs([run.info.experiment_id], f"tags.mlflow.parentRunId = '{deep_run_id}'")
    children = [c for c in children if c.data.tags.get("stage") != "data"]  # the data step ran nested, once
    assert len(children) == len(expected)
    curve = client.get_metric_history(children[0].info.run_id, "curve_val_auc")
    assert 1 <= len(curve) <= DEEP_EPOCHS and all(0 <= m.value <= 1 for m in curve)
    logged = mlflow.artifacts.load_dict(f"runs:/{deep_run_id}/comparison/deep_sweep.json")
    assert len(logged["data"]) == len(expected)


def test_tflite_pyfunc_agrees_with_the_keras_model(deep_pyfunc, deep_run_id, deep_splits):
    import keras
    import mlflow

    from pyfunc.preprocess import clean_text

    keras_model = keras.saving.load_model(mlflow.artifacts.download_artifacts(f"runs:/{deep_run_id}/keras/model.keras"))
    texts = deep_splits.sts_test.text.tolist() + deep_splits.validation.text.tolist()
    served = deep_pyfunc.predict(pd.DataFrame({"text": texts}))
    inner = deep_pyfunc.unwrap_python_model()
    encoded = inner.encoder.encode([clean_text(t) for t in texts])
    p_keras = keras_model.predict(encoded, verbose=0).reshape(-1)
    diff = np.abs(served.negative_probability.to_numpy() - p_keras)
    assert diff.max() <= deep.PARITY_MAX_DIFF
    agreement = np.mean((p_keras >= inner.threshold) == (served.label == "negative").to_numpy())
    assert agreement >= TOY_MIN_AGREEMENT


def test_parity_check_fails_the_run_when_tflite_drifts(deep_pyfunc, deep_run_id, deep_splits):
    import keras
    import mlflow

    from airparadis.training import deep
    from pyfunc.preprocess import clean_text

    keras_model = keras.saving.load_model(mlflow.artifacts.download_artifacts(f"runs:/{deep_run_id}/keras/model.keras"))
    inner = deep_pyfunc.unwrap_python_model()
    encoded = inner.encoder.encode([clean_text(t) for t in deep_splits.validation.text])
    ok = deep.parity_check(keras_model, inner.runner, encoded, inner.threshold, min_agreement=TOY_MIN_AGREEMENT)
    assert ok["parity_tweets"] == len(encoded) and ok["parity_max_abs_diff"] > 0  # quantised: not bit-identical
    with pytest.raises(deep.ParityError, match="TFLite differs from Keras"):
        deep.parity_check(keras_model, inner.runner, encoded, inner.threshold, max_diff=ok["parity_max_abs_diff"] / 2,
                          min_agreement=TOY_MIN_AGREEMENT)


def test_deployed_model_never_imports_tensorflow(deep_uri, deep_pyfunc, tracking_uri):
    script = (
        "import json, sys, mlflow.pyfunc, pandas as pd\n"
        f"m = mlflow.pyfunc.load_model({deep_uri!r})\n"
        "out = m.predict(pd.DataFrame({'text': ['worst delay ever, lost my bag', 'lovely crew, thanks!']}))\n"
        "print(json.dumps({'p': out.negative_probability.tolist(),\n"
        "                  'heavy': sorted(k for k in ('tensorflow', 'keras', 'torch') if k in sys.modules)}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            env={**__import__("os").environ, "MLFLOW_TRACKING_URI": tracking_uri})
    assert result.returncode == 0, result.stderr[-2000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["heavy"] == []
    expected = deep_pyfunc.predict(pd.DataFrame({"text": ["worst delay ever, lost my bag", "lovely crew, thanks!"]}))
    np.testing.assert_allclose(answer["p"], expected.negative_probability, atol=1e-6)


def test_serving_requirements_contain_no_tensorflow_or_torch(deep_uri):
    import mlflow

    from airparadis.core import registry

    local = mlflow.artifacts.download_artifacts(f"{deep_uri}/requirements.txt")
    model_requirements = [r.strip() for r in open(local, encoding="utf-8") if r.strip()]
    assert sorted(model_requirements) == sorted(registry.pinned(*registry.SERVING_BASE, "ai-edge-litert"))
    serving_file = [r.split("==")[0].strip().lower() for r in config.SERVING_REQUIREMENTS.read_text().splitlines()
                    if r.strip() and not r.startswith("#")]
    assert "ai-edge-litert" in serving_file
    from airparadis.release import requirements

    for lines in (model_requirements, serving_file):
        assert requirements.forbidden(lines) == [] and "keras" not in requirements.names(lines)


def test_served_tflite_model_answers_through_the_real_server(deep_uri, deep_pyfunc, tracking_uri):
    from tests.servers import mlflow_serve

    texts = ["@AirParadis lost my luggage AGAIN. never flying with you", "Great flight, thank you so much!"]
    with mlflow_serve(deep_uri, tracking_uri) as url:
        ok = requests.post(f"{url}/invocations", json={"dataframe_records": [{"text": t} for t in texts]}, timeout=30)
        bad = requests.post(f"{url}/invocations", json={"dataframe_records": [{"tweet": "hello"}]}, timeout=30)
    assert ok.status_code == 200, ok.text
    answer = pd.DataFrame(ok.json()["predictions"])
    expected = deep_pyfunc.predict(pd.DataFrame({"text": texts}))
    assert answer.label.tolist() == expected.label.tolist()
    np.testing.assert_allclose(answer.negative_probability, expected.negative_probability, atol=1e-6)
    assert bad.status_code == 400 and "text" in bad.json()["message"]


def test_command_line_rejects_unknown_names():
    from entrypoints import deep as command

    code, out = invoke(command.main, "--embedding", "bert")
    assert code == 2 and "unknown or no embedding ['bert']" in out
    code, out = invoke(command.main, "--embedding", "glove,bert", "--architecture", "cnn")
    assert code == 2 and "bert" in out and "choose from scratch" in out
    code, out = invoke(command.main, "--epochs", "2.5")
    assert code == 2 and "expected a whole number" in out
