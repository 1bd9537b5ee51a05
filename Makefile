# briefgen: `make build` builds the sample site into site/, `make test` runs the whole suite.
# Both create .venv and install what they need on first use; nothing else is required (as root on
# Debian they also apt-install fonts, and for the tests Chromium and poppler-utils; otherwise they
# print the command to run).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
TEST_INSTALLED := $(VENV)/.test-installed
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet

.PHONY: build bytecode test lint check serve mail bench clean help

help:
	@echo "make build   build content/ into site/ (creates .venv on first use)"
	@echo "make test    lint, type-check and run the whole test suite"
	@echo "make check   validate content/ without writing anything"
	@echo "make serve   live preview at http://127.0.0.1:8000, reloading on save"
	@echo "make mail DATE=YYYY-MM-DD   email that day's digest (see docs/mail.md)"
	@echo "make bench   benchmarks against Pelican and Hugo (see README)"
	@echo "make clean   remove site/, caches and .venv"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	@sh scripts/ensure-fonts.sh
	@touch $@

$(TEST_INSTALLED): pyproject.toml $(INSTALLED)
	$(PIP) install -e '.[test,import]'
	@touch $@

build: $(INSTALLED) bytecode
	$(BIN)/briefgen build

# Compiled modules, as a regular (non-editable) install has them: every command starts faster,
# even where PYTHONDONTWRITEBYTECODE stops Python from writing them itself. Quick when up to date.
bytecode: $(INSTALLED)
	@$(BIN)/python -m compileall -q briefgen > /dev/null

check: $(INSTALLED) bytecode
	$(BIN)/briefgen check

serve: $(INSTALLED) bytecode
	$(BIN)/briefgen serve

mail: $(INSTALLED)
	@test -n "$(DATE)" || { echo "usage: make mail DATE=YYYY-MM-DD" >&2; exit 2; }
	$(BIN)/briefgen mail --date "$(DATE)"

bench: $(INSTALLED)
	$(PYTHON) bench/run.py $(BENCH_ARGS)

lint: $(TEST_INSTALLED)
	$(BIN)/ruff check briefgen tests
	$(BIN)/ruff format --check briefgen tests
	$(BIN)/mypy

test: lint
	@sh scripts/ensure-test-tools.sh
	$(BIN)/python -m pytest

clean:
	rm -rf site .briefgen .pytest_cache .mypy_cache .ruff_cache $(VENV)
