"""Alerts per group and day as a table and a chart (``<out>.md``, ``<out>.png``, ``<out>.json``),
written by ``python -m entrypoints.buzz ... --report docs/results/buzz_alerts``.

Days are the stream's own local days (the UTC offset of its first tweet). For each group and day:
tweets, negatives (as the model scored them), the peak hour (most negatives), the alerts, the
first alert's time (its window's end: when it was raised, from tweets created before it) and its
lead on the peak hour (:func:`measure`) and what that alert was about. With a
label column (``--label-column airline_sentiment``) the day is also judged from the human labels:
an **episode** when its labelled negatives are at least ``EPISODE_RATIO`` times the group's median
day and at least ``EPISODE_MIN`` tweets, otherwise **quiet**; an alert on a quiet day is a false
alarm. Only days the rule could judge (a baseline existed) count.
"""

from __future__ import annotations

import csv
import json
import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from monitoring.buzz.monitor import BuzzMonitor
from monitoring.buzz.stream import Columns
from monitoring.times import parse_time

EPISODE_RATIO, EPISODE_MIN, FULL_DAY_HOURS = 1.5, 50, 20


def labelled_negatives(path: Path, columns: Columns, label_column: str, negative: str = "negative"
                       ) -> dict[tuple[str, date], int]:
    """Human-labelled negatives per (group, local day) of a CSV with a label column."""
    out: dict[tuple[str, date], int] = defaultdict(int)
    with Path(path).open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            if row.get(label_column) == negative:
                moment = parse_time(row[columns.time])
                out[(row.get(columns.group) or "all", moment.date())] += 1
    return dict(out)


def table(monitor: BuzzMonitor, labels: dict | None = None) -> tuple[list[dict], dict]:
    """(one row per group and local day, totals) of what the monitor saw and raised, each day with
    what its first alert was about (the words that rose, from :mod:`monitoring.buzz.about`)."""
    offset = monitor.local_offset or timedelta(0)
    rows, totals = measure(monitor.hourly_series(), [(a.group, a.window_end) for a in monitor.alerts], offset, labels)
    about: dict[tuple[str, str], str] = {}
    for alert in sorted(monitor.alerts, key=lambda a: a.window_end):
        day = alert.window_end.astimezone(timezone(offset)).date().isoformat()
        about.setdefault((alert.group, day), alert.about.get("summary", ""))
    for row in rows:
        row["about"] = about.get((row["group"], row["day"]), "")
    return rows, totals


def measure(hours: list[dict], raised: list[tuple[str, datetime]], utc_offset: timedelta,
            labels: dict | None = None) -> tuple[list[dict], dict]:
    """Lead times and false alarms, the one measurement the report and the design comparison
    (``benchmarks/buzz_designs.py``) share. ``hours``: rows of :meth:`BuzzMonitor.hourly_series`
    (a ``baseline_per_hour`` that is not None marks an hour the rule could judge); ``raised``:
    (group, moment the alert was raised), in order. An alert belongs to the local day it was raised
    on; a day's lead is its peak hour's start minus its first alert's moment."""
    tz = timezone(utc_offset)
    days: dict[tuple[str, date], dict] = {}
    for row in hours:
        local = row["hour"].astimezone(tz)
        key = (row["group"], local.date())
        day = days.setdefault(key, {"group": key[0], "day": key[1].isoformat(), "hours": 0, "tweets": 0,
                                    "negatives": 0, "peak_hour": None, "peak_negatives": -1, "judged": False})
        day["hours"] += 1
        day["tweets"] += row["tweets"]
        day["negatives"] += row["negatives"]
        day["judged"] |= row["baseline_per_hour"] is not None
        if row["negatives"] > day["peak_negatives"]:
            day["peak_negatives"], day["peak_hour"] = row["negatives"], local
    for day in days.values():
        day.update(alerts=0, first_alert=None, lead_hours=None)
    for group, moment in raised:
        at = moment.astimezone(tz)
        day = days.get((group, at.date()))
        if day is None:
            continue
        day["alerts"] += 1
        if day["first_alert"] is None:
            day["first_alert"] = at
            day["lead_hours"] = round((day["peak_hour"] - at).total_seconds() / 3600, 2)
    if labels is not None:
        medians = {}
        for group in {g for g, _ in days}:
            full = [labels.get((g, d), 0) for (g, d), v in days.items() if g == group and v["hours"] >= FULL_DAY_HOURS]
            medians[group] = statistics.median(full) if full else 0
        for (group, d), day in days.items():
            n = labels.get((group, d), 0)
            day["labelled_negatives"] = n
            day["episode"] = n >= EPISODE_MIN and n >= EPISODE_RATIO * medians[group]
    rows = sorted(days.values(), key=lambda r: (r["group"], r["day"]))
    judged = [r for r in rows if r["judged"]]
    totals = {"alerts": len(raised), "groups": len({r["group"] for r in rows}),
              "days_judged": len(judged), "utc_offset": str(tz)}
    if labels is not None:
        quiet = [r for r in judged if not r["episode"]]
        episodes = [r for r in judged if r["episode"]]
        totals.update(quiet_days=len(quiet), quiet_days_with_alert=sum(r["alerts"] > 0 for r in quiet),
                      false_alarm_rate=round(sum(r["alerts"] > 0 for r in quiet) / max(len(quiet), 1), 4),
                      false_alarm_days=[f"{r['group']} {r['day']}" for r in quiet if r["alerts"]],
                      episode_days=len(episodes), episode_days_alerted=sum(r["alerts"] > 0 for r in episodes),
                      episode_leads_hours={f"{r['group']} {r['day']}": r["lead_hours"] for r in episodes},
                      episodes_before_any_baseline=[f"{r['group']} {r['day']}" for r in rows
                                                    if r.get("episode") and not r["judged"]])
    return rows, totals


