"""The crisis the decks tell: its lead as a reader says it, and the words its first alert named."""

from datetime import date, datetime, timedelta, timezone

import pytest

from airparadis.reporting import crisis

LOCAL = timezone(timedelta(hours=-8))


def told(lead_hours: float) -> crisis.Crisis:
    peak = datetime(2015, 2, 22, 14, tzinfo=LOCAL)
    return crisis.Crisis("United", date(2015, 2, 22), peak - timedelta(hours=lead_hours), peak, lead_hours,
                         [0] * 24, [1.0] * 24)


@pytest.mark.parametrize(("lead", "said"), [(8.25, "8 h 15 min"), (2.0, "2 h"), (0.75, "0 h 45 min")])
def test_the_lead_is_said_in_hours_and_minutes(lead, said):
    assert told(lead).lead_duration == said == told(lead).figures()["lead_duration"]


def test_the_words_are_those_of_the_first_alert_raised_on_the_crisis_day():
    report = {"alerts": [
        {"group": "Delta", "window_end": "2015-02-22T14:00:00Z", "about": {"summary": "jfk, snow"}},
        {"group": "United", "window_end": "2015-02-21T23:00:00Z", "about": {"summary": "the 21st"}},
        {"group": "United", "window_end": "2015-02-22T13:45:00Z", "about": {"summary": "hold, flightled flight"}},
        {"group": "United", "window_end": "2015-02-22T20:00:00Z", "about": {"summary": "later"}},
    ]}
    assert crisis.words(report, told(8.25)) == ["hold", "flightled flight"]
    assert crisis.words({"alerts": []}, told(8.25)) == []
