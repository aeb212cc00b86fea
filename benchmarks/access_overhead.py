"""Added latency of the API key and per-client limit checks (pyfunc/access.py) on one-tweet requests.

    .venv/bin/python -m benchmarks.access_overhead --model production --pairs 1000

Starts the hardened API (``pyfunc/serving.py``, uvicorn, one worker) twice for the same registered
version: once with no key (access control off: the hardening layer alone, the local default) and
once with a key and the limits on, at rates high enough that no request is refused, so that every
request pays for the key check, the request bucket and the row count but none is throttled. Then
sends sequential one-tweet requests (real validation tweets, keep-alive): each pair sends the same
tweet to both servers, in a random order, so both see the same load of this shared machine. Prints
p50/p95/mean of each, the added latency (the target is under 5%) and writes
``benchmarks/results/access_overhead.json``. It also times the two layers in process, on a stand-in
for MLflow's app: the checks' own cost, without network or model.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import platform
import random
import secrets
import statistics
import time
from pathlib import Path

import numpy as np
import requests

from airparadis import config
from airparadis.core import data, registry, tracking
from airparadis.release.serve import free_port, serve_env, serve_process
from pyfunc import access, serving

RESULTS = Path(__file__).parent / "results"
NEVER_REFUSED = {"AIRPARADIS_RATE_PER_SECOND": "1000000", "AIRPARADIS_RATE_BURST": "1000000",
                 "AIRPARADIS_ROWS_PER_MINUTE": "1000000000"}


@contextlib.contextmanager
def hardened(model_uri: str, extra_env: dict[str, str]):
    """The hardened API as the image runs it, on 127.0.0.1, with ``extra_env``."""
    port = free_port()
    env = {**serving.environment(model_uri, serve_env()), **extra_env}
    with serve_process(serving.command("127.0.0.1", port, workers=1), env, port) as url:
        yield url


def figures(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 3), "p95_ms": round(float(np.percentile(ms, 95)), 3),
            "mean_ms": round(float(ms.mean()), 3)}


def served(model_uri: str, tweets, pairs: int, warmup: int = 50) -> dict:
    key = secrets.token_urlsafe(32)
    with hardened(model_uri, {}) as off_url, hardened(model_uri, {"AIRPARADIS_API_KEYS": key, **NEVER_REFUSED}) \
            as on_url, requests.Session() as off_http, requests.Session() as on_http:
        sides = {"off": (off_http, off_url, {}), "on": (on_http, on_url, {"Authorization": f"Bearer {key}"})}
        assert on_http.post(f"{on_url}/invocations", json={"dataframe_records": [{"text": "hi"}]},
                            timeout=30).status_code == 401  # the checks are really on

        def post(side: str, text: str) -> float:
            http, url, headers = sides[side]
            start = time.perf_counter()
            answer = http.post(f"{url}/invocations", json={"dataframe_records": [{"text": text}]}, headers=headers,
                               timeout=30)
            elapsed = time.perf_counter() - start
            answer.raise_for_status()
            return elapsed

        for _ in range(warmup):
            text = next(tweets)
            post("off", text), post("on", text)
        seconds = {"off": [], "on": []}
        rng = random.Random(42)
        for _ in range(pairs):
            text = next(tweets)
            for side in rng.sample(["off", "on"], 2):
                seconds[side].append(post(side, text))
    off, on = figures(seconds["off"]), figures(seconds["on"])
    differences = [b - a for a, b in zip(seconds["off"], seconds["on"], strict=True)]
    median_difference_ms = statistics.median(differences) * 1000
    return {"off": off, "on": on, "pairs": pairs,
            "added_p50_percent": round(100 * (on["p50_ms"] - off["p50_ms"]) / off["p50_ms"], 2),
            "added_mean_percent": round(100 * (on["mean_ms"] - off["mean_ms"]) / off["mean_ms"], 2),
            "median_paired_difference_ms": round(median_difference_ms, 3),
            "median_paired_difference_percent": round(100 * median_difference_ms / off["p50_ms"], 2)}


class _StandIn:
    """Answers like MLflow's app, without a model: what is left is the layers' own cost."""

    async def __call__(self, scope, receive, send):
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"predictions": []}'})


def in_process(calls: int) -> dict:
    """Microseconds per one-tweet request through the hardening layer alone, and with access control."""
    key = secrets.token_urlsafe(32)
    settings = access.read_settings({"AIRPARADIS_API_KEYS": key, **NEVER_REFUSED})
    apps = {"off": serving.HardenedApp(_StandIn()), "on": access.protect(_StandIn(), serving.HardenedApp, settings)}
    tweet = "@AirParadis lost my luggage again, thanks for nothing"
    body = json.dumps({"dataframe_records": [{"text": tweet}]}).encode()
    headers = {"off": [(b"content-type", b"application/json")],
               "on": [(b"content-type", b"application/json"), (b"authorization", f"Bearer {key}".encode())]}

    async def one(side: str) -> int:
        scope = {"type": "http", "method": "POST", "path": "/invocations", "headers": headers[side],
                 "client": ("203.0.113.9", 5555)}
        status = []

        async def receive():
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await apps[side](scope, receive, send)
        return status[0]

    async def run() -> dict[str, float]:
        result = {}
        for side in ("off", "on", "off", "on"):  # the second round is the one kept: warm
            assert await one(side) == 200
            start = time.perf_counter()
            for _ in range(calls):
                await one(side)
            result[side] = (time.perf_counter() - start) / calls * 1e6
        return result

    per_call = asyncio.run(run())
    return {"off_us": round(per_call["off"], 2), "on_us": round(per_call["on"], 2),
            "added_us": round(per_call["on"] - per_call["off"], 2), "calls": calls}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.access_overhead", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="production", help="version spec: production, best-simple, 3, latest ...")
    parser.add_argument("--pairs", type=int, default=1000, help="timed request pairs (default 1000)")
    parser.add_argument("--calls", type=int, default=20000, help="in-process calls per side (default 20000)")
    args = parser.parse_args(argv)

    tracking.setup()
    version = registry.resolve_version(args.model)
    model_uri = f"models:/{config.settings().model_name}/{version}"
    tweets = itertools.cycle(data.load_splits("bundled").validation.text.tolist())
    result = {"model": model_uri, "version": version, "endpoint": "/invocations",
              "payload": "one tweet per request, sequential, keep-alive, pairs in random order",
              "served": served(model_uri, tweets, args.pairs), "in_process": in_process(args.calls),
              "target": "added latency under 5% of a one-tweet request",
              "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared)",
              "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "access_overhead.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    s = result["served"]
    print(f"one-tweet request: p50 {s['off']['p50_ms']} ms without the checks, {s['on']['p50_ms']} ms with them "
          f"({s['added_p50_percent']:+.2f}%; median paired difference {s['median_paired_difference_ms']:+.3f} ms); "
          f"the checks alone: {result['in_process']['added_us']} us per request")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
