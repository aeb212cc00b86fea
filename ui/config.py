"""Configuration of the front-end: one settings class, read from the environment when used
(command-line options of ``python -m ui.app`` override it).

:func:`settings` reads the environment afresh on each call (nothing is read at import time).
``python -m ui.app --show-config`` prints every variable, its value and what it does; :func:`rows`
gives (variable, default, description) for the README. Where reports go is configured in
:mod:`monitoring.config`. The front-end never imports training code or mlflow: it talks to the
model over HTTP only.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from apiclient.client import PredictionClient
from monitoring import env
from pyfunc.names import API_KEY_ENV, API_PORT, LOCAL_HOST, MAX_BATCH_ROWS, MODEL_NAME, PRODUCTION_ALIAS, UI_PORT


class UiSettings(BaseSettings):
    """Every front-end setting; ``AIRPARADIS_<NAME>`` unless an alias says otherwise."""

    model_config = SettingsConfigDict(env_prefix="AIRPARADIS_", env_ignore_empty=True, validate_by_name=True,
                                      frozen=True, protected_namespaces=())

    api_url: str = Field(f"http://{LOCAL_HOST}:{API_PORT}",
                         description="base URL of the prediction API (/invocations, /ping)")
    api_timeout: float = Field(10.0, gt=0, description="seconds to wait for the API")
    model_name: str = Field(MODEL_NAME, description="model name shown and put in reports when the API does not "
                                                    "tell it")
    model_version: str = Field(PRODUCTION_ALIAS, description="model version (or alias) shown and put in reports "
                                                             "when the API does not tell which one answered")
    host: str = Field(LOCAL_HOST, validation_alias="AIRPARADIS_UI_HOST", description="address the app listens on")
    port: int = Field(UI_PORT, ge=1, le=65535, validation_alias="AIRPARADIS_UI_PORT",
                      description="port the app listens on")
    batch_chunk: int = Field(500, ge=1, le=MAX_BATCH_ROWS,
                             description="tweets per request in the batch tab (at most the API's limit per request)")
    batch_max_rows: int = Field(MAX_BATCH_ROWS, ge=1, description="most tweets in one batch")
    api_key: SecretStr | None = Field(None, validation_alias=API_KEY_ENV,
                                      description="key sent to the prediction API (the smoke check's too; "
                                                  "a secret: never printed)")
    user: str | None = Field(None, validation_alias="AIRPARADIS_UI_USER",
                             description=f"login of the page, required when it listens on another address "
                                         f"than {LOCAL_HOST}")
    password: SecretStr | None = Field(None, validation_alias="AIRPARADIS_UI_PASSWORD",
                                       description="login password of the page (a secret: never printed)")

    @field_validator("api_url", mode="after")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def model_label(self) -> str:
        return f"{self.model_name} (version {self.model_version})"


def settings(**overrides) -> UiSettings:
    """The settings as the environment says now (``overrides`` by field name, e.g. command-line
    options, win); an invalid value raises :class:`monitoring.env.ConfigError` naming its variable."""
    return env.read(UiSettings, **overrides)


def api_client(cfg: UiSettings, timeout: float | None = None, batch_rows: int = MAX_BATCH_ROWS) -> PredictionClient:
    """The prediction API's client as the settings say (URL, timeout unless ``timeout``, key)."""
    return PredictionClient(cfg.api_url, timeout or cfg.api_timeout,
                            cfg.api_key.get_secret_value() if cfg.api_key else None, batch_rows=batch_rows)


def login(cfg: UiSettings) -> tuple[str, str] | None:
    """(user, password) the page asks for when it listens on another address than 127.0.0.1
    (``0.0.0.0`` shares it with the network); None on 127.0.0.1, where only this machine reaches it.
    :class:`monitoring.env.ConfigError` when a login is needed and not configured."""
    if cfg.host == LOCAL_HOST:
        return None
    if not cfg.user or cfg.password is None or not cfg.password.get_secret_value():
        raise env.ConfigError(
            f"the page listens on {cfg.host}, not {LOCAL_HOST}, so it requires a login: set "
            f"{env_var('user')} and {env_var('password')} (or listen on {LOCAL_HOST})")
    return cfg.user, cfg.password.get_secret_value()


def env_var(name: str) -> str:
    """The environment variable of setting ``name``."""
    return env.env_var(UiSettings, name)


def rows() -> list[env.Row]:
    """(variable, default, description) of every front-end setting, for the README table."""
    return env.rows(UiSettings)


def show(cfg: UiSettings) -> str:
    """What ``--show-config`` prints for the front-end."""
    return env.show(cfg, "front-end settings (variable, value, meaning):")
