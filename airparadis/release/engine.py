"""A Docker engine of our own, to build and run the serving image for real (tests, benchmark).

* :func:`daemon` starts Debian's ``dockerd`` (package ``docker.io``) with its own data root and
  socket, without touching the host's network (``--iptables=false --bridge=none``: containers run
  with ``--network host``), and at the end removes its containers and stops it. A machine where it
  cannot start raises :class:`EngineError` with the reason and the daemon's log.
* :func:`base_image`: no image registry is reachable here, so the base is made from Debian's
  packages: ``mmdebstrap`` of bookworm (Python 3.11, the project's), with a virtual environment in
  ``/usr/local`` so that ``python`` and ``pip`` are where the official ``python:3.11-slim`` has them;
  the tarball is cached in :data:`CACHE` (outside git), imported with ``docker import``.
* :func:`build` runs ``docker build`` of ``make image``'s context exactly as CD does, with the base
  as the ``BASE_IMAGE`` build argument and this machine's pip settings as build secrets
  (:func:`pip_secrets`: mounted for the pip steps only, never in the image).
* :func:`run_f1` runs the container as Azure App Service's F1 plan does: one worker,
  ``WEBSITES_PORT``, 1 GB of memory without swap, one CPU, the API keys from the environment.
"""

from __future__ import annotations

import configparser
import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from airparadis.release import image
from pyfunc import supervisor

DOCKER = "/usr/bin/docker"  # docker.io's client: BuildKit built in (a newer client needs the buildx plugin)
DOCKERD = "/usr/sbin/dockerd"
MMDEBSTRAP = "/usr/bin/mmdebstrap"
CACHE = Path(os.environ.get("AIRPARADIS_DOCKER_CACHE", Path.home() / ".cache" / "airparadis"))
BASE_SUITE = "bookworm"  # Debian 12: Python 3.11, as the project and the python:3.11 images
BASE_PACKAGES = ("python3", "python3-venv", "ca-certificates")
BASE_IMAGE = f"airparadis-base:{BASE_SUITE}-python3.11"
BASE_PATH = "/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"
# Azure App Service F1: 1 GB of memory (no swap), one (shared) core, one worker holding the model
F1_MEMORY = "1g"
F1_CPUS = "1"
F1_WORKERS = "1"
RESTART_POLICY = "on-failure"  # the platform restarts a container that exits (App Service does too)
INSTALL_HINT = "make test-deps installs them (apt-get install docker.io mmdebstrap)"


class EngineError(RuntimeError):
    """The Docker engine cannot start or a command of it failed; the message says why."""


@dataclass
class Engine:
    root: Path
    socket: Path
    process: subprocess.Popen

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "DOCKER_HOST": f"unix://{self.socket}", "DOCKER_BUILDKIT": "1"}

    def docker(self, *args: str, timeout: float = 120, env: dict[str, str] | None = None) -> str:
        """Output of ``docker ARGS``; :class:`EngineError` with its output when it fails."""
        done = subprocess.run([DOCKER, *args], capture_output=True, text=True, timeout=timeout,
                              env={**self.env, **(env or {})})
        if done.returncode:
            raise EngineError(f"docker {' '.join(args[:3])}... failed ({done.returncode}):\n"
                              f"{(done.stdout + done.stderr)[-4000:]}")
        return done.stdout

    def inspect(self, name: str) -> dict:
        return json.loads(self.docker("inspect", name))[0]

    def api(self, path: str) -> dict:
        """GET ``path`` of the Engine API on the daemon's socket."""
        connection = _UnixConnection(str(self.socket))
        try:
            connection.request("GET", path)
            answer = connection.getresponse()
            body = answer.read()
        finally:
            connection.close()
        if answer.status != 200:
            raise EngineError(f"GET {path}: HTTP {answer.status} {body[:300]!r}")
        return json.loads(body)


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str):
        super().__init__("localhost")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def missing_tools() -> list[str]:
    return [tool for tool in (DOCKERD, DOCKER, MMDEBSTRAP) if not os.access(tool, os.X_OK)]


def _log_tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"


@contextlib.contextmanager
def daemon(root: Path, timeout: float = 60.0):
    """Start ``dockerd`` with data root and socket under ``root`` and yield its :class:`Engine`;
    afterwards remove its containers and stop it."""
    if missing := missing_tools():
        raise EngineError(f"{', '.join(missing)} not installed: {INSTALL_HINT}")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    sock, log = root / "docker.sock", root / "dockerd.log"
    cmd = [DOCKERD, "--iptables=false", "--bridge=none", "--ip-masq=false", "--data-root", str(root / "data"),
           "--exec-root", str(root / "exec"), "--pidfile", str(root / "dockerd.pid"), "--host", f"unix://{sock}"]
    with log.open("ab") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    engine = Engine(root, sock, process)
    try:
        _wait_started(engine, log, timeout)
        yield engine
    finally:
        _stop(engine)


