"""Who may import whom (ARCHITECTURE.md), and no import circle, read from the source with the ast module."""

import ast
import sys
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOT_SOURCE = {"mlruns", "mlartifacts", "build", "__pycache__"}  # git-ignored: copies of pyfunc/ inside logged models


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


def modules() -> dict[str, Path]:
    """Every module of the project by its dotted name (``pkg/__init__.py`` is ``pkg``)."""
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if NOT_SOURCE & set(parts) or any(p.startswith(".") for p in parts):
            continue
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def import_graph() -> nx.DiGraph:
    """module -> the project modules it imports, at the top or inside a function; ``from a import b``
    is the module ``a.b`` when there is one, else ``a``; a relative import is resolved from its package."""
    known = modules()
    graph = nx.DiGraph()
    for name, path in known.items():
        graph.add_node(name)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]) if node.level else ""
                module = ".".join(p for p in (base, node.module) if p)
                targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in known else module for a in node.names]
            else:
                continue
            graph.add_edges_from((name, t) for t in targets if t in known)
    return graph


def test_the_import_graph_sees_imports_inside_functions():
    graph = import_graph()
    assert graph.has_edge("pyfunc.serving", "pyfunc.access")  # inside create_app
    assert graph.has_edge("airparadis.core.data", "airparadis.core.tracking")  # inside prepare
    assert graph.has_edge("pyfunc.access", "pyfunc.request_checks")  # from a import name: the module a


def test_no_import_circle_even_through_a_function_level_import():
    assert sorted(nx.simple_cycles(import_graph())) == []
