"""The rule applied to one group's window counts, one window at a time.

:class:`GroupDetector` is fed every window of a group in order, empty ones included (as zeros),
and keeps only the ``rule.lookback`` past counts it needs; it returns a :class:`Decision` per
window. The single-machine monitor feeds it as windows close; the Spark job feeds it the windows
it aggregated (the same class, so the same decisions).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from monitoring.buzz.rule import RULE, BuzzRule

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def window_start(moment: datetime, window: timedelta) -> datetime:
    """The start of the window holding ``moment`` (windows aligned on the UTC epoch, so on midnight)."""
    moment = moment.astimezone(UTC)
    return moment - (moment - EPOCH) % window


@dataclass(frozen=True)
class Decision:
    window_start: datetime
    negatives: int
    tweets: int
    baseline: float | None  # expected negatives (None: not enough history yet)
    score: float
    fires: bool  # the test passed
    alert: bool  # ... and the group is not cooling down: emit an alert
    baseline_windows: tuple[datetime, ...] = ()


class GroupDetector:
    def __init__(self, rule: BuzzRule = RULE):
        self.rule = rule
        self.past: deque[tuple[datetime, int]] = deque(maxlen=rule.lookback)  # (start, negatives), oldest first
        self.last_fired: datetime | None = None
        self._offsets = rule.baseline_offsets()

    def close(self, start: datetime, negatives: int, tweets: int) -> Decision:
        """Decide on the window starting at ``start`` (the next one after the previous call)."""
        rule = self.rule
        if self.past and start != self.past[-1][0] + rule.window:
            raise ValueError(f"windows must be consecutive: {start} after {self.past[-1][0]}")
        history = list(self.past)
        chosen = [history[-k] for k in self._offsets if k <= len(history)]
        baseline, score, fires, alert = None, 0.0, False, False
        if len(chosen) >= rule.min_baseline_windows:
            baseline = rule.expected([n for _, n in chosen])
            score = rule.score(negatives, baseline)
            fires = rule.fires(negatives, score)
            if fires:
                alert = self.last_fired is None or start - self.last_fired >= rule.cooldown
                self.last_fired = start
        self.past.append((start, negatives))
        return Decision(start, negatives, tweets, baseline, round(score, 6), fires, alert,
                        tuple(sorted(s for s, _ in chosen)))


def detect(series: list[tuple[datetime, int, int]], rule: BuzzRule = RULE) -> list[Decision]:
    """Decisions for one group's windows ``(start, negatives, tweets)``, sorted by start, gaps
    filled with zeros (what the Spark job calls per group)."""
    detector, out, expected = GroupDetector(rule), [], None
    for start, negatives, tweets in sorted(series):
        while expected is not None and expected < start:
            out.append(detector.close(expected, 0, 0))
            expected += rule.window
        out.append(detector.close(start, negatives, tweets))
        expected = start + rule.window
    return out
