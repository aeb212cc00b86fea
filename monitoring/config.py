"""Configuration of the monitoring side, in one place (environment variables only).

| variable | default | meaning |
| --- | --- | --- |
| ``APPLICATIONINSIGHTS_CONNECTION_STRING`` | unset | send reports to Application Insights (never logged) |
| ``AIRPARADIS_FEEDBACK_DIR`` | ``<repo>/feedback`` | local store (SQLite) and the exporter's offline folder |
| ``AIRPARADIS_AI_STORAGE_DIR`` | ``<feedback dir>/appinsights-offline`` | exporter's offline storage (unsent batches) |
| ``AIRPARADIS_AI_RETRY_SECONDS`` | ``60`` | lease on a stored batch before it may be re-sent |
| ``AIRPARADIS_AI_RETENTION_HOURS`` | ``168`` | how long unsent batches are kept on disk |
| ``AIRPARADIS_AI_CONNECT_TIMEOUT`` / ``AIRPARADIS_AI_READ_TIMEOUT`` | ``5`` / ``10`` | seconds |
| ``AIRPARADIS_LOCAL_ALERTS`` | ``auto`` | embedded evaluator; ``auto`` = only without a connection string |
| ``AIRPARADIS_SMTP_HOST`` / ``_PORT`` | ``127.0.0.1`` / ``25`` | SMTP server for the embedded evaluator |
| ``AIRPARADIS_SMTP_USER`` / ``_PASSWORD`` / ``_STARTTLS`` | unset / unset / ``0`` | SMTP login (optional) |
| ``AIRPARADIS_ALERT_FROM`` / ``_TO`` | ``airparadis@localhost`` / ``oncall@localhost`` | mail (``TO``: a,b,c) |
| ``AIRPARADIS_SMTP_TIMEOUT`` | ``10`` | seconds |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOGGER_NAME = "airparadis.misprediction"  # the Python logger whose records become custom events
STORE_FILE = "reports.sqlite3"


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 25
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    sender: str = "airparadis@localhost"
    recipients: tuple[str, ...] = ("oncall@localhost",)
    timeout: float = 10.0


@dataclass(frozen=True)
class AzureSettings:
    connection_string: str = field(repr=False)  # a secret: never printed, never logged
    storage_dir: Path
    retry_seconds: int = 60
    retention_hours: int = 168
    connect_timeout: float = 5.0
    read_timeout: float = 10.0


@dataclass(frozen=True)
class MonitoringConfig:
    feedback_dir: Path
    azure: AzureSettings | None  # None: the embedded default (local store only)
    local_alerts: bool
    smtp: SmtpSettings

    @property
    def store_path(self) -> Path:
        return self.feedback_dir / STORE_FILE

    def describe(self) -> str:
        """One line for logs and the UI; shows where reports go, never the connection string."""
        target = "Application Insights + local store" if self.azure else "local store"
        return f"reports -> {target} ({self.store_path})"


def smtp_from_env(env=os.environ) -> SmtpSettings:
    recipients = tuple(r.strip() for r in env.get("AIRPARADIS_ALERT_TO", "oncall@localhost").split(",") if r.strip())
    return SmtpSettings(
        host=env.get("AIRPARADIS_SMTP_HOST", "127.0.0.1"),
        port=int(env.get("AIRPARADIS_SMTP_PORT", "25")),
        user=env.get("AIRPARADIS_SMTP_USER") or None,
        password=env.get("AIRPARADIS_SMTP_PASSWORD") or None,
        starttls=_truthy(env.get("AIRPARADIS_SMTP_STARTTLS", "0")),
        sender=env.get("AIRPARADIS_ALERT_FROM", "airparadis@localhost"),
        recipients=recipients,
        timeout=float(env.get("AIRPARADIS_SMTP_TIMEOUT", "10")),
    )


def from_env(env=os.environ) -> MonitoringConfig:
    """Read every monitoring setting from the environment (see the table above)."""
    feedback_dir = Path(env.get("AIRPARADIS_FEEDBACK_DIR", ROOT / "feedback"))
    connection_string = env.get("APPLICATIONINSIGHTS_CONNECTION_STRING", "").strip()
    azure = None
    if connection_string:
        azure = AzureSettings(
            connection_string=connection_string,
            storage_dir=Path(env.get("AIRPARADIS_AI_STORAGE_DIR", feedback_dir / "appinsights-offline")),
            retry_seconds=int(env.get("AIRPARADIS_AI_RETRY_SECONDS", "60")),
            retention_hours=int(env.get("AIRPARADIS_AI_RETENTION_HOURS", "168")),
            connect_timeout=float(env.get("AIRPARADIS_AI_CONNECT_TIMEOUT", "5")),
            read_timeout=float(env.get("AIRPARADIS_AI_READ_TIMEOUT", "10")),
        )
    local_alerts = env.get("AIRPARADIS_LOCAL_ALERTS", "auto").strip().lower()
    return MonitoringConfig(
        feedback_dir=feedback_dir,
        azure=azure,
        local_alerts=(azure is None) if local_alerts == "auto" else _truthy(local_alerts),
        smtp=smtp_from_env(env),
    )
