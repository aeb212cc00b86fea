"""In-process scoring with the registered model (``models:/<name>@production`` by default)."""

from __future__ import annotations

from pyfunc.names import LABEL_COLUMN, LABEL_NEGATIVE, PROBABILITY_COLUMN, PRODUCTION_ALIAS, TEXT_COLUMN


def model_uri(model: str = "") -> str:
    """``model`` as a URI: empty -> the production alias of the configured model name."""
    from airparadis import config

    if not model:
        return f"models:/{config.settings().model_name}@{PRODUCTION_ALIAS}"
    return model if ":" in model else f"models:/{config.settings().model_name}@{model}"


def described(uri: str) -> str:
    """``uri`` with the registered version behind it (``models:/m@production (version 3)``): what a
    report names as the model that scored; a ``runs:/`` or path URI has no version and stays as is."""
    from mlflow.exceptions import MlflowException

    from airparadis.core.registry import resolve_version

    try:
        return f"{uri} (version {resolve_version(uri)})"
    except (LookupError, MlflowException):
        return uri


class ModelScorer:
    def __init__(self, uri: str):
        import mlflow.pyfunc

        self.uri = uri
        self.model = mlflow.pyfunc.load_model(uri)

    def __call__(self, texts: list[str]) -> list[tuple[bool, float]]:
        import pandas as pd

        if not texts:
            return []
        out = self.model.predict(pd.DataFrame({TEXT_COLUMN: texts}))
        return [(label == LABEL_NEGATIVE, float(p)) for label, p in zip(out[LABEL_COLUMN], out[PROBABILITY_COLUMN],
                                                                        strict=True)]
