"""The bad-buzz monitor on Spark (``mlflow.pyfunc.spark_udf`` on the production model, the same
rule and alerts as ``entrypoints.buzz``): ``--input FILE`` as a batch job over one file;
``--input DIRECTORY`` as Structured Streaming over the files arriving there, checkpointed in
``--checkpoint`` (a restart resumes), until stopped or, with ``--until-idle``, until the files there
now are processed (then the stream is closed: its last hour judged)."""

from pathlib import Path
from typing import Annotated

import typer

from airparadis import cli
from airparadis.buzz import spark
from airparadis.buzz.scoring import model_uri
from monitoring import config as monitoring_config
from monitoring.buzz.sinks import JsonLinesSink, notification_sinks


def main(
    input: Annotated[str, typer.Option(help="CSV or JSON-lines file of tweets, or a directory where such "
                                            "files arrive (streaming)")] = cli.TWEETS,
    stream: cli.Stream = cli.Stream(),
    model: Annotated[str, typer.Option(help="model URI or alias (empty: production)")] = "",
    master: Annotated[str, typer.Option(help="Spark master")] = "local[2]",
    checkpoint: Annotated[str, typer.Option(help="streaming: Spark's and the monitor's checkpoint folder "
                                                 "(default: <feedback dir>/buzz-spark)")] = "",
    file_format: Annotated[str, typer.Option(help="streaming: the arriving files' format, json or csv")] = "json",
    until_idle: Annotated[bool, typer.Option("--until-idle", help="streaming: process the files there now, "
                                                                  "close the stream and stop")] = False,
    every: Annotated[float, typer.Option(help="streaming: seconds between micro-batches")] = 60.0,
    notify: Annotated[str, typer.Option(metavar="true|false",
                                        help="streaming: also send alerts to Application Insights or the mail")
                      ] = "true",
) -> None:
    """Print each alert, one JSON object a line."""
    if Path(input).is_dir():
        watch(input, stream, model_uri(model), master, checkpoint, file_format, until_idle, every,
              cli.boolean(notify))
        return
    found = spark.run(input, model_uri(model), stream.columns(), master=master)
    for alert in found:
        print(f"ALERT {alert['group']} {alert['window_start']}..{alert['window_end']}: {alert['negatives']} negatives "
              f"(expected {alert['baseline']:.1f}, score {alert['score']:.1f}) - {alert['about']['summary']}")
    print(f"{len(found)} alerts")
    if stream.alerts:
        spark.write(found, Path(stream.alerts))


def watch(directory: str, stream: cli.Stream, uri: str, master: str, checkpoint: str, file_format: str,
          until_idle: bool, every: float, notify: bool) -> None:
    settings = monitoring_config.settings()
    folder = Path(checkpoint) if checkpoint else settings.buzz_spark_checkpoint
    sinks = [JsonLinesSink(Path(stream.alerts), resume=True)] if stream.alerts else []
    sinks += notification_sinks(settings) if notify else []

    def on_alert(alert):
        print(f"ALERT {alert.group} {alert.to_dict()['window_start']}..{alert.to_dict()['window_end']}: "
              f"{alert.negatives} negatives (expected {alert.baseline:.1f}, score {alert.score:.1f}) - "
              f"{alert.about['summary']}", flush=True)
        for sink in sinks:
            sink(alert)

    def on_gap(gap):
        print(f"GAP the feed was silent {gap.to_dict()['start']}..{gap.to_dict()['end']}", flush=True)
        for sink in sinks[:1]:
            sink.gap(gap)

    session = spark.session(master)
    try:
        job = spark.StreamingJob(session, directory, str(folder), uri, stream.columns(), file_format=file_format,
                                 on_alert=on_alert, on_gap=on_gap)
        if until_idle:
            job.process_available()
            job.finish()
        else:
            job.start(every).awaitTermination()
        print(f"{job.monitor.seen} tweets counted, {len(job.monitor.alerts)} alerts (checkpoint: {folder})")
    finally:
        for sink in sinks:
            sink.close()
        session.stop()


if __name__ == "__main__":
    cli.run(main)
