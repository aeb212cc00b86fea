"""The simple model: TF-IDF + logistic regression, grid-searched, logged and registered."""

from typing import Annotated

import typer

from airparadis import cli, config
from airparadis.training import simple

Floats = Annotated[str, typer.Option(help="comma-separated inverse regularisation grid")]


def main(splits: cli.Splits = cli.Splits(),
         c_values: Floats = ",".join(map(str, simple.C_VALUES)),
         ngram_values: Annotated[str, typer.Option(help="comma-separated largest n-gram grid")]
         = ",".join(map(str, simple.NGRAM_VALUES)),
         min_df: Annotated[int, typer.Option(parser=cli.whole, help="drop tokens seen in fewer tweets")]
         = simple.MIN_DF) -> None:
    """Train the simple model on the data step's splits and register it (approach=simple)."""
    version = simple.run(*splits.args(), cli.floats(c_values), cli.ints(ngram_values), min_df)
    print(f"simple model registered as {config.settings().model_name} version {version}")


if __name__ == "__main__":
    cli.run(main)
