"""Documents are rendered only from measured figures."""

import json

import pytest

from airparadis import config
from airparadis.reporting import publish
from tests.reading import french_faults, words


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


def test_buzz_alerts_are_named_by_the_kind_of_day_they_were_raised_on(tmp_path):
    """An alert belongs to the local day of its window's end: 2015-02-21T03:00Z is still the 20th in
    UTC-08:00, a quiet day here, so the first alert of a real episode is the second one raised."""
    def alert(group, end, summary):
        return {"group": group, "window_end": end, "negatives": 40, "baseline": 10.0, "about": {"summary": summary}}

    def day(group, d, episode, judged=True):
        return {"group": group, "day": d, "episode": episode, "judged": judged, "alerts": 1}

    buzz = tmp_path / "buzz_alerts.json"
    buzz.write_text(json.dumps({
        "totals": {"utc_offset": "UTC-08:00", "quiet_days_with_alert": 1, "false_alarm_days": ["United 2015-02-20"]},
        "days": [day("United", "2015-02-20", False), day("United", "2015-02-21", True),
                 day("Delta", "2015-02-22", True)],
        "alerts": [alert("United", "2015-02-21T03:00:00Z", "a quiet evening"),
                   alert("United", "2015-02-21T18:00:00Z", "cancelled flights"),
                   alert("Delta", "2015-02-22T18:00:00Z", "late flights")],
    }))
    values = publish.figures(tmp_path / "none.json", tmp_path / "none", buzz)
    assert values["buzz_alerts_alerts_0_about_summary"] == "a quiet evening"  # the raw list is still there
    assert values["buzz_alerts_episode_alerts_0_about_summary"] == "cancelled flights"
    assert values["buzz_alerts_episode_alerts_0_day"] == "2015-02-21"
    assert values["buzz_alerts_episode_alerts_1_group"] == "Delta"
    assert values["buzz_alerts_false_alarms_0_day"] == "2015-02-20"
    assert values["buzz_alerts_false_alarms_0_group"] == "United"
    assert "buzz_alerts_false_alarms_1_group" not in values and "buzz_alerts_episode_alerts_2_group" not in values
    assert values["buzz_alerts_false_alarm_days"] == "United 2015-02-20"  # every quiet day alerted, in one phrase


def test_a_report_without_labels_names_no_episode_alert():
    report = {"totals": {"utc_offset": "UTC"}, "days": [{"group": "all", "day": "2015-02-21", "judged": True}],
              "alerts": [{"group": "all", "window_end": "2015-02-21T18:00:00Z"}]}
    assert publish.alerts_by_day(report) == {"episode_alerts": [], "false_alarms": []}


def test_the_gate_rule_comes_from_the_settings(measured):
    assert measured["gate_promotion_margin_pts"] == f"{100 * config.PROMOTION_MARGIN:g}"
    assert measured["gate_tolerated_loss_pts"] == f"{100 * config.TOLERATED_LOSS:g}"


def test_a_template_is_rendered_in_its_own_language(tmp_path):
    """Dates in words in both languages; decimal commas and narrow spaces in a ``.fr.md`` only."""
    templates = tmp_path / "templates"
    templates.mkdir()
    for lang in ("fr", "en"):
        (templates / f"page.{lang}.md").write_text("$share le $day ; $count tweets.")
    values = {"share": "81.5%", "day": "2015-02-22", "count": "1,120,556"}
    rendered = {publish.language(p): p.read_text(encoding="utf-8").splitlines()[-1]
                for p in publish.render(templates, tmp_path / "out", values)}
    fr, en = rendered["fr"], rendered["en"]
    assert fr == "81,5\u202f% le 22 février 2015 ; 1\u202f120\u202f556 tweets." and french_faults(fr) == []
    assert en == "81.5% le 22 February 2015 ; 1,120,556 tweets."


def test_a_size_in_megabytes_has_one_decimal_and_is_a_fault_with_more(tmp_path):
    """``5.349`` MB reads ``5,3 Mo`` in French; ``5,349 Mo`` (a French reader sees thousands) is a fault."""
    comparison = tmp_path / "comparison.json"
    comparison.write_text(json.dumps({"meta": {}, "models": [{"key": "student", "approach": "deep",
                                                             "model_size_mb": 5.349, "test_accuracy": 0.8125}]}))
    values = publish.figures(comparison=comparison, benchmarks=tmp_path / "none", buzz=tmp_path / "none.json",
                             prices=tmp_path / "none.json")
    assert values["student_model_size_mb"] == "5.3" and values["student_test_accuracy"] == "0.812"
    assert french_faults("pèse 5,349 Mo") == ["5,349 Mo"] and french_faults("pèse 5,3 Mo") == []


@pytest.fixture(scope="module")
def articles(tmp_path_factory) -> dict[str, str]:
    """The article in each language, rendered from its template and the repository's measured figures."""
    templates = tmp_path_factory.mktemp("templates")
    for template in publish.TEMPLATES.glob("blog-article.*.md"):
        (templates / template.name).write_text(template.read_text(encoding="utf-8"), encoding="utf-8")
    written = publish.render(templates, tmp_path_factory.mktemp("out"), publish.figures())
    return {publish.language(p): p.read_text(encoding="utf-8") for p in written}


def test_the_article_exists_in_french_and_in_english(articles):
    assert sorted(articles) == ["en", "fr"]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_each_article_is_about_nine_hundred_words(articles, lang):
    assert 800 <= words(articles[lang]) <= 1000


def test_the_french_article_has_french_typography(articles):
    assert french_faults(articles["fr"]) == []
    assert "février" in articles["fr"] and "February" not in articles["fr"]
