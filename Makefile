# The two commands of the README:
#   make run    install, migrate, load demo data, start the whole embedded stack
#   make test   install test dependencies (and Debian packages when root), run every test
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: run test install install-test lint bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/pybabel -q compile -d content_calendar/web/translations  # .mo from the committed .po

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/pybabel -q compile -d content_calendar/web/translations
	sh scripts/install-test-system-deps.sh

run: install
	sh scripts/install-print-fonts.sh
	$(BIN)/ernstfall init --demo
	exec $(BIN)/ernstfall up

# pytest first (so a lint slip never hides test results), then ruff, mypy and the import contracts;
# any failing fails.
test: install-test
	status=0; \
	$(BIN)/python -m pytest -n auto || status=$$?; \
	$(BIN)/python -m ruff check publisher workers content_calendar tests bench || status=1; \
	$(BIN)/python -m mypy publisher content_calendar workers || status=1; \
	$(BIN)/lint-imports || status=1; \
	exit $$status

lint: install-test
	$(BIN)/python -m ruff check publisher workers content_calendar tests bench
