"""Distillation: the transformer teaches the deployed kind of model.

The teacher (a registered transformer version, default ``best-transformer``) gives its probability
of "negative" for every training tweet, once; they are logged as an artifact of the run
(``teacher/soft_labels.parquet``, keyed by a hash of the cleaned text). A Keras student reads
words, emoji and hashed character n-grams (``pyfunc.deep.Encoder``), trains on a target that mixes
the teacher's probability with the label (``ALPHA`` of the teacher for Sentiment140 tweets, whose
emoticon labels are noisy; the label alone for field feedback, labelled by people), is exported to
TensorFlow Lite like the deep model, and is registered with ``approach=deep`` and ``teacher`` /
``teacher_run_id`` tags (and ``feedback``, as every version). Its decision threshold is chosen for
the deployment domain: the best negative-class F1 on the held-out airline feedback (never the judge
slice) among the thresholds that keep the Sentiment140 validation F1 within
``evaluation.DOMAIN_KEEPS`` of its best (``evaluation.domain_threshold``; Sentiment140 validation
alone when the splits have no held-out part), the Sentiment140 one logged beside it.

Without a registered teacher (a fresh clone), the soft labels shipped in ``data/soft_labels/``
(written by ``python -m entrypoints.distill --export-soft-labels``, provenance beside them) are
used; a tweet they do not hold is trained on its label alone.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow.tracking import MlflowClient

from airparadis import config
from airparadis.core import airline, data, evaluation, registry, tracking
from airparadis.training import deep
from pyfunc.names import PROBABILITY_COLUMN, TEXT_COLUMN
from pyfunc.preprocess import clean_text

ALPHA = 0.7  # weight of the teacher's probability in a Sentiment140 tweet's target
TEACHER = "best-transformer"
SOFT_LABELS = config.DATA_DIR / "soft_labels" / "teacher.parquet"  # shipped: key, p (+ teacher.json)
STUDENT = deep.Settings(emoji=True, subword_buckets=2 ** 15, subword_length=120)
STUDENT_EMBEDDING = "fasttext"
STUDENT_ARCHITECTURE = "cnn"  # one tweet in well under 10 ms served; an unrolled LSTM over 160 ids is not
TEACHER_TAG = "teacher"
TEACHER_RUN_TAG = "teacher_run_id"
THRESHOLD_RULE = evaluation.DOMAIN_RULE  # the student is deployed on airline tweets


def keys(texts) -> np.ndarray:
    """A stable 64-bit key per tweet: the hash of its cleaned text (how soft labels are looked up)."""
    return np.array([int.from_bytes(hashlib.blake2b(clean_text(t).encode(), digest_size=8).digest(), "little",
                                    signed=True) for t in texts], dtype=np.int64)


def teacher_version(spec: str) -> int | None:
    """The registered teacher, or ``None`` when this store has none (a fresh clone)."""
    try:
        return registry.resolve_version(spec)
    except (LookupError, mlflow.exceptions.MlflowException):
        return None


def score_with_teacher(version: int, texts: list[str], chunk: int = 2_000) -> np.ndarray:
    """The teacher's probability of "negative" for each text (its own pyfunc, in chunks)."""
    from tqdm.auto import tqdm

    model = mlflow.pyfunc.load_model(f"models:/{config.settings().model_name}/{version}")
    parts = [model.predict(pd.DataFrame({TEXT_COLUMN: texts[i:i + chunk]}))[PROBABILITY_COLUMN].to_numpy()
             for i in tqdm(range(0, len(texts), chunk), desc="teacher", unit="chunk")]
    return np.concatenate(parts) if parts else np.zeros(0)


def shipped() -> tuple[pd.Series, dict]:
    """The shipped soft labels (key -> probability) and their provenance; empty when absent."""
    if not SOFT_LABELS.exists():
        return pd.Series(dtype=float), {}
    frame = pd.read_parquet(SOFT_LABELS)
    return frame.set_index("key")["p"], json.loads(SOFT_LABELS.with_suffix(".json").read_text())


def soft_labels(spec: str, texts: list[str]) -> tuple[np.ndarray, dict]:
    """The teacher's probability per text (NaN where no teacher knows it) and where they came from."""
    version = teacher_version(spec)
    lookup, provenance = shipped()
    if version is not None:
        run_id = MlflowClient().get_model_version(config.settings().model_name, str(version)).run_id
        if provenance.get("teacher_run_id") != run_id:  # the shipped file is another teacher's
            scores = score_with_teacher(version, texts)
            return scores, {"teacher": f"{config.settings().model_name}/{version}", "teacher_run_id": run_id,
                            "computed": "now, by this run"}
    if lookup.empty:
        raise LookupError(f"no teacher: {spec!r} is not registered and {SOFT_LABELS} is absent; train the "
                          "transformer first (`mlflow run . -e transformer`)")
    values = lookup.reindex(keys(texts)).to_numpy(dtype=float)
    return values, {**provenance, "computed": f"shipped file {SOFT_LABELS.relative_to(config.ROOT)}"}


def targets(splits: data.Splits, teacher_p: np.ndarray, alpha: float) -> np.ndarray:
    """``alpha`` * teacher + (1 - alpha) * label for Sentiment140 tweets; the label for field
    feedback and for tweets no teacher scored."""
    labels = splits.train.label.to_numpy(dtype=float)
    feedback = splits.train.get("feedback", pd.Series(False, index=splits.train.index)).to_numpy(dtype=bool)
    use_label = feedback | np.isnan(teacher_p)
    return np.where(use_label, labels, alpha * np.nan_to_num(teacher_p) + (1 - alpha) * labels)


