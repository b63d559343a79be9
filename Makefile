# One entry point for setting up, running and testing the customer warehouse.
# Every target installs what it needs first, so each works on a fresh machine.

PYTHON ?= python3
VENV := .venv
PIPELINE := $(VENV)/pipeline
SUPERSET := $(VENV)/superset
CW := $(PIPELINE)/bin/cw

export AIRFLOW__USAGE_DATA_COLLECTION__ENABLED := False
export SCARF_ANALYTICS := false
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export GX_ANALYTICS_ENABLED := False

.PHONY: help install install-superset install-system demo demo-reset test test-fast lint \
        airflow-up airflow-down superset-up superset-down dashboards backup bench clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s "$$(printf '\t')"

$(PIPELINE)/.installed: requirements/pipeline.in requirements/pipeline.lock pyproject.toml
	$(PYTHON) -m venv $(PIPELINE)
	$(PIPELINE)/bin/pip install -q -r requirements/pipeline.in -c requirements/pipeline.lock
	$(PIPELINE)/bin/pip install -q --no-deps -e .
	touch $@

$(SUPERSET)/.installed: requirements/superset.in requirements/superset.lock
	$(PYTHON) -m venv $(SUPERSET)
	$(SUPERSET)/bin/pip install -q -r requirements/superset.in -c requirements/superset.lock
	touch $@

install: $(PIPELINE)/.installed  ## Create the pipeline environment (Airflow, dbt, Great Expectations)

install-superset: $(SUPERSET)/.installed  ## Create the Superset environment

SYSTEM_PACKAGES := chromium docker-compose

install-system:  ## Install Debian's Chromium and docker-compose for the tests (needs root)
	@missing=""; for p in $(SYSTEM_PACKAGES); do command -v $$p >/dev/null || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then apt-get update -q && apt-get install -y -q $$missing; fi

# SOURCE=olist loads only the Olist exports of DATA, without the simulated platform.
# Checked here, so a wrong value stops `make demo` before it installs anything.
SOURCE ?= simulated
ifneq ($(filter demo,$(MAKECMDGOALS)),)
ifeq ($(filter $(SOURCE),simulated olist),)
$(error SOURCE=$(SOURCE) is invalid: use simulated or olist)
endif
endif

demo: install install-superset  ## Run the main job end to end (CUSTOMERS=n, DATA=dir adds Olist exports, SOURCE=olist loads only them, FRESH=1 starts over)
	$(CW) demo $(if $(filter olist,$(SOURCE)),--no-simulate) $(if $(DATA),--olist-dir $(DATA)) \
		$(if $(CUSTOMERS),--customers $(CUSTOMERS)) $(if $(FRESH),--fresh)

demo-reset: install  ## Drop the demo's databases, roles and simulation data (local default settings only)
	$(CW) reset

test: install install-superset install-system  ## Run every test
	$(PIPELINE)/bin/python -m pytest tests $(PYTEST_ARGS)

test-fast: install  ## Run the tests that need neither a browser nor a whole DAG run
	$(PIPELINE)/bin/python -m pytest tests -m "not slow" $(PYTEST_ARGS)

lint: install  ## Check Python formatting and style
	$(PIPELINE)/bin/ruff check plugins dags tests bench expectations
	$(PIPELINE)/bin/ruff format --check plugins dags tests bench expectations

airflow-up: install  ## Start the Airflow UI and scheduler on 127.0.0.1:8080
	$(CW) airflow up

airflow-down: install  ## Stop the Airflow processes started by airflow-up
	$(CW) airflow down

superset-up: install install-superset  ## Start Superset on 127.0.0.1:8088
	$(CW) superset up

superset-down: install  ## Stop Superset
	$(CW) superset down

dashboards: install install-superset  ## Import the dashboards into Superset
	$(CW) superset import

backup: install  ## Back up the databases, encrypted, then apply the retention policy
	$(CW) backup run

bench: install  ## Run the benchmarks and print ratios against their baselines
	$(PIPELINE)/bin/python -m bench.run_all

clean:  ## Remove environments, var/ (keys, simulation truth) and dbt output; databases and roles stay (drop them first with make demo-reset)
	rm -rf $(VENV) var dbt_project/target dbt_project/logs
