"""The bad-buzz rule, old and new, measured on streams nobody tuned on and on the airline stream.

``python -m benchmarks.buzz_designs [--model production|labels]`` runs every design with ONE
parameter set over

* the ten **NAB** Twitter-volume streams (``--nab``, counts only: each 5-minute ``value`` is fed as
  tweets, all of them counted, so the rule works on total volume), in time order: per stream the
  labelled windows caught (an alert raised inside ``[start, end]``), how early (hours after the
  window opened, and before its centre, where NAB puts the anomaly), and the false alarms per week
  outside the windows after NAB's probationary period (the first 15 % of the stream, as NAB scores);
* the February 2015 **airline** stream, scored once by the model (cached outside git under
  ``AIRPARADIS_CACHE``) or, with ``--model labels``, by its human labels, measured by the report's own
  :func:`monitoring.buzz.daily.measure` (local days; the labels say which days are episodes; lead =
  peak hour start − first alert; an alert raised at ``t`` only uses tweets created before ``t``).

The old rule (hourly, the same hour of the previous 3 days ±1 h, Poisson CUSUM) is kept here as an
experiment; the new rule runs through the product's own monitor (``RULE``) and its variants through
the same code with other parameters. Prints a table; writes ``benchmarks/results/buzz_designs.json``
and ``buzz_designs.md``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
from collections import defaultdict, deque
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitoring.buzz import daily, stream
from monitoring.buzz.detector import detect, window_start
from monitoring.buzz.monitor import BuzzMonitor
from monitoring.buzz.rule import RULE

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "benchmarks" / "results" / "buzz_designs.json"
NAB_PLACES = [up / "shared" / "data" / "nab_realtweets" for up in (ROOT.parent, ROOT.parent.parent)]
HOUR, DAY, WEEK = timedelta(hours=1), timedelta(days=1), timedelta(days=7)
PROBATION = 0.15  # NAB's probationary period: its false alarms are not counted (NAB's own rule)
OLD = "old rule: hourly, same hour of the previous 3 days ±1 h, CUSUM 2-fold 1e9, ≥20 in 3 h"


# --- the old rule (what the monitor ran before), as an experiment -------------------------------
def old_alerts(series: list[tuple[datetime, int]]) -> tuple[list[datetime], set[datetime]]:
    """(alert moments, hours judged) of the old hourly rule over ``(hour start, count)``, in order."""
    offsets = [d * 24 + o for d in (1, 2, 3) for o in (-1, 0, 1)]
    past: deque = deque(maxlen=max(offsets))
    evidence, last_fired, raised, judged = 0.0, None, [], set()
    for start, n in series:
        chosen = [past[-k] for k in offsets if k <= len(past)]
        if len(chosen) >= 3:
            judged.add(start)
            m = max(sum(chosen) / len(chosen), 1.0)
            evidence = max(0.0, evidence + n * math.log(2) - m)
            if evidence / math.log(10) >= 9 and sum(list(past)[-2:]) + n >= 20:
                if last_fired is None or start - last_fired >= 12 * HOUR:
                    raised.append(start + HOUR)
                last_fired, evidence = start, 0.0
        past.append(n)
    return raised, judged


def filled(counts: dict[datetime, int], step: timedelta) -> list[tuple[datetime, int]]:
    first, last = min(counts), max(counts)
    out, at = [], first
    while at <= last:
        out.append((at, counts.get(at, 0)))
        at += step
    return out


# --- NAB ------------------------------------------------------------------------------------
def nab_dir(given: str = "") -> Path:
    for place in [Path(given)] if given else NAB_PLACES:
        if (place / "combined_windows.json").is_file():
            return place
    raise FileNotFoundError(f"no NAB realTweets data in {given or NAB_PLACES}")


def nab_streams(folder: Path) -> dict[str, tuple[list[tuple[datetime, int]], list[tuple[datetime, datetime]]]]:
    """name -> ((5-minute start, count) in time order, labelled windows)."""
    windows = json.loads((folder / "combined_windows.json").read_text())
    out = {}
    for name in sorted(windows):
        with (folder / name).open(newline="") as f:
            rows = [(datetime.fromisoformat(r["timestamp"]).replace(tzinfo=UTC), int(float(r["value"])))
                    for r in csv.DictReader(f)]
        spans = [tuple(datetime.fromisoformat(t).replace(tzinfo=UTC) for t in w) for w in windows[name]]
        out[name.removeprefix("Twitter_volume_").removesuffix(".csv")] = (sorted(rows), spans)
    return out


def bucketed(rows: list[tuple[datetime, int]], step: timedelta) -> list[tuple[datetime, int]]:
    counts: dict[datetime, int] = defaultdict(int)
    for moment, n in rows:
        counts[window_start(moment, step)] += n
    return filled(counts, step)


def new_alerts(rows: list[tuple[datetime, int]], rule) -> list[datetime]:
    """Alert moments (the end of the bucket that fired) of ``rule`` on a counts-only stream."""
    series = [(start, n, n) for start, n in bucketed(rows, rule.bucket)]
    return [d.start + rule.bucket for d in detect(series, rule) if d.alert]


def nab_score(raised: list[datetime], windows: list[tuple[datetime, datetime]], first: datetime,
              last: datetime) -> dict:
    caught, early, before_centre, false = [], [], [], []
    probation = first + PROBATION * (last - first)
    for moment in raised:
        if moment >= probation and not any(a <= moment <= b for a, b in windows):
            false.append(moment)
    for a, b in windows:
        inside = [m for m in raised if a <= m <= b]
        caught.append(bool(inside))
        if inside:
            early.append(round((inside[0] - a) / HOUR, 2))
            before_centre.append(round((a + (b - a) / 2 - inside[0]) / HOUR, 2))
    outside = (last - probation - sum((min(b, last) - max(a, probation) for a, b in windows if b > probation),
                                      timedelta())) / WEEK
    return {"windows": len(windows), "caught": sum(caught), "hours_after_window_start": early,
            "hours_before_window_centre": before_centre, "false_alarms": len(false),
            "weeks_outside_windows": round(outside, 2),
            "false_alarms_per_week": round(len(false) / outside, 3)}


def nab(streams: dict, design) -> dict:
    """Per stream and in total: windows caught, how early, false alarms per week."""
    per = {}
    for name, (rows, windows) in streams.items():
        per[name] = nab_score(design(rows), windows, rows[0][0], rows[-1][0])
    weeks = sum(s["weeks_outside_windows"] for s in per.values())
    false = sum(s["false_alarms"] for s in per.values())
    leads = [h for s in per.values() for h in s["hours_before_window_centre"]]
    total = {"windows": sum(s["windows"] for s in per.values()), "caught": sum(s["caught"] for s in per.values()),
             "false_alarms": false, "false_alarms_per_week": round(false / weeks, 3),
             "worst_false_alarms_per_two_weeks": round(max(2 * s["false_alarms_per_week"] for s in per.values()), 3),
             "median_hours_before_window_centre": sorted(leads)[len(leads) // 2] if leads else None}
    return {"streams": per, "total": total}


def nab_old(rows):
    return old_alerts(bucketed(rows, HOUR))[0]


# --- the airline stream ------------------------------------------------------------------------
class Airline:
    """The scored stream, its human labels per day, and the report's measure."""

    def __init__(self, scored: list[tuple[stream.Tweet, bool, float]], labels: dict):
        self.scored, self.labels = scored, labels
        self.offset = scored[0][0].time.utcoffset()

    def measure(self, hours: list[dict], raised: list[tuple[str, datetime]]) -> dict:
        """The same days judged for every design: from a day after the group's first tweet."""
        first = {}
        for row in hours:
            first[row["group"]] = min(first.get(row["group"], row["hour"]), row["hour"])
        hours = [{**row, "baseline_per_hour": 1.0 if row["hour"] >= first[row["group"]] + DAY else None}
                 for row in hours]
        return daily.measure(hours, sorted(raised, key=lambda r: r[1]), self.offset, self.labels)[1]

    def new(self, rule) -> tuple[dict, list]:
        monitor = BuzzMonitor(rule)
        for tweet, negative, probability in self.scored:
            monitor.add(tweet, negative, probability)
        monitor.flush()
        return self.measure(monitor.hourly_series(), [(a.group, a.window_end) for a in monitor.alerts]), \
            monitor.alerts

    def old(self) -> dict:
        counts: dict[str, dict] = defaultdict(lambda: defaultdict(int))
        tweets: dict[str, dict] = defaultdict(lambda: defaultdict(int))
        for tweet, negative, _p in self.scored:
            hour = window_start(tweet.time, HOUR)
            counts[tweet.group][hour] += negative
            tweets[tweet.group][hour] += 1
        hours, raised = [], []
        last = max(max(c) for c in counts.values())
        for group, by_hour in counts.items():
            by_hour[last] += 0
            series = filled(by_hour, HOUR)
            moments, judged = old_alerts(series)
            raised += [(group, m) for m in moments]
            hours += [{"group": group, "hour": h, "negatives": n, "tweets": tweets[group].get(h, 0),
                       "baseline_per_hour": 1.0 if h in judged else None} for h, n in series]
        return self.measure(hours, raised)