def log_soft_labels(texts: list[str], teacher_p: np.ndarray, provenance: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "soft_labels.parquet")
        pd.DataFrame({"key": keys(texts), "p": teacher_p.astype(np.float32)}).to_parquet(path, index=False)
        mlflow.log_artifact(str(path), "teacher")
    mlflow.log_dict(provenance, "teacher/teacher.json")


def run(splits_uri: str | None = None, source: str = "bundled", sample: int | None = None,
        feedback: list[str] = (), teacher: str = TEACHER, settings: deep.Settings = STUDENT,
        alpha: float = ALPHA, register: bool = True,
        parity_min_agreement: float = deep.PARITY_MIN_AGREEMENT) -> int | None:
    """Distil the teacher into a TFLite student on the splits at ``splits_uri`` (or those of the data
    step for ``source``/``sample``/``feedback``); return the registered version."""
    with tracking.start_run("distill"):
        mlflow.set_tag(config.APPROACH_TAG, "deep")
        splits = data.read_splits(splits_uri or data.prepare(source, sample, list(feedback)))
        texts = splits.train.text.tolist()
        teacher_p, provenance = soft_labels(teacher, texts)
        log_soft_labels(texts, teacher_p, provenance)
        known = ~np.isnan(teacher_p)
        labels = splits.train.label.to_numpy()
        deep.log_new_params({"splits_uri": splits.uri, "teacher": provenance.get("teacher", teacher), "alpha": alpha,
                             "feedback_rows": splits.feedback_rows})
        mlflow.log_metrics({"teacher_known_share": float(known.mean()),
                            "teacher_train_agreement": float(np.mean((teacher_p[known] >= 0.5) == labels[known]))})
        data.log_datasets(splits)
        prepared = deep.prepare(splits, settings)
        prepared.targets = targets(splits, teacher_p, alpha)
        trained = deep.train_one(prepared, STUDENT_EMBEDDING, STUDENT_ARCHITECTURE)
        mlflow.set_tags({TEACHER_TAG: provenance.get("teacher", teacher),
                         TEACHER_RUN_TAG: provenance.get("teacher_run_id", "unknown")})
        version = deep.deploy(trained, prepared, register, min_agreement=parity_min_agreement,
                              threshold_rule=THRESHOLD_RULE)
        if version is not None:
            client = MlflowClient()
            for tag in (TEACHER_TAG, TEACHER_RUN_TAG):
                client.set_model_version_tag(config.settings().model_name, str(version), tag,
                                             provenance.get(tag, teacher if tag == TEACHER_TAG else "unknown"))
        return version


def export_soft_labels(spec: str = TEACHER, out: Path = SOFT_LABELS) -> Path:
    """Score every tweet of the bundled sample and the airline feedback with the registered teacher
    and write the shipped soft labels (``key``, ``p``) with their provenance beside them (teacher
    version and run, its settings, training time and figures on every set, the digests of the
    data files it was trained and scored on, and the command)."""
    import datetime
    import time

    version = teacher_version(spec)
    if version is None:
        raise LookupError(f"{spec!r} is not registered: nothing to export")
    raw, _ = data.load_raw("bundled")
    texts = list(dict.fromkeys([*data.to_binary(raw).text, *airline.split(airline.read())[0].text]))
    start = time.perf_counter()
    p = score_with_teacher(version, texts)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame({"key": keys(texts), "p": p.astype(np.float16)}).drop_duplicates("key")
    frame.to_parquet(out, index=False, compression="zstd")
    out.with_suffix(".json").write_text(json.dumps(
        provenance(version, len(frame), time.perf_counter() - start, datetime.datetime.now(datetime.UTC)),
        indent=2) + "\n")
    return out


PROVENANCE_PARAMS = ("base_model", "max_steps", "batch_size", "learning_rate", "warmup_fraction", "max_length",
                     "freeze_embeddings", "feedback_repeats", "quantization", "threshold", "train_rows", "splits_uri")
TRAINED_WITH = ("max_steps", "learning_rate", "feedback_repeats", "eval_every", "quantize")  # the command's options
PROVENANCE_METRICS = ("training_seconds", "torch_threads_used", "threshold_airline_holdout",
                      *(f"{name}_{m}" for name in evaluation.EVALUATED for m in ("accuracy", "f1_negative", "roc_auc")))


def provenance(version: int, tweets: int, seconds: float, when) -> dict:
    """What the shipped soft labels came from: enough to reproduce and to judge them."""
    client = MlflowClient()
    mv = client.get_model_version(config.settings().model_name, str(version))
    run = client.get_run(mv.run_id)
    params, metrics = run.data.params, run.data.metrics
    return {
        "teacher": f"{config.settings().model_name}/{version}", "teacher_run_id": mv.run_id,
        "feedback": mv.tags.get(registry.FEEDBACK_TAG, "none"),
        **{k: params[k] for k in PROVENANCE_PARAMS if k in params},
        **{k: metrics[k] for k in PROVENANCE_METRICS if k in metrics},
        "trained_with": "python -m entrypoints.transformer " + " ".join(
            f"--{k.replace('_', '-')} {params[k]}" for k in TRAINED_WITH if k in params)
            + (" --feedback airline" if mv.tags.get(registry.FEEDBACK_TAG) == "airline" else ""),
        "tweets": tweets, "scoring_seconds": round(seconds, 1), "written_at": when.isoformat(timespec="seconds"),
        "written_by": "python -m entrypoints.distill --export-soft-labels",
        "data_sha256": {str(f.relative_to(config.ROOT)): hashlib.sha256(f.read_bytes()).hexdigest()
                        for f in (config.BUNDLED_TRAIN, airline.FILE)},
    }
