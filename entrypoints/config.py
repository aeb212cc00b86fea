"""Configuration of the training side, in one place.

Every setting that a user may change comes from an environment variable (see README,
"Configuration"); the rest are the product's fixed decisions, named here once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# --- tracking and registry ---------------------------------------------------------------
TRACKING_URI = os.environ.get("MLFLOW_TRACKING_URI", f"sqlite:///{ROOT / 'mlflow.db'}")
ARTIFACT_ROOT = os.environ.get("AIRPARADIS_ARTIFACT_ROOT", (ROOT / "mlartifacts").as_uri())
EXPERIMENT_NAME = os.environ.get("AIRPARADIS_EXPERIMENT", "air-paradis-sentiment")
MODEL_NAME = os.environ.get("AIRPARADIS_MODEL_NAME", "air-paradis-sentiment")
PRODUCTION_ALIAS = "production"
APPROACHES = ("simple", "deep", "transformer")
APPROACH_TAG = "approach"

# --- data --------------------------------------------------------------------------------
DATA_DIR = ROOT / "data"
BUNDLED_TRAIN = DATA_DIR / "sentiment140_sample.csv.gz"
BUNDLED_TEST = DATA_DIR / "testdata.manual.2009.06.14.csv"
CACHE_DIR = Path(os.environ.get("AIRPARADIS_CACHE", Path.home() / ".cache" / "air-paradis"))
OFFICIAL_URL = "http://cs.stanford.edu/people/alecmgo/trainingandtestdata.zip"
# MD5 of trainingandtestdata.zip as published by the datamaestro dataset catalogue; the zip's
# own CRCs and the row count are checked as well.
OFFICIAL_MD5 = os.environ.get("AIRPARADIS_OFFICIAL_MD5", "1647eb110dd2492512e27b9a70d5d1bc")
OFFICIAL_TRAIN_ROWS = 1_600_000
OFFICIAL_TRAIN_MEMBER = "training.1600000.processed.noemoticon.csv"
OFFICIAL_TEST_MEMBER = "testdata.manual.2009.06.14.csv"
SEED = 42
VALIDATION_FRACTION = 0.10
TEST_FRACTION = 0.10

# --- promotion gate and deployment budget --------------------------------------------------
PROMOTION_METRIC = "f1_negative"  # on the validation set, recomputed for both models
PROMOTION_MARGIN = 0.005  # the candidate must beat production by at least this much


@dataclass(frozen=True)
class DeploymentBudget:
    """What a model must fit to be deployed on the free Azure App Service plan (F1: 1 GB RAM,
    60 CPU-minutes a day, shared cores)."""

    max_model_mb: float = 50.0
    max_p99_ms: float = 100.0  # one tweet, in process, on this 2-core machine
    forbidden_requirements: tuple[str, ...] = ("tensorflow", "torch")  # GB-sized images


BUDGET = DeploymentBudget()

# --- serving -----------------------------------------------------------------------------
SERVE_HOST = os.environ.get("AIRPARADIS_SERVE_HOST", "127.0.0.1")
SERVE_PORT = int(os.environ.get("AIRPARADIS_SERVE_PORT", "5001"))
SERVING_REQUIREMENTS = ROOT / "requirements" / "serving.txt"
