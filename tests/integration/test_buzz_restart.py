"""The ``buzz`` command killed mid-stream (SIGKILL: no clean-up of any kind) and restarted on the
same stream resumes from its checkpoint: the same alerts as an uninterrupted run, none twice, every
tweet counted once. A real registered model scores in process; the airline stream is replayed."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from airparadis import config

ROOT = Path(__file__).resolve().parents[2]
STREAM = ROOT / "data" / "airline_tweets_2015.csv"

pytestmark = pytest.mark.slow


def command(model: str, alerts: Path, state: str) -> list[str]:
    return [sys.executable, "-m", "entrypoints.buzz", "--input", str(STREAM), "--model", model,
            "--alerts", str(alerts), "--notify", "false", "--state", state, "--batch-size", "100",
            "--save-every", "500"]


def start(args: list[str]) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def kill_at_first_alert(args: list[str]) -> list[str]:
    """Run the command and SIGKILL it as soon as it prints its first alert (the alert is out, its
    checkpoint not yet: the worst moment); -> what it printed."""
    process, lines = start(args), []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("ALERT"):
            process.send_signal(signal.SIGKILL)
            break
    process.stdout.close()
    assert process.wait(timeout=300) == -signal.SIGKILL, "".join(lines)[-3000:]  # killed before it ended
    return lines


def test_a_killed_monitor_restarts_with_the_same_alerts_none_twice(simple_version, tmp_path):
    model = f"models:/{config.settings().model_name}/{simple_version}"
    whole = tmp_path / "whole.jsonl"
    done = subprocess.run(command(model, whole, "none"), cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
    expected = whole.read_text().splitlines()
    assert len(expected) >= 3

    alerts, state = tmp_path / "alerts.jsonl", tmp_path / "state" / "buzz.pickle"
    first = kill_at_first_alert(command(model, alerts, str(state)))
    second = kill_at_first_alert(command(model, alerts, str(state)))
    assert any(line.startswith("resuming from") for line in second)
    last = subprocess.run(command(model, alerts, str(state)), cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert last.returncode == 0, last.stderr[-3000:]

    assert alerts.read_text().splitlines() == expected  # the same alerts, in order, none twice
    printed = [line.split(":")[0] for run in (first, second, last.stdout.splitlines()) for line in run
               if line.startswith("ALERT")]
    # each alert raised, and raised again only by the run after a kill that fell before its checkpoint
    assert len(set(printed)) == len(expected) and len(printed) <= len(expected) + 2
    counted = re.search(r"(\d+) tweets, \d+ negative, (\d+) seen before the restart, (\d+) in all", last.stdout)
    assert counted and int(counted[3]) == 8968 and int(counted[1]) + int(counted[2]) == 8968, last.stdout[-2000:]
    assert not list(state.parent.glob(".*tmp"))  # no temporary state left by the kills
