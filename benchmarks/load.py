"""Load benchmark of the hardened API on 127.0.0.1 (locust, headless, as a library).

Starts the hardened API (``pyfunc/serving.py`` under uvicorn, ``--workers`` = the
``AIRPARADIS_SERVE_WORKERS`` setting unless given) for a registered model, computes a sequential
reference (the label of every tweet of the pool, one request at a time before the load), then
``--users`` concurrent locust users send ``--requests`` requests in all, mixing:

* single tweets (``dataframe_records`` of one tweet): 200 and the reference's label;
* batches of 1,000 tweets: 200 and the reference's labels, in order;
* bad requests: no ``Content-Type`` (415), invalid JSON (400), an empty text (400).

Any other answer is *unexpected*: a 5xx, another status, a wrong or missing label, or no answer
within ``--timeout`` seconds (a hang). It reports requests/s, p50/p99/max latency, the server's
peak memory (RSS of the uvicorn process tree) and the unexpected answers; writes
``benchmarks/results/load_w<workers>.json``; exits 1 when any answer was unexpected.

    python -m benchmarks.load --model models:/air-paradis-sentiment@production --workers 1
    python -m benchmarks.load --workers 2 --requests 100000 --users 64

Only 127.0.0.1 is addressed; the run stops by itself after ``--requests`` requests or ``--max-seconds``.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import psutil  # noqa: E402
import requests  # noqa: E402
from locust import FastHttpUser, constant, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402
from locust.exception import StopUser  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "benchmarks" / "results"
BATCH = 1_000
# weights of the request kinds (out of 100)
MIX = {"single": 89, "batch": 1, "no_content_type": 4, "invalid_json": 3, "empty_text": 3}
# the n-th request's kind: every 100 requests hold exactly MIX's counts, in a shuffled (seeded) order
SCHEDULE = random.Random(42).sample([kind for kind, weight in MIX.items() for _ in range(weight)], 100)
EXPECTED_STATUS = {"single": 200, "batch": 200, "no_content_type": 415, "invalid_json": 400, "empty_text": 400}


class Load:
    """Shared state of one run: the pool, the reference, the counts."""

    pool: list[str] = []
    reference: dict[str, str] = {}
    target = 0
    sent = 0
    answered: Counter = Counter()
    unexpected: Counter = Counter()
    examples: list[str] = []
    lock = threading.Lock()

    @classmethod
    def take(cls) -> str | None:
        """The kind of the next request to send, or None when all were sent."""
        with cls.lock:
            if cls.sent >= cls.target:
                return None
            cls.sent += 1
            return SCHEDULE[(cls.sent - 1) % len(SCHEDULE)]

    @classmethod
    def record(cls, kind: str, problem: str | None) -> None:
        with cls.lock:
            cls.answered[kind] += 1
            if problem:
                cls.unexpected[kind] += 1
                if len(cls.examples) < 10:
                    cls.examples.append(f"{kind}: {problem}")


class ApiUser(FastHttpUser):
    wait_time = constant(0)
    network_timeout = 60.0
    connection_timeout = 10.0

    @task
    def one(self):
        kind = Load.take()
        if kind is None:
            raise StopUser
        texts: list[str] = []
        headers = {"Content-Type": "application/json"}
        if kind == "single":
            texts = [random.choice(Load.pool)]
            body = json.dumps({"dataframe_records": [{"text": texts[0]}]})
        elif kind == "batch":
            texts = random.sample(Load.pool, BATCH)
            body = json.dumps({"dataframe_records": [{"text": t} for t in texts]})
        elif kind == "no_content_type":
            headers, body = {}, json.dumps({"dataframe_records": [{"text": "hello"}]})
        elif kind == "invalid_json":
            body = '{"dataframe_records": [{"text": "unfinished'
        else:
            body = json.dumps({"dataframe_records": [{"text": ""}]})
        try:
            with self.client.post("/invocations", data=body, headers=headers, name=kind,
                                  catch_response=True) as answer:
                problem = check(kind, answer.status_code, answer.text, texts)
                if problem:
                    answer.failure(problem)
                else:
                    answer.success()
        except Exception as e:  # noqa: BLE001 - a timeout or a broken connection: unexpected
            problem = f"{type(e).__name__}: {e}"
        Load.record(kind, problem)


def check(kind: str, status: int, text: str, texts: list[str]) -> str | None:
    """None when the answer is the expected one, else what was wrong."""
    if status == 0:
        return f"no answer ({text[:100]})"
    if status != EXPECTED_STATUS[kind]:
        return f"HTTP {status}: {text[:200]}"
    if status != 200:
        return None
    try:
        labels = [p["label"] for p in json.loads(text)["predictions"]]
    except (ValueError, KeyError, TypeError):
        return f"not a prediction: {text[:200]}"
    expected = [Load.reference[t] for t in texts]
    if labels == expected:
        return None
    wrong = sum(a != b for a, b in zip(labels, expected, strict=False)) + abs(len(labels) - len(expected))
    return f"{wrong} of {len(texts)} labels differ from the sequential reference"


def reference_labels(url: str, pool: list[str]) -> dict[str, str]:
    """The labels of the pool, one tweet per request, one request at a time."""
    with requests.Session() as http:
        labels = {}
        for text in pool:
            answer = http.post(f"{url}/invocations", json={"dataframe_records": [{"text": text}]}, timeout=60)
            answer.raise_for_status()
            labels[text] = answer.json()["predictions"][0]["label"]
    return labels


def tree(pid: int) -> tuple[float, int]:
    """(resident memory in MB, number of processes) of the server and its children."""
    try:
        parent = psutil.Process(pid)
        procs = [p for p in (parent, *parent.children(recursive=True)) if p.is_running()]
        return sum(p.memory_info().rss for p in procs) / 1e6, len(procs)
    except psutil.NoSuchProcess:
        return 0.0, 0


def run(model: str, workers: int, total: int, users: int, pool_size: int, max_seconds: float, timeout: float) -> dict:
    from airparadis import config
    from airparadis.core import data, registry, tracking
    from airparadis.release.serve import free_port, stop, wait_ready
    from pyfunc import serving

    tracking.setup()
    version = registry.resolve_version(model)
    texts = data.load_splits("bundled").validation.text
    Load.pool = list(dict.fromkeys(t.strip() for t in texts if t.strip()))[:pool_size]
    assert len(Load.pool) >= BATCH, "the pool must hold at least one batch"
    port = free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"load-server-{port}.log"
    env = serving.environment(model, {**os.environ, "MLFLOW_TRACKING_URI": config.settings().tracking_uri})
    import subprocess

    with log.open("wb") as out:
        proc = subprocess.Popen(serving.command("127.0.0.1", port, workers), env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    peak = {"rss": 0.0, "processes": 0}
    try:
        wait_ready(url, proc, 300, log)
        started = time.perf_counter()
        Load.reference = reference_labels(url, Load.pool)
        reference_s = time.perf_counter() - started
        Load.target, Load.sent = total, 0
        Load.answered, Load.unexpected, Load.examples = Counter(), Counter(), []
        ApiUser.host, ApiUser.network_timeout = url, timeout
        env_ = Environment(user_classes=[ApiUser], events=events)
        runner = env_.create_local_runner()

        def sample():
            while True:
                rss, processes = tree(proc.pid)
                peak["rss"], peak["processes"] = max(peak["rss"], rss), max(peak["processes"], processes)
                gevent.sleep(0.5)

        sampler = gevent.spawn(sample)
        start = time.perf_counter()
        runner.start(users, spawn_rate=users)
        while sum(Load.answered.values()) < total and time.perf_counter() - start < max_seconds:
            gevent.sleep(0.2)
        elapsed = time.perf_counter() - start
        runner.quit()
        sampler.kill()
        stats = env_.stats.total
        not_answered = total - sum(Load.answered.values())
        result = {
            "model": f"models:/{config.settings().model_name}/{version}", "workers": workers, "users": users,
            "requests_asked": total, "requests_answered": sum(Load.answered.values()),
            "stopped_by_time_limit": not_answered > 0,
            "by_kind": dict(Load.answered), "mix_weights": MIX, "batch_rows": BATCH,
            "requests_per_second": round(sum(Load.answered.values()) / elapsed, 1),
            "p50_ms": stats.get_response_time_percentile(0.5), "p99_ms": stats.get_response_time_percentile(0.99),
            "max_ms": round(stats.max_response_time, 1), "seconds": round(elapsed, 1),
            "server_peak_rss_mb": round(peak["rss"], 1), "server_processes": peak["processes"],
            "unexpected": sum(Load.unexpected.values()), "unexpected_by_kind": dict(Load.unexpected),
            "unexpected_examples": Load.examples,
            "reference": {"tweets": len(Load.pool), "sequential_seconds": round(reference_s, 1)},
            "client_timeout_s": timeout,
            "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared with the load generator)",
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        return result
    finally:
        stop([proc], timeout=30)


def main(argv: list[str] | None = None) -> int:
    from airparadis import config

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=f"models:/{config.MODEL_NAME}@{config.PRODUCTION_ALIAS}")
    parser.add_argument("--workers", type=int, default=None, help="uvicorn workers (default: AIRPARADIS_SERVE_WORKERS)")
    parser.add_argument("--requests", type=int, default=100_000, help="requests in all (default %(default)s)")
    parser.add_argument("--users", type=int, default=64, help="concurrent users (default %(default)s)")
    parser.add_argument("--pool", type=int, default=2_000, help="distinct tweets sent (default %(default)s)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before an answer counts as a hang")
    parser.add_argument("--max-seconds", type=float, default=3600.0, help="stop the run after this long")
    parser.add_argument("--output", type=Path, default=None, help="JSON written (default results/load_w<N>.json)")
    args = parser.parse_args(argv)
    workers = args.workers or config.settings().serve_workers
    result = run(args.model, workers, args.requests, args.users, args.pool, args.max_seconds, args.timeout)
    output = args.output or RESULTS / f"load_w{workers}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"{result['requests_answered']} requests with {workers} worker(s): {result['requests_per_second']} req/s, "
          f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, max {result['max_ms']} ms, server peak "
          f"{result['server_peak_rss_mb']} MB, {result['unexpected']} unexpected; written to {output}")
    return 1 if result["unexpected"] or result["stopped_by_time_limit"] else 0


if __name__ == "__main__":
    sys.exit(main())
