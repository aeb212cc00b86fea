"""Smoke test of a deployed prediction API (CD runs it after each deployment; it needs only
``requests``, through the API's one client, :mod:`apiclient.client`).

1. ``GET /ping`` answers 200 (retried until ``--wait`` seconds: a free plan cold-starts the container);
2. ``POST /invocations`` with a clearly negative and a clearly positive tweet answers 200 with the
   contract's output (``label`` negative / not_negative, ``negative_probability`` in [0, 1]) and
   the right labels;
3. a request without ``Content-Type`` gets a 4xx JSON error without a stack trace (the hardened
   API, not MLflow's bare server, is the one deployed);
4. with an API key (``AIRPARADIS_API_KEY``), 2. and 3. send it, and a valid request without it must
   get a JSON 401 that never echoes the key: the deployed API is not open to anyone;
5. ``GET /version`` names the served model's registered name and version (a number: the image
   must carry ``registered_model_meta``, which MLflow writes when it downloads a ``models:/`` URI;
   a model served from a path says ``unregistered`` and fails), and the prediction's
   ``X-Model-Name`` / ``X-Model-Version`` headers say the same;
6. ``worker``: whether the image's supervisor restarted the API's worker (a crash, a kill by the
   memory limit), how many times and why the last one died, as ``GET /version`` reports it.

Exit status 0 when all pass, 1 otherwise, with the reason on stderr.
"""

from __future__ import annotations

import re
import time

from apiclient.client import ApiError, PredictionClient
from pyfunc.names import (
    API_KEY_ENV,
    INVOCATIONS_PATH,
    LABEL_NEGATIVE,
    LABEL_NOT_NEGATIVE,
    MODEL_NAME_HEADER,
    MODEL_VERSION_HEADER,
    PING_PATH,
    UNREGISTERED,
    VERSION_PATH,
)

NEGATIVE = "I hate this airline. Worst flight ever, they lost my bags and the staff was so rude"
POSITIVE = "Thank you for the wonderful flight, the crew was amazing and lovely. Love it!"
TIMEOUT = 60.0


class SmokeFailure(AssertionError):
    """The deployed API answered wrong; the message says how."""


def client(url: str, api_key: str | None = None) -> PredictionClient:
    return PredictionClient(url, TIMEOUT, api_key)


def wait_for_ping(url: str, wait: float, pause: float = 5.0) -> float:
    """Seconds until ``/ping`` answered 200; :class:`SmokeFailure` after ``wait`` seconds."""
    start, api = time.monotonic(), PredictionClient(url, timeout=30.0, attempts=1)
    while True:
        try:
            api.ping()
            return time.monotonic() - start
        except ApiError as e:
            last = f"HTTP {e.status}" if e.status else str(e)
        if time.monotonic() - start > wait:
            raise SmokeFailure(f"{url}{PING_PATH} did not answer 200 within {wait:.0f}s (last: {last})")
        time.sleep(pause)


REGISTERED_VERSION = re.compile(r"[1-9][0-9]*")  # the registry numbers versions 1, 2, ...


def check_registered(name, version, where: str) -> None:
    """``name`` and ``version`` name a registered model version, else :class:`SmokeFailure`."""
    name, version = ("" if v is None else str(v).strip() for v in (name, version))
    if not name or name == UNREGISTERED:
        raise SmokeFailure(f"{where} names no registered model (model name {name or None!r}): the deployed API "
                           "must serve a registered version; build the image from models:/<name>/<version> so "
                           "that it carries registered_model_meta")
    if not REGISTERED_VERSION.fullmatch(version):
        raise SmokeFailure(f"{where} names no registered version of {name!r} (model version {version or None!r}, "
                           "not a number): build the image from models:/<name>/<version> so that it carries "
                           "registered_model_meta")


def check_version(url: str) -> dict:
    """What ``GET /version`` answers, once it names a registered model and its version."""
    try:
        served = client(url).served_model()
    except ApiError as e:
        raise SmokeFailure(f"{e} (is the hardened API deployed?)") from None
    check_registered(served.get("model_name"), served["model_version"], VERSION_PATH)
    return served


