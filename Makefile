# The two entry points on a fresh machine: `make check` (offline check of the prod stack) and
# `make test` (the test suite). Each installs what it needs first (uv from PyPI, then the locked deps, compiled to
# bytecode once here, so no process compiles the SDKs' sources again).
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := python3 -m uv
endif
STACK ?= prod
RUN := $(UV) run --locked --quiet

.PHONY: setup check test lint typecheck bench

setup:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --locked --quiet --compile-bytecode

check: setup
	@$(RUN) python -m verify check --stack $(STACK)

# One worker per core (pytest-xdist), whole files per worker so module fixtures are built once. A focused
# `uv run pytest tests/...` runs in one process.
test: setup
	@$(RUN) pytest -q -n auto --dist loadfile

lint: setup
	@$(RUN) ruff check .

typecheck: setup
	@$(RUN) mypy

bench: setup
	@$(RUN) python -m bench
