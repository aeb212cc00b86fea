"""Bad-buzz monitor throughput and memory.

``python -m benchmarks.buzz [--model production] [--input data/airline_tweets_2015.csv]`` prints
tweets/s (0) of the monitor's own cost: everything but the model call (windows, detection, alerts,
gaps; with its checkpoint; with reading the file), with a constant-time scorer that returns the
model's own answers from a table, best of ``--repeat`` runs (target: 50,000 tweets/s); then scored
and windowed (1) in process with the registered model, (2) through the hardened API on 127.0.0.1,
(3) as the Spark batch job on ``local[2]``, and (4) the in-process monitor's retained memory
(tracemalloc) for synthetic pre-scored streams of G groups over D days; writes
``benchmarks/results/buzz.json``. Model loading, server and Spark start-up are timed apart.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from airparadis.buzz.scoring import ModelScorer, model_uri
from airparadis.release.serve import free_port, serve_process
from apiclient.client import PredictionClient
from monitoring.buzz import checkpoint, monitor, stream
from monitoring.buzz.rule import RULE
from monitoring.buzz.scoring import ApiScorer

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "benchmarks" / "results" / "buzz.json"


def throughput(tweets, scorer, batch_size: int) -> dict:
    start = time.perf_counter()
    summary = monitor.run(stream.batches(tweets, batch_size), scorer)
    seconds = time.perf_counter() - start
    return {"tweets": summary.tweets, "seconds": round(seconds, 3), "tweets_per_s": round(summary.tweets / seconds, 1),
            "alerts": len(summary.alerts), "batch_size": batch_size}


OWN_COST_TARGET = 50_000  # tweets/s of the monitor's own cost, in process


def best_of(repeat: int, work) -> tuple[float, object]:
    """The shortest of ``repeat`` timed calls of ``work()`` and its last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result


def own_cost(path: Path, tweets, scorer, repeat: int) -> dict:
    """The monitor's tweets/s with a constant-time scorer (the model's answers looked up by text)."""
    texts = [t.text for t in tweets]
    answers = dict(zip(texts, scorer(texts), strict=True))

    def table(batch: list[str]) -> list[tuple[bool, float]]:
        return [answers[t] for t in batch]

    out = {"target_tweets_per_s": OWN_COST_TARGET, "repeat": repeat, "negatives": sum(a[0] for a in answers.values())}
    seconds, summary = best_of(repeat, lambda: monitor.run(stream.batches(tweets, 1000), table))
    out["monitor"] = {"seconds": round(seconds, 4), "tweets_per_s": round(len(tweets) / seconds),
                      "alerts": len(summary.alerts)}
    with tempfile.TemporaryDirectory() as folder:
        state = Path(folder) / "state.pickle"
        seconds, _ = best_of(repeat, lambda: monitor.run(stream.batches(tweets, 1000), table,
                                                         save=checkpoint.saver(state)))
        out["monitor_checkpointed"] = {"seconds": round(seconds, 4), "tweets_per_s": round(len(tweets) / seconds),
                                       "state_kb": round(state.stat().st_size / 1024, 1),
                                       "saves": "after each alert or gap, every 5000 tweets, at the end"}
    seconds, _ = best_of(repeat, lambda: monitor.run(stream.batches(stream.read_file(path), 1000), table))
    out["read_and_monitor"] = {"seconds": round(seconds, 4), "tweets_per_s": round(len(tweets) / seconds)}
    return out


def memory(groups: int, days: int, tweets_per_window: int = 6) -> dict:
    """Retained bytes of a monitor fed ``groups`` groups for ``days`` days (half the tweets negative)."""
    gc.collect()
    tracemalloc.start()
    watcher = monitor.BuzzMonitor()
    t0, windows = datetime(2015, 2, 1, tzinfo=UTC), days * RULE.buckets_per_day
    for w in range(windows):
        start = t0 + w * RULE.bucket
        for i in range(tweets_per_window):
            moment = start + timedelta(seconds=i * RULE.bucket.total_seconds() / tweets_per_window)
            for g in range(groups):
                watcher.add(stream.Tweet(moment, f"group-{g}", f"flight {i} late again #delay{g % 7} bag {w % 13}"),
                            i % 2 == 0, 0.8)
    watcher.flush()
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"groups": groups, "days": days, "windows": windows, "retained_mb": round(current / 2**20, 2),
            "per_group_kb": round(current / groups / 1024, 1), "peak_mb": round(peak / 2**20, 2)}


def approach(uri: str) -> str:
    """The registered version's ``approach`` tag (simple, deep...): which model the figures are of."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from airparadis import config
    from airparadis.core.registry import resolve_version

    try:
        version = MlflowClient().get_model_version(config.settings().model_name, str(resolve_version(uri)))
    except (LookupError, MlflowException):
        return ""
    return version.tags.get("approach", "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.buzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="", help="model URI or alias (default: production)")
    parser.add_argument("--input", default=str(ROOT / "data" / "airline_tweets_2015.csv"))
    parser.add_argument("--skip-spark", action="store_true")
    parser.add_argument("--skip-api", action="store_true")
    parser.add_argument("--repeat", type=int, default=5, help="runs of the own-cost measures (the best is kept)")
    parser.add_argument("--output", default=str(RESULT))
    args = parser.parse_args(argv)
    uri = model_uri(args.model)
    tweets = stream.read_file(Path(args.input))
    from airparadis.buzz.scoring import described

    result = {"model": described(uri), "approach": approach(uri),
              "input": Path(args.input).name, "tweets": len(tweets), "rule": RULE.to_dict(),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
              "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}

    start = time.perf_counter()
    scorer = ModelScorer(uri)
    result["in_process"] = {"load_seconds": round(time.perf_counter() - start, 3),
                            **throughput(tweets, scorer, 1000)}
    result["in_process_one_by_one"] = throughput(tweets[:2000], scorer, 1)
    print("in process:", result["in_process"], "| one tweet a call:", result["in_process_one_by_one"], flush=True)
    result["own_cost"] = own_cost(Path(args.input), tweets, scorer, args.repeat)
    print("the monitor's own cost (constant-time scorer):", result["own_cost"], flush=True)

    if not args.skip_api:
        from pyfunc import serving

        port = free_port()
        start = time.perf_counter()
        with serve_process(serving.command("127.0.0.1", port, workers=1), serving.environment(uri), port) as url:
            started = time.perf_counter() - start
            scorer = ApiScorer(PredictionClient(url, 60.0))
            result["api"] = {"start_seconds": round(started, 3), **throughput(tweets, scorer, 1000)}
        print("through the API:", result["api"], flush=True)

    if not args.skip_spark:
        from airparadis.buzz import spark

        start = time.perf_counter()
        session = spark.session("local[2]")
        started = time.perf_counter() - start
        try:
            spark.run(args.input, uri, spark=session)  # warm: the JVM, the UDF workers, the model in them
            start = time.perf_counter()
            found = spark.run(args.input, uri, spark=session)
            seconds = time.perf_counter() - start
        finally:
            session.stop()
        result["spark_local_2"] = {"session_start_seconds": round(started, 3), "seconds": round(seconds, 3),
                                   "tweets_per_s": round(len(tweets) / seconds, 1), "alerts": len(found)}
        print("Spark local[2] (second run):", result["spark_local_2"], flush=True)

    result["memory"] = [memory(g, d) for g in (10, 100, 1000) for d in (2, 8, 32) if g * d <= 8000]
    for row in result["memory"]:
        print("memory:", row, flush=True)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
