"""Item 10 at small scale: the load benchmark (benchmarks/load.py, locust as a library) against the
hardened API on 127.0.0.1 with 2 workers, mixing single tweets, batches of 1,000 and bad
requests; every answer is the expected one, and the worker count is the one asked."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from airparadis import config

pytestmark = pytest.mark.slow


def test_load_benchmark_gets_only_expected_answers_with_two_workers(simple_version, tmp_path):
    output = tmp_path / "load.json"
    done = subprocess.run([sys.executable, "-m", "benchmarks.load", "--model",
                           f"models:/{config.settings().model_name}/{simple_version}", "--workers", "2",
                           "--requests", "400", "--users", "16", "--pool", "1000", "--max-seconds", "300",
                           "--output", str(output)], cwd=config.ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    result = json.loads(output.read_text())
    assert result["requests_answered"] == 400 and result["unexpected"] == 0
    # every kind was sent, in the mix's proportions: batches of 1,000 and each bad request too
    assert result["by_kind"] == {kind: 4 * weight for kind, weight in result["mix_weights"].items()}
    assert {"requests_per_second", "p50_ms", "p99_ms", "max_ms", "server_peak_rss_mb"} <= set(result)
    assert result["server_processes"] >= 3  # uvicorn's supervisor and its two workers, each holding the model


def test_the_worker_count_is_a_setting(monkeypatch):
    monkeypatch.setenv("AIRPARADIS_SERVE_WORKERS", "3")
    assert config.settings().serve_workers == 3
    from pyfunc import serving

    cmd = serving.command("127.0.0.1", 5001, config.settings().serve_workers)
    assert cmd[cmd.index("--workers") + 1] == "3"
