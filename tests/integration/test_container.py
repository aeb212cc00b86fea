"""The serving image built by a real Docker engine from `make image`'s context, exactly as CD builds
it (base image from Debian's packages as the BASE_IMAGE build argument), run as Azure's F1 plan runs
it (one worker, WEBSITES_PORT, 1 GB, one CPU, the API key from the environment), the smoke check
against it, and a worker killed by a crash or by the memory limit restarted and reported."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
import requests

from airparadis import config
from airparadis.release import engine, image
from entrypoints import smoke as command
from pyfunc.access import API_KEYS
from pyfunc.names import API_KEY_ENV
from tests.conftest import invoke
from tests.servers import free_port

pytestmark = pytest.mark.slow
KEY = "container-test-key-0123456789abcdef"
TAG = f"{image.IMAGE_NAME}:test"


@pytest.fixture(scope="module")
def built(docker_engine, simple_version, tmp_path_factory):
    """The image of the session's registered simple model (any registered model builds the same way)."""
    uri = f"models:/{config.settings().model_name}/{simple_version}"
    context = tmp_path_factory.mktemp("container") / "build"
    manifest = image.generate(uri, context)
    engine.build(docker_engine, context, TAG, base=engine.base_image(docker_engine))
    return manifest


@pytest.fixture(scope="module")
def api(docker_engine, built):
    """The container under F1's limits; yields (base URL, container name)."""
    name, port = "api-f1", free_port()
    engine.run_f1(docker_engine, TAG, name, port, env={API_KEYS.variable: KEY})
    url = f"http://127.0.0.1:{port}"
    yield url, name
    engine.remove(docker_engine, name)


def smoke(url: str, monkeypatch) -> dict:
    """What ``python -m entrypoints.smoke --url URL`` printed, once it passed (the key from the environment)."""
    monkeypatch.setenv(API_KEY_ENV, KEY)
    code, out = invoke(command.main, "--url", url, "--wait", "120")
    assert code == 0 and out.rstrip().endswith("smoke test passed"), out
    return json.loads(out[:out.rindex("smoke test passed")])


def polled(read, done, what: str, timeout: float = 60, every: float = 0.5):
    """``read()`` again until ``done`` holds for its value; that value (fails after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not done(value := read()):
        assert time.monotonic() < deadline, f"{what} after {timeout}s: {value}"
        time.sleep(every)
    return value


def worker_pid(docker_engine, name: str) -> int:
    """Host pid of the container's worker (the supervisor's child)."""
    return polled(lambda: engine.pids(docker_engine, name), lambda pids: len(pids) > 1,
                  "no new worker in the container")[1]


def restarted_container(docker_engine, name: str) -> dict:
    """``docker inspect`` of the container once the engine has restarted it."""
    return polled(lambda: docker_engine.inspect(name),
                  lambda state: state["RestartCount"] >= 1 and state["State"]["Running"],
                  "the container was not restarted", every=0.2)


def restarts(url: str) -> int:
    return requests.get(f"{url}/version", timeout=30).json()["worker_restarts"]


def test_the_container_passes_the_smoke_check_under_f1_limits(docker_engine, built, api, monkeypatch):
    url, name = api
    report = smoke(url, monkeypatch)
    assert report["served"]["model_name"] == built.model_name
    assert report["served"]["model_version"] == built.model_version
    assert report["worker"] == "not restarted" and report["refused_without_key"]
    host = docker_engine.inspect(name)["HostConfig"]
    assert (host["Memory"], host["MemorySwap"], host["NanoCpus"]) == (2**30, 2**30, 10**9)
    assert host["NetworkMode"] == "host" and host["RestartPolicy"]["Name"] == engine.RESTART_POLICY
    # the API key came from the environment: not on the command line, not in the image
    assert KEY not in " ".join(docker_engine.inspect(name)["Args"])
    assert not any(KEY in line for line in docker_engine.inspect(TAG)["Config"]["Env"] or [])
    # one worker (plus its supervisor), listening on WEBSITES_PORT
    assert len(engine.pids(docker_engine, name)) == 2


def test_the_build_secrets_are_not_in_the_image(docker_engine, built):
    """pip's configuration and CA bundle were mounted for the pip steps only."""
    listing = docker_engine.docker("run", "--rm", "--network", "none", "--entrypoint", "sh", TAG, "-c",
                                   "ls /etc/pip.conf /run/secrets 2>&1; echo; cat /etc/pip.conf 2>&1; true")
    assert "No such file" in listing and image.PIP_CA_SECRET not in listing
    history = docker_engine.docker("history", "--no-trunc", TAG)
    assert "pip install" in history and "BEGIN CERTIFICATE" not in history


def test_a_crashed_worker_is_restarted_and_the_smoke_check_says_so(docker_engine, api, monkeypatch):
    url, name = api
    before = restarts(url)
    os.kill(worker_pid(docker_engine, name), signal.SIGKILL)
    report = smoke(url, monkeypatch)
    assert report["served"]["worker_restarts"] == before + 1
    assert report["worker"] == f"restarted {before + 1} time(s); the last worker died: killed by SIGKILL"


def test_a_worker_killed_by_the_memory_limit_is_restarted_and_reported(docker_engine, api, monkeypatch):
    """A process in the container asks for more than the 1 GB limit: the kernel's OOM killer kills
    the worker (made its first choice, as the largest process of a loaded container is), the
    supervisor restarts it and says why; the container itself stays up."""
    url, name = api
    before, worker = restarts(url), worker_pid(docker_engine, name)
    with open(f"/proc/{worker}/oom_score_adj", "w") as f:
        f.write("1000")
    with pytest.raises(engine.EngineError, match=r"\(137\)"):  # the hog is killed too once over the limit
        docker_engine.docker("exec", name, "python", "-c", "b = b'x' * (1200 << 20)")
    report = smoke(url, monkeypatch)
    assert report["served"]["worker_restarts"] == before + 1
    assert report["worker"].endswith("killed by SIGKILL (out of memory: the container's memory limit)")
    assert docker_engine.inspect(name)["RestartCount"] == 0
    assert requests.get(f"{url}/ping", timeout=10).status_code == 200


def test_a_container_whose_supervisor_dies_is_restarted_by_the_platform(docker_engine, api, monkeypatch):
    """The last layer: PID 1 itself killed, the container exits and its restart policy starts it
    again (App Service restarts a container that exits too); the restart is in ``docker inspect``."""
    url, name = api
    os.kill(engine.pids(docker_engine, name)[0], signal.SIGKILL)
    # until the kernel has reaped the old worker it may still answer: wait for the platform's restart
    state = restarted_container(docker_engine, name)
    assert state["RestartCount"] == 1 and state["State"]["Running"]
    report = smoke(url, monkeypatch)
    assert report["worker"] == "not restarted"  # a new container: its worker is a first one
    assert docker_engine.inspect(name)["RestartCount"] == 1
