"""Settings: one declaration each, read when used, and the table of docs/configuration.md generated from them."""

import pytest
from pydantic import ValidationError

from airparadis import config
from airparadis.reporting import settings_table


def test_the_configuration_table_is_the_generated_one():
    document = settings_table.DOCUMENT.read_text(encoding="utf-8")
    assert settings_table.block() in document, "run `python -m entrypoints.publish` to regenerate the table"
    for variable in ("MLFLOW_TRACKING_URI", "AIRPARADIS_API_URL", "APPLICATIONINSIGHTS_CONNECTION_STRING"):
        assert f"`{variable}`" in settings_table.table()


def test_settings_are_read_when_used_not_at_import(monkeypatch):
    monkeypatch.setenv("AIRPARADIS_MODEL_NAME", "another-model")
    monkeypatch.setenv("AIRPARADIS_SERVE_PORT", "6123")
    assert config.settings().model_name == "another-model" and config.settings().serve_port == 6123
    monkeypatch.delenv("AIRPARADIS_MODEL_NAME")
    assert config.settings().model_name == "air-paradis-sentiment"


def test_a_bad_value_names_its_variable(monkeypatch):
    monkeypatch.setenv("AIRPARADIS_SERVE_PORT", "lots")
    with pytest.raises(ValidationError, match="serve_port"):
        config.settings()
