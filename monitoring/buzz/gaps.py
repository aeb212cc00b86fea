"""Feed gaps: whole buckets in which the stream, all groups together, brought no tweet although its
usual volume says tweets were due (the feed stalled: a quiet hour is not a silent one).

The rule, written once: ``min_buckets`` or more consecutive buckets without a single tweet, whose
expected tweets add up to at least ``min_expected``. A bucket's expected tweets are the stream's
mean count at the same time of day on the previous ``days`` days (the days known; a bucket with no
known day expects nothing, so a new stream has no gap). With ``min_expected`` 10 a Poisson stream
is silent that long by chance with probability e^-10 (under 1 in 20,000).

The monitor reports a gap (a ``feed_gap`` record with its start and end) and does not score its
buckets as quiet: each group's count of a gap bucket is its mean at that time of day on the same
previous days, so neither its baseline nor its CUSUM learns a silence that was never observed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from monitoring.buzz.stream import iso


@dataclass(frozen=True)
class GapRule:
    min_buckets: int = 1  # this many whole empty buckets at least...
    min_expected: float = 10.0  # ...where the stream's usual volume expected at least this many tweets
    days: int = 7  # the usual volume: the same time of day on up to this many previous days

    def describe(self) -> str:
        return (f"{self.min_buckets}+ whole buckets with no tweet in any group where the same time of day "
                f"on the previous {self.days} days expects {self.min_expected:g}+ tweets")


GAP_RULE = GapRule()


@dataclass(frozen=True)
class FeedGap:
    start: datetime  # of the first silent bucket
    end: datetime  # of the last one
    expected_tweets: float

    def key(self) -> tuple[str, str]:
        return ("feed_gap", iso(self.start))

    def to_dict(self) -> dict:
        return {"event": "feed_gap", "start": iso(self.start), "end": iso(self.end),
                "expected_tweets": round(self.expected_tweets, 1)}


def same_time_mean(counts: dict[datetime, float], start: datetime, day: timedelta, days: int) -> float | None:
    """The mean of ``counts`` at ``start`` minus 1..``days`` days (None: no such day known)."""
    known = [counts[start - k * day] for k in range(1, days + 1) if start - k * day in counts]
    return sum(known) / len(known) if known else None


def find(counts: dict[datetime, int], first: datetime, end: datetime, bucket: timedelta,
         rule: GapRule = GAP_RULE) -> FeedGap | None:
    """The gap made of the empty buckets from ``first`` up to ``end`` (excluded), if the rule says
    it is one; ``counts``: the stream's tweets per past bucket (gap buckets left out)."""
    starts = []
    moment = first
    while moment < end:
        starts.append(moment)
        moment += bucket
    if len(starts) < rule.min_buckets:
        return None
    day = timedelta(days=1)
    expected = sum(same_time_mean(counts, s, day, rule.days) or 0.0 for s in starts)
    return FeedGap(starts[0], end, expected) if expected >= rule.min_expected else None
