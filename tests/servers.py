"""Real servers for tests on 127.0.0.1: the background-server helpers of ``airparadis.release.serve``
(plain `mlflow models serve`) and the hardened API of ``pyfunc/serving.py``."""

from __future__ import annotations

import contextlib

from airparadis.release.serve import free_port, log_file, mlflow_serve, serve_process  # noqa: F401 - used by the tests


@contextlib.contextmanager
def hardened_serve(model_uri: str, tracking_uri: str | None = None, timeout: float = 180.0, pythonpath=None, cwd=None,
                   extra_env: dict[str, str] | None = None):
    """The hardened API (``pyfunc/serving.py``: MLflow's scoring app behind the hardening layer,
    run by uvicorn like ``mlflow models serve`` does) on 127.0.0.1. ``pythonpath`` (default: this
    checkout) is where ``pyfunc`` is imported from, e.g. a generated image's ``model_dir/code``;
    ``extra_env``: more variables for the server (e.g. its API keys). The server's output is in
    ``log_file(<port of the URL>)``."""
    from pyfunc import serving

    port = free_port()
    env = {**serving.environment(model_uri), **(extra_env or {})}
    if pythonpath:
        env["PYTHONPATH"] = str(pythonpath)
    if tracking_uri:
        env["MLFLOW_TRACKING_URI"] = tracking_uri
    with serve_process(serving.command("127.0.0.1", port, workers=1), env, port, timeout, cwd) as url:
        yield url
