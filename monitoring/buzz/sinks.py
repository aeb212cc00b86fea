"""Where ``bad_buzz`` alerts go: a JSON-lines file, Application Insights (one custom event
``bad_buzz`` each, which the scheduled-query rule of ``infra/alerts.bicep`` turns into a mail/SMS),
or, without a connection string, a mail through the local SMTP settings. A failing notification
is logged and never stops the monitor.

Alerts are keyed by group and window (:meth:`BuzzAlert.key`): the monitor hands each key out once,
and the JSON-lines file, reopened by a resumed run, keeps what it holds and skips the keys already
written (the alert a killed run wrote after its last checkpoint is not written twice). Feed gaps
(``feed_gap`` records) go to the JSON-lines file and the log, not to the on-call paths."""

from __future__ import annotations

import json
import logging
import smtplib
from pathlib import Path

from monitoring.buzz.monitor import BuzzAlert
from monitoring.buzz.rule import RULE, BuzzRule
from monitoring.config import MonitoringSettings
from pyfunc.names import BAD_BUZZ_EVENT

log = logging.getLogger(__name__)


def record_key(record: dict) -> tuple[str, str]:
    """The key of a written alert or gap record (as :meth:`BuzzAlert.key` / :meth:`FeedGap.key`)."""
    if record.get("event") == "feed_gap":
        return ("feed_gap", record["start"])
    return (record["group"], record["window_start"])


class JsonLinesSink:
    """One JSON object per line, written as each alert (or feed gap) is raised. ``resume``: keep the
    file's records (a half-written last line, from a kill, is dropped) and skip their keys."""

    def __init__(self, path: Path, resume: bool = False):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.written: set[tuple[str, str]] = set()
        if resume and self.path.is_file():
            text = self.path.read_text(encoding="utf-8")
            complete = text[:text.rfind("\n") + 1]
            if complete != text:
                self.path.write_text(complete, encoding="utf-8")
            self.written = {record_key(json.loads(line)) for line in complete.splitlines() if line.strip()}
        self._file = self.path.open("a" if resume else "w", encoding="utf-8")

    def __call__(self, alert) -> None:
        """Write an alert or a feed gap, unless its key is in the file already."""
        if alert.key() in self.written:
            return
        self._file.write(json.dumps(alert.to_dict(), ensure_ascii=False) + "\n")
        self._file.flush()
        self.written.add(alert.key())

    gap = __call__

    def close(self) -> None:
        self._file.close()


def dimensions(alert: BuzzAlert) -> dict[str, str]:
    """The custom event's dimensions (Application Insights keeps strings)."""
    d = alert.to_dict()
    return {**{k: str(v) for k, v in d.items() if k != "about"}, "about": json.dumps(d["about"], ensure_ascii=False),
            "about_summary": d["about"].get("summary", "")}


class AppInsightsSink:
    def __init__(self, settings: MonitoringSettings):
        from monitoring import azure

        self._azure = azure
        self.logger = azure.configure(settings.azure)

    def __call__(self, alert: BuzzAlert) -> None:
        self._azure.send(self.logger, BAD_BUZZ_EVENT, dimensions(alert))

    def close(self) -> None:
        self._azure.flush()


def format_mail(alert: BuzzAlert, rule: BuzzRule = RULE) -> tuple[str, str]:
    d = alert.to_dict()
    subject = (f"[Air Paradis] bad buzz: {alert.group}, {alert.negatives} negative tweets "
               f"{d['window_start']}..{d['window_end']} (baseline {alert.baseline:.1f})")
    about = alert.about
    lines = [f"The bad-buzz rule fired: {rule.describe()}.", "",
             f"Group: {alert.group}", f"Window: {d['window_start']} to {d['window_end']} (UTC)",
             f"Negative tweets: {alert.negatives} of {alert.tweets}; expected {alert.baseline:.1f}; "
             f"score {alert.score:.1f}", "", f"About: {about.get('summary', '')}", ""]
    lines += [f"- {t[:280]}" for t in about.get("tweets", [])]
    return subject, "\n".join(lines)


class MailSink:
    def __init__(self, settings: MonitoringSettings):
        from monitoring.mail import SmtpMailer

        self.mailer = SmtpMailer(settings.smtp)

    def __call__(self, alert: BuzzAlert) -> None:
        try:
            self.mailer.send(*format_mail(alert))
        except (OSError, smtplib.SMTPException) as e:
            log.warning("bad-buzz mail not sent (%s: %s)", type(e).__name__, e)

    def close(self) -> None:
        pass


def notification_sinks(settings: MonitoringSettings) -> list:
    """The alert paths that exist: Application Insights with a connection string, else the local
    mail when the embedded alerts are on."""
    if settings.azure is not None:
        return [AppInsightsSink(settings)]
    if settings.local_alerts_on:
        return [MailSink(settings)]
    return []
