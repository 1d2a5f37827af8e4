# Frontdesk: `make demo` to try it, `make test` to check it. Needs only python3.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/pip --disable-pip-version-check -q
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Test processes (pytest-xdist); each has its own databases, servers and browser.
PYTEST_WORKERS ?= 2

.PHONY: demo serve test test-sqlite test-services lint types format bench bench-sms clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PIP) install -e ".[test]"
	touch $@

## demo: install, set up a SQLite data folder with the Riverside demo library, serve on :8000
DEMO_ENV = FRONTDESK_DEMO=true FRONTDESK_PUBLIC_URL=$${FRONTDESK_PUBLIC_URL:-http://127.0.0.1:$(PORT)}
demo: $(VENV)/.installed
	$(DEMO_ENV) $(BIN)/frontdesk setup
	$(DEMO_ENV) $(BIN)/frontdesk load_demo
	$(DEMO_ENV) $(BIN)/frontdesk serve --host $(HOST) --port $(PORT)

## test: ruff, mypy and the import-linter layers, then the whole suite on SQLite, then again
## on PostgreSQL + Redis when FRONTDESK_TEST_POSTGRES / FRONTDESK_TEST_REDIS are set (as .ci/run sets them)
test: $(VENV)/.installed-test lint types test-sqlite test-services

test-sqlite: $(VENV)/.installed-test
	env -u FRONTDESK_TEST_POSTGRES -u FRONTDESK_TEST_REDIS -u DATABASE_URL -u REDIS_URL \
		$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test-services: $(VENV)/.installed-test
	@if [ -n "$$FRONTDESK_TEST_POSTGRES$$FRONTDESK_TEST_REDIS" ]; then \
		echo "== again with FRONTDESK_TEST_POSTGRES=$$FRONTDESK_TEST_POSTGRES FRONTDESK_TEST_REDIS=$$FRONTDESK_TEST_REDIS"; \
		$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS); \
	fi

## bench-sms: the SMS webhook under wrk load beside its floor, SQLite then PostgreSQL + Redis
## (needs Debian's wrk; see benchmarks/README.md)
bench-sms: $(VENV)/.installed
	@command -v wrk >/dev/null || { echo "bench-sms needs wrk: apt-get install wrk"; exit 1; }
	$(BIN)/python benchmarks/sms_webhook.py --engine both $(BENCH_ARGS)

## types: mypy with django-stubs (strict on connectors/ and actions), then the layer
## contracts in pyproject.toml (import-linter). The demo app is installed for mypy to see it.
types: $(VENV)/.installed-test
	FRONTDESK_DEMO_APP=true $(BIN)/mypy
	$(BIN)/lint-imports --no-cache

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) data
