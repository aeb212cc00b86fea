"""Configuration of the monitoring side: one settings class, read from the environment when used.

:func:`settings` reads the environment afresh on each call (nothing is read at import time).
``python -m monitoring.mispredictions.service --show-config`` prints every variable, its value (secrets only as
set/unset) and what it does; :func:`rows` gives (variable, default, description) for the README.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from monitoring import env
from monitoring.env import ROOT, ConfigError  # noqa: F401 - part of this module's interface
from pyfunc.names import LOCAL_HOST

LOGGER_NAME = "airparadis.misprediction"  # the Python logger whose records become custom events
STORE_FILE = "reports.sqlite3"
OFFLINE_FOLDER = "appinsights-offline"
BUZZ_STATE_FILE = "buzz-state.pickle"
BUZZ_SPARK_FOLDER = "buzz-spark"  # the Spark streaming job's checkpoint, under the feedback dir
_BOOLEANS = {"1", "0", "true", "false", "yes", "no", "on", "off"}


@dataclass(frozen=True)
class SmtpSettings:
    """Where the embedded evaluator sends its mail (derived from :class:`MonitoringSettings`)."""

    host: str
    port: int
    user: str | None
    password: SecretStr | None  # shown as '**********' in reprs
    starttls: bool
    sender: str
    recipients: tuple[str, ...]
    timeout: float


@dataclass(frozen=True)
class AzureSettings:
    """The Application Insights exporter's settings; exists only with a connection string."""

    connection_string: SecretStr  # a secret: never printed, never logged
    storage_dir: Path
    retry_seconds: int
    retention_hours: int
    connect_timeout: float
    read_timeout: float


class MonitoringSettings(BaseSettings):
    """Every monitoring setting; ``AIRPARADIS_<NAME>`` unless an alias says otherwise."""

    model_config = SettingsConfigDict(env_prefix="AIRPARADIS_", env_ignore_empty=True, validate_by_name=True,
                                      frozen=True)

    connection_string: SecretStr | None = Field(
        None, validation_alias="APPLICATIONINSIGHTS_CONNECTION_STRING",
        description="send reports to Application Insights as well (a secret: never printed)")
    feedback_dir: Path = Field(
        ROOT / "feedback", description="local report store (SQLite) and the exporter's offline folder")
    ai_storage_dir: Path | None = Field(
        None, description=f"exporter's offline storage of unsent batches (unset: <feedback dir>/{OFFLINE_FOLDER})")
    ai_retry_seconds: int = Field(60, ge=0, description="seconds of lease on a stored batch before it may be re-sent")
    ai_retention_hours: int = Field(168, ge=1, description="hours unsent batches are kept on disk")
    ai_connect_timeout: float = Field(5.0, gt=0, description="seconds to connect to Application Insights")
    ai_read_timeout: float = Field(10.0, gt=0, description="seconds to wait for Application Insights' answer")
    local_alerts: Literal["auto"] | bool = Field(
        "auto", description="embedded alert evaluator: auto (on only without a connection string), on or off")
    smtp_host: str = Field(LOCAL_HOST, description="SMTP server of the embedded evaluator")
    smtp_port: int = Field(25, ge=1, le=65535, description="SMTP port")
    smtp_user: str | None = Field(None, description="SMTP login (unset: no login)")
    smtp_password: SecretStr | None = Field(None, description="SMTP password (a secret: never printed)")
    smtp_starttls: bool = Field(False, description="STARTTLS before logging in")
    alert_from: str = Field("airparadis@localhost", description="sender of the alert mail")
    alert_to: Annotated[tuple[str, ...], NoDecode] = Field(
        ("oncall@localhost",), min_length=1, description="recipients of the alert mail, comma-separated")
    smtp_timeout: float = Field(10.0, gt=0, description="seconds to wait for the SMTP server")
    buzz_state: Path | None = Field(
        None, description=f"the bad-buzz monitor state, resumed on restart (unset: <feedback dir>/{BUZZ_STATE_FILE})")

    @field_validator("connection_string", "smtp_user", "smtp_password", mode="before")
    @classmethod
    def _blank_is_unset(cls, value):
        if isinstance(value, str):
            return value.strip() or None
        return value

    @field_validator("local_alerts", mode="before")
    @classmethod
    def _auto_or_boolean(cls, value):
        if isinstance(value, str):
            value = value.strip().lower()
            if value != "auto" and value not in _BOOLEANS:
                raise ValueError("expected auto, on or off (or 1/0, true/false, yes/no)")
        return value

    @field_validator("alert_to", mode="before")
    @classmethod
    def _comma_separated(cls, value):
        if isinstance(value, str):
            value = tuple(r.strip() for r in value.split(",") if r.strip())
            if not value:
                raise ValueError("expected at least one address (a,b,c)")
        return value

    # --- derived values --------------------------------------------------------------------------
    @property
    def store_path(self) -> Path:
        return self.feedback_dir / STORE_FILE

    @property
    def buzz_state_path(self) -> Path:
        return self.buzz_state or self.feedback_dir / BUZZ_STATE_FILE

    @property
    def buzz_spark_checkpoint(self) -> Path:
        return self.feedback_dir / BUZZ_SPARK_FOLDER

    @property
    def azure(self) -> AzureSettings | None:
        """None without a connection string: the embedded default (local store only)."""
        if self.connection_string is None:
            return None
        return AzureSettings(
            connection_string=self.connection_string,
            storage_dir=self.ai_storage_dir or self.feedback_dir / OFFLINE_FOLDER,
            retry_seconds=self.ai_retry_seconds,
            retention_hours=self.ai_retention_hours,
            connect_timeout=self.ai_connect_timeout,
            read_timeout=self.ai_read_timeout,
        )

    @property
    def local_alerts_on(self) -> bool:
        return self.connection_string is None if self.local_alerts == "auto" else bool(self.local_alerts)

    @property
    def smtp(self) -> SmtpSettings:
        return SmtpSettings(host=self.smtp_host, port=self.smtp_port, user=self.smtp_user,
                            password=self.smtp_password, starttls=self.smtp_starttls, sender=self.alert_from,
                            recipients=self.alert_to, timeout=self.smtp_timeout)

    def describe(self) -> str:
        """One line for logs and the UI; shows where reports go, never the connection string."""
        target = "Application Insights + local store" if self.azure else "local store"
        return f"reports -> {target} ({self.store_path})"


def settings(**overrides) -> MonitoringSettings:
    """The settings as the environment says now (``overrides`` by field name win); an invalid
    value raises :class:`ConfigError` naming its variable."""
    return env.read(MonitoringSettings, **overrides)


def rows() -> list[env.Row]:
    """(variable, default, description) of every monitoring setting, for the README table."""
    return env.rows(MonitoringSettings)


def show(cfg: MonitoringSettings) -> str:
    """What ``--show-config`` prints: every setting (secrets as set/unset), then what follows from them."""
    alerts = "on" if cfg.local_alerts_on else "off"
    return (env.show(cfg, "monitoring settings (variable, value, meaning):")
            + f"\n  => {cfg.describe()}; embedded alert mails {alerts}")
