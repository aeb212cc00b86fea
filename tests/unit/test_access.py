"""Access control of the prediction API (pyfunc/access.py) as ASGI code, with a fake clock.

The layers run in front of the real hardening layer (pyfunc/serving.py) and a stand-in for MLflow's
app that answers 200; the real server is in tests/integration/test_access.py."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass

import pytest

from pyfunc import access
from pyfunc.access import AccessConfigError, AccessControl, AccessSettings, Limits, protect, read_settings
from pyfunc.names import MAX_BATCH_ROWS
from pyfunc.serving import HardenedApp

KEY = "k3y-for-the-tests-0123456789abcdef"
OTHER = "another-key-for-the-tests-987654321"
JSON = {"content-type": "application/json"}


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Model:
    """Stands in for MLflow's app: 200 and the body's length; remembers what reached it."""

    def __init__(self):
        self.calls = []

    async def __call__(self, scope, receive, send):
        message = await receive() if scope["method"] == "POST" else {"body": b""}
        self.calls.append((scope["path"], message.get("body", b"")))
        body = json.dumps({"predictions": [], "bytes": len(message.get("body", b""))}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


def call(app, path="/invocations", method="POST", headers=None, body=b"", client=("203.0.113.9", 5555)) -> Answer:
    scope = {"type": "http", "method": method, "path": path, "client": client,
             "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]}
    inbox = [{"type": "http.request", "body": body, "more_body": False}]
    sent = []

    async def receive():
        return inbox.pop(0) if inbox else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    return Answer(start["status"], {k.decode(): v.decode() for k, v in start["headers"]},
                  b"".join(m.get("body", b"") for m in sent[1:]))


def tweets(n: int) -> bytes:
    return json.dumps({"dataframe_records": [{"text": f"tweet {i}"} for i in range(n)]}).encode()


def settings(keys=(KEY,), per_second=1.0, burst=3, rows_per_minute=0, max_clients=100, header=None):
    limits = Limits(per_second, burst, rows_per_minute, max_clients) if per_second else None
    return AccessSettings(tuple(access.key_hash(k) for k in keys), limits, header)


def app_with(clock=None, **kwargs):
    model = Model()
    return protect(model, HardenedApp, settings(**kwargs), clock or Clock()), model


# --- settings ----------------------------------------------------------------------------------
def test_no_key_configured_changes_nothing():
    assert not read_settings({}).active
    model = Model()
    app = protect(model, HardenedApp, read_settings({}))
    assert type(app) is HardenedApp and app.app is model
    assert call(app, body=tweets(1), headers=JSON).status == 200


def test_keys_and_their_hashes_are_read_and_limits_follow_them():
    hashed = "sha256:" + hashlib.sha256(OTHER.encode()).hexdigest()
    s = read_settings({"AIRPARADIS_API_KEYS": f" {KEY} , {hashed.upper().replace('SHA256', 'sha256')},"})
    assert s.key_hashes == (access.key_hash(KEY), access.key_hash(OTHER))
    defaults = {v: d for v, d, _ in access.rows()}
    assert s.limits == Limits(float(defaults["AIRPARADIS_RATE_PER_SECOND"]), int(defaults["AIRPARADIS_RATE_BURST"]),
                              int(defaults["AIRPARADIS_ROWS_PER_MINUTE"]), int(defaults["AIRPARADIS_RATE_CLIENTS"]))
    assert read_settings({"AIRPARADIS_API_KEYS": KEY, "AIRPARADIS_RATE_LIMIT": "off"}).limits is None
    on = read_settings({"AIRPARADIS_RATE_LIMIT": "on", "AIRPARADIS_RATE_PER_SECOND": "0.5",
                        "AIRPARADIS_CLIENT_IP_HEADER": "X-Forwarded-For"})
    assert on.active and not on.key_hashes and on.limits.per_second == 0.5
    assert on.client_ip_header == "x-forwarded-for"


@pytest.mark.parametrize("variable,value,message", [
    ("AIRPARADIS_API_KEYS", "short-key", "entry 1: a key is at least 16"),
    ("AIRPARADIS_API_KEYS", f"{KEY},with a space inside it!", "entry 2: a key is at least 16"),
    ("AIRPARADIS_API_KEYS", "sha256:abc123", "entry 1: a hash is 'sha256:' and 64"),
    ("AIRPARADIS_RATE_LIMIT", "sometimes", "must be auto, on or off"),
    ("AIRPARADIS_RATE_PER_SECOND", "fast", "must be a number"),
    ("AIRPARADIS_RATE_BURST", "0", "must be at least 1"),
    ("AIRPARADIS_ROWS_PER_MINUTE", "-1", "must be at least 0"),
    ("AIRPARADIS_CLIENT_IP_HEADER", "X Forwarded", "must be a header name"),
])
def test_a_bad_value_names_its_variable_and_never_a_key(variable, value, message):
    environ = {"AIRPARADIS_API_KEYS": KEY, variable: value}
    with pytest.raises(AccessConfigError, match=message) as error:
        read_settings(environ)
    assert variable in str(error.value)
    if variable == "AIRPARADIS_API_KEYS":
        assert KEY not in str(error.value) and value not in str(error.value)


def test_show_config_counts_the_keys_and_hash_gives_what_to_configure(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(access.__file__).rsplit("/pyfunc/", 1)[0],
           "AIRPARADIS_API_KEYS": f"{KEY},{OTHER}"}
    shown = subprocess.run([sys.executable, "-m", "pyfunc.access", "show-config"], env=env, capture_output=True,
                           text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert KEY not in shown.stdout + shown.stderr and OTHER not in shown.stdout
    assert "2 set" in shown.stdout and "per client" in shown.stdout
    hashed = subprocess.run([sys.executable, "-m", "pyfunc.access", "hash"], input=KEY + "\n", env=env,
                            capture_output=True, text=True, timeout=120)
    assert hashed.stdout.strip() == "sha256:" + hashlib.sha256(KEY.encode()).hexdigest()
    assert read_settings({"AIRPARADIS_API_KEYS": hashed.stdout.strip()}).key_hashes == (access.key_hash(KEY),)


# --- keys --------------------------------------------------------------------------------------
def test_the_right_key_passes_in_either_header():
    app, model = app_with(per_second=0)
    for headers in ({"Authorization": f"Bearer {KEY}"}, {"Authorization": f"bearer  {KEY} "}, {"X-API-Key": KEY}):
        assert call(app, body=tweets(1), headers={**JSON, **headers}).status == 200, headers
    assert len(model.calls) == 3


@pytest.mark.parametrize("headers,wrong", [
    ({}, False), ({"Authorization": "Basic dXNlcjpwYXNz"}, False), ({"Authorization": "Bearer "}, False),
    ({"Authorization": f"Bearer {OTHER}"}, True), ({"X-API-Key": KEY[:-1]}, True), ({"X-API-Key": KEY + "x"}, True),
])
def test_a_missing_or_wrong_key_gets_a_401_that_says_how_and_never_echoes(headers, wrong):
    app, model = app_with(per_second=0)
    answer = call(app, body=tweets(1), headers={**JSON, **headers})
    assert answer.status == 401 and answer.headers["content-type"] == "application/json"
    payload = answer.json()
    assert payload["error_code"] == "UNAUTHENTICATED"
    assert "Authorization: Bearer <your key>" in payload["message"] and "X-API-Key" in payload["message"]
    assert ("not valid" in payload["message"]) is wrong
    assert answer.headers["www-authenticate"].startswith("Bearer realm=")
    assert not [secret for secret in (KEY, KEY[:-1], OTHER, "dXNlcjpwYXNz") if secret in answer.body.decode()]
    assert not model.calls  # nothing reached the model, not even the hardening layer's parsing


def test_health_checks_stay_open_and_every_other_path_needs_the_key():
    app, model = app_with(per_second=0)
    for path in ("/ping", "/health", "/version", "/ping/"):
        assert call(app, path=path, method="GET").status == 200, path
    for path in ("/docs", "/openapi.json", "/invocations", "/"):
        assert call(app, path=path, method="GET").status == 401, path


def test_every_configured_key_is_compared_even_after_a_match(monkeypatch):
    seen = []
    real = access.hmac.compare_digest
    monkeypatch.setattr(access.hmac, "compare_digest", lambda a, b: seen.append(1) or real(a, b))
    hashes = tuple(access.key_hash(k) for k in (KEY, OTHER, KEY + "2"))
    assert access.match_key(KEY, hashes) == 0 and len(seen) == 3
    assert access.match_key("nope", hashes) is None and len(seen) == 6


# --- limits ------------------------------------------------------------------------------------
def test_a_burst_over_the_limit_gets_429_with_retry_after_then_passes_after_the_wait():
    clock = Clock()
    app, model = app_with(clock, per_second=0.5, burst=3)
    bearer = {**JSON, "Authorization": f"Bearer {KEY}"}
    assert [call(app, body=tweets(1), headers=bearer).status for _ in range(3)] == [200, 200, 200]
    refused = call(app, body=tweets(1), headers=bearer)
    assert refused.status == 429 and refused.headers["retry-after"] == "2"
    assert refused.json()["error_code"] == "RATE_LIMITED"
    assert "at most 0.5 per second (bursts of 3)" in refused.json()["message"]
    assert "retry after 2 s" in refused.json()["message"] and KEY not in refused.body.decode()
    clock.now += 1.9
    assert call(app, body=tweets(1), headers=bearer).status == 429
    clock.now += 0.1
    assert call(app, body=tweets(1), headers=bearer).status == 200
    assert len(model.calls) == 4


def test_each_key_and_each_address_has_its_own_bucket():
    clock = Clock()
    app, _ = app_with(clock, keys=(KEY, OTHER), per_second=1, burst=1)
    assert call(app, body=tweets(1), headers={**JSON, "X-API-Key": KEY}).status == 200
    assert call(app, body=tweets(1), headers={**JSON, "X-API-Key": KEY}, client=("198.51.100.7", 1)).status == 429
    assert call(app, body=tweets(1), headers={**JSON, "X-API-Key": OTHER}).status == 200
    # without a (valid) key: the address's bucket, spent even by refused requests
    assert call(app, path="/ping", method="GET").status == 200
    assert call(app, body=tweets(1), headers=JSON).status == 429
    assert call(app, path="/ping", method="GET", client=("198.51.100.7", 1)).status == 200


def test_rows_per_minute_are_bounded_and_a_batch_over_the_bucket_waits_for_a_full_one():
    clock = Clock()
    app, model = app_with(clock, per_second=100, burst=100, rows_per_minute=60)
    key = {**JSON, "X-API-Key": KEY}
    assert call(app, body=tweets(50), headers=key).status == 200
    refused = call(app, body=tweets(20), headers=key)  # 10 rows left: 10 more take 10 s at 1 row/s
    assert refused.status == 429 and refused.headers["retry-after"] == "10", refused.headers
    assert refused.json()["error_code"] == "RATE_LIMITED" and "holds 20" in refused.json()["message"]
    assert "at most 60 rows per minute" in refused.json()["message"]
    clock.now += 10
    csv = ("text\n" + "\n".join(f'"tweet\n{i}"' for i in range(20))).encode()  # rows, not lines
    assert call(app, body=csv, headers={"content-type": "text/csv", "X-API-Key": KEY}).status == 200
    clock.now += 60
    assert call(app, body=tweets(100), headers=key).status == 200  # more than a minute's worth, bucket full
    assert call(app, body=tweets(1), headers=key).status == 429  # ... which leaves it in debt
    assert [len(json.loads(b)["dataframe_records"]) for _, b in model.calls if b.startswith(b"{")] == [50, 100]


def test_a_refused_request_costs_no_rows_and_a_bad_one_never_reaches_the_row_count():
    app, model = app_with(per_second=100, burst=100, rows_per_minute=MAX_BATCH_ROWS)
    key = {**JSON, "X-API-Key": KEY}
    assert call(app, body=b"not json", headers=key).status == 400
    assert call(app, body=tweets(MAX_BATCH_ROWS + 1), headers=key).status == 413
    assert call(app, body=tweets(MAX_BATCH_ROWS), headers=key).status == 200
    assert not [c for c in model.calls if c[1] == b"not json"]


def test_the_address_comes_from_the_configured_header_only():
    headers = {"x-forwarded-for": "192.0.2.1, 198.51.100.20:61000"}
    scope = {"client": ("10.1.2.3", 4444), "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}
    assert access.client_address(scope, None) == "10.1.2.3"
    assert access.client_address(scope, "x-forwarded-for") == "198.51.100.20"  # the entry the proxy wrote
    assert access.client_address(scope, "x-client-ip") == "10.1.2.3"  # configured but absent
    for value, address in [("[2001:db8::1]:443", "2001:db8::1"), ("2001:db8::2", "2001:db8::2"),
                           ("203.0.113.4", "203.0.113.4")]:
        assert access.client_address({"headers": [(b"x-client-ip", value.encode())]}, "x-client-ip") == address


def test_a_spoofed_forwarded_for_is_ignored_unless_configured():
    for header, expected in ((None, [200, 429]), ("x-forwarded-for", [200, 200])):
        app, _ = app_with(keys=(), per_second=1, burst=1, header=header)
        statuses = [call(app, path="/ping", method="GET", headers={"X-Forwarded-For": f"192.0.2.{i}"}).status
                    for i in range(2)]
        assert statuses == expected, header


def test_memory_stays_bounded_when_many_clients_come_and_go():
    clock = Clock()
    app, _ = app_with(clock, keys=(), per_second=1, burst=1, max_clients=50)
    assert isinstance(app, AccessControl)
    for i in range(2000):
        call(app, path="/ping", method="GET", client=(f"10.0.{i // 250}.{i % 250}", 1))
    assert app.limiter.clients == 50
    # the most recent ones are remembered (and limited), the oldest forgotten
    assert call(app, path="/ping", method="GET", client=("10.0.7.249", 1)).status == 429
    assert call(app, path="/ping", method="GET", client=("10.0.0.0", 1)).status == 200
