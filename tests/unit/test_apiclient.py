"""The one client of the prediction API (apiclient/client.py) against a real HTTP server on
127.0.0.1 that answers what each test scripts: the key is sent, batches stay under the limit, a
429/503 is retried after the wait its Retry-After asks for (capped), and every failure is an
ApiError with a plain message."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from apiclient.client import ApiError, PredictionClient
from pyfunc.names import API_KEY_ENV, INVOCATIONS_PATH, MODEL_VERSION_HEADER


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Script:
    """What the server answers, one entry per request (the last one repeats), and what it saw."""

    def __init__(self):
        self.answers: list[tuple[int, dict, dict]] = [(200, {}, {})]
        self.seen: list[dict] = []  # per request: server-side arrival time, path, headers, body


@pytest.fixture
def api():
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, body: bytes):
            script.seen.append({"at": time.monotonic(), "path": self.path, "headers": dict(self.headers),
                                "body": json.loads(body) if body else None})
            status, headers, payload = script.answers[min(len(script.seen), len(script.answers)) - 1]
            if status == 200 and self.path == INVOCATIONS_PATH and not payload:
                rows = script.seen[-1]["body"]["dataframe_records"]
                payload = {"predictions": [{"label": "negative" if "late" in r["text"] else "not_negative",
                                            "negative_probability": 0.9 if "late" in r["text"] else 0.1}
                                           for r in rows]}
            data = json.dumps(payload).encode()
            self.send_response(status)
            for key, value in {"Content-Type": "application/json", "Content-Length": str(len(data)),
                               **headers}.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802
            self._answer(b"")

        def do_POST(self):  # noqa: N802
            self._answer(self.rfile.read(int(self.headers.get("Content-Length", 0))))

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    script.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield script
    finally:
        server.shutdown()
        server.server_close()


def test_a_429_is_retried_after_the_wait_it_asks_for_and_then_succeeds(api):
    api.answers = [(429, {"Retry-After": "1"}, {"message": "too many requests; retry after 1 s"}), (200, {}, {})]
    predictions = PredictionClient(api.url).predict(["flight late again", "lovely crew"])
    assert [p.label for p in predictions] == ["negative", "not_negative"]
    first, second = api.seen
    assert second["at"] - first["at"] >= 0.95  # the server saw the retry only after Retry-After
    assert first["body"] == second["body"]


def test_a_429_past_the_attempts_is_a_clear_error(api):
    api.answers = [(429, {"Retry-After": "1"}, {"message": "at most 2 per second"})]
    with pytest.raises(ApiError, match=r"receiving too much from this client \(HTTP 429, 2 attempts\): at most 2 "
                                       r"per second; try again in 1 s") as error:
        PredictionClient(api.url, attempts=2).predict(["late"])
    assert error.value.status == 429 and len(api.seen) == 2


def test_a_long_retry_after_is_capped(api):
    api.answers = [(503, {"Retry-After": "3600"}, {"message": "starting"}), (200, {}, {})]
    (prediction,) = PredictionClient(api.url, max_wait=1).predict(["late"])
    assert prediction.label == "negative"
    assert len(api.seen) == 2 and api.seen[1]["at"] - api.seen[0]["at"] >= 0.95  # waited the cap, not an hour
    api.seen, api.answers = [], [(503, {}, {"message": "starting"})]
    with pytest.raises(ApiError, match=r"failed \(HTTP 503, 3 attempts\): starting"):
        PredictionClient(api.url, max_wait=1).predict(["late"])
    assert len(api.seen) == 3


def test_401_names_the_key_variable_and_the_key_is_sent(api):
    api.answers = [(401, {"WWW-Authenticate": "Bearer"}, {"message": "send 'Authorization: Bearer <your key>'"})]
    with pytest.raises(ApiError, match=f"it needs a key. Set {API_KEY_ENV} to the API's key") as error:
        PredictionClient(api.url).predict(["late"])
    assert error.value.status == 401 and "Authorization" in error.value.payload["message"] and len(api.seen) == 1
    with pytest.raises(ApiError, match=f"the key sent is not valid. Set {API_KEY_ENV}") as error:
        PredictionClient(api.url, api_key="k" * 32).predict(["late"])
    assert "k" * 32 not in str(error.value)
    assert api.seen[-1]["headers"]["Authorization"] == "Bearer " + "k" * 32
    assert "Authorization" not in api.seen[0]["headers"]


@pytest.mark.parametrize(("status", "says"), [
    (400, "The API refused the input: bad rows"),
    (403, r"forbids this request \(HTTP 403\): bad rows"),
    (413, r"too large for the API \(HTTP 413: bad rows\); send at most 10000 texts"),
    (415, r"cannot read this kind of request \(HTTP 415\): bad rows"),
    (422, "The API refused the input: bad rows"),
    (500, r"failed \(HTTP 500\): bad rows"),
])
def test_each_status_is_a_plain_message_and_only_429_and_503_are_retried(api, status, says):
    api.answers = [(status, {}, {"error_code": "X", "message": "bad rows"})]
    with pytest.raises(ApiError, match=says) as error:
        PredictionClient(api.url).predict(["late"])
    assert error.value.status == status and len(api.seen) == 1


def test_batches_stay_under_the_limit_and_keep_the_order(api):
    api.answers = [(200, {MODEL_VERSION_HEADER: "7"}, {})]
    texts = [f"tweet {i}" + (" late" if i % 3 == 0 else "") for i in range(25)]
    predictions = PredictionClient(api.url, batch_rows=10).predict(texts)
    assert [len(s["body"]["dataframe_records"]) for s in api.seen] == [10, 10, 5]
    assert [p.text for p in predictions] == texts and predictions[0].model_version == "7"
    assert [p.label == "negative" for p in predictions] == [i % 3 == 0 for i in range(25)]
    assert PredictionClient(api.url).predict([]) == [] and len(api.seen) == 3


def test_a_wrong_answer_and_an_unreachable_api_are_errors_too(api):
    api.answers = [(200, {}, {"predictions": [{"label": "angry", "negative_probability": 0.5}]})]
    with pytest.raises(ApiError, match="unknown label"):
        PredictionClient(api.url).predict(["late"])
    api.answers = [(200, {}, {"predictions": []})]
    with pytest.raises(ApiError, match="not a sentiment prediction"):
        PredictionClient(api.url).predict(["late"])
    with pytest.raises(ApiError, match="is not reachable .*make serve") as error:
        PredictionClient(f"http://127.0.0.1:{free_port()}", attempts=2).predict(["late"])
    assert error.value.status is None


def test_ping_and_the_served_model(api):
    api.answers = [(200, {}, {"model_name": "air-paradis-sentiment", "model_version": "7"})]
    client = PredictionClient(api.url)
    client.ping()
    assert client.served_model()["model_version"] == "7"
    assert [s["path"] for s in api.seen] == ["/ping", "/version"]
    api.answers = [(404, {}, {})]
    with pytest.raises(ApiError, match=r"/version does not say which model is served \(HTTP 404\)"):
        client.served_model()
    with pytest.raises(ApiError, match="answered HTTP 404 to /ping"):
        client.ping()
