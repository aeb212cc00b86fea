"""The one entry point the UI uses: file a misprediction report.

Every report is written to the local store first (the durable record the feedback export reads),
then sent to Application Insights when a connection string is set, then the embedded alert rule
is evaluated when local alerts are on (default: only without Azure, whose own alert rule then
does the job). A failure after the local write never loses the report.

``python -m monitoring.mispredictions.service --text "..." --predicted-label negative --probability 0.9`` files
one report from the command line (useful to try the alert path); ``--show-config`` prints the
monitoring settings (secrets only as set/unset) and exits.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from datetime import datetime

from monitoring import config as monitoring_config
from monitoring.config import ConfigError, MonitoringSettings
from monitoring.mail import SmtpMailer
from monitoring.mispredictions.alerting import Alert, Evaluator
from monitoring.mispredictions.record import MispredictionReport
from monitoring.mispredictions.store import LocalStore
from pyfunc.names import LABELS, MISPREDICTION_EVENT, MODEL_NAME

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Filed:
    """What happened to one report."""

    report_id: int
    sent_to_azure: bool
    alert: Alert | None

    def message(self) -> str:
        where = "saved locally and queued for Application Insights" if self.sent_to_azure else "saved locally"
        alert = f"; alert mailed ({len(self.alert.reports)} reports in the window)" if self.alert else ""
        return f"Report #{self.report_id} {where}{alert}. Thank you."


class Monitoring:
    def __init__(self, cfg: MonitoringSettings | None = None, mailer=None):
        self.config = cfg if cfg is not None else monitoring_config.settings()
        self.store = LocalStore(self.config.store_path)
        self._azure_logger = None
        if self.config.azure is not None:
            from monitoring import azure

            self._azure_logger = azure.configure(self.config.azure)
        self.evaluator = None
        if self.config.local_alerts_on:
            self.evaluator = Evaluator(self.store, mailer or SmtpMailer(self.config.smtp))

    def report(self, report: MispredictionReport) -> Filed:
        report_id = self.store.add(report)  # first: from here on the report cannot be lost
        sent = False
        if self._azure_logger is not None:
            from monitoring import azure

            try:
                azure.send(self._azure_logger, MISPREDICTION_EVENT, report.to_dimensions())
                sent = True
            except Exception as e:  # noqa: BLE001 - the local copy is kept; never break the UI
                log.warning("report %d not queued for Application Insights: %s", report_id, type(e).__name__)
        alert = self.evaluator.evaluate(now=report.reported_at) if self.evaluator else None
        return Filed(report_id=report_id, sent_to_azure=sent, alert=alert)

    def flush(self) -> bool:
        if self._azure_logger is None:
            return True
        from monitoring import azure

        return azure.flush()


class ShowConfig(argparse.Action):
    """``--show-config``: print the settings and exit (like ``--version``, before required options are checked)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        try:
            text = monitoring_config.show(monitoring_config.settings())
        except ConfigError as e:
            parser.exit(2, f"{parser.prog}: {e}\n")
        print(text)
        parser.exit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m monitoring.mispredictions.service",
                                     description="File a misprediction report.")
    parser.add_argument("--show-config", action=ShowConfig,
                        help="print every monitoring setting (variable, value, meaning; secrets as set/unset) and exit")
    parser.add_argument("--text", required=True, help="the tweet the model got wrong")
    parser.add_argument("--predicted-label", required=True, choices=LABELS, help="what the model said")
    parser.add_argument("--probability", required=True, type=float, help="the model's negative_probability")
    parser.add_argument("--model-name", default=MODEL_NAME)
    parser.add_argument("--model-version", default="unknown")
    parser.add_argument("--reported-at", type=datetime.fromisoformat, default=None, help="ISO 8601 (default: now)")
    parser.add_argument("--source", default="cli")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("azure").setLevel(logging.WARNING)  # no per-request HTTP logs
    extra = {"reported_at": args.reported_at} if args.reported_at else {}
    report = MispredictionReport(args.text, args.predicted_label, args.probability, args.model_name,
                                 args.model_version, source=args.source, **extra)
    try:
        monitoring = Monitoring()
    except ConfigError as e:
        print(f"{parser.prog}: {e}", file=sys.stderr)
        return 2
    print(monitoring.config.describe())
    print(monitoring.report(report).message())
    monitoring.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
