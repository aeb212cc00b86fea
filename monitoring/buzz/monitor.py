"""The single-machine monitor: scored tweets in, time windows per group, ``bad_buzz`` alerts out.

Windows close when the stream's time passes their end (for every group at once, empty windows
included), so an alert goes out as soon as its window is over. Memory per group is bounded by the
rule's look-back (counts and term counts of ``rule.lookback`` windows), the open window's negative
tweets, and the hourly series kept for charts (``series_hours``).
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
               baseline_terms: list[WindowTerms]) -> BuzzAlert:
    return BuzzAlert(group, decision.window_start, decision.window_start + rule.window, decision.negatives,
                     decision.tweets, decision.baseline, decision.score,
                     summarize(negative_tweets, baseline_terms))


@dataclass
class _Group:
    detector: GroupDetector
    next_start: datetime  # the first window not closed yet
    negatives: int = 0  # of the open window
    tweets: int = 0
    negative_tweets: list[tuple[str, float]] = field(default_factory=list)
    terms: deque = field(default_factory=deque)  # (start, WindowTerms) of past windows
    hourly: dict = field(default_factory=dict)  # hour start -> [negatives, tweets]
    windows: deque = field(default_factory=deque)  # (start, negatives, baseline, alert) for charts


class BuzzMonitor:
    def __init__(self, rule: BuzzRule = RULE, series_hours: int = 24 * 14):
        self.rule, self.series_hours = rule, series_hours
        self.groups: dict[str, _Group] = {}
        self.open_start: datetime | None = None
        self.alerts: list[BuzzAlert] = []
        self.late = 0  # tweets older than the open window (not counted)
        self.seen = 0
        self.local_offset: timedelta | None = None  # the stream's own UTC offset (for daily reports)

    # --- input ------------------------------------------------------------------------------
    def add(self, tweet: Tweet, negative: bool, probability: float) -> list[BuzzAlert]:
        """Count one scored tweet (tweets come in time order); -> the alerts of windows it closed."""
        if self.local_offset is None:
            self.local_offset = tweet.time.utcoffset()
        start = window_start(tweet.time, self.rule.window)
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
        """Close the open window too (end of the stream)."""
        if self.open_start is None:
            return []
        return self._close_until(self.open_start + self.rule.window)

    # --- windows -----------------------------------------------------------------------------
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
        alerts = []
        if decision.alert:
            wanted = set(decision.baseline_windows)
            alerts.append(make_alert(rule, name, decision, group.negative_tweets,
                                     [t for s, t in group.terms if s in wanted]))
        group.terms.append((start, WindowTerms.of(t for t, _ in group.negative_tweets)))
        while len(group.terms) > rule.lookback:
            group.terms.popleft()
        group.windows.append((start, decision.negatives, decision.baseline, decision.alert))
        oldest = start - timedelta(hours=self.series_hours)
        while group.windows and group.windows[0][0] < oldest:
            group.windows.popleft()
        for hour in [h for h in group.hourly if h < oldest]:
            del group.hourly[hour]
        group.negatives = group.tweets = 0
        group.negative_tweets = []
        group.next_start = start + rule.window
        return alerts

    # --- what charts read ---------------------------------------------------------------------
    def hourly_series(self) -> list[dict]:
        """One row per group and hour (empty hours included): negatives, tweets, the baseline of its
        window per hour, and whether its window raised an alert."""
        rows, per_hour = [], self.rule.window / HOUR
        for name, group in self.groups.items():
            windows = {s: (b, a) for s, _n, b, a in group.windows}
            if not group.hourly:
                continue
            hour, last = min(group.hourly), max(group.hourly)
            while hour <= last:
                negatives, tweets = group.hourly.get(hour, (0, 0))
                baseline, alert = windows.get(window_start(hour, self.rule.window), (None, False))
                rows.append({"group": name, "hour": hour, "negatives": negatives, "tweets": tweets,
                             "baseline_per_hour": None if baseline is None else baseline / per_hour,
                             "alert": bool(alert) and hour == window_start(hour, self.rule.window)})
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
    """Score each batch, feed the monitor, hand every alert to ``on_alert`` as its window closes."""
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
