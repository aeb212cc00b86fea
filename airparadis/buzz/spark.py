"""The bad-buzz monitor on Spark, as a Structured Streaming job over a directory where tweet files
arrive (:class:`StreamingJob`), or as a batch job over one file (:func:`run`); both score with
``mlflow.pyfunc.spark_udf`` on the production model and raise the single-machine monitor's alerts.

Streaming (``readStream`` of CSV or JSON-lines files with a fixed schema, a ``checkpointLocation``):
the executors parse and score each micro-batch; ``foreachBatch`` brings the scored tweets of the
micro-batch to the driver, in time order (ties: file, then row), and feeds them to the
single-machine :class:`~monitoring.buzz.monitor.BuzzMonitor`, whose state is checkpointed next to
Spark's (``<checkpoint>/buzz-state.pickle``) with the last micro-batch applied: a micro-batch that
Spark replays after a failure is not counted twice, and a restarted job resumes its baselines. The
decisions are sequential per stream (buckets close for all groups as the stream's time passes), so
they run where the micro-batch's order is known; what scales out is the reading and the scoring.

Batch:

* read: CSV (header) or JSON lines; the time parsed and the text cleaned by the monitor's own functions;
* score: ``mlflow.pyfunc.spark_udf`` (the registered model in the executors' Python workers);
* bucket: ``groupBy(group, window(time, rule.bucket))`` counts negatives and tweets per hour;
* decide: per group, :func:`monitoring.buzz.detector.detect` over its buckets (``applyInPandas``:
  a group's buckets are a sequence with a CUSUM and a cool-down, so one group is one task);
* about: per alert, the negative tweets of its window and the term counts of its baseline
  windows' buckets, made into the alert by the monitor's own :func:`monitoring.buzz.monitor.make_alert`.

The alerts are the monitor's, field for field (``tests/integration/test_buzz_spark.py``); the batch
job fills a silent hour with zeros (it reports no feed gap), the streaming job is the monitor.
"""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from pathlib import Path

import pandas as pd

from monitoring.buzz import checkpoint
from monitoring.buzz.about import WindowTerms
from monitoring.buzz.detector import Decision, detect
from monitoring.buzz.monitor import BuzzAlert, BuzzMonitor, FeedGap, make_alert
from monitoring.buzz.rule import RULE, BuzzRule
from monitoring.buzz.stream import DEFAULT_GROUP, Columns, Tweet, text_to_score
from monitoring.times import parse_time
from pyfunc.names import LABEL_NEGATIVE

ROOT = Path(__file__).resolve().parents[2]
DECISIONS = ("group string, start timestamp, negatives long, tweets long, baseline double, score double, "
             "alert boolean, window_negatives long, window_tweets long, window_baseline double, "
             "window_buckets array<timestamp>, needed array<timestamp>")
ALERTS = "group string, window_start timestamp, alert string"


def session(master: str = "local[2]"):
    """A Spark session whose Python workers run this interpreter and import this checkout."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if str(ROOT) not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, paths)])

    return (SparkSession.builder.master(master).appName("air-paradis-bad-buzz")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.driver.memory", "2g")
            .getOrCreate())


def _utc(values: pd.Series) -> list:
    stamps = pd.to_datetime(values)
    stamps = stamps.dt.tz_convert("UTC") if stamps.dt.tz is not None else stamps.dt.tz_localize("UTC")
    return [t.to_pydatetime() for t in stamps]


def _is_json(path: str) -> bool:
    return str(path).lower().endswith((".jsonl", ".json", ".ndjson"))


def _tweets(frame, columns: Columns, streaming: bool = False):
    """group, text (cleaned), time (parsed), id and the row's place (file, row) of raw rows. A
    stream has no row numbers (Spark refuses them there): its rows keep their order within a file,
    each file being read in order by one task, and the micro-batch's stable sort keeps it."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    def column(name):
        return F.col(name).cast("string") if name in frame.columns else F.lit(None).cast("string")

    group = column(columns.group)
    parse = F.udf(lambda s: parse_time(s) if s not in (None, "") else None, T.TimestampType())
    clean = F.udf(text_to_score, T.StringType())
    row = F.lit(0).cast("long") if streaming else F.monotonically_increasing_id()
    return (frame.withColumn("_row", row).withColumn("_file", F.input_file_name())
            .select(F.coalesce(F.when(group != "", group), F.lit(DEFAULT_GROUP)).alias("group"),
                    clean(F.col(columns.text)).alias("text"), parse(F.col(columns.time)).alias("time"),
                    F.coalesce(column(columns.id), F.lit("")).alias("id"), "_file", "_row")
            .where(F.col("text").isNotNull() & F.col("time").isNotNull()))


