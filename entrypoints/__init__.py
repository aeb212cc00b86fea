"""Training-side library of Air Paradis Sentiment: one module per stage, each with a thin CLI.

``python -m entrypoints.<stage> --help`` (or ``mlflow run . -e <stage>``) runs a stage.
"""
