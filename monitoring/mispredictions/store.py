"""The local store: every report in a SQLite file, plus the notifications the evaluator sent.

SQLite (not JSON lines) so several processes (the UI, the export command) can write and read at
once without losing a line, and so the evaluator can count reports in a window with one query.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path

from monitoring.mispredictions.record import FIELDS, MispredictionReport
from monitoring.times import to_utc

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    text TEXT NOT NULL,
    predicted_label TEXT NOT NULL,
    negative_probability REAL NOT NULL,
    model_name TEXT NOT NULL,
    model_version TEXT NOT NULL,
    reported_at TEXT NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reports_reported_at ON reports (reported_at);
CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rule TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    report_count INTEGER NOT NULL
);
"""


def _iso(moment: datetime) -> str:
    """Fixed-width UTC ISO 8601, so text order is time order in SQL."""
    return to_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


class LocalStore:
    """Reports in ``<folder>/reports.sqlite3``; the folder is created on first use."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=30)) as db, db:  # commits on success
            yield db

    def add(self, report: MispredictionReport) -> int:
        values = report.to_dimensions()
        values["negative_probability"] = report.negative_probability
        values["reported_at"] = _iso(report.reported_at)
        with self._connect() as db:
            cursor = db.execute(
                f"INSERT INTO reports ({', '.join(FIELDS)}) VALUES ({', '.join('?' * len(FIELDS))})",
                [values[k] for k in FIELDS],
            )
            return int(cursor.lastrowid)

    def reports(self, since: datetime | None = None, until: datetime | None = None) -> list[MispredictionReport]:
        """Reports with ``since < reported_at <= until`` (either bound optional), oldest first."""
        query, args = f"SELECT {', '.join(FIELDS)} FROM reports WHERE 1=1", []
        if since is not None:
            query, args = query + " AND reported_at > ?", [*args, _iso(since)]
        if until is not None:
            query, args = query + " AND reported_at <= ?", [*args, _iso(until)]
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY reported_at, id", args).fetchall()
        return [MispredictionReport.from_dimensions(dict(zip(FIELDS, row, strict=True))) for row in rows]

    def count(self, since: datetime, until: datetime) -> int:
        with self._connect() as db:
            row = db.execute(
                "SELECT COUNT(*) FROM reports WHERE reported_at > ? AND reported_at <= ?", (_iso(since), _iso(until))
            ).fetchone()
        return int(row[0])

    def claim_notification(self, rule: str, now: datetime, quiet_since: datetime, report_count: int) -> int | None:
        """Atomically record a notification at ``now`` unless one was sent after ``quiet_since``;
        returns its id (the caller may :meth:`release` it if sending fails) or ``None``."""
        with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as db:
            db.execute("BEGIN IMMEDIATE")  # one writer at a time: two processes cannot both claim
            try:
                row = db.execute(
                    "SELECT COUNT(*) FROM notifications WHERE rule = ? AND sent_at > ?", (rule, _iso(quiet_since))
                ).fetchone()
                claimed = None
                if row[0] == 0:
                    cursor = db.execute(
                        "INSERT INTO notifications (rule, sent_at, report_count) VALUES (?, ?, ?)",
                        (rule, _iso(now), report_count),
                    )
                    claimed = int(cursor.lastrowid)
                db.execute("COMMIT")
                return claimed
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def release(self, notification_id: int) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM notifications WHERE id = ?", (notification_id,))

    def notifications(self, rule: str) -> list[tuple[datetime, int]]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT sent_at, report_count FROM notifications WHERE rule = ? ORDER BY sent_at", (rule,)
            ).fetchall()
        return [(to_utc(t), n) for t, n in rows]
