"""The bad-buzz rule, detector, windows, 'about' summary and stream replay (pure code)."""

from __future__ import annotations

import json
import math
import pickle
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitoring.alert_rule import iso_duration
from monitoring.buzz.about import summarize, terms
from monitoring.buzz.detector import GroupDetector, detect, window_start
from monitoring.buzz.monitor import BuzzMonitor
from monitoring.buzz.rule import RULE, RULE_FILE, BuzzRule
from monitoring.buzz.stream import Tweet, batches, read_lines
from monitoring.config import ROOT
from monitoring.times import parse_time
from pyfunc.names import BAD_BUZZ_EVENT

T0 = datetime(2015, 2, 18, tzinfo=UTC)


def test_the_cusum_adds_up_the_log_likelihood_ratio_of_a_rise_and_restarts_at_zero():
    rule = BuzzRule(shift=2.0)
    assert rule.update(0.0, 10, 4.0) == pytest.approx(10 * math.log(2) - 4.0)
    assert rule.update(0.0, 10, 4.0, phi=2.0) == pytest.approx((10 * math.log(2) - 4.0) / 2)
    assert rule.update(1.0, 0, 4.0) == 0.0  # never below zero
    assert rule.score(20 * math.log(10)) == pytest.approx(20.0)
    assert rule.burst(3, 4.0) == 0.0 and rule.burst(40, 4.0) > rule.burst(20, 4.0) > 0


def test_windows_are_aligned_on_utc_midnight():
    moment = parse_time("2015-02-16 23:36:05 -0800")  # 07:36 UTC
    assert window_start(moment, timedelta(hours=3)) == datetime(2015, 2, 17, 6, tzinfo=UTC)
    assert window_start(moment, timedelta(minutes=15)) == datetime(2015, 2, 17, 7, 30, tzinfo=UTC)
    with pytest.raises(ValueError):
        BuzzRule(bucket=timedelta(hours=5))  # does not divide a day
    with pytest.raises(ValueError):
        BuzzRule(window=timedelta(minutes=20))  # not a whole number of buckets


def test_the_vocabulary_is_the_previous_days_before_the_window():
    rule = BuzzRule(vocabulary_days=2)
    start = datetime(2015, 2, 22, 12, tzinfo=UTC)
    windows = rule.baseline_windows(start)
    assert len(windows) == 2 and windows[0][0] == start - timedelta(days=1)
    assert windows[0][-1] == start - rule.bucket and windows[1][0] == start - timedelta(days=2)
    assert rule.lookback == 2 * rule.buckets_per_day + rule.window_buckets


# an ordinary weekday, hour by hour (negatives); weekends are half as busy, Fridays twice as busy
CYCLE = [1, 0, 0, 0, 1, 2, 4, 6, 8, 8, 8, 7, 6, 6, 6, 7, 8, 8, 6, 4, 3, 2, 1, 1]
MONDAY = datetime(2015, 1, 5, tzinfo=UTC)


def weeks(rule, n_weeks, busy_friday=2.0):
    """(start, negatives, tweets) per bucket of ``n_weeks`` ordinary weeks: an hour's count spread
    over its buckets, three tweets for each negative, Fridays ``busy_friday`` times busier in
    every kind of tweet, weekends half."""
    per_hour = rule.buckets_per_day // 24
    out = []
    for i in range(n_weeks * 7 * rule.buckets_per_day):
        start = MONDAY + i * rule.bucket
        scale = {4: busy_friday, 5: 0.5, 6: 0.5}.get(start.weekday(), 1.0)
        hourly = round(4 * CYCLE[start.hour] * scale)  # four times the cycle: a busy brand
        n = hourly // per_hour + (1 if (i % per_hour) < hourly % per_hour else 0)
        out.append((start, n, 3 * n))
    return out


def then(rule, series, counts):
    """``series`` followed by the next buckets at these negative counts (three tweets each)."""
    out = list(series)
    for n in counts:
        out.append((out[-1][0] + rule.bucket, n, 3 * n))
    return out


def test_no_decision_before_a_baseline_exists():
    detector = GroupDetector(RULE)
    first = detector.close(T0, 500, 900)
    assert first.baseline is None and not first.fires and not first.alert


def test_a_busy_friday_with_more_tweets_of_every_kind_does_not_fire():
    rule = RULE
    decisions = detect(weeks(rule, 4), rule)
    # once two Fridays are seen (the volume factor is off by default: the weekday learns it)
    assert not any(d.fires for d in decisions[14 * rule.buckets_per_day:])
    fridays = [d for d in decisions[-7 * rule.buckets_per_day:] if d.start.weekday() == 4 and d.start.hour == 10]
    thursdays = [d for d in decisions[-7 * rule.buckets_per_day:] if d.start.weekday() == 3 and d.start.hour == 10]
    # the weekday's correction learned that Fridays are busier
    assert sum(d.baseline for d in fridays) > 1.5 * sum(d.baseline for d in thursdays)
    # without it (the same hour of the previous days only), the same Fridays fire
    flat = replace(rule, prior_weeks=1e9)
    assert any(d.fires and d.start.weekday() == 4 for d in detect(weeks(rule, 4), flat)[14 * rule.buckets_per_day:])


