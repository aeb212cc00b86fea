"""The report record, the local SQLite store and the feedback export (relabelled training data)."""

from __future__ import annotations

import gzip
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest

from monitoring.mispredictions.export import export
from monitoring.mispredictions.record import InvalidReport, MispredictionReport
from monitoring.mispredictions.store import LocalStore
from pyfunc.names import MAX_TEXT_CHARS

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def report(text="late again", label="not_negative", p=0.2, at=T0, version="5"):
    return MispredictionReport(text, label, p, "air-paradis-sentiment", version, reported_at=at, source="test")


@pytest.mark.parametrize("kwargs, message", [
    ({"text": "  "}, "empty"),
    ({"text": "x" * (MAX_TEXT_CHARS + 1)}, "longer"),
    ({"label": "positive"}, "predicted_label"),
    ({"p": 1.5}, r"\[0, 1\]"),
    ({"p": float("nan")}, r"\[0, 1\]"),
    ({"p": "abc"}, "not a number"),
])
def test_bad_reports_are_refused_with_a_clear_message(kwargs, message):
    with pytest.raises(InvalidReport, match=message):
        report(**kwargs)


def test_report_fields_and_relabel():
    r = report(at="2026-11-24T10:00:00")  # naive ISO is taken as UTC
    assert r.reported_at == datetime(2026, 11, 24, 10, tzinfo=UTC)
    assert r.to_dimensions()["reported_at"] == "2026-11-24T10:00:00+00:00"
    assert r.true_label == "negative" and report(label="negative").true_label == "not_negative"
    assert MispredictionReport.from_dimensions(r.to_dimensions()) == r


def test_store_keeps_every_report_and_counts_windows(tmp_path):
    store = LocalStore(tmp_path / "sub" / "reports.sqlite3")
    ids = [store.add(report(f"t{i}", at=T0 + timedelta(minutes=i))) for i in range(6)]
    assert ids == sorted(ids) and len(set(ids)) == 6
    assert [r.text for r in store.reports()] == [f"t{i}" for i in range(6)]
    assert store.count(T0 + timedelta(minutes=1), T0 + timedelta(minutes=4)) == 3  # (1, 4]
    assert [r.text for r in store.reports(since=T0 + timedelta(minutes=3))] == ["t4", "t5"]
    reopened = LocalStore(tmp_path / "sub" / "reports.sqlite3")  # survives a restart
    assert len(reopened.reports()) == 6


def test_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "reports.sqlite3"
    LocalStore(path)

    def write(k):
        store = LocalStore(path)
        for i in range(25):
            store.add(report(f"w{k}-{i}"))

    threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(LocalStore(path).reports()) == 100


def test_only_one_claim_per_window(tmp_path):
    store = LocalStore(tmp_path / "reports.sqlite3")
    now = T0 + timedelta(minutes=5)
    assert store.claim_notification("r", now, quiet_since=T0, report_count=3) is not None
    assert store.claim_notification("r", now, quiet_since=T0, report_count=3) is None
    assert store.claim_notification("r", now + timedelta(minutes=6), quiet_since=now + timedelta(seconds=1),
                                    report_count=3) is not None


def filled_store(tmp_path) -> LocalStore:
    store = LocalStore(tmp_path / "reports.sqlite3")
    store.add(report("the crew was lovely", label="negative", p=0.7, at=T0))
    store.add(report("lost my bag AGAIN", label="not_negative", p=0.3, at=T0 + timedelta(minutes=1)))
    store.add(report("the crew was lovely", label="negative", p=0.8, at=T0 + timedelta(minutes=2)))  # duplicate
    store.add(report("café crème à bord, très bien", label="negative", p=0.6, at=T0 + timedelta(minutes=3)))
    return store


def test_export_labels_format_relabels_and_deduplicates(tmp_path):
    import pandas as pd

    out = tmp_path / "feedback.csv"
    assert export(filled_store(tmp_path), out, "labels") == 3
    df = pd.read_csv(out)
    assert list(df.text) == ["lost my bag AGAIN", "the crew was lovely", "café crème à bord, très bien"]
    assert list(df.label) == [1, 0, 0]  # 1 = negative: the opposite of what the model said
    assert df.negative_probability.iloc[1] == pytest.approx(0.8)  # the latest report of a duplicate wins


def test_export_feeds_the_training_data_loader(tmp_path):
    """The sentiment140 export is read by the training stage's own loader (the feedback loop)."""
    from airparadis import config
    from airparadis.core import data

    out = tmp_path / "train_with_feedback.csv.gz"
    rows = export(filled_store(tmp_path), out, "sentiment140", merge_with=config.BUNDLED_TRAIN)
    assert rows == 3
    train, _ = data.load_raw(str(out))
    bundled = data.read_sentiment140(config.BUNDLED_TRAIN)
    assert len(train) == len(bundled) + 3
    feedback = data.to_binary(train.tail(3))
    assert list(feedback.label) == [1, 0, 0]
    assert feedback.text.iloc[0] == "lost my bag AGAIN"
    assert feedback.text.iloc[2] == "café crème à bord, très bien"  # latin-1 round trip


def test_export_command(tmp_path):
    filled_store(tmp_path)
    env = {"AIRPARADIS_FEEDBACK_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = tmp_path / "out.csv.gz"
    done = subprocess.run([sys.executable, "-m", "monitoring.mispredictions.export", "--out", str(out)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "wrote 3 relabelled report(s)" in done.stdout
    assert len(gzip.decompress(out.read_bytes()).decode("latin-1").splitlines()) == 3
    empty = subprocess.run([sys.executable, "-m", "monitoring.mispredictions.export"], capture_output=True, text=True,
                           timeout=60,
                           env={**env, "AIRPARADIS_FEEDBACK_DIR": str(tmp_path / "none")})
    assert empty.returncode == 1 and "no reports yet" in empty.stderr and "Traceback" not in empty.stderr