def _wait_started(engine: Engine, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if engine.process.poll() is not None:
            raise EngineError(f"dockerd exited with status {engine.process.returncode} (root? cgroups? overlay "
                              f"file system?); its log:\n{_log_tail(log)}")
        if engine.socket.exists():
            with contextlib.suppress(EngineError, subprocess.TimeoutExpired):
                engine.docker("version", timeout=10)
                return
        if time.monotonic() > deadline:
            raise EngineError(f"dockerd did not answer on {engine.socket} within {timeout:.0f}s; its log:\n"
                              f"{_log_tail(log)}")
        time.sleep(0.5)


def _stop(engine: Engine) -> None:
    if engine.process.poll() is None:
        with contextlib.suppress(EngineError, subprocess.TimeoutExpired):
            if ids := engine.docker("ps", "--all", "--quiet", timeout=30).split():
                engine.docker("rm", "--force", "--volumes", *ids, timeout=120)
        engine.process.send_signal(signal.SIGTERM)
        try:
            engine.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            engine.process.kill()
            engine.process.wait()
    _unmount_under(engine.root)


def _unmount_under(root: Path) -> None:
    """Unmount what the daemon left mounted under ``root`` (its network namespace), so it can be deleted."""
    with open("/proc/mounts") as f:
        points = [line.split()[1] for line in f if line.split()[1].startswith(f"{root}/")]
    for point in sorted(points, reverse=True):
        subprocess.run(["umount", "--lazy", point], capture_output=True)


def base_tarball() -> Path:
    """Debian bookworm with Python 3.11 and a virtual environment in /usr/local, as a tarball (made
    once with ``mmdebstrap``, then cached)."""
    tarball = CACHE / f"base-{BASE_SUITE}-{'-'.join(BASE_PACKAGES)}.tar"
    if tarball.is_file():
        return tarball
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = tarball.with_suffix(".partial.tar")
    cmd = [MMDEBSTRAP, "--quiet", "--variant=apt", f"--include={','.join(BASE_PACKAGES)}",
           "--customize-hook=chroot \"$1\" python3 -m venv /usr/local",
           "--customize-hook=rm -rf \"$1\"/var/lib/apt/lists/* \"$1\"/var/cache/apt/*", BASE_SUITE, str(partial)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise EngineError(f"mmdebstrap could not make the base image ({INSTALL_HINT}; the Debian mirror must be "
                          f"reachable):\n{(done.stdout + done.stderr)[-3000:]}")
    partial.rename(tarball)
    return tarball


def base_image(engine: Engine) -> str:
    """The base image's tag in ``engine`` (imported from :func:`base_tarball` if not there yet)."""
    if not engine.docker("images", "--quiet", BASE_IMAGE).strip():
        engine.docker("import", "--change", f"ENV PATH={BASE_PATH}", "--change", 'CMD ["python"]',
                      str(base_tarball()), BASE_IMAGE, timeout=600)
    return BASE_IMAGE


def pip_cert() -> str | None:
    """The CA bundle this machine's pip verifies TLS with (``PIP_CERT``, else pip's configuration)."""
    if os.environ.get("PIP_CERT"):
        return os.environ["PIP_CERT"]
    done = subprocess.run(["python3", "-m", "pip", "config", "get", "global.cert"], capture_output=True, text=True)
    return done.stdout.strip() or None if done.returncode == 0 else None


def pip_secrets(folder: Path) -> list[str]:
    """``docker build --secret`` options giving the pip steps this machine's index and CA bundle
    (a ``pip.conf`` naming the CA secret's mount); nothing when pip needs neither."""
    cert, index = pip_cert(), os.environ.get("PIP_INDEX_URL")
    if not cert and not index:
        return []
    conf = configparser.ConfigParser()
    conf["global"] = {}
    options = []
    if cert:
        conf["global"]["cert"] = f"/run/secrets/{image.PIP_CA_SECRET}"
        options += ["--secret", f"id={image.PIP_CA_SECRET},src={cert}"]
    if index:
        conf["global"]["index-url"] = index
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / image.PIP_CONF_SECRET
    with path.open("w") as f:
        conf.write(f)
    return ["--secret", f"id={image.PIP_CONF_SECRET},src={path}", *options]


def build(engine: Engine, context: Path, tag: str, base: str | None = None, timeout: float = 900) -> float:
    """``docker build`` of ``context`` into ``tag`` (``base``: the BASE_IMAGE build argument, else the
    Dockerfile's default); returns the seconds it took."""
    base_arg = ["--build-arg", f"{image.BASE_IMAGE_ARG}={base}"] if base else []
    start = time.perf_counter()
    engine.docker("build", "--network", "host", "--progress", "plain", *base_arg,
                  *pip_secrets(engine.root / "secrets"), "--tag", tag, str(context), timeout=timeout)
    return time.perf_counter() - start


def run_f1(engine: Engine, tag: str, name: str, port: int, env: dict[str, str] | None = None) -> str:
    """Start ``tag`` as container ``name`` under F1's limits, listening on ``port`` (``WEBSITES_PORT``)
    of the host's network; ``env``: more variables (values passed through the client's environment,
    never on its command line). Returns the container id."""
    env = env or {}
    passed = [option for variable in env for option in ("--env", variable)]
    return engine.docker("run", "--detach", "--name", name, "--network", "host", "--memory", F1_MEMORY,
                         "--memory-swap", F1_MEMORY, "--cpus", F1_CPUS, "--restart", RESTART_POLICY,
                         "--env", f"{supervisor.PORT_ENV}={port}", "--env", f"WEB_CONCURRENCY={F1_WORKERS}",
                         *passed, tag, env=env).strip()


def pids(engine: Engine, name: str) -> list[int]:
    """Host process ids of the container's processes, its PID 1 (the supervisor) first."""
    lines = engine.docker("top", name, "-o", "pid").split()[1:]
    return [int(pid) for pid in lines]


def cpu_seconds(engine: Engine, name: str) -> float:
    """CPU time the container's cgroup has used so far (what the Engine API reads from the cgroup:
    ``cpu.stat`` ``usage_usec`` on cgroup v2, ``cpuacct.usage`` on v1)."""
    stats = engine.api(f"/containers/{name}/stats?stream=false&one-shot=true")
    return stats["cpu_stats"]["cpu_usage"]["total_usage"] / 1e9


def image_mb(engine: Engine, tag: str) -> float:
    return round(engine.inspect(tag)["Size"] / 1e6, 1)


def remove(engine: Engine, name: str) -> None:
    with contextlib.suppress(EngineError):
        engine.docker("rm", "--force", name, timeout=60)

