"""Reading a time, one way for both monitors: a misprediction report's ``reported_at`` and a
tweet's creation time."""

from __future__ import annotations

import re
from datetime import UTC, datetime

TIME_FORMATS = ("%Y-%m-%d %H:%M:%S %z", "%a %b %d %H:%M:%S %z %Y")  # the airline file; Twitter's API
_AIRLINE_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}")  # the first format, read fast


def parse_time(value: str | datetime) -> datetime:
    """An aware datetime with its own offset, from a datetime or a timestamp (ISO 8601, the airline
    file's ``2015-02-16 23:36:05 -0800``, Twitter's format, or epoch seconds); without an offset,
    UTC. :class:`ValueError` when it is none of these."""
    if isinstance(value, datetime):
        moment = value
    else:
        moment = _read(str(value).strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def to_utc(value: str | datetime) -> datetime:
    """:func:`parse_time` in UTC (what a report and the local store keep)."""
    return parse_time(value).astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _read(value: str) -> datetime:
    if _AIRLINE_TIME.fullmatch(value):  # as ISO 8601 (C code): strptime took most of a stream's reading time
        return datetime.fromisoformat(f"{value[:19]}{value[20:23]}:{value[23:]}")
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            pass
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except ValueError:
            raise ValueError(f"cannot read the time {value!r}") from None