def _hour(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%H:%M")


def markdown(rows: list[dict], totals: dict) -> str:
    labelled = "episode" in (rows[0] if rows else {})
    head = ["group", "day", "tweets", "negatives", "peak hour", "alerts", "first alert", "lead on peak (h)", "about"]
    head += ["labelled negatives", "kind of day"] if labelled else []
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["group"], r["day"], r["tweets"], r["negatives"],
                 f"{_hour(r['peak_hour'])} ({r['peak_negatives']})", r["alerts"] or "",
                 _hour(r["first_alert"]), "" if r["lead_hours"] is None else f"{r['lead_hours']:+g}",
                 r.get("about", "")]
        if labelled:
            verdict = "episode" if r["episode"] else "quiet"
            cells += [r["labelled_negatives"], verdict + ("" if r["judged"] else " (no baseline yet)")]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    notes = [f"Times are the stream's local time (UTC{totals['utc_offset'].replace('UTC', '')}); an alert is "
             "raised at the end of its window, from the tweets created before; lead = peak hour start − alert time."]
    if labelled:
        notes.append(f"Episode: labelled negatives ≥ {EPISODE_RATIO}× the group's median full day and ≥ "
                     f"{EPISODE_MIN}. Quiet days with an alert: {totals['quiet_days_with_alert']} of "
                     f"{totals['quiet_days']} ({totals['false_alarm_rate']:.1%}); episode days alerted: "
                     f"{totals['episode_days_alerted']} of {totals['episode_days']}.")
    return "\n".join(lines) + "\n\n" + "\n".join(notes) + "\n"


def chart(monitor: BuzzMonitor, rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure = draw(monitor.hourly_series(), monitor.alerts, plt)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def draw(hours: list[dict], alerts: list, plt, max_groups: int = 6):
    """Negatives per hour per group, the baseline (per hour) and the alerts, one panel a group."""
    by_group = defaultdict(list)
    for row in hours:
        by_group[row["group"]].append(row)
    groups = sorted(by_group, key=lambda g: -sum(r["negatives"] for r in by_group[g]))[:max_groups] or ["(none)"]
    figure, axes = plt.subplots(len(groups), 1, figsize=(11, 1.9 * len(groups) + 0.6), sharex=True, squeeze=False)
    for ax, group in zip(axes[:, 0], groups, strict=True):
        rows = by_group.get(group, [])
        ax.bar([r["hour"] for r in rows], [r["negatives"] for r in rows], width=1 / 24, color="#8da0cb",
               label="negatives per hour")
        ax.step([r["hour"] for r in rows], [r["baseline_per_hour"] if r["baseline_per_hour"] is not None
                                            else float("nan") for r in rows],
                where="post", color="#333333", lw=1, label="baseline per hour")
        mine = [a for a in alerts if a.group == group]
        top = max([r["negatives"] for r in rows] + [1])
        ax.scatter([a.window_end for a in mine], [top * 1.05] * len(mine), marker="v", color="#d62728", s=60,
                   zorder=3, label="alert")
        ax.set_ylabel(group, rotation=0, ha="right", va="center")
        ax.set_ylim(0, top * 1.2)
    axes[0, 0].legend(loc="upper left", fontsize=8, ncol=3)
    axes[0, 0].set_title("Negative tweets per hour (UTC) with the baseline and bad-buzz alerts")
    figure.autofmt_xdate()
    figure.tight_layout()
    return figure


def write(monitor: BuzzMonitor, out: Path, labels: dict | None = None, scored_by: str = "") -> list[Path]:
    """The report as ``out``.md, .png and .json; ``scored_by`` names the model (and version) that scored."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows, totals = table(monitor, labels)
    md, png, js = out.with_suffix(".md"), out.with_suffix(".png"), out.with_suffix(".json")
    by = f" Tweets scored by {scored_by}." if scored_by else ""
    md.write_text("# Bad-buzz alerts per group and day\n\n_Generated by `python -m entrypoints.buzz --report`; "
                  f"do not edit by hand._{by}\n\n" + markdown(rows, totals))
    chart(monitor, rows, png)
    serial = [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items()} for r in rows]
    js.write_text(json.dumps({"generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "scored_by": scored_by,
                              "totals": totals,
                              "days": serial, "alerts": [a.to_dict() for a in monitor.alerts]}, indent=2,
                             ensure_ascii=False) + "\n")
    return [md, png, js]
