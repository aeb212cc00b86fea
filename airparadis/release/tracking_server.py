"""The team's MLflow tracking server on one machine: what CD's fetch step downloads the production
model through (README, "Deploy to Azure", path A).

* backend store: a real PostgreSQL cluster of Debian's packages, in a folder of its own, reached
  through a Unix socket in that folder only (no TCP port: nobody but the server talks to it);
  a second database holds MLflow's user store;
* artifacts proxied by the server (``--serve-artifacts``): clients upload and download through
  the server's HTTP API (``mlflow-artifacts:/``), never from a path or bucket of their own, so a
  GitHub runner reaches the models with the server's URL and a login only;
* basic authentication (``--app-name basic-auth``): the admin account is created on the first start
  from ``MLFLOW_AUTH_ADMIN_PASSWORD`` (MLflow's own variable); clients send
  ``MLFLOW_TRACKING_USERNAME`` / ``MLFLOW_TRACKING_PASSWORD``.

``make tracking-server`` runs :func:`serve` in ``.tracking/``; the tests start the same two servers
in a temporary folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from airparadis.release.serve import stop

DATABASE, AUTH_DATABASE, ROLE = "mlflow", "mlflow_auth", "mlflow"
ADMIN = "admin"
PASSWORD_ENV = "MLFLOW_AUTH_ADMIN_PASSWORD"  # mlflow.server.auth.config: the admin's first password
SECRET_KEY_ENV = "MLFLOW_FLASK_SERVER_SECRET_KEY"  # the auth app's CSRF key, stable across restarts


class ServerError(RuntimeError):
    """A server could not start; the message says what to install or set."""


def postgres_bin(name: str) -> str:
    """A PostgreSQL server program (initdb, pg_ctl, createdb) of Debian's packages, newest version."""
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    if found:
        return str(found[-1])
    if path := shutil.which(name):
        return path
    raise ServerError(f"PostgreSQL's {name} is not installed: `make test-deps` (or apt-get install postgresql)")


def _as_owner(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run its programs as Debian's ``postgres`` user."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _run(cmd: list[str], what: str) -> None:
    done = subprocess.run(_as_owner(cmd), capture_output=True, text=True)
    if done.returncode:
        raise ServerError(f"{what} failed ({done.returncode}): {(done.stdout + done.stderr)[-2000:]}")


@contextlib.contextmanager
def postgres(folder: Path) -> Iterator[dict[str, str]]:
    """A PostgreSQL cluster in ``folder`` (created on first use, kept afterwards), started for the
    block and stopped after it; yields the SQLAlchemy URIs of the tracking and user stores."""
    folder = Path(folder).resolve()
    data, socket = folder / "data", folder / "socket"
    folder.mkdir(parents=True, exist_ok=True)
    socket.mkdir(exist_ok=True)
    socket.chmod(0o700)  # only the owner (and root) may open the socket
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        shutil.chown(socket, "postgres")
    if not (data / "PG_VERSION").exists():
        _run([postgres_bin("initdb"), "-D", str(data), "-U", ROLE, "--auth=trust", "-E", "UTF8"], "initdb")
    options = f"-c listen_addresses='' -k {socket}"
    _run([postgres_bin("pg_ctl"), "-D", str(data), "-l", str(folder / "postgres.log"), "-o", options, "-w",
          "start"], "pg_ctl start")
    try:
        for database in (DATABASE, AUTH_DATABASE):
            done = subprocess.run(_as_owner([postgres_bin("createdb"), "-h", str(socket), "-U", ROLE, database]),
                                  capture_output=True, text=True)
            if done.returncode and "already exists" not in done.stderr:
                raise ServerError(f"createdb {database} failed: {done.stderr[-1000:]}")
        yield {name: f"postgresql+psycopg2://{ROLE}@/{name}?host={socket}" for name in (DATABASE, AUTH_DATABASE)}
    finally:
        subprocess.run(_as_owner([postgres_bin("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                       capture_output=True)


def command(backend_uri: str, artifacts: Path, host: str, port: int, workers: int = 1) -> list[str]:
    """``mlflow server`` with the PostgreSQL store, proxied artifacts and basic authentication."""
    return [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", backend_uri,
            "--serve-artifacts", "--artifacts-destination", Path(artifacts).resolve().as_uri(),
            "--app-name", "basic-auth", "--host", host, "--port", str(port), "--workers", str(workers)]


def auth_config(path: Path, auth_uri: str) -> Path:
    """MLflow's basic-auth configuration: users in the PostgreSQL user store, nothing readable
    without a login (new users get no permission until granted)."""
    path.write_text("[mlflow]\ndefault_permission = NO_PERMISSIONS\n"
                    f"database_uri = {auth_uri}\nadmin_username = {ADMIN}\n"
                    "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n")
    return path


def secret_key(path: Path) -> str:
    """A random key kept in ``path`` (owner-only), made on the first start."""
    if not path.exists():
        import secrets

        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


@contextlib.contextmanager
def serve(folder: Path, host: str = "127.0.0.1", port: int = 5000, admin_password: str | None = None,
          timeout: float = 180.0, log=None) -> Iterator[str]:
    """PostgreSQL and ``mlflow server`` for the block, their files in ``folder``; yields the URL."""
    import requests

    folder = Path(folder).resolve()
    password = admin_password or os.environ.get(PASSWORD_ENV)
    with postgres(folder / "postgres") as uris:
        (folder / "artifacts").mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "MLFLOW_AUTH_CONFIG_PATH": str(auth_config(folder / "basic_auth.ini",
                                                                             uris[AUTH_DATABASE]))}
        if password:
            env[PASSWORD_ENV] = password
        env.setdefault(SECRET_KEY_ENV, secret_key(folder / "secret-key"))
        out = log or (folder / "mlflow-server.log").open("ab")
        proc = subprocess.Popen(command(uris[DATABASE], folder / "artifacts", host, port), env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    tail = (folder / "mlflow-server.log").read_text(errors="replace")[-3000:] if not log else ""
                    raise ServerError(f"mlflow server exited with status {proc.returncode}:\n{tail}")
                with contextlib.suppress(requests.ConnectionError):
                    if requests.get(f"{url}/health", timeout=2).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise ServerError(f"mlflow server did not answer {url}/health within {timeout:.0f}s")
                time.sleep(0.5)
            yield url
        finally:
            stop([proc], timeout=30)
