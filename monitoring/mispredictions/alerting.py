"""The embedded evaluator: the alert rule applied to the local store, with a mail through SMTP.

Called after every report (and by ``python -m monitoring.mispredictions.alerting`` from a scheduler if wanted).
It counts the reports in ``(now - window, now]``; when the rule fires and no notification went
out in the last window, it claims the window in the store (atomically, so two processes never
both mail) and sends one mail. If the mail fails, the claim is released and the next evaluation
tries again; the reports themselves are never touched.
"""

from __future__ import annotations

import argparse
import logging
import smtplib
import sys
from dataclasses import dataclass
from datetime import datetime

from monitoring import config as monitoring_config
from monitoring.mail import SmtpMailer
from monitoring.mispredictions.record import MispredictionReport
from monitoring.mispredictions.rule import RULE, AlertRule
from monitoring.mispredictions.store import LocalStore
from monitoring.times import to_utc, utc_now

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Alert:
    fired_at: datetime
    reports: list[MispredictionReport]


def format_alert(rule: AlertRule, alert: Alert) -> tuple[str, str]:
    subject = f"[Air Paradis] {len(alert.reports)} wrong predictions reported within {rule.window}"
    lines = [f"The alert rule fired: {rule.describe()}.", f"Evaluated at {alert.fired_at.isoformat()}.", ""]
    for r in alert.reports:
        lines.append(
            f"- {r.reported_at.isoformat()}  {r.model_name} v{r.model_version}  predicted {r.predicted_label}"
            f" (p_negative={r.negative_probability:.3f}): {r.text[:200]!r}"
        )
    lines += ["", "At most one mail is sent per window; the reports are in the local store."]
    return subject, "\n".join(lines)


class Evaluator:
    def __init__(self, store: LocalStore, mailer: SmtpMailer, rule: AlertRule = RULE):
        self.store, self.mailer, self.rule = store, mailer, rule

    def evaluate(self, now: datetime | None = None) -> Alert | None:
        """Apply the rule at ``now`` (default: the current UTC time); return the alert that was
        mailed, or ``None`` (rule quiet, already notified in this window, or mail failed)."""
        now = to_utc(now) if now is not None else utc_now()
        since = now - self.rule.window
        reports = self.store.reports(since=since, until=now)
        if not self.rule.fires(len(reports)):
            return None
        claim = self.store.claim_notification(self.rule.name, now, quiet_since=since, report_count=len(reports))
        if claim is None:
            return None  # a notification already went out in this window
        alert = Alert(fired_at=now, reports=reports)
        try:
            self.mailer.send(*format_alert(self.rule, alert))
        except (OSError, smtplib.SMTPException) as e:
            self.store.release(claim)
            log.warning("alert mail not sent (%s: %s); will retry at the next evaluation", type(e).__name__, e)
            return None
        log.info("alert mail sent: %d reports within %s", len(reports), self.rule.window)
        return alert


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m monitoring.mispredictions.alerting",
        description=f"Evaluate the alert rule ({RULE.describe()}) on the local store now and mail if it fires.",
    )
    parser.parse_args(argv)
    try:
        cfg = monitoring_config.settings()
    except monitoring_config.ConfigError as e:
        print(e, file=sys.stderr)
        return 2
    alert = Evaluator(LocalStore(cfg.store_path), SmtpMailer(cfg.smtp)).evaluate()
    print(f"alert sent ({len(alert.reports)} reports)" if alert else "no alert")
    return 0


if __name__ == "__main__":
    sys.exit(main())
