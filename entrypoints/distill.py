"""Distillation: the transformer teaches a TFLite student of the deployed kind (approach=deep)."""

import dataclasses
from typing import Annotated

import typer

from airparadis import cli, config
from airparadis.training import distill


def main(
    splits: cli.Splits = cli.Splits(),
    teacher: Annotated[str, typer.Option(help="the teacher version (alias, number); without one in this store, "
                                              "the soft labels shipped in data/soft_labels/")] = distill.TEACHER,
    alpha: Annotated[float, typer.Option(help="weight of the teacher's probability in a Sentiment140 tweet's "
                                              "target (the label has the rest)")] = distill.ALPHA,
    epochs: Annotated[int, typer.Option(parser=cli.whole, help="most epochs")] = distill.STUDENT.epochs,
    export_soft_labels: Annotated[bool, typer.Option(help="only write data/soft_labels/ from the registered "
                                                          "teacher (every bundled and airline feedback tweet)")]
    = False,
) -> None:
    """Train the student on the teacher's probabilities mixed with the labels; register it."""
    if export_soft_labels:
        print(f"wrote {distill.export_soft_labels(teacher).relative_to(config.ROOT)}")
        return
    if not 0 <= alpha <= 1:
        raise typer.BadParameter(f"--alpha must be in [0, 1], got {alpha}")
    settings = dataclasses.replace(distill.STUDENT, epochs=epochs)
    version = distill.run(*splits.args(), teacher, settings, alpha)
    print(f"student registered as {config.settings().model_name} version {version}")


if __name__ == "__main__":
    cli.run(main)
