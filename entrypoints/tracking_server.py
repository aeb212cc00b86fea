"""The team's MLflow tracking server on one machine: PostgreSQL store, proxied artifacts, basic auth."""

from pathlib import Path
from typing import Annotated

import typer

from airparadis import cli, config
from airparadis.release import tracking_server
from pyfunc.names import MLFLOW_UI_PORT


def main(
    folder: Annotated[Path, typer.Option(help="where the database and artifacts live (kept between starts)")]
    = config.ROOT / ".tracking",
    host: Annotated[str, typer.Option(help="bind address; 0.0.0.0 to let the team and CD reach it")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = MLFLOW_UI_PORT,
) -> None:
    """Start PostgreSQL and `mlflow server` until Ctrl-C; the first start needs MLFLOW_AUTH_ADMIN_PASSWORD."""
    import os
    import time

    first = not (folder / "postgres" / "data" / "PG_VERSION").exists()
    if first and not os.environ.get(tracking_server.PASSWORD_ENV):
        raise ValueError(f"set {tracking_server.PASSWORD_ENV} for the first start: the admin account's password")
    try:
        with tracking_server.serve(folder, host, port) as url:
            print(f"MLflow tracking server on {url} (store: PostgreSQL in {folder}/postgres, artifacts proxied "
                  f"from {folder}/artifacts, login required). Clients:\n"
                  f"  export MLFLOW_TRACKING_URI={url} MLFLOW_TRACKING_USERNAME={tracking_server.ADMIN} "
                  "MLFLOW_TRACKING_PASSWORD=...\nCtrl-C stops.", flush=True)
            while True:
                time.sleep(1)
    except KeyboardInterrupt:
        pass
    except tracking_server.ServerError as e:
        raise RuntimeError(str(e)) from None


if __name__ == "__main__":
    cli.run(main)
