"""Watch a tweet stream for bad buzz: negative tweets per group and window against the group's
own baseline (the rule of ``monitoring/buzz/rule.py``), one ``bad_buzz`` alert per episode. The
command's body is ``monitoring/buzz/command.py``; this chooses the scorer."""

from pathlib import Path
from typing import Annotated

import typer

from airparadis import cli
from monitoring.buzz import command
from pyfunc.names import API_KEY_ENV


def main(
    input: Annotated[str, typer.Option(help="CSV or JSON-lines file replayed in time order; '-': JSON or text "
                                            "lines on standard input")] = cli.TWEETS,
    stream: cli.Stream = cli.Stream(),
    api_url: Annotated[str, typer.Option(help="score through this prediction API (empty: the model in process)")] = "",
    api_key: Annotated[str | None, typer.Option(envvar=API_KEY_ENV, show_default=False,
                                                help="the API's key, when it asks for one (better from the "
                                                     "variable than on the command line)")] = None,
    model: Annotated[str, typer.Option(help="model URI or alias scored in process (empty: production)")] = "",
    speed: Annotated[float, typer.Option(help="replay at N times real time (0: as fast as possible)")] = 0.0,
    batch_size: Annotated[int, typer.Option(parser=cli.whole, help="tweets scored per call")] = 1000,
    notify: Annotated[str, typer.Option(metavar="true|false",
                                        help="also send alerts to Application Insights or the local mail")] = "true",
    report: Annotated[str, typer.Option(help="write alerts per group and day to REPORT.{md,png,json}")] = "",
    label_column: Annotated[str, typer.Option(help="human labels, to judge quiet days in the report")] = "",
    state: Annotated[str, typer.Option(help="checkpoint the monitor here and resume from it after a restart "
                                            "(default: AIRPARADIS_BUZZ_STATE; 'none': no checkpoint)")] = "",
    fresh: Annotated[bool, typer.Option("--fresh", help="discard a saved state and start afresh")] = False,
    save_every: Annotated[int, typer.Option(parser=cli.whole, help="checkpoint at least every N tweets (and "
                                                                   "after each alert)")] = 5000,
) -> None:
    """Print each alert as it is raised and a summary at the end."""
    score, scored_by = scorer(api_url, api_key, model, describe=bool(report))
    command.watch(input, Path(stream.alerts) if stream.alerts else None, stream.columns(), score, scored_by,
                  speed=speed, batch_size=batch_size, notify=cli.boolean(notify),
                  report=Path(report) if report else None, label_column=label_column,
                  state=command.state_path(state), fresh=fresh, save_every=save_every)


def scorer(api_url: str, api_key: str | None, model: str, describe: bool):
    """Through the API (with its key) when ``api_url`` is given, else the registered model in
    process; and what scored, for the report (the API's URL, or the model URI with its version
    when ``describe``)."""
    if api_url:
        from apiclient.client import PredictionClient
        from monitoring.buzz.scoring import ApiScorer

        return ApiScorer(PredictionClient(api_url, timeout=60.0, api_key=api_key)), api_url
    from airparadis.buzz.scoring import ModelScorer, described, model_uri

    uri = model_uri(model)
    return ModelScorer(uri), described(uri) if describe else uri


if __name__ == "__main__":
    cli.run(main)
