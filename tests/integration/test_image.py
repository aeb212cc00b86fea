"""The serving image's build context (`make image`), generated for a real registered model
without a Docker engine: what it holds, what it refuses, and its entry point actually serving."""

from __future__ import annotations

import json
import re
import shutil
import sys

import mlflow
import pandas as pd
import pytest
import requests
from mlflow.tracking import MlflowClient

from airparadis import config
from airparadis.core import tracking
from airparadis.release import image, replay, requirements
from pyfunc import serving
from tests.conftest import invoke
from tests.servers import free_port, serve_process


@pytest.fixture(scope="module")
def context(simple_version, tmp_path_factory):
    uri = f"models:/{config.settings().model_name}/{simple_version}"
    out = tmp_path_factory.mktemp("image") / "build"
    return uri, out, image.generate(uri, out)


def _pins(path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith(("#", "-")):
            name, version = line.strip().split("==")
            pins[name.lower()] = version
    return pins


def test_context_holds_the_registered_model(context, simple_version):
    _, out, manifest = context
    model_dir = out / "model_dir"
    registered = MlflowClient().get_model_version(config.settings().model_name, str(simple_version))
    mlmodel = (model_dir / "MLmodel").read_text()
    assert f"run_id: {registered.run_id}" in mlmodel
    # what GET /version and X-Model-Version read in the image (CD's smoke check needs a registered version)
    assert (model_dir / image.REGISTERED_META).is_file()
    served = serving.served_model(str(model_dir))
    assert (served["model_name"], served["model_version"]) == (config.settings().model_name, str(simple_version))
    assert (manifest.model_name, manifest.model_version) == (config.settings().model_name, str(simple_version))
    for part in ["simple.py", "artifacts/pipeline.joblib", "code/pyfunc/from_code/simple.py",
                 "code/pyfunc/serving.py", "code/pyfunc/contract.py", "code/pyfunc/simple.py"]:
        assert (model_dir / part).is_file(), part
    assert json.loads((out / "image-manifest.json").read_text())["model_mb"] == manifest.model_mb > 0.01


def test_requirements_are_the_pinned_serving_ones_without_tensorflow_or_torch(context):
    _, out, manifest = context
    model_dir = out / "model_dir"
    pins = _pins(model_dir / "requirements.txt")
    serving = _pins(config.SERVING_REQUIREMENTS)
    assert {"mlflow-skinny", "numpy", "pandas"} <= set(pins) and "mlflow" not in pins  # slim by default
    assert all(re.fullmatch(r"[\w.]+", v) for v in pins.values()), pins  # every line pinned with ==
    assert {k: v for k, v in pins.items() if k in serving} == {k: serving[k] for k in pins if k in serving}
    assert pins["mlflow-skinny"] == serving["mlflow"]
    assert manifest.requirements == [f"{k}=={v}" for k, v in pins.items()]
    dockerfile = (out / "Dockerfile").read_text()
    assert f"RUN {image.PIP_SECRETS} pip install mlflow-skinny=={serving['mlflow']}\n" in dockerfile
    everything = " ".join(p.read_text().lower() for p in model_dir.glob("*.y*ml")) + " ".join(pins)
    for forbidden in config.BUDGET.forbidden_prefixes:
        assert forbidden not in everything


def test_dockerfile_runs_the_hardened_api_on_port_8080_without_nginx(context):
    _, out, _ = context
    dockerfile = (out / "Dockerfile").read_text()
    assert dockerfile.startswith("# Build an image")
    # the base image is a build argument whose default is the one CD builds from on GitHub
    assert re.search(r"^ARG BASE_IMAGE=python:3\.11[\w.-]*\nFROM \$\{BASE_IMAGE\}$", dockerfile, re.M)
    assert "COPY model_dir /opt/ml/model" in dockerfile
    # pip's build secrets are mounted for the pip steps, nothing else names them
    pip_steps = [line for line in dockerfile.splitlines() if " pip install " in line]
    assert len(pip_steps) == 2 and all(line.startswith(f"RUN {image.PIP_SECRETS} pip") for line in pip_steps)
    assert dockerfile.count("type=secret") == 4
    assert "nginx" not in dockerfile and "C._serve" not in dockerfile
    entry = json.loads(dockerfile.split("ENTRYPOINT", 1)[1].strip())
    assert entry[entry.index("--port") + 1] == "8080" and "pyfunc.serving:create_app" in entry
    # the worker runs under the supervisor, copied into the context from pyfunc/
    assert entry[:2] == ["python", image.SUPERVISOR_PATH] and entry[2:4] == ["python", "-m"]
    assert f"COPY supervisor.py {image.SUPERVISOR_PATH}" in dockerfile
    assert (out / "supervisor.py").read_bytes() == image.SUPERVISOR.read_bytes()
    assert "ENV __pyfunc_model_path__=/opt/ml/model" in dockerfile
    assert "ENV PYTHONPATH=/opt/ml/model/code" in dockerfile


@pytest.mark.slow
def test_entrypoint_serves_the_model_from_the_build_context(context, simple_model, tmp_path):
    """The ENTRYPOINT's own argv (python -> this interpreter, host/port -> 127.0.0.1:free), with the
    image's PYTHONPATH and model path pointing into the build context, run outside the checkout."""
    _, out, _ = context
    dockerfile = (out / "Dockerfile").read_text()
    argv = json.loads(dockerfile.split("ENTRYPOINT", 1)[1].strip())
    port = free_port()
    argv = [sys.executable if a == "python" else str(out / "supervisor.py") if a == image.SUPERVISOR_PATH else a
            for a in argv]
    argv[argv.index("--host") + 1] = "127.0.0.1"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(out / "model_dir" / "code"), "WEBSITES_PORT": str(port),
           "__pyfunc_model_path__": str(out / "model_dir"), "HOME": str(tmp_path)}
    texts = ["worst airline ever, lost my bags and nobody cares", "lovely crew, thank you for the great flight"]
    with serve_process(argv, env, port, cwd=tmp_path) as url:
        answer = requests.post(f"{url}/invocations", json={"dataframe_records": [{"text": t} for t in texts]},
                               timeout=30)
        refused = requests.post(f"{url}/invocations", data=b"{}", timeout=30)
    assert answer.status_code == 200
    expected = simple_model.predict(pd.DataFrame({"text": texts}))
    assert [p["label"] for p in answer.json()["predictions"]] == expected["label"].tolist()
    assert refused.status_code == 415  # the hardening layer is the one answering


