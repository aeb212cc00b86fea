"""The embedded evaluator of the alert rule (3 reports within 5 minutes) on the real local store,
mailing through a real SMTP server (aiosmtpd) on 127.0.0.1. Time is injected, never slept."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, timedelta
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from monitoring.config import MonitoringSettings
from monitoring.mail import SmtpMailer
from monitoring.mispredictions.alerting import Evaluator
from monitoring.mispredictions.record import MispredictionReport
from monitoring.mispredictions.rule import RULE
from monitoring.mispredictions.service import Monitoring
from monitoring.mispredictions.store import LocalStore
from tests.servers import free_port

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def inbox():
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


def smtp(port: int, **settings):
    """The SMTP settings of the embedded evaluator, as derived from the monitoring settings."""
    return MonitoringSettings(smtp_host="127.0.0.1", smtp_port=port, smtp_user=None, smtp_starttls=False,
                              **settings).smtp


def monitoring_for(tmp_path, smtp_port: int) -> Monitoring:
    return Monitoring(MonitoringSettings(feedback_dir=tmp_path, connection_string=None, local_alerts=True,
                                         smtp_host="127.0.0.1", smtp_port=smtp_port, smtp_timeout=5,
                                         alert_from="alerts@airparadis.test",
                                         alert_to="oncall@airparadis.test, lead@airparadis.test"))


def report_at(moment: datetime, n: int = 0) -> MispredictionReport:
    return MispredictionReport(f"tweet number {n}", "not_negative", 0.12, "air-paradis-sentiment", "4",
                               reported_at=moment, source="test")


def test_three_reports_within_five_minutes_send_exactly_one_mail(tmp_path, inbox):
    handler, port = inbox
    monitoring = monitoring_for(tmp_path, port)
    filed = [monitoring.report(report_at(T0 + timedelta(minutes=m), i)) for i, m in enumerate([0, 2, 4])]
    assert [f.alert is not None for f in filed] == [False, False, True]
    assert len(handler.messages) == 1
    sender, recipients, mail = handler.messages[0]
    assert sender == "alerts@airparadis.test"
    assert recipients == ["oncall@airparadis.test", "lead@airparadis.test"]
    assert "3 wrong predictions" in mail["Subject"]
    body = mail.get_payload()
    assert all(f"tweet number {i}" in body for i in range(3))

    # a 4th and 5th report in the same window: still one mail (at most one per window)
    monitoring.report(report_at(T0 + timedelta(minutes=4, seconds=30), 3))
    monitoring.report(report_at(T0 + timedelta(minutes=8), 4))  # 3 in (T0+3, T0+8], but < 5 min since the mail
    assert len(handler.messages) == 1
    # once the window since the mail has passed, the rule may fire again: (T0+4.6, T0+9.6] holds 8, 9.5, 9.6
    fired = [monitoring.report(report_at(T0 + timedelta(minutes=m), i)).alert is not None
             for i, m in enumerate([9.5, 9.6, 9.7], start=5)]
    assert fired == [False, True, False]
    assert len(handler.messages) == 2
    sent = monitoring.store.notifications(RULE.name)
    assert [t for t, _ in sent] == [T0 + timedelta(minutes=4), T0 + timedelta(minutes=9.6)]


def test_two_reports_send_no_mail(tmp_path, inbox):
    handler, port = inbox
    monitoring = monitoring_for(tmp_path, port)
    for i, m in enumerate([0, 1]):
        assert monitoring.report(report_at(T0 + timedelta(minutes=m), i)).alert is None
    assert handler.messages == []


def test_three_reports_spread_over_more_than_five_minutes_send_no_mail(tmp_path, inbox):
    handler, port = inbox
    monitoring = monitoring_for(tmp_path, port)
    for i, m in enumerate([0, 3, 5.5]):  # any 5-minute window holds at most 2 of them
        assert monitoring.report(report_at(T0 + timedelta(minutes=m), i)).alert is None
    assert handler.messages == []
    assert len(monitoring.store.reports()) == 3


def test_window_edge_is_exclusive(tmp_path, inbox):
    """(now - 5 min, now]: a report exactly 5 minutes old no longer counts."""
    handler, port = inbox
    monitoring = monitoring_for(tmp_path, port)
    for i, m in enumerate([0, 2, 5]):
        monitoring.report(report_at(T0 + timedelta(minutes=m), i))
    assert handler.messages == []


def test_smtp_down_loses_nothing_and_mails_once_it_is_back(tmp_path, inbox):
    handler, port = inbox
    dead = free_port()
    store = LocalStore(tmp_path / "reports.sqlite3")
    down = Evaluator(store, SmtpMailer(smtp(dead, smtp_timeout=2)))
    for i, m in enumerate([0, 1, 2]):
        store.add(report_at(T0 + timedelta(minutes=m), i))
    assert down.evaluate(now=T0 + timedelta(minutes=2)) is None  # mail failed: the claim is released
    assert store.notifications(RULE.name) == []
    up = Evaluator(store, SmtpMailer(smtp(port, smtp_timeout=5)))
    alert = up.evaluate(now=T0 + timedelta(minutes=3))
    assert alert is not None and len(alert.reports) == 3
    assert len(handler.messages) == 1 and len(store.reports()) == 3


def test_mailer_talks_real_smtp(inbox):
    handler, port = inbox
    SmtpMailer(smtp(port, alert_to=("a@x.test",))).send("subject", "body")
    assert handler.messages[0][2]["Subject"] == "subject" and handler.messages[0][1] == ["a@x.test"]
    with pytest.raises((OSError, smtplib.SMTPException)):
        SmtpMailer(smtp(free_port(), smtp_timeout=2)).send("s", "b")
