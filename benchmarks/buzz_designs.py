"""Which bad-buzz rule warns earliest for at most the same false alarms: the designs compared.

``python -m benchmarks.buzz_designs [--model production]`` scores the February 2015 airline stream
once, runs every design over the same scored tweets and measures each with the report's own
:func:`monitoring.buzz.daily.measure` (local days, the human labels say which days are episodes;
lead = peak hour start − first alert; an alert raised at ``t`` only uses tweets created before
``t``). The chosen rule runs through the real monitor (``RULE``) and its variants through the same
code with other parameters; the discarded designs (negative-binomial windows, EWMA, a CUSUM judged
at every tweet) are written here only, as experiments. Prints a table; writes
``benchmarks/results/buzz_designs.json`` and the same table as ``buzz_designs.md`` (what the README
points to), naming the model version that scored the stream.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scipy import stats

from monitoring.buzz import daily, stream
from monitoring.buzz.detector import EPOCH
from monitoring.buzz.monitor import BuzzMonitor
from monitoring.buzz.rule import RULE

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "benchmarks" / "results" / "buzz_designs.json"
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


class Stream:
    """The scored stream: negative times per group, the hourly rows the report reads, the labels."""

    def __init__(self, scored: list[tuple[stream.Tweet, bool]], labels: dict):
        self.scored, self.labels = scored, labels
        self.offset = scored[0][0].time.utcoffset()
        self.first = {}
        self.negatives: dict[str, list[datetime]] = defaultdict(list)
        for tweet, negative in scored:
            self.first.setdefault(tweet.group, tweet.time.astimezone(UTC))
            if negative:
                self.negatives[tweet.group].append(tweet.time.astimezone(UTC))
        self.last = max(t.time for t, _ in scored).astimezone(UTC)

    def count(self, group: str, start: datetime, end: datetime) -> int:
        times = self.negatives[group]
        return bisect.bisect_left(times, end) - bisect.bisect_left(times, start)

    def hours(self, judged: set[tuple[str, datetime]]) -> list[dict]:
        """The report's hourly rows; an hour is judged when the design had a baseline in it."""
        rows = []
        for group, first in self.first.items():
            hour = first - (first - EPOCH) % HOUR
            while hour <= self.last:
                rows.append({"group": group, "hour": hour, "negatives": self.count(group, hour, hour + HOUR),
                             "tweets": 0, "baseline_per_hour": 1.0 if (group, hour) in judged else None})
                hour += HOUR
        return rows

    def measure(self, raised: list[tuple[str, datetime]], judged: set[tuple[str, datetime]]) -> dict:
        _rows, totals = daily.measure(self.hours(judged), sorted(raised, key=lambda r: r[1]), self.offset,
                                       self.labels)
        return totals


def real_rule(data: Stream, rule) -> dict:
    """The product's own monitor with ``rule`` (the chosen design and its variants)."""
    monitor = BuzzMonitor(rule)
    for tweet, negative in data.scored:
        monitor.add(tweet, negative, 0.9 if negative else 0.1)
    monitor.flush()
    judged = {(r["group"], r["hour"]) for r in monitor.hourly_series() if r["baseline_per_hour"] is not None}
    return data.measure([(a.group, a.window_end) for a in monitor.alerts], judged)


def nb_score(n: int, mean: float, dispersion: float = 0.02) -> float:
    r = 1 / dispersion
    p = stats.nbinom.sf(n - 1, r, r / (r + mean))
    return 99.0 if p <= 0 else -math.log10(p)


def nb_windows(data: Stream, window: timedelta, step: timedelta | None, min_score: float = 5.0,
               min_negatives: int = 20, neighbour: timedelta | None = None, days: int = 3) -> dict:
    """The negative-binomial window test (the previous rule): ``window`` judged every ``step`` (at
    step ends on UTC midnight's grid) or, ``step`` None, at every negative tweet (as soon as the
    count crosses); baseline: the same window on ``days`` previous days ± one ``neighbour``."""
    neighbour = neighbour or step or HOUR
    raised, judged = [], set()
    for group, times in data.negatives.items():
        first = data.first[group]
        grid = first - (first - EPOCH) % (step or HOUR)
        if step is None:
            ends = [t + timedelta(seconds=1) for t in times]
        else:
            ends, end = [], grid + step
            while end <= times[-1] + step:
                ends.append(end)
                end += step
        last_fired = None
        for end in ends:
            past = [data.count(group, e - window, e) for d in range(1, days + 1) for o in (-1, 0, 1)
                    if (e := end - d * DAY + o * neighbour) - window >= grid]
            if len(past) < 3:
                continue
            judged.add((group, (end - timedelta(seconds=1)) - (end - timedelta(seconds=1) - EPOCH) % HOUR))
            n = data.count(group, end - window, end)
            if n >= min_negatives and nb_score(n, max(sum(past) / len(past), 1.0)) >= min_score:
                if last_fired is None or end - last_fired >= timedelta(hours=12):
                    raised.append((group, end))
                last_fired = end
    return data.measure(raised, judged)


