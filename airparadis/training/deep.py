"""Deep model stage: a Keras 3 network on word embeddings, deployed as TensorFlow Lite.

One configuration = an embedding (``scratch``, ``word2vec``, ``fasttext``, ``glove``) and an
architecture (``bilstm``: bidirectional LSTM; ``cnn``: 1-D convolutions with kernel sizes 2-4 and
global max pooling). Every tweet is cleaned by the model's own preprocessing, tokenised, mapped
through a vocabulary built on the training split and padded/truncated to a fixed length.

Training: Adam, binary cross-entropy, class weights ``n / (2 * n_class)`` for the imbalance (61%
not negative in the sample), early stopping on validation ROC AUC (best weights restored), fixed
seeds. Logged: parameters, per-epoch learning curves (metrics with steps and a plot), OOV rates,
training time, and the simple model's metrics and plots on validation, test and STS-Test.

Deployment: the network is converted to TensorFlow Lite with builtin ops only and dynamic-range
quantisation (the LSTM is rebuilt unrolled over the fixed sequence length, with the same weights,
because the default LSTM conversion fails). A parity check Keras vs TFLite on at least
``PARITY_TWEETS`` tweets (largest probability difference and label agreement) is logged and
fails the run when off. The pyfunc runs the ``.tflite`` file with LiteRT and never imports
TensorFlow; its vocabulary is an artifact; its requirements are the serving set only.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import mlflow
import numpy as np

from airparadis import config
from airparadis.core import data, evaluation, registry, tracking
from airparadis.training import embeddings
from pyfunc.deep import TFLITE_ARTIFACT, VOCABULARY_ARTIFACT, DeepModel, Encoder, TFLiteRunner
from pyfunc.preprocess import clean_text

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

EMBEDDINGS = embeddings.KINDS
ARCHITECTURES = ("bilstm", "cnn")
# The `deep` entry point's and the `main` pipeline's default: the best of the bundled-data sweep
# (docs/deep_model.md); fasttext x cnn is within 0.001 validation ROC AUC and trains twice as fast.
DEFAULT_EMBEDDING = "fasttext"
DEFAULT_ARCHITECTURE = "bilstm"
SELECTION_METRIC = "roc_auc"  # on validation: picks the sweep's best configuration
SWEEP_BUDGET_MINUTES = 40.0  # no new configuration starts once this is spent
PARITY_TWEETS = 1_000  # Keras vs TFLite on at least this many tweets (all splits, in order)
PARITY_MAX_DIFF = 0.05  # largest |p_keras - p_tflite| allowed
PARITY_MIN_AGREEMENT = 0.99  # share of the decided tweets with the same label at the model's threshold
# A tweet whose Keras probability lies this close to the threshold is a coin toss for either model (the
# quantisation moves a probability by 0.001 on average, 0.01 at most as measured, docs/deep_model.md):
# the agreement is measured on the other, decided tweets
PARITY_MARGIN = 0.01


class ParityError(RuntimeError):
    """The TFLite model does not answer like the Keras model it was converted from."""


@dataclass(frozen=True)
class Settings:
    """Training settings shared by every configuration of a run or sweep."""

    epochs: int = 8  # upper bound; early stopping on validation ROC AUC usually stops before
    batch_size: int = 256
    patience: int = 2  # epochs without validation improvement before stopping
    learning_rate: float = 2e-3  # Adam
    sequence_length: int = 40  # tokens; 99.9% of the bundled training tweets have at most 35
    embedding_dim: int = 100  # scratch, word2vec and fasttext (GloVe 6B is 50-d)
    # pretrained vectors initialise the layer and are trained on (frozen GloVe x CNN: validation
    # ROC AUC 0.818 against 0.867 fine-tuned, 6 epochs on the bundled data)
    fine_tune_embedding: bool = True
    seed: int = config.SEED  # weights (the data split always uses config.SEED)
    # the distilled student reads more (pyfunc.deep.Encoder): emoji as tokens, and the words'
    # character n-grams hashed into this many extra ids (0: off), at most subword_length per tweet
    emoji: bool = False
    subword_buckets: int = 0
    subword_length: int = 0


@dataclass
class Prepared:
    """What every configuration of one run shares: cleaned texts, vocabulary, encoded splits."""

    splits: data.Splits
    settings: Settings
    vocabulary: list[str]
    train_tokens: list[list[str]]
    encoded: dict[str, np.ndarray]
    oov: dict[str, float]
    encoder: Encoder
    targets: np.ndarray | None = None  # training targets in [0, 1] (soft, when distilled); None: the labels
    cache: dict[str, embeddings.Embedding] = field(default_factory=dict)

    def embedding(self, kind: str) -> embeddings.Embedding:
        if kind not in self.cache:
            self.cache[kind] = embeddings.build_embedding(
                kind, self.vocabulary, self.train_tokens, self.settings.seed, self.settings.embedding_dim
            )
        return self.cache[kind]


def prepare(splits: data.Splits, settings: Settings) -> Prepared:
    """Clean and tokenise every split, build the vocabulary on train, encode, measure OOV rates."""
    reader = Encoder({}, settings.sequence_length, settings.subword_buckets, settings.subword_length, settings.emoji)
    cleaned = {name: [clean_text(t) for t in frame.text] for name, frame in splits.items()}
    tokens = {name: [reader.tokens(t) for t in texts] for name, texts in cleaned.items()}
    vocabulary = embeddings.build_vocabulary(tokens["train"])
    reader.index = {t: i for i, t in enumerate(vocabulary)}
    encoded = {name: reader.encode(texts) for name, texts in cleaned.items()}
    oov = {f"{name}_oov_rate": embeddings.oov_rate(encoded[name][:, :settings.sequence_length]) for name in encoded}
    return Prepared(splits, settings, vocabulary, tokens["train"], encoded, oov, reader)


def build_model(architecture: str, encoder: Encoder, embedding: embeddings.Embedding, settings: Settings,
                unroll: bool = False):
    """The Keras network; ``unroll=True`` gives the same weights in a TFLite-convertible form."""
    import keras
    from keras import layers

    if architecture not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {architecture!r}; choose from {', '.join(ARCHITECTURES)}")
    pretrained = embedding.matrix is not None
    inputs = keras.Input(shape=(encoder.width,), dtype="int32", name="token_ids")
    x = layers.Embedding(
        encoder.id_space, embedding.dim, mask_zero=architecture == "bilstm", name="embedding",
        trainable=settings.fine_tune_embedding or not pretrained,
    )(inputs)
    x = layers.SpatialDropout1D(0.2)(x)
    if architecture == "bilstm":
        x = layers.Bidirectional(layers.LSTM(64, unroll=unroll), name="bilstm")(x)
    else:
        branches = [layers.GlobalMaxPooling1D()(layers.Conv1D(128, k, activation="relu")(x)) for k in (2, 3, 4)]
        x = layers.Concatenate()(branches)
    x = layers.Dropout(0.4)(x)
    outputs = layers.Dense(1, activation="sigmoid", name="negative_probability")(x)
    model = keras.Model(inputs, outputs, name=f"{embedding.kind}_{architecture}")
    if pretrained:  # set, not an initializer: the saved model's config stays small; subword rows start small
        extra = np.random.default_rng(settings.seed).normal(0, 0.05, (encoder.subword_buckets, embedding.dim))
        model.get_layer("embedding").set_weights([np.vstack([embedding.matrix, extra]).astype(np.float32)])
    return model


def class_weights(labels) -> dict[int, float]:
    """``n / (2 * n_class)``: both classes weigh the same in the loss."""
    y = np.asarray(labels, dtype=int)
    return {c: float(len(y) / (2 * max(1, np.sum(y == c)))) for c in (0, 1)}


def sample_weights(labels) -> np.ndarray:
    """:func:`class_weights` per tweet, by its (hard) label: works with soft targets too."""
    weights = class_weights(labels)
    return np.where(np.asarray(labels, dtype=int) == 1, weights[1], weights[0]).astype(np.float32)


def _epoch_logger(progress):
    import keras

    class EpochLogger(keras.callbacks.Callback):
        """Per-epoch learning-curve metrics to MLflow (with the epoch as step) and a progress bar."""

        def on_epoch_end(self, epoch, logs=None):
            logs = {k: float(v) for k, v in (logs or {}).items() if k != "learning_rate"}
            mlflow.log_metrics({f"curve_{k}": v for k, v in logs.items()}, step=epoch + 1)
            progress.set_postfix(loss=f"{logs.get('loss', 0):.3f}", val_auc=f"{logs.get('val_auc', 0):.3f}")
            progress.update(1)

    return EpochLogger()


def learning_curves_figure(history: dict[str, list[float]], title: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for ax, metric in zip(axes, ("loss", "auc", "accuracy"), strict=True):
        for prefix, style in (("", "o-"), ("val_", "s--")):
            values = history.get(prefix + metric, [])
            ax.plot(range(1, len(values) + 1), values, style, label=("validation" if prefix else "train"))
        ax.set(title=metric, xlabel="epoch")
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


@dataclass
class Trained:
    """One trained configuration, its Keras model and its figures."""

    embedding: str
    architecture: str
    model: object
    history: dict[str, list[float]]
    seconds: float
    threshold: float
    metrics: dict[str, float]


def train_one(prepared: Prepared, embedding_kind: str, architecture: str) -> Trained:
    """Train one configuration in the active run; log its parameters, curves and Keras metrics."""
    import keras
    import tensorflow as tf
    from tqdm.auto import tqdm

    tf.get_logger().setLevel("ERROR")  # retracing notes when several models train in one process
    settings = prepared.settings
    embedding = prepared.embedding(embedding_kind)
    keras.utils.set_random_seed(settings.seed)
    model = build_model(architecture, prepared.encoder, embedding, settings)
    model.compile(optimizer=keras.optimizers.Adam(settings.learning_rate), loss="binary_crossentropy",
                  metrics=[keras.metrics.AUC(name="auc"), keras.metrics.BinaryAccuracy(name="accuracy")])
    labels = {name: frame.label.to_numpy(dtype=np.float32) for name, frame in prepared.splits.items()}
    targets = labels["train"] if prepared.targets is None else prepared.targets.astype(np.float32)
    stop = keras.callbacks.EarlyStopping(monitor="val_auc", mode="max", patience=settings.patience,
                                         restore_best_weights=True)
    log_new_params({"embedding": embedding_kind, "architecture": architecture, **asdict(settings),
                    "vocabulary_size": len(prepared.vocabulary), "embedding_dim": embedding.dim})
    start = time.perf_counter()
    with tqdm(total=settings.epochs, desc=f"{embedding_kind} x {architecture}", unit="epoch") as progress:
        history = model.fit(
            prepared.encoded["train"], targets, validation_data=(prepared.encoded["validation"],
                                                                        labels["validation"]),
            epochs=settings.epochs, batch_size=settings.batch_size, sample_weight=sample_weights(labels["train"]),
            callbacks=[stop, _epoch_logger(progress)], verbose=0, shuffle=True,
        ).history
    seconds = time.perf_counter() - start
    proba = {name: keras_proba(model, prepared.encoded[name]) for name in ("validation", "test", "sts_test")}
    threshold = evaluation.choose_threshold(labels["validation"], proba["validation"])
    metrics = {"training_seconds": seconds, "epochs_run": len(history["loss"]), **prepared.oov,
               **embedding.stats, "trainable_parameters": _trainable(model), "threshold": threshold}
    for name, p in proba.items():
        scores = evaluation.compute_metrics(labels[name], p, threshold)
        metrics.update({f"keras_{name}_{k}": v for k, v in scores.items()})
        metrics[f"keras_{name}_accuracy_at_0.5"] = float(np.mean((p >= 0.5) == labels[name]))
    mlflow.log_metrics(metrics)
    fig = learning_curves_figure(history, f"{embedding_kind} x {architecture}: learning curves")
    mlflow.log_figure(fig, "plots/learning_curves.png")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return Trained(embedding_kind, architecture, model, history, seconds, threshold, metrics)


def log_new_params(params: dict) -> None:
    """Log the parameters the active run does not hold yet (``mlflow run`` has logged the entry
    point's own, as typed: ``40`` or ``true``, and MLflow refuses to change a value)."""
    run = mlflow.active_run()
    known = mlflow.get_run(run.info.run_id).data.params if run else {}
    mlflow.log_params({k: v for k, v in params.items() if k not in known})


def _trainable(model) -> int:
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


def keras_proba(model, encoded: np.ndarray) -> np.ndarray:
    return np.asarray(model.predict(encoded, batch_size=1024, verbose=0), dtype=np.float64).reshape(-1)


def export_tflite(trained: Trained, prepared: Prepared, path: Path, quantize: bool = True) -> Path:
    """Write the network as a ``.tflite`` file: builtin ops only, dynamic-range quantisation
    when ``quantize``. The LSTM is rebuilt unrolled (same weights) for the fixed sequence length."""
    import tensorflow as tf

    model = trained.model
    if trained.architecture == "bilstm":
        model = build_model("bilstm", prepared.encoder, prepared.embedding(trained.embedding),
                            prepared.settings, unroll=True)
        model.set_weights(trained.model.get_weights())
    with tempfile.TemporaryDirectory() as tmp:
        model.export(tmp, format="tf_saved_model", verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(tmp)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if quantize:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        path.write_bytes(converter.convert())
    return path


def parity_texts(prepared: Prepared, count: int = PARITY_TWEETS) -> np.ndarray:
    """The parity set: STS-Test, validation, test then train tweets, the first ``count`` of them."""
    order = ("sts_test", "validation", "test", "train")
    return np.concatenate([prepared.encoded[name] for name in order])[:count]


def parity_check(keras_model, runner: TFLiteRunner, encoded: np.ndarray, threshold: float,
                 max_diff: float = PARITY_MAX_DIFF, min_agreement: float = PARITY_MIN_AGREEMENT,
                 margin: float = PARITY_MARGIN) -> dict[str, float]:
    """Compare Keras and TFLite probabilities; raise :class:`ParityError` when they differ too much:
    any probability by more than ``max_diff``, or the labels of the decided tweets (Keras probability
    at least ``margin`` from the threshold) on fewer than ``min_agreement`` of them."""
    p_keras = keras_proba(keras_model, encoded)
    p_tflite = runner.predict(encoded).astype(np.float64)
    diff = np.abs(p_keras - p_tflite)
    decided = np.abs(p_keras - threshold) >= margin
    same = (p_keras >= threshold) == (p_tflite >= threshold)
    result = {
        "parity_tweets": int(len(encoded)),
        "parity_max_abs_diff": float(diff.max()),
        "parity_mean_abs_diff": float(diff.mean()),
        "parity_decided_tweets": int(decided.sum()),
        "parity_agreement": float(same[decided].mean()) if decided.any() else 1.0,
        "parity_agreement_all": float(same.mean()),
    }
    if result["parity_max_abs_diff"] > max_diff or result["parity_agreement"] < min_agreement:
        raise ParityError(
            f"TFLite differs from Keras on {len(encoded)} tweets: max |diff| {result['parity_max_abs_diff']:.4f} "
            f"(allowed {max_diff}), agreement {result['parity_agreement']:.4f} on the "
            f"{result['parity_decided_tweets']} tweets at least {margin} from the threshold (required {min_agreement})"
        )
    return result


def deploy(trained: Trained, prepared: Prepared, register: bool = True, parity_tweets: int = PARITY_TWEETS,
           min_agreement: float = PARITY_MIN_AGREEMENT, threshold_rule: str = "sentiment140") -> int | None:
    """Export ``trained`` to TFLite, check parity, evaluate the TFLite model (what is served),
    log everything in the active run and register it with ``approach=deep``. Its threshold is
    the one ``threshold_rule`` chooses (:data:`evaluation.THRESHOLD_SETS`; Sentiment140 validation
    when the rule's set is empty); every rule's threshold is logged beside it.

    ``min_agreement`` may be lowered only for toy models (a few hundred tweets, 1-2 epochs), whose
    probabilities crowd around the threshold so that tiny quantisation differences flip labels."""
    settings = prepared.settings
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        keras_path = folder / "model.keras"
        trained.model.save(keras_path)
        float_path = export_tflite(trained, prepared, folder / "model_float.tflite", quantize=False)
        tflite_path = export_tflite(trained, prepared, folder / "model.tflite", quantize=True)
        runner = TFLiteRunner(str(tflite_path))
        parity = parity_check(trained.model, runner, parity_texts(prepared, parity_tweets), trained.threshold,
                              min_agreement=min_agreement)
        mlflow.log_metrics(parity)
        mlflow.log_dict(parity, "parity.json")
        mlflow.log_metric("training_seconds", trained.seconds)  # also on a sweep's run, for the best configuration
        sizes = {f"size_{name}_mb": p.stat().st_size / 1e6 for name, p in
                 (("keras", keras_path), ("tflite_float", float_path), ("tflite_quantised", tflite_path))}
        mlflow.log_metrics(sizes)
        mlflow.log_artifact(str(keras_path), "keras")

        vocabulary_path = folder / "vocabulary.json"
        vocabulary_path.write_text(json.dumps({
            "tokens": prepared.vocabulary, "sequence_length": settings.sequence_length, "emoji": settings.emoji,
            "subword_buckets": settings.subword_buckets, "subword_length": settings.subword_length}))
        model = DeepModel()
        model.encoder, model.runner = prepared.encoder, runner
        every = evaluation.score_splits(lambda texts: model.predict_proba([clean_text(t) for t in texts]),
                                        prepared.splits, evaluation.scored_sets(prepared.splits))
        chosen = evaluation.thresholds(every, prepared.splits)
        rule = threshold_rule if threshold_rule in chosen else "sentiment140"
        threshold = chosen[rule]
        log_new_params({"threshold": threshold, "threshold_rule": rule})
        evaluation.log_thresholds(every, prepared.splits, chosen)
        scores = {name: every[name] for name in evaluation.EVALUATED}
        table = evaluation.log_evaluation(scores, prepared.splits, threshold,
                                          f"{trained.embedding} x {trained.architecture} (TFLite)")
        print(table.round(4).to_string())
        if not register:
            return None
        model_config = {"threshold": threshold, "embedding": trained.embedding,
                        "architecture": trained.architecture, "tflite_threads": 1, **asdict(settings)}
        return registry.log_and_register(
            "deep", {TFLITE_ARTIFACT: str(tflite_path), VOCABULARY_ARTIFACT: str(vocabulary_path)}, model_config,
            registry.pinned(*registry.SERVING_BASE, "ai-edge-litert"), dict(table.loc["validation"]),
            feedback=prepared.splits.feedback,
        )


def run(
    splits_uri: str | None = None,
    source: str = "bundled",
    sample: int | None = None,
    feedback: list[str] = (),
    embedding: str = DEFAULT_EMBEDDING,
    architecture: str = DEFAULT_ARCHITECTURE,
    settings: Settings = Settings(),
    register: bool = True,
) -> int | None:
    """Train one configuration on the splits at ``splits_uri`` (or those of the data step for
    ``source``/``sample``), export it to TFLite, evaluate, log and register it.

    Returns the registered version (``None`` when ``register`` is false). The ``main`` pipeline
    calls this with the defaults (``DEFAULT_EMBEDDING`` x ``DEFAULT_ARCHITECTURE``)."""
    with tracking.start_run("deep"):
        mlflow.set_tag(config.APPROACH_TAG, "deep")
        splits = data.read_splits(splits_uri or data.prepare(source, sample, feedback))
        log_new_params({"splits_uri": splits.uri})
        data.log_datasets(splits)
        prepared = prepare(splits, settings)
        trained = train_one(prepared, embedding, architecture)
        return deploy(trained, prepared, register)
