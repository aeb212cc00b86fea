"""The bad-buzz rule, detector, windows, 'about' summary and stream replay (pure code)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest
from scipy import stats

from monitoring.buzz.about import summarize, terms
from monitoring.buzz.detector import GroupDetector, detect, window_start
from monitoring.buzz.monitor import BuzzMonitor
from monitoring.buzz.rule import RULE, RULE_FILE, BuzzRule, negative_binomial_tail
from monitoring.buzz.stream import Tweet, batches, parse_time, read_lines
from monitoring.config import ROOT
from pyfunc.names import BAD_BUZZ_EVENT

T0 = datetime(2015, 2, 18, tzinfo=UTC)


@pytest.mark.parametrize(("n", "mean", "alpha"), [(0, 3, 0.1), (1, 0.5, 0.0), (5, 1.0, 0.0), (20, 10, 0.02),
                                                   (65, 24.7, 0.02), (3, 8, 0.5), (200, 30, 0.02), (12, 12, 0.25)])
def test_negative_binomial_tail_is_scipys(n, mean, alpha):
    if alpha == 0:
        expected = stats.poisson.sf(n - 1, mean)
    else:
        r = 1 / alpha
        expected = stats.nbinom.sf(n - 1, r, r / (r + mean))
    assert negative_binomial_tail(n, mean, alpha) == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_overdispersion_makes_a_burst_less_surprising():
    poisson, overdispersed = BuzzRule(dispersion=0.0), BuzzRule(dispersion=0.2)
    assert poisson.score(40, 15) > overdispersed.score(40, 15) > 0


def test_windows_are_aligned_on_utc_midnight():
    moment = parse_time("2015-02-16 23:36:05 -0800")  # 07:36 UTC
    assert window_start(moment, timedelta(hours=3)) == datetime(2015, 2, 17, 6, tzinfo=UTC)
    assert window_start(moment, timedelta(hours=1)) == datetime(2015, 2, 17, 7, tzinfo=UTC)
    with pytest.raises(ValueError):
        BuzzRule(window=timedelta(hours=5))  # does not divide a day


def test_baseline_is_the_same_time_of_day_on_previous_days():
    offsets = BuzzRule(window=timedelta(hours=3), baseline_days=2, baseline_span=1).baseline_offsets()
    assert offsets == [7, 8, 9, 15, 16, 17]


def quiet_days(rule, days=3, level=10):
    """(start, negatives, tweets) of ``days`` days with a daily cycle: quiet nights, busy days."""
    cycle = [1, 0, 1, 4, level, level + 2, level, 5]  # 3-hour windows of a day
    return [(T0 + i * rule.window, cycle[i % 8], 3 * cycle[i % 8]) for i in range(8 * days)]


def test_no_decision_before_a_baseline_exists():
    detector = GroupDetector(RULE)
    first = detector.close(T0, 500, 900)
    assert first.baseline is None and not first.fires and not first.alert


def test_a_spike_fires_once_per_episode_and_again_after_the_cooldown():
    rule = RULE
    series = quiet_days(rule)
    spike_at = series[-1][0] + rule.window * 5  # day 4, a busy window
    for k in range(1, 6):  # five windows; windows 2 and 3 are a spike, then calm
        start = series[-1][0] + rule.window
        n = {2: 60, 3: 70}.get(k, 10 if k >= 4 else 4)
        series.append((start, n, 3 * n))
    decisions = detect(series, rule)
    fired = [d for d in decisions if d.fires]
    assert [d.negatives for d in fired] == [60, 70]
    assert [d.alert for d in fired] == [True, False]  # one alert per episode
    assert all(d.baseline is not None and d.baseline < 15 for d in fired)
    assert spike_at  # the same spike after the cool-down alerts again
    later = series + [(series[-1][0] + rule.window * (1 + k), 0, 0) for k in range(rule.windows_per_day * 2)]
    later.append((later[-1][0] + rule.window, 80, 90))
    assert detect(later, rule)[-1].alert


def test_the_daily_cycle_and_low_volumes_do_not_fire():
    rule = RULE
    decisions = detect(quiet_days(rule, days=6), rule)
    assert not any(d.fires for d in decisions)
    # a night window jumping from 1 to 12 is surprising but under the minimum volume
    spiky_night = quiet_days(rule, days=3) + [(T0 + 24 * rule.window, 12, 20)]
    last = detect(spiky_night, rule)[-1]
    assert last.score >= rule.min_score and not last.fires


def test_gaps_are_empty_windows():
    rule = RULE
    series = [(T0, 5, 5), (T0 + 3 * rule.window, 7, 7)]
    assert [(d.window_start, d.negatives) for d in detect(series, rule)] == [
        (T0, 5), (T0 + rule.window, 0), (T0 + 2 * rule.window, 0), (T0 + 3 * rule.window, 7)]


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


def test_monitor_closes_windows_for_every_group_and_alerts_once():
    rule = RULE
    monitor = BuzzMonitor(rule)
    alerts = []
    for start, n, _ in quiet_days(rule, days=3):
        for i in range(n):
            alerts += monitor.add(Tweet(start + timedelta(minutes=i), "A", f"late flight {i}"), True, 0.8)
        alerts += monitor.add(Tweet(start + timedelta(minutes=90), "B", "fine"), False, 0.1)
    storm = T0 + 24 * rule.window + 4 * rule.window  # day 4, the busy window
    for i in range(60):
        alerts += monitor.add(Tweet(storm + timedelta(minutes=i), "A", f"flight {i} cancelled #stormy"), True, 0.9)
    assert alerts == []  # the storm's window is still open
    alerts += monitor.add(Tweet(storm + rule.window, "B", "next window"), False, 0.1)
    (alert,) = alerts
    assert (alert.group, alert.window_start, alert.negatives) == ("A", storm, 60)
    record = alert.to_dict()
    assert record["window_start"] == "2015-02-21T12:00:00Z" and record["window_end"] == "2015-02-21T15:00:00Z"
    assert {"group", "window_start", "window_end", "negatives", "tweets", "baseline", "score", "about"} <= set(record)
    assert "#stormy" in record["about"]["summary"]
    assert monitor.flush() == []
    # a late tweet (its window closed) is counted as late, not silently mixed in
    monitor.add(Tweet(T0, "A", "old news"), True, 0.9)
    assert monitor.late == 1
    # memory per group stays bounded by the rule's look-back
    assert all(len(g.terms) <= rule.lookback for g in monitor.groups.values())


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
    assert (data["windowSize"], data["muteActionsDuration"], data["dimension"]) == ("PT3H", "PT12H", "group")
    other = BuzzRule(window=timedelta(hours=1), cooldown=timedelta(hours=6, minutes=30))
    assert (other.to_infra()["windowSize"], other.to_infra()["muteActionsDuration"]) == ("PT1H", "PT6H30M")
    assert "ago(1h)" in other.kql()
    bicep = (ROOT / "infra" / "alerts.bicep").read_text()
    assert "loadJsonContent('buzz-rule.json')" in bicep
    check = subprocess.run([sys.executable, "-m", "monitoring.buzz.rule", "--check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_lead_is_the_peak_hour_minus_the_first_alert_on_the_local_day_it_was_raised():
    from monitoring.buzz.report import measure

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
