"""What the two alert rules share: the misprediction rule (:mod:`monitoring.mispredictions.rule`)
and the bad-buzz rule (:mod:`monitoring.buzz.rule`) are each written once as data, and each is
also an Azure scheduled-query rule: :meth:`AzureRule.to_infra` writes it in Azure's terms (ISO 8601
durations) to a JSON file that ``infra/alerts.bicep`` loads, and :func:`main` is their
``python -m <rule module> [--write | --check]``: a test fails when a file drifts from its rule.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import ClassVar, NamedTuple

from pydantic import TypeAdapter

from monitoring.env import ROOT

_DURATION = TypeAdapter(timedelta)


def iso_duration(delta: timedelta) -> str:
    """``delta`` as an ISO 8601 duration, as Azure writes one (``PT5M``, ``PT1H30M``, ``P1D``)."""
    return _DURATION.dump_python(delta, mode="json")


class Criteria(NamedTuple):
    """What differs between two scheduled-query rules, besides the query."""
    description: str
    measure: str  # the query's column that is compared with the threshold
    threshold: int
    window: timedelta  # the query's time range (Azure's windowSize)
    mute: timedelta  # at most one notification per this long
    dimension: str | None = None  # one alert per value of this column


class AzureRule:
    """Base of a rule (a frozen dataclass with ``name``, ``evaluation_frequency`` and ``severity``)
    that Azure runs as a scheduled query; ``PROG`` is its module's command, ``FILE`` its JSON."""

    PROG: ClassVar[str]
    FILE: ClassVar[Path]
    name: str
    evaluation_frequency: timedelta
    severity: int

    def kql(self) -> str:
        raise NotImplementedError

    def criteria(self) -> Criteria:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def shown(self) -> str:
        """What the command prints."""
        return self.kql()

    def to_infra(self) -> dict:
        """What the Bicep module loads: the query and the criteria in Azure's own terms."""
        c = self.criteria()
        return {
            "_generated_by": f"{self.PROG} --write (do not edit by hand)",
            "name": self.name,
            "description": c.description,
            "query": self.kql(),
            "metricMeasureColumn": c.measure,
            **({"dimension": c.dimension} if c.dimension else {}),
            "timeAggregation": "Total",
            "operator": "GreaterThanOrEqual",
            "threshold": c.threshold,
            "windowSize": iso_duration(c.window),
            "evaluationFrequency": iso_duration(self.evaluation_frequency),
            "muteActionsDuration": iso_duration(c.mute),
            "severity": self.severity,
        }

    def infra_json(self) -> str:
        return json.dumps(self.to_infra(), indent=2) + "\n"


def main(rule: AzureRule, argv: list[str] | None = None) -> int:
    """Print the rule, or write its file (``--write``), or exit 1 when the file is not the rule's (``--check``)."""
    where = rule.FILE.relative_to(ROOT) if rule.FILE.is_relative_to(ROOT) else rule.FILE
    parser = argparse.ArgumentParser(prog=rule.PROG,
                                     description=f"Print the rule ({rule.describe()}), or write {where}.")
    parser.add_argument("--write", action="store_true", help=f"write {where} for Bicep")
    parser.add_argument("--check", action="store_true", help="exit 1 if the written file differs from the rule")
    args = parser.parse_args(argv)
    if args.check:
        if not rule.FILE.exists() or rule.FILE.read_text() != rule.infra_json():
            print(f"{rule.FILE} is out of date: run {rule.PROG} --write", file=sys.stderr)
            return 1
        print(f"{rule.FILE} matches the rule")
        return 0
    if args.write:
        rule.FILE.parent.mkdir(parents=True, exist_ok=True)
        rule.FILE.write_text(rule.infra_json())
        print(f"wrote {rule.FILE}")
    print(rule.shown())
    return 0