def test_replay_takes_the_base_argument_and_drops_the_secret_mounts(tmp_path):
    """What benchmarks/image_size.py replays: the generated Dockerfile's ``ARG BASE_IMAGE`` default
    and its ``RUN --mount=type=secret`` pip steps (the real build: tests/integration/test_container.py)."""
    base = f"FROM ${{{image.BASE_IMAGE_ARG}}}\n"
    (tmp_path / "Dockerfile").write_text(f"ARG {image.BASE_IMAGE_ARG}=python:3.11-slim\n{base}"
                                         f"RUN {image.PIP_SECRETS} python -c 'import sys' > /opt/done\n")
    built = replay.replay(tmp_path / "Dockerfile", tmp_path / "root")
    assert built.steps == ["FROM", "RUN"] and (tmp_path / "root" / "opt" / "done").is_file()
    (tmp_path / "Dockerfile").write_text(f"ARG {image.BASE_IMAGE_ARG}=python:3.9-slim\n{base}")
    with pytest.raises(replay.ReplayError, match="Python 3.9"):
        replay.replay(tmp_path / "Dockerfile", tmp_path / "root")


def test_replay_refuses_what_it_cannot_reproduce(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim\nRUN apt-get install -y nginx\n")
    with pytest.raises(replay.ReplayError, match="system packages"):
        replay.replay(tmp_path / "Dockerfile", tmp_path / "root")
    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim\nRUN python -c 'import numpy'\n")
    with pytest.raises(replay.ReplayError, match="No module named 'numpy'"):
        replay.replay(tmp_path / "Dockerfile", tmp_path / "root")
    (tmp_path / "Dockerfile").write_text("FROM python:3.9-slim\n")
    with pytest.raises(replay.ReplayError, match="Python 3.9"):
        replay.replay(tmp_path / "Dockerfile", tmp_path / "root")


def _log_plain_model(tmp_path, name: str, requirements: list[str], code: bool, serving_code: bool = False) -> str:
    """An unregistered model (its ``models:/<model id>`` URI); ``code``: with a pyfunc/ folder, which
    has serving.py only if ``serving_code``."""
    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return model_input

    code_paths = None
    if code:  # without serving.py: a model logged before the hardened API
        legacy = tmp_path / "pyfunc"
        skip = ("__pycache__",) if serving_code else ("serving.py", "__pycache__")
        shutil.copytree(config.ROOT / "pyfunc", legacy, ignore=shutil.ignore_patterns(*skip))
        code_paths = [str(legacy)]
    with tracking.start_run(name):
        info = mlflow.pyfunc.log_model(name="model", python_model=Echo(), pip_requirements=requirements,
                                       code_paths=code_paths)
    return info.model_uri


def test_full_mlflow_on_request(context, tmp_path):
    _, out, _ = context
    original = (out / "Dockerfile.mlflow").read_text()
    assert "RUN pip install mlflow==" in original and "C._serve('local')" in original  # MLflow's, as generated
    full = image.harden_dockerfile(original, slim=False)
    assert "pip install mlflow==" in full and "mlflow-skinny" not in full and image.ENTRYPOINT in full
    (tmp_path / "requirements.txt").write_text("mlflow[gateway]==3.17.2\nmlflow-tracing==3.17.2\nnumpy==2.4.6\n")
    image.slim_requirements(tmp_path)
    slimmed = (tmp_path / "requirements.txt").read_text().split()
    assert slimmed == ["mlflow-skinny==3.17.2", "mlflow-tracing==3.17.2", "numpy==2.4.6"]


@pytest.mark.parametrize("heavy", ["torch==2.13.0", "torchvision==0.28.0"])
def test_refuses_a_model_requiring_torch(tmp_path, heavy):
    uri = _log_plain_model(tmp_path, "image-torch", ["mlflow==3.17.2", heavy], code=False)
    with pytest.raises(image.ImageError, match=heavy.split("==")[0]):
        image.generate(uri, tmp_path / "out")


def test_refuses_a_model_without_the_hardened_api(tmp_path, capsys):
    uri = _log_plain_model(tmp_path, "image-legacy", ["mlflow==3.17.2"], code=True)
    from entrypoints import image as command

    code, out = invoke(command.main, "--model", uri, "--output", str(tmp_path / "cli"))
    assert code == 2 and "carries no code/pyfunc/serving.py" in out


def test_refuses_a_model_that_cannot_name_its_registered_version(tmp_path):
    """Issue 11, item 7: a build context without registered_model_meta would serve an API that
    answers /version with "unregistered" (CD's smoke check fails on it): refused at build time."""
    uri = _log_plain_model(tmp_path, "image-unregistered", ["mlflow==3.17.2"], code=True, serving_code=True)
    assert not re.match(rf"models:/{re.escape(config.settings().model_name)}[/@]", uri)  # not a registered version
    with pytest.raises(image.ImageError, match="registered_model_meta") as refused:
        image.generate(uri, tmp_path / "out")
    assert "no registered version" in str(refused.value) and "models:/<name>/<version>" in str(refused.value)


def test_forbidden_packages_are_found_in_requirements_and_conda(tmp_path):
    (tmp_path / "requirements.txt").write_text("mlflow==3.17.2\ntensorflow-cpu==2.21.0\n")
    (tmp_path / "conda.yaml").write_text("dependencies:\n- pip:\n  - torch==2.13.0\n")
    assert requirements.forbidden(requirements.of_model(tmp_path)) == ["tensorflow-cpu", "torch"]
    (tmp_path / "requirements.txt").write_text("mlflow==3.17.2\ntorchvision==0.28.0\n")
    (tmp_path / "conda.yaml").write_text("dependencies:\n- python=3.11\n")
    assert requirements.forbidden(requirements.of_model(tmp_path)) == ["torchvision"]  # torch-prefixed count too
