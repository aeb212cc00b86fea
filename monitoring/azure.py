"""Events to Application Insights through ``azure-monitor-opentelemetry`` (one custom event each).

Each misprediction report becomes one ``customEvents`` row named ``misprediction`` whose custom
dimensions are the report fields; each bad-buzz alert one named ``bad_buzz``. What would reach
hosts other than the ingestion endpoint is off by default (live metrics, statsbeat, customer SDK
stats, the OneSettings control plane, the Azure VM resource detector that calls the instance
metadata service, every auto-instrumentation); tracing and metrics pipelines are not started
(only the logs pipeline carries the events).

Offline storage (what makes "Azure unreachable" lose nothing): when an export fails with a
retryable error (connection refused, timeout, 5xx, 429), the exporter writes the batch as a
``.blob`` file in ``storage_dir`` with a *lease* of ``retry_seconds`` (default 60; the exporter's
``storage_min_retry_interval``). Stored batches are re-sent only after a later export succeeds
(the next report, from this process or any process that uses the same folder) and only once
their lease has expired, up to 10 batches per successful export; they are kept for
``retention_hours``. Tests set ``AIRPARADIS_AI_RETRY_SECONDS=1`` so the lease expires at once.
"""

from __future__ import annotations

import logging
import os
import threading

from monitoring.config import LOGGER_NAME, AzureSettings

log = logging.getLogger(__name__)
CUSTOM_EVENT_ATTRIBUTE = "microsoft.custom_event.name"  # turns a log record into a custom event

# Off unless the operator turns them on: each of these talks to hosts other than the ingestion endpoint.
_QUIET_DEFAULTS = {
    "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true",
    "APPLICATIONINSIGHTS_SDKSTATS_DISABLED": "true",
    "APPLICATIONINSIGHTS_CONTROLPLANE_DISABLED": "true",
    "OTEL_EXPERIMENTAL_RESOURCE_DETECTORS": "azure_app_service",  # env-only; azure_vm would call IMDS
}
_INSTRUMENTATIONS = ("azure_sdk", "django", "fastapi", "flask", "psycopg2", "requests", "urllib", "urllib3",
                     "httpx", "httpx2")
_lock = threading.Lock()
_configured: AzureSettings | None = None


def configure(settings: AzureSettings) -> logging.Logger:
    """Configure the Azure Monitor distro once per process and return the report logger.
    (The distro installs process-wide providers, so a second, different configuration is refused.)"""
    global _configured
    with _lock:
        if _configured is not None:
            if _configured != settings:
                raise RuntimeError("Application Insights is already configured differently in this process")
            return logging.getLogger(LOGGER_NAME)
        for name, value in _QUIET_DEFAULTS.items():
            os.environ.setdefault(name, value)
        from azure.monitor.opentelemetry import configure_azure_monitor

        settings.storage_dir.mkdir(parents=True, exist_ok=True)
        configure_azure_monitor(**distro_options(settings))
        logger = logging.getLogger(LOGGER_NAME)
        logger.setLevel(logging.INFO)
        logger.propagate = False  # tweets go to Azure, not to the console log
        _configured = settings
        log.info("Application Insights reporting on; offline storage in %s", settings.storage_dir)
        return logger


def distro_options(settings: AzureSettings) -> dict:
    """The keyword arguments given to ``configure_azure_monitor`` (exporter options included)."""
    return {
        "connection_string": settings.connection_string.get_secret_value(),
        "logger_name": LOGGER_NAME,
        "disable_tracing": True,
        "disable_metrics": True,
        "enable_live_metrics": False,
        "enable_performance_counters": False,
        "sampling_ratio": 1.0,  # every report: never sampled
        "enable_trace_based_sampling_for_logs": False,
        "instrumentation_options": {name: {"enabled": False} for name in _INSTRUMENTATIONS},
        # exporter options (passed through by the distro)
        "disable_offline_storage": False,
        "storage_directory": str(settings.storage_dir),
        "storage_min_retry_interval": settings.retry_seconds,
        "storage_retention_period": settings.retention_hours * 3600,
        "timeout": settings.connect_timeout,  # the exporter's connection timeout
        "read_timeout": settings.read_timeout,  # the HTTP transport's read timeout
        "retry_total": 0,  # no in-call retries: a failed batch goes to offline storage at once
    }


def send(logger: logging.Logger, event: str, dimensions: dict[str, str]) -> None:
    """Queue one custom event named ``event`` (``misprediction``, ``bad_buzz``) with these custom
    dimensions (exported in the background, or on :func:`flush`)."""
    logger.info(event, extra={CUSTOM_EVENT_ATTRIBUTE: event, **dimensions})


def flush(timeout_millis: int = 30_000) -> bool:
    """Export queued events now (and, once an export succeeds, stored batches whose lease expired)."""
    from opentelemetry._logs import get_logger_provider

    provider = get_logger_provider()
    return bool(provider.force_flush(timeout_millis)) if hasattr(provider, "force_flush") else False
