"""CD's smoke check (airparadis/release/smoke.py) against a stub API: the deployed API must name the
registered model and version it serves (issue 11, item 7), not "unregistered"."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from airparadis.release import smoke
from pyfunc.names import MODEL_NAME_HEADER, MODEL_VERSION_HEADER, UNREGISTERED, VERSION_PATH

PREDICTIONS = {"predictions": [{"label": "negative", "negative_probability": 0.9},
                               {"label": "not_negative", "negative_probability": 0.1}]}


@pytest.fixture
def stub():
    """A stub API whose ``/version`` answers ``served`` (a dict) and whose predictions carry
    ``headers``: set both on the returned object before calling it."""
    class State:
        served: dict = {}
        headers: dict = {}

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, payload: dict, headers: dict | None = None) -> None:
            body = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802
            self._answer(State.served if self.path == VERSION_PATH else {})

        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self._answer(PREDICTIONS, State.headers)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    State.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield State
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("served,message", [
    ({"model_name": UNREGISTERED, "model_version": UNREGISTERED}, "names no registered model"),
    ({"model_name": "", "model_version": "3"}, "names no registered model"),
    ({"model_name": "air-paradis-sentiment", "model_version": UNREGISTERED}, "names no registered version"),
    ({"model_name": "air-paradis-sentiment", "model_version": "production"}, "not a number"),
    ({"model_name": "air-paradis-sentiment", "model_version": None}, "names no registered version"),
])
def test_version_must_name_a_registered_model_and_version(stub, served, message):
    stub.served = served
    with pytest.raises(smoke.SmokeFailure, match=message) as failure:
        smoke.check_version(stub.url)
    assert "registered_model_meta" in str(failure.value)  # says what the image lacks


def test_a_registered_version_passes_and_the_headers_must_agree(stub):
    stub.served = {"model_name": "air-paradis-sentiment", "model_version": "7", "run_id": "r"}
    assert smoke.check_version(stub.url)["model_version"] == "7"
    stub.headers = {MODEL_NAME_HEADER: "air-paradis-sentiment", MODEL_VERSION_HEADER: "7"}
    assert len(smoke.check_prediction(stub.url, version="7", name="air-paradis-sentiment")) == 2
    stub.headers = {MODEL_NAME_HEADER: "air-paradis-sentiment", MODEL_VERSION_HEADER: UNREGISTERED}
    with pytest.raises(smoke.SmokeFailure, match=f"{MODEL_VERSION_HEADER}"):
        smoke.check_prediction(stub.url, version="7", name="air-paradis-sentiment")
    stub.headers = {MODEL_NAME_HEADER: "other-model", MODEL_VERSION_HEADER: "7"}
    with pytest.raises(smoke.SmokeFailure, match=f"{MODEL_NAME_HEADER}"):
        smoke.check_prediction(stub.url, version="7", name="air-paradis-sentiment")
