"""The monitoring settings: read from the environment when used, validated with messages that
name the variable, listed by ``--show-config`` without ever showing a secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitoring import config
from monitoring.config import ROOT, ConfigError

SECRET_CONNECTION = "InstrumentationKey=0f1e2d3c-secret-key;IngestionEndpoint=http://127.0.0.1:9"
SECRET_PASSWORD = "pw-Zq81-never-print-me"
# every variable the monitoring side has read so far: the names are an interface (deployments set them)
VARIABLES = [
    "APPLICATIONINSIGHTS_CONNECTION_STRING", "AIRPARADIS_FEEDBACK_DIR", "AIRPARADIS_AI_STORAGE_DIR",
    "AIRPARADIS_AI_RETRY_SECONDS", "AIRPARADIS_AI_RETENTION_HOURS", "AIRPARADIS_AI_CONNECT_TIMEOUT",
    "AIRPARADIS_AI_READ_TIMEOUT", "AIRPARADIS_LOCAL_ALERTS", "AIRPARADIS_SMTP_HOST", "AIRPARADIS_SMTP_PORT",
    "AIRPARADIS_SMTP_USER", "AIRPARADIS_SMTP_PASSWORD", "AIRPARADIS_SMTP_STARTTLS", "AIRPARADIS_ALERT_FROM",
    "AIRPARADIS_ALERT_TO", "AIRPARADIS_SMTP_TIMEOUT", "AIRPARADIS_BUZZ_STATE",
]


@pytest.fixture
def clean_env(monkeypatch):
    """No monitoring variable set, whatever the developer's shell holds."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_every_variable_keeps_its_name_and_has_a_description():
    rows = config.rows()
    assert [r.variable for r in rows] == VARIABLES
    assert all(r.description for r in rows)
    defaults = {r.variable: r.default for r in rows}
    assert defaults["AIRPARADIS_FEEDBACK_DIR"] == "./feedback"
    assert (defaults["AIRPARADIS_SMTP_PORT"], defaults["AIRPARADIS_LOCAL_ALERTS"]) == ("25", "auto")
    assert defaults["APPLICATIONINSIGHTS_CONNECTION_STRING"] == defaults["AIRPARADIS_SMTP_PASSWORD"] == "unset"


def test_defaults_without_any_variable(clean_env):
    cfg = config.settings()
    assert cfg.feedback_dir == ROOT / "feedback" and cfg.store_path == ROOT / "feedback" / "reports.sqlite3"
    assert cfg.buzz_state_path == ROOT / "feedback" / "buzz-state.pickle"
    assert cfg.azure is None and cfg.local_alerts_on  # auto: local alerts without Azure
    smtp = cfg.smtp
    assert (smtp.host, smtp.port, smtp.user, smtp.password, smtp.starttls) == ("127.0.0.1", 25, None, None, False)
    assert (smtp.sender, smtp.recipients, smtp.timeout) == ("airparadis@localhost", ("oncall@localhost",), 10.0)


def test_a_variable_changes_what_a_fresh_read_sees(clean_env, tmp_path):
    before = config.settings()
    clean_env.setenv("AIRPARADIS_SMTP_PORT", "2525")
    clean_env.setenv("AIRPARADIS_FEEDBACK_DIR", str(tmp_path))
    clean_env.setenv("AIRPARADIS_ALERT_TO", " a@x.test, b@x.test ,,")
    clean_env.setenv("AIRPARADIS_SMTP_STARTTLS", "yes")
    after = config.settings()
    assert before.smtp.port == 25 and before.feedback_dir == ROOT / "feedback"  # an earlier read is not changed
    assert after.smtp.port == 2525 and after.store_path == tmp_path / "reports.sqlite3"
    assert after.smtp.recipients == ("a@x.test", "b@x.test") and after.smtp.starttls is True


def test_azure_exists_only_with_a_connection_string_and_turns_local_alerts_off(clean_env, tmp_path):
    clean_env.setenv("AIRPARADIS_FEEDBACK_DIR", str(tmp_path))
    clean_env.setenv("APPLICATIONINSIGHTS_CONNECTION_STRING", "   ")  # blank: unset, as before
    assert config.settings().azure is None
    clean_env.setenv("APPLICATIONINSIGHTS_CONNECTION_STRING", f"  {SECRET_CONNECTION} ")
    clean_env.setenv("AIRPARADIS_AI_RETRY_SECONDS", "7")
    cfg = config.settings()
    assert cfg.azure.connection_string.get_secret_value() == SECRET_CONNECTION  # stripped
    assert cfg.azure.storage_dir == tmp_path / "appinsights-offline" and cfg.azure.retry_seconds == 7
    assert not cfg.local_alerts_on  # auto: Azure's own alert rule does the job
    clean_env.setenv("AIRPARADIS_AI_STORAGE_DIR", str(tmp_path / "elsewhere"))
    clean_env.setenv("AIRPARADIS_LOCAL_ALERTS", " ON ")
    cfg = config.settings()
    assert cfg.azure.storage_dir == tmp_path / "elsewhere" and cfg.local_alerts_on
    clean_env.delenv("APPLICATIONINSIGHTS_CONNECTION_STRING")
    clean_env.setenv("AIRPARADIS_LOCAL_ALERTS", "0")
    assert config.settings().local_alerts_on is False


