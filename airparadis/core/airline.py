"""The airline tweets of February 2015: the product's own domain, split once by date.

Rule (stated once here): tweets created before ``JUDGE_FROM`` (UTC) are **field feedback** and may
be used for training; tweets from that day on are the **judge** slice that nothing trains on. A
judge tweet whose cleaned text also appears in the feedback part (a retweet or copy that straddles
the cut-off) is dropped from the judge, so no near-duplicate can leak. Labels: ``1`` = negative,
``0`` = not negative (neutral and positive). The judge holds the storm of 21-23 February.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from airparadis import config
from airparadis.core.errors import DataUnavailable
from pyfunc.names import LABEL_NEGATIVE
from pyfunc.preprocess import clean_text

FILE = config.DATA_DIR / "airline_tweets_2015.csv"
JUDGE_FROM = pd.Timestamp("2015-02-21", tz="UTC")  # feedback: 16-20 Feb; judge: 21-24 Feb
HOLDOUT_SHARE = 0.2  # of the feedback part: held out for curves and the threshold
COLUMNS = ("text", "label", "created", "airline", "negativereason")


def read(path: Path = FILE) -> pd.DataFrame:
    """The airline file as ``text``, ``label`` (1 = negative), ``created`` (UTC), ``airline``, ``negativereason``."""
    try:
        raw = pd.read_csv(path, encoding="utf-8")
    except FileNotFoundError as e:
        raise DataUnavailable(f"no airline file at {path}") from e
    missing = {"text", "airline_sentiment", "tweet_created", "airline"} - set(raw.columns)
    if missing:
        raise DataUnavailable(f"{path} lacks the columns {sorted(missing)}")
    return pd.DataFrame({
        "text": raw["text"].fillna("").astype(str),
        "label": (raw["airline_sentiment"] == LABEL_NEGATIVE).astype(int),
        "created": pd.to_datetime(raw["tweet_created"], utc=True),
        "airline": raw["airline"].astype(str),
        "negativereason": raw.get("negativereason", pd.Series(index=raw.index, dtype=str)).fillna(""),
    })


def split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(feedback, judge) by the rule above, each with its original columns."""
    before = frame["created"] < JUDGE_FROM
    feedback, judge = frame[before], frame[~before]
    seen = {clean_text(t) for t in feedback["text"]}
    judge = judge[[clean_text(t) not in seen for t in judge["text"]]]
    return feedback.reset_index(drop=True), judge.reset_index(drop=True)


def held_out(text: str) -> bool:
    """Whether a feedback tweet belongs to the held-out part (a stable hash of its cleaned text)."""
    digest = hashlib.blake2b(clean_text(text).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") % 1000 < HOLDOUT_SHARE * 1000


def hold_out(feedback: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the feedback that may be trained on, the held-out feedback) by :func:`held_out`."""
    mask = feedback["text"].map(held_out).to_numpy(dtype=bool)
    return feedback[~mask].reset_index(drop=True), feedback[mask].reset_index(drop=True)
