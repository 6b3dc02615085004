# flipshelf's everyday commands. Each works on a fresh clone: it makes the virtualenv and installs
# what it needs first (exact versions from uv.lock), and reinstalls only when uv.lock changed.
#
#   make serve        run the server (data in ./data; FLIPSHELF_* variables configure it)
#   make test         lint, type-check and test, on SQLite and on throwaway PostgreSQL, Redis and S3
#   make lint         ruff check and ruff format --check
#   make typecheck    mypy (strict)
#   make bench-api    the API benchmark (benchmarks/api.py)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# uv installs exactly what uv.lock lists (hashes checked), so a fresh clone runs what CI tested.
# It lives in its own small virtualenv, pinned here; `make lock` is the one way to upgrade.
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)
# Each stamp records that the venv holds what uv.lock listed then (runtime, or runtime and dev).
RUN_STAMP := $(VENV)/.flipshelf-installed
DEV_STAMP := $(VENV)/.flipshelf-dev-installed

# Where `make serve` keeps its database, files and server key (FLIPSHELF_DATA_DIR).
FLIPSHELF_DATA_DIR ?= data
# pytest's arguments: two workers (pytest-xdist), one per core of the reference machine.
PYTEST_ARGS ?= -n 2 --dist loadgroup
# FLIPSHELF_TEST_SERVICES (environment) chooses the services `make test` starts, e.g. "postgres";
# unset: all of them (scripts/test-services.sh); empty: none, SQLite only.

.PHONY: help serve test lint format typecheck pytest bench-api venv dev-venv lock clean

help:
	@echo "make serve      run flipshelf (data in $(FLIPSHELF_DATA_DIR)/)"
	@echo "make test       ruff, mypy and pytest on SQLite, PostgreSQL, Redis and S3"
	@echo "make lint       ruff check and ruff format --check"
	@echo "make format     ruff format and ruff check --fix"
	@echo "make typecheck  mypy (strict)"
	@echo "make pytest     pytest alone, on SQLite only (PYTEST_ARGS=... to choose tests)"
	@echo "make bench-api  the API benchmark"
	@echo "make lock       upgrade every locked dependency within pyproject.toml's ranges"
	@echo "make clean      remove the virtualenvs and caches (never the data directory)"

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "flipshelf needs Python 3.11 or newer as '$(PYTHON)' (make PYTHON=...)" >&2; exit 1; }
	@echo "== setting up $(TOOLS)/ for uv (once)"
	@# Debian splits venv/ensurepip into python3-venv; install it when it is missing.
	@$(PYTHON) -m venv $(TOOLS) || { \
		rm -rf $(TOOLS); \
		if [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq \
			&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv \
			&& $(PYTHON) -m venv $(TOOLS); \
		else exit 1; fi; }
	@scripts/progress.sh "installing uv $(UV_VERSION)" \
		-- $(TOOLS)/bin/python -m pip --disable-pip-version-check --quiet install "uv==$(UV_VERSION)"

# --locked: fail, rather than re-resolve, when uv.lock does not match pyproject.toml.
# --inexact: leave the dev tools of an earlier `make test` in place.
# --compile-bytecode: every process (server, workers, checkers) starts from
# compiled modules, even where PYTHONDONTWRITEBYTECODE keeps Python from caching them itself
# (the server's first call measured 114 ms without, 73 ms with: benchmarks/first_page.py).
$(RUN_STAMP): uv.lock pyproject.toml clients/python/pyproject.toml | $(UV)
	@scripts/progress.sh "installing flipshelf's locked dependencies into $(VENV)/ (the first time: a minute or more)" \
		-- $(UV) sync --locked --inexact --compile-bytecode
	touch $@

# Leaves $(RUN_STAMP) alone: `make serve` after `make test` still compiles the bytecode (a few
# seconds, nothing downloaded; --inexact keeps the dev tools).
$(DEV_STAMP): uv.lock pyproject.toml clients/python/pyproject.toml | $(UV)
	@scripts/progress.sh "installing flipshelf's locked dependencies and dev tools into $(VENV)/" \
		-- $(UV) sync --locked --extra dev
	touch $@

venv: $(RUN_STAMP)
dev-venv: $(DEV_STAMP)

# The one way to upgrade dependencies: re-resolve within pyproject.toml's ranges, then commit
# uv.lock with the test run that proves it.
lock: | $(UV)
	$(UV) lock --upgrade

serve: $(RUN_STAMP)
	@scripts/install-fonts.sh
	@echo "== starting flipshelf (data in $(FLIPSHELF_DATA_DIR)/)"
	@FLIPSHELF_DATA_DIR="$(FLIPSHELF_DATA_DIR)" $(BIN)/flipshelf serve

# Runs every check even when an earlier one fails, then fails if any did. The test services
# stop on every way out (failure, Ctrl-C), and each run gets its own, so runs never collide.
test: $(DEV_STAMP)
	@export FLIPSHELF_SERVICES_DIR="$$(mktemp -d "$${TMPDIR:-/tmp}/flipshelf-services.XXXXXX")"; \
	trap 'scripts/test-services.sh stop' EXIT; \
	trap 'exit 130' INT TERM; \
	scripts/test-services.sh start; \
	set -a; . "$$FLIPSHELF_SERVICES_DIR/env"; set +a; \
	failed=""; \
	echo "== uv.lock matches pyproject.toml"; $(UV) lock --check || failed="$$failed lock"; \
	echo "== ruff check"; $(BIN)/ruff check . || failed="$$failed ruff"; \
	echo "== mypy"; $(BIN)/mypy || failed="$$failed mypy"; \
	echo "== pytest (PostgreSQL: $${FLIPSHELF_TEST_POSTGRES_URL:-not started}; Redis: $${FLIPSHELF_TEST_REDIS_URL:-not started}; S3: $${FLIPSHELF_TEST_S3_URL:-not started})"; \
	$(BIN)/pytest $(PYTEST_ARGS) || failed="$$failed pytest"; \
	if [ -n "$$failed" ]; then echo "make test: FAILED:$$failed" >&2; exit 1; fi; \
	echo "make test: all checks passed"

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

pytest: $(DEV_STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

bench-api: $(DEV_STAMP)
	@test -f benchmarks/api.py || { echo "benchmarks/api.py does not exist yet" >&2; exit 1; }
	$(BIN)/python benchmarks/api.py

clean:
	rm -rf $(VENV) $(TOOLS) .mypy_cache .ruff_cache .pytest_cache .hypothesis build dist src/*.egg-info
