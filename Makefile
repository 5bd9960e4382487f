# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2

.PHONY: run test test-sqlite test-postgresql bench lint system-packages clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.run-installed: requirements.txt | $(BIN)/activate
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(VENV)/.run-installed $@

## make run: install, migrate, load demo data on first start, serve on http://127.0.0.1:8000
run: $(VENV)/.run-installed
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	@echo; cat instance/demo-credentials.txt 2>/dev/null || true
	@echo "Dashboard: http://$(HOST):$(PORT)/   API docs: http://$(HOST):$(PORT)/docs"; echo
	$(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) --no-control-socket \
		--access-logfile - wsgi:app

system-packages:
	scripts/ensure-system-packages.sh

## make test: ruff check (make lint), then the whole suite on SQLite and on a throwaway PostgreSQL cluster
test: $(VENV)/.test-installed system-packages
	$(MAKE) lint
	$(MAKE) test-sqlite
	$(MAKE) test-postgresql

test-sqlite: $(VENV)/.test-installed
	LEADCRM_TEST_BACKEND=sqlite $(BIN)/pytest $(PYTEST_ARGS)

test-postgresql: $(VENV)/.test-installed
	LEADCRM_TEST_BACKEND=postgresql $(BIN)/pytest $(PYTEST_ARGS)

## make bench: load the app and its floors with wrk (under 10 minutes), write bench/results/latest.md
bench: $(VENV)/.run-installed
	scripts/ensure-system-packages.sh wrk
	$(BIN)/python -m bench.run

## make lint: the rules configured in pyproject.toml; make test runs it first, so CI fails on lint
lint: $(VENV)/.test-installed
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache
