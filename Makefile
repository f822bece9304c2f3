# PartnerHub. The two commands: `make run` and `make test` (see README.md).

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
# Installing again only when pyproject.toml changes keeps `make run`/`make test` fast.
STAMP := $(VENV)/.installed
ADDR ?= 127.0.0.1:8000

.DEFAULT_GOAL := help
.PHONY: help install run test lint format messages clean clean-data

help:
	@echo "make run         install, migrate, load the demo data, serve http://$(ADDR)/ with a Celery worker and beat"
	@echo "make test        install, find PostgreSQL and Redis, run the whole suite (ARGS=... go to pytest)"
	@echo "make lint        ruff check, ruff format --check, makemigrations --check"
	@echo "make format      ruff format and ruff check --fix"
	@echo "make messages    update locale/*/django.po from the code's marked strings (needs gettext)"
	@echo "make clean       remove the virtual environment and caches"
	@echo "make clean-data  remove var/ (the local SQLite database, media files, the broker's files, the secret key)"

# The portal's translations (locale/<lang>/LC_MESSAGES/django.po) compiled with Babel's
# pybabel (installed with the project), so no system gettext is needed to run.
CATALOGUES := $(wildcard locale/*/LC_MESSAGES/django.po)
COMPILED := $(CATALOGUES:.po=.mo)

install: $(STAMP) $(COMPILED)

locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po $(STAMP)
	$(BIN)/pybabel -q compile -i $< -o $@

# The project is not a package ([tool.setuptools] packages = []): install exactly what
# pyproject.toml pins, runtime and dev, without building the project itself.
$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || test -x $(BIN)/python || { \
	  echo "$(PYTHON) not found: install Python 3.11, or run make PYTHON=/path/to/python3.11"; \
	  exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
	  print('\n'.join(p['dependencies'] + p['optional-dependencies']['dev']))" > $(VENV)/requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r $(VENV)/requirements.txt
	@$(BIN)/python -m pip check --disable-pip-version-check
	@touch $@

# ADDR goes to the settings too: SITE_URL (printed logins, links in emails) follows it.
run: install
	$(BIN)/python manage.py migrate --no-input
	ADDR=$(ADDR) $(BIN)/python manage.py seed_demo --print-logins
	ADDR=$(ADDR) $(BIN)/python scripts/devserver.py --addr $(ADDR)

test: install
	$(BIN)/python scripts/testenv.py $(ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# partners/management/commands/makemessages.py knows which folders to leave out.
messages: install
	$(BIN)/python manage.py makemessages --all

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis test-artifacts
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

clean-data:
	rm -rf var