def test_secrets_stay_out_of_reprs(clean_env):
    clean_env.setenv("APPLICATIONINSIGHTS_CONNECTION_STRING", SECRET_CONNECTION)
    clean_env.setenv("AIRPARADIS_SMTP_PASSWORD", SECRET_PASSWORD)
    cfg = config.settings()
    shown = repr(cfg) + str(cfg) + repr(cfg.azure) + repr(cfg.smtp) + cfg.describe() + config.show(cfg)
    assert SECRET_CONNECTION not in shown and SECRET_PASSWORD not in shown
    assert cfg.smtp.password.get_secret_value() == SECRET_PASSWORD


@pytest.mark.parametrize("variable, value, message", [
    ("AIRPARADIS_SMTP_PORT", "abc", "valid integer"),
    ("AIRPARADIS_SMTP_PORT", "70000", "less than or equal to 65535"),
    ("AIRPARADIS_LOCAL_ALERTS", "maybe", "expected auto, on or off"),
    ("AIRPARADIS_SMTP_STARTTLS", "perhaps", "valid boolean"),
    ("AIRPARADIS_AI_READ_TIMEOUT", "0", "greater than 0"),
    ("AIRPARADIS_ALERT_TO", " , ", "at least one address"),
])
def test_a_bad_value_names_its_variable(clean_env, variable, value, message):
    clean_env.setenv("APPLICATIONINSIGHTS_CONNECTION_STRING", SECRET_CONNECTION)
    clean_env.setenv(variable, value)
    with pytest.raises(ConfigError, match=message) as error:
        config.settings()
    assert f"{variable}={value!r}" in str(error.value)
    assert SECRET_CONNECTION not in str(error.value)


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    return subprocess.run([sys.executable, "-m", "monitoring.mispredictions.service", *args], env={**clean, **env},
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_show_config_lists_every_setting_and_no_secret(tmp_path):
    done = _run("--show-config", APPLICATIONINSIGHTS_CONNECTION_STRING=SECRET_CONNECTION,
                AIRPARADIS_SMTP_PASSWORD=SECRET_PASSWORD, AIRPARADIS_FEEDBACK_DIR=str(tmp_path),
                AIRPARADIS_SMTP_PORT="2525")
    assert done.returncode == 0, done.stderr
    out = done.stdout + done.stderr
    assert SECRET_CONNECTION not in out and SECRET_PASSWORD not in out
    assert "0f1e2d3c" not in out  # not even a piece of it
    lines = {line.split()[0]: line.split()[1:] for line in done.stdout.splitlines() if line.startswith("  A")}
    assert list(lines) == VARIABLES
    assert lines["APPLICATIONINSIGHTS_CONNECTION_STRING"][0] == "set"
    assert lines["AIRPARADIS_SMTP_PASSWORD"][0] == "set" and lines["AIRPARADIS_SMTP_USER"][0] == "unset"
    assert lines["AIRPARADIS_SMTP_PORT"][0] == "2525" and lines["AIRPARADIS_FEEDBACK_DIR"][0] == str(tmp_path)
    descriptions = {r.variable: r.description for r in config.rows()}
    assert all(" ".join(lines[v][1:]) == descriptions[v] for v in VARIABLES)
    assert "embedded alert mails off" in done.stdout  # what follows from the settings
    assert not (tmp_path / "reports.sqlite3").exists()  # it only shows: nothing was filed


def test_show_config_with_a_bad_value_is_a_sentence():
    done = _run("--show-config", APPLICATIONINSIGHTS_CONNECTION_STRING=SECRET_CONNECTION, AIRPARADIS_SMTP_PORT="abc")
    assert done.returncode == 2 and done.stdout == ""
    assert "AIRPARADIS_SMTP_PORT='abc'" in done.stderr and "Traceback" not in done.stderr
    assert SECRET_CONNECTION not in done.stderr


def test_filing_with_a_bad_value_is_a_sentence(tmp_path):
    done = _run("--text", "late again", "--predicted-label", "negative", "--probability", "0.9",
                AIRPARADIS_FEEDBACK_DIR=str(tmp_path), AIRPARADIS_LOCAL_ALERTS="sometimes")
    assert done.returncode == 2 and "AIRPARADIS_LOCAL_ALERTS='sometimes'" in done.stderr
    assert "Traceback" not in done.stderr and not Path(tmp_path / "reports.sqlite3").exists()
