"""The measured figures of the documents in ``docs/`` (image size, load and the container under F1's
limits in ``deploy.md``, the cost of the access checks in ``api.md``), generated from the benchmarks'
JSON files (never typed): each lives between ``<!-- figures:<name>:start ... -->`` and
``<!-- figures:<name>:end -->`` in the document :data:`WHERE` names and is rewritten by
``python -m entrypoints.publish``, like the configuration table. The README holds none of them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from airparadis import config

DOCS = config.ROOT / "docs"
RESULTS = config.ROOT / "benchmarks" / "results"


def _read(name: str) -> dict:
    return json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))


def _largest(measured: dict, n: int = 4) -> str:
    return ", ".join(f"{name} {mb:g}" for name, mb in list(measured["largest_mb"].items())[:n])


def image() -> str:
    """The serving image's Python layer for the deployed kind, the simple model, and full mlflow."""
    rows = []
    for name, what in (("image_size_deep", "the deployed kind (TFLite, `approach=deep`)"),
                       ("image_size_simple", "a simple model (scikit-learn), default slim image"),
                       ("image_size_simple_full_mlflow", "the same with MLflow's full `mlflow` package "
                                                         "(`--full-mlflow`)")):
        m = _read(name)
        rows.append({"what is installed": f"{what}: {', '.join(r.split('==')[0] for r in m['model_requirements'])}",
                     "Python packages": f"{m['python_packages_mb']:g} MB, {m['distributions']} distributions",
                     "largest (MB)": _largest(m), "model files": f"{m['model_mb']:g} MB ({m['model_uri']})",
                     "measured": m.get("measured_at", "-"), "written to": f"`benchmarks/results/{name}.json`"})
    return pd.DataFrame(rows).to_markdown(index=False)


def access() -> str:
    """The added latency of the key and limit checks."""
    m = _read("access_overhead")
    served, local = m["served"], m["in_process"]
    return (f"p50 {served['off']['p50_ms']} ms without the checks, {served['on']['p50_ms']} ms with them "
            f"({served['added_p50_percent']:+g}%; median paired difference {served['median_paired_difference_ms']:+g} "
            f"ms over {served['pairs']:,} pairs), against a target of under 5%; the layer alone, in process, adds "
            f"{local['added_us']:g} µs per request ({m['model']}, {m['measured_at']}).")


def load() -> str:
    """The load runs with 1 and 2 workers, and how busy the machine was during each."""
    rows = []
    for workers in (1, 2):
        m = _read(f"load_w{workers}")
        rows.append({"workers": workers, "requests": f"{m['requests_answered']:,}",
                     "requests/s": m["requests_per_second"], "p50 ms": m["p50_ms"], "p99 ms": m["p99_ms"],
                     "max ms": m["max_ms"], "server peak memory MB": m["server_peak_rss_mb"],
                     "unexpected": m["unexpected"],
                     "sequential reference s (machine load)": m["reference"]["sequential_seconds"],
                     "measured": m["measured_at"]})
    return pd.DataFrame(rows).to_markdown(index=False)


def container() -> str:
    """The serving image built by Docker and run under F1's limits (``benchmarks/container.py``)."""
    m = _read("container")
    c1, c16 = m["latency"]["concurrency_1"], m["latency"]["concurrency_16"]
    rows = [("model in the image", f"{m['model_name']} version {m['model_version']} (`{m['model_uri']}`)"),
            ("limits", f"--memory {m['limits']['memory']} --cpus {m['limits']['cpus']}, "
                       f"{m['limits']['workers']} worker"),
            ("image size", f"{m['image_mb']:g} MB ({m['base_image']})"),
            ("build", f"{m['build_seconds']:g} s"),
            ("cold start (container start to the first 200)", f"{m['cold_start_seconds']:g} s"),
            ("resident memory idle / peak under load", f"{m['rss_idle_mb']:g} / {m['rss_under_load_peak_mb']:g} MB"),
            *((f"concurrency {c['concurrency']}", f"{c['requests_per_second']:g} requests/s, p50 {c['p50_ms']:g} ms, "
               f"p99 {c['p99_ms']:g} ms, {c['errors']} errors of {c['requests']:,}") for c in (c1, c16)),
            ("CPU per 1,000 one-tweet requests (the container's cgroup)", f"{m['cpu_seconds_per_1000_requests']:g} s"),
            ("one-tweet requests a day in F1's 60 CPU-minutes", f"{m['requests_per_day_in_f1_cpu_quota']:,}")]
    return pd.DataFrame(rows, columns=["measure", "value"]).to_markdown(index=False)


BLOCKS: dict[str, Callable[[], str]] = {"image": image, "access": access, "load": load, "container": container}
WHERE: dict[str, Path] = {"image": DOCS / "deploy.md", "access": DOCS / "api.md", "load": DOCS / "deploy.md",
                          "container": DOCS / "deploy.md"}


def markers(name: str) -> tuple[str, str]:
    return (f"<!-- figures:{name}:start (generated by `python -m entrypoints.publish` from benchmarks/results) -->",
            f"<!-- figures:{name}:end -->")


def block(name: str) -> str:
    start, end = markers(name)
    return f"{start}\n{BLOCKS[name]()}\n{end}"


def write_blocks(document: Path, names: Iterable[str]) -> bool:
    """Replace the named generated blocks of one document; return whether it changed."""
    text = new = document.read_text(encoding="utf-8")
    for name in names:
        start, end = markers(name)
        if start not in new:
            raise LookupError(f"{document} has no {start} marker")
        new = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _, n=name: block(n), new, flags=re.S)
    document.write_text(new, encoding="utf-8")
    return new != text


def write() -> bool:
    """Replace every generated block in the document it lives in; return whether any changed."""
    changed = [write_blocks(document, [name for name in BLOCKS if WHERE[name] == document])
               for document in dict.fromkeys(WHERE.values())]
    return any(changed)
