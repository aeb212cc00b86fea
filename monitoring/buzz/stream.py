"""Tweets from a CSV or JSON-lines file (replayed in time order, as fast as possible or at N×
real time) or from standard input (JSON lines, or plain text lines stamped on arrival)."""

from __future__ import annotations

import csv
import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from monitoring.times import parse_time
from pyfunc.names import MAX_TEXT_CHARS

DEFAULT_GROUP = "all"


@dataclass(frozen=True)
class Tweet:
    time: datetime  # aware
    group: str
    text: str
    id: str = ""  # the source's tweet id, when it has one (what a restart recognises a seen tweet by)


@dataclass(frozen=True)
class Columns:
    text: str = "text"
    time: str = "tweet_created"
    group: str = "airline"
    id: str = "tweet_id"  # optional: a stream without it is resumed by position among equal times


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def text_to_score(text) -> str | None:
    """The text stripped and cut to the API's limit (the model cleans it further), or None when
    there is nothing to score."""
    if not isinstance(text, str) or not text.strip():
        return None
    return text.strip()[:MAX_TEXT_CHARS]


def _tweet(row: dict, columns: Columns, now: Callable[[], datetime]) -> Tweet | None:
    text = text_to_score(row.get(columns.text))
    if text is None:
        return None
    stamp = row.get(columns.time)
    moment = parse_time(stamp) if stamp not in (None, "") else now()
    group = str(row.get(columns.group) or DEFAULT_GROUP)
    ident = row.get(columns.id)
    return Tweet(moment, group, text, "" if ident in (None, "") else str(ident))


def read_file(path: Path, columns: Columns = Columns()) -> list[Tweet]:
    """Every tweet of a CSV (header row) or JSON-lines file (``.jsonl``/``.json``/``.ndjson``),
    sorted by time (stably: ties keep the file's order). Rows without text are skipped."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    with path.open(encoding="utf-8-sig", newline="") as f:
        if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
            rows = (json.loads(line) for line in f if line.strip())
        else:
            rows = csv.DictReader(f)
            missing = {columns.text, columns.time} - set(rows.fieldnames or [])
            if missing:
                raise ValueError(f"{path} has no column(s) {sorted(missing)} (columns: {rows.fieldnames})")
        tweets = [t for t in (_tweet(r, columns, lambda: datetime.now(UTC)) for r in rows) if t is not None]
    return sorted(tweets, key=lambda t: t.time)


def read_lines(lines: Iterable[str], columns: Columns = Columns(),
               now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> Iterator[Tweet]:
    """Tweets as lines arrive: a JSON object per line, or a plain text line (stamped on arrival)."""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        row = None
        if line.startswith("{"):
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                row = None
        tweet = _tweet(row if isinstance(row, dict) else {columns.text: line}, columns, now)
        if tweet is not None:
            yield tweet


def batches(tweets: Iterable[Tweet], batch_size: int = 1000, speed: float = 0.0,
            clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
            stop: Callable[[], bool] = lambda: False) -> Iterator[list[Tweet]]:
    """Batches to score. ``speed`` 0: as fast as possible, ``batch_size`` tweets a batch; N: the
    stream's time runs N times faster than real time, and a batch holds what is due."""
    batch: list[Tweet] = []
    first_time = started = None
    for tweet in tweets:
        if stop():
            return
        if speed > 0:
            if first_time is None:
                first_time, started = tweet.time, clock()
            due = started + (tweet.time - first_time).total_seconds() / speed
            wait = due - clock()
            if wait > 0 and batch:
                yield batch
                batch = []
            if wait > 0:
                sleep(wait)
        batch.append(tweet)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch and not stop():
        yield batch


def stdin_lines() -> Iterator[str]:
    yield from sys.stdin
