"""The design benchmark's airline stream scored by its human labels (``--model labels``)."""

from benchmarks.buzz_designs import scored_airline

CSV = """tweet_id,airline_sentiment,airline,text,tweet_created
1,negative,Delta,  @delta lost my bag again  ,2015-02-22 08:05:00 -0800
2,positive,Delta,@delta thanks for the upgrade,2015-02-22 08:01:00 -0800
3,negative,United,@united 3 hours on hold,2015-02-22 07:59:00 -0800
4,negative,United,   ,2015-02-22 08:30:00 -0800
"""


def test_the_human_labels_score_each_tweet_in_time_order(tmp_path):
    path = tmp_path / "stream.csv"
    path.write_text(CSV)
    scored, by = scored_airline(path, "labels")
    assert by == "the human labels (airline_sentiment)"
    assert [(t.group, t.text, negative, p) for t, negative, p in scored] == [
        ("United", "@united 3 hours on hold", True, 1.0),
        ("Delta", "@delta thanks for the upgrade", False, 0.0),
        ("Delta", "@delta lost my bag again", True, 1.0),
    ]
