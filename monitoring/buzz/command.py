"""The ``buzz`` command's body: read the stream, score it, watch it, send and write the alerts.

The command (``entrypoints/buzz.py``) chooses the scorer (the prediction API, or the registered
model in process) and hands it here with what to name it in the report. With a ``state`` file the
monitor checkpoints itself there and a restart resumes from it (:mod:`monitoring.buzz.checkpoint`):
no tweet counted twice or lost, no alert sent twice."""

from __future__ import annotations

from pathlib import Path

from monitoring import config as monitoring_config
from monitoring.buzz import checkpoint, stream
from monitoring.buzz import monitor as buzz_monitor
from monitoring.buzz.rule import RULE
from monitoring.buzz.scoring import Scorer
from monitoring.buzz.sinks import JsonLinesSink, notification_sinks


def watch(input: str, alerts: Path | None, columns: stream.Columns, score: Scorer, scored_by: str = "",
          speed: float = 0.0, batch_size: int = 1000, notify: bool = True, report: Path | None = None,
          label_column: str = "", echo=print, state: Path | None = None, fresh: bool = False,
          save_every: int = 5000) -> buzz_monitor.RunSummary:
    monitor = resume(state, fresh, input, echo)
    if input == "-":
        tweets, batch_size = stream.read_lines(stream.stdin_lines(), columns), 1
    else:
        tweets = stream.read_file(Path(input), columns)
    resuming = monitor is not None
    written = JsonLinesSink(alerts, resume=resuming) if alerts else None
    sinks = [written] if written else []
    if notify:
        sinks += notification_sinks(monitoring_config.settings())

    def on_alert(alert):
        echo(f"ALERT {alert.group} {buzz_monitor.iso(alert.window_start)}..{buzz_monitor.iso(alert.window_end)}: "
             f"{alert.negatives} negatives (expected {alert.baseline:.1f}, score {alert.score:.1f}) - "
             f"{alert.about['summary']}")
        for sink in sinks:
            sink(alert)

    def on_gap(gap):
        echo(f"GAP the feed was silent {buzz_monitor.iso(gap.start)}..{buzz_monitor.iso(gap.end)} "
             f"({gap.expected_tweets:.0f} tweets expected): not scored as quiet")
        if written:
            written.gap(gap)

    echo(f"rule: {RULE.describe()}")
    try:
        if monitor is None:
            monitor = buzz_monitor.BuzzMonitor()
            monitor.source = input
        summary = buzz_monitor.run(stream.batches(tweets, batch_size, speed), score, monitor, on_alert=on_alert,
                                   on_gap=on_gap, save=checkpoint.saver(state) if state else None,
                                   save_every=save_every)
    finally:
        for sink in sinks:
            sink.close()
    resumed = f", {summary.skipped} seen before the restart, {summary.monitor.seen} in all" if resuming else ""
    echo(f"{summary.tweets} tweets, {summary.negatives} negative{resumed}, {len(summary.monitor.groups)} groups, "
         f"{len(summary.alerts)} alerts" + (f", {len(summary.gaps)} feed gaps" if summary.gaps else "")
         + (f", {summary.late} late tweets not counted" if summary.late else "")
         + (f" -> {alerts}" if alerts else ""))
    if report:
        from monitoring.buzz import daily

        labels = daily.labelled_negatives(Path(input), columns, label_column) if label_column else None
        written = daily.write(summary.monitor, report, labels, scored_by)
        echo("report: " + ", ".join(str(p) for p in written))
    return summary



def resume(state: Path | None, fresh: bool, input: str, echo=print) -> buzz_monitor.BuzzMonitor | None:
    """The monitor saved in ``state`` by a run on ``input`` that did not finish (None: start afresh)."""
    if state is None:
        return None
    if fresh:
        state.unlink(missing_ok=True)
    monitor = checkpoint.load(state, RULE)
    if monitor is not None and monitor.source != input:
        raise checkpoint.StateError(f"{state} holds an unfinished run on {monitor.source!r}, not {input!r}: "
                                    "resume that one, or pass --fresh or another --state")
    if monitor is not None:
        last = buzz_monitor.iso(monitor.last_time) if monitor.last_time else "-"
        echo(f"resuming from {state}: {monitor.seen} tweets counted up to {last}, "
             f"{len(monitor.alerts)} alerts and {len(monitor.gaps)} feed gaps already sent")
    return monitor


def state_path(option: str) -> Path | None:
    """The ``--state`` option as a path: empty -> the monitoring settings' ``buzz_state_path``,
    ``none`` -> no checkpoint."""
    if option.strip().lower() == "none":
        return None
    return Path(option) if option else monitoring_config.settings().buzz_state_path
