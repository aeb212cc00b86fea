"""The serving image built by Docker and run under Azure F1's limits, measured.

Starts a Docker daemon of its own (``airparadis.release.engine``), builds ``make image``'s context of
``--model`` on a base made from Debian's packages, runs it as F1 does (one worker, ``WEBSITES_PORT``,
``--memory 1g --cpus 1``, an API key) and measures:

* the image size and the build time (from the cached base; pip through this machine's index);
* the cold start: ``docker run`` to the first 200 of ``/ping`` (F1 adds pulling the image);
* the container's resident memory (RSS of its processes: supervisor + worker) idle and at the end of
  the load (peak sampled during it);
* latency (p50/p95) and throughput of one-tweet requests at concurrency 1 and 16;
* the CPU-seconds the container's cgroup spends per 1,000 one-tweet requests (the Engine API's
  figure: ``cpu.stat`` ``usage_usec`` on cgroup v2, ``cpuacct.usage`` on v1), over the concurrency-16
  run, and from it how many such requests a day fit F1's 60 CPU-minutes.

    python -m benchmarks.container --model models:/air-paradis-sentiment@production

The load client runs on the same machine (its CPU is not the container's, which is capped at one).
Prints the figures and writes benchmarks/results/container.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from airparadis.release import engine, image  # noqa: E402
from airparadis.release.serve import free_port  # noqa: E402
from benchmarks.common import percentiles  # noqa: E402
from pyfunc.access import API_KEYS, RATE_LIMIT  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "container.json"
F1_CPU_MINUTES_PER_DAY = 60  # Azure App Service F1: 60 CPU-minutes a day
KEY = "benchmark-key-0123456789abcdef0123"
TWEET = "@AirParadis my flight was delayed three hours and nobody told us anything"
TAG = f"{image.IMAGE_NAME}:benchmark"


def rss_mb(pids: list[int]) -> float:
    return round(sum(psutil.Process(p).memory_info().rss for p in pids if psutil.pid_exists(p)) / 1e6, 1)


def sample_rss(pids: list[int], samples: list[float], stop: threading.Event) -> None:
    while not stop.wait(0.2):
        samples.append(rss_mb(pids))


def cold_start(docker: engine.Engine, name: str, port: int, timeout: float = 300) -> tuple[str, float]:
    """Start the container; seconds from ``docker run`` to the first 200 of /ping."""
    start = time.perf_counter()
    # the key is checked; the per-client rate limit is off: one load client measures the capacity
    engine.run_f1(docker, TAG, name, port, env={API_KEYS.variable: KEY, RATE_LIMIT.variable: "off"})
    url = f"http://127.0.0.1:{port}"
    while time.perf_counter() - start < timeout:
        try:
            if requests.get(f"{url}/ping", timeout=2).status_code == 200:
                return url, time.perf_counter() - start
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"no 200 from {url}/ping within {timeout}s:\n{docker.docker('logs', name)[-3000:]}")


def load(url: str, concurrency: int, total: int) -> dict:
    """``total`` one-tweet requests from ``concurrency`` threads: latency, throughput, errors."""
    local = threading.local()
    headers = {"Authorization": f"Bearer {KEY}"}
    body = {"dataframe_records": [{"text": TWEET}]}

    def one(_):
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        start = time.perf_counter()
        answer = session.post(f"{url}/invocations", json=body, headers=headers, timeout=60)
        return time.perf_counter() - start, answer.status_code

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, range(total)))
    elapsed = time.perf_counter() - start
    errors = sum(status != 200 for _, status in results)
    return {"concurrency": concurrency, "requests": total, "errors": errors,
            "requests_per_second": round(total / elapsed, 1),
            **{k: round(v, 1) for k, v in percentiles([s for s, _ in results]).items()}}


def measure(model_uri: str, workdir: Path, requests_per_level: int) -> dict:
    with engine.daemon(workdir / "docker") as docker:
        base = engine.base_image(docker)
        manifest = image.generate(model_uri, workdir / "context")
        build_s = engine.build(docker, workdir / "context", TAG, base=base)
        name = "api-benchmark"
        url, cold_s = cold_start(docker, name, free_port())
        pids = engine.pids(docker, name)
        requests.post(f"{url}/invocations", json={"dataframe_records": [{"text": TWEET}]},
                      headers={"Authorization": f"Bearer {KEY}"}, timeout=60)  # first call's lazy imports
        time.sleep(2)
        idle_mb = rss_mb(pids)
        sequential = load(url, 1, requests_per_level)
        peak, stop = [idle_mb], threading.Event()
        sampler = threading.Thread(target=sample_rss, args=(pids, peak, stop))
        sampler.start()
        cpu_before = engine.cpu_seconds(docker, name)
        concurrent = load(url, 16, requests_per_level)
        cpu_s = engine.cpu_seconds(docker, name) - cpu_before
        stop.set()
        sampler.join()
        per_1000 = cpu_s / requests_per_level * 1000
        state = docker.inspect(name)
        return {
            "model_uri": model_uri, "model_name": manifest.model_name, "model_version": manifest.model_version,
            "image_mb": engine.image_mb(docker, TAG), "base_image": f"{base} (Debian {engine.BASE_SUITE}, "
            f"mmdebstrap; CD builds from {manifest.base_image})", "build_seconds": round(build_s, 1),
            "limits": {"memory": engine.F1_MEMORY, "cpus": engine.F1_CPUS, "workers": engine.F1_WORKERS},
            "cold_start_seconds": round(cold_s, 2),
            "rss_idle_mb": idle_mb, "rss_under_load_peak_mb": max(peak),
            "latency": {"concurrency_1": sequential, "concurrency_16": concurrent},
            "cpu_seconds_per_1000_requests": round(per_1000, 2),
            "requests_per_day_in_f1_cpu_quota": int(F1_CPU_MINUTES_PER_DAY * 60 / per_1000 * 1000),
            "container_restarts": state["RestartCount"], "oom_killed": state["State"]["OOMKilled"],
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default = f"models:/{image.MODEL_NAME}@production"
    parser.add_argument("--model", default=default, help=f"registered model URI (default {default})")
    parser.add_argument("--requests", type=int, default=1000, help="one-tweet requests per concurrency level")
    parser.add_argument("--output", type=Path, default=RESULTS, help="JSON file written (default %(default)s)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="container-bench-", ignore_cleanup_errors=True) as tmp:
        result = measure(args.model, Path(tmp), args.requests)
    result.update(machine=f"{platform.machine()}, {psutil.cpu_count()} cores (shared with the load client)",
                  measured_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"image {result['image_mb']} MB, cold start {result['cold_start_seconds']} s, "
          f"{result['cpu_seconds_per_1000_requests']} CPU-s per 1,000 requests: "
          f"{result['requests_per_day_in_f1_cpu_quota']:,} requests/day in F1's 60 CPU-minutes; "
          f"written to {args.output}")
    errors = sum(level["errors"] for level in result["latency"].values())
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
