"""The main pipeline (what `make demo` runs): data -> simple model -> deep model -> promotion gate.

The deep model is trained with its default configuration (the best of the sweep, see
``config.DEEP_DEFAULT_*``); the promotion gate then sees each new version in turn, so the deep
model becomes ``production`` only if it beats the simple one on validation within the budget.

Each step is a nested run of one parent run, so the MLflow UI shows the whole pipeline together.
Steps can be skipped (``--steps``) and each is also its own entry point (`mlflow run . -e <step>`).
"""

from __future__ import annotations

import argparse
import sys
import time

import mlflow

from entrypoints import cli, config, data, tracking

STEPS = ("data", "simple", "deep", "promote")


def run(steps: list[str], source: str = "bundled", sample: int | None = None) -> dict[str, object]:
    """Run the named steps in order; return what each produced (versions, decisions)."""
    from entrypoints import deep, promote, simple

    unknown = set(steps) - set(STEPS)
    if unknown:
        raise ValueError(f"unknown step(s) {sorted(unknown)}; choose from {STEPS}")
    results: dict[str, object] = {}
    candidates: list[int] = []
    with tracking.start_run(run_name="main"):
        mlflow.set_tags({"steps": ",".join(steps), "data_source": source, "data_sample": str(sample)})
        for step in STEPS:
            if step not in steps:
                continue
            start = time.perf_counter()
            print(f"\n=== step {step} ===", flush=True)
            with mlflow.start_run(run_name=step, nested=True):
                mlflow.set_tag("stage", step)
                if step == "data":
                    splits = data.load_splits(source, sample)
                    print(splits.balance().to_string())
                    data.log_datasets(splits)
                elif step == "simple":
                    version = simple.run(source, sample)
                    candidates.append(version)
                    results["simple"] = version
                elif step == "deep":
                    version = deep.run(source, sample)
                    candidates.append(version)
                    results["deep"] = version
                elif step == "promote":
                    results["promote"] = [promote.run(str(v), source=source, sample=sample) for v in candidates]
            mlflow.log_metric(f"{step}_seconds", time.perf_counter() - start)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m entrypoints.main", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default="bundled", help="bundled | full | path to the official zip or CSV")
    parser.add_argument("--sample", type=cli.optional_int, default=None, help="use only N training-file rows")
    parser.add_argument("--steps", type=cli.words, default=list(STEPS),
                        help=f"comma-separated steps to run (default: {','.join(STEPS)})")
    args = parser.parse_args(argv)
    try:
        run(args.steps, args.source, args.sample)
    except (data.DataUnavailable, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"\nDone. `make serve` serves {config.MODEL_NAME}@{config.PRODUCTION_ALIAS}; `make ui` opens MLflow.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
