"""The comparison of the approaches on the same splits, written to docs/results/."""

from pathlib import Path
from typing import Annotated

import typer

from airparadis import cli
from airparadis.reporting import report, tables
from airparadis.reporting.measures import fmt


def main(
    models: Annotated[str, typer.Option(help="versions to compare, separated by ';' (aliases, numbers, latest, "
                                             "approach:<name>[,<tag>[=<value>]...])")]
    = ";".join(report.DEFAULT_MODELS),
    source: cli.Source = "bundled",
    sample: cli.Sample = None,
    out: Annotated[Path, typer.Option(help="folder for the files")] = report.DEFAULT_OUT,
    single_calls: Annotated[int, typer.Option(parser=cli.whole, help="single-tweet calls timed per model")] = 50,
    batch_rows: Annotated[int, typer.Option(parser=cli.whole, help="tweets in the timed batch call")] = 1000,
    log: Annotated[bool, typer.Option(help="log a report run to MLflow")] = True,
    partial: Annotated[bool, typer.Option(help="when this store lacks some models, write the comparison of those it "
                                               "has over a complete earlier one (default: keep the complete one)")]
    = False,
) -> None:
    """Score every model on the same splits; write comparison.{md,json} and its charts."""
    result = report.run([m.strip() for m in models.split(";") if m.strip()], source, sample, out, single_calls,
                        batch_rows, log, partial)
    if result.get("kept"):
        lacking = "; ".join(item["spec"] for item in result["kept"])
        print(f"This store lacks {lacking}: kept the complete comparison in {out}/comparison.json, measured "
              f"{result['meta']['generated_at']} by `python -m entrypoints.report {result['meta']['command_args']}`; "
              "the documents use it. Train the missing models (README, 'Results and documents') to re-measure "
              "here, or pass --partial to compare only those registered.")
        return
    print(tables.to_table(result["models"]).map(fmt).to_string())
    print(tables.doors_markdown(result["before_after"]))
    print(tables.targets_markdown(result["targets"]))
    for item in result["missing"]:
        print(f"{item['spec']}: {item['why']}")
    print(f"written to {out}/comparison.md, .json and comparison_*.png")


if __name__ == "__main__":
    cli.run(main)
