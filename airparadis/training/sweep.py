"""Deep model sweep: every embedding x architecture on the same splits, within a time budget.

Each configuration is trained in its own child run (parameters, learning curves, OOV rates, Keras
metrics on validation, test and STS-Test). No configuration starts once the budget is spent (the
skipped ones are listed). The best by validation ROC AUC is exported to TensorFlow Lite, checked
for parity, evaluated and registered in the parent run (``approach=deep``). The comparison table
is printed and logged as ``comparison/deep_sweep.{json,csv,md}`` with a plot.
"""

from __future__ import annotations

import itertools
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import mlflow
import pandas as pd

from airparadis import config
from airparadis.core import data, tracking
from airparadis.training import deep

TABLE_COLUMNS = {
    "keras_validation_accuracy": "val_accuracy",
    "keras_validation_roc_auc": "val_roc_auc",
    "keras_validation_f1_negative": "val_f1_negative",
    "keras_sts_test_accuracy": "sts_accuracy",
    "keras_sts_test_accuracy_at_0.5": "sts_accuracy_at_0.5",
    "keras_sts_test_roc_auc": "sts_roc_auc",
    "keras_test_roc_auc": "test_roc_auc",
    "training_seconds": "training_seconds",
    "epochs_run": "epochs",
    "trainable_parameters": "trainable_parameters",
    "train_token_without_vector_rate": "train_tokens_without_vector",
}


def comparison_row(trained: deep.Trained) -> dict:
    return {"embedding": trained.embedding, "architecture": trained.architecture,
            **{short: trained.metrics[long] for long, short in TABLE_COLUMNS.items()}}


def comparison_figure(table: pd.DataFrame):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{e}\n{a}" for e, a in zip(table.embedding, table.architecture, strict=True)]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    for ax, column in zip(axes, ("val_roc_auc", "sts_accuracy", "training_seconds"), strict=True):
        ax.bar(labels, table[column], color="tab:blue")
        ax.set_title(column)
        ax.tick_params(axis="x", labelsize=8)
        if column != "training_seconds":
            ax.set_ylim(max(0.0, table[column].min() - 0.05), min(1.0, table[column].max() + 0.02))
    fig.suptitle("Deep model sweep: embedding x architecture")
    fig.tight_layout()
    return fig


def log_comparison(table: pd.DataFrame) -> None:
    import matplotlib.pyplot as plt

    mlflow.log_table(table, "comparison/deep_sweep.json")
    with tempfile.TemporaryDirectory() as tmp:
        csv, md = Path(tmp, "deep_sweep.csv"), Path(tmp, "deep_sweep.md")
        table.to_csv(csv, index=False)
        md.write_text(table.round(4).to_markdown(index=False))
        mlflow.log_artifact(str(csv), "comparison")
        mlflow.log_artifact(str(md), "comparison")
    fig = comparison_figure(table)
    mlflow.log_figure(fig, "comparison/deep_sweep.png")
    plt.close(fig)


def check_grid(embedding_kinds: list[str], architectures: list[str]) -> None:
    """Raise ``ValueError`` naming the unknown embeddings or architectures of a grid."""
    for names, known, what in ((embedding_kinds, deep.EMBEDDINGS, "embedding"),
                               (architectures, deep.ARCHITECTURES, "architecture")):
        unknown = [n for n in names if n not in known]
        if unknown or not names:
            raise ValueError(f"unknown or no {what} {unknown}; choose from {', '.join(known)}")


def sweep(
    splits_uri: str | None = None,
    source: str = "bundled",
    sample: int | None = None,
    feedback: list[str] = (),
    embedding_kinds: list[str] = deep.EMBEDDINGS,
    architectures: list[str] = deep.ARCHITECTURES,
    budget_minutes: float = deep.SWEEP_BUDGET_MINUTES,
    settings: deep.Settings = deep.Settings(),
    register: bool = True,
    parity_tweets: int = deep.PARITY_TWEETS,
    parity_min_agreement: float = deep.PARITY_MIN_AGREEMENT,
) -> tuple[int | None, pd.DataFrame]:
    """Run the grid; deploy and register the best configuration. Returns (version, table)."""
    check_grid(embedding_kinds, architectures)
    metric = f"keras_validation_{deep.SELECTION_METRIC}"
    with tracking.start_run("deep-sweep"):
        mlflow.set_tag(config.APPROACH_TAG, "deep")
        splits = data.read_splits(splits_uri or data.prepare(source, sample, feedback))
        deep.log_new_params({"budget_minutes": budget_minutes, "selection_metric": metric,
                           "grid_embeddings": ",".join(embedding_kinds), "grid_architectures": ",".join(architectures),
                           "splits_uri": splits.uri, **asdict(settings)})
        data.log_datasets(splits)
        prepared = deep.prepare(splits, settings)
        mlflow.log_metrics(prepared.oov)
        start, rows, skipped, best = time.monotonic(), [], [], None
        for arch, kind in itertools.product(architectures, embedding_kinds):
            if time.monotonic() - start > budget_minutes * 60:
                skipped.append(f"{kind} x {arch}")
                continue
            with mlflow.start_run(run_name=f"{kind} x {arch}", nested=True):
                trained = deep.train_one(prepared, kind, arch)
            rows.append(comparison_row(trained))
            if best is None or trained.metrics[metric] > best.metrics[metric]:
                best = trained
        table = pd.DataFrame(rows).sort_values("val_roc_auc", ascending=False).reset_index(drop=True)
        mlflow.log_metric("sweep_minutes", (time.monotonic() - start) / 60)
        mlflow.set_tags({"best_embedding": best.embedding, "best_architecture": best.architecture,
                         "skipped": "; ".join(skipped) or "none"})
        log_comparison(table)
        print(table.round(4).to_string(index=False))
        if skipped:
            print(f"budget of {budget_minutes} min spent; not run: {', '.join(skipped)}")
        print(f"best by validation {deep.SELECTION_METRIC}: {best.embedding} x {best.architecture}")
        return deep.deploy(best, prepared, register, parity_tweets, parity_min_agreement), table
