"""One way to read a time for both monitors (monitoring/times.py): a tweet keeps its own offset
(the bad-buzz report's local days), a misprediction report is kept in UTC."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitoring.times import parse_time, to_utc

PST = timezone(timedelta(hours=-8))


@pytest.mark.parametrize("value", ["2015-02-16 23:36:05 -0800", "Mon Feb 16 23:36:05 -0800 2015",
                                   "2015-02-16T23:36:05-08:00", datetime(2015, 2, 16, 23, 36, 5, tzinfo=PST)])
def test_a_time_keeps_its_offset_and_to_utc_converts_it(value):
    moment = parse_time(value)
    assert moment.utcoffset() == timedelta(hours=-8) and moment == datetime(2015, 2, 17, 7, 36, 5, tzinfo=UTC)
    assert to_utc(value).utcoffset() == timedelta(0) and to_utc(value) == moment


def test_without_an_offset_it_is_utc_and_epoch_seconds_are_read():
    assert parse_time("2026-11-24T09:00:00") == parse_time("2026-11-24T09:00:00Z") == to_utc("1795510800")
    assert parse_time(datetime(2026, 11, 24, 9)).tzinfo == UTC
    with pytest.raises(ValueError, match="cannot read the time 'yesterday'"):
        parse_time("yesterday")
