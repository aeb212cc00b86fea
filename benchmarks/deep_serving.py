"""Benchmark of the deployed deep model (TFLite pyfunc): file sizes, latency in process and
through a real ``mlflow models serve`` on 127.0.0.1, and the size of a fresh virtual environment
holding only the serving requirements (a stand-in for the deployed image).

    .venv/bin/python -m benchmarks.deep_serving --model best-deep

Prints the figures and writes them to ``benchmarks/results/deep_serving.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import requests

from airparadis import config
from airparadis.core import data, registry, tracking
from benchmarks.common import timed

RESULTS = Path(__file__).parent / "results" / "deep_serving.json"


def sizes(version: int) -> dict[str, float]:
    import mlflow
    from mlflow.tracking import MlflowClient

    mv = MlflowClient().get_model_version(config.settings().model_name, str(version))
    metrics = MlflowClient().get_run(mv.run_id).data.metrics
    logged = mlflow.artifacts.download_artifacts(f"models:/{config.settings().model_name}/{version}")
    return {
        "keras_mb": metrics["size_keras_mb"],
        "tflite_float_mb": metrics["size_tflite_float_mb"],
        "tflite_quantised_mb": metrics["size_tflite_quantised_mb"],
        "logged_model_mb": registry.directory_mb(logged),
    }


def latency(version: int, tweets: list[str], single: int, batch: int) -> dict[str, dict]:
    import mlflow.pyfunc

    from airparadis.release.serve import mlflow_serve

    uri = f"models:/{config.settings().model_name}/{version}"
    model = mlflow.pyfunc.load_model(uri)
    one, many = pd.DataFrame({"text": tweets[:1]}), pd.DataFrame({"text": tweets})
    result = {"in_process_single": timed(lambda: model.predict(one), single, "in process, 1 tweet"),
              f"in_process_batch_{len(tweets)}": timed(lambda: model.predict(many), batch, "in process, batch")}
    with mlflow_serve(uri, config.settings().tracking_uri) as url, requests.Session() as http:
        def post(frame):
            response = http.post(f"{url}/invocations", json={"dataframe_records": frame.to_dict("records")}, timeout=60)
            response.raise_for_status()

        result["served_single"] = timed(lambda: post(one), single, "served, 1 tweet")
        result[f"served_batch_{len(tweets)}"] = timed(lambda: post(many), batch, "served, batch")
    return result


def serving_venv_mb() -> dict[str, float]:
    """Install requirements/serving.txt into a fresh venv and measure it (needs PyPI or a pip cache)."""
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp, "venv")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        start = time.perf_counter()
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-r", str(config.SERVING_REQUIREMENTS)], check=True)
        seconds = time.perf_counter() - start
        frozen = subprocess.run([str(venv / "bin" / "pip"), "freeze"], capture_output=True, text=True, check=True)
        heavy = [p for p in frozen.stdout.splitlines() if p.lower().startswith(("tensorflow", "torch", "keras"))]
        return {"serving_venv_mb": registry.directory_mb(venv), "install_seconds": seconds,
                "packages": len(frozen.stdout.splitlines()), "heavy_packages": heavy}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.deep_serving", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="best-deep", help="version, alias or approach:deep (default best-deep)")
    parser.add_argument("--single-calls", type=int, default=200, help="timed one-tweet calls")
    parser.add_argument("--batch-calls", type=int, default=20, help="timed 1,000-tweet calls")
    parser.add_argument("--batch-size", type=int, default=1000, help="tweets per batch call")
    parser.add_argument("--skip-venv", action="store_true", help="do not build the serving-only virtualenv")
    parser.add_argument("--output", type=Path, default=RESULTS, help="JSON file to write")
    args = parser.parse_args(argv)
    tracking.setup()
    version = registry.resolve_version(args.model)
    splits = data.load_splits("bundled")
    tweets = (splits.sts_test.text.tolist() + splits.validation.text.tolist())[: args.batch_size]
    result = {"model": f"{config.settings().model_name}/{version}", "machine": f"{platform.machine()}, "
              f"{__import__('os').cpu_count()} cores (shared)", "sizes_mb": sizes(version),
              "latency": latency(version, tweets, args.single_calls, args.batch_calls)}
    if not args.skip_venv:
        result["serving_environment"] = serving_venv_mb()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
