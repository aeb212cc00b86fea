"""The hardened prediction API: MLflow's own scoring server with a thin ASGI layer in front.

MLflow 3.17.2's scoring server (``mlflow.pyfunc.scoring_server``) stays the server: it parses the
request, enforces the signature and calls the model. This layer only closes the gaps measured in
front of it:

* no or a wrong ``Content-Type`` gave a 500 (``None.split``): here a 415 that says what to send;
* ``Content-Encoding`` was ignored (a body declared gzip was read as it came): here ``gzip`` is
  decompressed (its decompressed size bounded by ``MAX_BODY_BYTES``, so a gzip bomb gets a 413),
  a body that is not valid gzip gets a 400 and any other encoding a 415;
* no body size limit: here ``MAX_BODY_BYTES`` (announced or streamed), else 413;
* no row limit per request: here ``MAX_BATCH_ROWS`` rows (JSON envelope rows or CSV records),
  else a 413 that says how many requests to split the batch into (a Python call of the model
  has no row limit);
* an empty body, bad UTF-8, invalid JSON or a JSON that is not one of MLflow's four input
  envelopes: here a 400 that names the problem (MLflow echoed the whole body back);
* a JSON integer over Python's digit limit (``int`` max-str-digits) gave a plain-text 500: here
  a 400 that names it;
* error bodies from MLflow: the ``stack_trace`` field (CSV/Parquet parse errors carry one, with
  the server's file paths), the echoed input (``Failed to predict data '<whole input>'``) and
  the 2.0 protocol notice are removed, file paths are redacted and the message is bounded;
  any 5xx becomes a generic JSON 500 (the detail goes to the server log only);
* nothing said which model answered (once the ``production`` alias moves, a report would name the
  wrong one; MLflow's ``GET /version`` gives MLflow's version only): here every answer carries
  ``X-Model-Name`` / ``X-Model-Version`` and ``GET /version`` gives the served model's metadata
  (registered name and version from MLflow's ``registered_model_meta``, run, logged model id,
  approach) and MLflow's version.

The checks of a request live in :mod:`pyfunc.request_checks` (shared with the access layer,
:mod:`pyfunc.access`, that wraps this one); the limits in :mod:`pyfunc.names`. The layer travels
inside every logged model (``pyfunc/`` is its code), so the container runs the same code as the
model: ``uvicorn --factory pyfunc.serving:create_app`` with MLflow's own model path variable,
exactly as ``mlflow models serve`` runs ``mlflow.pyfunc.scoring_server.app:app``.
"""

from __future__ import annotations

import json
import logging
import os
import sys

from pyfunc import supervisor
from pyfunc.names import (
    MAX_BATCH_ROWS,
    MAX_BODY_BYTES,
    MODEL_NAME_HEADER,
    MODEL_VERSION_HEADER,
    UNREGISTERED,
    VERSION_PATH,
)
from pyfunc.request_checks import (
    EXAMPLE,
    RequestError,
    check_content_type,
    check_encoding,
    check_json,
    check_rows,
    check_utf8,
    clean_message,
    csv_rows,
    error_body,
    gunzip,
    too_large,
)

MODEL_PATH_ENV = "__pyfunc_model_path__"  # mlflow.pyfunc.scoring_server._SERVER_MODEL_PATH

logger = logging.getLogger("airparadis.serving")


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def served_model(model_path: str, model=None) -> dict:
    """What ``GET /version`` answers: the model's registered name and version (MLflow writes them in
    ``registered_model_meta`` when it downloads a ``models:/`` URI; ``unregistered`` otherwise),
    its run, logged model id and approach (from ``MLmodel``)."""
    info = {"model_name": UNREGISTERED, "model_version": UNREGISTERED}
    meta = os.path.join(model_path, "registered_model_meta")
    if os.path.isfile(meta):
        import yaml

        with open(meta) as f:
            registered = yaml.safe_load(f) or {}
        info = {"model_name": str(registered.get("model_name", UNREGISTERED)),
                "model_version": str(registered.get("model_version", UNREGISTERED))}
    metadata = getattr(model, "metadata", None)
    config = ((getattr(metadata, "flavors", None) or {}).get("python_function") or {}).get("config") or {}
    from mlflow.version import VERSION

    return {**info, "run_id": getattr(metadata, "run_id", None), "model_id": getattr(metadata, "model_id", None),
            "approach": config.get("approach"), "mlflow_version": VERSION, **worker_restarts()}


def worker_restarts() -> dict:
    """How many times the image's supervisor restarted this worker, and why the last one died
    (``pyfunc/supervisor.py`` sets them; 0 and None outside the image)."""
    return {"worker_restarts": int(os.environ.get(supervisor.RESTARTS_ENV, "0")),
            "worker_last_exit": os.environ.get(supervisor.LAST_EXIT_ENV)}


