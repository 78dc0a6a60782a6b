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

# Development defaults for `make run` only (production runs `python -m service`, see Procfile,
# where nothing is on unless configured). Any of them can be overridden from the environment.
export SALDO_ADMIN_TOKEN ?= dev-admin
export WHATSAPP_APP_SECRETS ?= dev-secret
export WHATSAPP_VERIFY_TOKEN ?= dev-verify
export PAYMENT_WEBHOOK_SECRET ?= dev-payments
export SALDO_PAYMENT_PROVIDER ?= sandbox

run: $(STAMP)
	@echo "Saldo on http://localhost:$${PORT:-8080} (development defaults: admin token" \
	      "'$$SALDO_ADMIN_TOKEN', WhatsApp app secret '$$WHATSAPP_APP_SECRETS', sandbox payments)"
	$(BIN)/python -m service

test: $(STAMP)
	$(BIN)/python -m pytest

jobs: $(STAMP)
	$(BIN)/python -m jobs

bench: $(STAMP)
	$(BIN)/python bench/webhooks.py

clean:
	rm -rf $(VENV) var
