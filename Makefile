# The two commands a newcomer needs: `make demo` and `make test`. Both set everything up.
.DEFAULT_GOAL := help
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
STAMP := $(VENV)/.installed
OIDC_STAMP := tests/oidc_provider/node_modules/.package-lock.json
LRS_STAMP := var/lrs-venv/.installed

.PHONY: help demo test run bench setup lint typecheck lock messages clean

help:
	@echo "make demo   set up, load the demo data and serve http://127.0.0.1:8000"
	@echo "make test   set up, then run every check and the whole test suite"
	@echo "make run    serve without reseeding"
	@echo "make bench  run the benchmarks in bench/"
	@echo "make lock   re-resolve requirements.lock from pyproject.toml"

$(PY):
	@python=$$(scripts/find-python) && echo "Creating $(VENV) with $$python" && "$$python" -m venv $(VENV)

# Reinstall only when the lock changes. The project itself is installed editable, without deps.
$(STAMP): requirements.lock pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

# The loopback OpenID Connect provider used by the SSO tests (node, from the npm registry).
$(OIDC_STAMP): tests/oidc_provider/package-lock.json
	cd tests/oidc_provider && npm ci --no-audit --no-fund --loglevel=error

# The loopback Learning Record Store (Ralph) used by the xAPI tests, in a venv of its own:
# it pins old packages that must not meet the project's.
$(LRS_STAMP): tests/lrs/requirements.txt
	@python=$$(scripts/find-python) && rm -rf var/lrs-venv && "$$python" -m venv var/lrs-venv
	var/lrs-venv/bin/python -m pip install --quiet --require-hashes -r tests/lrs/requirements.txt
	@touch $(LRS_STAMP)

setup: $(STAMP)
	$(MANAGE) compilemessages --ignore=.venv -v 0
	$(MANAGE) migrate --no-input -v 0
	$(MANAGE) createcachetable

demo: setup
	$(MANAGE) seed_demo
	$(MANAGE) runserver 127.0.0.1:8000

run: setup
	$(MANAGE) runserver 127.0.0.1:8000

lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# Compiled catalogues, rebuilt only when a catalogue changed (so two test runs side by side
# never rewrite a file the other is reading).
MO := $(patsubst %.po,%.mo,$(wildcard src/vakwerk/locale/*/LC_MESSAGES/django.po))

$(MO) &: $(wildcard src/vakwerk/locale/*/LC_MESSAGES/django.po) | $(STAMP)
	$(MANAGE) compilemessages --ignore=.venv -v 0

test: $(STAMP) $(OIDC_STAMP) $(LRS_STAMP) lint typecheck $(MO)
	$(MANAGE) makemigrations --check --dry-run
	$(MANAGE) check_translations
	$(VENV)/bin/pytest --durations=15

bench: setup
	@set -e; shopt -s nullglob; files=(bench/*.py); [ $${#files[@]} -gt 0 ] || echo "No benchmarks yet."; for f in "$${files[@]}"; do echo "== $$f"; $(PY) "$$f"; done

# Regenerate the messages catalogues after changing user-facing text.
messages: $(STAMP)
	cd src/vakwerk && ../../$(PY) ../../manage.py makemessages -l nl -l en --no-location --ignore='*/tests/*' --ignore='static/*'

lock:
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --generate-hashes --universal \
		--python-version 3.12 -o requirements.lock

clean:
	rm -rf $(VENV) db.sqlite3 tests/oidc_provider/node_modules
