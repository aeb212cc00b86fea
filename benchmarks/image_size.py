"""Size of the serving image's Python layer, measured without a Docker engine.

Generates the build context of a model (``entrypoints.image``, as ``make image``), then replays
every step of its Dockerfile in a fresh virtualenv (``airparadis.release.replay``: same commands,
same order) and measures what they install: total size, the largest distributions, and that no
forbidden package came in; then it runs the image's entry point with those packages only and sends it a request.

    python benchmarks/image_size.py --model models:/air-paradis-sentiment@production

Prints the figures and writes benchmarks/results/image_size.json (needs the package registry).
The image adds the python:3.11.7-slim base, not measured here (no Docker engine).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from airparadis.release import image, replay, requirements  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "image_size.json"
SIZES = """
import importlib.metadata as m, json, os
out = {}
for d in m.distributions():
    files = [f.locate() for f in (d.files or [])]
    out[d.metadata["Name"].lower()] = sum(os.path.getsize(f) for f in files if os.path.isfile(f))
print(json.dumps(out))
"""


def pip(python: Path, *args: str) -> None:
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *args], check=True)


def serve_check(built: replay.Replay) -> dict:
    """Run the image's entry point in the replayed environment (its packages, its ENV) and send one
    valid and one bad request."""
    import requests

    from airparadis.release.serve import free_port, serve_process

    entry, port = list(built.entrypoint), free_port()
    entry[entry.index("--host") + 1], entry[entry.index("--port") + 1] = "127.0.0.1", str(port)
    with serve_process(entry, built.env, port, timeout=300, cwd=built.workdir) as url:
        good = requests.post(f"{url}/invocations", json={"dataframe_records": [{"text": "lost my bag again"}]},
                             timeout=60)
        bad = requests.post(f"{url}/invocations", data=b"{}", timeout=60)
    return {"valid_request": good.status_code, "prediction": good.json(), "no_content_type": bad.status_code}


def install(workdir: Path, mlflow_pin: str, requirements: list[str]) -> tuple[Path, float]:
    env_dir = workdir / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    start = time.perf_counter()
    pip(python, mlflow_pin)
    pip(python, *requirements)
    return python, time.perf_counter() - start


def measure_packages(packages: list[str], workdir: Path) -> dict:
    """The same installs for a list of pins (no model): what a model requiring them would add."""
    mlflow_pin = next(p for p in packages if p.startswith("mlflow"))
    python, install_s = install(workdir, mlflow_pin, [p for p in packages if p != mlflow_pin])
    return {"packages": packages, **sizes_of(python, workdir / "venv"), "install_seconds": round(install_s, 1),
            "python": sys.version.split()[0]}


def sizes_of(python: Path, env_dir: Path) -> dict:
    sizes = json.loads(subprocess.run([str(python), "-c", SIZES], capture_output=True, text=True, check=True).stdout)
    site = next(env_dir.glob("lib/python*/site-packages"))
    total = sum(f.stat().st_size for f in site.rglob("*") if f.is_file())
    largest = sorted(sizes.items(), key=lambda kv: -kv[1])[:12]
    forbidden = requirements.forbidden(list(sizes))
    return {"python_packages_mb": round(total / 1e6, 1), "distributions": len(sizes),
            "largest_mb": {name: round(size / 1e6, 1) for name, size in largest}, "forbidden_installed": forbidden}


def measure(model_uri: str, workdir: Path, slim: bool = True) -> dict:
    manifest = image.generate(model_uri, workdir / "context", slim=slim)
    dockerfile = (workdir / "context" / "Dockerfile").read_text()
    mlflow_pin = re.search(r"RUN pip install (mlflow(?:-skinny)?==[\w.]+)", dockerfile).group(1)
    start = time.perf_counter()
    built = replay.replay(workdir / "context" / "Dockerfile", workdir / "image")
    install_s = time.perf_counter() - start
    served = serve_check(built)
    return {
        "model_uri": model_uri,
        "model_requirements": manifest.requirements,
        "model_mb": manifest.model_mb,
        "mlflow_package": mlflow_pin,
        "base_image": manifest.base_image,
        **sizes_of(built.python, workdir / "image" / "venv"),
        "install_seconds": round(install_s, 1),
        "serves": served,
        "python": sys.version.split()[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default = f"models:/{image.MODEL_NAME}@production"
    parser.add_argument("--model", default=default, help=f"model URI (default {default})")
    parser.add_argument("--full-mlflow", action="store_true", help="measure with the full mlflow package")
    parser.add_argument("--output", type=Path, default=RESULTS, help="JSON file written (default %(default)s)")
    parser.add_argument("--packages", nargs="+", metavar="PIN",
                        help="measure these pins instead of a model, e.g. the deep model's: mlflow-skinny==3.17.2 "
                             "numpy==2.4.6 pandas==3.1.1 ai-edge-litert==2.3.0 (no serving check)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="image-size-") as tmp:
        if args.packages:
            result = measure_packages(args.packages, Path(tmp))
        else:
            result = measure(args.model, Path(tmp), slim=not args.full_mlflow)
    result["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"python layer: {result['python_packages_mb']} MB in {result['distributions']} distributions; "
          f"written to {args.output}")
    served = result.get("serves", {"valid_request": 200})
    return 1 if result["forbidden_installed"] or served["valid_request"] != 200 else 0


if __name__ == "__main__":
    sys.exit(main())
