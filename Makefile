# The two entry points on a fresh machine: `make check` (offline check of the prod stack) and
# `make test` (the test suite). Each installs what it needs first (uv, then the locked deps, compiled to
# bytecode once here, so no process compiles the SDKs' sources again). uv is the one on PATH, or else the
# pinned uv that tools/install_uv.py puts in .tools/bin (standard library only: works where PEP 668 refuses
# `pip install uv`).
LOCAL_UV := .tools/bin/uv
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := $(LOCAL_UV)
endif
STACK ?= prod
RUN := $(UV) run --locked --quiet

.PHONY: setup check charts test lint typecheck bench

setup:
	@[ "$(UV)" != "$(LOCAL_UV)" ] || python3 tools/install_uv.py >/dev/null
	@$(UV) sync --locked --quiet --compile-bytecode

# The check renders every chart: charts missing from every cache are pulled first (nothing is pulled once
# they are cached, or where ../shared/refs/charts-src holds them; infisical-standalone, with no offline copy,
# only by `make charts`).
check: setup
	@$(RUN) python -m verify charts fetch --quiet
	@$(RUN) python -m verify check --stack $(STACK)

charts: setup
	@$(RUN) python -m verify charts fetch

# One worker per core (pytest-xdist), tests handed out one by one; module fixtures may then be built in each
# worker. On 2 cores whole files per worker (--dist loadfile) or per scope measure the same within the noise
# (1243 tests: 47-56 s against 50-52 s). A focused
# `uv run pytest tests/...` runs in one process. The suite starts about a hundred Python processes (workers,
# checks, the fake docker): with PYTHONDONTWRITEBYTECODE set in the environment, each one compiled the
# project's sources and pytest rewrote every test module again, about 2 s of CPU per worker and 15 s in all;
# here they are cached in __pycache__ (ignored by git) like the SDKs' bytecode.
test: setup
	@PYTHONDONTWRITEBYTECODE= $(RUN) pytest -q -n auto --dist load

lint: setup
	@$(RUN) ruff check .

typecheck: setup
	@$(RUN) mypy

bench: setup
	@$(RUN) python -m bench
