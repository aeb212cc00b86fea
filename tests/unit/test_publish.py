"""Documents are rendered only from measured figures."""

import json

import pytest

from airparadis.reporting import publish


@pytest.fixture
def measured(tmp_path):
    comparison = tmp_path / "comparison.json"
    comparison.write_text(json.dumps({
        "meta": {"generated_at": "2026-11-24 20:00 UTC", "machine": "x86_64, 2 CPU cores"},
        "models": [{"approach": "deep", "version": 3, "sts_test_accuracy": 0.8412, "model_size_mb": 1.234}],
    }))
    bench = tmp_path / "bench"
    bench.mkdir()
    (bench / "serving_latency_deep.json").write_text(json.dumps({"p99_ms": 12.5, "calls": 300}))
    return publish.figures(comparison, bench)


def test_figures_come_from_the_result_files(measured):
    assert measured["deep_sts_test_accuracy"] == "0.841"
    assert measured["deep_sts_test_accuracy_pct"] == "84.1%"
    assert measured["serving_latency_deep_p99_ms"] == "12.5" and measured["serving_latency_deep_calls"] == "300"


def test_templates_render_and_unmeasured_figures_are_refused(measured, tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "ok.md").write_text("Deep: $deep_sts_test_accuracy_pct on STS-Test, "
                                     "p99 ${serving_latency_deep_p99_ms} ms.")
    out = tmp_path / "out"
    out.mkdir()
    (written,) = publish.render(templates, out, measured)
    assert written.read_text().endswith("Deep: 84.1% on STS-Test, p99 12.5 ms.")
    (templates / "bad.md").write_text("BERT reaches $transformer_sts_test_accuracy_pct.")
    with pytest.raises(publish.FiguresMissing, match="bad.md: transformer_sts_test_accuracy_pct"):
        publish.render(templates, out, measured)
