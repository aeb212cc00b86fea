"""The bad-buzz monitor on the real airline stream with a real registered model: in process, through
a real hardened API on 127.0.0.1, to a real SMTP server and a real Application Insights receiver."""

from __future__ import annotations

import csv
import json
import os
import secrets
import subprocess
import sys
from datetime import datetime, timedelta
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
LOCAL = timedelta(hours=-8)  # the stream's own UTC offset
STORMS = [("Southwest", "2015-02-21"), ("Delta", "2015-02-22"), ("United", "2015-02-22")]
STORM_WORDS = ("cancel", "delay", "hold", "hour", "wait", "rebook", "flightled", "stuck", "strand", "late")
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


def moment(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def local_day(iso: str) -> str:
    """The stream's own local day (UTC-08:00) of an alert's ISO moment: the report's days."""
    return (moment(iso) + LOCAL).date().isoformat()


def test_the_real_episodes_alert_and_ordinary_days_stay_quiet(in_process):
    assert in_process and all(set(a) >= FIELDS for a in in_process)
    raised = {(a["group"], local_day(a["window_end"])) for a in in_process}
    # the storm of 21-22 February 2015 (local days): Southwest's cancellations, then Delta's and United's
    assert set(STORMS) <= raised
    # ordinary days stay quiet: at most one alert outside the storm days, none in the first days
    assert len(raised - set(STORMS)) <= 1
    assert not [a for a in in_process if local_day(a["window_end"]) in ("2015-02-17", "2015-02-18")]
    # one alert per episode: a group is silent for the cool-down after an alert
    for group in {a["group"] for a in in_process}:
        ends = sorted(moment(a["window_end"]) for a in in_process if a["group"] == group)
        assert all(after - before >= RULE.cooldown for before, after in zip(ends, ends[1:], strict=False))
    for a in in_process:
        assert a["window_start"].endswith("Z") and a["negatives"] > a["baseline"]
        assert len(a["about"]["tweets"]) == 3


def test_without_the_reason_column_the_storm_is_named_from_its_words_never_by_its_own_name(production, tmp_path):
    """The acceptance test of issue 19: no live stream has the data set's human ``negativereason``."""
    bare = tmp_path / "no_reason.csv"
    with STREAM.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    fields = [k for k in rows[0] if k != "negativereason"]
    with bare.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "alerts.jsonl"
    code, output = invoke(buzz.main, "--input", str(bare), "--alerts", str(out), "--notify", "false")
    assert code == 0, output
    alerts = [json.loads(line) for line in out.read_text().splitlines()]
    storm = [a for a in alerts if (a["group"], local_day(a["window_end"])) in STORMS]
    assert storm
    said = [t["term"] for a in storm for t in a["about"]["terms"] + a["about"]["hashtags"]]
    assert any(stem in term for term in said for stem in STORM_WORDS), said
    for a in alerts:
        assert "reasons" not in a["about"]
        own = {w for w in a["group"].lower().split()} | {a["group"].lower().replace(" ", "")}
        for row in a["about"]["terms"] + a["about"]["hashtags"]:
            words = {w.lstrip("#") for w in row["term"].split()}
            assert not words & own and not row["term"].startswith("@"), (a["group"], row["term"])


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
    first: dict = {}  # each alerted day says what its first alert was about
    for a in sorted(written["alerts"], key=lambda a: a["window_end"]):
        first.setdefault((a["group"], local_day(a["window_end"])), a["about"]["summary"])
    assert {(d["group"], d["day"]): d["about"] for d in written["days"] if d["alerts"]} == first
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
