"""The main pipeline: data, simple model, distilled student, promotion gate (what `make demo` runs),
with the airline feedback in the training split by default (the deployed student's)."""

from typing import Annotated

import typer

from airparadis import cli, config, pipeline


def main(source: cli.Source = "bundled", sample: cli.Sample = None, feedback: cli.Feedback = pipeline.MAIN_FEEDBACK,
         steps: Annotated[str, typer.Option(help=f"comma-separated, from {','.join(pipeline.STEPS)}")]
         = ",".join(pipeline.MAIN_STEPS)) -> None:
    """Run the pipeline's steps as nested runs of one MLflow run, chained by the data step's URI."""
    pipeline.run(cli.words(steps), source, sample, cli.sources(feedback))
    print(f"\nDone. `make serve` serves {config.settings().model_name}@{config.PRODUCTION_ALIAS}; "
          "`make ui` opens MLflow.")


if __name__ == "__main__":
    cli.run(main)
