"""The bad-buzz monitor on the real airline stream with a real registered model: in process, through
a real hardened API on 127.0.0.1, to a real SMTP server and a real Application Insights receiver."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from mlflow import MlflowClient

from airparadis import config
from apiclient.client import PredictionClient
from entrypoints import buzz
from monitoring.buzz import monitor as buzz_monitor
from monitoring.buzz import stream
from monitoring.buzz.rule import RULE
from monitoring.buzz.scoring import ApiScorer
from monitoring.buzz.sinks import MailSink
from monitoring.config import MonitoringSettings
from pyfunc.names import API_KEY_ENV
from tests.conftest import invoke
from tests.ingestion import IngestionReceiver
from tests.integration.test_alert_evaluator import Inbox
from tests.servers import free_port, hardened_serve

ROOT = Path(__file__).resolve().parents[2]
STREAM = ROOT / "data" / "airline_tweets_2015.csv"
FIELDS = {"group", "window_start", "window_end", "negatives", "tweets", "baseline", "score", "about"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def production(simple_version) -> str:
    """The session's simple model as `production` (what the monitor scores by default)."""
    name = config.settings().model_name
    MlflowClient().set_registered_model_alias(name, config.PRODUCTION_ALIAS, str(simple_version))
    return f"models:/{name}/{simple_version}"


