"""Timing a model in process: the latency figures the training stages, the gate and the report log."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


def measure_latency(predict: Callable, texts: list[str], single_calls: int = 50, batch_rows: int = 1000,
                    warmup: int = 3) -> dict[str, float]:
    """In-process latency of ``predict`` (a list of raw texts in): one tweet per call (median and
    95th percentile over ``single_calls`` calls, after ``warmup`` calls), and one call on a batch
    of ``batch_rows`` tweets (``texts`` repeated), in tweets per second. ``batch_rows=0`` skips it."""
    for i in range(warmup):
        predict([texts[i % len(texts)]])
    times = []
    for i in range(single_calls):
        start = time.perf_counter()
        predict([texts[i % len(texts)]])
        times.append((time.perf_counter() - start) * 1000)
    out = {"latency_single_ms_p50": float(np.percentile(times, 50)),
           "latency_single_ms_p95": float(np.percentile(times, 95))}
    if batch_rows:
        batch = [texts[i % len(texts)] for i in range(batch_rows)]
        start = time.perf_counter()
        predict(batch)
        seconds = time.perf_counter() - start
        out.update({"latency_batch_ms": seconds * 1000, "batch_tweets_per_second": batch_rows / seconds})
    return out
