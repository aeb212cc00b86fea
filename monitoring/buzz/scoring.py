"""Scoring through the prediction API (``POST /invocations``), at most ``MAX_BATCH_ROWS`` tweets a
request. (In process, with the registered model: ``airparadis.buzz.scoring.ModelScorer``.)"""

from __future__ import annotations

from typing import Protocol

import requests

from pyfunc.names import LABEL_COLUMN, LABEL_NEGATIVE, MAX_BATCH_ROWS, PROBABILITY_COLUMN, TEXT_COLUMN


class Scorer(Protocol):
    def __call__(self, texts: list[str]) -> list[tuple[bool, float]]:
        """(is negative, negative probability) per text."""


class ApiScorer:
    def __init__(self, api_url: str, timeout: float = 60.0, chunk: int = MAX_BATCH_ROWS):
        self.url = api_url.rstrip("/") + "/invocations"
        self.timeout, self.chunk = timeout, min(chunk, MAX_BATCH_ROWS)
        self.session = requests.Session()

    def __call__(self, texts: list[str]) -> list[tuple[bool, float]]:
        out = []
        for start in range(0, len(texts), self.chunk):
            part = texts[start:start + self.chunk]
            try:
                response = self.session.post(self.url, json={"dataframe_records": [{TEXT_COLUMN: t} for t in part]},
                                             timeout=self.timeout)
            except requests.RequestException as e:
                raise RuntimeError(f"the prediction API at {self.url} is not reachable ({type(e).__name__})") from None
            if response.status_code != 200:
                raise RuntimeError(f"the prediction API answered HTTP {response.status_code}: {response.text[:300]}")
            rows = response.json()["predictions"]
            if len(rows) != len(part):
                raise RuntimeError(f"the prediction API answered {len(rows)} predictions for {len(part)} tweets")
            out += [(r[LABEL_COLUMN] == LABEL_NEGATIVE, float(r[PROBABILITY_COLUMN])) for r in rows]
        return out
