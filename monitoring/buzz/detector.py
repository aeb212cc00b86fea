"""The rule applied to one group's hourly counts, one bucket at a time.

:class:`GroupDetector` is fed every bucket of a group in order, empty ones included (as zeros),
keeps only the ``rule.lookback`` past counts it needs and the CUSUM, and returns a
:class:`Decision` per bucket. The single-machine monitor feeds it as buckets close; the Spark job
feeds it the buckets it aggregated (the same class, so the same decisions).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from monitoring.buzz.rule import RULE, BuzzRule

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def window_start(moment: datetime, window: timedelta) -> datetime:
    """The start of the bucket holding ``moment`` (aligned on the UTC epoch, so on midnight)."""
    moment = moment.astimezone(UTC)
    return moment - (moment - EPOCH) % window


@dataclass(frozen=True)
class Decision:
    start: datetime  # of the bucket just closed
    negatives: int  # of that bucket
    tweets: int
    baseline: float | None  # its expected negatives (None: not enough history yet)
    score: float  # the CUSUM after it (log10)
    fires: bool  # the test passed
    alert: bool  # ... and the group is not cooling down: emit an alert
    window_negatives: int = 0  # of the rule's window ending with this bucket (what an alert describes)
    window_tweets: int = 0
    window_baseline: float | None = None

    def window_start(self, rule: BuzzRule) -> datetime:
        return self.start + rule.bucket - rule.window


class GroupDetector:
    def __init__(self, rule: BuzzRule = RULE):
        self.rule = rule
        # (start, negatives, tweets, expected) of past buckets, oldest first
        self.past: deque[tuple[datetime, int, int, float | None]] = deque(maxlen=rule.lookback)
        self.evidence = 0.0  # the CUSUM, in nats
        self.last_fired: datetime | None = None
        self._offsets = rule.baseline_offsets()

    def close(self, start: datetime, negatives: int, tweets: int) -> Decision:
        """Decide on the bucket starting at ``start`` (the next one after the previous call)."""
        rule = self.rule
        if self.past and start != self.past[-1][0] + rule.bucket:
            raise ValueError(f"buckets must be consecutive: {start} after {self.past[-1][0]}")
        history = list(self.past)
        chosen = [history[-k][1] for k in self._offsets if k <= len(history)]
        expected, score, fires, alert = None, 0.0, False, False
        recent = [*history[max(0, len(history) - rule.window_buckets + 1):], (start, negatives, tweets, None)]
        window_negatives = sum(r[1] for r in recent)
        if len(chosen) >= rule.min_baseline_windows:
            expected = rule.expected(chosen)
            self.evidence = rule.update(self.evidence, negatives, expected)
            score = rule.score(self.evidence)
            fires = rule.fires(window_negatives, score)
            if fires:
                alert = self.last_fired is None or start - self.last_fired >= rule.cooldown
                self.last_fired = start
                self.evidence = 0.0  # the CUSUM restarts after it fires
        self.past.append((start, negatives, tweets, expected))
        known = [r[3] for r in recent[:-1] if r[3] is not None] + [expected]
        window_baseline = sum(known) if expected is not None else None
        return Decision(start, negatives, tweets, expected, round(score, 6), fires, alert,
                        window_negatives, sum(r[2] for r in recent), window_baseline)


def detect(series: list[tuple[datetime, int, int]], rule: BuzzRule = RULE) -> list[Decision]:
    """Decisions for one group's buckets ``(start, negatives, tweets)``, sorted by start, gaps
    filled with zeros (what the Spark job calls per group)."""
    detector, out, expected = GroupDetector(rule), [], None
    for start, negatives, tweets in sorted(series):
        while expected is not None and expected < start:
            out.append(detector.close(expected, 0, 0))
            expected += rule.bucket
        out.append(detector.close(start, negatives, tweets))
        expected = start + rule.bucket
    return out
