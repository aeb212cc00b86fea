"""The alert rule, written ONCE as data, and what is generated from it.

Used by (1) the embedded evaluator (:mod:`monitoring.mispredictions.alerting`) on the local store and (2) the
Azure scheduled-query rule: ``python -m monitoring.mispredictions.rule --write`` writes ``infra/alert-rule.json``
(KQL, threshold, window, frequency) that ``infra/alerts.bicep`` loads with ``loadJsonContent``;
a test fails if that file drifts from this module.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import timedelta

from monitoring import alert_rule
from monitoring.alert_rule import AzureRule, Criteria
from monitoring.env import ROOT
from pyfunc.names import MISPREDICTION_EVENT

RULE_FILE = ROOT / "infra" / "alert-rule.json"


@dataclass(frozen=True)
class AlertRule(AzureRule):
    """Fire when at least ``threshold`` reports named ``event_name`` fall within ``window``;
    notify at most once per ``window``."""

    PROG = "python -m monitoring.mispredictions.rule"
    FILE = RULE_FILE

    name: str = "air-paradis-mispredictions"
    event_name: str = MISPREDICTION_EVENT
    threshold: int = 3
    window: timedelta = timedelta(minutes=5)
    evaluation_frequency: timedelta = timedelta(minutes=1)  # Azure: how often the query runs
    severity: int = 2

    def kql(self) -> str:
        """The Log Analytics query of the scheduled-query rule (Application Insights ``customEvents``).

        No time filter: Azure runs the query over the rule's own window (``windowSize``), the single
        truth. A ``timestamp > ago(...)`` here was computed at run time, so a late re-run of an
        evaluation cut reports off the start of its window."""
        return "\n".join([
            "customEvents",
            f'| where name == "{self.event_name}"',
            "| summarize reports = count()",
        ])

    def fires(self, count_in_window: int) -> bool:
        return count_in_window >= self.threshold

    def describe(self) -> str:
        minutes = self.window.total_seconds() / 60
        return f"at least {self.threshold} '{self.event_name}' reports within {minutes:g} minutes"

    def criteria(self) -> Criteria:
        return Criteria(description=f"Fires on {self.describe()}; notifies at most once per window.",
                        measure="reports", threshold=self.threshold, window=self.window,
                        mute=self.window)  # at most one notification per window


RULE = AlertRule()


def main(argv: list[str] | None = None) -> int:
    return alert_rule.main(RULE, argv)


if __name__ == "__main__":
    sys.exit(main())