def scored_airline(path: Path, model: str) -> tuple[list, str]:
    """(tweet, negative, probability) in time order, and what scored them. The model's scores are
    cached outside git (``AIRPARADIS_CACHE``), keyed by the model version and the file."""
    tweets = stream.read_file(path)
    if model == "labels":
        with path.open(encoding="utf-8-sig", newline="") as f:
            label = {(stream.parse_time(r["tweet_created"]), stream.text_to_score(r["text"])):
                     r["airline_sentiment"] == "negative" for r in csv.DictReader(f)}
        negative = [label[(t.time, t.text)] for t in tweets]
        return [(t, n, float(n)) for t, n in zip(tweets, negative, strict=True)], "the human labels (airline_sentiment)"
    from airparadis.buzz.scoring import ModelScorer, described, model_uri

    uri = model_uri(model)
    name = described(uri)
    key = hashlib.sha256(name.encode() + path.read_bytes()).hexdigest()[:16]
    cache = Path(os.environ.get("AIRPARADIS_CACHE", Path.home() / ".cache" / "airparadis")) / f"buzz-scores-{key}.json"
    if cache.is_file():
        scores = json.loads(cache.read_text())
    else:
        scores = ModelScorer(uri)([t.text for t in tweets])
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(scores))
    return [(t, bool(n), float(p)) for t, (n, p) in zip(tweets, scores, strict=True)], name


