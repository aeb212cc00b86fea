"""Data: read Sentiment140 (bundled sample, a local file or the official download), split it once,
and hand the splits to later steps by MLflow artifact URI.

Labels: ``1`` = negative (the class the product exists to catch), ``0`` = not negative.
The official files are headerless, latin-1, six quoted columns; neutral rows (target 2, test file
only) are dropped.

The data step (:func:`prepare`) reads the raw file once, splits it, writes the splits as Parquet
artifacts of its own run with their MLflow dataset digests (``splits/manifest.json``) and returns
their URI; later steps read them with :func:`read_splits`. A finished data run with the same
parameters and the same code and input file is reused instead of recomputed.
"""

from __future__ import annotations

import io
import json
import tempfile
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

from airparadis import config
from airparadis.core import airline
from airparadis.core.errors import DataUnavailable

COLUMNS = ["target", "id", "date", "flag", "user", "text"]
SPLITS = ("train", "validation", "test", "sts_test", "airline", "airline_feedback", "airline_holdout")
JUDGING = ("validation", "test", "sts_test", "airline", "airline_holdout")  # nothing of these is ever trained on
SPLITS_DIR = "splits"  # artifact folder of the data run
MANIFEST = "manifest.json"
# The splits' columns and their MLflow types, declared: inferred, the integer ``label`` draws MLflow's
# warning that it could not hold a missing value (it never misses one)
SPLIT_COLUMNS = {"text": "string", "label": "long", "feedback": "boolean", "created": "datetime",
                 "airline": "string", "negativereason": "string"}


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


def download_official(url: str = config.OFFICIAL_URL, cache_dir: Path | None = None, md5: str | None = None) -> Path:
    """Download the official zip once (pooch: progress bar, MD5 check, cache) and return its path.

    The zip's own CRCs and both official members are checked too. A failed, partial or
    mismatching download never lands in the cache.
    """
    import pooch
    import requests

    settings = config.settings()
    cache_dir = Path(cache_dir or settings.cache)
    md5 = settings.official_md5 if md5 is None else md5
    name = Path(url).name
    try:
        path = Path(pooch.retrieve(url, known_hash=f"md5:{md5}" if md5 else None, fname=name, path=cache_dir,
                                   progressbar=True))
    except requests.RequestException as e:
        raise DataUnavailable(
            f"could not download {url} ({type(e).__name__}). Without internet, use the bundled sample "
            f"(--source bundled) or a local copy (--source /path/to/trainingandtestdata.zip)."
        ) from e
    except ValueError as e:  # pooch: hash mismatch (the file is deleted)
        raise DataUnavailable(f"{url}: the MD5 does not match the expected {md5}; download refused ({e})") from e
    try:
        check_zip(path)
    except DataUnavailable:
        path.unlink(missing_ok=True)
        raise
    return path


def check_zip(path: Path) -> None:
    """The official zip: readable, CRCs right, both members there."""
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


def source_path(source: str) -> Path:
    """The file behind a source: ``bundled`` (the 70k sample in ``data/``), ``full`` (the official
    1.6M download, cached), or a path to the official zip or a training CSV."""
    if source == "bundled":
        return config.BUNDLED_TRAIN
    path = download_official() if source == "full" else Path(source)
    if not path.exists():
        raise DataUnavailable(f"no such data file: {path}")
    return path


