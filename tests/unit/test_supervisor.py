"""The image's entry point (pyfunc/supervisor.py): a dying worker restarted with the count and the
reason in its environment, the port from WEBSITES_PORT, and giving up after too many restarts."""

from __future__ import annotations

import signal
import sys

from pyfunc import supervisor


def test_the_port_comes_from_websites_port_when_set():
    argv = ["python", "-m", "uvicorn", "--port", "8080"]
    assert supervisor.with_port(argv, {supervisor.PORT_ENV: "18080"})[-1] == "18080"
    assert supervisor.with_port(argv, {}) == argv


def test_the_reason_names_the_signal_and_a_new_oom_kill():
    assert supervisor.why(-signal.SIGKILL, 3, 4) == "killed by SIGKILL (out of memory: the container's memory limit)"
    assert supervisor.why(-signal.SIGKILL, 3, 3) == "killed by SIGKILL"
    assert supervisor.why(2, None, None) == "exited with status 2"


def test_a_dying_worker_is_restarted_with_the_count_then_given_up(tmp_path, monkeypatch, capsys):
    """Each worker appends what its environment says, then kills itself: restarted MAX_RESTARTS
    times, then the supervisor exits 1 (the platform restarts the container)."""
    monkeypatch.setattr(supervisor, "MAX_RESTARTS", 2)
    monkeypatch.setattr(supervisor.signal, "signal", lambda *_: None)  # keep pytest's own handlers
    seen = tmp_path / "seen"
    env = f"os.environ[{supervisor.RESTARTS_ENV!r}], os.environ.get({supervisor.LAST_EXIT_ENV!r})"
    worker = (f"import os, signal; open({str(seen)!r}, 'a').write('|'.join(map(str, ({env}))) + '\\n'); "
              "os.kill(os.getpid(), signal.SIGKILL)")
    assert supervisor.supervise([sys.executable, "-c", worker]) == 1
    assert seen.read_text().splitlines() == ["0|None", "1|killed by SIGKILL", "2|killed by SIGKILL"]
    log = capsys.readouterr().err
    assert "restarting it (restart 2)" in log and "2 restarts within 300s already: giving up" in log
