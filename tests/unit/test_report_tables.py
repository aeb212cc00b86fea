"""The comparison's tables and charts are written from its rows alone: the committed comparison.md is
their render of the committed comparison.json, and every comparison chart keeps the one palette."""

import json

import pytest
from matplotlib.colors import to_hex

from airparadis import config
from airparadis.reporting import charts, report, tables

RESULTS = report.DEFAULT_OUT


@pytest.fixture(scope="module")
def measured() -> dict:
    return json.loads((RESULTS / "comparison.json").read_text(encoding="utf-8"))


def test_the_committed_comparison_is_the_render_of_its_measured_rows(measured):
    checks = report.targets(measured["models"])
    assert checks == measured["targets"]
    compared = report.before_after(measured["models"])
    assert compared == measured["before_after"]
    missing = [(m["spec"], m["why"]) for m in measured["missing"]]
    written = tables.to_markdown(measured["models"], missing, measured["meta"], measured["curves"], checks, compared)
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


def cells(markdown: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip("|").split("|")] for line in markdown.splitlines()]


def _row(kind: str, feedback: str, version: int, production: bool = False, **figures: float) -> dict:
    return {"kind": kind, "feedback": feedback, "version": version, "production": production,
            "name": f"{kind} (v{version})", "run_id": f"run{version}", **figures}


def test_the_targets_are_the_configured_ones_judged_on_the_production_student_and_the_models_with_feedback():
    rows = [_row("simple", "none", 1, airline_accuracy=0.95), _row("simple", "airline", 2, airline_accuracy=0.80),
            _row("student", "airline", 3, production=True, airline_accuracy=0.84, airline_roc_auc=0.93),
            _row("student", "airline", 4, airline_accuracy=0.99, airline_roc_auc=0.99),
            _row("transformer", "airline", 5, airline_roc_auc=0.95)]
    checks = report.targets(rows)
    assert [c["target"] for c in checks] == [str(t) for t in config.TARGETS]
    above_simple = next(c for c in checks if c["metric"] == "airline_accuracy")
    # the production student (v3), against the simple model WITH the feedback (v2), not the newest student
    assert (above_simple["version"], above_simple["measured"], above_simple["met"]) == (3, 0.84, True)
    assert above_simple["bound"] == pytest.approx(0.83)
    near_teacher = next(c for c in checks if c["metric"] == "airline_roc_auc" and c["target"].endswith("-0.01"))
    assert (near_teacher["bound"], near_teacher["met"]) == (pytest.approx(0.94), False)
    sts = next(c for c in checks if c["model"] == "student" and c["metric"] == "sts_test_accuracy")
    assert (sts["measured"], sts["met"]) == (None, None)  # not measured: neither met nor missed
    assert ["student airline_accuracy >= simple +0.03", "3", "0.8300", "0.8400", "met"] in cells(
        tables.targets_markdown(checks))


def test_the_before_after_table_sets_the_declared_old_figures_beside_the_teacher_and_the_production_model():
    rows = [_row("student", "airline", 3, production=True, airline_accuracy=0.84, airline_f1_negative=0.86,
                 airline_roc_auc=0.91),
            _row("transformer", "airline", 5, airline_roc_auc=0.95, test_accuracy=0.85, test_roc_auc=0.93,
                 sts_test_accuracy=0.86)]
    declared = json.loads(report.BEFORE.read_text(encoding="utf-8"))
    compared = report.before_after(rows)
    assert compared["provenance"] == declared["provenance"]
    assert [r["door"] for r in compared["rows"]] == [r["door"] for r in declared["rows"]]
    teacher, *doors = compared["rows"]
    assert teacher["after"] == "transformer (v5), run run5"
    assert teacher["airline_roc_auc"] == {"before": declared["rows"][0]["airline_roc_auc"], "after": 0.95}
    assert all(d["after"] == "student (v3), run run3" and d["airline_accuracy"]["after"] == 0.84 for d in doors)
    demo = next(c for c in cells(tables.doors_markdown(compared)) if c[0] == "make demo")
    assert "0.7460 → 0.8400" in demo and "student (v3), run run3" in demo
