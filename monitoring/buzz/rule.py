"""The bad-buzz rule, written ONCE as data, and what is generated from it.

Used by (1) the single-machine monitor (:mod:`monitoring.buzz.monitor`), (2) the Spark job
(``airparadis.buzz.spark``), both through :class:`monitoring.buzz.detector.GroupDetector`, and
(3) the Azure scheduled-query rule: ``python -m monitoring.buzz.rule --write`` writes
``infra/buzz-rule.json`` that ``infra/alerts.bicep`` loads; a test fails if it drifts.

The test. Negative tweets per group arrive in bursts and, at night, in single digits, with a
strong daily cycle, and a real storm starts as a few hours of modest excess before its peak. So
negatives are counted per ``bucket`` (1 hour, aligned on UTC midnight) and each hour's count ``n``
is compared with the **same hour** on the previous ``baseline_days`` days (``baseline_span``
neighbouring hours either side), whose mean ``m`` (at least ``baseline_floor``) is the expected
count. A **CUSUM** (Page, 1954) adds up the evidence for a ``shift``-fold rise of the Poisson rate,
hour after hour: ``S = max(0, S + n ln(shift) - (shift - 1) m)`` (the log-likelihood ratio of rate
``shift·m`` against ``m``); ``score = S / ln 10``. The rule fires as soon as an hour closes with
``score >= min_score`` and at least ``min_negatives`` negatives in the last ``window``; the sum
restarts at zero after it fires, and the group stays silent until ``cooldown`` has passed with no
firing hour (one alert per group per episode). A lone burst hour weighs little (30 negatives
against 5 expected add 30 ln 2 - 5 ≈ 16 nats, under the 20.7 of ``min_score`` 9), while three
or four hours at twice the usual level add up: the warning comes while a storm builds, not when
its window closes. The alert describes the last ``window`` (3 hours) up to the hour that fired.
The designs measured against it are in ``benchmarks/buzz_designs.py`` and the README.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import asdict, dataclass
from datetime import timedelta

from monitoring import alert_rule
from monitoring.alert_rule import AzureRule, Criteria
from monitoring.env import ROOT
from pyfunc.names import BAD_BUZZ_EVENT

RULE_FILE = ROOT / "infra" / "buzz-rule.json"
MAX_SCORE = 99.0  # the score is capped here


@dataclass(frozen=True)
class BuzzRule(AzureRule):
    """Negative tweets of one group rising, hour after hour, against that group's own baseline."""

    PROG = "python -m monitoring.buzz.rule"
    FILE = RULE_FILE

    name: str = "air-paradis-bad-buzz"
    event_name: str = BAD_BUZZ_EVENT
    bucket: timedelta = timedelta(hours=1)  # counted and judged per hour, aligned on UTC midnight
    window: timedelta = timedelta(hours=3)  # what an alert describes (and holds min_negatives of)
    baseline_days: int = 3  # the same hour on up to this many previous days...
    baseline_span: int = 1  # ...with this many neighbouring hours either side
    min_baseline_windows: int = 3  # fewer past hours (a new group): no decision yet
    baseline_floor: float = 1.0  # expected count at least this (a quiet night is not zero)
    test: str = "poisson_cusum"
    shift: float = 2.0  # the CUSUM looks for the rate doubling
    min_score: float = 9.0  # log10 of the likelihood ratio summed by the CUSUM (20.7 nats)
    min_negatives: int = 20  # and at least this many negative tweets in the last `window`
    cooldown: timedelta = timedelta(hours=12)  # silence after an alert until no hour fired for this long
    evaluation_frequency: timedelta = timedelta(minutes=15)  # Azure: how often the query runs
    severity: int = 2

    def __post_init__(self):
        if timedelta(days=1) % self.bucket:
            raise ValueError(f"the bucket ({self.bucket}) must divide a day")
        if self.window % self.bucket or self.window < self.bucket:
            raise ValueError(f"the window ({self.window}) must be a whole number of buckets ({self.bucket})")
        if self.test != "poisson_cusum":
            raise ValueError(f"unknown test {self.test!r}")
        if self.shift <= 1:
            raise ValueError("the shift must be a rise (> 1)")

    @property
    def buckets_per_day(self) -> int:
        return timedelta(days=1) // self.bucket

    @property
    def window_buckets(self) -> int:
        return self.window // self.bucket

    def baseline_offsets(self) -> list[int]:
        """How many buckets back each baseline bucket lies (same time of day, neighbours)."""
        return sorted({d * self.buckets_per_day + o for d in range(1, self.baseline_days + 1)
                       for o in range(-self.baseline_span, self.baseline_span + 1)})

    @property
    def lookback(self) -> int:
        """Buckets of history a group keeps: the farthest baseline bucket of the window's first bucket."""
        return max(self.baseline_offsets()) + self.window_buckets - 1

    def baseline_windows(self, window_start) -> list[list]:
        """The starts of the buckets of each baseline window of the window starting at ``window_start``
        (the same hours shifted as the baseline is): what an alert's terms are compared with."""
        return [[window_start + (i - k) * self.bucket for i in range(self.window_buckets)]
                for k in self.baseline_offsets()]

    def expected(self, past: list[int]) -> float:
        return max(sum(past) / len(past), self.baseline_floor)

    def update(self, evidence: float, negatives: int, expected: float) -> float:
        """The CUSUM after one more bucket (in nats)."""
        return max(0.0, evidence + negatives * math.log(self.shift) - (self.shift - 1) * expected)

    @staticmethod
    def score(evidence: float) -> float:
        return min(MAX_SCORE, evidence / math.log(10))

    def fires(self, window_negatives: int, score: float) -> bool:
        return window_negatives >= self.min_negatives and score >= self.min_score

    def describe(self) -> str:
        hours = self.window.total_seconds() / 3600
        return (f"negative tweets of one group per hour against the same hours of the previous "
                f"{self.baseline_days} days (±{self.baseline_span} h): a CUSUM for a {self.shift:g}-fold rise "
                f"fires at a likelihood ratio of 1e{self.min_score:g} with at least {self.min_negatives} negatives "
                f"in the last {hours:g} h; one alert per {self.cooldown.total_seconds() / 3600:g} h quiet episode")

    def to_dict(self) -> dict:
        return {k: (v.total_seconds() if isinstance(v, timedelta) else v) for k, v in asdict(self).items()}

    # --- Azure ---------------------------------------------------------------------------------
    def kql(self) -> str:
        """The scheduled query: the monitor's ``bad_buzz`` events, one row per group. The test
        itself runs in the monitor (a CUSUM is a running state, not a KQL aggregate); Azure notifies
        per group with the rule's cool-down. As in the misprediction rule, the query filters no time
        of its own: the rule's ``windowSize`` (one bucket) is the single truth, so a late re-run of
        an evaluation still sees its whole window."""
        return "\n".join([
            "customEvents",
            f'| where name == "{self.event_name}"',
            "| extend group = tostring(customDimensions.group)",
            "| summarize alerts = count() by group",
        ])

    def criteria(self) -> Criteria:
        return Criteria(description=f"Bad buzz: {self.describe()}.", measure="alerts", threshold=1,
                        window=self.bucket, mute=self.cooldown, dimension="group")

    def shown(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n" + self.kql()


RULE = BuzzRule()


def main(argv: list[str] | None = None) -> int:
    return alert_rule.main(RULE, argv)


if __name__ == "__main__":
    sys.exit(main())
