"""The bad-buzz monitor as a Spark batch job (``mlflow.pyfunc.spark_udf`` on the production model,
the same rule as ``entrypoints.buzz``): the alerts of a file of tweets."""

from pathlib import Path
from typing import Annotated

import typer

from airparadis import cli
from airparadis.buzz import spark
from airparadis.buzz.scoring import model_uri


def main(
    input: Annotated[str, typer.Option(help="CSV or JSON-lines file of tweets")] = cli.TWEETS,
    stream: cli.Stream = cli.Stream(),
    model: Annotated[str, typer.Option(help="model URI or alias (empty: production)")] = "",
    master: Annotated[str, typer.Option(help="Spark master")] = "local[2]",
) -> None:
    """Print each alert, one JSON object a line."""
    found = spark.run(input, model_uri(model), stream.columns(), master=master)
    for alert in found:
        print(f"ALERT {alert['group']} {alert['window_start']}..{alert['window_end']}: {alert['negatives']} negatives "
              f"(expected {alert['baseline']:.1f}, score {alert['score']:.1f}) - {alert['about']['summary']}")
    print(f"{len(found)} alerts")
    if stream.alerts:
        spark.write(found, Path(stream.alerts))


if __name__ == "__main__":
    cli.run(main)
