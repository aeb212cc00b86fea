"""The documents in docs/, rendered from their templates and the measured figures only: the charts,
the Markdown pages, the decks (HTML, PDF, PPTX) and the article's HTML."""

from typing import Annotated

import typer

from airparadis import cli, config
from airparadis.reporting import charts, deep_note, documents, publish, readme_figures, settings_table


def main(
    list_figures: Annotated[bool, typer.Option("--list", help="print every available figure and exit")] = False,
    deep_model: Annotated[str, typer.Option(help="also write docs/deep_model.md from this version's sweep "
                                                 "(empty: skip)")] = "",
) -> None:
    """Render docs/ from docs/templates/; a template naming a figure nobody measured fails."""
    if list_figures:
        for key, value in sorted(publish.figures().items()):
            print(f"${key} = {value}")
        return
    for path in charts.draw(publish.COMPARISON, publish.BUZZ):
        print(f"wrote {path.relative_to(config.ROOT)}")
    for path in publish.render():
        print(f"wrote {path.relative_to(config.ROOT)}")
    for path in documents.build() + documents.previews():
        print(f"wrote {path.relative_to(config.ROOT)}")
    if settings_table.write():
        print("wrote the configuration table of README.md")
    if readme_figures.write():
        print("wrote the measured figures of README.md (image size, access cost, load)")
    if deep_model:
        print(f"wrote {deep_note.write(deep_model).relative_to(config.ROOT)}")


if __name__ == "__main__":
    cli.run(main)
