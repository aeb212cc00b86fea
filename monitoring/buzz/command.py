"""The ``buzz`` command's body: read the stream, score it, watch it, send and write the alerts.

The command (``entrypoints/buzz.py``) chooses the scorer (the prediction API, or the registered
model in process) and hands it here with what to name it in the report."""

from __future__ import annotations

from pathlib import Path

from monitoring import config as monitoring_config
from monitoring.buzz import monitor as buzz_monitor
from monitoring.buzz import stream
from monitoring.buzz.rule import RULE
from monitoring.buzz.scoring import Scorer
from monitoring.buzz.sinks import JsonLinesSink, notification_sinks


def watch(input: str, alerts: Path | None, columns: stream.Columns, score: Scorer, scored_by: str = "",
          speed: float = 0.0, batch_size: int = 1000, notify: bool = True, report: Path | None = None,
          label_column: str = "", echo=print) -> buzz_monitor.RunSummary:
    if input == "-":
        tweets, batch_size = stream.read_lines(stream.stdin_lines(), columns), 1
    else:
        tweets = stream.read_file(Path(input), columns)
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
        from monitoring.buzz import daily

        labels = daily.labelled_negatives(Path(input), columns, label_column) if label_column else None
        written = daily.write(summary.monitor, report, labels, scored_by)
        echo("report: " + ", ".join(str(p) for p in written))
    return summary

