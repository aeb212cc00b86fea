"""The promotion gate: move the production alias to a candidate version, or say why not."""

from typing import Annotated

import typer

from airparadis import cli, config
from airparadis.release import promote


def main(
    model: cli.Model = "latest",
    margin: Annotated[float, typer.Option(
        help=f"required gain in {config.PROMOTION_METRIC} on validation or on the airline judge slice")]
    = config.PROMOTION_MARGIN,
    splits_uri: cli.SplitsUri = "",
    source: cli.Source = "bundled",
    sample: cli.Sample = None,
    strict: Annotated[bool, typer.Option(help="exit with status 3 when the candidate is refused")] = False,
) -> None:
    """Assess the candidate and production on the same validation and airline judge tweets; promote
    or say why not."""
    decision = promote.run(model, margin, splits_uri or None, source, sample)
    if strict and not decision.promote:
        raise typer.Exit(cli.EXIT_REFUSED)


if __name__ == "__main__":
    cli.run(main)
