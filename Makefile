PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test jobs jobs-due bench bench-webhooks fuzz catalogs clean screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Development defaults for every target here (`make run`, `make jobs`, `make jobs-due`…), so the
# service and the billing jobs agree (production runs the Procfile's `python -m service` and
# `python -m jobs`, where nothing is on unless configured). Any of them can be overridden from
# the environment.
export SALDO_ADMIN_TOKEN ?= dev-admin
export WHATSAPP_APP_SECRETS ?= dev-secret
export WHATSAPP_VERIFY_TOKEN ?= dev-verify
export PAYMENT_WEBHOOK_SECRET ?= dev-payments
export SALDO_PAYMENT_PROVIDER ?= sandbox

run: $(STAMP)
	@echo "Saldo on http://localhost:$${PORT:-8080} (development defaults: admin token" \
	      "'$$SALDO_ADMIN_TOKEN', WhatsApp app secret '$$WHATSAPP_APP_SECRETS', sandbox payments)"
	SALDO_DEMO=$${SALDO_DEMO-1} $(BIN)/python -m service

test: $(STAMP)
	$(BIN)/python -m pytest

jobs: $(STAMP)
	$(BIN)/python -m jobs

# One billing pass, at NOW if given (the time machine): make jobs-due NOW=2026-12-19T10:00:00
jobs-due: $(STAMP)
	$(BIN)/python -m jobs run-due $(if $(NOW),--now '$(NOW)')

# Saldo against the naive handler, side by side (wrk if installed); options: make bench ARGS='--workspaces 1'
bench: $(STAMP)
	$(BIN)/python bench/compare.py $(ARGS)

bench-webhooks: $(STAMP)
	$(BIN)/python bench/webhooks.py $(ARGS)

# schemathesis against a fresh service's /openapi.json, a few minutes; fails on a 5xx or a
# response the document does not describe (FUZZ_ARGS: e.g. --seed 42 --examples 50)
fuzz: $(STAMP)
	$(BIN)/python bench/fuzz.py $(FUZZ_ARGS)

# The portal's message catalogs: extract every marked string (babel.cfg) and update the id and en
# catalogs; then translate the new entries of handlers/portal/locales/id/LC_MESSAGES/messages.po
# (tests/portal/test_catalogs.py fails on any untranslated one). English msgids are the text.
catalogs: $(STAMP)
	@mkdir -p var
	$(BIN)/pybabel extract -F babel.cfg -o var/messages.pot --no-location --sort-output --omit-header .
	$(BIN)/pybabel update -i var/messages.pot -d handlers/portal/locales -D messages --no-fuzzy-matching --omit-header

# A PNG of every portal screen (id and en, desktop and 375 px) under var/screenshots/, from a
# scratch store seeded with the demo (needs Chromium: apt-get install chromium)
screenshots: $(STAMP)
	$(BIN)/python bench/screenshots.py

clean:
	rm -rf $(VENV) var
