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
DEEP_SAMPLE = 600  # training-file rows: 480 train, 60 validation, 60 test (+ the 359 STS-Test tweets)
DEEP_EPOCHS = 2
# A 2-epoch model on 480 tweets puts many probabilities within 0.01 of its threshold, where the
# quantised TFLite model may flip a label; the probability tolerance stays the production one.
TOY_MIN_AGREEMENT = 0.95




@pytest.fixture(scope="session")
def session_dir() -> Path:
    return _SESSION_DIR


@pytest.fixture(scope="session")
def tracking_uri() -> str:
    return os.environ["MLFLOW_TRACKING_URI"]


@pytest.fixture(scope="session")
def small_splits():
    from airparadis.core import data

    return data.load_splits("bundled", sample=SMALL_SAMPLE)


@pytest.fixture(scope="session")
def simple_version() -> int:
    """A real simple model, trained on the whole bundled sample (one configuration, ~15 s) and
    registered in the session store, so behavioural tests see a real model."""
    from airparadis.training import simple

    return simple.run(source="bundled", sample=None, c_values=[1.0], ngram_values=[2])


@pytest.fixture(scope="session")
def simple_model(simple_version):
    import mlflow.pyfunc

    from airparadis import config

    return mlflow.pyfunc.load_model(f"models:/{config.settings().model_name}/{simple_version}")


@pytest.fixture(scope="session")
def served_simple(simple_version, tracking_uri) -> str:
    """Base URL of a real `mlflow models serve` process answering for the simple model."""
    from airparadis import config

    with mlflow_serve(f"models:/{config.settings().model_name}/{simple_version}", tracking_uri) as url:
        yield url


@pytest.fixture(scope="session")
def transformer_version() -> int:
    """A real transformer (the packaged MiniLM, 4 fine-tuning steps on the small sample), registered."""
    from airparadis.training import transformer

    settings = transformer.Settings(max_steps=4, batch_size=16, max_length=32, eval_every=2)
    return transformer.run(source="bundled", sample=SMALL_SAMPLE, settings=settings)


@pytest.fixture(scope="session")
def deep_splits():
    from airparadis.core import data

    return data.load_splits("bundled", sample=DEEP_SAMPLE)


@pytest.fixture(scope="session")
def deep_sweep():
    """(registered version, comparison table) of the whole grid on a tiny sample."""
    from airparadis.training import deep, sweep

    return sweep.sweep(source="bundled", sample=DEEP_SAMPLE, budget_minutes=30,
                       settings=deep.Settings(epochs=DEEP_EPOCHS), parity_min_agreement=TOY_MIN_AGREEMENT)


@pytest.fixture(scope="session")
def deep_version(deep_sweep) -> int:
    return deep_sweep[0]


@pytest.fixture(scope="session")
def deep_uri(deep_version) -> str:
    from airparadis import config

    return f"models:/{config.settings().model_name}/{deep_version}"


@pytest.fixture(scope="session")
def docker_engine(session_dir):
    """A Docker daemon of the session's own (data root and socket in the session folder, host network
    untouched), its containers removed and the daemon stopped at the end. A machine where it
    cannot start fails the tests that need it, with the reason (``make test-deps`` installs it)."""
    from airparadis.release import engine

    with engine.daemon(session_dir / "docker") as running:
        yield running


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_SESSION_DIR, ignore_errors=True)


def invoke(command, *args: str):
    """Run an entry point's command in process, as its command line would: (exit code, output)."""
    from typer.testing import CliRunner

    from airparadis import cli

    result = CliRunner().invoke(cli.app(command), list(args))
    return result.exit_code, result.output


KINDS = ("unit", "integration", "model", "browser", "infra")  # the folders of tests/, one marker each


def pytest_collection_modifyitems(config, items):
    """Mark each test with its folder's kind: `pytest -m unit` runs the fast unit tests only."""
    for item in items:
        kind = item.path.parent.name
        if kind in KINDS:
            item.add_marker(getattr(pytest.mark, kind))
