"""The crisis the decks tell, in hours: one small adapter over the bad-buzz report.

Everything the documents read from ``docs/results/buzz_alerts.json`` (written by
``python -m entrypoints.buzz --report``) goes through :func:`crisis`, so when that report's fields
change only this module is repointed. The crisis shown is the labelled episode day whose first alert
came the longest before its peak (the best-told story is also the one the client would have lived).

Its hours come from the airline tweets themselves (human labels), in the stream's local time:
the negative tweets of that airline in each hour of the day, and the *usual level*, the median of
the same hour over the airline's days before the crisis. The alert's time, the peak's hour and the
lead come from the report (what the monitor, scoring with the deployed model, raised).
"""

from __future__ import annotations

import csv
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from airparadis.core import airline

HOURS = range(24)
DAYS_PER_MONTH = 30
@dataclass(frozen=True)
class Crisis:
    group: str  # the airline
    day: date  # local day of the crisis
    alert: datetime  # when the first alert was raised (local time)
    peak: datetime  # start of the hour with the most negatives (local time)
    lead_hours: float  # peak minus alert: positive = the alert came first
    negatives: list[int]  # labelled negative tweets in each local hour of the day
    usual: list[float]  # the median of the same hour over the airline's earlier days

    @property
    def peak_negatives(self) -> int:
        return self.negatives[self.peak.hour]

    @property
    def lead_duration(self) -> str:
        """The lead as a reader says it: ``8 h 15 min`` (``8 h`` when whole)."""
        minutes = round(abs(self.lead_hours) * 60)
        return f"{minutes // 60} h" + (f" {minutes % 60:02d} min" if minutes % 60 else "")

    def figures(self) -> dict[str, object]:
        """What a document may quote, named ``crisis_<key>``."""
        return {"group": self.group, "day": self.day.isoformat(), "alert_hour": self.alert.hour,
                "alert_time": f"{self.alert:%H:%M}", "peak_time": f"{self.peak:%H:%M}",
                "peak_hour": self.peak.hour, "lead_hours": self.lead_hours, "lead_duration": self.lead_duration,
                "peak_negatives": self.peak_negatives,
                "usual_at_peak": self.usual[self.peak.hour],
                "peak_times_usual": round(self.peak_negatives / max(self.usual[self.peak.hour], 1.0), 1)}


def summary(report: dict) -> dict[str, float]:
    """The monitor's week in the client's terms, from the report's days: crises (labelled episode
    days the rule could judge) and how many it alerted, before or after their peak; quiet days and
    false alarms, also per airline and month; crises it could not judge (no usual level yet)."""
    days = report.get("days", [])
    judged = [d for d in days if d.get("judged")]
    crises = [d for d in judged if d.get("episode")]
    quiet = [d for d in judged if d.get("episode") is False]
    airlines = len({d["group"] for d in judged}) or 1
    alerted = [d for d in crises if d.get("alerts")]
    return {"crises": len(crises), "crises_alerted": len(alerted),
            "alerted_before_peak": sum(1 for d in alerted if (d.get("lead_hours") or 0) > 0),
            "alerted_after_peak": sum(1 for d in alerted if (d.get("lead_hours") or 0) <= 0),
            "quiet_days": len(quiet), "false_alarms": sum(1 for d in quiet if d.get("alerts")),
            "days_per_airline": round(len(judged) / airlines),
            "false_alarms_per_airline_month": round(DAYS_PER_MONTH * sum(1 for d in quiet if d.get("alerts"))
                                                    / max(len(judged), 1), 1),
            "crises_not_judged": sum(1 for d in days if d.get("episode") and not d.get("judged"))}


def first_alert(report: dict, told: Crisis) -> dict:
    """The first alert raised on the crisis day ({} if none)."""
    for alert in report.get("alerts", []):
        raised = datetime.fromisoformat(alert["window_end"].replace("Z", "+00:00")).astimezone(told.alert.tzinfo)
        if alert["group"] == told.group and raised.date() == told.day:
            return alert
    return {}


def words(report: dict, told: Crisis) -> list[str]:
    """The words and bigrams that rose in the crisis day's first alert, as tweeted (its summary)."""
    summary = first_alert(report, told).get("about", {}).get("summary", "")
    return [w.strip() for w in summary.split(",") if w.strip()]


def _local(text: str) -> datetime:
    return datetime.fromisoformat(text)


def episode_day(report: dict) -> dict | None:
    """The report's day to tell: an episode, alerted, with the longest lead; None when none was."""
    alerted = [d for d in report.get("days", []) if d.get("episode") and d.get("first_alert")
               and d.get("lead_hours") is not None]
    return max(alerted, key=lambda d: d["lead_hours"], default=None)


def hourly(tweets: Path, group: str) -> dict[date, Counter]:
    """Labelled negatives of one airline per local day and hour."""
    out: dict[date, Counter] = {}
    with Path(tweets).open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            if row["airline"] == group and row["airline_sentiment"] == "negative":
                moment = datetime.strptime(row["tweet_created"], "%Y-%m-%d %H:%M:%S %z")
                out.setdefault(moment.date(), Counter())[moment.hour] += 1
    return out


def crisis(report: dict, tweets: Path = airline.FILE) -> Crisis | None:
    """The crisis day of ``report`` with its hours, or None when the report alerted no episode."""
    day = episode_day(report)
    if day is None:
        return None
    when = date.fromisoformat(day["day"])
    counts = hourly(tweets, day["group"])
    before = [c for d, c in counts.items() if d < when and sum(1 for h in HOURS if h in c) >= 20]  # whole days
    usual = [float(statistics.median(c[h] for c in before)) if before else 0.0 for h in HOURS]
    return Crisis(group=day["group"], day=when, alert=_local(day["first_alert"]), peak=_local(day["peak_hour"]),
                  lead_hours=float(day["lead_hours"]), negatives=[counts.get(when, Counter())[h] for h in HOURS],
                  usual=usual)
