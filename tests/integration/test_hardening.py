"""The hardened prediction API (pyfunc/serving.py) against a corpus of bad requests.

A real server: uvicorn running MLflow's scoring app for a real registered model behind the
hardening layer, on 127.0.0.1. Every bad request gets a 4xx JSON answer with a clear message,
no stack trace, no server path and no echo of the input; then valid requests still work and
answer exactly what `mlflow models serve` answers for them.
"""

from __future__ import annotations

import gzip
import json
import sys

import pytest
import requests

from airparadis import config
from pyfunc.contract import MAX_ERROR_MESSAGE_CHARS
from pyfunc.names import MAX_BATCH_ROWS, MAX_BODY_BYTES, MAX_TEXT_CHARS
from pyfunc.request_checks import clean_message
from tests.behaviour import CLEARLY_NEGATIVE, CLEARLY_POSITIVE
from tests.servers import hardened_serve

JSON = {"Content-Type": "application/json"}
ROWS = lambda *values: json.dumps({"dataframe_records": [{"text": v} for v in values]})  # noqa: E731
OVER = ["ok"] * (MAX_BATCH_ROWS + 1)  # one row over the request limit
SPLIT_ADVICE = [f"holds {MAX_BATCH_ROWS + 1} rows", f"send at most {MAX_BATCH_ROWS} rows per request",
                "split the batch into 2 requests"]
LONG_NUMBER = '{"dataframe_records": [{"text": ' + "9" * 5000 + "}]}"


def _chunks(total: int, size: int = 1 << 20):
    while total > 0:
        yield b" " * min(size, total)
        total -= size


# (name, content type or None for no header, body, expected status, words the message must hold)
CORPUS = [
    ("no content type", None, ROWS("hi"), 415, ["Content-Type", "application/json"]),
    ("text/plain", "text/plain", "hi", 415, ["unsupported Content-Type"]),
    ("xml", "application/xml", "<text>hi</text>", 415, ["accepted"]),
    ("form", "application/x-www-form-urlencoded", "text=hi", 415, ["accepted"]),
    ("multipart", "multipart/form-data; boundary=x", "--x--", 415, ["accepted"]),
    ("parquet", "application/vnd.apache.parquet", "PAR1", 415, ["accepted"]),
    ("latin-1 charset", "application/json; charset=latin-1", ROWS("hi"), 415, ["UTF-8"]),
    ("unknown parameter", "application/json; boundary=x", ROWS("hi"), 415, ["parameter(s) boundary"]),
    ("empty body", "application/json", "", 400, ["empty"]),
    ("not json", "application/json", "nope", 400, ["not valid JSON"]),
    ("truncated json", "application/json", '{"dataframe_records": [', 400, ["not valid JSON"]),
    ("bad utf-8", "application/json", b'{"dataframe_records": [{"text": "\xff\xfe"}]}', 400, ["UTF-8"]),
    ("json list", "application/json", "[1, 2]", 400, ["must be an object", "array"]),
    ("json null", "application/json", "null", 400, ["must be an object", "null"]),
    ("json number", "application/json", "5", 400, ["must be an object"]),
    ("json string", "application/json", '"I hate delays"', 400, ["must be an object"]),
    ("empty object", "application/json", "{}", 400, ["exactly one of", "found none"]),
    ("bare text key", "application/json", '{"text": "hi"}', 400, ["exactly one of"]),
    ("two envelopes", "application/json", '{"dataframe_records": [{"text": "a"}], "inputs": ["a"]}', 400,
     ["exactly one of"]),
    ("no rows", "application/json", '{"dataframe_records": []}', 400, ["no rows"]),
    ("null envelope", "application/json", '{"instances": null}', 400, ["no rows"]),
    ("records not a list", "application/json", '{"dataframe_records": "abc"}', 400, ["list of records"]),
    ("split not a frame", "application/json", '{"dataframe_split": {"data": 5}}', 400, ["split"]),
    ("split wrong width", "application/json", '{"dataframe_split": {"columns": ["text"], "data": [["a", "b"]]}}',
     400, ["columns"]),
    ("wrong column", "application/json", '{"dataframe_records": [{"txt": "a"}]}', 400, ["signature", "text"]),
    ("number input", "application/json", '{"inputs": 5}', 400, ["signature"]),
    ("text null", "application/json", ROWS(None), 400, ["text", "row(s) 0"]),
    ("text NaN", "application/json", '{"dataframe_records": [{"text": NaN}]}', 400, ["text", "row(s) 0"]),
    ("text empty", "application/json", ROWS(""), 400, ["empty"]),
    ("text blank", "application/json", ROWS("   \n\t"), 400, ["empty"]),
    ("text number", "application/json", ROWS(5), 400, ["must be a string", "int"]),
    ("text boolean", "application/json", ROWS(True), 400, ["must be a string", "bool"]),
    ("text list", "application/json", ROWS(["a", "b"]), 400, ["must be a string", "list"]),
    ("text object", "application/json", ROWS({"a": 1}), 400, ["must be a string", "dict"]),
    ("one good one bad row", "application/json", ROWS("fine tweet", 3), 400, ["row(s) 1"]),
    ("1 MB text", "application/json", ROWS("x" * 1_000_000), 400, [f"longer than {MAX_TEXT_CHARS}"]),
    ("number too long", "application/json", LONG_NUMBER, 400, ["number too long"]),
    ("too many records", "application/json", ROWS(*OVER), 413, SPLIT_ADVICE),
    ("too many split rows", "application/json", json.dumps({"dataframe_split": {"columns": ["text"],
     "data": [[t] for t in OVER]}}), 413, SPLIT_ADVICE),
    ("too many instances", "application/json", json.dumps({"instances": OVER}), 413, SPLIT_ADVICE),
    ("too long an input column", "application/json", json.dumps({"inputs": {"text": OVER}}), 413, SPLIT_ADVICE),
    ("too many csv rows", "text/csv", "text\n" + "\n".join(OVER), 413, SPLIT_ADVICE),
    ("deep nesting", "application/json", '{"dataframe_records": ' + "[" * 200_000 + "]" * 200_000 + "}", 400,
     ["nested too deeply"]),
    ("body over the limit", "application/json", b" " * (MAX_BODY_BYTES + 1), 413, [str(MAX_BODY_BYTES)]),
    ("chunked body over the limit", "application/json", "chunked", 413, [str(MAX_BODY_BYTES)]),
    ("broken csv", "text/csv", 'text\n"unterminated', 400, ["CSV"]),
    ("csv bad utf-8", "text/csv", b"text\n\xff\xfe I hate delays", 400, ["UTF-8"]),
    ("csv wrong column", "text/csv", "tweet\nhello", 400, ["signature", "text"]),
]


