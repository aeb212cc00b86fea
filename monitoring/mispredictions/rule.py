"""The alert rule, written ONCE as data, and what is generated from it.

Used by (1) the embedded evaluator (:mod:`monitoring.mispredictions.alerting`) on the local store and (2) the
Azure scheduled-query rule: ``python -m monitoring.mispredictions.rule --write`` writes ``infra/alert-rule.json``
(KQL, threshold, window, frequency) that ``infra/alerts.bicep`` loads with ``loadJsonContent``;
a test fails if that file drifts from this module.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import timedelta

from monitoring.config import ROOT
from pyfunc.names import MISPREDICTION_EVENT

RULE_FILE = ROOT / "infra" / "alert-rule.json"


def _iso_duration(delta: timedelta) -> str:
    minutes, seconds = divmod(int(delta.total_seconds()), 60)
    return f"PT{minutes}M" if not seconds else f"PT{minutes}M{seconds}S"


@dataclass(frozen=True)
class AlertRule:
    """Fire when at least ``threshold`` reports named ``event_name`` fall within ``window``;
    notify at most once per ``window``."""

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

    def to_infra(self) -> dict:
        """What the Bicep module loads: the query and the criteria in Azure's own terms."""
        return {
            "_generated_by": "python -m monitoring.mispredictions.rule --write (do not edit by hand)",
            "name": self.name,
            "description": f"Fires on {self.describe()}; notifies at most once per window.",
            "query": self.kql(),
            "metricMeasureColumn": "reports",
            "timeAggregation": "Total",
            "operator": "GreaterThanOrEqual",
            "threshold": self.threshold,
            "windowSize": _iso_duration(self.window),
            "evaluationFrequency": _iso_duration(self.evaluation_frequency),
            "muteActionsDuration": _iso_duration(self.window),  # at most one notification per window
            "severity": self.severity,
        }

    def infra_json(self) -> str:
        return json.dumps(self.to_infra(), indent=2) + "\n"


RULE = AlertRule()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m monitoring.mispredictions.rule",
        description=f"Print the alert rule ({RULE.describe()}) as KQL, or write {RULE_FILE.relative_to(ROOT)}.",
    )
    parser.add_argument("--write", action="store_true", help=f"write {RULE_FILE.relative_to(ROOT)} for Bicep")
    parser.add_argument("--check", action="store_true", help="exit 1 if the written file differs from the rule")
    args = parser.parse_args(argv)
    if args.check:
        current = RULE_FILE.read_text() if RULE_FILE.exists() else ""
        if current != RULE.infra_json():
            print(f"{RULE_FILE} is out of date: run python -m monitoring.mispredictions.rule --write", file=sys.stderr)
            return 1
        print(f"{RULE_FILE} matches the rule")
        return 0
    if args.write:
        RULE_FILE.parent.mkdir(parents=True, exist_ok=True)
        RULE_FILE.write_text(RULE.infra_json())
        print(f"wrote {RULE_FILE}")
    print(RULE.kql())
    return 0


if __name__ == "__main__":
    sys.exit(main())
