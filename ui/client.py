"""HTTP client of the prediction API (``mlflow models serve`` or the deployed container).

Every failure becomes an :class:`ApiError` whose message a person can act on; nothing else
escapes, so the UI never shows a stack trace.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests

from pyfunc.names import (
    API_KEY_ENV,
    LABEL_COLUMN,
    LABELS,
    MODEL_NAME_HEADER,
    MODEL_VERSION_HEADER,
    PROBABILITY_COLUMN,
    TEXT_COLUMN,
    UNREGISTERED,
    VERSION_PATH,
)


class ApiError(RuntimeError):
    """The API could not give an answer; ``str(error)`` says why and what to do."""


@dataclass(frozen=True)
class Prediction:
    text: str
    label: str
    negative_probability: float
    # which model answered, as the API tells it (X-Model-Name / X-Model-Version); None when it does not
    model_name: str | None = None
    model_version: str | None = None


class PredictionClient:
    """``api_key`` (when the API asks for one) goes in ``Authorization: Bearer``; ``/ping`` needs none."""

    def __init__(self, api_url: str, timeout: float = 10.0, api_key: str | None = None):
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def _unreachable(self, e: Exception) -> ApiError:
        if isinstance(e, requests.Timeout):
            return ApiError(f"The prediction API at {self.api_url} did not answer within {self.timeout:g} s.")
        return ApiError(
            f"The prediction API at {self.api_url} is not reachable. "
            "Start it with `make serve`, or point AIRPARADIS_API_URL / --api-url to a running API."
        )

    def status(self) -> tuple[bool, str]:
        """(reachable, message) from ``GET /ping``."""
        try:
            response = requests.get(f"{self.api_url}/ping", timeout=self.timeout)
        except requests.RequestException as e:
            return False, str(self._unreachable(e))
        if response.status_code != 200:
            return False, f"The prediction API at {self.api_url} answered HTTP {response.status_code} to /ping."
        return True, f"The prediction API at {self.api_url} is reachable."

    def served_model(self) -> tuple[str, str] | None:
        """(name, version) the API says it serves (the hardened API's ``GET /version``); None when it
        does not say (MLflow's bare server answers its own version only, or a model served from a path)."""
        try:
            response = requests.get(f"{self.api_url}{VERSION_PATH}", timeout=self.timeout)
            info = response.json() if response.status_code == 200 else None
        except (requests.RequestException, ValueError):
            return None
        if not isinstance(info, dict) or info.get("model_version") in (None, UNREGISTERED):
            return None
        return str(info.get("model_name")), str(info["model_version"])

    def predict(self, texts: list[str]) -> list[Prediction]:
        payload = {"dataframe_records": [{TEXT_COLUMN: t} for t in texts]}
        try:
            response = requests.post(f"{self.api_url}/invocations", json=payload, headers=self._headers,
                                     timeout=self.timeout)
        except requests.RequestException as e:
            raise self._unreachable(e) from None
        if response.status_code == 400:
            raise ApiError(f"The API refused the input: {_server_message(response)}")
        if response.status_code == 401:
            which = "the key sent is not valid" if self._headers else "it needs a key"
            raise ApiError(f"The prediction API at {self.api_url} refused the request: {which}. "
                           f"Set {API_KEY_ENV} to the API's key.")
        if response.status_code == 429:
            wait = response.headers.get("Retry-After", "a few")
            raise ApiError(f"The prediction API is receiving too much from this page; try again in {wait} s.")
        if response.status_code != 200:
            raise ApiError(f"The API answered HTTP {response.status_code}: {_server_message(response)}")
        return _parse(texts, response)


def _server_message(response: requests.Response) -> str:
    try:
        return str(response.json().get("message", response.text))[:500]
    except ValueError:
        return response.text[:500] or "(empty answer)"


def _parse(texts: list[str], response: requests.Response) -> list[Prediction]:
    name, version = response.headers.get(MODEL_NAME_HEADER), response.headers.get(MODEL_VERSION_HEADER)
    try:
        rows = response.json()["predictions"]
        predictions = [Prediction(t, str(r[LABEL_COLUMN]), float(r[PROBABILITY_COLUMN]), name, version)
                       for t, r in zip(texts, rows, strict=True)]
    except (ValueError, KeyError, TypeError) as e:
        raise ApiError(f"The API's answer is not a sentiment prediction ({type(e).__name__}: {e}).") from None
    bad = [p.label for p in predictions if p.label not in LABELS]
    if bad:
        raise ApiError(f"The API returned unknown label(s) {sorted(set(bad))}; expected {LABELS}.")
    return predictions
