"""The base class of every Air Paradis model: contract in, preprocessing, contract out."""

from __future__ import annotations

import json
import warnings

import mlflow.pyfunc
import pandas as pd

from pyfunc.contract import make_output, to_texts
from pyfunc.preprocess import clean_text

# The contract is enforced by the model signature and pyfunc.contract, not by type hints.
warnings.filterwarnings("ignore", message=".*Add type hints to the `predict` method.*")

CONFIG_ARTIFACT = "model_config"  # JSON artifact: {"threshold": float, ...}


class SentimentModel(mlflow.pyfunc.PythonModel):
    """Raw tweets in, ``label`` and ``negative_probability`` out.

    Subclasses load their artifacts in :meth:`load_artifacts` and implement
    :meth:`predict_proba` on *cleaned* texts.
    """

    threshold: float = 0.5
    config: dict

    def load_context(self, context) -> None:
        with open(context.artifacts[CONFIG_ARTIFACT], encoding="utf-8") as f:
            self.config = json.load(f)
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
