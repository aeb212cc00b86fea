"""Reports through the real azure-monitor-opentelemetry exporter to a real HTTP receiver on
127.0.0.1 standing in for the Application Insights ingestion endpoint.

The distro installs process-wide providers, so this module configures it once (module fixture)
against one receiver port; the receiver is stopped and restarted on that port to play outages.
The exporter's stored-batch lease (``storage_min_retry_interval``) is 1 s here
(``AIRPARADIS_AI_RETRY_SECONDS``); in production it is 60 s.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitoring import config as monitoring_config
from monitoring.mispredictions.record import FIELDS, MispredictionReport
from monitoring.mispredictions.service import Monitoring
from monitoring.mispredictions.store import LocalStore
from tests.ingestion import IngestionReceiver

RETRY_SECONDS = 1


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record) + repr(record.__dict__))


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    receiver = IngestionReceiver().start()
    folder = tmp_path_factory.mktemp("feedback-azure")
    env = {"APPLICATIONINSIGHTS_CONNECTION_STRING": receiver.connection_string(),
           "AIRPARADIS_FEEDBACK_DIR": str(folder), "AIRPARADIS_AI_RETRY_SECONDS": str(RETRY_SECONDS),
           "AIRPARADIS_AI_CONNECT_TIMEOUT": "2", "AIRPARADIS_AI_READ_TIMEOUT": "5"}
    collect, root = Collect(), logging.getLogger()
    old_level = root.level
    root.addHandler(collect)
    root.setLevel(logging.DEBUG)
    try:
        with pytest.MonkeyPatch.context() as patch:  # the settings are read from the environment
            for name, value in env.items():
                patch.setenv(name, value)
            monitoring = Monitoring()
    finally:
        root.setLevel(old_level)
    assert monitoring.config.azure.retry_seconds == RETRY_SECONDS and not monitoring.config.local_alerts_on
    yield monitoring, receiver, collect
    root.removeHandler(collect)
    receiver.stop()


def report(text: str, label: str = "negative", p: float = 0.91) -> MispredictionReport:
    return MispredictionReport(text, label, p, "air-paradis-sentiment", "12", source="test")


def texts(receiver: IngestionReceiver) -> list[str]:
    return [e["data"]["baseData"]["properties"]["text"] for e in receiver.events("misprediction")]


def stored_batches(monitoring: Monitoring) -> list:
    return sorted(p.name for p in monitoring.config.azure.storage_dir.glob("*.blob*"))


def test_reports_arrive_as_custom_events_with_dimensions(setup):
    monitoring, receiver, collect = setup
    before = datetime.now(UTC)
    sent = [report("late again, thanks @AirParadis", "not_negative", 0.25), report("great crew", "negative", 0.8)]
    for r in sent:
        assert monitoring.report(r).sent_to_azure
    assert monitoring.flush()
    events = receiver.events("misprediction")
    assert len(events) == 2
    for envelope, r in zip(events, sent, strict=True):
        assert envelope["name"] == "Microsoft.ApplicationInsights.Event"
        assert envelope["iKey"] == "00000000-0000-0000-0000-000000000000"
        dims = envelope["data"]["baseData"]["properties"]
        assert {k: dims[k] for k in FIELDS} == r.to_dimensions()
        assert float(dims["negative_probability"]) == r.negative_probability
        assert before <= datetime.fromisoformat(dims["reported_at"]) <= datetime.now(UTC)
    # nothing else left the process: no live metrics, statsbeat, SDK stats or control plane calls
    assert {path for _, path in receiver.requests} == {"/v2.1/track"}
    # and every report is in the local store as well
    assert [r.text for r in LocalStore(monitoring.config.store_path).reports()][-2:] == [r.text for r in sent]
    # the connection string is a secret: never in logs, never in reprs
    secret = monitoring.config.azure.connection_string.get_secret_value()
    assert secret == receiver.connection_string()
    assert not any(secret in line for line in collect.lines)
    assert secret not in repr(monitoring.config) and secret not in repr(monitoring.config.azure)


def test_outage_then_recovery_every_report_arrives(setup):
    monitoring, receiver, _ = setup
    already = len(texts(receiver))
    receiver.stop()  # Azure unreachable
    during = [f"outage report {i}" for i in range(3)]
    for t in during:
        monitoring.report(report(t))
    monitoring.flush()  # the export fails: the batch goes to offline storage with a 1 s lease
    assert len(texts(receiver)) == already
    assert stored_batches(monitoring), "the failed batch was not kept in offline storage"

    receiver.start()  # Azure is back
    time.sleep(RETRY_SECONDS + 0.2)  # let the stored batch's lease expire
    monitoring.report(report("first report after the outage"))
    monitoring.flush()  # this export succeeds, then the exporter re-sends the stored batch
    assert sorted(texts(receiver)[already:]) == sorted([*during, "first report after the outage"])
    assert stored_batches(monitoring) == []


def test_reports_kept_by_a_stopped_process_are_sent_by_the_next_one(setup, tmp_path):
    """Restart case: a process files reports while Azure is down and exits; the next process
    (the same offline folder) sends them after its first successful export."""
    _, receiver, _ = setup
    receiver.stop()
    env = {**os.environ, "APPLICATIONINSIGHTS_CONNECTION_STRING": receiver.connection_string(),
           "AIRPARADIS_FEEDBACK_DIR": str(tmp_path), "AIRPARADIS_AI_RETRY_SECONDS": str(RETRY_SECONDS),
           "AIRPARADIS_AI_CONNECT_TIMEOUT": "2"}

    def file(text: str):
        cmd = [sys.executable, "-m", "monitoring.mispredictions.service", "--text", text,
               "--predicted-label", "not_negative", "--probability", "0.3", "--model-version", "12"]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        assert receiver.connection_string() not in done.stdout + done.stderr
        return done

    file("filed while Azure was down")
    assert list((tmp_path / "appinsights-offline").glob("*.blob*"))
    receiver.start()
    time.sleep(RETRY_SECONDS + 0.2)
    file("filed after Azure came back")
    arrived = texts(receiver)
    assert "filed while Azure was down" in arrived and "filed after Azure came back" in arrived
    assert not list((tmp_path / "appinsights-offline").glob("*.blob*"))
    assert len(LocalStore(tmp_path / "reports.sqlite3").reports()) == 2


def test_options_turn_off_outside_traffic_and_sample_everything(setup):
    from monitoring import azure

    settings = monitoring_config.MonitoringSettings(connection_string="InstrumentationKey=x", feedback_dir=Path("f"),
                                                    ai_storage_dir=None, ai_retry_seconds=7).azure
    options = azure.distro_options(settings)
    assert options["connection_string"] == "InstrumentationKey=x"
    assert options["storage_directory"] == str(Path("f") / "appinsights-offline")
    assert options["enable_live_metrics"] is False and options["enable_performance_counters"] is False
    assert options["sampling_ratio"] == 1.0 and options["storage_min_retry_interval"] == 7
    assert options["timeout"] > 0 and options["read_timeout"] > 0
    assert all(not o["enabled"] for o in options["instrumentation_options"].values())
    assert os.environ["APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL"] == "true"  # set by the fixture's configure
    assert os.environ["APPLICATIONINSIGHTS_SDKSTATS_DISABLED"] == "true"
    assert os.environ["APPLICATIONINSIGHTS_CONTROLPLANE_DISABLED"] == "true"
