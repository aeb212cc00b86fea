"""The single-machine monitor: scored tweets in, time windows per group, ``bad_buzz`` alerts out.

Buckets (an hour) close when the stream's time passes their end (for every group at once, empty
buckets included), so an alert goes out as soon as the hour that fired is over, from the tweets
created before. Memory per group is bounded by the rule's look-back (counts and the negative texts
of ``rule.lookback`` buckets, whose terms are counted only when an alert needs them), and the
hourly series kept for charts (``series_hours``).

Everything the monitor knows is plain picklable Python, so :mod:`monitoring.buzz.checkpoint` can
save it and a restarted monitor resume: the last tweet seen (time, and the ids or count of the
tweets at that time), the alerts and feed gaps already handed out, and the Spark job's last
micro-batch. Whole buckets in which the feed stalled are reported as gaps
(:mod:`monitoring.buzz.gaps`), not scored as quiet.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitoring.buzz import gaps as feed_gaps
from monitoring.buzz.about import WindowTerms, summarize
from monitoring.buzz.detector import Decision, GroupDetector, window_start
from monitoring.buzz.gaps import GAP_RULE, FeedGap, GapRule
from monitoring.buzz.rule import RULE, BuzzRule
from monitoring.buzz.scoring import Scorer
from monitoring.buzz.stream import Tweet, iso

log = logging.getLogger(__name__)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
__all__ = ["BuzzAlert", "BuzzMonitor", "FeedGap", "RunSummary", "iso", "make_alert", "run"]


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

    def key(self) -> tuple[str, str]:
        """What identifies an alert (a group fires at most once per window): sinks send a key once."""
        return (self.group, iso(self.window_start))


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
    texts: dict = field(default_factory=dict)  # start -> negative texts of past buckets (the look-back)
    hourly: dict = field(default_factory=dict)  # hour start -> [negatives, tweets]
    windows: deque = field(default_factory=deque)  # (start, negatives, tweets, baseline, alert) per bucket


class _TermsOf(dict):
    """The term counts of a group's past buckets, each counted when first asked for (only an alert
    asks, so the hot path keeps texts and counts no term)."""

    def __init__(self, texts: dict[datetime, list[str]]):
        super().__init__()
        self.texts = texts

    def __missing__(self, start: datetime) -> WindowTerms:
        self[start] = terms = WindowTerms.of(self.texts[start])
        return terms

    def get(self, start, default=None):
        return self[start] if start in self.texts else default

    def __contains__(self, start) -> bool:
        return start in self.texts


class BuzzMonitor:
    def __init__(self, rule: BuzzRule = RULE, series_hours: int = 24 * 14, gap_rule: GapRule = GAP_RULE):
        self.rule, self.series_hours, self.gap_rule = rule, series_hours, gap_rule
        self.lookback = rule.lookback  # buckets of texts kept per group (computed from the rule: once)
        self.groups: dict[str, _Group] = {}
        self.open_start: datetime | None = None
        self._open_end: datetime | None = None
        self.open_tweets = 0  # of the open bucket, all groups
        self.stream_counts: dict[datetime, int] = {}  # tweets per closed bucket, all groups (gaps left out)
        self.alerts: list[BuzzAlert] = []
        self.gaps: list[FeedGap] = []
        self.late = 0  # tweets older than the open bucket (not counted)
        self.seen = 0
        self.local_offset: timedelta | None = None  # the stream's own UTC offset (for daily reports)
        self.last_time: datetime | None = None  # the latest tweet time seen...
        self.last_ids: list[str] = []  # ...and the ids of the tweets seen at that time ("" without one)
        self.finished = False  # the stream ended and its last bucket was closed
        self.batch_id = -1  # the Spark job's last micro-batch applied
        self.source = ""  # what the stream is read from (a resumed state must be of the same stream)

    # --- input ------------------------------------------------------------------------------
    def add(self, tweet: Tweet, negative: bool, probability: float) -> list[BuzzAlert]:
        """Count one scored tweet (tweets come in time order); -> the alerts of buckets it closed
        (the feed gaps it revealed are appended to ``gaps``)."""
        moment = tweet.time
        if self.last_time is None or moment > self.last_time:
            self.last_time, self.last_ids = moment, [tweet.id]
        elif moment == self.last_time:
            self.last_ids.append(tweet.id)
        alerts = []
        if self._open_end is not None and self.open_start <= moment < self._open_end:
            start = self.open_start  # the common case: the open bucket
        else:
            if self.local_offset is None:
                self.local_offset = moment.utcoffset()
            start = window_start(moment, self.rule.bucket)
            if self.open_start is None:
                self._open(start)
            elif start > self.open_start:
                alerts = self._close_until(start)
                self._open(start)
            else:
                self.late += 1
                return []
        group = self.groups.get(tweet.group)
        if group is None:
            group = self.groups[tweet.group] = _Group(GroupDetector(self.rule), start)
        group.tweets += 1
        self.open_tweets += 1
        hour_start = start if self.rule.bucket == HOUR else window_start(moment, HOUR)
        hour = group.hourly.get(hour_start)
        if hour is None:
            hour = group.hourly[hour_start] = [0, 0]
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
        alerts = self._close_until(self.open_start + self.rule.bucket)
        self._open_end = None  # a later tweet of the flushed bucket is late
        self.finished = True
        return alerts

    def unseen(self) -> Callable[[list[Tweet]], list[Tweet]]:
        """A filter for the batches of a resumed stream: it drops the tweets seen before (older than
        the last one seen, or at its time with a seen id or, without ids, among the first seen)."""
        last, ids = self.last_time, Counter(self.last_ids)
        state = {"done": last is None}

        def keep(batch: list[Tweet]) -> list[Tweet]:
            if state["done"]:
                return batch
            kept = []
            for tweet in batch:
                if state["done"] or tweet.time > last:
                    state["done"] = True
                    kept.append(tweet)
                elif tweet.time == last and ids[tweet.id] <= 0:
                    kept.append(tweet)
                elif tweet.time == last:
                    ids[tweet.id] -= 1
            return kept

        return keep

    # --- buckets -----------------------------------------------------------------------------
    def _open(self, start: datetime) -> None:
        self.open_start, self._open_end = start, start + self.rule.bucket

    def _close_until(self, until: datetime) -> list[BuzzAlert]:
        """Close the open bucket and the empty ones up to ``until``: a feed gap when the rule says so."""
        bucket, first_empty = self.rule.bucket, self.open_start + self.rule.bucket
        self._count_stream(self.open_start, self.open_tweets)
        self.open_tweets = 0
        gap = feed_gaps.find(self.stream_counts, first_empty, until, bucket, self.gap_rule)
        if gap is not None:
            self.gaps.append(gap)
            log.warning("feed gap: no tweet from %s to %s (%.0f expected)", iso(gap.start), iso(gap.end),
                        gap.expected_tweets)
        alerts = []
        for name, group in self.groups.items():
            while group.next_start < until:
                if gap is not None and group.next_start >= gap.start:
                    alerts += self._close(name, group, *self._usual(group, group.next_start))
                else:
                    alerts += self._close(name, group)
        moment = first_empty
        while gap is None and moment < until:
            self._count_stream(moment, 0)
            moment += bucket
        self.alerts += alerts
        return alerts

    def _count_stream(self, start: datetime, tweets: int) -> None:
        self.stream_counts[start] = tweets
        oldest = start - self.gap_rule.days * DAY
        if len(self.stream_counts) > (self.gap_rule.days + 1) * self.rule.buckets_per_day:
            for old in [s for s in self.stream_counts if s < oldest]:
                del self.stream_counts[old]

    def _usual(self, group: _Group, start: datetime) -> tuple[int, int]:
        """(negatives, tweets) a gap bucket is scored with: the group's mean at that time of day."""
        past = {s: (n, t) for s, n, t, _b, _a in group.windows}
        known = [past[start - k * DAY] for k in range(1, self.gap_rule.days + 1) if start - k * DAY in past]
        if not known:
            return 0, 0
        return (round(sum(n for n, _ in known) / len(known)), round(sum(t for _, t in known) / len(known)))

    def _close(self, name: str, group: _Group, negatives: int | None = None, tweets: int | None = None
               ) -> list[BuzzAlert]:
        """Close the group's next bucket with its counts (or, in a feed gap, the counts given)."""
        start, rule = group.next_start, self.rule
        decision = group.detector.close(start, group.negatives if negatives is None else negatives,
                                        group.tweets if tweets is None else tweets)
        group.texts[start] = [t for t, _ in group.negative_tweets]
        cutoff = start - self.lookback * rule.bucket
        if len(group.texts) > self.lookback + 1:
            for old in [s for s in group.texts if s < cutoff]:
                del group.texts[old]
        group.recent.append(group.negative_tweets)
        while len(group.recent) > rule.window_buckets:
            group.recent.popleft()
        alerts = []
        if decision.alert:
            alerts.append(make_alert(rule, name, decision, [t for bucket in group.recent for t in bucket],
                                     _TermsOf(group.texts)))
        group.windows.append((start, decision.negatives, decision.tweets, decision.baseline, decision.alert))
        oldest = start - timedelta(hours=self.series_hours)
        while group.windows and group.windows[0][0] < oldest:
            group.windows.popleft()
        if len(group.hourly) > self.series_hours + 1:
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
            windows = {s: (b, a) for s, _n, _t, b, a in group.windows}
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
    tweets: int = 0  # scored in this run (a resumed run skips those seen before)
    negatives: int = 0
    alerts: list[BuzzAlert] = field(default_factory=list)  # of the whole stream, resumed runs included
    late: int = 0
    skipped: int = 0  # tweets seen before the restart
    gaps: list[FeedGap] = field(default_factory=list)
    monitor: BuzzMonitor | None = None