def load_raw(source: str = "bundled") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training file, manual test file) as raw frames; a training CSV comes with the bundled test set."""
    path = source_path(source)
    if path.suffix != ".zip":
        return read_sentiment140(path), read_sentiment140(config.BUNDLED_TEST)
    check_zip(path)
    with zipfile.ZipFile(path) as z:
        return (read_sentiment140(io.BytesIO(z.read(config.OFFICIAL_TRAIN_MEMBER))),
                read_sentiment140(io.BytesIO(z.read(config.OFFICIAL_TEST_MEMBER))))


@dataclass
class Splits:
    """Frames with columns ``text`` and ``label``; ``source`` names where they came from,
    ``digests`` their MLflow dataset digests and ``uri`` the artifact folder they were read from."""

    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame
    sts_test: pd.DataFrame
    airline: pd.DataFrame  # the airline judge slice (see airparadis.core.airline)
    airline_feedback: pd.DataFrame  # airline tweets that may be used for training
    source: str
    digests: dict[str, str] = field(default_factory=dict)
    uri: str | None = None
    feedback_rows: int = 0  # feedback rows added to the training split
    feedback: str = "none"  # their sources (``airline``, exported report files)
    # held-out airline feedback: never trained on; learning curves and the deployed threshold
    airline_holdout: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"text": [], "label": []}))

    def items(self):
        return [(name, getattr(self, name)) for name in SPLITS]

    def balance(self) -> pd.DataFrame:
        """Rows and share of negatives per split (the report printed and logged)."""
        return pd.DataFrame(
            [{"split": n, "rows": len(d), "negative": int(d.label.sum()), "negative_share": round(d.label.mean(), 4)}
             for n, d in self.items()]
        ).set_index("split")

    def datasets(self) -> dict:
        """The splits as MLflow datasets (digests computed once, then reused; schemas declared)."""
        import mlflow.data.pandas_dataset
        from mlflow.types import ColSpec, Schema

        source = str(config.BUNDLED_TRAIN) if self.source == "bundled" else self.source
        sources = {name: str(airline.FILE) for name in ("airline", "airline_feedback", "airline_holdout")}
        out = {}
        with warnings.catch_warnings():  # MLflow's note on ambiguous local sources
            warnings.simplefilter("ignore", UserWarning)
            for name, frame in self.items():
                dataset = mlflow.data.from_pandas(frame, source=sources.get(name, source), name=name, targets="label",
                                                  digest=self.digests.get(name))
                # MLflow infers the schema when the dataset is logged, unless it is already known
                dataset.schema = Schema([ColSpec(SPLIT_COLUMNS[c], c) for c in frame.columns])
                self.digests[name] = dataset.digest
                out[name] = dataset
        return out


def split(raw: pd.DataFrame, manual: pd.DataFrame, source: str, sample: int | None = None,
          seed: int = config.SEED) -> Splits:
    """Deterministic stratified train/validation/test split plus the hand-labelled STS-Test.

    ``sample`` keeps a stratified subset of that many training-file rows first (for quick runs
    and tests); STS-Test is always complete.
    """
    data = to_binary(raw).drop_duplicates("text").reset_index(drop=True)
    if sample is not None and sample < len(data):
        data, _ = train_test_split(data, train_size=sample, stratify=data.label, random_state=seed)
    held_out = config.VALIDATION_FRACTION + config.TEST_FRACTION
    train, rest = train_test_split(data, test_size=held_out, stratify=data.label, random_state=seed)
    validation, test = train_test_split(
        rest, test_size=config.TEST_FRACTION / held_out, stratify=rest.label, random_state=seed
    )
    frames = [f.reset_index(drop=True) for f in (train, validation, test)]
    feedback, judge = airline.split(airline.read())
    trainable, held_out = airline.hold_out(feedback)
    return Splits(*frames, sts_test=to_binary(manual), airline=judge, airline_feedback=trainable, source=source,
                  airline_holdout=held_out)


def add_feedback(splits: Splits, sources: list[str]) -> Splits:
    """Add field feedback to the training split only: ``airline`` (the airline feedback part) and
    exported misprediction reports (``python -m monitoring.mispredictions.export --format labels`` files).

    The rule for corrected labels is the exporter's (:func:`monitoring.mispredictions.export.latest_per_tweet`):
    per tweet, the latest row wins, and it replaces any training row of the same tweet. A feedback
    tweet that also stands in a judging split is dropped: nothing that judges is trained on.
    """
    from monitoring.mispredictions.export import feedback_key, latest_per_tweet

    frames = []
    for source in sources:
        if source == "airline":
            frames.append(splits.airline_feedback.assign(moment=splits.airline_feedback["created"]))
        else:
            frames.append(read_reports(Path(source)))
    if not frames:
        return splits
    rows = pd.concat(frames, ignore_index=True)[["text", "label", "moment"]].to_dict("records")
    latest = pd.DataFrame(latest_per_tweet(rows, lambda r: r["text"], lambda r: r["moment"]))
    judged = {feedback_key(t) for name in JUDGING for t in getattr(splits, name).text}
    latest = latest[[feedback_key(t) not in judged for t in latest.text]]
    keys = set(map(feedback_key, latest.text))
    kept = splits.train[[feedback_key(t) not in keys for t in splits.train.text]].assign(feedback=False)
    splits.train = pd.concat([kept, latest[["text", "label"]].assign(feedback=True)], ignore_index=True)
    splits.feedback_rows, splits.feedback = len(latest), ",".join(sources)
    return splits


def read_reports(path: Path) -> pd.DataFrame:
    """An exported ``labels`` file: text, label (1 = negative), reported_at."""
    try:
        frame = pd.read_csv(path, encoding="utf-8")
    except FileNotFoundError as e:
        raise DataUnavailable(f"no such feedback file: {path} (export it with "
                              "`python -m monitoring.mispredictions.export --format labels`)") from e
    if not {"text", "label", "reported_at"} <= set(frame.columns):
        raise DataUnavailable(f"{path} is not an exported feedback file (text, label, reported_at)")
    return frame.assign(moment=pd.to_datetime(frame["reported_at"], utc=True))


def load_splits(source: str = "bundled", sample: int | None = None, seed: int = config.SEED,
                feedback: list[str] = ()) -> Splits:
    """Read the raw files and split them (no MLflow): for quick looks and tests."""
    return add_feedback(split(*load_raw(source), source=source, sample=sample, seed=seed), list(feedback))


def log_datasets(splits: Splits) -> None:
    """Link the splits to the active run as MLflow dataset inputs (no digest recomputed)."""
    import mlflow

    for name, dataset in splits.datasets().items():
        mlflow.log_input(dataset, context=name)


def log_splits(splits: Splits) -> str:
    """Write the splits as Parquet artifacts of the active run with their digests, link them as
    dataset inputs, log the class balance; return the artifact URI later steps read."""
    import mlflow

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp, SPLITS_DIR)
        folder.mkdir()
        for name, frame in splits.items():
            frame.to_parquet(folder / f"{name}.parquet", index=False)
        splits.datasets()
        manifest = {"source": splits.source, "digests": splits.digests, "feedback_rows": splits.feedback_rows,
                    "feedback": splits.feedback,
                    "rows": {n: len(f) for n, f in splits.items()}}
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2))
        mlflow.log_artifacts(str(folder), SPLITS_DIR)
    log_datasets(splits)
    mlflow.log_table(splits.balance().reset_index(), "data/class_balance.json")
    return f"runs:/{mlflow.active_run().info.run_id}/{SPLITS_DIR}"


def read_splits(uri: str) -> Splits:
    """The splits a data step wrote (``runs:/<id>/splits`` or any artifact URI of that folder)."""
    import mlflow

    try:
        folder = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri))
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError, mlflow.exceptions.MlflowException) as e:
        raise DataUnavailable(f"no splits at {uri} ({str(e).splitlines()[0][:200]}); run the data step first") from e
    frames = {name: pd.read_parquet(folder / f"{name}.parquet") for name in SPLITS}
    return Splits(**frames, source=manifest["source"], digests=dict(manifest["digests"]), uri=uri,
                  feedback_rows=int(manifest.get("feedback_rows", 0)), feedback=manifest.get("feedback", "none"))


def prepare(source: str = "bundled", sample: int | None = None, feedback: list[str] = ()) -> str:
    """The data step: the URI of the splits of ``source`` (``sample`` training-file rows, or all;
    ``feedback`` sources added to the training split only), from a finished data run with the same
    parameters, code and input files, or from a new one (a run named ``data``, nested in the active
    run if there is one)."""
    from airparadis.core import tracking

    feedback = list(feedback)
    params = {"source": source, "sample": "none" if sample is None else str(sample),
              "feedback": ",".join(feedback) or "none"}
    inputs = [Path(__file__), Path(airline.__file__), Path(config.__file__), source_path(source),
              config.BUNDLED_TEST, airline.FILE, *(Path(f) for f in feedback if f != "airline")]
    with tracking.step("data", params, tracking.code_version(*inputs)) as (run, reused):
        if reused:
            print(f"data: reusing the splits of finished run {run.info.run_id}")
            return f"runs:/{run.info.run_id}/{SPLITS_DIR}"
        splits = add_feedback(split(*load_raw(source), source=source, sample=sample), feedback)
        print(f"Sentiment140 from {source!r} + {splits.feedback_rows} feedback rows in train; label 1 = negative")
        print(splits.balance().to_string())
        return log_splits(splits)
