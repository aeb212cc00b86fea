# Air Paradis Sentiment. `make demo` and `make test` do all the set-up they need.
SHELL := /bin/bash
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export MLFLOW_TRACKING_URI ?= sqlite:///$(CURDIR)/mlflow.db
export PATH := $(BIN):$(PATH)
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: help install demo train serve ui test test-fast lint clean report report-deps kusto-deps ui-app test-deps image tracking-server container-benchmark

help:  ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements/*.txt pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements/dev.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

install: $(VENV)/.installed  ## create .venv and install the pinned dependencies

train: install  ## run the main MLflow project (data, simple, student with the airline feedback, promotion) on the bundled data
	$(BIN)/python -m airparadis.core.tracking
	$(BIN)/mlflow run . -e main --env-manager local --experiment-name air-paradis-sentiment

image: install  ## generate the serving image's Dockerfile + build context in build/image (no Docker needed)
	$(BIN)/python -m entrypoints.image --output build/image

serve: install  ## serve the production model on 127.0.0.1:5001 and print a curl example
	$(BIN)/python -m entrypoints.serve

demo: train serve  ## train, register, promote, then serve the production model

ui: install  ## open the MLflow UI on 127.0.0.1:5000
	$(BIN)/mlflow ui --backend-store-uri "$(MLFLOW_TRACKING_URI)" -h 127.0.0.1 -p 5000

tracking-server: install  ## the team's MLflow server: PostgreSQL store, proxied artifacts, login (MLFLOW_AUTH_ADMIN_PASSWORD)
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || $(MAKE) test-deps
	$(BIN)/python -m entrypoints.tracking_server --folder .tracking --host $${TRACKING_HOST:-127.0.0.1}

ui-app: install  ## the Gradio front-end on 127.0.0.1:7860 (API: AIRPARADIS_API_URL, default 127.0.0.1:5001)
	$(BIN)/python -m ui.app

AZ_CLI_DIR ?= /opt/azure-cli
AZ_CLI_VERSION := 2.91.0

# docker.io: the Docker engine the tests start (own socket and data root, host network untouched) to build
# and run the serving image; mmdebstrap: its base image from Debian's packages (no image registry here)
test-deps:  ## outside .venv: Debian's Chromium, PostgreSQL, a Java runtime (Spark), docker.io, mmdebstrap, the Azure CLI
	test -x /usr/bin/chromium && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v java >/dev/null && \
	  test -x /usr/sbin/dockerd && test -x /usr/bin/docker && test -x /usr/bin/mmdebstrap || \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium postgresql default-jre-headless \
	    docker.io mmdebstrap)
	$(AZ_CLI_DIR)/bin/az version --output none 2>/dev/null && \
	  $(AZ_CLI_DIR)/bin/python -m pip show azure-cli 2>/dev/null | grep -qx 'Version: $(AZ_CLI_VERSION)' || \
	  ($(PY) -m venv $(AZ_CLI_DIR) && $(AZ_CLI_DIR)/bin/python -m pip install -q azure-cli==$(AZ_CLI_VERSION))

report-deps:  ## system packages the documents need (Debian's Chromium prints the decks to PDF)
	test -x /usr/bin/chromium || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

kusto-deps:  ## Microsoft's KQL analyser (npm), which checks the Application Insights queries of docs/feedback-loop.md
	command -v node >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm)
	cd tools/kusto && npm ci --no-audit --no-fund

container-benchmark: install test-deps  ## build the image with Docker, run it under F1's limits, measure it (benchmarks/results/container.json)
	$(BIN)/python -m benchmarks.container $(if $(MODEL),--model $(MODEL))

report: install report-deps  ## compare the approaches, time the served model, render docs/ (decks PDF+PPTX, article)
	$(BIN)/python -m entrypoints.report
	$(BIN)/python -m benchmarks.serving_latency --model production
	$(BIN)/python -m entrypoints.publish

lint: install  ## ruff
	$(BIN)/ruff check .

test: install test-deps kusto-deps  ## run the whole test suite (unit, integration, model, browser, infra)
	$(BIN)/python -m pytest

test-fast: install kusto-deps  ## the unit tests only (tests/unit, under a minute)
	$(BIN)/python -m pytest -m unit

clean:  ## remove the local MLflow store and artifacts (not the venv)
	rm -rf mlflow.db mlartifacts mlruns
