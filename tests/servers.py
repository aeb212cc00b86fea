"""Real servers for tests: a `mlflow models serve` process on 127.0.0.1 on a free port."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
from pathlib import Path

from entrypoints.serve import serve_command, serve_env, wait_ready


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def mlflow_serve(model_uri: str, tracking_uri: str | None = None, timeout: float = 180.0, extra_env=None):
    """Start ``mlflow models serve -m <model_uri> --env-manager local`` on 127.0.0.1, wait for
    ``/ping`` and yield the base URL; the server is stopped afterwards. The server's output goes to
    a log file whose tail is shown if it fails to start."""
    port = free_port()
    env = serve_env(**(extra_env or {}))
    if tracking_uri:
        env["MLFLOW_TRACKING_URI"] = tracking_uri
    with serve_process(serve_command(model_uri, "127.0.0.1", port), env, port, timeout) as url:
        yield url


@contextlib.contextmanager
def serve_process(cmd: list[str], env: dict[str, str], port: int, timeout: float = 180.0, cwd=None):
    """Run a server command listening on 127.0.0.1:``port``, wait for ``/ping``, yield the base
    URL and stop the process group afterwards (log tail shown if it fails to start)."""
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"serve-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc, timeout, log)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)


@contextlib.contextmanager
def hardened_serve(model_uri: str, tracking_uri: str | None = None, timeout: float = 180.0, pythonpath=None, cwd=None):
    """The hardened API (``pyfunc/serving.py``: MLflow's scoring app behind the hardening layer,
    run by uvicorn like ``mlflow models serve`` does) on 127.0.0.1. ``pythonpath`` (default: this
    checkout) is where ``pyfunc`` is imported from, e.g. a generated image's ``model_dir/code``."""
    from pyfunc import serving

    port = free_port()
    env = serving.environment(model_uri)
    if pythonpath:
        env["PYTHONPATH"] = str(pythonpath)
    if tracking_uri:
        env["MLFLOW_TRACKING_URI"] = tracking_uri
    with serve_process(serving.command("127.0.0.1", port, workers=1), env, port, timeout, cwd) as url:
        yield url
