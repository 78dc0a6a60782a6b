PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test jobs bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m service

test: $(STAMP)
	$(BIN)/python -m pytest

jobs: $(STAMP)
	$(BIN)/python -m jobs

bench: $(STAMP)
	$(BIN)/python bench/webhooks.py

clean:
	rm -rf $(VENV) var