def hourly_expected(data: Stream, group: str, end: datetime, grid: datetime) -> float | None:
    past = [data.count(group, e - HOUR, e) for d in range(1, 4) for o in (-1, 0, 1)
            if (e := end - d * DAY + o * HOUR) - HOUR >= grid]
    return max(sum(past) / len(past), 1.0) if len(past) >= 3 else None


def ewma(data: Stream, lam: float, limit: float, dispersion: float = 0.02) -> dict:
    """EWMA of the hourly standardised excess over the same-hour baseline; fires above
    ``limit`` standard deviations of the EWMA."""
    raised, judged = [], set()
    for group, times in data.negatives.items():
        first = data.first[group]
        grid = end = first - (first - EPOCH) % HOUR
        z, last_fired = 0.0, None
        while end <= times[-1] + HOUR:
            end += HOUR
            m = hourly_expected(data, group, end, grid)
            if m is None:
                continue
            judged.add((group, end - HOUR))
            n = data.count(group, end - HOUR, end)
            z = lam * (n - m) / math.sqrt(m + dispersion * m * m) + (1 - lam) * z
            if z >= limit * math.sqrt(lam / (2 - lam)) and data.count(group, end - 3 * HOUR, end) >= 20:
                if last_fired is None or end - last_fired >= timedelta(hours=12):
                    raised.append((group, end))
                last_fired = end
    return data.measure(raised, judged)


def cusum_per_tweet(data: Stream, rule=RULE) -> dict:
    """The chosen CUSUM judged at every negative tweet inside the open hour (the hour's expected
    count pro rata), instead of when the hour closes."""
    raised, judged = [], set()
    ln_shift, threshold = math.log(rule.shift), rule.min_score * math.log(10)
    for group, times in data.negatives.items():
        first = data.first[group]
        grid = start = first - (first - EPOCH) % HOUR
        evidence, last_fired = 0.0, None
        while start <= times[-1]:
            end = start + HOUR
            m = hourly_expected(data, group, end, grid)
            if m is not None:
                judged.add((group, start))
                inside = times[bisect.bisect_left(times, start):bisect.bisect_left(times, end)]
                before = data.count(group, end - rule.window, start)
                for k, t in enumerate(inside, 1):
                    gain = k * ln_shift - (rule.shift - 1) * m * ((t - start) / HOUR)
                    if evidence + gain >= threshold and before + k >= rule.min_negatives:
                        at = t + timedelta(seconds=1)
                        if last_fired is None or at - last_fired >= rule.cooldown:
                            raised.append((group, at))
                        last_fired, evidence = at, -gain  # restart from this tweet
                        break
                evidence = max(0.0, evidence + len(inside) * ln_shift - (rule.shift - 1) * m)
            start = end
    return data.measure(raised, judged)


