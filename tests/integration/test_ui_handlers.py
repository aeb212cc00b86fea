"""What the UI's buttons do, against the real served model (no browser needed here)."""

from __future__ import annotations

import csv

import pytest

from apiclient.client import ApiError, PredictionClient
from monitoring.config import MonitoringSettings
from monitoring.mispredictions.service import Monitoring
from pyfunc.names import MAX_TEXT_CHARS
from tests.servers import free_port
from ui.app import Handlers, read_batch
from ui.config import UiSettings

pytestmark = pytest.mark.slow


@pytest.fixture
def local_monitoring(tmp_path):
    return Monitoring(MonitoringSettings(feedback_dir=tmp_path, connection_string=None, local_alerts=False))


@pytest.fixture
def handlers(served_simple, local_monitoring):
    cfg = UiSettings(api_url=served_simple, model_version="9", batch_chunk=2)
    return Handlers(cfg, monitoring=local_monitoring)


def test_predict_and_report(handlers, local_monitoring):
    bar, markdown, state, button = handlers.predict("  the flight was cancelled and nobody helped  ")
    assert set(bar) == {"negative", "not_negative"} and sum(bar.values()) == pytest.approx(1.0)
    assert state["text"] == "the flight was cancelled and nobody helped"
    assert f"{state['negative_probability']:.1%}" in markdown and "version 9" in markdown
    assert button["interactive"] is True
    message, button = handlers.report_wrong(state)
    assert message.startswith("**Done.** Report #1 saved locally") and button["interactive"] is False
    (stored,) = local_monitoring.store.reports()
    assert (stored.text, stored.predicted_label, stored.model_version) == (state["text"], state["label"], "9")


def test_report_names_the_version_that_answered_not_the_configured_alias(simple_version, tracking_uri,
                                                                        local_monitoring):
    """Item 7: the front-end is configured with `production` (its default), the API answers with
    the registered version behind the alias it serves; the report records that version."""
    from mlflow.tracking import MlflowClient

    from airparadis import config
    from tests.servers import hardened_serve

    name = config.settings().model_name
    MlflowClient().set_registered_model_alias(name, "ui-answered-by", str(simple_version))
    with hardened_serve(f"models:/{name}@ui-answered-by", tracking_uri) as url:
        handlers = Handlers(UiSettings(api_url=url), monitoring=local_monitoring)
        assert handlers.cfg.model_version == "production"
        assert f"{name} (version {simple_version}, as the API says)" in handlers.api_status()  # not the alias
        _, markdown, state, _ = handlers.predict("the flight was cancelled and nobody helped")
        message, _ = handlers.report_wrong(state)
    assert f"version {simple_version}" in markdown and message.startswith("**Done.**")
    (stored,) = local_monitoring.store.reports()
    assert (stored.model_name, stored.model_version) == (name, str(simple_version))


def test_bad_input_gets_a_sentence(handlers):
    assert handlers.predict("   ")[1] == "Type a tweet first."
    assert f"at most {MAX_TEXT_CHARS}" in handlers.predict("x" * (MAX_TEXT_CHARS + 1))[1]
    message, button = handlers.report_wrong(None)
    assert "Make a prediction first" in message and button["interactive"] is False


def test_api_400_message_is_passed_on(served_simple):
    with pytest.raises(ApiError, match="(?s)The API refused the input: .*is empty"):
        PredictionClient(served_simple).predict(["   "])


def test_unreachable_api(tmp_path, local_monitoring):
    dead = f"http://127.0.0.1:{free_port()}"
    h = Handlers(UiSettings(api_url=dead, api_timeout=2), monitoring=local_monitoring)
    assert "API DOWN" in h.api_status() and dead in h.api_status()
    bar, markdown, state, _ = h.predict("hello")
    assert bar is None and state is None and "is not reachable" in markdown and "make serve" in markdown
    rows, path, message = h.predict_batch("a\nb", None)
    assert rows is None and path is None and "is not reachable" in message


def test_batch_paste_and_csv_upload(handlers, tmp_path):
    upload = tmp_path / "tweets.csv"
    with upload.open("w", newline="") as f:
        csv.writer(f).writerows([["id", "text"], [1, "worst airline ever"], [2, "thanks for the upgrade!"], [3, ""]])
    rows, path, message = handlers.predict_batch("late again\n\n  lovely crew  \n", str(upload))
    texts = ["late again", "lovely crew", "worst airline ever", "thanks for the upgrade!"]
    assert [r[0] for r in rows] == texts  # sent in chunks of 2, order kept
    assert all(r[1] in ("negative", "not_negative") and 0 <= r[2] <= 1 for r in rows)
    with open(path, newline="") as f:
        downloaded = list(csv.reader(f))
    assert downloaded[0] == ["text", "label", "negative_probability"] and [r[0] for r in downloaded[1:]] == texts
    assert message.startswith("4 tweets")
    assert "Paste tweets" in handlers.predict_batch("", None)[2]


def test_read_batch_without_header(tmp_path):
    upload = tmp_path / "plain.csv"
    upload.write_text("first tweet\nsecond, with a comma\n", encoding="latin-1")
    assert read_batch(None, str(upload)) == ["first tweet", "second"]  # first column when no `text` header


def test_broken_report_store_is_a_message_not_a_crash(monkeypatch, tmp_path, served_simple):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the feedback folder should be")
    monkeypatch.setenv("AIRPARADIS_FEEDBACK_DIR", str(blocker))
    h = Handlers(UiSettings(api_url=served_simple))
    _, _, state, _ = h.predict("where is my luggage")
    message, button = h.report_wrong(state)
    assert message.startswith("**Problem:** Reports cannot be saved") and button["interactive"] is True
