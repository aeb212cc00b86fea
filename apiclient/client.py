"""The client of the prediction API (``mlflow models serve``, the hardened API, the deployed container).

Written once here: the paths (``pyfunc.names``), the key (``Authorization: Bearer``; the caller
reads it from ``API_KEY_ENV`` through its own settings), the timeout, batches of at most
``MAX_BATCH_ROWS`` texts, and what each failure means. A 429 or 503 is retried a few times,
waiting what ``Retry-After`` says (at most ``max_wait`` seconds a time), a refused connection or a
timeout too (short back-off): urllib3's :class:`~urllib3.util.Retry` does both. What still fails
becomes an :class:`ApiError` whose message a person can act on, never a stack trace.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from pyfunc.names import (
    API_KEY_ENV,
    INVOCATIONS_PATH,
    LABEL_COLUMN,
    LABELS,
    MAX_BATCH_ROWS,
    MAX_BODY_BYTES,
    MODEL_NAME_HEADER,
    MODEL_VERSION_HEADER,
    PING_PATH,
    PROBABILITY_COLUMN,
    TEXT_COLUMN,
    VERSION_PATH,
)

RETRIED = (429, 503)  # too many requests, unavailable: worth a second try after the wait they ask for


class ApiError(RuntimeError):
    """The API gave no usable answer; ``str(error)`` says why and what to do. ``status`` is the
    HTTP status (None when no answer came), ``payload`` the API's JSON error body if any."""

    def __init__(self, message: str, status: int | None = None, payload: dict | None = None):
        super().__init__(message)
        self.status, self.payload = status, payload or {}


@dataclass(frozen=True)
class Prediction:
    text: str
    label: str
    negative_probability: float
    # which model answered, as the API tells it (X-Model-Name / X-Model-Version); None when it does not
    model_name: str | None = None
    model_version: str | None = None


class PredictionClient:
    """``api_key`` (when the API asks for one) goes in ``Authorization: Bearer``; ``/ping`` and
    ``/version`` need none. ``batch_rows`` texts at most per request (at most ``MAX_BATCH_ROWS``);
    ``attempts`` tries per request; ``max_wait`` seconds at most between two."""

    def __init__(self, api_url: str, timeout: float = 10.0, api_key: str | None = None,
                 batch_rows: int = MAX_BATCH_ROWS, attempts: int = 3, max_wait: int = 30):
        self.api_url = api_url.rstrip("/")
        self.timeout, self.batch_rows = timeout, max(1, min(batch_rows, MAX_BATCH_ROWS))
        self.attempts = max(1, attempts)
        self.session = requests.Session()
        retry = Retry(total=self.attempts - 1, status_forcelist=RETRIED, allowed_methods=None, backoff_factor=0.5,
                      backoff_max=max_wait, retry_after_max=max_wait, raise_on_status=False)
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.mount("https://", HTTPAdapter(max_retries=retry))
        if api_key:
            self.session.headers["Authorization"] = f"Bearer {api_key}"

    def send(self, method: str, path: str, **kwargs) -> requests.Response:
        """One exchange (with its retries) whatever the status; :class:`ApiError` when no answer came."""
        try:
            return self.session.request(method, f"{self.api_url}{path}", timeout=self.timeout, **kwargs)
        except requests.RequestException as e:
            raise self._unreachable(e) from None

    def ping(self) -> None:
        """``GET /ping`` answered 200, else :class:`ApiError`."""
        response = self.send("GET", PING_PATH)
        if response.status_code != 200:
            raise ApiError(f"The prediction API at {self.api_url} answered HTTP {response.status_code} to "
                           f"{PING_PATH}.", response.status_code)

    def served_model(self) -> dict:
        """What ``GET /version`` answers (the hardened API): the served model's registered name and
        version, its run and approach; :class:`ApiError` when the API does not say (MLflow's bare
        server answers its own version only)."""
        response = self.send("GET", VERSION_PATH)
        try:
            info = response.json() if response.status_code == 200 else None
        except ValueError:
            info = None
        if not isinstance(info, dict) or "model_version" not in info:
            raise ApiError(f"{VERSION_PATH} does not say which model is served (HTTP {response.status_code}): "
                           f"{response.text[:300]}", response.status_code)
        return info

    def predict(self, texts: list[str]) -> list[Prediction]:
        """One prediction per text, in order, in requests of at most ``batch_rows`` texts."""
        out: list[Prediction] = []
        for start in range(0, len(texts), self.batch_rows):
            part = texts[start:start + self.batch_rows]
            response = self.send("POST", INVOCATIONS_PATH, json={"dataframe_records": [{TEXT_COLUMN: t} for t in part]})
            if response.status_code != 200:
                raise self.refused(response)
            out += _parse(part, response)
        return out

    def refused(self, response: requests.Response) -> ApiError:
        """The error a non-200 answer means, in words."""
        status, payload = response.status_code, _payload(response)
        said = str(payload.get("message") or response.text[:500] or "(empty answer)")[:500]
        where = f"The prediction API at {self.api_url}"
        if status == 401:
            which = "the key sent is not valid" if "Authorization" in self.session.headers else "it needs a key"
            message = f"{where} refused the request: {which}. Set {API_KEY_ENV} to the API's key."
        elif status == 403:
            message = f"{where} forbids this request (HTTP 403): {said}"
        elif status == 413:
            message = (f"The request is too large for the API (HTTP 413: {said}); send at most {MAX_BATCH_ROWS} "
                       f"texts and {MAX_BODY_BYTES} bytes a request.")
        elif status == 415:
            message = f"The API cannot read this kind of request (HTTP 415): {said}"
        elif status == 429:
            wait = response.headers.get("Retry-After", "a few")
            message = (f"{where} is receiving too much from this client (HTTP 429, {self.attempts} attempts): {said}; "
                       f"try again in {wait} s.")
        elif status in (400, 422):
            message = f"The API refused the input: {said}"
        elif status >= 500:
            tries = f", {self.attempts} attempts" if status in RETRIED else ""
            message = f"{where} failed (HTTP {status}{tries}): {said}"
        else:
            message = f"The API answered HTTP {status}: {said}"
        return ApiError(message, status, payload)

    def _unreachable(self, e: Exception) -> ApiError:
        if isinstance(e, requests.Timeout):
            return ApiError(f"The prediction API at {self.api_url} did not answer within {self.timeout:g} s "
                            f"({self.attempts} attempts).")
        return ApiError(f"The prediction API at {self.api_url} is not reachable ({type(e).__name__}). Start it with "
                        "`make serve`, or point AIRPARADIS_API_URL / --api-url to a running API.")


def _payload(response: requests.Response) -> dict:
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


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
