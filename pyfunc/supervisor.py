"""The serving image's entry point: runs the API's worker, restarts it when it dies, and says so.

    python supervisor.py python -m uvicorn --factory pyfunc.serving:create_app --host 0.0.0.0 --port 8080

On the free plan one worker holds the model (``WEB_CONCURRENCY=1``): a crash or a kill by the
container's memory limit (the kernel's OOM killer picks the largest process, the worker) would
otherwise leave the container running with nothing listening, or exit it. This process (PID 1 of
the container, a few MB) restarts the worker, tells the log stream why it died (its exit status or
signal; "out of memory" when the container's cgroup counted a new OOM kill) and gives the new worker
the count and the last reason in :data:`RESTARTS_ENV` / :data:`LAST_EXIT_ENV`, which ``GET /version``
reports (``pyfunc.serving.served_model``) and the smoke check prints. After :data:`MAX_RESTARTS`
restarts within :data:`WINDOW_S` seconds it gives up and exits 1: the platform restarts the
container (Azure App Service does; ``docker run --restart on-failure`` here) and its log says why.

``WEBSITES_PORT`` (the port Azure App Service sends requests to) replaces the ``--port`` value when
set. SIGTERM / SIGINT are passed to the worker, then this process exits with the worker's status.

Standard library only, imports nothing from the project: ``airparadis.release.image`` copies this
file into every build context, so an image of a model logged before it existed runs it too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

RESTARTS_ENV = "AIRPARADIS_WORKER_RESTARTS"  # how many times the worker was restarted (in the worker's env)
LAST_EXIT_ENV = "AIRPARADIS_WORKER_LAST_EXIT"  # why the previous worker died
PORT_ENV = "WEBSITES_PORT"
MAX_RESTARTS = 5  # within WINDOW_S: then exit 1, the platform restarts the container
WINDOW_S = 300.0
# the OOM kill counter of the container's own cgroup (cgroup v2, then v1)
OOM_COUNTERS = ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control")


def oom_kills() -> int | None:
    """OOM kills counted by the container's memory cgroup so far (None: no counter readable)."""
    for path in OOM_COUNTERS:
        try:
            with open(path) as f:
                for line in f:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        except OSError:
            continue
    return None


def why(status: int, oom_before: int | None, oom_after: int | None) -> str:
    """The reason a worker with exit ``status`` (negative: killed by that signal) died."""
    if status < 0:
        reason = f"killed by {signal.Signals(-status).name}"
    else:
        reason = f"exited with status {status}"
    if oom_before is not None and oom_after is not None and oom_after > oom_before:
        reason += " (out of memory: the container's memory limit)"
    return reason


def with_port(argv: list[str], env: dict[str, str]) -> list[str]:
    """``argv`` with its ``--port`` value replaced by ``WEBSITES_PORT`` when that is set."""
    argv = list(argv)
    if env.get(PORT_ENV) and "--port" in argv:
        argv[argv.index("--port") + 1] = env[PORT_ENV]
    return argv


def log(message: str) -> None:
    print(f"supervisor: {message}", file=sys.stderr, flush=True)


def supervise(argv: list[str]) -> int:
    """Run ``argv`` until it is stopped by a signal sent to this process; restart it when it dies."""
    stopping = []
    worker: subprocess.Popen | None = None

    def stop(signum, _frame):
        stopping.append(signum)
        if worker is not None and worker.poll() is None:
            worker.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    restarts: list[float] = []
    env = dict(os.environ, **{RESTARTS_ENV: "0"})
    while True:
        oom_before = oom_kills()
        worker = subprocess.Popen(with_port(argv, env), env=env)
        status = worker.wait()
        if stopping:
            return status if status >= 0 else 0
        reason = why(status, oom_before, oom_kills())
        now = time.monotonic()
        restarts = [t for t in restarts if now - t < WINDOW_S] + [now]
        if len(restarts) > MAX_RESTARTS:
            log(f"the worker died ({reason}); {MAX_RESTARTS} restarts within {WINDOW_S:.0f}s already: giving up "
                "(exit 1, the platform restarts the container)")
            return 1
        count = int(env[RESTARTS_ENV]) + 1
        log(f"the worker died ({reason}); restarting it (restart {count})")
        env = dict(env, **{RESTARTS_ENV: str(count), LAST_EXIT_ENV: reason})
        time.sleep(1.0)


def main() -> int:
    argv = sys.argv[1:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        log("usage: supervisor.py COMMAND [ARG...]")
        return 2
    return supervise(argv)


if __name__ == "__main__":
    sys.exit(main())
