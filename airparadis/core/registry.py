"""Registry: log a model from code, register it under the product's one model, tag and alias it."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import mlflow
import pandas as pd
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient

from airparadis import config
from pyfunc.names import TEXT_COLUMN

PYFUNC = config.ROOT / "pyfunc"  # the code every model carries
FEEDBACK_TAG = "feedback"  # version tag: the field feedback in its training split ("none", "airline", files)

EXAMPLE_TWEETS = [
    "@AirParadis my flight was cancelled again and nobody answers the phone. Worst airline ever",
    "Landed early in Paris, lovely crew and great coffee on board! http://t.co/abc",
]


def pinned(*packages: str) -> list[str]:
    """``name==version`` for installed packages (a model's pip requirements)."""
    return [f"{p}=={importlib.metadata.version(p)}" for p in packages]


SERVING_BASE = ("mlflow", "numpy", "pandas")


def best_alias(approach: str) -> str:
    return f"best-{approach}"


def directory_mb(path: str | Path) -> float:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 1e6


def log_and_register(
    approach: str,
    artifacts: dict[str, str],
    model_config: dict,
    pip_requirements: list[str],
    validation_metrics: dict[str, float],
    name: str = "model",
    feedback: str = "none",
) -> int:
    """Log the ``approach`` model in the active run as a model from code
    (``pyfunc/from_code/<approach>.py``, with ``model_config`` holding its threshold), register it,
    tag it with its approach and move the ``best-<approach>`` alias to it when it beats that
    alias's version on validation.

    Returns the new version number. The model carries ``pyfunc/`` as code, a signature and an
    input example (the example's prediction is checked by MLflow at logging time).
    """
    from pyfunc.contract import make_output

    assert approach in config.APPROACHES, approach
    model_name = config.settings().model_name
    example = pd.DataFrame({TEXT_COLUMN: EXAMPLE_TWEETS})
    signature = infer_signature(example, make_output([0.9, 0.1], 0.5))
    info = mlflow.pyfunc.log_model(
        name=name,
        python_model=str(PYFUNC / "from_code" / f"{approach}.py"),
        artifacts=artifacts,
        model_config={"approach": approach, **model_config},
        code_paths=[str(PYFUNC)],
        signature=signature,
        input_example=example,
        pip_requirements=pip_requirements,
    )
    size_mb = directory_mb(mlflow.artifacts.download_artifacts(info.model_uri))
    mlflow.log_metric("model_size_mb", size_mb)
    score = validation_metrics[config.PROMOTION_METRIC]
    version = mlflow.register_model(
        info.model_uri,
        model_name,
        tags={config.APPROACH_TAG: approach, "validation_" + config.PROMOTION_METRIC: f"{score:.6f}",
              "model_size_mb": f"{size_mb:.3f}", FEEDBACK_TAG: feedback},
    )
    client = MlflowClient()
    client.update_model_version(model_name, version.version, description=f"{approach} model from run {info.run_id}")
    _maybe_move_best_alias(client, approach, int(version.version), score)
    print(f"registered {model_name} version {version.version} ({approach}, {size_mb:.2f} MB)")
    return int(version.version)


def _has_tags(tags: dict[str, str], filters: list[str]) -> bool:
    """``name``: the tag is set; ``!name``: it is not; ``name=value``: it has that value
    (``feedback=none`` also matches a version logged before the tag existed)."""
    for item in filters:
        if item.startswith("!"):
            if item[1:] in tags:
                return False
            continue
        name, _, value = item.partition("=")
        found = tags.get(name, "none" if name == FEEDBACK_TAG else None)
        if found is None or (value and found != value):
            return False
    return True


def _maybe_move_best_alias(client: MlflowClient, approach: str, version: int, score: float) -> None:
    alias = best_alias(approach)
    tag = "validation_" + config.PROMOTION_METRIC
    try:
        current = client.get_model_version_by_alias(config.settings().model_name, alias)
        best = float(current.tags.get(tag, "nan"))
    except mlflow.exceptions.MlflowException:
        best = float("-inf")
    if not score <= best:  # also when best is nan
        client.set_registered_model_alias(config.settings().model_name, alias, str(version))


def resolve_version(spec: str | int) -> int:
    """A model version from ``latest``, a number, an alias (``best-deep``, ``production``),
    ``approach:<name>`` (that approach's newest version), with filters on its tags
    (``approach:deep,teacher,feedback=airline``: the newest distilled student trained with the
    airline feedback) or a ``models:/name/N`` / ``models:/name@alias`` URI."""
    client = MlflowClient()
    spec = str(spec).strip()
    if spec.startswith("models:/"):  # models:/name/3 or models:/name@alias
        tail = spec[len("models:/"):]
        spec = tail.split("@", 1)[1] if "@" in tail else tail.rsplit("/", 1)[-1]
    if spec.isdigit():
        return int(client.get_model_version(config.settings().model_name, spec).version)
    if spec == "latest" or spec.startswith("approach:"):
        query = f"name='{config.settings().model_name}'"
        wanted = spec.split(":", 1)[1].split(",") if spec.startswith("approach:") else []
        if wanted:
            query += f" and tag.{config.APPROACH_TAG}='{wanted[0]}'"
        versions = [v for v in client.search_model_versions(query) if _has_tags(v.tags, wanted[1:])]
        if not versions:
            raise LookupError(f"no registered version matches {spec!r} in {config.settings().model_name}")
        return max(int(v.version) for v in versions)
    return int(client.get_model_version_by_alias(config.settings().model_name, spec).version)