@pytest.fixture(scope="module")
def in_process(production, tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("buzz") / "alerts.jsonl"
    code, output = invoke(buzz.main, "--input", str(STREAM), "--alerts", str(out), "--notify", "false")
    assert code == 0, output
    assert "8968 tweets" in output
    return [json.loads(line) for line in out.read_text().splitlines()]


def test_the_real_episodes_alert_and_ordinary_days_stay_quiet(in_process):
    assert in_process and all(set(a) >= FIELDS for a in in_process)
    days = {(a["group"], a["window_start"][:10]) for a in in_process}
    # the storm of 21-23 February 2015 (UTC days): Delta's late flights, United's storm, Southwest's cancellations
    assert {("Delta", "2015-02-22"), ("United", "2015-02-22")} <= days
    assert any(g == "Southwest" and d in ("2015-02-21", "2015-02-22") for g, d in days)
    # the first days (18-19 February) are ordinary: nothing fires
    assert not [a for a in in_process if a["window_start"][:10] in ("2015-02-18", "2015-02-19")]
    assert len(in_process) <= 6
    for a in in_process:
        assert a["window_start"].endswith("Z") and a["negatives"] >= RULE.min_negatives
        assert a["score"] >= RULE.min_score and a["negatives"] > 2 * a["baseline"]
        assert len(a["about"]["tweets"]) == 3 and a["about"]["summary"]
    # early: United's storm is flagged in the early morning, hours before its peak (15:00 local, 23:00 UTC),
    # Southwest's in the afternoon of the 21st, not at night
    first = {g: min(a["window_end"] for a in in_process if a["group"] == g) for g in ("United", "Southwest")}
    assert "2015-02-22T08:00:00Z" < first["United"] <= "2015-02-22T17:00:00Z"
    assert first["Southwest"] <= "2015-02-22T00:00:00Z"
    delta = next(a for a in in_process if a["group"] == "Delta")
    assert "late flight" in [r["reason"] for r in delta["about"]["reasons"]]


def test_the_api_path_raises_the_same_alerts(production, in_process):
    with hardened_serve(production, config.settings().tracking_uri) as url:
        tweets = stream.read_file(STREAM)
        summary = buzz_monitor.run(stream.batches(tweets, 4000), ApiScorer(PredictionClient(url, 60.0)))
    assert [a.to_dict() for a in summary.alerts] == in_process


def test_each_alert_is_mailed_through_smtp(production, in_process):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        sink = MailSink(MonitoringSettings(smtp_host="127.0.0.1", smtp_port=controller.port, smtp_user=None,
                                           smtp_starttls=False, alert_to="marketing@airparadis.test"))
        monitor = buzz_monitor.BuzzMonitor()
        from airparadis.buzz.scoring import ModelScorer

        buzz_monitor.run(stream.batches(stream.read_file(STREAM)), ModelScorer(production), monitor, on_alert=sink)
    finally:
        controller.stop()
    assert len(inbox.messages) == len(in_process)
    for (_sender, recipients, mail), alert in zip(inbox.messages, in_process, strict=True):
        assert recipients == ["marketing@airparadis.test"]
        assert alert["group"] in mail["Subject"] and alert["window_start"] in mail["Subject"]
        assert alert["about"]["tweets"][0][:100] in mail.get_payload(decode=True).decode()


def test_the_command_sends_bad_buzz_events_to_application_insights(production, in_process, tmp_path):
    receiver = IngestionReceiver().start()
    try:
        env = {**os.environ, "APPLICATIONINSIGHTS_CONNECTION_STRING": receiver.connection_string(),
               "AIRPARADIS_FEEDBACK_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
        lines = [json.dumps({"text": t.text, "tweet_created": t.time.isoformat(), "airline": t.group})
                 for t in stream.read_file(STREAM)]
        # the tweets arrive on standard input, as JSON lines
        result = subprocess.run([sys.executable, "-m", "entrypoints.buzz", "--input", "-"], input="\n".join(lines),
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]
        events = receiver.events("bad_buzz")
    finally:
        receiver.stop()
    got = sorted((e["data"]["baseData"]["properties"]["group"], e["data"]["baseData"]["properties"]["window_start"])
                 for e in events)
    assert got == sorted((a["group"], a["window_start"]) for a in in_process)
    props = events[0]["data"]["baseData"]["properties"]
    assert json.loads(props["about"])["tweets"] and props["about_summary"]


def test_the_report_says_per_day_what_fired_and_which_model_version_scored(production, in_process, tmp_path):
    out = tmp_path / "buzz_alerts"
    code, output = invoke(buzz.main, "--input", str(STREAM), "--notify", "false", "--report", str(out),
                          "--label-column", "airline_sentiment")
    assert code == 0, output
    written = json.loads(out.with_suffix(".json").read_text())
    assert written["scored_by"] == f"{production.rsplit('/', 1)[0]}@{config.PRODUCTION_ALIAS} (version " \
                                   f"{production.rsplit('/', 1)[1]})"
    assert len(written["alerts"]) == len(in_process) == sum(day["alerts"] for day in written["days"])
    totals = written["totals"]
    assert totals["episode_days"] == len(totals["episode_leads_hours"]) and totals["quiet_days"] > 20
    markdown = out.with_suffix(".md").read_text()
    assert written["scored_by"] in markdown and "| kind of day |" in markdown
    assert out.with_suffix(".png").read_bytes().startswith(b"\x89PNG")


# --- through an API that asks for a key, as every deployment does (issue 17: it answered 401) -------
KEYS = {"command": secrets.token_urlsafe(32), "ui": secrets.token_urlsafe(32)}


@pytest.fixture(scope="module")
def keyed(production) -> str:
    """The hardened API with API keys (and so its default per-client limits) on, as deployed."""
    with hardened_serve(production, config.settings().tracking_uri,
                        extra_env={"AIRPARADIS_API_KEYS": ",".join(KEYS.values())}) as url:
        yield url


def test_the_command_scores_through_a_keyed_api_with_the_key_from_the_environment(keyed, in_process, tmp_path):
    out = tmp_path / "alerts.jsonl"
    command = [sys.executable, "-m", "entrypoints.buzz", "--input", str(STREAM), "--api-url", keyed,
               "--alerts", str(out), "--notify", "false"]
    env = {k: v for k, v in os.environ.items() if k != API_KEY_ENV} | {"PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=ROOT, env={**env, API_KEY_ENV: KEYS["command"]}, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "8968 tweets" in done.stdout and "401" not in done.stdout + done.stderr
    assert [json.loads(line) for line in out.read_text().splitlines()] == in_process
    refused = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert refused.returncode != 0 and f"it needs a key. Set {API_KEY_ENV}" in refused.stderr, refused.stderr[-2000:]
    assert "Traceback" not in refused.stderr


def test_the_front_ends_replay_scores_through_a_keyed_api(keyed, in_process, monkeypatch):
    from ui import config as ui_config
    from ui.buzz import SOURCES, SPEEDS, BuzzReplay

    monkeypatch.setenv("AIRPARADIS_API_URL", keyed)
    monkeypatch.setenv(API_KEY_ENV, KEYS["ui"])
    replay = BuzzReplay(ui_config.settings())  # as build_tab makes it
    *_, (chart, alerts, status) = replay.start(SOURCES[0], None, list(SPEEDS)[0])  # as the Start button calls it
    assert status == f"**Replay finished:** 8968 tweets, {len(in_process)} alerts.", status
    for a in in_process:
        assert f"**{a['group']}** · {a['window_start']} → {a['window_end']}" in alerts
    assert chart is not None
