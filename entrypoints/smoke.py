"""Smoke test of a deployed prediction API: /ping, right labels, a bad request answered 4xx JSON, and
with an API key, a request without it refused (401)."""

import json
from typing import Annotated

import typer

from airparadis import cli
from airparadis.release import smoke
from pyfunc.names import API_KEY_ENV


def main(
    url: Annotated[str, typer.Option(help="base URL of the API, e.g. https://<app>.azurewebsites.net")],
    wait: Annotated[float, typer.Option(help="seconds to wait for /ping (a free plan cold-starts)")] = 600.0,
    api_key: Annotated[str | None, typer.Option(
        envvar=API_KEY_ENV, show_default=False,
        help="the API's key (better from the variable than on the command line); then a request without it "
             "must be refused")] = None,
) -> None:
    """Exit 0 when every check passes, 1 with the reason otherwise."""
    try:
        report = smoke.run(url, wait, api_key or None)
    except smoke.SmokeFailure as e:
        typer.echo(f"smoke test FAILED: {e}", err=True)
        raise typer.Exit(1) from None
    print(json.dumps(report, indent=2))
    print("smoke test passed")


if __name__ == "__main__":
    cli.run(main)
