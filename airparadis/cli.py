"""What every command line shares: typed options declared once, and one way to fail.

A command is a plain function with typed, annotated parameters; :func:`run` turns it into a Typer
command line whose errors the user can act on: a known failure prints ``error: <what to do>`` and
exits with status 2 (no traceback), ``--help`` lists every option with its default. Every command
also takes ``--verbose`` (declared once, :data:`Verbose`): with it, or with ``AIRPARADIS_VERBOSE=1``,
a known failure prints its traceback before that line (same exit status).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import traceback
import typing
from collections.abc import Callable
from typing import Annotated

import click
import typer

from airparadis import config
from monitoring.buzz.stream import Columns

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
         "part) and/or files from `python -m monitoring.mispredictions.export --format labels`; 'none': none")]
Model = Annotated[str, typer.Option(
    help="a version: 'latest', a number, an alias (production, best-deep), 'approach:<name>' or a models:/ URI")]

Verbose = Annotated[bool, typer.Option(
    "--verbose", help="on a known failure, print its traceback too (also: AIRPARADIS_VERBOSE=1)")]

TWEETS = "data/airline_tweets_2015.csv"  # the default --input of the bad-buzz commands: the bundled airline tweets


# --- groups of options: declared once, spliced into every command that takes the group -------------
@dataclasses.dataclass(frozen=True)
class Splits:
    """Which splits a training stage reads: --splits-uri, --source, --sample, --feedback."""

    splits_uri: SplitsUri = ""
    source: Source = "bundled"
    sample: Sample = None
    feedback: Feedback = "none"

    def args(self) -> tuple[str | None, str, int | None, list[str]]:
        """(splits URI or None, source, sample, feedback list): the first arguments of every ``run``."""
        return self.splits_uri or None, self.source, self.sample, sources(self.feedback)


@dataclasses.dataclass(frozen=True)
class Stream:
    """Where the bad-buzz commands write alerts and which columns of a tweet file they read."""

    alerts: Annotated[str, typer.Option(help="write the alerts here as JSON lines (empty: don't)")] = ""
    text_column: Annotated[str, typer.Option(help="column of the tweet text")] = Columns.text
    time_column: Annotated[str, typer.Option(help="column of the tweet time (with its UTC offset)")] = Columns.time
    group_column: Annotated[str, typer.Option(help="column of the group (airline, brand...)")] = Columns.group
    id_column: Annotated[str, typer.Option(help="column of the tweet id, if any (what a restart resumes "
                                                "after)")] = Columns.id

    def columns(self) -> Columns:
        return Columns(self.text_column, self.time_column, self.group_column, self.id_column)


GROUPS = (Splits, Stream)


def with_groups(command: Callable) -> Callable:
    """``command`` with each parameter typed as one of :data:`GROUPS` (``splits: cli.Splits =
    cli.Splits()``) replaced by that group's options, in its place (Typer sees them one by one); the
    command receives the group built from them."""
    hints = typing.get_type_hints(command, include_extras=True)
    grouped = {name: kind for name, kind in hints.items() if kind in GROUPS}
    if not grouped:
        return command
    parameters = []
    for name, parameter in inspect.signature(command).parameters.items():
        if name not in grouped:
            parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY,
                                                annotation=hints.get(name, parameter.annotation)))
            continue
        fields = typing.get_type_hints(grouped[name], include_extras=True)
        for field in dataclasses.fields(grouped[name]):  # in the group's place, in its order
            parameters.append(inspect.Parameter(field.name, inspect.Parameter.KEYWORD_ONLY,
                                                default=field.default, annotation=fields[field.name]))

    @functools.wraps(command)
    def spliced(**kwargs):
        for name, kind in grouped.items():
            kwargs[name] = kind(**{f.name: kwargs.pop(f.name) for f in dataclasses.fields(kind)})
        return command(**kwargs)

    spliced.__signature__ = inspect.Signature(parameters)
    spliced.__annotations__ = {p.name: p.annotation for p in parameters}
    return spliced


def known_errors() -> tuple[type[BaseException], ...]:
    """The failures a user can act on: shown as one line, exit status 2."""
    from mlflow.exceptions import MlflowException

    from airparadis.core.errors import DataUnavailable

    return DataUnavailable, LookupError, ValueError, MlflowException, RuntimeError, TimeoutError


def verbose(flag: bool) -> bool:
    """Whether a known failure shows its traceback: ``--verbose``, else the setting (a setting that
    cannot be read is the failure being reported: then not)."""
    try:
        return flag or config.settings().verbose
    except ValueError:
        return False


def run(command: Callable) -> None:
    """Run ``command`` as a Typer command line; a known failure prints one line (after its traceback
    with ``--verbose``) and exits 2."""
    app(command)()


def app(command: Callable) -> typer.Typer:
    """The Typer app of one command (tests invoke it with ``typer.testing.CliRunner``)."""
    application = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)

    command = with_groups(command)

    @functools.wraps(command)
    def guarded(*args, verbose_: bool = False, **kwargs):
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, click.ClickException):  # click's own exits (Exit is a RuntimeError)
            raise
        except known_errors() as e:
            if verbose(verbose_):
                traceback.print_exc()
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(EXIT_ERROR) from None

    signature = inspect.signature(command, eval_str=True)
    flag = inspect.Parameter("verbose_", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Verbose)
    guarded.__signature__ = signature.replace(parameters=[*signature.parameters.values(), flag])
    guarded.__annotations__ = {**command.__annotations__, "verbose_": Verbose}
    application.command()(guarded)
    return application
