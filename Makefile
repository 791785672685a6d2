# The two commands of the README: `make run` and `make test`. Everything they need is
# installed here, from PyPI and the npm registry, into .venv and node_modules.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
NPM_CI := npm ci --no-audit --no-fund --loglevel=error

.PHONY: run test lint check deps dev-deps web js-deps browser proxy bench guide-images clean

$(VENV)/.deps: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-deps: pyproject.toml $(VENV)/.deps
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

deps: $(VENV)/.deps
dev-deps: $(VENV)/.dev-deps

web/node_modules/.stamp: $(wildcard web/package-lock.json)
	if [ -f web/package.json ]; then cd web && $(NPM_CI) && touch node_modules/.stamp; fi

# The browser app: web/dist (hashed names + manifest.json, read by server/pages/shells.py).
web: web/node_modules/.stamp
	cd web && node build.mjs

tests/interop/node_modules/.stamp: tests/interop/package-lock.json
	cd tests/interop && $(NPM_CI)
	touch $@

# The load generator's own npm packages: tests/test_bench_accounting.py runs it.
bench/node_modules/.stamp: bench/package-lock.json
	cd bench && $(NPM_CI)
	touch $@

js-deps: tests/interop/node_modules/.stamp bench/node_modules/.stamp

# The browser tests drive Debian's Chromium (never a browser downloaded by Playwright).
# As root it is installed here; otherwise make stops and says the one command to run.
CHROMIUM ?= $(or $(CHARTER_CHROMIUM),/usr/bin/chromium)
browser:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends chromium fonts-liberation; \
	else \
	  echo "The browser tests need Debian's Chromium. Run:"; \
	  echo "  sudo apt-get install --no-install-recommends chromium fonts-liberation"; \
	  echo "(or point CHARTER_CHROMIUM at a Chromium binary)"; exit 1; \
	fi

# The rolling-restart test puts Debian's nginx in front of two instances: installed here
# as root; otherwise make says the one command to run.
NGINX ?= $(or $(CHARTER_NGINX),/usr/sbin/nginx)
proxy:
	@if [ -x "$(NGINX)" ]; then exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends nginx; \
	else \
	  echo "The rolling-restart test needs Debian's nginx. Run:"; \
	  echo "  sudo apt-get install --no-install-recommends nginx"; \
	  echo "(or point CHARTER_NGINX at an nginx binary)"; exit 1; \
	fi

run: deps web
	CHARTER_SEED_DEMO=$${CHARTER_SEED_DEMO:-true} $(VENV)/bin/charter serve

lint: dev-deps
	$(PY) -m ruff check .
	$(PY) -m mypy

# Two pytest processes (one on a single-core machine): 16 min instead of 20 on CI's two
# cores. Not more: every test has its own servers, databases and browsers, and more workers
# would crowd PostgreSQL's 100 connections. PYTEST_ARGS= runs the suite in one process.
PYTEST_ARGS ?= -n auto --maxprocesses=2

test: dev-deps web js-deps browser proxy lint
	$(PY) -m pytest $(PYTEST_ARGS)

# The benchmark's own extra (matplotlib, for the chart); the peers it compares with are
# installed by bench/run.py itself, at pinned versions, into a temporary folder.
$(VENV)/.bench-deps: pyproject.toml $(VENV)/.deps
	$(PY) -m pip install --quiet -e '.[bench]'
	touch $@

# The participants' guide (/guide) shows screenshots taken by a browser test: walk it again,
# then copy the pictures where the app serves them (after a change of the pages they show).
guide-images: dev-deps web browser
	$(PY) -m pytest -q tests/e2e/test_participant_guide.py -k walked
	cp test-artifacts/guide/*.png server/pages/screenshots/

bench: deps $(VENV)/.bench-deps
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) web/node_modules web/dist tests/interop/node_modules
