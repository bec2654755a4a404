# Two commands matter: `make demo` and `make test`. Both build .venv when it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo lint test test-ui chaos bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# The first run installs for a few minutes: say what, and let pip name each package it fetches.
$(STAMP): $(PY) pyproject.toml constraints.txt
	@echo "Installing ml-connector into $(VENV) with the versions of constraints.txt (the first time takes a few minutes):"
	@echo "  the bridge (Flask, spyne, waitress, lxml), the store (SQLModel, SQLAlchemy, psycopg), the Zoho client (httpx),"
	@echo "  the Prefect flows (prefect: the flows extra) and the dev tools (pytest, pytest-xdist, hypothesis, zeep, ruff, mypy)"
	$(PY) -m pip install --quiet --upgrade pip
	@# pip's own exit status, through the filter that keeps its "Collecting <package>" lines.
	@{ $(PY) -m pip install --progress-bar off -c constraints.txt -e '.[dev]' 2>&1; \
	   echo $$? > $(VENV)/.pip-status; } | grep -v -e '^Requirement already satisfied' -e '^  '; \
	 exit $$(cat $(VENV)/.pip-status)
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m connector.cli demo

# The gates before any test runs: ruff and mypy (both configured in pyproject.toml); a finding
# of either fails `make lint`, and so `make test`.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m mypy

# PostgreSQL is the scale path: when the local server answers, the storage, bridge and flow
# tests run on it as well as on SQLite. The suite runs on TEST_WORKERS pytest-xdist processes
# (0: in this one); tests that share a server are kept on one worker (tests/conftest.py). More
# workers than cores pays: many tests wait on PostgreSQL, sockets and subprocesses.
TEST_WORKERS ?= 3
test: $(STAMP) lint
	@PGURL="$${MLC_TEST_POSTGRES_URL:-$$($(PY) -m tests.pgprobe)}"; \
	if [ -n "$$PGURL" ]; then echo "PostgreSQL tests: on ($$PGURL)"; else echo "PostgreSQL tests: off (no server answered)"; fi; \
	if [ -x /usr/bin/chromium ]; then echo "Prefect UI browser test: on (/usr/bin/chromium)"; else echo "Prefect UI browser test: SKIPPED (no /usr/bin/chromium; make test-ui installs it)"; fi; \
	MLC_TEST_POSTGRES_URL="$$PGURL" $(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing on purpose" >&2; exit 1; fi; \
	exit $$rc

# The Prefect UI in a real browser: Debian's chromium (installed when missing) driven by
# Playwright, screenshots kept in docs/. `make test` runs the same test when /usr/bin/chromium
# exists.
test-ui: $(STAMP)
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "installing Debian's chromium (apt-get) for the browser test"; \
	  SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$SUDO apt-get install -y -q chromium || { $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }; \
	fi
	MLC_UI_SCREENSHOTS_DIR=docs $(PY) -m pytest tests/flows/test_prefect_ui.py -p no:cacheprovider $(PYTEST_ARGS)

# The chaos suite at full size (seeded; MLC_CHAOS_SEED overrides the seed), printing its
# figures: duplicates, lost edits, divergent fields, failures missing from the audit.
# The 50-company scale-out test (tests/flows/test_scale_out.py) runs here at full size too,
# on PostgreSQL when the local server answers.
chaos: $(STAMP)
	MLC_TEST_POSTGRES_URL="$${MLC_TEST_POSTGRES_URL:-$$($(PY) -m tests.pgprobe)}" \
	MLC_CHAOS_SIZE=full $(PY) -m pytest tests/chaos tests/flows/test_scale_out.py \
		-m 'chaos or not chaos' -s -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
