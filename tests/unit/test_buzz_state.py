"""The bad-buzz monitor keeps running: its state checkpointed and resumed (no tweet lost or counted
twice, no alert sent twice), and feed gaps reported rather than scored as quiet. Real airline
tweets, a deterministic keyword scorer (the model is not what is under test here)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from monitoring.buzz import checkpoint, stream
from monitoring.buzz.monitor import BuzzMonitor, run
from monitoring.buzz.rule import RULE
from monitoring.buzz.sinks import JsonLinesSink
from monitoring.buzz.stream import Tweet
from monitoring.config import ROOT

STREAM = ROOT / "data" / "airline_tweets_2015.csv"
WORDS = ("cancel", "delay", "late", "hold", "worst", "never", "bag", "hour")


def keyword_scorer(texts):
    return [(any(w in t.lower() for w in WORDS), 0.5 + (len(t) % 50) / 100) for t in texts]


class Killed(Exception):
    """Stands for SIGKILL: the run stops where it is, nothing after it runs."""


def killed_after(tweets, count, batch_size):
    for i, batch in enumerate(stream.batches(tweets, batch_size)):
        if (i + 1) * batch_size > count:
            raise Killed
        yield batch


@pytest.fixture(scope="module")
def tweets():
    return stream.read_file(STREAM)


@pytest.fixture(scope="module")
def uninterrupted(tweets, tmp_path_factory):
    out = tmp_path_factory.mktemp("whole") / "alerts.jsonl"
    sink, monitor, positions = JsonLinesSink(out), BuzzMonitor(), []

    def on_alert(alert):
        sink(alert)
        positions.append(monitor.seen)

    summary = run(stream.batches(tweets, 250), keyword_scorer, monitor, on_alert=on_alert, on_gap=sink.gap)
    sink.close()
    assert len(summary.alerts) >= 3  # the scorer sees the storm of 21-23 February
    return out.read_text().splitlines(), summary, positions


def resume_run(tweets, state, out, kill_at=None, batch_size=250, save_every=700, kill_in_sink=None, sent=None):
    """One run of the command's loop against the state file and the alerts file; ``kill_at``: killed
    once this many tweets of the stream were handed to it; ``kill_in_sink``: killed right after the
    n-th alert of this run reached the file (before any checkpoint could follow)."""
    monitor = checkpoint.load(state)
    sink = JsonLinesSink(out, resume=monitor is not None)
    handed = [0]

    def on_alert(alert):
        sink(alert)
        handed[0] += 1
        if sent is not None:
            sent.append(alert.key())  # what a mail or an Application Insights event would have sent
        if kill_in_sink == handed[0]:
            raise Killed

    batches = killed_after(tweets, kill_at, batch_size) if kill_at else stream.batches(tweets, batch_size)
    try:
        return run(batches, keyword_scorer, monitor or BuzzMonitor(), on_alert=on_alert, on_gap=sink.gap,
                   save=checkpoint.saver(state), save_every=save_every)
    except Killed:
        return None
    finally:
        sink._file.close()  # what the kill leaves: the lines flushed so far


@pytest.mark.parametrize("kills", [[1000], [3000, 6200], [4500, 4501, 8000], "after each alert"])
def test_a_killed_monitor_resumes_with_the_same_alerts_none_twice(tweets, uninterrupted, tmp_path, kills):
    state, out = tmp_path / "state.pickle", tmp_path / "alerts.jsonl"
    if kills == "after each alert":  # killed as the batch that raised it ends
        kills = sorted({position + 250 for position in uninterrupted[2]})
    sent = []
    for kill_at in kills:
        assert resume_run(tweets, state, out, kill_at=kill_at, sent=sent) is None
    last = resume_run(tweets, state, out, sent=sent)
    lines, whole, _ = uninterrupted
    assert out.read_text().splitlines() == lines  # the same alerts, in the same order, none twice
    assert sent == [a.key() for a in whole.alerts]  # and no notification repeated
    assert last.monitor.seen == whole.monitor.seen == len(tweets)  # no tweet lost or counted twice
    assert last.skipped > 0 and last.tweets + last.skipped == len(tweets)
    assert [a.to_dict() for a in last.alerts] == [a.to_dict() for a in whole.alerts]


def test_a_kill_between_sending_an_alert_and_the_checkpoint_does_not_repeat_it(tweets, uninterrupted, tmp_path):
    state, out = tmp_path / "state.pickle", tmp_path / "alerts.jsonl"
    assert resume_run(tweets, state, out, kill_in_sink=1, save_every=10**9) is None  # no checkpoint yet
    assert len(out.read_text().splitlines()) == 1
    assert resume_run(tweets, state, out, kill_in_sink=1) is None  # the first alert again: the file skips it
    with out.open("a") as f:
        f.write('{"group": "Uni')  # and a kill in the middle of a line
    resume_run(tweets, state, out)
    assert out.read_text().splitlines() == uninterrupted[0]


def test_a_finished_state_starts_afresh_and_another_rule_is_refused(tweets, tmp_path):
    state = tmp_path / "state.pickle"
    run(stream.batches(tweets[:500]), keyword_scorer, BuzzMonitor(), save=checkpoint.saver(state))
    assert checkpoint.load(state) is None  # the stream ended: a new run replays it
    monitor = BuzzMonitor()
    monitor.add(tweets[0], True, 0.9)
    checkpoint.save(monitor, state)
    assert checkpoint.load(state).seen == 1
    from dataclasses import replace

    with pytest.raises(checkpoint.StateError, match="another rule"):
        checkpoint.load(state, replace(RULE, min_negatives=RULE.min_negatives + 1))
    state.write_bytes(b"not a pickle")
    with pytest.raises(checkpoint.StateError, match="--fresh"):
        checkpoint.load(state)
    assert not list(tmp_path.glob(".*tmp"))  # atomic writes leave no temporary file


def test_tweets_at_the_last_time_seen_are_skipped_by_id_or_by_position():
    t0 = datetime(2015, 2, 18, 12, tzinfo=UTC)
    monitor = BuzzMonitor()
    for tweet in [Tweet(t0, "A", "a", "1"), Tweet(t0 + timedelta(seconds=1), "A", "b", "2"),
                  Tweet(t0 + timedelta(seconds=1), "A", "c", "3")]:
        monitor.add(tweet, False, 0.1)
    keep = monitor.unseen()
    later = [Tweet(t0 + timedelta(seconds=1), "A", "d", "4"), Tweet(t0 + timedelta(seconds=2), "A", "e", "5")]
    assert keep([Tweet(t0, "A", "a", "1"), Tweet(t0 + timedelta(seconds=1), "A", "c", "3")]) == []
    assert keep(later) == later
    anonymous = BuzzMonitor()  # no ids (text lines): the first tweets at the last time were seen
    for text in "xy":
        anonymous.add(Tweet(t0, "A", text), False, 0.1)
    again = [Tweet(t0, "A", "x"), Tweet(t0, "A", "y"), Tweet(t0, "A", "z")]
    assert anonymous.unseen()(again) == again[2:]


def steady(days: int, per_hour: int, start: datetime):
    """``per_hour`` tweets an hour in two groups, a third of them negative, for ``days`` days."""
    for hour in range(24 * days):
        for i in range(per_hour):
            yield Tweet(start + timedelta(hours=hour, minutes=i * 60 // per_hour), "AB"[i % 2], f"late {i}",
                        f"{hour}-{i}"), i % 3 == 0


def feed(monitor, items):
    for tweet, negative in items:
        monitor.add(tweet, negative, 0.9)


def test_a_stalled_feed_is_a_gap_and_its_hours_are_not_scored_as_quiet():
    t0 = datetime(2015, 2, 10, tzinfo=UTC)
    items = list(steady(4, 12, t0))
    stalled = [(t, n) for t, n in items if not (t0 + timedelta(days=3, hours=10) <= t.time
                                                 < t0 + timedelta(days=3, hours=13))]
    monitor = BuzzMonitor()
    feed(monitor, stalled)
    monitor.flush()
    (gap,) = monitor.gaps
    assert (gap.start, gap.end) == (t0 + timedelta(days=3, hours=10), t0 + timedelta(days=3, hours=13))
    assert gap.expected_tweets == pytest.approx(36)
    assert gap.to_dict() == {"event": "feed_gap", "start": "2015-02-13T10:00:00Z", "end": "2015-02-13T13:00:00Z",
                             "expected_tweets": 36.0}
    scored = {s: (n, t) for s, n, t, _b, _a in monitor.groups["A"].windows}
    usual = scored[gap.start - timedelta(days=1)]  # a steady stream: every day alike
    assert scored[gap.start] == usual and usual[1] > 0  # the group's usual count at that time, not zero
    # the same silence on the first day (no usual volume yet) and a quiet stream are no gap
    for silent in ([(t, n) for t, n in items if not (t0 + timedelta(hours=5) <= t.time < t0 + timedelta(hours=7))],
                   [(t, n) for t, n in steady(4, 2, t0) if not (t0 + timedelta(days=3, hours=10) <= t.time
                                                                 < t0 + timedelta(days=3, hours=12))]):
        other = BuzzMonitor()
        feed(other, silent)
        assert other.gaps == []


def test_a_gap_is_written_once_to_the_alerts_file(tmp_path):
    t0 = datetime(2015, 2, 10, tzinfo=UTC)
    tweets = [t for t, _ in steady(4, 12, t0) if not (t0 + timedelta(days=2, hours=3) <= t.time
                                                       < t0 + timedelta(days=2, hours=5))]
    out, state = tmp_path / "alerts.jsonl", tmp_path / "state.pickle"
    for kill_at in (1500, None):
        monitor = checkpoint.load(state)
        sink = JsonLinesSink(out, resume=monitor is not None)
        try:
            run(killed_after(tweets, kill_at, 100) if kill_at else stream.batches(tweets, 100), keyword_scorer,
                monitor or BuzzMonitor(), on_alert=sink, on_gap=sink.gap, save=checkpoint.saver(state),
                save_every=100)
        except Killed:
            pass
        sink.close()
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert records == [{"event": "feed_gap", "start": "2015-02-12T03:00:00Z", "end": "2015-02-12T05:00:00Z",
                        "expected_tweets": 24.0}]


def test_the_command_resumes_only_the_same_stream_unless_told_to_start_afresh(tweets, tmp_path):
    from monitoring.buzz import command

    state = tmp_path / "state.pickle"
    monitor = BuzzMonitor()
    monitor.source = "tweets.csv"
    monitor.add(tweets[0], True, 0.9)
    checkpoint.save(monitor, state)
    printed = []
    assert command.resume(state, False, "tweets.csv", printed.append).seen == 1
    assert printed and printed[0].startswith(f"resuming from {state}: 1 tweets counted")
    with pytest.raises(checkpoint.StateError, match="not 'other.csv'"):
        command.resume(state, False, "other.csv")
    assert command.resume(state, True, "other.csv") is None and not state.exists()
    assert command.resume(None, False, "tweets.csv") is None
