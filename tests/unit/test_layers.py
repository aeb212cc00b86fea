"""Who may import whom (ARCHITECTURE.md), read from the source with the ast module."""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported(folder: str) -> dict[str, set[str]]:
    """Top-level project packages/modules each file of ``folder`` imports (also inside functions)."""
    out = {}
    for path in (ROOT / folder).rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        out[str(path.relative_to(ROOT))] = names
    return out


@pytest.mark.parametrize(("folder", "forbidden"), [
    ("pyfunc", ("airparadis", "entrypoints", "monitoring", "ui", "benchmarks")),
    ("airparadis", ("entrypoints", "benchmarks", "tests")),
    ("airparadis/training", ("airparadis.reporting", "airparadis.release")),
    ("airparadis/core", ("airparadis.training", "airparadis.reporting", "airparadis.release")),
    ("ui", ("airparadis", "entrypoints", "mlflow", "pyfunc.contract", "pyfunc.serving")),
    ("monitoring", ("airparadis", "entrypoints", "mlflow", "ui")),
    ("monitoring/buzz", ("monitoring.mispredictions",)),
    ("monitoring/mispredictions", ("monitoring.buzz",)),
])
def test_layers_import_only_downwards(folder, forbidden):
    bad = {f: sorted(n for n in names if n.startswith(forbidden)) for f, names in imported(folder).items()}
    assert {f: n for f, n in bad.items() if n} == {}


def test_what_monitoring_shares_imports_neither_of_its_two_sides():
    top = {f: names for f, names in imported("monitoring").items() if f.count("/") == 1}
    bad = {f: sorted(n for n in names if n.startswith(("monitoring.buzz", "monitoring.mispredictions")))
           for f, names in top.items()}
    assert "monitoring/config.py" in top and {f: n for f, n in bad.items() if n} == {}


def test_the_api_client_imports_requests_and_the_shared_names_only():
    """apiclient/ is what any caller of the API may use: the standard library, requests (and its
    urllib3), and of the project pyfunc.names only."""
    allowed = set(sys.stdlib_module_names) | {"requests", "urllib3", "apiclient"}
    names = set().union(*imported("apiclient").values())
    project = {n for n in names if n.startswith("pyfunc")}
    assert project and all(n.startswith("pyfunc.names") for n in project), project
    assert {n for n in names - project if n.split(".")[0] not in allowed} == set()


def test_the_shared_names_module_uses_the_standard_library_only():
    names = imported("pyfunc")["pyfunc/names.py"]
    assert names == set()
