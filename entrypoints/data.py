"""Data stage: read Sentiment140 (bundled sample, a local file or the official download), split it,
and log the splits as MLflow datasets.

Labels: ``1`` = negative (the class the product exists to catch), ``0`` = not negative.
The official files are headerless, latin-1, six quoted columns; neutral rows (target 2, test file
only) are dropped.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

from entrypoints import cli, config

COLUMNS = ["target", "id", "date", "flag", "user", "text"]
SPLITS = ("train", "validation", "test", "sts_test")


class DataUnavailable(RuntimeError):
    """The requested data cannot be read or fetched; the message says what to do."""


def read_sentiment140(source: str | Path | io.BytesIO) -> pd.DataFrame:
    """Read one file in the official format (also gzip-compressed) into a DataFrame."""
    try:
        df = pd.read_csv(source, header=None, names=COLUMNS, encoding="latin-1", dtype={"text": str})
    except FileNotFoundError as e:
        raise DataUnavailable(f"no such data file: {source}") from e
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as e:
        raise DataUnavailable(f"{source} is not a Sentiment140 file (6 quoted columns): {e}") from e
    if df.shape[1] != len(COLUMNS) or not df["target"].isin([0, 2, 4]).all():
        raise DataUnavailable(f"{source}: expected targets 0/2/4 in the first of 6 columns")
    df["text"] = df["text"].fillna("")
    return df


def to_binary(df: pd.DataFrame) -> pd.DataFrame:
    """Keep positive/negative rows; ``label`` 1 = negative, 0 = not negative."""
    df = df[df["target"].isin([0, 4])]
    return pd.DataFrame({"text": df["text"].to_numpy(), "label": (df["target"] == 0).astype(int).to_numpy()})


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_official(
    url: str = config.OFFICIAL_URL,
    cache_dir: Path = config.CACHE_DIR,
    md5: str = config.OFFICIAL_MD5,
    timeout: float = 30.0,
) -> Path:
    """Download the official zip once (progress bar), verify it and return its cached path.

    Verification: MD5 (when ``md5`` is set), the zip's own CRCs, and both official members.
    A failed or partial download never replaces the cache.
    """
    from tqdm.auto import tqdm

    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / Path(url).name
    if target.exists():
        return target
    partial = target.with_suffix(".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, partial.open("wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=f"download {target.name}") as bar:
                for block in iter(lambda: response.read(1 << 16), b""):
                    out.write(block)
                    bar.update(len(block))
    except (urllib.error.URLError, OSError) as e:
        partial.unlink(missing_ok=True)
        raise DataUnavailable(
            f"could not download {url} ({e}). Without internet, use the bundled sample "
            f"(--source bundled) or a local copy (--source /path/to/trainingandtestdata.zip)."
        ) from e
    if md5 and (got := _md5(partial)) != md5:
        partial.unlink()
        raise DataUnavailable(f"{url}: MD5 {got} does not match the expected {md5}; download refused")
    _check_zip(partial)
    partial.rename(target)
    return target


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as z:
            bad = z.testzip()
            names = set(z.namelist())
    except zipfile.BadZipFile as e:
        raise DataUnavailable(f"{path} is not a valid zip: {e}") from e
    if bad:
        raise DataUnavailable(f"{path}: member {bad} fails its CRC check")
    missing = {config.OFFICIAL_TRAIN_MEMBER, config.OFFICIAL_TEST_MEMBER} - names
    if missing:
        raise DataUnavailable(f"{path} lacks {sorted(missing)}")


def load_raw(source: str = "bundled") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (training file, manual test file) as raw frames.

    ``source``: ``bundled`` (the 70k sample in ``data/``), ``full`` (the official 1.6M download,
    cached), a path to the official zip, or a path to a training CSV (the bundled manual test
    set is used with it).
    """
    if source == "bundled":
        return read_sentiment140(config.BUNDLED_TRAIN), read_sentiment140(config.BUNDLED_TEST)
    path = download_official() if source == "full" else Path(source)
    if path.suffix == ".zip":
        if not path.exists():
            raise DataUnavailable(f"no such data file: {path}")
        _check_zip(path)
        with zipfile.ZipFile(path) as z:
            train = read_sentiment140(io.BytesIO(z.read(config.OFFICIAL_TRAIN_MEMBER)))
            test = read_sentiment140(io.BytesIO(z.read(config.OFFICIAL_TEST_MEMBER)))
        return train, test
    return read_sentiment140(path), read_sentiment140(config.BUNDLED_TEST)


@dataclass
class Splits:
    """Frames with columns ``text`` and ``label``; ``source`` names where they came from."""

    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame
    sts_test: pd.DataFrame
    source: str

    def items(self):
        return [(name, getattr(self, name)) for name in SPLITS]

    def balance(self) -> pd.DataFrame:
        """Rows and share of negatives per split (the report printed and logged)."""
        return pd.DataFrame(
            [{"split": n, "rows": len(d), "negative": int(d.label.sum()), "negative_share": round(d.label.mean(), 4)}
             for n, d in self.items()]
        ).set_index("split")


def load_splits(source: str = "bundled", sample: int | None = None, seed: int = config.SEED) -> Splits:
    """Deterministic stratified train/validation/test split plus the hand-labelled STS-Test.

    ``sample`` keeps a stratified subset of that many training-file rows first (for quick runs
    and tests); STS-Test is always complete.
    """
    raw, manual = load_raw(source)
    data = to_binary(raw).drop_duplicates("text").reset_index(drop=True)
    if sample is not None and sample < len(data):
        data, _ = train_test_split(data, train_size=sample, stratify=data.label, random_state=seed)
    held_out = config.VALIDATION_FRACTION + config.TEST_FRACTION
    train, rest = train_test_split(data, test_size=held_out, stratify=data.label, random_state=seed)
    validation, test = train_test_split(
        rest, test_size=config.TEST_FRACTION / held_out, stratify=rest.label, random_state=seed
    )
    frames = [f.reset_index(drop=True) for f in (train, validation, test)]
    return Splits(*frames, sts_test=to_binary(manual), source=source)


def log_datasets(splits: Splits) -> None:
    """Log every split as an MLflow dataset input of the active run, and the class balance."""
    import warnings

    import mlflow

    source = str(config.BUNDLED_TRAIN) if splits.source == "bundled" else splits.source
    with warnings.catch_warnings():  # MLflow's notes on ambiguous local sources and int columns
        warnings.simplefilter("ignore", UserWarning)
        for name, frame in splits.items():
            dataset = mlflow.data.from_pandas(frame, source=source, name=name, targets="label")
            mlflow.log_input(dataset, context=name)
        mlflow.log_table(splits.balance().reset_index(), "data/class_balance.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m entrypoints.data",
        description="Load Sentiment140, split it and log the splits to MLflow (prints the class balance).",
    )
    parser.add_argument("--source", default="bundled",
                        help="'bundled' (70k sample, offline), 'full' (download the official 1.6M set), "
                             "or a path to the official zip or a training CSV (default: bundled)")
    parser.add_argument("--sample", type=cli.optional_int, default=None,
                        help="keep only N training-file rows (quick runs)")
    parser.add_argument("--no-log", action="store_true", help="print the report only, log nothing to MLflow")
    args = parser.parse_args(argv)
    try:
        splits = load_splits(args.source, args.sample)
    except DataUnavailable as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"Sentiment140 from {args.source!r}; label 1 = negative")
    print(splits.balance().to_string())
    if not args.no_log:
        from entrypoints import tracking

        with tracking.start_run(run_name="data"):
            log_datasets(splits)
    return 0


if __name__ == "__main__":
    sys.exit(main())
