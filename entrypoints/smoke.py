"""Smoke test of a deployed prediction API: /ping, right labels, a bad request answered 4xx JSON."""

import json
from typing import Annotated

import typer

from airparadis import cli
from airparadis.release import smoke


def main(
    url: Annotated[str, typer.Option(help="base URL of the API, e.g. https://<app>.azurewebsites.net")],
    wait: Annotated[float, typer.Option(help="seconds to wait for /ping (a free plan cold-starts)")] = 600.0,
) -> None:
    """Exit 0 when every check passes, 1 with the reason otherwise."""
    try:
        report = smoke.run(url, wait)
    except smoke.SmokeFailure as e:
        typer.echo(f"smoke test FAILED: {e}", err=True)
        raise typer.Exit(1) from None
    print(json.dumps(report, indent=2))
    print("smoke test passed")


if __name__ == "__main__":
    cli.run(main)
