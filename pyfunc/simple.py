"""TF-IDF + logistic regression, served from a scikit-learn pipeline artifact."""

from __future__ import annotations

from pyfunc.base import SentimentModel

PIPELINE_ARTIFACT = "pipeline"  # joblib file of a fitted sklearn Pipeline on cleaned text


class SimpleModel(SentimentModel):
    """The simple custom model. Class 1 of the pipeline is ``negative``."""

    def load_artifacts(self, artifacts: dict[str, str]) -> None:
        import joblib

        self.pipeline = joblib.load(artifacts[PIPELINE_ARTIFACT])

    def predict_proba(self, cleaned: list[str]):
        return self.pipeline.predict_proba(cleaned)[:, 1]
