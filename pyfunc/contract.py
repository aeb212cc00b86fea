"""The one input/output contract of every Air Paradis model.

Input: a DataFrame with a string column ``text`` (a list of strings, a single string, a Series
or a ``{"text": [...]}`` dict are accepted too in Python).
Output: a DataFrame with ``label`` (``negative`` / ``not_negative``) and ``negative_probability``.

Limits (documented in the README): a text holds 1 to ``MAX_TEXT_CHARS`` characters once
stripped. Anything else raises :class:`InvalidInput`, which the MLflow scoring server turns into
an HTTP 400 with the message. A Python call has no row limit (a batch job or a Spark UDF scores
a whole day of tweets at once); the per-request limits belong to the HTTP API
(``pyfunc/serving.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from pyfunc.names import (
    LABEL_COLUMN,
    LABEL_NEGATIVE,
    LABEL_NOT_NEGATIVE,
    MAX_TEXT_CHARS,
    PROBABILITY_COLUMN,
    TEXT_COLUMN,
)

MAX_ERROR_MESSAGE_CHARS = 500  # an error message never echoes more than this
_SHOWN = 5  # offending rows named in one message

try:  # MLflow maps INVALID_PARAMETER_VALUE to HTTP 400 in its scoring server
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

    class InvalidInput(MlflowException):
        """Bad model input; served as HTTP 400 with this message."""

        def __init__(self, message: str):
            super().__init__(message, error_code=INVALID_PARAMETER_VALUE)

except ImportError:  # pragma: no cover - mlflow is always there when serving

    class InvalidInput(ValueError):  # type: ignore[no-redef]
        """Bad model input."""


def _rows(message: str, rows: Sequence[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:_SHOWN])
    more = f" (and {len(rows) - _SHOWN} more)" if len(rows) > _SHOWN else ""
    return f"{message} at row(s) {shown}{more}"


def _column(model_input) -> Iterable:
    if isinstance(model_input, pd.DataFrame):
        if TEXT_COLUMN in model_input.columns:
            return model_input[TEXT_COLUMN].tolist()
        if model_input.shape[1] == 1 and model_input.columns[0] == 0:  # a bare list, framed by MLflow
            return model_input.iloc[:, 0].tolist()
        raise InvalidInput(
            f"input has no '{TEXT_COLUMN}' column (columns: {list(map(str, model_input.columns))}); "
            f'send {{"dataframe_records": [{{"{TEXT_COLUMN}": "your tweet"}}]}}'
        )
    if isinstance(model_input, str):
        return [model_input]
    if isinstance(model_input, dict):
        if TEXT_COLUMN not in model_input:
            raise InvalidInput(f"input has no '{TEXT_COLUMN}' key")
        value = model_input[TEXT_COLUMN]
        return [value] if isinstance(value, str) else list(value)
    if isinstance(model_input, (pd.Series, np.ndarray, list, tuple)):
        return list(np.asarray(model_input, dtype=object).ravel())
    raise InvalidInput(f"unsupported input type {type(model_input).__name__}; send a '{TEXT_COLUMN}' column")


def to_texts(model_input) -> list[str]:
    """Validate a model input and return its texts, or raise :class:`InvalidInput`."""
    texts = list(_column(model_input))
    if not texts:
        raise InvalidInput("input holds no rows; send at least one text")
    missing = [i for i, t in enumerate(texts) if t is None or (isinstance(t, float) and t != t)]
    if missing:
        raise InvalidInput(_rows(f"'{TEXT_COLUMN}' is missing (null)", missing))
    not_str = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if not_str:
        kinds = sorted({type(texts[i]).__name__ for i in not_str})
        raise InvalidInput(_rows(f"'{TEXT_COLUMN}' must be a string, got {'/'.join(kinds)}", not_str))
    empty = [i for i, t in enumerate(texts) if not t.strip()]
    if empty:
        raise InvalidInput(_rows(f"'{TEXT_COLUMN}' is empty", empty))
    long = [i for i, t in enumerate(texts) if len(t) > MAX_TEXT_CHARS]
    if long:
        raise InvalidInput(_rows(f"'{TEXT_COLUMN}' is longer than {MAX_TEXT_CHARS} characters", long))
    return texts


def make_output(negative_probability: Sequence[float], threshold: float) -> pd.DataFrame:
    """Build the contract's output frame from probabilities of the negative class."""
    prob = np.clip(np.asarray(negative_probability, dtype=np.float64).ravel(), 0.0, 1.0)
    label = np.where(prob >= threshold, LABEL_NEGATIVE, LABEL_NOT_NEGATIVE)
    return pd.DataFrame({LABEL_COLUMN: label, PROBABILITY_COLUMN: prob})
