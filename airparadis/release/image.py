"""Serving image: generate the Dockerfile and build context of a registered model (no Docker
engine needed), hardened for the free Azure App Service plan, and check what it holds.

``mlflow models generate-dockerfile`` writes ``Dockerfile`` + ``model_dir/`` (the model with its
``requirements.txt``, code and artifacts). This stage then:

* runs the hardened API (``pyfunc/serving.py``, shipped in the model's own code) instead of
  MLflow's nginx + uvicorn pair, on port 8080 (``WEBSITES_PORT``), one worker (``WEB_CONCURRENCY``);
* drops the nginx install (not used; the body size limit is the API's own);
* installs the model's pinned ``requirements.txt`` with pip instead of MLflow's
  ``_install_pyfunc_deps`` step, whose import chain (``mlflow.pyfunc`` -> ``import numpy``) needs
  numpy and pandas before they are installed (with ``mlflow-skinny`` the build failed there) and
  which adds ``gunicorn[gevent]``, unused by the hardened API;
* installs ``mlflow-skinny`` instead of the full ``mlflow`` (same version: the scoring server and
  pyfunc loading are in it; the tracking server's pyarrow, scipy, matplotlib, sqlalchemy, flask...
  are not needed to serve), unless ``--full-mlflow``;
* refuses a model whose requirements carry a forbidden package (tensorflow, torch: GB-sized), one
  logged before ``pyfunc/serving.py`` existed, or one whose build context cannot name its registered
  version: ``GET /version`` and the ``X-Model-Version`` header read ``model_dir/registered_model_meta``
  (MLflow writes it when it downloads a registered ``models:/<name>/<version>`` or ``@alias``), and
  CD's smoke check fails on an API that answers ``unregistered``;
* takes its base image as the build argument ``BASE_IMAGE``, whose default is MLflow's (the one CD
  builds from on GitHub); the tests build from a Debian-made base with the same Python
  (``airparadis.release.engine``);
* gives every ``pip install`` step the optional build secrets ``pip.conf`` and ``pip-ca`` (a pip
  configuration and the CA bundle it names), mounted for that step only: a machine whose package
  index needs them passes them to ``docker build --secret``; they never reach the image, and CD
  passes none;
* starts the worker under ``pyfunc/supervisor.py`` (copied into the context), which restarts it
  after a crash or a kill by the memory limit and reports the restarts in ``GET /version``;
* writes ``image-manifest.json`` (model URI, served name and version, requirements, sizes) next to
  the Dockerfile, and keeps MLflow's original as ``Dockerfile.mlflow`` for comparison.

``make image`` runs it for ``models:/air-paradis-sentiment@production`` into ``build/image``;
CD builds that folder with docker/build-push-action.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from airparadis import config
from airparadis.release import requirements
from pyfunc.names import MODEL_NAME, UNREGISTERED

PORT = 8080
SERVER_MODULE = Path("code") / "pyfunc" / "serving.py"
SUPERVISOR = config.ROOT / "pyfunc" / "supervisor.py"  # copied into the context, run as the entry point
SUPERVISOR_PATH = "/opt/ml/supervisor.py"  # where the image has it
ENTRYPOINT = (f'ENTRYPOINT ["python", "{SUPERVISOR_PATH}", "python", "-m", "uvicorn", "--factory", '
              f'"pyfunc.serving:create_app", "--host", "0.0.0.0", "--port", "{PORT}"]')
BASE_IMAGE_ARG = "BASE_IMAGE"  # docker build --build-arg BASE_IMAGE=... (default: MLflow's base)
PIP_CONF_SECRET = "pip.conf"  # docker build --secret id=pip.conf,src=...: a pip configuration, for pip steps only
PIP_CA_SECRET = "pip-ca"  # docker build --secret id=pip-ca,src=...: a CA bundle that pip.conf may name
PIP_SECRETS = (f"--mount=type=secret,id={PIP_CONF_SECRET},target=/etc/pip.conf "
               f"--mount=type=secret,id={PIP_CA_SECRET}")
RUNTIME_ENV = [
    "ENV PYTHONPATH=/opt/ml/model/code",
    "ENV __pyfunc_model_path__=/opt/ml/model",
    "ENV WEB_CONCURRENCY=1",  # F1: 1 GB of memory, one model in memory
    "ENV PYTHONUNBUFFERED=1",
    f"EXPOSE {PORT}",
]
IMAGE_NAME = MODEL_NAME  # docker image name
MODEL_DIR = "/opt/ml/model"  # where MLflow's Dockerfile copies the model
INSTALL_MODEL_REQUIREMENTS = f"RUN {PIP_SECRETS} pip install --no-cache-dir -r {MODEL_DIR}/requirements.txt"
DEFAULT_OUTPUT = config.ROOT / "build" / "image"


class ImageError(RuntimeError):
    """The model cannot be packaged for the free plan; the message says why."""


@dataclass
class Manifest:
    model_uri: str
    requirements: list[str]
    model_mb: float
    context_mb: float
    base_image: str
    entrypoint: str
    model_name: str  # what the image's GET /version will answer
    model_version: str


REGISTERED_META = "registered_model_meta"  # MLflow's ModelsArtifactRepository writes it on download


def served_version(model_dir: Path, model_uri: str) -> tuple[str, str]:
    """The registered name and version that the image's ``GET /version`` will answer (read by
    :func:`pyfunc.serving.served_model`, as the server does); :class:`ImageError` when the build
    context cannot name a registered version."""
    from pyfunc.serving import served_model

    info = served_model(str(model_dir))
    name, version = info["model_name"], info["model_version"]
    if name in ("", "None", UNREGISTERED) or not version.isdigit():
        why = "has no" if not (model_dir / REGISTERED_META).is_file() else f"names {name!r} version {version!r} in"
        raise ImageError(f"the build context of {model_uri} {why} model_dir/{REGISTERED_META}: the API would "
                         "answer /version with no registered version, and CD's smoke check fails; build from a "
                         "registered version, models:/<name>/<version> or models:/<name>@<alias>")
    return name, version


def read_requirements(model_dir: Path) -> list[str]:
    text = (model_dir / "requirements.txt").read_text()
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


_MLFLOW_PIN = re.compile(r"^mlflow(\[[^\]]*\])?(==[\w.]+)$")


def slim_requirements(model_dir: Path) -> None:
    """``mlflow==X`` -> ``mlflow-skinny==X`` in the build context's copy of the model requirements."""
    path = model_dir / "requirements.txt"
    lines = [_MLFLOW_PIN.sub(r"mlflow-skinny\2", line.strip()) for line in path.read_text().splitlines()]
    path.write_text("\n".join(lines) + "\n")


