# Frontdesk: `make demo` to try it, `make test` to check it. Needs only python3.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/pip --disable-pip-version-check -q
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: demo serve test test-sqlite test-services lint format bench clean

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
demo: $(VENV)/.installed
	$(BIN)/frontdesk setup
	$(BIN)/frontdesk load_demo
	FRONTDESK_DEMO=true $(BIN)/frontdesk serve --host $(HOST) --port $(PORT)

## test: ruff, then the whole suite on SQLite, then again on PostgreSQL + Redis when
## FRONTDESK_TEST_POSTGRES / FRONTDESK_TEST_REDIS are set (as .ci/run sets them)
test: $(VENV)/.installed-test lint test-sqlite test-services

test-sqlite: $(VENV)/.installed-test
	env -u FRONTDESK_TEST_POSTGRES -u FRONTDESK_TEST_REDIS -u DATABASE_URL -u REDIS_URL \
		$(BIN)/pytest $(PYTEST_ARGS)

test-services: $(VENV)/.installed-test
	@if [ -n "$$FRONTDESK_TEST_POSTGRES$$FRONTDESK_TEST_REDIS" ]; then \
		echo "== again with FRONTDESK_TEST_POSTGRES=$$FRONTDESK_TEST_POSTGRES FRONTDESK_TEST_REDIS=$$FRONTDESK_TEST_REDIS"; \
		$(BIN)/pytest $(PYTEST_ARGS); \
	fi

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) data
