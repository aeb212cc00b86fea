"""The Application Insights (KQL) queries of the weekly review of "wrong prediction" reports.

Each report is one custom event named :data:`pyfunc.names.MISPREDICTION_EVENT` in the ``customEvents``
table, its fields (:data:`monitoring.mispredictions.record.FIELDS`) in ``customDimensions`` as strings.
``docs/feedback-loop.md`` shows these queries as they are here (pin each one in the Application
Insights workbook "Wrong predictions"); ``tests/unit/test_feedback_queries.py`` checks that every field
a query names is a field of the report, that the document holds them verbatim, and that Microsoft's
Kusto analyser accepts each against the ``customEvents`` schema. ``python -m monitoring.mispredictions.queries``
prints them.
"""

from __future__ import annotations

from pyfunc.names import MISPREDICTION_EVENT

REPORTS = f'customEvents\n| where name == "{MISPREDICTION_EVENT}"'
# the columns of Application Insights' customEvents table the queries use, with their Kusto types
TABLE = {"customEvents": {"timestamp": "datetime", "name": "string", "customDimensions": "dynamic"}}

QUERIES = {
    # the trend: are reports rising, and since which model version?
    "reports_per_day": REPORTS + """
| extend model_version = tostring(customDimensions.model_version)
| summarize reports = count() by day = bin(timestamp, 1d), model_version
| order by day asc""",
    # which way the model errs: missed complaints (said "not negative") or false complaints
    "direction_per_week": REPORTS + """
| extend predicted_label = tostring(customDimensions.predicted_label)
| summarize reports = count() by week = startofweek(timestamp), predicted_label
| order by week asc""",
    # the error themes: the words that recur in reported tweets this week
    "themes_this_week": REPORTS + """
| where timestamp > ago(7d)
| extend words = extract_all(@"([a-z']{4,})", tolower(tostring(customDimensions.text)))
| mv-expand word = words to typeof(string)
| summarize reports = count() by word, predicted_label = tostring(customDimensions.predicted_label)
| top 20 by reports""",
    # the confident mistakes first: the most useful to relabel
    "to_review": REPORTS + """
| where timestamp > ago(7d)
| extend probability = todouble(customDimensions.negative_probability)
| extend confidence = abs(probability - 0.5)
| project reported_at = todatetime(customDimensions.reported_at), text = tostring(customDimensions.text),
    predicted_label = tostring(customDimensions.predicted_label), probability,
    model_version = tostring(customDimensions.model_version), source = tostring(customDimensions.source), confidence
| order by confidence desc""",
    # where the reports come from (the web page, the command line) and for which model
    "by_source_and_model": REPORTS + """
| summarize reports = count(), first_report = min(timestamp), last_report = max(timestamp)
    by source = tostring(customDimensions.source), model_name = tostring(customDimensions.model_name)""",
}


if __name__ == "__main__":
    for name, query in QUERIES.items():
        print(f"// {name}\n{query}\n")
