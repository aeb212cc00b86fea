"""The base class of every Air Paradis model: contract in, preprocessing, contract out."""

from __future__ import annotations

import mlflow.pyfunc
import pandas as pd

from pyfunc.contract import make_output, to_texts
from pyfunc.preprocess import clean_text


class SentimentModel(mlflow.pyfunc.PythonModel):
    """Raw tweets in, ``label`` and ``negative_probability`` out.

    Each model is logged from code (``pyfunc/from_code/<approach>.py``); its decision threshold
    and settings come in the pyfunc ``model_config`` (``{"threshold": float, ...}``). Subclasses
    load their artifacts in :meth:`load_artifacts` and implement :meth:`predict_proba` on *cleaned*
    texts.
    """

    threshold: float = 0.5
    config: dict
    # The contract is enforced by the logged signature and pyfunc.contract, not by type hints:
    # MLflow's type-hint wrapper (and its "Add type hints" warning) is not wanted here.
    _skip_type_hint_validation = True

    def load_context(self, context) -> None:
        self.config = dict(context.model_config or {})
        self.threshold = float(self.config["threshold"])
        self.load_artifacts(context.artifacts)

    def load_artifacts(self, artifacts: dict[str, str]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def predict_proba(self, cleaned: list[str]):  # pragma: no cover - abstract
        """Probability of the negative class for each cleaned text."""
        raise NotImplementedError

    def predict(self, context, model_input, params=None) -> pd.DataFrame:
        texts = to_texts(model_input)
        return make_output(self.predict_proba([clean_text(t) for t in texts]), self.threshold)
