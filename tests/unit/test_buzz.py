"""The bad-buzz rule, detector, windows, 'about' summary and stream replay (pure code)."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitoring.buzz.about import summarize, terms
from monitoring.buzz.detector import GroupDetector, detect, window_start
from monitoring.buzz.monitor import BuzzMonitor
from monitoring.buzz.rule import RULE, RULE_FILE, BuzzRule
from monitoring.buzz.stream import Tweet, batches, parse_time, read_lines
from monitoring.config import ROOT
from pyfunc.names import BAD_BUZZ_EVENT

T0 = datetime(2015, 2, 18, tzinfo=UTC)


def test_the_cusum_adds_up_the_log_likelihood_ratio_of_a_doubling_and_restarts_at_zero():
    rule = BuzzRule(shift=2.0)
    assert rule.update(0.0, 10, 4.0) == pytest.approx(10 * math.log(2) - 4.0)
    assert rule.update(1.0, 0, 4.0) == 0.0  # never below zero
    assert rule.score(20 * math.log(10)) == pytest.approx(20.0)


def test_windows_are_aligned_on_utc_midnight():
    moment = parse_time("2015-02-16 23:36:05 -0800")  # 07:36 UTC
    assert window_start(moment, timedelta(hours=3)) == datetime(2015, 2, 17, 6, tzinfo=UTC)
    assert window_start(moment, timedelta(hours=1)) == datetime(2015, 2, 17, 7, tzinfo=UTC)
    with pytest.raises(ValueError):
        BuzzRule(bucket=timedelta(hours=5))  # does not divide a day
    with pytest.raises(ValueError):
        BuzzRule(window=timedelta(minutes=90))  # not a whole number of buckets


def test_baseline_is_the_same_hour_on_previous_days():
    rule = BuzzRule(baseline_days=2, baseline_span=1)
    assert rule.baseline_offsets() == [23, 24, 25, 47, 48, 49]
    start = datetime(2015, 2, 22, 12, tzinfo=UTC)  # the 3-hour window 12:00-15:00
    windows = rule.baseline_windows(start)
    assert windows[0] == [start - timedelta(hours=23 - i) for i in range(3)]  # 1 day less 1 h earlier
    assert windows[-1] == [start - timedelta(hours=49 - i) for i in range(3)]  # 2 days and 1 h earlier
    assert rule.lookback == 49 + 2


CYCLE = [1, 0, 0, 0, 1, 2, 4, 6, 8, 8, 8, 7, 6, 6, 6, 7, 8, 8, 6, 4, 3, 2, 1, 1]  # an ordinary day, hour by hour


def quiet_days(rule, days=3):
    """(start, negatives, tweets) of ``days`` ordinary days, hour by hour."""
    return [(T0 + i * rule.bucket, CYCLE[i % 24], 3 * CYCLE[i % 24]) for i in range(24 * days)]


def test_no_decision_before_a_baseline_exists():
    detector = GroupDetector(RULE)
    first = detector.close(T0, 500, 900)
    assert first.baseline is None and not first.fires and not first.alert


def storm(rule, series, hours):
    """``series`` followed by the next hours at these counts."""
    out = list(series)
    for n in hours:
        out.append((out[-1][0] + rule.bucket, n, 3 * n))
    return out


def test_hours_at_twice_the_usual_level_fire_as_they_add_up_once_per_episode():
    rule = RULE
    # day 4: from 06:00 the usual 4, 6, 8, 8... negatives become 9, 13, 17, 18, 20, 20, a peak of 30 at
    # 12:00, then 20 an hour
    series = storm(rule, quiet_days(rule), CYCLE[:6] + [9, 13, 17, 18, 20, 20, 30] + [20] * 6)
    decisions = detect(series, rule)[24 * 3:]
    scores = [d.score for d in decisions]
    first = next(d for d in decisions if d.fires)
    assert first.start == T0 + timedelta(days=3, hours=11)  # raised at 12:00, as the peak hour starts
    assert first.alert and first.window_negatives == 18 + 20 + 20 and first.score >= rule.min_score
    assert first.window_baseline == pytest.approx(sum(decisions[i].baseline for i in (9, 10, 11)))
    assert scores[5] == 0.0 and scores[6] < scores[7] < scores[8] < scores[9] < scores[10] < rule.min_score
    later = [d for d in decisions if d.start > first.start]
    assert any(d.fires for d in later) and not any(d.alert for d in later)  # one alert per episode
    # after the cool-down with no firing hour, the same storm alerts again
    again = storm(rule, series, [0] * 24 + CYCLE[:6] + [9, 13, 17, 18, 20, 20, 30])
    assert sum(d.alert for d in detect(again, rule)) == 2


def test_the_daily_cycle_a_lone_burst_and_low_volumes_do_not_fire():
    rule = RULE
    assert not any(d.fires for d in detect(quiet_days(rule, days=6), rule))
    # one hour of 30 negatives against 6 expected: surprising, but one hour is not a storm
    burst = storm(rule, quiet_days(rule), CYCLE[:7] + [30] + CYCLE[8:])
    assert not any(d.fires for d in detect(burst, rule))
    # a quiet group tripling at night adds up the evidence but stays under the minimum volume
    night = storm(rule, [(T0 + i * rule.bucket, 1, 1) for i in range(24 * 3)], [6] * 8)
    last = detect(night, rule)[-1]
    assert last.score >= rule.min_score and not last.fires and last.window_negatives < rule.min_negatives


def test_gaps_are_empty_buckets():
    rule = RULE
    series = [(T0, 5, 5), (T0 + 3 * rule.bucket, 7, 7)]
    assert [(d.start, d.negatives) for d in detect(series, rule)] == [
        (T0, 5), (T0 + rule.bucket, 0), (T0 + 2 * rule.bucket, 0), (T0 + 3 * rule.bucket, 7)]


def test_about_names_what_rose_and_three_tweets():
    baseline_texts = ["my flight was late", "seat was broken", "late again", "crew was rude"]
    from monitoring.buzz.about import WindowTerms

    baseline = [WindowTerms.of(baseline_texts) for _ in range(3)]
    window = [(f"@United flight {i} Cancelled Flightled again #stranded http://t.co/x{i}", 0.9 - i / 100)
              for i in range(8)] + [("my flight was late", 0.99), ("lost my bag", 0.6)]
    about = summarize(window, baseline)
    assert about["terms"][0]["term"] in {"cancelled", "flightled"}
    assert about["hashtags"][0]["term"] == "#stranded"
    assert about["reasons"][0]["reason"] == "cancelled flight"
    assert len(about["tweets"]) == 3 and all("Cancelled" in t for t in about["tweets"])
    assert "cancelled flight" in about["summary"]
    assert "united" not in terms("@United http://t.co/abc")


def test_monitor_closes_buckets_for_every_group_and_alerts_once_as_the_storm_builds():
    rule = RULE
    monitor = BuzzMonitor(rule)
    alerts = []
    for start, n, _ in quiet_days(rule, days=3):
        for i in range(n):
            alerts += monitor.add(Tweet(start + timedelta(minutes=i), "A", f"late flight {i}"), True, 0.8)
        alerts += monitor.add(Tweet(start + timedelta(minutes=50), "B", "fine"), False, 0.1)
    storm = T0 + timedelta(days=3, hours=12)  # day 4, 12:00 UTC: 20, 25 then 30 negatives an hour
    for hour, n in enumerate([20, 25, 30]):
        for i in range(n):
            alerts += monitor.add(Tweet(storm + timedelta(hours=hour, minutes=i), "A", f"flight {i} cancelled #stormy"),
                                  True, 0.9)
    assert alerts == []  # the third hour, which tips the CUSUM over, is still open
    alerts += monitor.add(Tweet(storm + 3 * rule.bucket, "B", "next hour"), False, 0.1)
    (alert,) = alerts
    assert (alert.group, alert.window_start, alert.negatives) == ("A", storm, 75)
    record = alert.to_dict()
    assert record["window_start"] == "2015-02-21T12:00:00Z" and record["window_end"] == "2015-02-21T15:00:00Z"
    assert {"group", "window_start", "window_end", "negatives", "tweets", "baseline", "score", "about"} <= set(record)
    assert record["score"] >= rule.min_score and 15 < record["baseline"] < 25  # three ordinary hours: ~6 each
    assert "#stormy" in record["about"]["summary"] and "cancelled flight" in record["about"]["summary"]
    assert monitor.flush() == []
    # a late tweet (its bucket closed) is counted as late, not silently mixed in
    monitor.add(Tweet(T0, "A", "old news"), True, 0.9)
    assert monitor.late == 1
    # memory per group stays bounded by the rule's look-back
    assert all(len(g.texts) <= rule.lookback + 1 and len(g.recent) <= rule.window_buckets
               for g in monitor.groups.values())


def test_replay_at_speed_waits_for_each_tweet_time():
    now = [0.0]
    slept = []

    def sleep(s):
        slept.append(round(s, 6))
        now[0] += s

    tweets = [Tweet(T0 + timedelta(seconds=s), "A", str(s)) for s in (0, 0, 60, 61, 3600)]
    got = list(batches(tweets, batch_size=100, speed=60.0, clock=lambda: now[0], sleep=sleep))
    assert [[t.text for t in b] for b in got] == [["0", "0"], ["60"], ["61"], ["3600"]]
    assert slept == pytest.approx([1.0, 1 / 60, 60 - 61 / 60], abs=1e-5)
    fast = list(batches(tweets, batch_size=2))
    assert [len(b) for b in fast] == [2, 2, 1]


def test_standard_input_lines_json_or_text():
    lines = ['{"text": "late again", "tweet_created": "2015-02-16 23:36:05 -0800", "airline": "Delta"}',
             "", "just text", '{"text": "  "}']
    got = list(read_lines(lines, now=lambda: T0))
    assert [(t.group, t.text, t.time) for t in got] == [
        ("Delta", "late again", datetime(2015, 2, 17, 7, 36, 5, tzinfo=UTC)), ("all", "just text", T0)]


def test_generated_azure_rule_matches_the_rule():
    data = json.loads(RULE_FILE.read_text())
    assert RULE_FILE.read_text() == RULE.infra_json(), "run: python -m monitoring.buzz.rule --write"
    assert f'where name == "{BAD_BUZZ_EVENT}"' in data["query"] and "by group" in data["query"]
    assert (data["windowSize"], data["muteActionsDuration"], data["dimension"]) == ("PT1H", "PT12H", "group")
    other = BuzzRule(bucket=timedelta(minutes=30), cooldown=timedelta(hours=6, minutes=30))
    assert (other.to_infra()["windowSize"], other.to_infra()["muteActionsDuration"]) == ("PT30M", "PT6H30M")
    assert not re.search(r"timestamp|ago\(|now\(|between", other.kql())  # the window is windowSize alone
    bicep = (ROOT / "infra" / "alerts.bicep").read_text()
    assert "loadJsonContent('buzz-rule.json')" in bicep
    check = subprocess.run([sys.executable, "-m", "monitoring.buzz.rule", "--check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_lead_is_the_peak_hour_minus_the_first_alert_on_the_local_day_it_was_raised():
    from monitoring.buzz.daily import measure

    pst = timedelta(hours=-8)
    day = datetime(2015, 2, 22, 8, tzinfo=UTC)  # 00:00 local
    hours = [{"group": g, "hour": day + timedelta(hours=h), "negatives": 1, "tweets": 1,
              "baseline_per_hour": 1.0} for g in ("A", "B") for h in range(-24, 24)]
    hours[24 + 9]["negatives"] = 30  # A peaks at 09:00 local on the 22nd
    raised = [("A", day + timedelta(hours=6)), ("A", day + timedelta(hours=11)),  # 06:00 and 11:00 local
              ("B", day + timedelta(hours=24))]  # B: 00:00 local the next day (no hours there: not counted)
    local = day.astimezone(timezone(pst)).date()
    labels = {("A", local): 80, ("A", local - timedelta(days=1)): 20}  # A's median day: 50
    rows, totals = measure(hours, raised, pst, labels)
    a, b = rows[1], rows[3]
    assert (a["alerts"], a["first_alert"].hour, a["lead_hours"], a["episode"]) == (2, 6, 3.0, True)
    assert (b["alerts"], b["lead_hours"], b["episode"]) == (0, None, False)
    assert totals["episode_leads_hours"] == {"A 2015-02-22": 3.0}
    assert (totals["quiet_days"], totals["false_alarm_days"]) == (3, [])
    _, late = measure(hours, [("B", day + timedelta(hours=23))], pst, labels)
    assert late["false_alarm_days"] == ["B 2015-02-22"] and late["episode_leads_hours"] == {"A 2015-02-22": None}
