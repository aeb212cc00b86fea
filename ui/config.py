"""Configuration of the front-end, in one place (environment variables; options override them).

| variable | default | meaning |
| --- | --- | --- |
| ``AIRPARADIS_API_URL`` | ``http://127.0.0.1:5001`` | base URL of the prediction API (``/invocations``, ``/ping``) |
| ``AIRPARADIS_API_TIMEOUT`` | ``10`` | seconds to wait for the API |
| ``AIRPARADIS_MODEL_NAME`` | ``air-paradis-sentiment`` | model name shown and put in reports |
| ``AIRPARADIS_MODEL_VERSION`` | ``production`` | model version (or alias) shown and put in reports |
| ``AIRPARADIS_UI_HOST`` / ``AIRPARADIS_UI_PORT`` | ``127.0.0.1`` / ``7860`` | where the app listens |
| ``AIRPARADIS_BATCH_CHUNK`` | ``500`` | tweets per request in the batch tab |
| ``AIRPARADIS_BATCH_MAX_ROWS`` | ``10000`` | most tweets in one batch |

Where reports go is configured in :mod:`monitoring.config`. The front-end never imports
training code or mlflow: it talks to the model over HTTP only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from pyfunc.names import API_PORT, LOCAL_HOST, MAX_BATCH_ROWS, MODEL_NAME, PRODUCTION_ALIAS, UI_PORT


@dataclass(frozen=True)
class UiConfig:
    api_url: str = f"http://{LOCAL_HOST}:{API_PORT}"
    api_timeout: float = 10.0
    model_name: str = MODEL_NAME
    model_version: str = PRODUCTION_ALIAS
    host: str = LOCAL_HOST
    port: int = UI_PORT
    batch_chunk: int = 500
    batch_max_rows: int = MAX_BATCH_ROWS  # the API's own limit per request

    @property
    def model_label(self) -> str:
        return f"{self.model_name} (version {self.model_version})"


def from_env(env=os.environ) -> UiConfig:
    return UiConfig(
        api_url=env.get("AIRPARADIS_API_URL", UiConfig.api_url).rstrip("/"),
        api_timeout=float(env.get("AIRPARADIS_API_TIMEOUT", UiConfig.api_timeout)),
        model_name=env.get("AIRPARADIS_MODEL_NAME", UiConfig.model_name),
        model_version=env.get("AIRPARADIS_MODEL_VERSION", UiConfig.model_version),
        host=env.get("AIRPARADIS_UI_HOST", UiConfig.host),
        port=int(env.get("AIRPARADIS_UI_PORT", UiConfig.port)),
        batch_chunk=int(env.get("AIRPARADIS_BATCH_CHUNK", UiConfig.batch_chunk)),
        batch_max_rows=int(env.get("AIRPARADIS_BATCH_MAX_ROWS", UiConfig.batch_max_rows)),
    )
