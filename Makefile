# The README names two targets: `make run` and `make test`. The rest are helpers.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PORT ?= 8000
DEMO_ENTERPRISES ?= 3000
STAMP := $(VENV)/.installed

.PHONY: run test test-deploy install lint format services-up services-down services-status bench lighthouse \
        migrate demo clean

$(STAMP): setup.cfg pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip setuptools wheel
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	@touch $@

install: $(STAMP)

## make run: migrate, load demo data when empty, serve at http://127.0.0.1:$(PORT) with the
## change-feed worker beside it (Procfile, honcho; Ctrl-C stops both)
# Links, the OAuth issuer and the console's redirect URI are built on CREDIT_PUBLIC_URL;
# the console sends a visit to http://localhost:$(PORT) there first. Web requests run no
# consumer: the worker delivers every change (docs/deploying/worker.md).
run: export CREDIT_PUBLIC_URL ?= http://127.0.0.1:$(PORT)
run: export CREDIT_INDEX_AFTER_COMMIT ?= false
# Webhooks may go to a receiver on this machine in the local run (deploy/env.example: none).
run: export CREDIT_WEBHOOK_ALLOW_HOSTS ?= 127.0.0.1
run: install
	$(FLASK) db upgrade
	$(FLASK) credit pledges seed-templates
	$(FLASK) credit demo --enterprises $(DEMO_ENTERPRISES) --seed 1 --if-empty
	$(FLASK) credit console setup --demo-accounts > /dev/null  # <CREDIT_PUBLIC_URL>/console/callback
	$(FLASK) search check > /dev/null  # indices of a new mapping version are filled here
	PORT=$(PORT) $(BIN)/honcho start -f Procfile

## make test: lint, start PostgreSQL, Elasticsearch and Redis (nginx for the proxy tests),
## run the suite on both databases
test: install lint
	bash scripts/test.sh

## make test-deploy: the deployment topology tests (worker takeover, nginx in front of two
## instances, a 3-node Elasticsearch cluster, a PostgreSQL restart, the restore drill)
test-deploy: install
	bash scripts/test_deploy.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

services-up:
	bash scripts/services.sh up

services-down:
	bash scripts/services.sh down

services-status:
	bash scripts/services.sh status

migrate: install
	$(FLASK) db upgrade

demo: install
	$(FLASK) credit demo --enterprises $(DEMO_ENTERPRISES) --seed 1

## make bench: generate BENCH_ENTERPRISES (default 1,000,000) and measure, printing tables
bench: install
	bash scripts/bench.sh

## make lighthouse: Lighthouse scores of home, search, a profile and a report (phone profile)
lighthouse: install
	bash scripts/lighthouse.sh

clean:
	rm -rf instance .pytest_cache .ruff_cache
