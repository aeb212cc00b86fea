"""The alert rule is written once (monitoring/mispredictions/rule.py) and both users follow it: the embedded
evaluator and the Azure scheduled-query rule (infra/alert-rule.json loaded by infra/alerts.bicep)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import timedelta

from monitoring import alert_rule
from monitoring.buzz.rule import BuzzRule
from monitoring.config import ROOT
from monitoring.mispredictions.alerting import Evaluator
from monitoring.mispredictions.rule import RULE, RULE_FILE, AlertRule
from pyfunc.names import MISPREDICTION_EVENT

BICEP = ROOT / "infra" / "alerts.bicep"
EXPECTED_KQL = """customEvents
| where name == "misprediction"
| summarize reports = count()"""


def test_rule_is_three_reports_in_five_minutes():
    assert (RULE.threshold, RULE.window, RULE.event_name) == (3, timedelta(minutes=5), MISPREDICTION_EVENT)
    assert [RULE.fires(n) for n in range(5)] == [False, False, False, True, True]
    assert RULE.kql() == EXPECTED_KQL


def test_kql_follows_the_rule_data():
    other = AlertRule(event_name="other_event", threshold=7, window=timedelta(minutes=15))
    assert 'where name == "other_event"' in other.kql()
    infra = other.to_infra()
    assert (infra["threshold"], infra["windowSize"], infra["muteActionsDuration"]) == (7, "PT15M", "PT15M")


def test_the_rule_window_is_the_only_time_filter():
    """Item 8: the window is the rule's windowSize alone; the query filters no time of its own, so
    a late evaluation still counts every report of its window."""
    for rule in (RULE, AlertRule(window=timedelta(minutes=15))):
        assert not re.search(r"timestamp|ago\(|now\(|between", rule.kql())
        assert rule.to_infra()["windowSize"] == f"PT{int(rule.window.total_seconds() // 60)}M"
    assert not re.search(r"timestamp|ago\(", json.loads(RULE_FILE.read_text())["query"])


def test_generated_file_matches_the_rule():
    data = json.loads(RULE_FILE.read_text())
    assert RULE_FILE.read_text() == RULE.infra_json(), "run: python -m monitoring.mispredictions.rule --write"
    assert data["query"] == RULE.kql() == EXPECTED_KQL
    assert (data["threshold"], data["operator"], data["windowSize"]) == (3, "GreaterThanOrEqual", "PT5M")
    assert data["muteActionsDuration"] == data["windowSize"]  # one notification per window
    check = subprocess.run([sys.executable, "-m", "monitoring.mispredictions.rule", "--check"], capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stderr


def test_both_rules_write_azure_durations_one_way():
    assert [alert_rule.iso_duration(d) for d in (timedelta(minutes=5), timedelta(minutes=90), timedelta(hours=12),
                                                 timedelta(seconds=90), timedelta(days=1))] == \
        ["PT5M", "PT1H30M", "PT12H", "PT1M30S", "P1D"]
    misprediction = AlertRule(window=timedelta(minutes=90)).to_infra()
    buzz = BuzzRule(bucket=timedelta(minutes=30), window=timedelta(minutes=90),
                    cooldown=timedelta(minutes=90)).to_infra()
    assert misprediction["windowSize"] == buzz["muteActionsDuration"] == "PT1H30M"
    assert list(misprediction) == [k for k in buzz if k != "dimension"]  # one shape, the buzz rule per group


def test_check_fails_on_a_drifted_file_and_write_brings_it_back(tmp_path, capsys):
    rule = type("Elsewhere", (AlertRule,), {"FILE": tmp_path / "rule.json", "__doc__": "a test copy"})()
    assert alert_rule.main(rule, ["--check"]) == 1  # no file yet
    assert alert_rule.main(rule, ["--write"]) == 0 and rule.FILE.read_text() == RULE.infra_json()
    assert alert_rule.main(rule, ["--check"]) == 0
    rule.FILE.write_text(RULE.infra_json().replace('"threshold": 3', '"threshold": 4'))
    assert alert_rule.main(rule, ["--check"]) == 1
    assert "is out of date: run python -m monitoring.mispredictions.rule --write" in capsys.readouterr().err


def test_bicep_module_takes_everything_from_the_rule_file():
    text = BICEP.read_text()
    assert "loadJsonContent('alert-rule.json')" in text
    params = set(re.findall(r"^param (\w+) ", text, flags=re.M))
    assert {"appInsightsId", "alertEmail", "alertPhone"} <= params
    header = text.split("@description", 1)[0]
    assert all(f"//   {p}" in header for p in params), "every parameter is documented at the top"
    for key in ("query", "threshold", "operator", "timeAggregation", "metricMeasureColumn", "windowSize",
                "evaluationFrequency", "muteActionsDuration"):
        assert re.search(rf"\b{key}: rule\.{key}\b", text), f"{key} must come from the rule file"
    # no threshold, window or query typed in the module itself
    assert not re.search(r"threshold: \d|windowSize: '|customEvents", text.split("var rule", 1)[1])
    assert "Microsoft.Insights/scheduledQueryRules@" in text and "Microsoft.Insights/actionGroups@" in text
    assert "emailReceivers" in text and "smsReceivers" in text
    assert "scopes: [\n      appInsightsId\n    ]" in text
    assert text.count("{") == text.count("}") and text.count("[") == text.count("]")


def test_evaluator_uses_the_same_rule_object():
    assert Evaluator.__init__.__defaults__[-1] is RULE
