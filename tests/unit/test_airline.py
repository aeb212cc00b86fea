"""The airline tweets: split once by date, never leaking into the judge, feedback in train only."""

import pandas as pd
import pytest

from airparadis.core import airline, data
from monitoring.mispredictions.export import feedback_key, relabel
from monitoring.mispredictions.record import MispredictionReport


@pytest.fixture(scope="module")
def airline_parts():
    return airline.split(airline.read())


def test_the_airline_file_is_split_by_date_with_neutral_as_not_negative(airline_parts):
    feedback, judge = airline_parts
    assert (feedback.created < airline.JUDGE_FROM).all() and (judge.created >= airline.JUDGE_FROM).all()
    assert len(feedback) + len(judge) <= 8_968 and len(judge) > 4_000 and len(feedback) > 3_500
    raw = pd.read_csv(airline.FILE)
    assert set(raw.airline_sentiment) == {"negative", "neutral", "positive"}
    assert airline.read().label.sum() == (raw.airline_sentiment == "negative").sum()  # neutral and positive: 0


def test_no_judge_tweet_is_a_copy_of_a_feedback_tweet(airline_parts):
    feedback, judge = airline_parts
    assert not set(map(feedback_key, judge.text)) & set(map(feedback_key, feedback.text))


def _splits(train_texts, judge_texts=("the judge tweet",)):
    frame = lambda texts, label=0: pd.DataFrame({"text": list(texts), "label": [label] * len(texts)})  # noqa: E731
    feedback = pd.DataFrame({"text": ["airline one", "the judge tweet"], "label": [1, 1],
                             "created": pd.to_datetime(["2015-02-17", "2015-02-18"], utc=True)})
    return data.Splits(frame(train_texts), frame(["val"]), frame(["test"]), frame(["sts"]), frame(judge_texts),
                       feedback, source="test")


def _reports_file(tmp_path, rows):
    path = tmp_path / "labels.csv"
    pd.DataFrame(rows, columns=["text", "label", "reported_at"]).to_csv(path, index=False)
    return str(path)


def test_feedback_joins_the_training_split_only_and_the_latest_label_wins(tmp_path):
    reports = _reports_file(tmp_path, [("Lost my bag", 1, "2026-01-01T10:00:00+00:00"),
                                       ("lost my bag", 0, "2026-01-02T10:00:00+00:00"),  # later: wins
                                       ("val", 1, "2026-01-01T10:00:00+00:00")])  # a judging tweet: dropped
    splits = data.add_feedback(_splits(["lost my bag", "other"]), ["airline", reports])
    train = dict(zip(splits.train.text, splits.train.label, strict=True))
    assert train == {"other": 0, "airline one": 1, "lost my bag": 0}  # the old row replaced, once
    assert splits.feedback_rows == 2 and splits.feedback == f"airline,{reports}"
    assert splits.train.set_index("text").feedback.to_dict() == {"other": False, "airline one": True,
                                                                  "lost my bag": True}
    assert splits.validation.text.tolist() == ["val"] and splits.airline.text.tolist() == ["the judge tweet"]


def test_the_exporter_and_the_loader_keep_the_same_label_for_a_tweet_reported_twice(tmp_path):
    first = MispredictionReport("Lost my bag", "negative", 0.9, "m", "1", reported_at="2026-01-01T10:00:00+00:00")
    second = MispredictionReport("lost my  bag", "not_negative", 0.2, "m", "2", reported_at="2026-01-02T10:00:00")
    (kept,) = relabel([second, first])
    path = _reports_file(tmp_path, [(r.text, int(r.true_label == "negative"), r.reported_at.isoformat())
                                    for r in (first, second)])
    splits = data.add_feedback(_splits(["other"]), [path])
    loaded = splits.train[splits.train.feedback]
    assert loaded.label.tolist() == [int(kept.true_label == "negative")] == [1]


def test_a_missing_feedback_file_says_how_to_make_one(tmp_path):
    with pytest.raises(data.DataUnavailable, match="monitoring.mispredictions.export --format labels"):
        data.add_feedback(_splits(["a"]), [str(tmp_path / "none.csv")])


def test_a_fixed_share_of_the_feedback_is_held_out_by_text_and_the_splits_keep_it_out_of_training():
    feedback, judge = airline.split(airline.read())
    trainable, held_out = airline.hold_out(feedback)
    assert len(trainable) + len(held_out) == len(feedback)
    assert abs(len(held_out) / len(feedback) - airline.HOLDOUT_SHARE) < 0.03
    assert not set(map(feedback_key, trainable.text)) & set(map(feedback_key, held_out.text))  # copies together
    again = airline.hold_out(feedback.sample(frac=1.0, random_state=1))[1]  # no random state involved
    assert sorted(again.text) == sorted(held_out.text)
    splits = data.add_feedback(data.split(*data.load_raw("bundled"), source="bundled", sample=500), ["airline"])
    assert sorted(splits.airline_holdout.text) == sorted(held_out.text) and "airline_holdout" in data.JUDGING
    assert not set(map(feedback_key, splits.train.text)) & set(map(feedback_key, held_out.text))
    assert splits.airline.text.tolist() == judge.text.tolist()
