"""Groups of options are declared once (airparadis.cli) and reach every command that takes them."""

from __future__ import annotations

import pytest

from airparadis import cli
from tests.conftest import invoke


def test_a_group_of_options_reaches_the_command_as_one_object():
    seen = {}

    def command(splits: cli.Splits = cli.Splits(), steps: int = 1) -> None:
        seen.update(splits=splits, steps=steps)

    code, out = invoke(command, "--source", "x.csv", "--sample", "5", "--feedback", "airline,none", "--steps", "3")
    assert code == 0, out
    assert seen == {"splits": cli.Splits("", "x.csv", 5, "airline,none"), "steps": 3}
    assert seen["splits"].args() == (None, "x.csv", 5, ["airline"])
    code, out = invoke(command, "--help")
    assert code == 0 and out.index("--splits-uri") < out.index("--feedback") < out.index("--steps")


def test_a_bad_value_in_a_group_is_refused_by_its_own_parser():
    def command(splits: cli.Splits = cli.Splits()) -> None:
        raise AssertionError("not reached")

    code, out = invoke(command, "--sample", "2.5")
    assert code == 2 and "expected a whole number" in out


def test_the_stream_group_builds_the_columns_the_monitor_reads():
    seen = {}

    def command(stream: cli.Stream = cli.Stream()) -> None:
        seen["columns"] = stream.columns()

    assert invoke(command, "--group-column", "brand")[0] == 0
    assert (seen["columns"].text, seen["columns"].time, seen["columns"].group) == ("text", "tweet_created", "brand")


def fails(name: str = "x") -> None:
    raise LookupError(f"no registered version {name}")


def test_a_known_failure_is_one_line_without_its_traceback(monkeypatch):
    monkeypatch.delenv("AIRPARADIS_VERBOSE", raising=False)
    code, out = invoke(fails, "--name", "v7")
    assert (code, out) == (cli.EXIT_ERROR, "error: no registered version v7\n")


@pytest.mark.parametrize(("args", "variable"), [(["--verbose"], None), ([], "1")])
def test_verbose_or_its_variable_prints_the_traceback_before_the_same_line(monkeypatch, args, variable):
    monkeypatch.delenv("AIRPARADIS_VERBOSE", raising=False)
    if variable:
        monkeypatch.setenv("AIRPARADIS_VERBOSE", variable)
    code, out = invoke(fails, "--name", "v7", *args)
    assert code == cli.EXIT_ERROR and out.startswith("Traceback (most recent call last)")
    assert 'raise LookupError(f"no registered version {name}")' in out
    assert out.endswith("LookupError: no registered version v7\nerror: no registered version v7\n")


def test_every_command_lists_verbose_once_beside_its_own_options():
    def command(splits: cli.Splits = cli.Splits(), steps: int = 1) -> None:
        pass

    code, out = invoke(command, "--help")
    assert code == 0 and out.count("--verbose") == 1 and out.index("--steps") < out.index("--verbose")