@pytest.fixture(scope="module")
def hardened(simple_version, tracking_uri) -> str:
    with hardened_serve(f"models:/{config.settings().model_name}/{simple_version}", tracking_uri) as url:
        yield url


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 30 and len({c[0] for c in CORPUS}) == len(CORPUS)


def _leaks(text: str, session_dir) -> list[str]:
    markers = ["Traceback", 'File "', "site-packages", "stack_trace", str(config.ROOT), str(session_dir),
               sys.prefix, "/opt/ml", "Failed to predict data", "IMPORTANT: The MLflow"]
    return [m for m in markers if m in text]


@pytest.mark.slow
@pytest.mark.parametrize("name,content_type,body,status,words", CORPUS, ids=[c[0] for c in CORPUS])
def test_bad_request_gets_a_clear_4xx(hardened, session_dir, name, content_type, body, status, words):
    headers = {"Content-Type": content_type} if content_type else {}
    data = _chunks(MAX_BODY_BYTES + 1) if body == "chunked" else body
    if content_type is None:  # requests adds no Content-Type for a str/bytes body: check it stays so
        data = body.encode()
    answer = requests.post(f"{hardened}/invocations", data=data, headers=headers, timeout=60)
    _assert_clear_error(answer, status, words, session_dir)


def _assert_clear_error(answer, status, words, session_dir):
    assert answer.status_code == status, answer.text[:500]
    assert answer.headers["content-type"].startswith("application/json")
    payload = answer.json()
    assert set(payload) == {"error_code", "message"}, payload
    message = payload["message"]
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert 0 < len(message) <= MAX_ERROR_MESSAGE_CHARS
    assert len(answer.content) < MAX_ERROR_MESSAGE_CHARS + 200  # never echoes the input
    assert not _leaks(answer.text, session_dir), answer.text


GOOD = ROWS(*CLEARLY_NEGATIVE, *CLEARLY_POSITIVE).encode()
ACCEPTED = ["one of gzip, identity"]
# (name, Content-Encoding, body, expected status, words the message must hold)
ENCODED = [
    ("false gzip", "gzip", GOOD, 400, ["declared Content-Encoding: gzip but is not valid gzip"]),
    ("truncated gzip", "gzip", gzip.compress(GOOD)[:-8], 400, ["not valid gzip"]),
    ("gzip then junk", "gzip", gzip.compress(GOOD) + b"junk", 400, ["not valid gzip"]),
    ("gzip bomb", "gzip", gzip.compress(b" " * 50_000_000), 413, [str(MAX_BODY_BYTES), "once decompressed"]),
    ("gzip of nothing", "gzip", gzip.compress(b""), 400, ["empty"]),
    ("gzip of too many rows", "gzip", gzip.compress(ROWS(*OVER).encode()), 413, SPLIT_ADVICE),
    ("gzip of a long number", "gzip", gzip.compress(LONG_NUMBER.encode()), 400, ["number too long"]),
    ("deflate", "deflate", GOOD, 415, ACCEPTED),
    ("br", "br", GOOD, 415, ACCEPTED),
    ("unknown encoding", "x-foo", GOOD, 415, ["x-foo", *ACCEPTED]),
    ("two encodings", "gzip, gzip", gzip.compress(gzip.compress(GOOD)), 415, ACCEPTED),
]


