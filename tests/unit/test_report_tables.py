"""The comparison's tables and charts are written from its rows alone: the committed comparison.md is
their render of the committed comparison.json, and every comparison chart keeps the one palette."""

import json

import pytest
from matplotlib.colors import to_hex

from airparadis.reporting import charts, report, tables

RESULTS = report.DEFAULT_OUT


@pytest.fixture(scope="module")
def measured() -> dict:
    return json.loads((RESULTS / "comparison.json").read_text(encoding="utf-8"))


def test_the_committed_comparison_is_the_render_of_its_measured_rows(measured):
    checks = report.targets(measured["models"])
    assert checks == measured["targets"]
    missing = [(m["spec"], m["why"]) for m in measured["missing"]]
    written = tables.to_markdown(measured["models"], missing, measured["meta"], measured["curves"], checks)
    assert written == (RESULTS / "comparison.md").read_text(encoding="utf-8")


def colours(artists) -> list[str]:
    return [to_hex(a.get_color() if hasattr(a, "get_xdata") else a.get_facecolor()).upper() for a in artists]


def test_the_comparison_charts_keep_each_model_in_its_colour_and_the_deployed_one_in_the_accent(measured):
    import matplotlib.pyplot as plt

    rows = measured["models"]
    deployed = next(r["key"] for r in rows if r["production"])
    expected = [(charts.ACCENT if r["key"] == deployed else charts.COLOURS[r["key"]]).upper() for r in rows]
    assert charts.ACCENT in expected and len(set(expected)) == len(rows)  # one colour per model
    cost = charts.comparison_cost(rows)
    assert all(colours(ax.patches) == expected for ax in cost.axes)
    quality = charts.comparison_quality(rows)
    assert all([set(colours(bars)) for bars in ax.containers] == [{c} for c in expected] for ax in quality.axes)
    (name,) = measured["curves"]
    key = next(r["key"] for r in rows if r["name"] == name)
    curves = charts.comparison_curves(rows, measured["curves"])
    assert set(colours(curves.axes[0].lines)) == {charts.COLOURS[key].upper()}
    plt.close("all")
