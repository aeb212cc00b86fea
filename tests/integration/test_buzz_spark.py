"""The Spark job (local[2], `mlflow.pyfunc.spark_udf` on the registered model) and the
single-machine monitor raise the same alerts on the same file, field for field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from airparadis import config

ROOT = Path(__file__).resolve().parents[2]
STREAM = ROOT / "data" / "airline_tweets_2015.csv"

pytestmark = pytest.mark.slow


def test_spark_and_the_single_machine_monitor_raise_the_same_alerts(simple_version):
    assert shutil.which("java"), "no Java runtime: run `make test-deps` (apt-get install default-jre-headless)"
    from airparadis.buzz import spark
    from airparadis.buzz.scoring import ModelScorer
    from monitoring.buzz import monitor, stream

    uri = f"models:/{config.settings().model_name}/{simple_version}"
    single = monitor.run(stream.batches(stream.read_file(STREAM)), ModelScorer(uri))
    expected = sorted((a.to_dict() for a in single.alerts), key=lambda a: (a["window_start"], a["group"]))
    session = spark.session("local[2]")
    try:
        found = spark.run(str(STREAM), uri, spark=session)
        counted = spark.read(session, str(STREAM), stream.Columns()).count()
    finally:
        session.stop()
    assert counted == single.tweets == 8968  # Spark read every tweet of the file, multi-line texts included
    assert len(expected) >= 3
    assert found == expected