# --- the designs --------------------------------------------------------------------------------
NEW = "new rule (chosen): 15 min, median of past days × weekday (shrunk), own dispersion and peaks, CUSUM + burst"


def variants() -> list[tuple[str, object]]:
    return [
        (NEW, RULE),
        ("new, no weekday correction", replace(RULE, prior_weeks=1e9)),
        ("new, with the other tweets' volume factor (cap 1.5)", replace(RULE, volume_cap=1.5)),
        ("new, without the bar of its own past peaks", replace(RULE, novelty=0.0)),
        ("new, without its own dispersion", replace(RULE, spread_clip=0.0)),
        ("new, no quasi-Poisson dispersion", replace(RULE, dispersion=0.0)),
        ("new, CUSUM only (no burst test)", replace(RULE, burst_ratio=1e9)),
        ("new, burst only (no CUSUM)", replace(RULE, min_score=MAX_SCORE_OFF)),
        ("new, CUSUM at 1e4", replace(RULE, min_score=4.0)),
        ("new, CUSUM at 1e5", replace(RULE, min_score=5.0)),
        ("new, past-peaks bar at 1.5×", replace(RULE, novelty=1.5)),
        ("new, 12 h cool-down", replace(RULE, cooldown=timedelta(hours=12))),
        ("new, burst from 12 negatives", replace(RULE, burst_min_negatives=12)),
        ("new, CUSUM for a doubling", replace(RULE, shift=2.0)),
        ("new, burst at 3×", replace(RULE, burst_ratio=3.0)),
        ("new, burst at 6×", replace(RULE, burst_ratio=6.0)),
    ]


MAX_SCORE_OFF = 1e9


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.buzz_designs", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="", help="model URI or alias (default: production); 'labels': the "
                                                    "human labels score the airline stream")
    parser.add_argument("--input", default=str(ROOT / "data" / "airline_tweets_2015.csv"))
    parser.add_argument("--nab", default="", help="the NAB realTweets folder (default: ../shared/data/nab_realtweets)")
    parser.add_argument("--output", default=str(RESULT))
    parser.add_argument("--only", default="", help="run only the designs whose name contains this")
    args = parser.parse_args(argv)
    streams = nab_streams(nab_dir(args.nab))
    scored, scored_by = scored_airline(Path(args.input), args.model)
    labels = daily.labelled_negatives(Path(args.input), stream.Columns(), "airline_sentiment")
    airline = Airline(scored, labels)
    results = [{"design": OLD, "nab": nab(streams, nab_old), "airline": _airline(airline.old())}]
    _print(results[-1])
    for name, rule in variants():
        if args.only and args.only not in name:
            continue
        totals, alerts = airline.new(rule)
        measured_nab = nab(streams, lambda r, rule=rule: new_alerts(r, rule))
        results.append({"design": name, "rule": rule.to_dict(), "nab": measured_nab, "airline": _airline(totals)})
        if rule == RULE:
            results[-1]["airline_alerts"] = [{k: a.to_dict()[k] for k in ("group", "window_start", "window_end",
                                                                          "negatives", "baseline")}
                                             | {"summary": a.about["summary"]} for a in alerts]
        _print(results[-1])
    measured = {"nab": str(nab_dir(args.nab).name), "airline": Path(args.input).name, "scored_by": scored_by,
                "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ"), "designs": results}
    Path(args.output).write_text(json.dumps(measured, indent=2, ensure_ascii=False) + "\n")
    Path(args.output).with_suffix(".md").write_text(markdown(measured), encoding="utf-8")
    return 0


