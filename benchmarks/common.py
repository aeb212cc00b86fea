"""Timing helpers shared by the benchmarks (figures in milliseconds)."""

from __future__ import annotations

import time

import numpy as np
from tqdm.auto import tqdm


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1000
    return {"p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95)),
            "p99_ms": float(np.percentile(ms, 99)), "calls": len(ms)}


def timed(call, repeats: int, desc: str) -> dict[str, float]:
    """Call ``call`` once to warm up, then ``repeats`` times; p50/p95/p99 of the wall time."""
    call()
    seconds = []
    for _ in tqdm(range(repeats), desc=desc, leave=False):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    return percentiles(seconds)
