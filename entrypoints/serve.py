"""Serve the production model on 127.0.0.1:5001 (the hardened API) with the front-end beside it."""

from typing import Annotated

import typer

from airparadis import cli, config
from airparadis.release import serve
from pyfunc.names import UI_PORT


def main(
    model: Annotated[str, typer.Option(help="model URI to serve")] = "",
    host: Annotated[str, typer.Option(help="bind address (AIRPARADIS_SERVE_HOST)")] = "",
    port: Annotated[int, typer.Option(help="port; 0: AIRPARADIS_SERVE_PORT")] = 0,
    ui: Annotated[bool, typer.Option(help="start the Gradio front-end too")] = True,
    ui_port: Annotated[int, typer.Option(help="front-end port")] = UI_PORT,
    timeout: Annotated[float, typer.Option(help="seconds to wait for the server")] = 180,
    plain: Annotated[bool, typer.Option(help="bare `mlflow models serve` instead of the hardened API")] = False,
) -> None:
    """Wait until the API answers, print a curl example; Ctrl-C or SIGTERM stops every process."""
    settings = config.settings()
    model = model or f"models:/{settings.model_name}@{config.PRODUCTION_ALIAS}"
    raise typer.Exit(serve.launch(model, host or settings.serve_host, port or settings.serve_port, ui, ui_port,
                                  timeout, plain))


if __name__ == "__main__":
    cli.run(main)
