"""The Spark jobs (local[2], `mlflow.pyfunc.spark_udf` on the registered model) and the
single-machine monitor raise the same alerts on the same tweets, field for field: the batch job
over the file, and the Structured Streaming job over the same tweets arriving as files in a
directory one after another (restarted from its checkpoint half-way)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from airparadis import config

ROOT = Path(__file__).resolve().parents[2]
STREAM = ROOT / "data" / "airline_tweets_2015.csv"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def uri(simple_version) -> str:
    return f"models:/{config.settings().model_name}/{simple_version}"


@pytest.fixture(scope="module")
def single(uri):
    from airparadis.buzz.scoring import ModelScorer
    from monitoring.buzz import monitor, stream

    return monitor.run(stream.batches(stream.read_file(STREAM)), ModelScorer(uri))


@pytest.fixture(scope="module")
def session():
    assert shutil.which("java"), "no Java runtime: run `make test-deps` (apt-get install default-jre-headless)"
    from airparadis.buzz import spark

    session = spark.session("local[2]")
    yield session
    session.stop()


def test_spark_and_the_single_machine_monitor_raise_the_same_alerts(uri, single, session):
    from airparadis.buzz import spark
    from monitoring.buzz import stream

    expected = sorted((a.to_dict() for a in single.alerts), key=lambda a: (a["window_start"], a["group"]))
    found = spark.run(str(STREAM), uri, spark=session)
    counted = spark.read(session, str(STREAM), stream.Columns()).count()
    assert counted == single.tweets == 8968  # Spark read every tweet of the file, multi-line texts included
    assert len(expected) >= 3
    assert found == expected


def arrive(tweets, directory: Path, staging: Path, name: str) -> None:
    """Write ``tweets`` as a JSON-lines file and move it into ``directory`` whole (as a feed drops files)."""
    staging.mkdir(exist_ok=True)
    path = staging / name
    path.write_text("".join(json.dumps({"text": t.text, "tweet_created": t.time.isoformat(), "airline": t.group,
                                        "tweet_id": t.id}) + "\n" for t in tweets), encoding="utf-8")
    path.rename(directory / name)


def test_the_streaming_job_over_arriving_files_raises_the_single_machine_alerts(uri, single, session, tmp_path):
    from airparadis.buzz import spark
    from monitoring.buzz import stream

    tweets = stream.read_file(STREAM)
    directory, staging, checkpoint = tmp_path / "incoming", tmp_path / "staging", tmp_path / "checkpoint"
    directory.mkdir()
    cuts = [0, 1500, 3000, 4500, 6000, 7500, len(tweets)]
    found, gaps = [], []

    def job():
        return spark.StreamingJob(session, str(directory), str(checkpoint), uri, on_alert=found.append,
                                  on_gap=gaps.append)

    running = job()
    for i, (a, b) in enumerate(zip(cuts, cuts[1:], strict=False)):
        arrive(tweets[a:b], directory, staging, f"part-{i:03d}.jsonl")
        running.process_available()
        if i == 2:
            running = job()  # a restart: Spark's checkpoint and the monitor's state carry on
            assert running.monitor.seen == cuts[3]
    running.process_available()  # nothing new: nothing counted twice
    running.finish()
    assert running.monitor.seen == len(tweets) == 8968
    assert [a.to_dict() for a in found] == [a.to_dict() for a in single.alerts]
    assert len(found) >= 3 and gaps == []
