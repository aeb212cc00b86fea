"""The serving image's Dockerfile and build context for a registered model (no Docker needed)."""

from pathlib import Path
from typing import Annotated

import typer

from airparadis import cli
from airparadis.release import image


def main(
    model: Annotated[str, typer.Option(help="model URI (default: the production alias)")] = "",
    output: Annotated[Path, typer.Option(help="build context folder, replaced")] = image.DEFAULT_OUTPUT,
    full_mlflow: Annotated[bool, typer.Option(help="install the full mlflow package instead of mlflow-skinny")]
    = False,
) -> None:
    """Generate, harden and check the build context; refuse a model too large for the free plan."""
    manifest = image.generate(model or None, output, slim=not full_mlflow)
    print(f"build context for {manifest.model_uri} in {output} ({manifest.context_mb} MB, "
          f"model {manifest.model_mb} MB, base {manifest.base_image})")
    print(f"build it with: docker build -t {image.IMAGE_NAME} {output}")


if __name__ == "__main__":
    cli.run(main)
