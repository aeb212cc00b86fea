"""The real `mlflow models serve` process answering for a registered model on 127.0.0.1."""

import json

import pytest
import requests

from pyfunc.names import MAX_BATCH_ROWS, MAX_TEXT_CHARS

JSON = {"Content-Type": "application/json"}


def invoke(url, payload, **kwargs):
    data = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    return requests.post(f"{url}/invocations", data=data, headers=JSON, timeout=120, **kwargs)


def test_single_tweet_answers_the_contract(served_simple):
    response = invoke(served_simple, {"dataframe_records": [{"text": "@AirParadis lost my bag, worst airline ever"}]})
    assert response.status_code == 200
    (prediction,) = response.json()["predictions"]
    assert prediction["label"] == "negative" and 0.5 < prediction["negative_probability"] <= 1


def test_every_input_format_gives_the_same_answer(served_simple):
    tweets = ["I love this crew", "delayed again, so annoying"]
    answers = [
        invoke(served_simple, {"dataframe_records": [{"text": t} for t in tweets]}),
        invoke(served_simple, {"dataframe_split": {"columns": ["text"], "data": [[t] for t in tweets]}}),
        invoke(served_simple, {"inputs": {"text": tweets}}),
    ]
    assert all(a.status_code == 200 for a in answers)
    first = answers[0].json()["predictions"]
    assert [p["label"] for p in first] == ["not_negative", "negative"]
    assert all(a.json()["predictions"] == first for a in answers[1:])


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"dataframe_records": [{"tweet": "hello"}]}, "missing inputs ['text']"),
        ({"dataframe_records": [{"text": None}]}, "'text' is missing (null) at row(s) 0"),
        ({"dataframe_records": [{"text": ""}]}, "'text' is empty at row(s) 0"),
        ({"dataframe_records": [{"text": "fine"}, {"text": 12}]}, "must be a string, got int at row(s) 1"),
        ({"dataframe_records": [{"text": "x" * 1_000_000}]}, f"longer than {MAX_TEXT_CHARS} characters"),
        ("{not json", "valid JSON"),
    ],
)
def test_bad_input_gets_a_clear_4xx(served_simple, payload, message):
    response = invoke(served_simple, payload)
    assert 400 <= response.status_code < 500
    assert message in response.json()["message"]


def test_a_batch_of_10000_tweets_is_answered(served_simple):
    tweets = [f"flight {i} was {'awful' if i % 2 else 'lovely'}" for i in range(MAX_BATCH_ROWS)]
    response = invoke(served_simple, {"dataframe_split": {"columns": ["text"], "data": [[t] for t in tweets]}})
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    assert len(predictions) == MAX_BATCH_ROWS
    assert [p["label"] for p in predictions[:2]] == ["not_negative", "negative"]
