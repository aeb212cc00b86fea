"""Argument types shared by the stages' command lines (MLproject passes every value as text)."""

from __future__ import annotations

import argparse


def optional_int(text: str) -> int | None:
    """An integer, or ``none``/empty for "not set" (MLproject cannot pass a missing value)."""
    if text.strip().lower() in ("", "none", "null", "all"):
        return None
    return whole(text)


def whole(text: str) -> int:
    """An integer, also written as MLflow writes float parameters (``2.0``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value != int(value):
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    return int(value)


def floats(text: str) -> list[float]:
    """A comma-separated list of numbers: ``0.5,2``."""
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got {text!r}") from None


def ints(text: str) -> list[int]:
    """A comma-separated list of whole numbers: ``1,2``."""
    return [whole(x) for x in text.split(",") if x.strip()]


def words(text: str) -> list[str]:
    """A comma-separated list of names: ``glove,word2vec``."""
    return [x.strip() for x in text.split(",") if x.strip()]
