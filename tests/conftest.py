"""Shared fixtures. The whole session uses one real, throw-away MLflow store (sqlite + local
artifact folder) set up *before* the project's config modules are imported."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

_SESSION_DIR = Path(tempfile.mkdtemp(prefix="airparadis-tests-"))
os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{_SESSION_DIR / 'mlflow.db'}"
os.environ["AIRPARADIS_ARTIFACT_ROOT"] = (_SESSION_DIR / "mlartifacts").as_uri()
os.environ["AIRPARADIS_CACHE"] = str(_SESSION_DIR / "cache")
os.environ["AIRPARADIS_FEEDBACK_DIR"] = str(_SESSION_DIR / "feedback")
os.environ.pop("APPLICATIONINSIGHTS_CONNECTION_STRING", None)
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

from tests.servers import mlflow_serve  # noqa: E402

ARTIFACTS = Path(__file__).parent / "artifacts"  # screenshots and other test outputs (git-ignored)
SMALL_SAMPLE = 3000  # training-file rows for models trained in tests


@pytest.fixture(scope="session")
def session_dir() -> Path:
    return _SESSION_DIR


@pytest.fixture(scope="session")
def tracking_uri() -> str:
    return os.environ["MLFLOW_TRACKING_URI"]


@pytest.fixture(scope="session")
def small_splits():
    from entrypoints import data

    return data.load_splits("bundled", sample=SMALL_SAMPLE)


@pytest.fixture(scope="session")
def simple_version() -> int:
    """A real simple model, trained on the whole bundled sample (one configuration, ~15 s) and
    registered in the session store, so behavioural tests see a real model."""
    from entrypoints import simple

    return simple.run("bundled", sample=None, c_values=[1.0], ngram_values=[2])


@pytest.fixture(scope="session")
def simple_model(simple_version):
    import mlflow.pyfunc

    from entrypoints import config

    return mlflow.pyfunc.load_model(f"models:/{config.MODEL_NAME}/{simple_version}")


@pytest.fixture(scope="session")
def served_simple(simple_version, tracking_uri) -> str:
    """Base URL of a real `mlflow models serve` process answering for the simple model."""
    from entrypoints import config

    with mlflow_serve(f"models:/{config.MODEL_NAME}/{simple_version}", tracking_uri) as url:
        yield url


@pytest.fixture(scope="session")
def transformer_version() -> int:
    """A real transformer (the packaged MiniLM, 4 fine-tuning steps on the small sample), registered."""
    from entrypoints import transformer

    settings = transformer.Settings(max_steps=4, batch_size=16, max_length=32, eval_every=2)
    return transformer.run("bundled", sample=SMALL_SAMPLE, settings=settings)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_SESSION_DIR, ignore_errors=True)
