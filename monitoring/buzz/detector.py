"""The rule applied to one group's bucket counts, one bucket at a time.

:class:`GroupDetector` is fed every bucket of a group in order, empty ones included (as zeros),
learns what each bucket should hold (:class:`Profile`: time of day, weekday, shrunk; the other
tweets' volume), runs the two tests (a CUSUM for a building storm, a one-bucket burst) and returns
a :class:`Decision` per bucket. Its state is plain Python (lists, deques, floats), so it pickles.
The single-machine monitor feeds it as buckets close; the Spark job feeds it the buckets it
aggregated (the same class, so the same decisions).
"""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from monitoring.buzz.rule import RULE, BuzzRule

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


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
    fires: bool  # a test passed
    alert: bool  # ... and the group is not cooling down: emit an alert
    window_negatives: int = 0  # of the rule's window ending with this bucket (what an alert describes)
    window_tweets: int = 0
    window_baseline: float | None = None
    burst: float = 0.0  # the bucket's own likelihood ratio (log10)
    kind: str = ""  # which test fired: "storm", "burst" or both

    def window_start(self, rule: BuzzRule) -> datetime:
        return self.start + rule.bucket - rule.window


class Profile:
    """What one count (negatives, or the other tweets) usually is per bucket.

    * The **time of day**: the median, over the last ``baseline_days`` days, of that day's mean count
      around the same time (± ``baseline_span``). A median of days (a robust baseline, as in
      Twitter's S-H-ESD, Hochenbaum et al. 2017) lets one stormy day pass without becoming the
      expectation, where a running mean would carry it for days. Only past days are read, so a storm
      building since the morning does not raise its own expectation.
    * The **weekday**: per bucket of the week, how far that level was off on that weekday (observed /
      expected, pooled the same way, the last ``1/week_weight`` weeks), **shrunk** toward no correction
      while few weeks are seen: the factor is ``ratio ** (weeks / (weeks + prior_weeks))``. A bucket is
      learned into it a day after it closed, so the hours just past never pass for the weekday's habit.

    Counts are remembered clipped to ``clip`` × expected + 1."""

    def __init__(self, rule: BuzzRule):
        self.rule = rule
        per_day = rule.buckets_per_day
        self.past: deque = deque(maxlen=rule.baseline_days * per_day + rule.span_buckets)  # clipped counts
        self.pending: deque = deque()  # (week slot, clipped count, level) of the last day
        self.week_seen = [0.0] * rule.buckets_per_week  # running means of the clipped count...
        self.week_said = [0.0] * rule.buckets_per_week  # ...and of what the time of day's level said
        self.weeks = [0] * rule.buckets_per_week

    def level(self) -> float | None:
        """The time of day's level for the bucket about to close (None before ``min_baseline_days``)."""
        rule, per_day, span = self.rule, self.rule.buckets_per_day, self.rule.span_buckets
        size, days = len(self.past), []
        for back in range(1, rule.baseline_days + 1):
            first, last = size - back * per_day - span, size - back * per_day + span  # indexes into past
            if first < 0:
                break
            days.append(sum(self.past[i] for i in range(first, min(last, size - 1) + 1)) / (last - first + 1))
        if len(days) < rule.min_baseline_days:
            return None
        return statistics.median(days)

    def expected(self, week_slot: int) -> tuple[float | None, float | None]:
        """(expected count, the time of day's level alone), None before enough history."""
        rule, level = self.rule, self.level()
        if level is None:
            return None, None
        span, size = rule.span_buckets, len(self.weeks)
        week = [i % size for i in range(week_slot - span, week_slot + span + 1) if self.weeks[i % size]]
        if not week:
            return level, level
        prior = rule.floor * len(week)
        ratio = (sum(self.week_seen[i] for i in week) + prior) / (sum(self.week_said[i] for i in week) + prior)
        weeks = sum(self.weeks[i] for i in week) / len(week)
        return level * ratio ** (weeks / (weeks + rule.prior_weeks)), level

    def learn(self, week_slot: int, count: int, expected: float | None, level: float | None):
        """Remember the bucket just closed; learn the weekday's correction of the one a day older."""
        rule = self.rule
        x = count if expected is None else min(count, rule.clip * expected + 1)
        self.past.append(x)
        self.pending.append((week_slot, x, level))
        if len(self.pending) <= rule.buckets_per_day:
            return
        slot, x, level = self.pending.popleft()
        if level is not None:
            n = self.weeks[slot]
            weight = max(rule.week_weight, 1 / (n + 1))
            self.week_seen[slot] += weight * (x - self.week_seen[slot])
            self.week_said[slot] += weight * (level - self.week_said[slot])
            self.weeks[slot] = n + 1