@pytest.mark.slow
@pytest.mark.parametrize("name,encoding,body,status,words", ENCODED, ids=[c[0] for c in ENCODED])
def test_bad_content_encoding_gets_a_clear_4xx(hardened, session_dir, name, encoding, body, status, words):
    headers = {**JSON, "Content-Encoding": encoding}
    answer = requests.post(f"{hardened}/invocations", data=body, headers=headers, timeout=60)
    _assert_clear_error(answer, status, words, session_dir)


@pytest.mark.slow
def test_gzip_body_gets_the_answer_of_the_plain_body(hardened):
    plain = requests.post(f"{hardened}/invocations", data=GOOD, headers=JSON, timeout=30)
    assert plain.status_code == 200, plain.text
    labels = [p["label"] for p in plain.json()["predictions"]]
    assert labels == ["negative"] * len(CLEARLY_NEGATIVE) + ["not_negative"] * len(CLEARLY_POSITIVE)
    half = len(GOOD) // 2
    for encoding, body in [("gzip", gzip.compress(GOOD)), ("GZIP", gzip.compress(GOOD)),
                           ("gzip", gzip.compress(GOOD[:half]) + gzip.compress(GOOD[half:])),  # two members
                           ("identity", GOOD)]:
        answer = requests.post(f"{hardened}/invocations", data=body,
                               headers={**JSON, "Content-Encoding": encoding}, timeout=30)
        assert answer.status_code == 200, (encoding, answer.text)
        assert answer.json() == plain.json()
    csv = ("text\n" + "\n".join(f'"{t}"' for t in CLEARLY_NEGATIVE + CLEARLY_POSITIVE)).encode()
    answer = requests.post(f"{hardened}/invocations", data=gzip.compress(csv),
                           headers={"Content-Type": "text/csv", "Content-Encoding": "gzip"}, timeout=30)
    assert answer.status_code == 200 and answer.json() == plain.json()


@pytest.mark.slow
def test_exactly_the_row_limit_is_answered(hardened):
    """The row limit counts rows, not lines: a CSV whose every text holds a quoted newline has
    about twice as many lines as rows and is answered."""
    texts = [f"flight {i} was\n{'awful' if i % 2 else 'lovely'}" for i in range(MAX_BATCH_ROWS)]
    csv = "text\n" + "\n".join(f'"{t}"' for t in texts)
    assert csv.count("\n") > MAX_BATCH_ROWS + 1
    bodies = [(csv, {"Content-Type": "text/csv"}), (json.dumps({"inputs": {"text": texts}}), JSON)]
    for body, headers in bodies:
        answer = requests.post(f"{hardened}/invocations", data=body, headers=headers, timeout=120)
        assert answer.status_code == 200, answer.text[:500]
        predictions = answer.json()["predictions"]
        assert len(predictions) == MAX_BATCH_ROWS
        assert [p["label"] for p in predictions[:2]] == ["not_negative", "negative"]


@pytest.mark.slow
def test_still_answers_after_the_corpus_like_mlflow_serve(hardened, served_simple):
    """Valid requests in MLflow's formats (run after the corpus: same server, module order) get
    exactly the answer of the plain `mlflow models serve` for the same model."""
    texts = CLEARLY_NEGATIVE[:2] + CLEARLY_POSITIVE[:2]
    bodies = [
        ({"dataframe_records": [{"text": t} for t in texts]}, JSON),
        ({"dataframe_split": {"columns": ["text"], "data": [[t] for t in texts]}}, JSON),
        ({"instances": [{"text": t} for t in texts]}, JSON),
        ({"inputs": {"text": texts}}, JSON),
        ({"dataframe_records": [{"text": t} for t in texts]}, {"Content-Type": "application/json; charset=utf-8"}),
    ]
    for body, headers in bodies:
        ours = requests.post(f"{hardened}/invocations", data=json.dumps(body), headers=headers, timeout=30)
        plain = requests.post(f"{served_simple}/invocations", data=json.dumps(body), headers=headers, timeout=30)
        assert ours.status_code == plain.status_code == 200, ours.text
        assert ours.json() == plain.json()
        labels = [p["label"] for p in ours.json()["predictions"]]
        assert labels == ["negative", "negative", "not_negative", "not_negative"]
    upper = {"Content-Type": "Application/JSON; charset=UTF-8"}  # MLflow alone answers 415: case-sensitive
    ours = requests.post(f"{hardened}/invocations", data=json.dumps(bodies[0][0]), headers=upper, timeout=30)
    assert ours.status_code == 200 and ours.json() == plain.json()
    csv = "text\n" + "\n".join(f'"{t}"' for t in texts)
    ours = requests.post(f"{hardened}/invocations", data=csv, headers={"Content-Type": "text/csv"}, timeout=30)
    assert ours.status_code == 200 and len(ours.json()["predictions"]) == len(texts)
    full = ROWS(*["x" * 280] * MAX_BATCH_ROWS)  # the documented limits hold together: a full batch fits
    assert len(full) <= MAX_BODY_BYTES
    assert requests.post(f"{hardened}/invocations", data=full, headers=JSON, timeout=120).status_code == 200
    assert requests.get(f"{hardened}/ping", timeout=5).status_code == 200


