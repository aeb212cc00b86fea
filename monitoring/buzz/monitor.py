"""The single-machine monitor: scored tweets in, time windows per group, ``bad_buzz`` alerts out.

Buckets (an hour) close when the stream's time passes their end (for every group at once, empty
buckets included), so an alert goes out as soon as the hour that fired is over, from the tweets
created before. Memory per group is bounded by the rule's look-back (counts and term counts of
``rule.lookback`` buckets), the negative tweets of the rule's window (the last 3 buckets), and the
hourly series kept for charts (``series_hours``).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from monitoring.buzz.about import WindowTerms, summarize
from monitoring.buzz.detector import Decision, GroupDetector, window_start
from monitoring.buzz.rule import RULE, BuzzRule
from monitoring.buzz.scoring import Scorer
from monitoring.buzz.stream import Tweet

log = logging.getLogger(__name__)
HOUR = timedelta(hours=1)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class BuzzAlert:
    group: str
    window_start: datetime
    window_end: datetime
    negatives: int
    tweets: int
    baseline: float
    score: float
    about: dict

    def to_dict(self) -> dict:
        return {"group": self.group, "window_start": iso(self.window_start), "window_end": iso(self.window_end),
                "negatives": self.negatives, "tweets": self.tweets, "baseline": round(self.baseline, 4),
                "score": round(self.score, 4), "about": self.about}


def make_alert(rule: BuzzRule, group: str, decision: Decision, negative_tweets: list[tuple[str, float]],
               bucket_terms: dict[datetime, WindowTerms]) -> BuzzAlert:
    """The alert for a decision: its window (the rule's window up to the bucket that fired), the
    window's negative tweets in arrival order, and the term counts of (at least) the buckets of
    its baseline windows, by bucket start."""
    start = decision.window_start(rule)
    baseline = [WindowTerms.merge(bucket_terms.get(b) for b in window) for window in rule.baseline_windows(start)]
    return BuzzAlert(group, start, start + rule.window, decision.window_negatives, decision.window_tweets,
                     decision.window_baseline, decision.score, summarize(negative_tweets, baseline, group))


@dataclass
class _Group:
    detector: GroupDetector
    next_start: datetime  # the first bucket not closed yet
    negatives: int = 0  # of the open bucket
    tweets: int = 0
    negative_tweets: list[tuple[str, float]] = field(default_factory=list)
    recent: deque = field(default_factory=deque)  # negative tweets of the window's closed buckets
    terms: dict = field(default_factory=dict)  # start -> WindowTerms of past buckets
    hourly: dict = field(default_factory=dict)  # hour start -> [negatives, tweets]
    windows: deque = field(default_factory=deque)  # (start, negatives, baseline, alert) per bucket, for charts


class BuzzMonitor:
    def __init__(self, rule: BuzzRule = RULE, series_hours: int = 24 * 14):
        self.rule, self.series_hours = rule, series_hours
        self.groups: dict[str, _Group] = {}
        self.open_start: datetime | None = None
        self.alerts: list[BuzzAlert] = []
        self.late = 0  # tweets older than the open bucket (not counted)
        self.seen = 0
        self.local_offset: timedelta | None = None  # the stream's own UTC offset (for daily reports)

    # --- input ------------------------------------------------------------------------------
    def add(self, tweet: Tweet, negative: bool, probability: float) -> list[BuzzAlert]:
        """Count one scored tweet (tweets come in time order); -> the alerts of buckets it closed."""
        if self.local_offset is None:
            self.local_offset = tweet.time.utcoffset()
        start = window_start(tweet.time, self.rule.bucket)
        alerts = []
        if self.open_start is None:
            self.open_start = start
        elif start > self.open_start:
            alerts = self._close_until(start)
            self.open_start = start
        elif start < self.open_start:
            self.late += 1
            return []
        group = self.groups.get(tweet.group)
        if group is None:
            group = self.groups[tweet.group] = _Group(GroupDetector(self.rule), start)
        group.tweets += 1
        hour = group.hourly.setdefault(window_start(tweet.time, HOUR), [0, 0])
        hour[1] += 1
        if negative:
            group.negatives += 1
            hour[0] += 1
            group.negative_tweets.append((tweet.text, probability))
        self.seen += 1
        return alerts

    def flush(self) -> list[BuzzAlert]:
        """Close the open bucket too (end of the stream)."""
        if self.open_start is None:
            return []
        return self._close_until(self.open_start + self.rule.bucket)

    # --- buckets -----------------------------------------------------------------------------
    def _close_until(self, until: datetime) -> list[BuzzAlert]:
        alerts = []
        for name, group in self.groups.items():
            while group.next_start < until:
                alerts += self._close(name, group)
        self.alerts += alerts
        return alerts

    def _close(self, name: str, group: _Group) -> list[BuzzAlert]:
        start, rule = group.next_start, self.rule
        decision = group.detector.close(start, group.negatives, group.tweets)
        group.terms[start] = WindowTerms.of(t for t, _ in group.negative_tweets)
        cutoff = start - rule.lookback * rule.bucket  # once: lookback is computed from the rule
        for old in [s for s in group.terms if s < cutoff]:
            del group.terms[old]
        group.recent.append(group.negative_tweets)
        while len(group.recent) > rule.window_buckets:
            group.recent.popleft()
        alerts = []
        if decision.alert:
            alerts.append(make_alert(rule, name, decision, [t for bucket in group.recent for t in bucket],
                                     group.terms))
        group.windows.append((start, decision.negatives, decision.baseline, decision.alert))
        oldest = start - timedelta(hours=self.series_hours)
        while group.windows and group.windows[0][0] < oldest:
            group.windows.popleft()
        for hour in [h for h in group.hourly if h < oldest]:
            del group.hourly[hour]
        group.negatives = group.tweets = 0
        group.negative_tweets = []
        group.next_start = start + rule.bucket
        return alerts

    # --- what charts read ---------------------------------------------------------------------
    def hourly_series(self) -> list[dict]:
        """One row per group and hour (empty hours included): negatives, tweets, the baseline of its
        bucket per hour, and whether its bucket raised an alert."""
        rows, per_hour = [], self.rule.bucket / HOUR
        for name, group in self.groups.items():
            windows = {s: (b, a) for s, _n, b, a in group.windows}
            if not group.hourly:
                continue
            hour, last = min(group.hourly), max(group.hourly)
            while hour <= last:
                negatives, tweets = group.hourly.get(hour, (0, 0))
                baseline, alert = windows.get(window_start(hour, self.rule.bucket), (None, False))
                rows.append({"group": name, "hour": hour, "negatives": negatives, "tweets": tweets,
                             "baseline_per_hour": None if baseline is None else baseline / per_hour,
                             "alert": bool(alert) and hour == window_start(hour, self.rule.bucket)})
                hour += HOUR
        return rows


@dataclass
class RunSummary:
    tweets: int = 0
    negatives: int = 0
    alerts: list[BuzzAlert] = field(default_factory=list)
    late: int = 0
    monitor: BuzzMonitor | None = None


def run(batches: Iterable[list[Tweet]], scorer: Scorer, monitor: BuzzMonitor | None = None,
        on_alert: Callable[[BuzzAlert], None] = lambda a: None,
        on_batch: Callable[[BuzzMonitor], None] = lambda m: None) -> RunSummary:
    """Score each batch, feed the monitor, hand every alert to ``on_alert`` as its bucket closes."""
    monitor = monitor or BuzzMonitor()
    summary = RunSummary(monitor=monitor)
    for batch in batches:
        scores = scorer([t.text for t in batch])
        for tweet, (negative, probability) in zip(batch, scores, strict=True):
            summary.tweets += 1
            summary.negatives += negative
            for alert in monitor.add(tweet, negative, probability):
                on_alert(alert)
        on_batch(monitor)
    for alert in monitor.flush():
        on_alert(alert)
    on_batch(monitor)
    summary.alerts, summary.late = list(monitor.alerts), monitor.late
    return summary
