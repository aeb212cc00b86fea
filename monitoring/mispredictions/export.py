"""Export the misprediction reports as relabelled training data (the feedback loop).

A report says the model was wrong, so its true label is the other one: a tweet predicted
``negative`` becomes not negative, and the other way round. One row per distinct text (its latest
report wins). Formats:

- ``sentiment140`` (default): headerless, six quoted columns, target 0 = negative / 4 = positive,
  latin-1 (characters outside it become ``?``), like the official training file, so it can be
  given to the training stages as ``--source``; ``--merge-with data/sentiment140_sample.csv.gz``
  appends the feedback to a training file in one go (gzip when the output ends in ``.gz``).
- ``labels``: a CSV with a header, ``label`` 1 = negative (the project's convention), plus the
  report fields: what ``python -m entrypoints.retrain --feedback <file>`` adds to the training
  split only (never to validation, test or a judge slice).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import shutil
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from monitoring import config as monitoring_config
from monitoring.mispredictions.record import MispredictionReport
from monitoring.mispredictions.store import LocalStore
from monitoring.times import to_utc
from pyfunc.names import LABEL_NEGATIVE, LABEL_NOT_NEGATIVE
from pyfunc.preprocess import clean_text

FORMATS = ("sentiment140", "labels")


def feedback_key(text: str) -> str:
    """What makes two feedback rows the same tweet: its text as every model sees it (cleaned)."""
    return clean_text(text)


def latest_per_tweet(rows: list, text: Callable, moment: Callable) -> list:
    """The one rule for corrected labels, used by this exporter and by the training data loader
    (``airparadis.core.data``): per tweet (:func:`feedback_key`), the latest row wins; oldest first."""
    latest: dict[str, object] = {}
    for row in sorted(rows, key=moment):
        key = feedback_key(text(row))
        latest.pop(key, None)
        latest[key] = row
    return list(latest.values())


def relabel(reports: list[MispredictionReport]) -> list[MispredictionReport]:
    """Latest report per distinct tweet, oldest first."""
    return latest_per_tweet(reports, lambda r: r.text, lambda r: r.reported_at)


def _open(path: Path, mode: str, encoding: str):
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, mode + "b"), encoding=encoding, errors="replace", newline="")
    return path.open(mode, encoding=encoding, errors="replace", newline="")


def write_sentiment140(reports: list[MispredictionReport], out: Path, merge_with: Path | None = None) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    if merge_with is not None:
        source = gzip.open(merge_with, "rb") if merge_with.suffix == ".gz" else merge_with.open("rb")
        target = gzip.open(out, "wb") if out.suffix == ".gz" else out.open("wb")
        with source, target:
            shutil.copyfileobj(source, target)
            # make sure the feedback starts on its own line
            if target.tell() and not _ends_with_newline(merge_with):
                target.write(b"\n")
    with _open(out, "a" if merge_with is not None else "w", "latin-1") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n")
        for i, r in enumerate(reports, start=1):
            target = 4 if r.true_label == LABEL_NOT_NEGATIVE else 0
            date = r.reported_at.strftime("%a %b %d %H:%M:%S UTC %Y")
            writer.writerow([target, f"feedback-{i}", date, "FEEDBACK", "air-paradis-feedback", r.text])
    return len(reports)


def _ends_with_newline(path: Path) -> bool:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    return not data or data.endswith(b"\n")


def write_labels(reports: list[MispredictionReport], out: Path) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    with _open(out, "w", "utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["text", "label", "predicted_label", "negative_probability", "model_name", "model_version",
                         "reported_at"])
        for r in reports:
            writer.writerow([r.text, int(r.true_label == LABEL_NEGATIVE), r.predicted_label, r.negative_probability,
                             r.model_name, r.model_version, r.reported_at.isoformat()])
    return len(reports)


def export(store: LocalStore, out: Path, fmt: str = "sentiment140", since: datetime | None = None,
           merge_with: Path | None = None) -> int:
    """Write the relabelled reports; returns how many rows of feedback were written."""
    reports = relabel(store.reports(since=since))
    if fmt == "labels":
        if merge_with is not None:
            raise ValueError("--merge-with only applies to the sentiment140 format")
        return write_labels(reports, out)
    return write_sentiment140(reports, out, merge_with)


def main(argv: list[str] | None = None) -> int:
    try:
        cfg = monitoring_config.settings()
    except monitoring_config.ConfigError as e:
        print(e, file=sys.stderr)
        return 2
    default_out = cfg.feedback_dir / "feedback_relabelled.csv"
    parser = argparse.ArgumentParser(prog="python -m monitoring.mispredictions.export",
                                     description=__doc__.split("\n\n")[0], epilog="See docs/feedback-loop.md.")
    parser.add_argument("--out", type=Path, default=default_out, help=f"output file (default {default_out})")
    parser.add_argument("--format", choices=FORMATS, default="sentiment140", help="see the module help")
    parser.add_argument("--since", type=to_utc, default=None, help="only reports after this ISO 8601 time")
    parser.add_argument("--merge-with", type=Path, default=None,
                        help="a Sentiment140 training file to copy first (e.g. data/sentiment140_sample.csv.gz)")
    args = parser.parse_args(argv)
    if not cfg.store_path.exists():
        print(f"no reports yet: {cfg.store_path} does not exist (set AIRPARADIS_FEEDBACK_DIR?)", file=sys.stderr)
        return 1
    if args.merge_with is not None and not args.merge_with.exists():
        print(f"no such training file: {args.merge_with}", file=sys.stderr)
        return 1
    try:
        rows = export(LocalStore(cfg.store_path), args.out, args.format, args.since, args.merge_with)
    except ValueError as e:
        print(str(e), file=sys.stderr)
        return 2
    print(f"wrote {rows} relabelled report(s) to {args.out}" + (f" after {args.merge_with}" if args.merge_with else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
