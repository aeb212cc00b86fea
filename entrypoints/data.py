"""The data step: read Sentiment140 once, split it, log the splits as artifacts and datasets."""

from airparadis import cli
from airparadis.core import data


def main(source: cli.Source = "bundled", sample: cli.Sample = None, feedback: cli.Feedback = "none") -> None:
    """Split the data (or reuse a finished data run with the same parameters) and print its URI."""
    print(f"splits: {data.prepare(source, sample, cli.sources(feedback))}")


if __name__ == "__main__":
    cli.run(main)