class GroupDetector:
    def __init__(self, rule: BuzzRule = RULE):
        self.rule = rule
        self.negatives, self.others = Profile(rule), Profile(rule)
        self.recent: deque = deque(maxlen=rule.window_buckets)  # (negatives, tweets, expected)
        self.volume: deque = deque(maxlen=rule.volume_buckets)  # (other tweets, their expectation)
        self.evidence = 0.0  # the CUSUM, in nats
        self.last_fired: datetime | None = None
        self.last_start: datetime | None = None
        self.spread, self.spread_seen = 1.0, 0  # the group's own overdispersion (running mean, ≥ 1)
        self.peaks: deque = deque(maxlen=rule.novelty_days)  # (day, highest CUSUM, highest burst) of past days

    def _slot(self, start: datetime) -> int:
        """The bucket's place in the week."""
        return (start - EPOCH) // self.rule.bucket % self.rule.buckets_per_week

    def _volume_factor(self) -> float:
        """How much busier than usual the group's other tweets are (1: as usual, or unknown)."""
        known = [(o, e) for o, e in self.volume if e is not None]
        prior = self.rule.volume_prior
        ratio = (sum(o for o, _ in known) + prior) / (sum(e for _, e in known) + prior)
        return min(max(ratio, 1.0), self.rule.volume_cap)

    def _learn_spread(self, negatives: int, expected: float) -> None:
        """The Pearson dispersion (n - m)² / m, each bucket's share capped at ``spread_clip`` times
        the current value, so that a storm does not teach the group that storms are normal."""
        rule = self.rule
        pearson = min((negatives - expected) ** 2 / expected, rule.spread_clip * self.spread)
        weight = max(1 / (self.spread_seen + 1 + rule.spread_prior), 1 / rule.spread_buckets)
        self.spread = max(1.0, self.spread + weight * (pearson - self.spread))
        self.spread_seen += 1

    def _usual_peaks(self, start: datetime) -> tuple[float, float]:
        """The highest CUSUM and burst scores of the group's previous days (0 before any): a score
        must beat ``novelty`` times them to fire once ``novelty_min_days`` are seen, so a stream
        whose ordinary days are spiky raises its own bar (a threshold set on the stream's own recent
        scores, in the spirit of NAB's anomaly likelihood, Ahmad et al. 2017)."""
        today = (start - EPOCH) // DAY
        past = [p for p in self.peaks if p[0] != today]
        if len(past) < self.rule.novelty_min_days:
            return 0.0, 0.0
        return max((p[1] for p in past), default=0.0), max((p[2] for p in past), default=0.0)

    def _remember(self, start: datetime, score: float, burst: float) -> None:
        today = (start - EPOCH) // DAY
        if not self.peaks or self.peaks[-1][0] != today:
            self.peaks.append((today, 0.0, 0.0))
        day, top_score, top_burst = self.peaks[-1]
        self.peaks[-1] = (day, max(top_score, score), max(top_burst, burst))

    def close(self, start: datetime, negatives: int, tweets: int) -> Decision:
        """Decide on the bucket starting at ``start`` (the next one after the previous call)."""
        rule = self.rule
        if self.last_start is not None and start != self.last_start + rule.bucket:
            raise ValueError(f"buckets must be consecutive: {start} after {self.last_start}")
        self.last_start = start
        week_slot = self._slot(start)
        others = max(tweets - negatives, 0)
        usual, level = self.negatives.expected(week_slot)
        usual_others, level_others = self.others.expected(week_slot)
        self.volume.append((others, usual_others))
        expected = None if usual is None else max(usual * self._volume_factor(), rule.floor)
        self.recent.append((negatives, tweets, expected))
        window_negatives = sum(r[0] for r in self.recent)
        score = burst = 0.0
        kind = ""
        if expected is not None:
            phi = max(rule.phi(expected), self.spread)
            self.evidence = rule.update(self.evidence, negatives, expected, phi)
            score = rule.score(self.evidence)
            burst = rule.burst(negatives, expected, phi)
            usual_score, usual_burst = self._usual_peaks(start)
            kind = "+".join(k for k, hit in (
                ("storm", rule.fires(window_negatives, score) and score > rule.novelty * usual_score),
                ("burst", rule.bursts(negatives, expected, burst) and burst > rule.novelty * usual_burst)) if hit)
            self._remember(start, score, burst)
        alert = False
        if kind:
            alert = self.last_fired is None or start - self.last_fired >= rule.cooldown
            self.last_fired = start
            self.evidence = 0.0  # the CUSUM restarts after either test fires
        if expected is not None:
            self._learn_spread(negatives, expected)
        self.negatives.learn(week_slot, negatives, expected, level)
        self.others.learn(week_slot, others, usual_others, level_others)
        window_baseline = sum(r[2] for r in self.recent if r[2] is not None) if expected is not None else None
        return Decision(start, negatives, tweets, expected, round(score, 6), bool(kind), alert, window_negatives,
                        sum(r[1] for r in self.recent), window_baseline, round(burst, 6), kind)


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