def harden_dockerfile(text: str, slim: bool = True) -> str:
    """MLflow's Dockerfile with the hardened API as entry point, without nginx and, if ``slim``,
    with ``mlflow-skinny`` instead of ``mlflow``."""
    lines = []
    for line in text.splitlines():
        if "apt-get install" in line and "nginx" in line:
            continue
        if "_install_pyfunc_deps" in line:
            line = INSTALL_MODEL_REQUIREMENTS
        if slim and re.fullmatch(r"RUN pip install mlflow==[\w.]+", line.strip()):
            line = line.replace("pip install mlflow==", "pip install mlflow-skinny==")
        if line.startswith("RUN pip install"):
            line = line.replace("RUN ", f"RUN {PIP_SECRETS} ", 1)
        if line.startswith("FROM "):
            lines.append(f"ARG {BASE_IMAGE_ARG}={line.split()[1]}")
            line = f"FROM ${{{BASE_IMAGE_ARG}}}"
        if line.startswith("ENTRYPOINT"):
            lines += ["# The hardened API (pyfunc/serving.py) in front of MLflow's scoring server, its worker",
                      "# restarted by pyfunc/supervisor.py", *RUNTIME_ENV, f"COPY {SUPERVISOR.name} {SUPERVISOR_PATH}"]
            line = ENTRYPOINT
        lines.append(line)
    if ENTRYPOINT not in lines or INSTALL_MODEL_REQUIREMENTS not in lines:
        raise ImageError("the generated Dockerfile has no ENTRYPOINT or no _install_pyfunc_deps step to replace; "
                         "MLflow's format changed")
    return "\n".join(lines) + "\n"


def generate(model_uri: str | None = None, output: Path = DEFAULT_OUTPUT, slim: bool = True) -> Manifest:
    """Generate, harden and check the build context of ``model_uri`` (default: the production
    alias) in ``output`` (replaced);
    ``slim``: serve with ``mlflow-skinny`` instead of the full ``mlflow`` (same version)."""
    from airparadis.core.registry import directory_mb

    model_uri = model_uri or f"models:/{config.settings().model_name}@{config.PRODUCTION_ALIAS}"
    output = Path(output)
    if output.exists():
        shutil.rmtree(output)
    cmd = [sys.executable, "-m", "mlflow", "models", "generate-dockerfile", "-m", model_uri, "-d", str(output),
           "--env-manager", "local"]
    env = {"MLFLOW_TRACKING_URI": config.settings().tracking_uri, "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
    done = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True)
    if done.returncode:
        raise ImageError(f"mlflow models generate-dockerfile failed for {model_uri}:\n{done.stderr[-2000:]}")
    model_dir = output / "model_dir"
    if bad := requirements.forbidden(requirements.of_model(model_dir)):
        raise ImageError(f"{model_uri} requires {', '.join(bad)}: too large for the free plan's image")
    if not (model_dir / SERVER_MODULE).is_file():
        raise ImageError(f"{model_uri} carries no {SERVER_MODULE} (logged before the hardened API existed); "
                         "log the model again with the current pyfunc/")
    name, version = served_version(model_dir, model_uri)
    dockerfile = output / "Dockerfile"
    original = dockerfile.read_text()
    (output / "Dockerfile.mlflow").write_text(original)  # MLflow's own, kept for comparison (not built)
    dockerfile.write_text(harden_dockerfile(original, slim))
    shutil.copy2(SUPERVISOR, output / SUPERVISOR.name)
    if slim:
        slim_requirements(model_dir)
    base = next(line.split()[1] for line in original.splitlines() if line.startswith("FROM"))
    manifest = Manifest(model_uri, read_requirements(model_dir), round(directory_mb(model_dir), 3),
                        round(directory_mb(output), 3), base, ENTRYPOINT, name, version)
    (output / "image-manifest.json").write_text(json.dumps(asdict(manifest), indent=2) + "\n")
    return manifest
