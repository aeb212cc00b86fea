"""What every command line shares: typed options declared once, and one way to fail.

A command is a plain function with typed, annotated parameters; :func:`run` turns it into a Typer
command line whose errors the user can act on: a known failure prints ``error: <what to do>`` and
exits with status 2 (no traceback), ``--help`` lists every option with its default.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated

import click
import typer

EXIT_ERROR = 2  # a known failure: the message says what to do
EXIT_REFUSED = 3  # a gate said no (--strict)


def optional_int(text: str) -> int | None:
    """An integer, or ``none``/empty/``all`` for "not set" (MLproject cannot pass a missing value)."""
    if str(text).strip().lower() in ("", "none", "null", "all"):
        return None
    return whole(text)


def whole(text: str) -> int:
    """An integer, also written as MLflow writes float parameters (``2.0``)."""
    try:
        value = float(text)
    except ValueError:
        raise typer.BadParameter(f"expected a whole number, got {text!r}") from None
    if value != int(value):
        raise typer.BadParameter(f"expected a whole number, got {text!r}")
    return int(value)


def words(text: str) -> list[str]:
    """A comma-separated list of names: ``glove,word2vec``."""
    return [x.strip() for x in str(text).split(",") if x.strip()]


def floats(text: str) -> list[float]:
    """A comma-separated list of numbers: ``0.5,2``."""
    try:
        return [float(x) for x in words(text)]
    except ValueError:
        raise typer.BadParameter(f"expected numbers separated by commas, got {text!r}") from None


def ints(text: str) -> list[int]:
    """A comma-separated list of whole numbers: ``1,2``."""
    return [whole(x) for x in words(text)]


def sources(text: str) -> list[str]:
    """The ``--feedback`` list (``none`` or empty: no feedback)."""
    return [w for w in words(text) if w.lower() != "none"]


def boolean(text: str) -> bool:
    value = str(text).strip().lower()
    if value not in ("true", "false", "1", "0", "yes", "no"):
        raise typer.BadParameter(f"expected true or false, got {text!r}")
    return value in ("true", "1", "yes")


# --- options shared by the stages ---------------------------------------------------------------
Source = Annotated[str, typer.Option(
    help="'bundled' (70k sample, offline), 'full' (download the official 1.6M set), "
         "or a path to the official zip or a training CSV")]
Sample = Annotated[int | None, typer.Option(
    parser=optional_int, metavar="N|none", help="keep only N training-file rows (quick runs); none: all")]
SplitsUri = Annotated[str, typer.Option(
    metavar="URI", help="splits written by the data step (runs:/<id>/splits); empty: run or reuse the data step")]
Feedback = Annotated[str, typer.Option(
    help="field feedback added to the training split only, comma-separated: 'airline' (the airline feedback "
         "part) and/or files from `python -m monitoring.export --format labels`; 'none': none")]
Model = Annotated[str, typer.Option(
    help="a version: 'latest', a number, an alias (production, best-deep), 'approach:<name>' or a models:/ URI")]

# --- options shared by the bad-buzz commands (entrypoints.buzz, entrypoints.buzz_spark) ----------
TWEETS = "data/airline_tweets_2015.csv"  # the default --input: the bundled airline tweets
Alerts = Annotated[str, typer.Option(help="write the alerts here as JSON lines (empty: don't)")]
TextColumn = Annotated[str, typer.Option(help="column of the tweet text")]
TimeColumn = Annotated[str, typer.Option(help="column of the tweet time (with its UTC offset)")]
GroupColumn = Annotated[str, typer.Option(help="column of the group (airline, brand...)")]


def known_errors() -> tuple[type[BaseException], ...]:
    """The failures a user can act on: shown as one line, exit status 2."""
    from mlflow.exceptions import MlflowException

    from airparadis.core.data import DataUnavailable

    return DataUnavailable, LookupError, ValueError, MlflowException, RuntimeError, TimeoutError


def run(command: Callable) -> None:
    """Run ``command`` as a Typer command line; a known failure prints one line and exits 2."""
    app(command)()


def app(command: Callable) -> typer.Typer:
    """The Typer app of one command (tests invoke it with ``typer.testing.CliRunner``)."""
    application = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)

    @functools.wraps(command)
    def guarded(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, click.ClickException):  # click's own exits (Exit is a RuntimeError)
            raise
        except known_errors() as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(EXIT_ERROR) from None

    application.command()(guarded)
    return application
