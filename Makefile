# Chorus: `make run` starts everything on demo data; `make test` runs the checks.
# Both work on a fresh machine with only Python 3.11+ and git.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: run test test-browser migration-check lint venv deps deps-dev migrate seed clean processes schema api-check bench stack stack-smoke chaos

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.deps: requirements.txt | $(BIN)/python
	$(PIP) install -r requirements.txt
	@touch $@

$(VENV)/.deps-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(PIP) install -r requirements-dev.txt
	@touch $@ $(VENV)/.deps

venv: $(BIN)/python
deps: $(VENV)/.deps
deps-dev: $(VENV)/.deps-dev
	@command -v xmlsec1 >/dev/null 2>&1 || { echo "xmlsec1 is missing: the SAML single sign-on code and tests need Debian's xmlsec1. Install it with: apt-get install -y xmlsec1 (.ci/run does)." >&2; exit 1; }

# DEBUG defaults to on for the local demo only; production sets its own environment.
RUN_ENV := DEBUG=$${DEBUG:-1}

migrate: deps
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput

seed: migrate
	$(RUN_ENV) $(BIN)/python manage.py seed_demo

# The embedded Redis starts only when REDIS_URL is not set.
PROCESSES := $(if $(REDIS_URL),sandbox web worker beat,redis sandbox web worker beat)

run: seed
	@mkdir -p var
	@echo "Starting Chorus on http://127.0.0.1:$${CHORUS_PORT:-8000}/  (Ctrl-C stops everything)"
	$(RUN_ENV) $(BIN)/honcho start -f Procfile $(PROCESSES)

# ruff, then the import contracts (layers, no sandbox/demo in production, no cycles).
lint: deps-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

test: deps-dev lint
	$(BIN)/python -m pytest -m "not browser"

# Browser tests drive Debian's Chromium (apt-get install chromium); .ci/run installs it.
test-browser: deps-dev
	$(BIN)/python -m pytest -m browser

# Migrations without data loss: the demo database made by the commit before the layout
# move, migrated by this tree, keeps every row (on DATABASE_URL's server; unset: SQLite).
migration-check: deps-dev
	$(BIN)/python .ci/migration-check

# The OpenAPI schema, checked in as chorus/openapi.yaml (tests/chorus/test_openapi_schema.py
# fails when it is out of date, or on any drf-spectacular warning). Test settings: no secrets.
# Always on SQLite: integer limits in the schema follow the database's column ranges, and
# the checked-in file must be one file whatever DATABASE_URL says.
SCHEMA_CMD := env -u DATABASE_URL DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python manage.py spectacular --validate --fail-on-warn
schema: deps-dev
	$(SCHEMA_CMD) --file chorus/openapi.yaml
	@echo "Wrote chorus/openapi.yaml"

# schemathesis against the live schema of a server running on seeded demo data: no server
# error, every response as the schema says (.ci/api-check).
api-check: deps-dev
	$(BIN)/python .ci/api-check

# The benchmark harness (issue 18, bench/): its own PostgreSQL 15, Redis, sandbox, gunicorn
# (2 sync workers, DEBUG=0) and Celery (2 processes) under var/bench/; B1-B7 against limits
# measured in the same run. BENCH_SCALE=small (default, under 5 minutes) or full (seeded
# once, then reused). Needs Debian's wrk and postgresql-15 (.ci/run installs them).
# Results: bench/results/latest.json and a printed table.
BENCH_SCALE ?= small
bench: deps
	@command -v wrk >/dev/null 2>&1 || { echo "wrk is missing: apt-get install -y wrk (.ci/run does)" >&2; exit 1; }
	$(BIN)/python -m bench.run --scale $(BENCH_SCALE)

# The production shape on this machine (ops/stack.py): PostgreSQL 15, Redis, gunicorn with
# DEBUG=0 and whitenoise, two Celery workers on separate queues, one beat, the sandbox
# networks; state in var/stack/. stack-smoke starts it, runs the smoke journey and the
# backup/restore check (ops/smoke.py, ops/backup_restore_check.py), stops it.
stack: deps
	$(BIN)/python ops/stack.py up

stack-smoke: deps
	$(BIN)/python ops/stack.py smoke

# Faults with shares in flight (ops/chaos.py): CHAOS_SCALE=small (≈10 min, in .ci/run) or full.
chaos: deps
	$(BIN)/python ops/chaos.py --scale $${CHAOS_SCALE:-small}

clean:
	rm -rf $(VENV) var/*.sqlite3* var/sandbox-state.json* var/redis var/mail var/celerybeat-schedule* .pytest_cache .ruff_cache
