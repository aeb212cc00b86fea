"""Serving stage: run MLflow's scoring server for the ``production`` model on 127.0.0.1:5001,
wait until it answers, print its URL and a working ``curl`` example, and (by default) start the
Gradio front-end next to it. Ctrl-C stops everything."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from airparadis import config
from pyfunc.names import INVOCATIONS_PATH, PING_PATH, UI_PORT

EXAMPLE = {"dataframe_records": [{"text": "@AirParadis lost my luggage again, thanks for nothing"}]}


def serve_command(model_uri: str, host: str, port: int, workers: int = 1) -> list[str]:
    return [sys.executable, "-m", "mlflow", "models", "serve", "-m", model_uri, "--env-manager", "local",
            "-h", host, "-p", str(port), "-w", str(workers)]


def serve_env(**extra: str) -> dict[str, str]:
    """The environment for a server process: MLflow starts ``uvicorn`` by name, so this
    interpreter's ``bin/`` goes first on PATH; the tracking URI resolves ``models:/`` URIs."""
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "MLFLOW_TRACKING_URI": config.settings().tracking_uri, **extra}


def wait_ready(url: str, proc: subprocess.Popen, timeout: float, log: Path | None = None) -> None:
    """Poll ``/ping`` until it answers 200; raise with the server's log tail if it dies or times out."""
    import requests

    deadline = time.monotonic() + timeout
    while True:
        tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
        if proc.poll() is not None:
            raise RuntimeError(f"the model server exited with status {proc.returncode}:\n{tail}")
        try:
            if requests.get(f"{url}{PING_PATH}", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"the model server did not answer {PING_PATH} within {timeout:.0f}s:\n{tail}")
        time.sleep(0.5)


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


def log_file(port: int) -> Path:
    """Where :func:`serve_process` writes the output of the server on ``port``."""
    return Path(os.environ.get("TMPDIR", "/tmp")) / f"serve-{port}.log"


@contextlib.contextmanager
def serve_process(cmd: list[str], env: dict[str, str], port: int, timeout: float = 180.0, cwd=None):
    """Run a server command listening on 127.0.0.1:``port``, wait for ``/ping``, yield the base
    URL and stop the process group afterwards (log tail shown if it fails to start)."""
    log = log_file(port)
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc, timeout, log)
        yield url
    finally:
        stop([proc])


def curl_example(url: str) -> str:
    return (f"curl -s -X POST {url}{INVOCATIONS_PATH} -H 'Content-Type: application/json' "
            f"-d {shlex.quote(json.dumps(EXAMPLE))}")


class Stop(Exception):
    """SIGTERM or SIGHUP reached the launcher: stop the children like Ctrl-C does."""


def _raise_stop(signum, frame):
    raise Stop(signal.Signals(signum).name)


def spawn(cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
    """A child in its own process group, so stopping it stops its own children (uvicorn workers)."""
    return subprocess.Popen(cmd, env=env, start_new_session=True)


def stop(procs: list[subprocess.Popen], timeout: float = 20.0) -> None:
    """SIGTERM each child's process group, then SIGKILL what is still there after ``timeout``."""
    for p in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def launch(model: str, host: str, port: int, ui: bool = True, ui_port: int = UI_PORT, timeout: float = 180,
           plain: bool = False) -> int:
    """Serve ``model`` (the hardened API, or bare ``mlflow models serve`` when ``plain``) and the
    front-end next to it until one exits or the launcher is stopped (Ctrl-C, SIGTERM, SIGHUP);
    every child's process group is stopped then, so no process keeps the ports."""
    from airparadis.core import registry, tracking

    try:
        tracking.setup()
        version = registry.resolve_version(model)
    except Exception as e:  # noqa: BLE001 - any registry problem means: nothing to serve yet
        raise LookupError(f"{model} is not in the registry at {config.settings().tracking_uri} ({e}). "
                          "Run `make train` first.") from e
    url = f"http://{host}:{port}"
    env = serve_env()
    print(f"serving {model} (version {version}) on {url} ...", flush=True)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_stop)
    procs: list[subprocess.Popen] = []
    try:
        if plain:
            procs.append(spawn(serve_command(model, host, port), env))
        else:
            from pyfunc import serving

            workers = config.settings().serve_workers
            procs.append(spawn(serving.command(host, port, workers), serving.environment(model, env)))
        wait_ready(url, procs[0], timeout)
        print(f"\nThe prediction API answers on {url}{INVOCATIONS_PATH}. Try:\n\n  {curl_example(url)}\n", flush=True)
        if ui:
            ui_env = {**env, "AIRPARADIS_API_URL": url, "AIRPARADIS_MODEL_NAME": config.settings().model_name,
                      "AIRPARADIS_MODEL_VERSION": str(version)}
            procs.append(spawn([sys.executable, "-m", "ui.app", "--api-url", url, "--host", host,
                                "--port", str(ui_port)], ui_env))
            print(f"The front-end starts on http://{host}:{ui_port}", flush=True)
        print("Ctrl-C stops.", flush=True)
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        return max(p.returncode or 0 for p in procs)
    except (KeyboardInterrupt, Stop):
        return 0
    finally:
        stop(procs)