class HardenedApp:
    """ASGI middleware in front of MLflow's scoring app: ``POST /invocations`` is checked, every
    answer says which model gave it, ``GET /version`` tells the served model's metadata."""

    def __init__(self, app, max_body_bytes: int = MAX_BODY_BYTES, max_batch_rows: int = MAX_BATCH_ROWS,
                 model_info: dict | None = None):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_batch_rows = max_batch_rows
        self.model_info = model_info or {"model_name": UNREGISTERED, "model_version": UNREGISTERED}
        self._stamp = [(MODEL_NAME_HEADER.lower().encode(), str(self.model_info["model_name"]).encode()),
                       (MODEL_VERSION_HEADER.lower().encode(), str(self.model_info["model_version"]).encode())]

    def _stamped(self, send):
        """``send`` that adds the model headers to the response start."""
        async def stamped(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *self._stamp]}
            await send(message)
        return stamped

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            send = self._stamped(send)
            if scope["path"].rstrip("/") == VERSION_PATH and scope["method"] in ("GET", "HEAD"):
                return await _respond(send, 200, json.dumps(self.model_info).encode())
        if scope["type"] != "http" or scope["path"].rstrip("/") != "/invocations" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        try:
            media, body = await self._checked_body(scope, receive)
        except RequestError as e:
            return await _respond(send, e.status, error_body(e.code, e.message))
        # MLflow compares the media type case-sensitively: hand it the normalised one (charset checked),
        # and the body as it is now: decompressed, of a known length
        framing = (b"content-type", b"content-encoding", b"content-length", b"transfer-encoding")
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in framing]
        headers += [(b"content-type", media.encode()), (b"content-length", str(len(body)).encode())]
        await self._forward({**scope, "headers": headers}, body, send)

    async def _checked_body(self, scope, receive) -> tuple[str, bytes]:
        """The media type and the decoded body of an acceptable request, else :class:`RequestError`."""
        media = check_content_type(_header(scope, b"content-type"))
        encoding = check_encoding(_header(scope, b"content-encoding"))
        body = await self._read_body(scope, receive)
        if encoding == "gzip":
            body = gunzip(body, self.max_body_bytes)
        if not body:
            raise RequestError(400, "BAD_REQUEST", f"the body is empty; send {EXAMPLE}")
        text = check_utf8(body)
        check_rows(check_json(text) if media == "application/json" else csv_rows(text), self.max_batch_rows)
        return media, body

    async def _read_body(self, scope, receive) -> bytes:
        length = _header(scope, b"content-length")
        if length and length.isdigit() and int(length) > self.max_body_bytes:
            raise too_large(self.max_body_bytes)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise RequestError(400, "BAD_REQUEST", "the client disconnected")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise too_large(self.max_body_bytes)
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        return b"".join(chunks)

    async def _forward(self, scope, body: bytes, send) -> None:
        """Replay the body to MLflow's app; buffer and clean any error response it gives."""
        sent = False
        state = {"status": 200, "headers": [], "chunks": []}

        async def receive():
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message):
            if message["type"] == "http.response.start":
                state["status"], state["headers"] = message["status"], message.get("headers", [])
                if state["status"] < 400:
                    await send(message)
                return
            if state["status"] < 400:
                return await send(message)
            state["chunks"].append(message.get("body", b""))
            if not message.get("more_body"):
                await _respond(send, *_clean_error(state["status"], b"".join(state["chunks"])))
                state["done"] = True

        try:
            await self.app(scope, receive, capture)
        except Exception:  # the inner app failed before or after answering: never show why
            logger.exception("scoring server error")
            if not state.get("done") and state["status"] < 400 and not state["chunks"]:
                await _respond(send, 500, error_body("INTERNAL_ERROR", "internal error; the request was not processed"))


def _clean_error(status: int, raw: bytes) -> tuple[int, bytes]:
    if status >= 500:
        logger.error("scoring server answered %s: %s", status, raw[:2000])
        if status == 504:
            return 504, error_body("TIMEOUT", "the prediction took too long; send fewer rows")
        return 500, error_body("INTERNAL_ERROR", "internal error; the request was not processed")
    try:
        payload = json.loads(raw)
        code, message = payload.get("error_code", "BAD_REQUEST"), payload.get("message", "")
    except (ValueError, AttributeError):
        code, message = ("UNSUPPORTED_MEDIA_TYPE" if status == 415 else "BAD_REQUEST"), raw.decode("utf-8", "replace")
    return status, error_body(str(code), clean_message(message))


async def _respond(send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def create_app(model_uri: str | None = None):
    """Load the model as MLflow's server does and return its app behind the hardening layer
    (``uvicorn --factory pyfunc.serving:create_app``; the model comes from ``__pyfunc_model_path__``)."""
    from mlflow.pyfunc import scoring_server

    from pyfunc.access import protect  # API keys and per-client limits around this layer (pyfunc/access.py)

    uri = model_uri or os.environ[MODEL_PATH_ENV]
    if not os.path.isdir(uri):  # models:/, runs:/...: a local copy, with MLflow's registered_model_meta
        import mlflow.artifacts

        uri = mlflow.artifacts.download_artifacts(artifact_uri=uri)
    model = scoring_server.load_model_with_mlflow_config(uri)
    info = served_model(uri, model)
    return protect(scoring_server.init(model), lambda app: HardenedApp(app, model_info=info))


def command(host: str, port: int, workers: int | None = None) -> list[str]:
    """The server command: uvicorn running :func:`create_app`, as MLflow runs its own app."""
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "pyfunc.serving:create_app", "--host", host,
           "--port", str(port)]
    return cmd + (["--workers", str(workers)] if workers else [])


def environment(model_uri: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for :func:`command`: the model URI in MLflow's variable, this package importable."""
    from mlflow.environment_variables import MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT

    env = dict(os.environ if base is None else base)
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH")) if p)
    env[MODEL_PATH_ENV] = model_uri
    env.setdefault(MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT.name, str(MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT.get()))
    return env
