"""The bad-buzz rule, written ONCE as data, and what is generated from it.

Used by (1) the single-machine monitor (:mod:`monitoring.buzz.monitor`), (2) the Spark job
(``airparadis.buzz.spark``), both through :class:`monitoring.buzz.detector.GroupDetector`, and
(3) the Azure scheduled-query rule: ``python -m monitoring.buzz.rule --write`` writes
``infra/buzz-rule.json`` that ``infra/alerts.bicep`` loads; a test fails if it drifts.

The test. Negative tweets per group arrive in bursts and, at night, in single digits, with a
strong daily cycle. So a window's count ``n`` is compared with the **same time of day** on the
previous ``baseline_days`` days (``baseline_span`` neighbouring windows either side, so up to
``baseline_days * (2 * baseline_span + 1)`` windows), whose mean ``m`` (at least
``baseline_floor``) is the expected count. Its upper tail probability
``p = P(X >= n)`` under a **negative binomial** with mean ``m`` and variance ``m + dispersion * m**2``
is Poisson-like at low counts and tolerates bursts at high ones (the overdispersion of tweet
counts). ``score = -log10(p)``. The rule fires when ``score >= min_score`` and
``n >= min_negatives``; after an alert the group stays silent until ``cooldown`` has passed with
no firing window (one alert per group per episode).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import asdict, dataclass
from datetime import timedelta

from monitoring.env import ROOT
from pyfunc.names import BAD_BUZZ_EVENT

RULE_FILE = ROOT / "infra" / "buzz-rule.json"
MAX_SCORE = 99.0  # -log10(p) is capped here (p underflows long before)


def _iso_duration(delta: timedelta) -> str:
    hours, rest = divmod(int(delta.total_seconds()), 3600)
    minutes = rest // 60
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes or not hours else "")


def _kql_timespan(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"{seconds // 3600}h" if seconds % 3600 == 0 else f"{seconds // 60}m"


def negative_binomial_tail(n: int, mean: float, dispersion: float) -> float:
    """``P(X >= n)`` for a negative binomial with this mean and variance ``mean + dispersion * mean**2``
    (``dispersion`` 0: Poisson). Standard library only, exact summation of the smaller side."""
    if n <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    if dispersion <= 0:  # Poisson
        def log_pmf(k: int) -> float:
            return k * math.log(mean) - mean - math.lgamma(k + 1)
    else:
        r = 1.0 / dispersion
        log_q, log_1q = math.log(r / (r + mean)), math.log(mean / (r + mean))

        def log_pmf(k: int) -> float:
            return math.lgamma(k + r) - math.lgamma(r) - math.lgamma(k + 1) + r * log_q + k * log_1q
    if n > mean:  # upper tail: terms fall from n on
        total, k = 0.0, n
        while True:
            term = math.exp(log_pmf(k))
            total += term
            if term < total * 1e-16 or term == 0.0:
                return min(1.0, total)
            k += 1
    return max(0.0, 1.0 - sum(math.exp(log_pmf(k)) for k in range(n)))


@dataclass(frozen=True)
class BuzzRule:
    """A spike of negative tweets in one group's window against that group's own baseline."""

    name: str = "air-paradis-bad-buzz"
    event_name: str = BAD_BUZZ_EVENT
    window: timedelta = timedelta(hours=3)  # tumbling windows aligned on UTC midnight
    baseline_days: int = 3  # the same time of day on up to this many previous days...
    baseline_span: int = 1  # ...with this many neighbouring windows either side
    min_baseline_windows: int = 3  # fewer past windows (a new group): no decision yet
    baseline_floor: float = 1.0  # expected count at least this (a quiet night is not zero)
    test: str = "negative_binomial"
    dispersion: float = 0.02  # variance = mean + dispersion * mean**2
    min_score: float = 5.0  # -log10 of the tail probability: p <= 1e-5
    min_negatives: int = 20  # and at least this many negative tweets in the window
    cooldown: timedelta = timedelta(hours=12)  # silence after an alert until no window fired for this long
    evaluation_frequency: timedelta = timedelta(minutes=15)  # Azure: how often the query runs
    severity: int = 2

    def __post_init__(self):
        if timedelta(days=1) % self.window:
            raise ValueError(f"the window ({self.window}) must divide a day")
        if self.test != "negative_binomial":
            raise ValueError(f"unknown test {self.test!r}")

    @property
    def windows_per_day(self) -> int:
        return timedelta(days=1) // self.window

    def baseline_offsets(self) -> list[int]:
        """How many windows back each baseline window lies (same time of day, neighbours)."""
        return sorted({d * self.windows_per_day + o for d in range(1, self.baseline_days + 1)
                       for o in range(-self.baseline_span, self.baseline_span + 1)})

    @property
    def lookback(self) -> int:
        """Windows of history a group needs: the farthest baseline window."""
        return max(self.baseline_offsets())

    def expected(self, past: list[int]) -> float:
        return max(sum(past) / len(past), self.baseline_floor)

    def score(self, negatives: int, expected: float) -> float:
        p = negative_binomial_tail(negatives, expected, self.dispersion)
        return MAX_SCORE if p <= 0 else min(MAX_SCORE, -math.log10(p))

    def fires(self, negatives: int, score: float) -> bool:
        return negatives >= self.min_negatives and score >= self.min_score

    def describe(self) -> str:
        hours = self.window.total_seconds() / 3600
        return (f"at least {self.min_negatives} negative tweets of one group in {hours:g} h with a negative-binomial "
                f"tail probability <= 1e-{self.min_score:g} against the same hours of the previous "
                f"{self.baseline_days} days (±{self.baseline_span} window); one alert per "
                f"{self.cooldown.total_seconds() / 3600:g} h quiet episode")

    def to_dict(self) -> dict:
        return {k: (v.total_seconds() if isinstance(v, timedelta) else v) for k, v in asdict(self).items()}

    # --- Azure ---------------------------------------------------------------------------------
    def kql(self) -> str:
        """The scheduled query: the monitor's ``bad_buzz`` events, one row per group. The test
        itself runs in the monitor (KQL has no negative-binomial tail); Azure notifies per group
        with the rule's cool-down."""
        return "\n".join([
            "customEvents",
            f'| where name == "{self.event_name}"',
            f"| where timestamp > ago({_kql_timespan(self.window)})",
            "| extend group = tostring(customDimensions.group)",
            "| summarize alerts = count() by group",
        ])

    def to_infra(self) -> dict:
        return {
            "_generated_by": "python -m monitoring.buzz.rule --write (do not edit by hand)",
            "name": self.name,
            "description": f"Bad buzz: {self.describe()}.",
            "query": self.kql(),
            "metricMeasureColumn": "alerts",
            "dimension": "group",
            "timeAggregation": "Total",
            "operator": "GreaterThanOrEqual",
            "threshold": 1,
            "windowSize": _iso_duration(self.window),
            "evaluationFrequency": _iso_duration(self.evaluation_frequency),
            "muteActionsDuration": _iso_duration(self.cooldown),
            "severity": self.severity,
        }

    def infra_json(self) -> str:
        return json.dumps(self.to_infra(), indent=2) + "\n"


RULE = BuzzRule()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m monitoring.buzz.rule",
                                     description=f"Print the bad-buzz rule ({RULE.describe()}) or write "
                                                 f"{RULE_FILE.relative_to(ROOT)}.")
    parser.add_argument("--write", action="store_true", help=f"write {RULE_FILE.relative_to(ROOT)} for Bicep")
    parser.add_argument("--check", action="store_true", help="exit 1 if the written file differs from the rule")
    args = parser.parse_args(argv)
    if args.check:
        if not RULE_FILE.exists() or RULE_FILE.read_text() != RULE.infra_json():
            print(f"{RULE_FILE} is out of date: run python -m monitoring.buzz.rule --write", file=sys.stderr)
            return 1
        print(f"{RULE_FILE} matches the rule")
        return 0
    if args.write:
        RULE_FILE.write_text(RULE.infra_json())
        print(f"wrote {RULE_FILE}")
    print(json.dumps(RULE.to_dict(), indent=2))
    print(RULE.kql())
    return 0


if __name__ == "__main__":
    sys.exit(main())