def run(batches: Iterable[list[Tweet]], scorer: Scorer, monitor: BuzzMonitor | None = None,
        on_alert: Callable[[BuzzAlert], None] = lambda a: None,
        on_batch: Callable[[BuzzMonitor], None] = lambda m: None,
        on_gap: Callable[[FeedGap], None] = lambda g: None,
        save: Callable[[BuzzMonitor], None] | None = None, save_every: int = 5000) -> RunSummary:
    """Score each batch, feed the monitor, hand every alert to ``on_alert`` as its bucket closes and
    every feed gap to ``on_gap``. A resumed ``monitor`` skips the tweets it saw. ``save(monitor)``
    (a checkpoint) is called right after alerts or gaps went out, so a resumed run does not close
    their buckets again (only a kill between the two can repeat one: the JSON-lines sink skips its
    key), every ``save_every`` tweets, and at the end."""
    monitor = monitor or BuzzMonitor()
    summary = RunSummary(monitor=monitor)
    unseen, saved_at, gaps_out = monitor.unseen(), monitor.seen, len(monitor.gaps)

    def hand_out(alerts: list[BuzzAlert]) -> bool:
        """Hand out the new gaps and these alerts; -> any went out."""
        nonlocal gaps_out
        gaps, gaps_out = monitor.gaps[gaps_out:], len(monitor.gaps)
        for gap in gaps:
            on_gap(gap)
        for alert in alerts:
            on_alert(alert)
        return bool(gaps or alerts)

    for batch in batches:
        fresh = unseen(batch)
        summary.skipped += len(batch) - len(fresh)
        if not fresh:
            continue
        scores = scorer([t.text for t in fresh])
        for tweet, (negative, probability) in zip(fresh, scores, strict=True):
            summary.tweets += 1
            summary.negatives += negative
            alerts = monitor.add(tweet, negative, probability)
            went_out = (alerts or len(monitor.gaps) > gaps_out) and hand_out(alerts)
            if save and (went_out or monitor.seen - saved_at >= save_every):
                save(monitor)
                saved_at = monitor.seen
        on_batch(monitor)
    hand_out(monitor.flush())
    if save:
        save(monitor)
    on_batch(monitor)
    summary.alerts, summary.late, summary.gaps = list(monitor.alerts), monitor.late, list(monitor.gaps)
    return summary
