"""The review queries of docs/feedback-loop.md name only fields the misprediction event has, and
Microsoft's Kusto analyser (tools/kusto, `make kusto-deps`) accepts them against Application Insights'
customEvents table."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from monitoring.mispredictions.queries import QUERIES, TABLE
from monitoring.mispredictions.record import FIELDS, MispredictionReport

ROOT = Path(__file__).resolve().parents[2]
KUSTO = ROOT / "tools" / "kusto"
DIMENSION = re.compile(r"customDimensions(?:\.(\w+)|\[[\"'](\w+)[\"']\])")


def dimensions(query: str) -> set[str]:
    return {a or b for a, b in DIMENSION.findall(query)}


def analyse(queries: dict[str, str]) -> dict[str, list[str]]:
    if shutil.which("node") is None or not (KUSTO / "node_modules").is_dir():
        pytest.fail("the Kusto analyser is not installed: run `make kusto-deps` (make test does)")
    done = subprocess.run(["node", "check.js"], cwd=KUSTO, input=json.dumps({"tables": TABLE, "queries": queries}),
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout)


def test_every_field_a_query_names_is_a_field_of_the_event():
    event = MispredictionReport(text="late again", predicted_label="negative", negative_probability=0.2,
                                model_name="m", model_version="1").to_dimensions()
    named = {name: dimensions(q) for name, q in QUERIES.items()}
    assert all(named.values()), "a query reads no field of the report"
    assert {n: f - set(event) for n, f in named.items() if f - set(event)} == {}
    assert set(event) == set(FIELDS)


def test_a_field_the_event_lacks_is_caught():
    assert dimensions('customEvents | extend x = tostring(customDimensions.airline), y = customDimensions["text"]') \
        - set(FIELDS) == {"airline"}


def test_the_document_shows_the_queries_as_they_are():
    text = (ROOT / "docs" / "feedback-loop.md").read_text(encoding="utf-8")
    assert [n for n, q in QUERIES.items() if q not in text] == []


def test_the_kusto_analyser_accepts_every_query():
    assert analyse(QUERIES) == {name: [] for name in QUERIES}


def test_the_kusto_analyser_rejects_a_wrong_query():
    found = analyse({"typo": "customEvents | where nme == 'x'", "syntax": "customEvents | summarize by"})
    assert found["typo"] and found["syntax"]