def read(spark, path: str, columns: Columns):
    if _is_json(path):
        frame = spark.read.json(str(path))
    else:
        frame = spark.read.csv(str(path), header=True, multiLine=True, escape='"', encoding="UTF-8")
    return _tweets(frame, columns)


def read_stream(spark, directory: str, columns: Columns, file_format: str = "json"):
    """The tweets of the files arriving in ``directory`` (``json``: JSON lines; ``csv``: with a
    header row), every column read as text (a fixed schema: a streaming source infers none)."""
    from pyspark.sql import types as T

    names = list(dict.fromkeys([columns.text, columns.time, columns.group, columns.id]))
    schema = T.StructType([T.StructField(name, T.StringType()) for name in names])
    reader = spark.readStream.schema(schema)
    if file_format == "json":
        frame = reader.json(str(directory))
    elif file_format == "csv":
        frame = reader.csv(str(directory), header=True, multiLine=True, escape='"', encoding="UTF-8",
                           enforceSchema=False)
    else:
        raise ValueError(f"unknown file format {file_format!r} (json or csv)")
    return _tweets(frame, columns, streaming=True)


def score(spark, tweets, model_uri: str):
    import mlflow.pyfunc
    from pyspark.sql import functions as F

    udf = mlflow.pyfunc.spark_udf(spark, model_uri, result_type="label string, negative_probability double",
                                  env_manager="local")
    scored = tweets.withColumn("prediction", udf("text"))
    return scored.select("group", "text", "time", "id", "_file", "_row",
                         (F.col("prediction.label") == LABEL_NEGATIVE).alias("negative"),
                         F.col("prediction.negative_probability").alias("probability"))


def _bucket(rule: BuzzRule):
    from pyspark.sql import functions as F

    return F.window("time", f"{int(rule.bucket.total_seconds())} seconds").start


def decisions(scored, rule: BuzzRule = RULE):
    """One row per group and bucket: the detector's decision, and for an alert the buckets of its
    window and every bucket whose negative tweets its 'about' needs."""
    from pyspark.sql import functions as F

    counts = (scored.groupBy("group", _bucket(rule).alias("start"))
              .agg(F.sum(F.col("negative").cast("long")).alias("negatives"), F.count("*").alias("tweets")))

    def decide(frame: pd.DataFrame) -> pd.DataFrame:
        series = list(zip(_utc(frame.start), frame.negatives.astype(int), frame.tweets.astype(int), strict=True))
        rows = []
        for d in detect(series, rule):
            window = [d.window_start(rule) + i * rule.bucket for i in range(rule.window_buckets)]
            needed = sorted(set(window).union(*rule.baseline_windows(window[0]))) if d.alert else []
            rows.append({"group": frame.group.iloc[0], "start": d.start, "negatives": d.negatives,
                         "tweets": d.tweets, "baseline": d.baseline, "score": d.score, "alert": d.alert,
                         "window_negatives": d.window_negatives, "window_tweets": d.window_tweets,
                         "window_baseline": d.window_baseline, "window_buckets": window if d.alert else [],
                         "needed": needed})
        return pd.DataFrame(rows)

    return counts.groupBy("group").applyInPandas(decide, DECISIONS)


def alerts(scored, rule: BuzzRule = RULE):
    """One row per alert: its group, bucket and the alert as JSON (the monitor's fields)."""
    from pyspark.sql import functions as F

    fired = decisions(scored, rule).where("alert")
    wanted = fired.select("group", F.col("start").alias("alert_start"), F.explode("needed").alias("needed"))
    negatives = scored.where("negative").withColumn("needed", _bucket(rule))
    tweets = wanted.join(negatives, ["group", "needed"]).select("group", "alert_start", "needed", "text",
                                                               "probability", "time", "_row")
    keyed = (fired.select("group", F.col("start").alias("alert_start"), "negatives", "tweets", "baseline",
                          "score", "window_negatives", "window_tweets", "window_baseline", "window_buckets")
             .join(tweets, ["group", "alert_start"], "left"))

    def about(frame: pd.DataFrame) -> pd.DataFrame:
        first = frame.iloc[0]
        start = _utc(pd.Series([first.alert_start]))[0]
        window = set(_utc(pd.Series(list(first.window_buckets))))
        rows = frame.dropna(subset=["text"]).copy()
        rows["needed_utc"] = _utc(rows["needed"]) if len(rows) else []
        rows = rows.sort_values(["time", "_row"], kind="stable")
        in_window = [(t, float(p)) for t, p, n in zip(rows.text, rows.probability, rows.needed_utc, strict=True)
                     if n in window]
        texts = defaultdict(list)
        for text, bucket in zip(rows.text, rows.needed_utc, strict=True):
            texts[bucket].append(text)
        terms = {bucket: WindowTerms.of(part) for bucket, part in texts.items()}
        decision = Decision(start, int(first.negatives), int(first.tweets), float(first.baseline), float(first.score),
                            True, True, int(first.window_negatives), int(first.window_tweets),
                            float(first.window_baseline))
        alert = make_alert(rule, first.group, decision, in_window, terms)
        return pd.DataFrame([{"group": first.group, "window_start": alert.window_start,
                              "alert": json.dumps(alert.to_dict(), ensure_ascii=False)}])

    return keyed.groupBy("group", "alert_start").applyInPandas(about, ALERTS)


