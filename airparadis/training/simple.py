"""The simple model: TF-IDF + logistic regression with a small grid search (one child run each).

The best configuration (validation ROC AUC) is kept, its decision threshold chosen on validation
(best F1 of the negative class), evaluated on validation, test, STS-Test and the airline judge
slice, logged as a model from code that carries its own preprocessing, and registered with
``approach=simple``.
Class imbalance (61% not negative in the sample): ``class_weight="balanced"``.
"""

from __future__ import annotations

import itertools
import tempfile
import time
from pathlib import Path

import joblib
import mlflow
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from tqdm.auto import tqdm

from airparadis import config
from airparadis.core import data, evaluation, registry, tracking
from pyfunc.preprocess import clean_text, tokenize
from pyfunc.simple import PIPELINE_ARTIFACT

C_VALUES = (0.5, 1.0, 2.0)  # inverse regularisation grid
NGRAM_VALUES = (1, 2)  # largest n-gram grid
MIN_DF = 2  # drop tokens seen in fewer tweets
MAX_FEATURES = 200_000


def build_pipeline(c: float, ngram_max: int, min_df: int, max_features: int | None, seed: int) -> Pipeline:
    vectorizer = TfidfVectorizer(
        tokenizer=tokenize, token_pattern=None, lowercase=False, ngram_range=(1, ngram_max),
        min_df=min_df, max_features=max_features, sublinear_tf=True, dtype=np.float32,
    )
    classifier = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, random_state=seed)
    return Pipeline([("tfidf", vectorizer), ("logreg", classifier)])


def train(
    splits: data.Splits,
    c_values: list[float],
    ngram_values: list[int],
    min_df: int = MIN_DF,
    max_features: int | None = MAX_FEATURES,
    seed: int = config.SEED,
) -> tuple[Pipeline, dict]:
    """Grid-search the pipeline (child runs), return the best one and its parameters."""
    x_train = [clean_text(t) for t in splits.train.text]
    x_val = [clean_text(t) for t in splits.validation.text]
    best: tuple[float, Pipeline | None, dict] = (-1.0, None, {})
    grid = list(itertools.product(c_values, ngram_values))
    for c, ngram_max in tqdm(grid, desc="grid search", unit="config"):
        params = {"C": c, "ngram_max": ngram_max, "tfidf_min_df": min_df, "max_features": max_features}
        with mlflow.start_run(run_name=f"C={c} ngram=1-{ngram_max}", nested=True):
            start = time.perf_counter()
            pipeline = build_pipeline(c, ngram_max, min_df, max_features, seed).fit(x_train, splits.train.label)
            auc = roc_auc_score(splits.validation.label, pipeline.predict_proba(x_val)[:, 1])
            mlflow.log_params(params)
            mlflow.log_metrics({"validation_roc_auc": auc, "training_seconds": time.perf_counter() - start,
                                "vocabulary_size": len(pipeline.named_steps["tfidf"].vocabulary_)})
        if auc > best[0]:
            best = (auc, pipeline, params)
    return best[1], best[2]


def run(
    splits_uri: str | None = None,
    source: str = "bundled",
    sample: int | None = None,
    feedback: list[str] = (),
    c_values: list[float] = C_VALUES,
    ngram_values: list[int] = NGRAM_VALUES,
    min_df: int = MIN_DF,
    register: bool = True,
) -> int | None:
    """Train, evaluate, log and register the simple model on the splits at ``splits_uri`` (or
    those of the data step for ``source``/``sample``); return the registered version."""
    with tracking.start_run("simple"):
        mlflow.set_tag(config.APPROACH_TAG, "simple")
        splits = data.read_splits(splits_uri or data.prepare(source, sample, feedback))
        mlflow.log_param("splits_uri", splits.uri)
        data.log_datasets(splits)
        start = time.perf_counter()
        pipeline, params = train(splits, list(c_values), list(ngram_values), min_df)
        mlflow.log_params({f"best_{k}": v for k, v in params.items()})
        mlflow.log_metric("training_seconds", time.perf_counter() - start)

        scores = evaluation.score_splits(lambda texts: pipeline.predict_proba([clean_text(t) for t in texts])[:, 1],
                                         splits)
        threshold = evaluation.choose_threshold(splits.validation.label, scores["validation"])
        mlflow.log_param("threshold", threshold)
        table = evaluation.log_evaluation(scores, splits, threshold, "TF-IDF + logistic regression")
        print(table.round(4).to_string())
        if not register:
            return None
        with tempfile.TemporaryDirectory() as tmp:
            pipeline_path = Path(tmp, "pipeline.joblib")
            joblib.dump(pipeline, pipeline_path)
            return registry.log_and_register(
                "simple", {PIPELINE_ARTIFACT: str(pipeline_path)}, {"threshold": threshold, **params},
                registry.pinned(*registry.SERVING_BASE, "scikit-learn"), dict(table.loc["validation"]),
                feedback=splits.feedback,
            )
