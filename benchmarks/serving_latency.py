"""Latency of single-tweet requests through the real MLflow scoring server on 127.0.0.1.

    .venv/bin/python -m benchmarks.serving_latency --model production --requests 300

Starts ``mlflow models serve`` for the chosen registered version, sends sequential one-tweet
requests (real validation tweets), prints p50/p95/p99 and writes them to
``benchmarks/results/serving_latency_<approach>.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import time
from pathlib import Path

import numpy as np
import requests
from mlflow.tracking import MlflowClient
from tqdm.auto import tqdm

from entrypoints import config, data, registry, tracking
from entrypoints.serve import serve_command, serve_env, wait_ready

RESULTS = Path(__file__).parent / "results"


def percentiles(ms: list[float]) -> dict[str, float]:
    return {f"p{q}_ms": round(float(np.percentile(ms, q)), 3) for q in (50, 95, 99)} | {"calls": len(ms)}


def measure(url: str, tweets: list[str]) -> list[float]:
    session = requests.Session()
    timings = []
    for tweet in tqdm(tweets, desc="single-tweet requests", unit="req"):
        start = time.perf_counter()
        response = session.post(f"{url}/invocations", json={"dataframe_records": [{"text": tweet}]}, timeout=30)
        timings.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serving_latency", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="production", help="version spec: production, best-simple, 3, latest ...")
    parser.add_argument("--requests", type=int, default=300, help="number of timed requests (default 300)")
    parser.add_argument("--port", type=int, default=5011, help="port on 127.0.0.1 (default 5011)")
    args = parser.parse_args(argv)

    tracking.setup()
    version = registry.resolve_version(args.model)
    approach = MlflowClient().get_model_version(config.MODEL_NAME, str(version)).tags.get(config.APPROACH_TAG, "?")
    tweets = data.load_splits("bundled").validation.text.tolist()[: args.requests + 10]
    url = f"http://127.0.0.1:{args.port}"
    proc = subprocess.Popen(serve_command(f"models:/{config.MODEL_NAME}/{version}", "127.0.0.1", args.port),
                            env=serve_env(), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_ready(url, proc, timeout=300)
        measure(url, tweets[:10])  # warm-up
        figures = percentiles(measure(url, tweets[10:]))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    result = {"model": config.MODEL_NAME, "version": version, "approach": approach, "endpoint": "/invocations",
              "payload": "one tweet per request, sequential, keep-alive", **figures,
              "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
              "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"serving_latency_{approach}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