def run(path: str, model_uri: str, columns: Columns = Columns(), rule: BuzzRule = RULE, spark=None,
        master: str = "local[2]") -> list[dict]:
    """The alerts of a file, sorted by window then group."""
    spark = spark or session(master)
    scored = score(spark, read(spark, path, columns), model_uri).cache()
    found = [json.loads(r.alert) for r in alerts(scored, rule).collect()]
    scored.unpersist()
    return sorted(found, key=lambda a: (a["window_start"], a["group"]))


def write(found: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in found), encoding="utf-8")


STATE_FILE = "buzz-state.pickle"


class StreamingJob:
    """The monitor as a Structured Streaming query over ``directory``, checkpointed in ``checkpoint``
    (Spark's offsets and commits, and the monitor's state). Each :meth:`process_available` runs the
    query until the files there now are processed (``trigger(availableNow=True)``); :meth:`start`
    runs it until stopped; :meth:`finish` ends the stream (closes its last bucket)."""

    def __init__(self, spark, directory: str, checkpoint_dir: str, model_uri: str, columns: Columns = Columns(),
                 rule: BuzzRule = RULE, file_format: str = "json",
                 on_alert=lambda alert: None, on_gap=lambda gap: None):
        self.spark, self.directory, self.checkpoint_dir = spark, str(directory), Path(checkpoint_dir)
        self.model_uri, self.columns, self.rule, self.file_format = model_uri, columns, rule, file_format
        self.on_alert, self.on_gap = on_alert, on_gap
        self.state = self.checkpoint_dir / STATE_FILE
        self.monitor = checkpoint.load(self.state, rule) or BuzzMonitor(rule)

    # --- the query --------------------------------------------------------------------------------
    def _writer(self):
        scored = score(self.spark, read_stream(self.spark, self.directory, self.columns, self.file_format),
                       self.model_uri)
        return (scored.writeStream.foreachBatch(self._apply)
                .option("checkpointLocation", str(self.checkpoint_dir / "spark")))

    def process_available(self) -> None:
        """Process every file in the directory now, then return."""
        self._writer().trigger(availableNow=True).start().awaitTermination()

    def start(self, every_seconds: float = 60.0):
        """Run until the returned query is stopped, a micro-batch every ``every_seconds``."""
        return self._writer().trigger(processingTime=f"{every_seconds:g} seconds").start()

    def finish(self) -> None:
        """The stream ended: close its open bucket (its alerts go out) and save the finished state."""
        self._hand_out(self.monitor.flush(), len(self.monitor.gaps))
        checkpoint.save(self.monitor, self.state)

    # --- one micro-batch ----------------------------------------------------------------------------
    def _apply(self, batch, batch_id: int) -> None:
        """Feed one scored micro-batch to the monitor, in time order; skip one applied before."""
        if batch_id <= self.monitor.batch_id:
            return
        from pyspark.sql import functions as F

        rows = batch.select("time", "group", F.when(F.col("negative"), F.col("text")).otherwise("").alias("text"),
                            "id", "negative", "probability", "_file", "_row").toPandas()
        rows = rows.sort_values(["time", "_file", "_row"], kind="stable")
        alerts, gaps_before = [], len(self.monitor.gaps)
        times = _utc(rows["time"]) if len(rows) else []
        for moment, group, text, ident, negative, probability in zip(
                times, rows["group"], rows["text"], rows["id"], rows["negative"], rows["probability"], strict=True):
            alerts += self.monitor.add(Tweet(moment, group, text, ident), bool(negative), float(probability))
        self._hand_out(alerts, gaps_before)
        self.monitor.batch_id = batch_id
        checkpoint.save(self.monitor, self.state)

    def _hand_out(self, alerts: list[BuzzAlert], gaps_before: int) -> None:
        gaps: list[FeedGap] = self.monitor.gaps[gaps_before:]
        for gap in gaps:
            self.on_gap(gap)
        for alert in alerts:
            self.on_alert(alert)
