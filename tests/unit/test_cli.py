"""Groups of options are declared once (airparadis.cli) and reach every command that takes them."""

from __future__ import annotations

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
