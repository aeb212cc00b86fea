"""The serving launcher (`python -m entrypoints.serve`, what `make demo` ends in): SIGTERM from any
supervisor stops the API and the front-end and frees both ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import psutil
import pytest
import requests

from airparadis import config
from tests.servers import free_port


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.slow
def test_sigterm_leaves_no_process_behind_and_frees_both_ports(simple_version, tracking_uri):
    api_port, ui_port = free_port(), free_port()
    model = f"models:/{config.settings().model_name}/{simple_version}"
    launcher = subprocess.Popen(
        [sys.executable, "-m", "entrypoints.serve", "--model", model, "--port", str(api_port), "--ui-port",
         str(ui_port)], cwd=config.ROOT, env={**os.environ, "MLFLOW_TRACKING_URI": tracking_uri},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while not (_answers(f"http://127.0.0.1:{api_port}/ping") and _answers(f"http://127.0.0.1:{ui_port}/")):
            assert launcher.poll() is None and time.monotonic() < deadline, "the launcher did not start both servers"
            time.sleep(1)
        family = psutil.Process(launcher.pid).children(recursive=True)
        assert len(family) >= 2  # the API server and the front-end, at least

        launcher.send_signal(signal.SIGTERM)
        assert launcher.wait(timeout=60) == 0
        gone, alive = psutil.wait_procs(family, timeout=30)
        assert alive == [], [p.cmdline() for p in alive]
        assert _free(api_port) and _free(ui_port)
    finally:
        if launcher.poll() is None:
            launcher.kill()