def check_prediction(url: str, api_key: str | None = None, version: str | None = None,
                     name: str | None = None) -> list[dict]:
    """Right labels for a clearly negative and a clearly positive tweet; with ``version`` (and
    ``name``), the answer's ``X-Model-Version`` (and ``X-Model-Name``) must say the same."""
    try:
        predictions = client(url, api_key).predict([NEGATIVE, POSITIVE])
    except ApiError as e:
        if e.status == 401 and not api_key:
            raise SmokeFailure(f"{INVOCATIONS_PATH} answered HTTP 401: the API needs a key; set {API_KEY_ENV} "
                               f"(CD: the secret {API_KEY_ENV})") from None
        raise SmokeFailure(f"{INVOCATIONS_PATH}: {e}") from None
    said = predictions[0]
    if version is not None and said.model_version != str(version):
        raise SmokeFailure(f"{INVOCATIONS_PATH} says model version {said.model_version!r} ({MODEL_VERSION_HEADER}), "
                           f"{VERSION_PATH} says {str(version)!r}")
    if name is not None and said.model_name != str(name):
        raise SmokeFailure(f"{INVOCATIONS_PATH} says model {said.model_name!r} ({MODEL_NAME_HEADER}), "
                           f"{VERSION_PATH} says {str(name)!r}")
    for p in predictions:
        if not 0.0 <= p.negative_probability <= 1.0:
            raise SmokeFailure(f"prediction outside the contract: {p}")
    labels = [p.label for p in predictions]
    if labels != [LABEL_NEGATIVE, LABEL_NOT_NEGATIVE]:
        raise SmokeFailure(f"wrong answers: {labels} for a clearly negative then a clearly positive tweet")
    return [{"label": p.label, "negative_probability": p.negative_probability} for p in predictions]


def check_refused_without_key(url: str, api_key: str) -> dict:
    """A valid request without the key gets a JSON 401 that says how to authenticate."""
    try:
        client(url).predict([NEGATIVE, POSITIVE])
        status, payload = 200, {}
    except ApiError as e:
        status, payload = e.status, e.payload
    if status != 401:
        raise SmokeFailure(f"a request without the API key got HTTP {status}, not 401: the API is open "
                           "(is AIRPARADIS_API_KEYS set on the Web App?)")
    if not payload:
        raise SmokeFailure("the 401 is not JSON")
    if api_key in str(payload) or "Authorization" not in str(payload.get("message")):
        raise SmokeFailure("the 401 does not say how to authenticate, or echoes the key")
    return payload


def check_bad_request(url: str, api_key: str | None = None) -> dict:
    """A request without ``Content-Type`` gets a 4xx JSON error that leaks nothing."""
    answer = client(url, api_key).send("POST", INVOCATIONS_PATH, data=b'{"dataframe_records": [{"text": "hi"}]}')
    if not 400 <= answer.status_code < 500:
        raise SmokeFailure(f"a request without Content-Type got HTTP {answer.status_code}, not a 4xx "
                           "(is the hardened API deployed?)")
    try:
        payload = answer.json()
    except ValueError:
        raise SmokeFailure(f"the 4xx error is not JSON: {answer.text[:200]}") from None
    if "Traceback" in answer.text or "stack_trace" in payload or not payload.get("message"):
        raise SmokeFailure(f"the 4xx error leaks internals or says nothing: {answer.text[:300]}")
    return payload


def worker_state(served: dict) -> str:
    """Whether the API's worker was restarted (a crash, a kill by the memory limit), as ``GET /version``
    reports it (the image's ``pyfunc/supervisor.py`` restarts the worker and counts)."""
    restarts = served.get("worker_restarts")
    if restarts is None:
        return "restarts not reported (an API older than the image's supervisor)"
    if int(restarts) == 0:
        return "not restarted"
    return f"restarted {restarts} time(s); the last worker died: {served.get('worker_last_exit')}"


def run(url: str, wait: float = 600.0, api_key: str | None = None) -> dict:
    """Every check; with ``api_key``, also that a request without it is refused."""
    url = url.rstrip("/")
    ready = wait_for_ping(url, wait)
    refused = {"refused_without_key": check_refused_without_key(url, api_key)} if api_key else {}
    served = check_version(url)
    return {"url": url, "ping_seconds": round(ready, 1), "served": served, "worker": worker_state(served), **refused,
            "predictions": check_prediction(url, api_key, served["model_version"], served["model_name"]),
            "bad_request": check_bad_request(url, api_key)}