def designs(data: Stream) -> list[tuple[str, dict]]:
    h3 = 3 * HOUR
    return [
        ("previous rule: 3 h windows on UTC midnight, NB p<=1e-5, >=20, judged at window end",
         nb_windows(data, h3, h3)),
        ("1 h windows, NB p<=1e-5, >=20 (baseline ±1 h)", nb_windows(data, HOUR, HOUR)),
        ("1 h windows, NB p<=1e-5, >=10 (volume floor 10)", nb_windows(data, HOUR, HOUR, min_negatives=10)),
        ("3 h sliding, judged every hour, NB p<=1e-5", nb_windows(data, h3, HOUR, neighbour=h3)),
        ("3 h sliding, judged every hour, NB p<=1e-7", nb_windows(data, h3, HOUR, neighbour=h3, min_score=7)),
        ("3 h sliding, judged every 15 min, NB p<=1e-5", nb_windows(data, h3, HOUR / 4, neighbour=h3)),
        ("3 h sliding, judged every 15 min, NB p<=1e-7", nb_windows(data, h3, HOUR / 4, neighbour=h3, min_score=7)),
        ("3 h sliding, judged at every tweet, NB p<=1e-5", nb_windows(data, h3, None)),
        ("3 h sliding, judged at every tweet, NB p<=1e-7", nb_windows(data, h3, None, min_score=7)),
        ("EWMA of hourly excess, lambda 0.05, 6 sigma", ewma(data, 0.05, 6.0)),
        ("EWMA of hourly excess, lambda 0.1, 6 sigma", ewma(data, 0.1, 6.0)),
        ("CUSUM hourly, 2-fold rise, LR 1e8", real_rule(data, replace(RULE, min_score=8.0))),
        ("CUSUM hourly, 2-fold rise, LR 1e9 (chosen)", real_rule(data, RULE)),
        ("CUSUM hourly, 2-fold rise, LR 1e10", real_rule(data, replace(RULE, min_score=10.0))),
        ("CUSUM hourly, 1.5-fold rise, LR 1e9", real_rule(data, replace(RULE, shift=1.5))),
        ("CUSUM hourly, 3-fold rise, LR 1e9", real_rule(data, replace(RULE, shift=3.0))),
        ("CUSUM hourly, baseline 2 days", real_rule(data, replace(RULE, baseline_days=2))),
        ("CUSUM, 15-minute buckets, LR 1e9", real_rule(data, replace(RULE, bucket=HOUR / 4))),
        ("CUSUM hourly, judged at every tweet, LR 1e9", cusum_per_tweet(data)),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.buzz_designs", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="", help="model URI or alias (default: production)")
    parser.add_argument("--input", default=str(ROOT / "data" / "airline_tweets_2015.csv"))
    parser.add_argument("--output", default=str(RESULT))
    args = parser.parse_args(argv)
    from airparadis.buzz.scoring import ModelScorer, model_uri

    tweets = stream.read_file(Path(args.input))
    scores = ModelScorer(model_uri(args.model))([t.text for t in tweets])
    labels = daily.labelled_negatives(Path(args.input), stream.Columns(), "airline_sentiment")
    data = Stream([(t, negative) for t, (negative, _p) in zip(tweets, scores, strict=True)], labels)
    results = []
    for name, totals in designs(data):
        leads = totals["episode_leads_hours"]
        cells = "  ".join(f"{k.split()[0][:9]} {k[-2:]}: {'miss' if v is None else f'{v:+.2f} h'}"
                          for k, v in leads.items())
        print(f"{name:85s} {cells} | quiet days alerted {totals['quiet_days_with_alert']}/{totals['quiet_days']}"
              f" {totals['false_alarm_days']}")
        results.append({"design": name, **{k: totals[k] for k in ("episode_leads_hours", "quiet_days",
                                                                   "quiet_days_with_alert", "false_alarm_days",
                                                                   "alerts")}})
    from airparadis.buzz.scoring import described
    from airparadis.core.registry import resolve_version

    uri = model_uri(args.model)
    measured = {"input": Path(args.input).name, "model": described(uri), "model_version": resolve_version(uri),
                "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ"), "designs": results}
    Path(args.output).write_text(json.dumps(measured, indent=2) + "\n")
    Path(args.output).with_suffix(".md").write_text(markdown(measured), encoding="utf-8")
    return 0


def markdown(measured: dict) -> str:
    """The designs as a table: lead per episode (hours before the day's peak hour; negative: after
    it started; 'missed'), and the quiet days alerted."""
    import pandas as pd

    rows = []
    for design in measured["designs"]:
        leads = {episode: "missed" if lead is None else f"{lead:+g}"
                 for episode, lead in design["episode_leads_hours"].items()}
        rows.append({"design": design["design"], **leads,
                     "quiet days alerted": f"{design['quiet_days_with_alert']}/{design['quiet_days']}"})
    return (f"# Bad-buzz rule designs compared\n\nGenerated by `python -m benchmarks.buzz_designs` on "
            f"{measured['measured_at']}: `{measured['input']}` scored once by {measured['model']}; every design "
            "judged by `monitoring.buzz.daily.measure`. Leads in "
            "hours before the day's peak hour (negative: after it started).\n\n"
            f"{pd.DataFrame(rows).to_markdown(index=False)}\n")


if __name__ == "__main__":
    raise SystemExit(main())
