"""The improvement loop: field feedback joins the training split only; retrain; the gate decides."""

from typing import Annotated

import typer

from airparadis import cli, pipeline


def main(
    feedback: cli.Feedback = "airline",
    approach: Annotated[str, typer.Option(help=f"what to retrain: {', '.join(pipeline.TRAINERS)}")] = "distill",
    source: cli.Source = "bundled",
    sample: cli.Sample = None,
) -> None:
    """Add the feedback to the training split (a corrected label replaces the old one), retrain, gate."""
    results = pipeline.retrain(cli.sources(feedback), approach, source, sample)
    decision = results["promote"][0]
    print(f"\nversion {decision.candidate.version}: {'PROMOTED' if decision.promote else 'NOT promoted'}")


if __name__ == "__main__":
    cli.run(main)
