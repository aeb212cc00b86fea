"""Scoring: what the monitor asks of a scorer, and scoring through the prediction API with its
one client (:mod:`apiclient.client`: the key, batches of at most ``MAX_BATCH_ROWS``, retries).
(In process, with the registered model: ``airparadis.buzz.scoring.ModelScorer``.)"""

from __future__ import annotations

from typing import Protocol

from apiclient.client import PredictionClient
from pyfunc.names import LABEL_NEGATIVE


class Scorer(Protocol):
    def __call__(self, texts: list[str]) -> list[tuple[bool, float]]:
        """(is negative, negative probability) per text."""


class ApiScorer:
    """A :class:`Scorer` through the prediction API; a failure is an ``apiclient.client.ApiError``."""

    def __init__(self, client: PredictionClient):
        self.client = client

    def __call__(self, texts: list[str]) -> list[tuple[bool, float]]:
        return [(p.label == LABEL_NEGATIVE, p.negative_probability) for p in self.client.predict(texts)]