def test_plain_mlflow_server_shows_the_gaps_this_layer_closes(served_simple):
    """Why the layer exists (if MLflow fixes these, the layer can shrink): the plain server
    answers a missing Content-Type and a 5,000-digit number with a 500, and a broken CSV with
    its stack trace and paths."""
    no_type = requests.post(f"{served_simple}/invocations", data=ROWS("hi").encode(), timeout=30)
    broken = requests.post(f"{served_simple}/invocations", data='text\n"x', headers={"Content-Type": "text/csv"},
                           timeout=30)
    long_number = requests.post(f"{served_simple}/invocations", data=LONG_NUMBER, headers=JSON, timeout=30)
    assert no_type.status_code == 500
    assert "stack_trace" in broken.json() and "site-packages" in broken.text
    assert long_number.status_code == 500


def test_clean_message_cuts_echoes_notices_and_paths():
    echoed = "x" * 100_000
    raw = (f"Failed to predict data '{echoed}'. \nError: Failed to enforce schema of data '{echoed}' with schema "
           "'['text': string (required)]'. Error: Model is missing inputs ['text']. IMPORTANT: The MLflow Model "
           "scoring protocol has changed")
    assert clean_message(raw) == "input does not match the model signature: Model is missing inputs ['text']."
    assert clean_message('bad file /usr/lib/python3/x.py line 3') == "bad file <path> line 3"
    assert len(clean_message("y" * 10_000)) == MAX_ERROR_MESSAGE_CHARS


@pytest.mark.slow
def test_cd_smoke_test_passes_on_the_hardened_api_and_fails_on_the_bare_server(hardened, served_simple):
    from entrypoints import smoke
    from tests.conftest import invoke
    from tests.servers import free_port

    code, out = invoke(smoke.main, "--url", hardened, "--wait", "30")
    assert code == 0 and "smoke test passed" in out
    code, out = invoke(smoke.main, "--url", served_simple, "--wait", "30")
    assert code == 1 and "/version does not say which model" in out  # MLflow's bare server: its own version only
    code, out = invoke(smoke.main, "--url", f"http://127.0.0.1:{free_port()}", "--wait", "1")
    assert code == 1 and "did not answer 200" in out


@pytest.mark.slow
def test_every_answer_says_which_model_answered(simple_version, tracking_uri):
    """Item 7: served through an alias, the API names the registered version behind it, on every
    answer (headers) and at GET /version, from the served model's own metadata."""
    import mlflow
    from mlflow.tracking import MlflowClient

    from pyfunc.names import MODEL_NAME_HEADER, MODEL_VERSION_HEADER, VERSION_PATH

    name = config.settings().model_name
    MlflowClient().set_registered_model_alias(name, "answered-by", str(simple_version))
    with hardened_serve(f"models:/{name}@answered-by", tracking_uri) as url:
        served = requests.get(f"{url}{VERSION_PATH}", timeout=30)
        good = requests.post(f"{url}/invocations", json={"dataframe_records": [{"text": "lost my bag"}]}, timeout=30)
        bad = requests.post(f"{url}/invocations", data=b"{}", timeout=30)
    run_id = MlflowClient().get_model_version(name, str(simple_version)).run_id
    assert served.status_code == 200
    assert served.json() | {"model_id": None} == {"model_name": name, "model_version": str(simple_version),
                                                   "run_id": run_id, "model_id": None, "approach": "simple",
                                                   "mlflow_version": mlflow.__version__,
                                                   "worker_restarts": 0, "worker_last_exit": None}
    for answer in (good, bad):
        assert answer.headers[MODEL_NAME_HEADER] == name
        assert answer.headers[MODEL_VERSION_HEADER] == str(simple_version)
    assert good.status_code == 200 and bad.status_code == 415