def _airline(totals: dict) -> dict:
    return {k: totals[k] for k in ("episode_leads_hours", "episode_days", "episode_days_alerted", "quiet_days",
                                   "quiet_days_with_alert", "false_alarm_days", "alerts")}


def _print(result: dict) -> None:
    t, a = result["nab"]["total"], result["airline"]
    leads = " ".join("miss" if v is None else f"{v:+g}" for v in a["episode_leads_hours"].values())
    print(f"{result['design'][:70]:70s} NAB {t['caught']}/{t['windows']} fa/wk {t['false_alarms_per_week']} "
          f"worst/2wk {t['worst_false_alarms_per_two_weeks']} | airline {leads} quiet "
          f"{a['quiet_days_with_alert']}/{a['quiet_days']}", flush=True)


def markdown(measured: dict) -> str:
    """Three tables: NAB per stream (old vs chosen), the designs in total, the airline episodes."""
    designs = measured["designs"]
    old, new = designs[0], next(d for d in designs if d["design"] == NEW)
    lines = [f"# Bad-buzz rule: old and new, measured\n\nGenerated by `python -m benchmarks.buzz_designs"
             f"{' --model labels' if 'human labels' in measured['scored_by'] else ''}` on {measured['measured_at']}; "
             f"one parameter set for every stream. NAB `{measured['nab']}`: counts only, fed as tweets (total volume); "
             "a window is caught when an alert is raised inside it; *early* = hours from the window's start to the "
             "first alert in it; *before centre* = hours before the window's centre (where NAB puts the anomaly); "
             "a false alarm is an alert outside every window. Airline stream `"
             f"{measured['airline']}` scored by {measured['scored_by']}, judged by `monitoring.buzz.daily.measure` "
             "(lead = the day's peak hour start − first alert, negative: after it started).\n",
             "## NAB, per stream\n",
             "| stream | windows | caught (old) | caught (new) | false alarms/week (old) | false alarms/week (new) | "
             "early h (new) | before centre h (new) |", "|---|---|---|---|---|---|---|---|"]
    for name, o in old["nab"]["streams"].items():
        n = new["nab"]["streams"][name]
        lines.append(f"| {name} | {o['windows']} | {o['caught']} | {n['caught']} | {o['false_alarms_per_week']} | "
                     f"{n['false_alarms_per_week']} | {', '.join(map(str, n['hours_after_window_start']))} | "
                     f"{', '.join(map(str, n['hours_before_window_centre']))} |")
    lines += ["", "## Every design, in total\n",
              "| design | NAB windows caught | NAB false alarms/week | worst stream, per 2 weeks | NAB median h before "
              "centre | airline episodes: lead h | airline quiet days alerted |", "|---|---|---|---|---|---|---|"]
    for d in designs:
        t, a = d["nab"]["total"], d["airline"]
        leads = ", ".join(f"{k}: {'missed' if v is None else f'{v:+g}'}" for k, v in a["episode_leads_hours"].items())
        lines.append(f"| {d['design']} | {t['caught']}/{t['windows']} | {t['false_alarms_per_week']} | "
                     f"{t['worst_false_alarms_per_two_weeks']} | {t['median_hours_before_window_centre']} | {leads} | "
                     f"{a['quiet_days_with_alert']}/{a['quiet_days']} |")
    lines += ["", "## The chosen rule's airline alerts\n", "| group | window (UTC) | negatives | expected | about |",
              "|---|---|---|---|---|"]
    for a in new.get("airline_alerts", []):
        lines.append(f"| {a['group']} | {a['window_start']} – {a['window_end'][11:]} | {a['negatives']} | "
                     f"{a['baseline']:.1f} | {a['summary']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
