# The two commands a newcomer needs: `make run` and `make test`. Everything else is optional.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Re-install only when a requirements file changed.
STAMP := $(VENV)/.installed-$(shell cat requirements/*.txt | sha1sum | cut -c1-12)

TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/economy
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help run test lint format venv check-services bench clean
.DEFAULT_GOAL := help

## make help: this list.
help:
	@awk '/^## make [a-z-]+:/ { name = $$3; sub(/:$$/, "", name); $$1 = $$2 = $$3 = ""; \
		sub(/^ +/, ""); printf "  make %-15s %s\n", name, $$0 }' $(MAKEFILE_LIST)

$(STAMP): requirements/base.txt requirements/production.txt requirements/test.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/test.txt
	@rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)

## make run: the service on its embedded default (SQLite, local-memory cache, eager Celery).
run: $(STAMP)
	DJANGO_SETTINGS_MODULE=config.settings.local ./scripts/release.sh
	DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/python manage.py seed_demo
	DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/python manage.py runserver $(HOST):$(PORT)

## make test: the whole suite against real PostgreSQL and Redis.
test: $(STAMP) check-services
	@./scripts/install_test_deps.sh
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
		$(BIN)/python -m pytest $(PYTEST_ARGS)

## make check-services: stop early, with one line, when PostgreSQL or Redis is unreachable.
check-services: $(STAMP)
	@DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python scripts/check_services.py

## make lint: ruff (lint and format), mypy (types) and import-linter (the apps' layers).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## make format: ruff's fixes and formatting, applied.
format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make clean: remove the venv, the SQLite database, collected static files and caches.
clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov

## make bench: the working tree under load; with BENCH_BASELINE=<revision>, beside that revision.
# Each side on its own scratch database and Redis DB; baseline and current interleaved, ratios
# printed. `make bench BENCH_DURATION=5s BENCH_ROWS=0` for a quick look; the other knobs
# (BENCH_ROUNDS, BENCH_SCENARIOS...) are in bench/run.py's docstring.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements/bench.txt
	timeout 7200 $(BIN)/python bench/run.py
