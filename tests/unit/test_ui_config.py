"""The front-end settings (environment, then command-line options), ``python -m ui.app
--show-config``, and what the front-end and monitoring import: never training code or mlflow."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from monitoring.env import ROOT, ConfigError
from pyfunc.names import API_PORT, LOCAL_HOST, MAX_BATCH_ROWS, MODEL_NAME, PRODUCTION_ALIAS, UI_PORT
from tests.unit.test_monitoring_config import SECRET_CONNECTION, SECRET_PASSWORD
from tests.unit.test_monitoring_config import VARIABLES as MONITORING_VARIABLES
from ui import config
from ui.app import Handlers, checker, parse_args

SECRET_API_KEY = "api-key-of-the-tests-5f4e3d2c1b0a"

VARIABLES = [
    "AIRPARADIS_API_URL", "AIRPARADIS_API_TIMEOUT", "AIRPARADIS_MODEL_NAME", "AIRPARADIS_MODEL_VERSION",
    "AIRPARADIS_UI_HOST", "AIRPARADIS_UI_PORT", "AIRPARADIS_BATCH_CHUNK", "AIRPARADIS_BATCH_MAX_ROWS",
    "AIRPARADIS_API_KEY", "AIRPARADIS_UI_USER", "AIRPARADIS_UI_PASSWORD",
]


@pytest.fixture
def clean_env(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_every_variable_keeps_its_name_and_the_defaults_are_the_shared_names(clean_env):
    rows = config.rows()
    assert [r.variable for r in rows] == VARIABLES and all(r.description for r in rows)
    cfg = config.settings()
    assert cfg.api_url == f"http://{LOCAL_HOST}:{API_PORT}" and (cfg.host, cfg.port) == (LOCAL_HOST, UI_PORT)
    assert (cfg.model_name, cfg.model_version, cfg.batch_max_rows) == (MODEL_NAME, PRODUCTION_ALIAS, MAX_BATCH_ROWS)
    assert {r.variable: r.default for r in rows}["AIRPARADIS_UI_PORT"] == str(UI_PORT)


def test_a_variable_changes_what_a_fresh_read_sees(clean_env):
    assert config.settings().port == UI_PORT
    clean_env.setenv("AIRPARADIS_API_URL", "http://127.0.0.1:9999/")
    clean_env.setenv("AIRPARADIS_MODEL_VERSION", "3")
    clean_env.setenv("AIRPARADIS_UI_PORT", "8000")
    cfg = config.settings()
    assert (cfg.api_url, cfg.model_label, cfg.port) == ("http://127.0.0.1:9999", f"{MODEL_NAME} (version 3)", 8000)


def test_options_override_the_environment(clean_env):
    clean_env.setenv("AIRPARADIS_UI_PORT", "8000")
    clean_env.setenv("AIRPARADIS_MODEL_VERSION", "3")
    cfg, only_show = parse_args(["--port", "8001", "--api-url", "http://127.0.0.1:1234/"])
    assert (cfg.port, cfg.api_url, cfg.model_version, only_show) == (8001, "http://127.0.0.1:1234", "3", False)
    assert parse_args(["--show-config"])[0].port == 8000


@pytest.mark.parametrize("variable, value, message", [
    ("AIRPARADIS_UI_PORT", "abc", "valid integer"),
    ("AIRPARADIS_UI_PORT", "0", "greater than or equal to 1"),
    ("AIRPARADIS_API_TIMEOUT", "soon", "valid number"),
    ("AIRPARADIS_BATCH_CHUNK", str(MAX_BATCH_ROWS + 1), f"less than or equal to {MAX_BATCH_ROWS}"),
])
def test_a_bad_value_names_its_variable(clean_env, variable, value, message):
    clean_env.setenv(variable, value)
    with pytest.raises(ConfigError, match=message) as error:
        config.settings()
    assert f"{variable}={value!r}" in str(error.value)


def test_a_login_is_required_off_127_0_0_1_only(clean_env):
    assert config.login(config.settings()) is None  # 127.0.0.1: this machine only, no login
    clean_env.setenv("AIRPARADIS_UI_HOST", "0.0.0.0")
    clean_env.setenv("AIRPARADIS_UI_USER", "marketing")
    with pytest.raises(ConfigError, match="AIRPARADIS_UI_USER and AIRPARADIS_UI_PASSWORD") as error:
        config.login(config.settings())
    assert "listens on 0.0.0.0" in str(error.value)
    clean_env.setenv("AIRPARADIS_UI_PASSWORD", SECRET_PASSWORD)
    assert config.login(config.settings()) == ("marketing", SECRET_PASSWORD)
    assert config.login(config.settings(host="127.0.0.2")) == ("marketing", SECRET_PASSWORD)
    check = checker(config.login(config.settings()))
    assert check("marketing", SECRET_PASSWORD) and not check("marketing", SECRET_PASSWORD[:-1])
    assert not check("Marketing", SECRET_PASSWORD) and checker(None) is None


def test_without_its_login_a_shared_page_does_not_start():
    done = _run("--host", "0.0.0.0", "--port", "1")
    assert done.returncode == 2 and "AIRPARADIS_UI_PASSWORD" in done.stderr and "Traceback" not in done.stderr


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in VARIABLES + MONITORING_VARIABLES}
    return subprocess.run([sys.executable, "-m", "ui.app", *args], env={**clean, **env}, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_show_config_lists_the_front_end_and_monitoring_settings_and_no_secret():
    done = _run("--show-config", "--port", "8123", AIRPARADIS_API_URL="http://127.0.0.1:4321",
                APPLICATIONINSIGHTS_CONNECTION_STRING=SECRET_CONNECTION, AIRPARADIS_SMTP_PASSWORD=SECRET_PASSWORD,
                AIRPARADIS_API_KEY=SECRET_API_KEY, AIRPARADIS_UI_PASSWORD=SECRET_PASSWORD + "-ui")
    assert done.returncode == 0, done.stderr
    out = done.stdout + done.stderr
    assert SECRET_CONNECTION not in out and SECRET_PASSWORD not in out and "0f1e2d3c" not in out
    assert SECRET_API_KEY not in out
    lines = {line.split()[0]: line.split()[1] for line in done.stdout.splitlines() if line.startswith("  A")}
    assert list(lines) == VARIABLES + MONITORING_VARIABLES
    assert (lines["AIRPARADIS_UI_PORT"], lines["AIRPARADIS_API_URL"]) == ("8123", "http://127.0.0.1:4321")
    assert lines["APPLICATIONINSIGHTS_CONNECTION_STRING"] == lines["AIRPARADIS_SMTP_PASSWORD"] == "set"
    assert lines["AIRPARADIS_API_KEY"] == lines["AIRPARADIS_UI_PASSWORD"] == "set"
    assert "Running on" not in out  # it did not start the app


def test_show_config_with_a_bad_value_is_a_sentence():
    done = _run("--show-config", AIRPARADIS_UI_PORT="abc")
    assert done.returncode == 2 and "AIRPARADIS_UI_PORT='abc'" in done.stderr and "Traceback" not in done.stderr


def test_a_bad_monitoring_setting_is_a_message_when_reporting(monkeypatch):
    monkeypatch.setenv("APPLICATIONINSIGHTS_CONNECTION_STRING", SECRET_CONNECTION)
    monkeypatch.setenv("AIRPARADIS_SMTP_PORT", "abc")
    h = Handlers(config.UiSettings(api_url=f"http://{LOCAL_HOST}:9"))  # the API is not needed to report
    message, button = h.report_wrong({"text": "late again", "label": "negative", "negative_probability": 0.9})
    assert message.startswith("**Problem:** Reports cannot be saved") and "AIRPARADIS_SMTP_PORT='abc'" in message
    assert SECRET_CONNECTION not in message and button["interactive"] is True


HEAVY = ("mlflow", "sklearn", "tensorflow", "torch", "transformers", "gensim", "entrypoints", "airparadis")


@pytest.mark.parametrize("code", [
    "import ui.app, monitoring.mispredictions.service",
    "import ui.app, monitoring.azure, monitoring.mail, monitoring.buzz.command\n"
    "import monitoring.mispredictions.service, monitoring.mispredictions.export, monitoring.mispredictions.alerting\n"
    "ui.app.build_app(ui.app.ui_config.settings())",  # the whole front-end, gradio included
])
def test_front_end_and_monitoring_import_no_training_code(code):
    """ui/ and monitoring/ run with requirements/app.txt only: no mlflow, no training packages, and
    of the model package only its standard-library modules (the names, and the text cleaning that
    makes two feedback rows the same tweet)."""
    check = (f"{code}\nimport sys, json\n"
             f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}"
             " or (m.startswith('pyfunc.') and m not in ('pyfunc.names', 'pyfunc.preprocess')))))\n"
             "print('pyfunc.names' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    *_, imported, names = done.stdout.strip().splitlines()
    assert imported == "[]", f"imported: {imported}"
    assert names == "True"  # the check looks at the right interpreter: the shared names are there
