"""Latency of single-tweet requests through the real MLflow scoring server on 127.0.0.1.

    .venv/bin/python -m benchmarks.serving_latency --model production --requests 300

Starts ``mlflow models serve`` for the chosen registered version, sends sequential one-tweet
requests (real validation tweets, keep-alive), prints p50/p95/p99 and writes them to
``benchmarks/results/serving_latency_<approach>.json``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import time
from pathlib import Path

import requests
from mlflow.tracking import MlflowClient

from airparadis import config
from airparadis.core import data, registry, tracking
from airparadis.release.serve import mlflow_serve
from benchmarks.common import timed

RESULTS = Path(__file__).parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serving_latency", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="production", help="version spec: production, best-simple, 3, latest ...")
    parser.add_argument("--requests", type=int, default=300, help="number of timed requests (default 300)")
    args = parser.parse_args(argv)

    tracking.setup()
    version = registry.resolve_version(args.model)
    name = config.settings().model_name
    approach = MlflowClient().get_model_version(name, str(version)).tags.get(config.APPROACH_TAG, "?")
    tweets = itertools.cycle(data.load_splits("bundled").validation.text.tolist())
    served = mlflow_serve(f"models:/{name}/{version}", config.settings().tracking_uri)
    with served as url, requests.Session() as http:
        def post() -> None:
            http.post(f"{url}/invocations", json={"dataframe_records": [{"text": next(tweets)}]},
                      timeout=30).raise_for_status()

        figures = timed(post, args.requests, "single-tweet requests")
    result = {"model": name, "version": version, "approach": approach, "endpoint": "/invocations",
              "payload": "one tweet per request, sequential, keep-alive",
              **{k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()},
              "machine": f"{platform.machine()}, {os.cpu_count()} cores",
              "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"serving_latency_{approach}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
