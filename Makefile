# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2

.PHONY: run test test-sqlite test-postgresql bench lint system-packages clean translations compile-translations

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
## with the background worker beside the server (Ctrl-C stops both)
run: $(VENV)/.run-installed compile-translations
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	@echo; cat instance/demo-credentials.txt 2>/dev/null || true
	@echo "Dashboard: http://$(HOST):$(PORT)/   API docs: http://$(HOST):$(PORT)/docs"; echo
	@# The worker runs beside gunicorn; Ctrl-C stops gunicorn, and the trap stops the worker.
	$(FLASK) worker & worker=$$!; \
	trap 'kill -INT $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) --no-control-socket \
		--access-logfile - wsgi:app

system-packages:
	scripts/ensure-system-packages.sh

## make test: ruff check (make lint), then the whole suite on SQLite and on a throwaway PostgreSQL cluster,
## the two side by side (each waits on disk, servers and the browser much of the time, so two cores
## serve both); each half's output is printed when it ends
test: $(VENV)/.test-installed system-packages
	$(MAKE) lint
	$(MAKE) -j2 --output-sync=target test-sqlite test-postgresql

test-sqlite: $(VENV)/.test-installed compile-translations
	LEADCRM_TEST_BACKEND=sqlite $(BIN)/pytest $(PYTEST_ARGS)

test-postgresql: $(VENV)/.test-installed compile-translations
	LEADCRM_TEST_BACKEND=postgresql $(BIN)/pytest $(PYTEST_ARGS)

## make bench: load the app and its floors with wrk (under 10 minutes), write bench/results/latest.md
bench: $(VENV)/.run-installed
	scripts/ensure-system-packages.sh wrk
	$(BIN)/python -m bench.run

## make translations: after changing user-visible text — extract the strings, merge them into
## the ru and en catalogs (translate what is new or fuzzy there), compile
translations: $(VENV)/.run-installed
	$(BIN)/pybabel extract -F babel.cfg -k _l --no-location --sort-output \
		--project="Lead Distribution CRM" -o webapp/translations/messages.pot .
	$(BIN)/pybabel update -i webapp/translations/messages.pot -d webapp/translations --no-wrap
	$(BIN)/pybabel compile -d webapp/translations --statistics

# The .mo files are built, not committed (.gitignore).
compile-translations: $(VENV)/.run-installed
	$(BIN)/pybabel compile -d webapp/translations

## make lint: the rules configured in pyproject.toml; make test runs it first, so CI fails on lint
lint: $(VENV)/.test-installed
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache
