"""API keys and per-client limits (pyfunc/access.py) on the real hardened server.

uvicorn runs MLflow's scoring app for a real registered model behind the hardening layer and the
access layer, on 127.0.0.1, configured as the deployment would be (keys, one of them given as its
hash) with limits small enough to reach: no key or a wrong key gets a 401, the right one a
prediction; a burst over the limit gets a 429 with Retry-After and passes again after the wait;
the keys appear in no answer and no line of the server's log. The front-end's client and the CD
smoke check send the key, and the smoke check proves a request without it is refused.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from urllib.parse import urlsplit

import pytest
import requests

from airparadis import config
from tests.behaviour import CLEARLY_NEGATIVE, CLEARLY_POSITIVE
from tests.servers import hardened_serve, log_file

pytestmark = pytest.mark.slow

# a fresh key for each purpose: each key is its own client, with its own buckets
KEY, HASHED, BURST, ROWS, SMOKE = (secrets.token_urlsafe(32) for _ in range(5))
WRONG = KEY[:-1] + ("A" if KEY[-1] != "A" else "B")
SECRETS = (KEY, HASHED, BURST, ROWS, SMOKE, WRONG)
PER_SECOND, BURST_SIZE, ROWS_PER_MINUTE = 5, 30, 120
SERVER_ENV = {
    "AIRPARADIS_API_KEYS": ",".join([KEY, "sha256:" + hashlib.sha256(HASHED.encode()).hexdigest(), BURST, ROWS,
                                     SMOKE]),
    "AIRPARADIS_RATE_PER_SECOND": str(PER_SECOND), "AIRPARADIS_RATE_BURST": str(BURST_SIZE),
    "AIRPARADIS_ROWS_PER_MINUTE": str(ROWS_PER_MINUTE),
}
JSON = {"Content-Type": "application/json"}
TWEETS = {"dataframe_records": [{"text": t} for t in (CLEARLY_NEGATIVE[0], CLEARLY_POSITIVE[0])]}


def bearer(key: str) -> dict[str, str]:
    return {**JSON, "Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def keyed(simple_version, tracking_uri) -> str:
    with hardened_serve(f"models:/{config.settings().model_name}/{simple_version}", tracking_uri,
                        extra_env=SERVER_ENV) as url:
        yield url


def post(url: str, headers: dict[str, str], body=TWEETS) -> requests.Response:
    return requests.post(f"{url}/invocations", data=json.dumps(body), headers=headers, timeout=60)


def _no_secret_in(text: str) -> None:
    assert not [s for s in SECRETS if s in text]


def test_no_key_and_a_wrong_key_get_401_the_right_key_a_prediction(keyed):
    for headers, says in [(JSON, "needs a key"), ({**JSON, "Authorization": "Basic a2V5OmtleQ=="}, "needs a key"),
                          (bearer(WRONG), "not valid"), ({**JSON, "X-API-Key": WRONG}, "not valid")]:
        answer = post(keyed, headers)
        assert answer.status_code == 401, answer.text
        assert answer.headers["content-type"] == "application/json"
        assert answer.headers["www-authenticate"].startswith("Bearer")
        payload = answer.json()
        assert payload["error_code"] == "UNAUTHENTICATED" and says in payload["message"]
        assert "Authorization: Bearer <your key>" in payload["message"] and "X-API-Key" in payload["message"]
        _no_secret_in(answer.text)
    for headers in (bearer(KEY), {**JSON, "X-API-Key": KEY}, bearer(HASHED)):  # HASHED is configured as its hash
        answer = post(keyed, headers)
        assert answer.status_code == 200, answer.text
        assert [p["label"] for p in answer.json()["predictions"]] == ["negative", "not_negative"]


def test_the_key_is_checked_before_the_body_and_the_hardening_still_answers_after_it(keyed):
    no_type = {"Authorization": f"Bearer {KEY}"}
    assert requests.post(f"{keyed}/invocations", data=b"{}", timeout=30).status_code == 401  # not a 415
    answer = requests.post(f"{keyed}/invocations", data=json.dumps(TWEETS).encode(), headers=no_type, timeout=30)
    assert answer.status_code == 415 and "Content-Type" in answer.json()["message"]


def test_health_checks_answer_without_a_key_and_nothing_else_does(keyed):
    for path in ("/ping", "/health", "/version"):
        assert requests.get(f"{keyed}{path}", timeout=10).status_code == 200, path
    for path in ("/docs", "/openapi.json"):
        assert requests.get(f"{keyed}{path}", timeout=10).status_code == 401, path
        assert requests.get(f"{keyed}{path}", headers={"X-API-Key": KEY}, timeout=10).status_code == 200, path


def test_a_burst_over_the_limit_gets_429_with_retry_after_then_passes_after_the_wait(keyed):
    with requests.Session() as http:
        answers = [http.post(f"{keyed}/invocations", data=json.dumps(TWEETS), headers=bearer(BURST), timeout=30)
                   for _ in range(BURST_SIZE + 5)]
        statuses = [a.status_code for a in answers]
        assert statuses[:BURST_SIZE] == [200] * BURST_SIZE and 429 in statuses[BURST_SIZE:], statuses
        refused = answers[statuses.index(429)]
        assert refused.headers["content-type"] == "application/json"
        payload = refused.json()
        assert payload["error_code"] == "RATE_LIMITED"
        assert f"at most {PER_SECOND} per second (bursts of {BURST_SIZE})" in payload["message"]
        wait = int(refused.headers["Retry-After"])
        assert 1 <= wait <= 60 and f"retry after {wait} s" in payload["message"]
        _no_secret_in(refused.text)
        assert post(keyed, bearer(KEY)).status_code == 200  # another key: another client
        time.sleep(wait)
        assert http.post(f"{keyed}/invocations", data=json.dumps(TWEETS), headers=bearer(BURST),
                         timeout=30).status_code == 200


def test_rows_per_minute_are_bounded_too(keyed):
    batch = {"dataframe_records": [{"text": f"flight {i} was late again"} for i in range(ROWS_PER_MINUTE)]}
    assert post(keyed, bearer(ROWS), batch).status_code == 200  # a minute's worth of rows at once
    refused = post(keyed, bearer(ROWS))  # 2 more rows: a few seconds' worth
    assert refused.status_code == 429, refused.text
    assert f"at most {ROWS_PER_MINUTE} rows per minute, and this request holds 2" in refused.json()["message"]
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 60
    time.sleep(wait)
    assert post(keyed, bearer(ROWS)).status_code == 200


def test_the_front_end_client_sends_the_key(keyed):
    from apiclient.client import ApiError, PredictionClient

    (prediction,) = PredictionClient(keyed, api_key=KEY).predict([CLEARLY_NEGATIVE[0]])
    assert prediction.label == "negative"
    with pytest.raises(ApiError, match="needs a key. Set AIRPARADIS_API_KEY"):
        PredictionClient(keyed).predict([CLEARLY_NEGATIVE[0]])
    with pytest.raises(ApiError, match="the key sent is not valid") as error:
        PredictionClient(keyed, api_key=WRONG).predict([CLEARLY_NEGATIVE[0]])
    _no_secret_in(str(error.value))


def test_cd_smoke_check_sends_the_key_and_proves_a_request_without_it_is_refused(keyed, hardened_open, monkeypatch):
    from entrypoints import smoke
    from tests.conftest import invoke

    monkeypatch.setenv("AIRPARADIS_API_KEY", SMOKE)  # as CD passes it, from a secret
    code, out = invoke(smoke.main, "--url", keyed, "--wait", "30")
    assert code == 0 and "smoke test passed" in out, out
    assert '"refused_without_key"' in out and "UNAUTHENTICATED" in out
    _no_secret_in(out)
    code, out = invoke(smoke.main, "--url", hardened_open, "--wait", "30")  # an API open to anyone fails
    assert code == 1 and "got HTTP 200, not 401: the API is open" in out, out
    monkeypatch.delenv("AIRPARADIS_API_KEY")
    code, out = invoke(smoke.main, "--url", keyed, "--wait", "30")
    assert code == 1 and "the API needs a key; set AIRPARADIS_API_KEY" in out, out


@pytest.fixture(scope="module")
def hardened_open(simple_version, tracking_uri) -> str:
    """The same server with no key configured: nothing changes, anyone is answered."""
    with hardened_serve(f"models:/{config.settings().model_name}/{simple_version}", tracking_uri) as url:
        answers = [post(url, JSON).status_code for _ in range(BURST_SIZE + 5)]
        assert answers == [200] * (BURST_SIZE + 5)  # no limit either
        yield url


def test_no_key_ever_appears_in_the_server_log(keyed):
    """Last in the module, so that every request above, refused or answered, was logged by then."""
    assert post(keyed, bearer(WRONG)).status_code == 401
    assert post(keyed, {**JSON, "X-API-Key": KEY}, {"inputs": 5}).status_code == 400
    log = log_file(urlsplit(keyed).port).read_text(errors="replace")
    assert "access: 5 API key(s) required" in log
    assert "401 POST /invocations from address 127.0.0.1: a wrong key" in log  # refusals are logged ...
    _no_secret_in(log)  # ... and nothing holds a key
