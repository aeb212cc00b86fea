"""Serving image: generate the Dockerfile and build context of a registered model (no Docker
engine needed), hardened for the free Azure App Service plan, and check what it holds.

``mlflow models generate-dockerfile`` writes ``Dockerfile`` + ``model_dir/`` (the model with its
``requirements.txt``, code and artifacts). This stage then:

* runs the hardened API (``pyfunc/serving.py``, shipped in the model's own code) instead of
  MLflow's nginx + uvicorn pair, on port 8080 (``WEBSITES_PORT``), one worker (``WEB_CONCURRENCY``);
* drops the nginx install (not used; the body size limit is the API's own);
* installs ``mlflow-skinny`` instead of the full ``mlflow`` (same version: the scoring server and
  pyfunc loading are in it; the tracking server's pyarrow, scipy, matplotlib, sqlalchemy, flask...
  are not needed to serve), unless ``--full-mlflow``;
* refuses a model whose requirements carry a forbidden package (tensorflow, torch: GB-sized) or
  one logged before ``pyfunc/serving.py`` existed;
* writes ``image-manifest.json`` (model URI, requirements, sizes) next to the Dockerfile, and keeps
  MLflow's original as ``Dockerfile.mlflow`` for comparison.

``make image`` runs it for ``models:/air-paradis-sentiment@production`` into ``build/image``;
CD builds that folder with docker/build-push-action.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from entrypoints import config

PORT = 8080
SERVER_MODULE = Path("code") / "pyfunc" / "serving.py"
ENTRYPOINT = (f'ENTRYPOINT ["python", "-m", "uvicorn", "--factory", "pyfunc.serving:create_app", '
              f'"--host", "0.0.0.0", "--port", "{PORT}"]')
RUNTIME_ENV = [
    "ENV PYTHONPATH=/opt/ml/model/code",
    "ENV __pyfunc_model_path__=/opt/ml/model",
    "ENV WEB_CONCURRENCY=1",  # F1: 1 GB of memory, one model in memory
    "ENV PYTHONUNBUFFERED=1",
    f"EXPOSE {PORT}",
]
DEFAULT_MODEL = f"models:/{config.MODEL_NAME}@{config.PRODUCTION_ALIAS}"
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


def requirement_names(lines: list[str]) -> list[str]:
    return [re.split(r"[<>=!~\[; ]", line.strip(), maxsplit=1)[0].lower() for line in lines]


def read_requirements(model_dir: Path) -> list[str]:
    text = (model_dir / "requirements.txt").read_text()
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def forbidden_in(model_dir: Path) -> list[str]:
    """Forbidden packages (``config.BUDGET.forbidden_requirements``) named in the model's
    requirements or conda environment."""
    names = requirement_names(read_requirements(model_dir))
    conda = (model_dir / "conda.yaml").read_text().lower() if (model_dir / "conda.yaml").exists() else ""
    conda_names = re.findall(r"^\s*-\s*([a-z0-9][\w.-]*)", conda, re.M)
    bad = []
    for package in config.BUDGET.forbidden_requirements:  # torchvision, tensorflow-cpu... count too
        if any(n.startswith(package) for n in names + conda_names):
            bad.append(package)
    return bad


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
        if slim and re.fullmatch(r"RUN pip install mlflow==[\w.]+", line.strip()):
            line = line.replace("pip install mlflow==", "pip install mlflow-skinny==")
        if line.startswith("ENTRYPOINT"):
            lines += ["# The hardened API (pyfunc/serving.py) in front of MLflow's scoring server", *RUNTIME_ENV]
            line = ENTRYPOINT
        lines.append(line)
    if ENTRYPOINT not in lines:
        raise ImageError("the generated Dockerfile has no ENTRYPOINT to replace; MLflow's format changed")
    return "\n".join(lines) + "\n"


def generate(model_uri: str = DEFAULT_MODEL, output: Path = DEFAULT_OUTPUT, slim: bool = True) -> Manifest:
    """Generate, harden and check the build context of ``model_uri`` in ``output`` (replaced);
    ``slim``: serve with ``mlflow-skinny`` instead of the full ``mlflow`` (same version)."""
    from entrypoints.registry import directory_mb

    output = Path(output)
    if output.exists():
        shutil.rmtree(output)
    cmd = [sys.executable, "-m", "mlflow", "models", "generate-dockerfile", "-m", model_uri, "-d", str(output),
           "--env-manager", "local"]
    env = {"MLFLOW_TRACKING_URI": config.TRACKING_URI, "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
    done = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True)
    if done.returncode:
        raise ImageError(f"mlflow models generate-dockerfile failed for {model_uri}:\n{done.stderr[-2000:]}")
    model_dir = output / "model_dir"
    if bad := forbidden_in(model_dir):
        raise ImageError(f"{model_uri} requires {', '.join(bad)}: too large for the free plan's image")
    if not (model_dir / SERVER_MODULE).is_file():
        raise ImageError(f"{model_uri} carries no {SERVER_MODULE} (logged before the hardened API existed); "
                         "log the model again with the current pyfunc/")
    dockerfile = output / "Dockerfile"
    original = dockerfile.read_text()
    (output / "Dockerfile.mlflow").write_text(original)  # MLflow's own, kept for comparison (not built)
    dockerfile.write_text(harden_dockerfile(original, slim))
    if slim:
        slim_requirements(model_dir)
    base = next(line.split()[1] for line in original.splitlines() if line.startswith("FROM"))
    manifest = Manifest(model_uri, read_requirements(model_dir), round(directory_mb(model_dir), 3),
                        round(directory_mb(output), 3), base, ENTRYPOINT)
    (output / "image-manifest.json").write_text(json.dumps(asdict(manifest), indent=2) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m entrypoints.image", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULT_MODEL, help=f"model URI (default {DEFAULT_MODEL})")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="build context folder, replaced (default build/image)")
    parser.add_argument("--full-mlflow", action="store_true",
                        help="install the full mlflow package (MLflow's default) instead of mlflow-skinny")
    args = parser.parse_args(argv)
    try:
        manifest = generate(args.model, args.output, slim=not args.full_mlflow)
    except ImageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"build context for {manifest.model_uri} in {args.output} ({manifest.context_mb} MB, "
          f"model {manifest.model_mb} MB, base {manifest.base_image})")
    print("requirements: " + ", ".join(manifest.requirements))
    print(f"build it with: docker build -t air-paradis-sentiment {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