def test_a_sharp_15_minute_burst_fires_when_its_bucket_closes_before_the_hour_does():
    rule = RULE
    series = weeks(rule, 2, busy_friday=1.0)
    at = len(series) - 1
    while series[at][0].weekday() != 2 or series[at][0].hour != 10 or series[at][0].minute != 0:
        at -= 1
    usual = series[at][1]
    burst = series[:at] + [(series[at][0], usual + 60, 3 * usual + 60)] + series[at + 1:at + 4]
    decisions = detect(burst, rule)
    fired = [d for d in decisions if d.alert]
    assert [d.start for d in fired] == [series[at][0]] and "burst" in fired[0].kind
    assert fired[0].start + rule.bucket < series[at][0] + timedelta(hours=1)  # raised at 10:15, not 11:00


def test_a_slow_building_storm_fires_through_the_cusum_once_per_episode():
    rule = RULE
    series = weeks(rule, 2, busy_friday=1.0)
    start = len(series) - 7 * rule.buckets_per_day + 2 * rule.buckets_per_day + 6 * 4  # Wednesday 06:00
    rising = [round(s[1] * 1.8) + 1 for s in series[start:start + 12 * 4]]  # twelve hours at ~1.8 times
    storm = series[:start] + [(s[0], n, 3 * n) for s, n in zip(series[start:], rising, strict=False)]
    storm += series[start + len(rising):]
    decisions = detect(storm, rule)
    firing = [d for d in decisions if d.fires]
    assert firing and not any(d.burst >= rule.burst_score and d.kind == "burst" for d in firing)
    first = firing[0]
    assert first.kind == "storm" and first.alert and first.score >= rule.min_score
    assert first.start - storm[start][0] >= timedelta(hours=1)  # it took hours of moderate excess
    assert sum(d.alert for d in decisions) == 1  # one alert per episode, though later buckets fire again
    assert len(firing) >= 2


def test_gaps_are_empty_buckets():
    rule = RULE
    series = [(T0, 5, 5), (T0 + 3 * rule.bucket, 7, 7)]
    assert [(d.start, d.negatives) for d in detect(series, rule)] == [
        (T0, 5), (T0 + rule.bucket, 0), (T0 + 2 * rule.bucket, 0), (T0 + 3 * rule.bucket, 7)]


def test_the_detector_state_pickles_and_resumes_with_the_same_decisions():
    rule = RULE
    series = weeks(rule, 1)
    whole = detect(series, rule)
    detector = GroupDetector(rule)
    for start, n, t in series[:300]:
        detector.close(start, n, t)
    resumed = pickle.loads(pickle.dumps(detector))
    assert [resumed.close(*row) for row in series[300:]] == whole[300:]


def test_about_names_what_rose_from_the_words_and_never_the_group():
    from monitoring.buzz.about import WindowTerms

    usual = ["@Busline my bus was late", "Busline seat broken", "Busline driver rude again", "late again Busline",
             "Busline wifi down"] * 6
    baseline = [WindowTerms.of(usual)]
    window = [(f"@Busline bus {i} cancelled, stranded at the depot #stranded Busline http://t.co/x{i}", 0.9 - i / 100)
              for i in range(8)] + [("Busline late again", 0.99), ("lost my bag on Busline", 0.6)]
    about = summarize(window, baseline, group="Busline")
    named = [r["term"] for r in about["terms"] + about["hashtags"]]
    assert {"cancelled", "stranded", "cancelled stranded"} & set(named)
    assert about["hashtags"][0]["term"] == "#stranded"
    assert not any("busline" in t for t in named) and "late" not in named
    assert len(about["tweets"]) == 3 and all("cancelled" in t for t in about["tweets"])
    assert "reasons" not in about  # only with a labelled reason
    assert "busline" not in terms("@Busline http://t.co/abc")
    labelled = summarize([(t, p, "Cancelled Flight") for t, p in window], baseline, group="Busline")
    assert labelled["reasons"][0] == {"reason": "Cancelled Flight", "count": 10, "baseline": 0}


def test_monitor_closes_buckets_for_every_group_and_alerts_once_as_the_storm_builds():
    rule = RULE
    monitor = BuzzMonitor(rule)
    alerts = []
    for start, n, _ in weeks(rule, 1)[:3 * rule.buckets_per_day]:
        for i in range(n):
            alerts += monitor.add(Tweet(start + timedelta(seconds=10 * i), "A", f"late bus {i % 3}"), True, 0.8)
        alerts += monitor.add(Tweet(start + timedelta(minutes=14), "B", "fine"), False, 0.1)
    storm = MONDAY + timedelta(days=3, hours=12)  # Thursday 12:00 UTC: 60 negatives a quarter of an hour
    for i in range(60):
        alerts += monitor.add(Tweet(storm + timedelta(seconds=10 * i), "A", f"bus {i} cancelled #stormy"), True, 0.9)
    assert alerts == []  # the bucket is still open
    alerts += monitor.add(Tweet(storm + rule.bucket, "B", "next bucket"), False, 0.1)
    (alert,) = alerts
    assert (alert.group, alert.window_end) == ("A", storm + rule.bucket)
    record = alert.to_dict()
    assert {"group", "window_start", "window_end", "negatives", "tweets", "baseline", "score", "about"} <= set(record)
    assert "cancelled" in record["about"]["summary"] and "#stormy" in record["about"]["summary"]
    assert monitor.flush() == []
    monitor.add(Tweet(MONDAY, "A", "old news"), True, 0.9)
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
    expected = ("PT15M", iso_duration(RULE.cooldown), "group")
    assert (data["windowSize"], data["muteActionsDuration"], data["dimension"]) == expected
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
