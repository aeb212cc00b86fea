"""The ``buzz`` command's body: read the stream, score it, watch it, send and write the alerts."""

from __future__ import annotations

from pathlib import Path

from monitoring import config as monitoring_config
from monitoring.buzz import monitor as buzz_monitor
from monitoring.buzz import stream
from monitoring.buzz.rule import RULE
from monitoring.buzz.scoring import ApiScorer
from monitoring.buzz.sinks import JsonLinesSink, notification_sinks


def scorer(api_url: str = "", model: str = ""):
    """Through the API when ``api_url`` is given, else the registered model in process."""
    if api_url:
        return ApiScorer(api_url)
    from airparadis.buzz.scoring import ModelScorer, model_uri

    return ModelScorer(model_uri(model))


def scored_by(api_url: str, model: str) -> str:
    """What scored the stream, for the report: the API's URL, or the model URI and its version."""
    if api_url:
        return api_url
    from airparadis.buzz.scoring import described, model_uri

    return described(model_uri(model))


def watch(input: str, alerts: Path | None, columns: stream.Columns, api_url: str = "", model: str = "",
          speed: float = 0.0, batch_size: int = 1000, notify: bool = True, report: Path | None = None,
          label_column: str = "", echo=print) -> buzz_monitor.RunSummary:
    if input == "-":
        tweets, batch_size = stream.read_lines(stream.stdin_lines(), columns), 1
    else:
        tweets = stream.read_file(Path(input), columns)
    score = scorer(api_url, model)
    sinks = [JsonLinesSink(alerts)] if alerts else []
    if notify:
        sinks += notification_sinks(monitoring_config.settings())

    def on_alert(alert):
        echo(f"ALERT {alert.group} {buzz_monitor.iso(alert.window_start)}..{buzz_monitor.iso(alert.window_end)}: "
             f"{alert.negatives} negatives (expected {alert.baseline:.1f}, score {alert.score:.1f}) - "
             f"{alert.about['summary']}")
        for sink in sinks:
            sink(alert)

    echo(f"rule: {RULE.describe()}")
    try:
        summary = buzz_monitor.run(stream.batches(tweets, batch_size, speed), score, on_alert=on_alert)
    finally:
        for sink in sinks:
            sink.close()
    echo(f"{summary.tweets} tweets, {summary.negatives} negative, {len(summary.monitor.groups)} groups, "
         f"{len(summary.alerts)} alerts" + (f", {summary.late} late tweets not counted" if summary.late else "")
         + (f" -> {alerts}" if alerts else ""))
    if report:
        from monitoring.buzz import report as buzz_report

        labels = buzz_report.labelled_negatives(Path(input), columns, label_column) if label_column else None
        written = buzz_report.write(summary.monitor, report, labels, scored_by(api_url, model))
        echo("report: " + ", ".join(str(p) for p in written))
    return summary

