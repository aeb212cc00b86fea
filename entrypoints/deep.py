"""The deep model: Keras on word embeddings, exported to TensorFlow Lite, logged and registered.

One embedding and one architecture train one configuration; several (comma-separated) run the
sweep: every pair on the same splits within --budget-minutes, the best by validation deployed.
"""

from typing import Annotated

import typer

from airparadis import cli, config
from airparadis.training import deep, sweep

DEFAULTS = deep.Settings()


def main(
    splits: cli.Splits = cli.Splits(),
    embedding: Annotated[str, typer.Option(help=f"from {','.join(deep.EMBEDDINGS)}; several: a sweep")]
    = deep.DEFAULT_EMBEDDING,
    architecture: Annotated[str, typer.Option(help=f"from {','.join(deep.ARCHITECTURES)}; several: a sweep")]
    = deep.DEFAULT_ARCHITECTURE,
    budget_minutes: Annotated[float, typer.Option(help="a sweep starts no configuration after this")]
    = deep.SWEEP_BUDGET_MINUTES,
    epochs: Annotated[int, typer.Option(parser=cli.whole, help="most epochs (early stopping may stop sooner)")]
    = DEFAULTS.epochs,
    batch_size: Annotated[int, typer.Option(parser=cli.whole, help="tweets per step")] = DEFAULTS.batch_size,
    patience: Annotated[int, typer.Option(parser=cli.whole, help="epochs without validation improvement")]
    = DEFAULTS.patience,
    learning_rate: Annotated[float, typer.Option(help="Adam learning rate")] = DEFAULTS.learning_rate,
    fine_tune_embedding: Annotated[str, typer.Option(metavar="true|false", help="also train pretrained vectors")]
    = str(DEFAULTS.fine_tune_embedding).lower(),
    seed: Annotated[int, typer.Option(parser=cli.whole, help="random seed of the weights")] = DEFAULTS.seed,
) -> None:
    """Train the deep model (or sweep a grid of them) and register the deployed one (approach=deep)."""
    settings = deep.Settings(epochs=epochs, batch_size=batch_size, patience=patience, learning_rate=learning_rate,
                             fine_tune_embedding=cli.boolean(fine_tune_embedding), seed=seed)
    embeddings, architectures = cli.words(embedding), cli.words(architecture)
    sweep.check_grid(embeddings, architectures)
    if len(embeddings) * len(architectures) == 1:
        version = deep.run(*splits.args(), embeddings[0], architectures[0], settings)
    else:
        version, _ = sweep.sweep(*splits.args(), embeddings, architectures, budget_minutes, settings)
    print(f"deep model registered as {config.settings().model_name} version {version}")


if __name__ == "__main__":
    cli.run(main)
