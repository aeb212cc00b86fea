"""The bad-buzz rule, written ONCE as data, and what is generated from it.

Used by (1) the single-machine monitor (:mod:`monitoring.buzz.monitor`), (2) the Spark job
(``airparadis.buzz.spark``), both through :class:`monitoring.buzz.detector.GroupDetector`, and
(3) the Azure scheduled-query rule: ``python -m monitoring.buzz.rule --write`` writes
``infra/buzz-rule.json`` that ``infra/alerts.bicep`` loads; a test fails if it drifts.

**The expected count.** Negatives (or, for a counts-only stream, all tweets) are counted per
``bucket`` (15 minutes, aligned on UTC midnight). What a bucket should hold is learned online from
the group's own history, at two periods:

* the **day**: per bucket of the day, the median over the last ``baseline_days`` days of that day's
  mean count within ``baseline_span`` either side (a robust baseline, as in Twitter's S-H-ESD: one
  stormy day does not become the expectation); only past days are read;
* the **week**: per bucket of the week, how far the day's expectation was off on that weekday
  (observed / expected, pooled the same way, the last ``1/week_weight`` weeks), **shrunk** toward
  no correction: the factor is ``ratio ** (weeks / (weeks + prior_weeks))``, so one Friday moves the
  expectation a little and four move it most of the way (a stream younger than a week, such as the
  airline stream, gets the time of day alone); a bucket is learned into it a day after it closed;
* the **volume**: the other tweets of the group (not negative) over the last ``volume_window``
  against their own expectation (the same model): a busier hour than usual, of every kind of
  tweet, raises the negatives expected by that ratio (``volume_prior`` tweets of pseudo-count, at
  least 1, at most ``volume_cap``). A counts-only stream has no others: the factor stays 1.

A history keeps each bucket's count clipped to ``clip`` × expected + 1 so that a storm
does not become the next day's normal. At least ``floor_per_hour`` per hour is expected.

**The tests, two speeds, one alert per episode.**

* a building **storm**: a CUSUM (Page, 1954) sums, bucket after bucket, the log-likelihood ratio of
  a ``shift``-fold rise of the rate: ``S = max(0, S + (n ln(shift) - (shift - 1) m) / φ)``, with
  ``φ = 1 + dispersion·m`` (quasi-Poisson: busy streams vary more than Poisson);
  ``score = S / ln 10`` fires at ``min_score`` with at least ``min_negatives`` in the last ``window``;
* a sudden **burst**: one bucket far above its expectation: ``n ≥ burst_ratio·m``, ``n ≥
  burst_min_negatives`` and its likelihood ratio ``(n ln(n/m) - (n - m)) / φ`` at ``burst_score``
  (log10), raised when that bucket closes (15 minutes, not the hour).

From ``novelty_min_days`` of history on, either score must also beat ``novelty`` times the highest
score of the group's previous ``novelty_days`` days: a stream whose ordinary days are spiky (busy
brands on NAB) raises its own bar, a threshold set on its own recent scores in the spirit of NAB's
anomaly likelihood (Ahmad et al., 2017). A stream younger than that is judged by the two tests alone.

Either test firing restarts the CUSUM; the group stays silent until ``cooldown`` has passed with no
firing bucket (one alert per episode, whichever speed saw it first). The alert describes the last
``window`` (3 hours) up to the bucket that fired; its words are compared with the group's vocabulary
of the previous ``vocabulary_days`` days. The designs measured against it are in
``benchmarks/buzz_designs.py``.
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
LN10 = math.log(10)
HOUR, DAY, WEEK = timedelta(hours=1), timedelta(days=1), timedelta(days=7)


@dataclass(frozen=True)
class BuzzRule(AzureRule):
    """Negative tweets of one group rising against what that hour of that weekday and the group's
    current volume lead to expect: a building storm or a sudden burst."""

    PROG = "python -m monitoring.buzz.rule"
    FILE = RULE_FILE

    name: str = "air-paradis-bad-buzz"
    event_name: str = BAD_BUZZ_EVENT
    bucket: timedelta = timedelta(minutes=15)  # counted and judged per bucket, aligned on UTC midnight
    window: timedelta = timedelta(hours=3)  # what an alert describes (and holds min_negatives of)
    # the expected count
    baseline_span: timedelta = timedelta(hours=1)  # pooled either side of the bucket's time of day
    baseline_days: int = 7  # the time of day's level: the median of these past days
    week_weight: float = 0.5  # the weekday's correction: the last ~2 weeks
    prior_weeks: float = 2.0  # shrinkage of the weekday's correction toward none
    min_baseline_days: int = 1  # no decision before a day of history at that time of day
    floor_per_hour: float = 1.0  # expected count at least this per hour (a quiet night is not zero)
    clip: float = 3.0  # a history learns at most clip × expected + 1 of a bucket
    volume_window: timedelta = timedelta(hours=3)  # the other tweets' excess over this span...
    volume_prior: float = 20.0  # ...with this pseudo-count...
    volume_cap: float = 1.0  # ...explains at most this factor of the negatives (1: off, see the designs)
    dispersion: float = 0.02  # quasi-Poisson: evidence divided by 1 + dispersion × expected at least...
    spread_buckets: int = 7 * 96  # ...or by the group's own Pearson dispersion, a running mean over a week
    spread_prior: float = 96.0  # (buckets of pseudo-count at 1)
    spread_clip: float = 10.0  # each bucket weighs at most this many times the current value
    # the building storm
    test: str = "poisson_cusum+burst"
    shift: float = 1.5  # the CUSUM looks for the rate rising by half
    min_score: float = 4.5  # log10 of the likelihood ratio summed by the CUSUM
    min_negatives: int = 20  # and at least this many in the last `window`
    # the sudden burst
    burst_ratio: float = 4.0  # one bucket at least this many times its expectation
    burst_score: float = 6.0  # log10 of its likelihood ratio
    burst_min_negatives: int = 16  # and at least this many in it
    novelty_days: int = 14  # and beat `novelty` times the highest scores of the group's previous days
    novelty: float = 1.75
    novelty_min_days: int = 7  # (from a week of history on)
    cooldown: timedelta = timedelta(hours=18)  # silence after an alert until no bucket fired for this long
    vocabulary_days: int = 2  # what an alert's words are compared with
    evaluation_frequency: timedelta = timedelta(minutes=15)  # Azure: how often the query runs
    severity: int = 2

    def __post_init__(self):
        if DAY % self.bucket:
            raise ValueError(f"the bucket ({self.bucket}) must divide a day")
        if self.window % self.bucket or self.window < self.bucket:
            raise ValueError(f"the window ({self.window}) must be a whole number of buckets ({self.bucket})")
        if self.test != "poisson_cusum+burst":
            raise ValueError(f"unknown test {self.test!r}")
        if self.shift <= 1 or self.burst_ratio <= 1:
            raise ValueError("the shift and the burst ratio must be rises (> 1)")
        if not 0 < self.week_weight <= 1:
            raise ValueError("the week weight lies in (0, 1]")
        if not 1 <= self.min_baseline_days <= self.baseline_days:
            raise ValueError("min_baseline_days lies in [1, baseline_days]")

    @property
    def buckets_per_day(self) -> int:
        return DAY // self.bucket

    @property
    def buckets_per_week(self) -> int:
        return WEEK // self.bucket

    @property
    def window_buckets(self) -> int:
        return self.window // self.bucket

    @property
    def span_buckets(self) -> int:
        return self.baseline_span // self.bucket

    @property
    def volume_buckets(self) -> int:
        return max(1, self.volume_window // self.bucket)

    @property
    def floor(self) -> float:
        """The least expected count of one bucket."""
        return self.floor_per_hour * (self.bucket / HOUR)

    @property
    def lookback(self) -> int:
        """Buckets of history whose words a group keeps: the vocabulary days and the window."""
        return self.vocabulary_days * self.buckets_per_day + self.window_buckets

    def baseline_windows(self, window_start) -> list[list]:
        """The bucket starts of the group's vocabulary before the window starting at ``window_start``,
        one list per day back: what an alert's words are compared with."""
        per_day = self.buckets_per_day
        return [[window_start - (d * per_day - i) * self.bucket for i in range(per_day)]
                for d in range(1, self.vocabulary_days + 1)]

    # --- the two tests -------------------------------------------------------------------------
    def phi(self, expected: float) -> float:
        return 1.0 + self.dispersion * expected

    def update(self, evidence: float, negatives: int, expected: float, phi: float = 1.0) -> float:
        """The CUSUM after one more bucket (in nats), the log-likelihood ratio divided by ``phi``."""
        step = negatives * math.log(self.shift) - (self.shift - 1) * expected
        return max(0.0, evidence + step / phi)

    @staticmethod
    def score(evidence: float) -> float:
        return min(MAX_SCORE, evidence / LN10)

    def fires(self, window_negatives: int, score: float) -> bool:
        return window_negatives >= self.min_negatives and score >= self.min_score

    def burst(self, negatives: int, expected: float, phi: float = 1.0) -> float:
        """log10 of the likelihood ratio of one bucket's count against its expectation (0 if not a
        rise), divided by ``phi``."""
        if negatives <= expected:
            return 0.0
        return self.score((negatives * math.log(negatives / expected) - (negatives - expected)) / phi)

    def bursts(self, negatives: int, expected: float, score: float) -> bool:
        return (negatives >= self.burst_min_negatives and negatives >= self.burst_ratio * expected
                and score >= self.burst_score)

    def describe(self) -> str:
        hours = self.window.total_seconds() / 3600
        minutes = self.bucket.total_seconds() / 60
        return (f"negative tweets of one group per {minutes:g} min against what that time of day, that weekday "
                f"(shrunk over {self.prior_weeks:g} weeks) and the group's other tweets lead to expect: a CUSUM "
                f"for a {self.shift:g}-fold rise fires at a likelihood ratio of 1e{self.min_score:g} with at least "
                f"{self.min_negatives} negatives in the last {hours:g} h, a burst at {self.burst_ratio:g}× one "
                f"bucket's expectation (1e{self.burst_score:g}, at least {self.burst_min_negatives}); one alert per "
                f"{self.cooldown.total_seconds() / 3600:g} h quiet episode")

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
