"""Simple model stage: TF-IDF + logistic regression with a small grid search (one child run each).

The best configuration (validation ROC AUC) is kept, its decision threshold chosen on validation
(best F1 of the negative class), evaluated on validation, test and STS-Test, logged as a pyfunc
that carries its own preprocessing, and registered with ``approach=simple``.
Class imbalance (61% not negative in the sample): ``class_weight="balanced"``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
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

from entrypoints import cli, config, data, evaluate, registry, tracking
from pyfunc.base import CONFIG_ARTIFACT
from pyfunc.preprocess import clean_text, tokenize
from pyfunc.simple import PIPELINE_ARTIFACT, SimpleModel


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
    min_df: int = 2,
    max_features: int | None = 200_000,
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
    source: str = "bundled",
    sample: int | None = None,
    c_values: list[float] = (0.5, 1.0, 2.0),
    ngram_values: list[int] = (1, 2),
    min_df: int = 2,
    register: bool = True,
) -> int | None:
    """Train, evaluate, log and register the simple model; return the registered version."""
    splits = data.load_splits(source, sample)
    with tracking.start_run(run_name="simple") as active:
        mlflow.set_tag(config.APPROACH_TAG, "simple")
        data.log_datasets(splits)
        start = time.perf_counter()
        pipeline, params = train(splits, list(c_values), list(ngram_values), min_df)
        mlflow.log_params({f"best_{k}": v for k, v in params.items()})
        mlflow.log_metric("training_seconds", time.perf_counter() - start)

        proba = lambda texts: pipeline.predict_proba([clean_text(t) for t in texts])[:, 1]  # noqa: E731
        threshold = evaluate.choose_threshold(splits.validation.label, proba(splits.validation.text.tolist()))
        mlflow.log_param("threshold", round(threshold, 4))
        table = evaluate.log_evaluation(proba, splits, threshold, "TF-IDF + logistic regression")
        print(table.round(4).to_string())

        with tempfile.TemporaryDirectory() as tmp:
            pipeline_path = Path(tmp, "pipeline.joblib")
            joblib.dump(pipeline, pipeline_path)
            config_path = Path(tmp, "model_config.json")
            config_path.write_text(json.dumps({"threshold": threshold, "approach": "simple", **params}))
            if not register:
                return None
            return registry.log_and_register(
                SimpleModel(),
                {PIPELINE_ARTIFACT: str(pipeline_path), CONFIG_ARTIFACT: str(config_path)},
                "simple",
                registry.pinned(*registry.SERVING_BASE, "scikit-learn"),
                dict(table.loc["validation"]),
            )
        print(f"run {active.info.run_id}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m entrypoints.simple", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default="bundled", help="bundled | full | path to the official zip or CSV")
    parser.add_argument("--sample", type=cli.optional_int, default=None,
                        help="use only N training-file rows (quick runs)")
    parser.add_argument("--c-values", type=cli.floats, default=[0.5, 1.0, 2.0],
                        help="inverse regularisation grid (default 0.5,1,2)")
    parser.add_argument("--ngram-values", type=cli.ints, default=[1, 2], help="largest n-gram grid (default 1,2)")
    parser.add_argument("--min-df", type=cli.whole, default=2, help="drop tokens seen in fewer tweets")
    args = parser.parse_args(argv)
    try:
        version = run(args.source, args.sample, args.c_values, args.ngram_values, args.min_df)
    except data.DataUnavailable as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"simple model registered as {config.MODEL_NAME} version {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
