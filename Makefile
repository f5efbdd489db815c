# revops: every command a newcomer needs. `make demo` and `make test` work on a
# fresh machine: they create the environments they use from pinned versions.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export SAM_CLI_TELEMETRY := 0
export PYTHONDONTWRITEBYTECODE := 1

# Python 3.13 (the Lambda runtime): whatever `python3.13` resolves to, falling
# back to pyenv's 3.13 when the active pyenv version is another one, then to
# Homebrew's python@3.13 (keg paths differ on Apple silicon and Intel Macs).
PY313 ?= $(shell { python3.13 -c 'import sys; print(sys.executable)' 2>/dev/null \
	|| PYENV_VERSION=3.13.0 python3.13 -c 'import sys; print(sys.executable)' 2>/dev/null \
	|| PYENV_VERSION=3.13 python3.13 -c 'import sys; print(sys.executable)' 2>/dev/null \
	|| "$$(brew --prefix python@3.13 2>/dev/null)/bin/python3.13" -c 'import sys; print(sys.executable)' 2>/dev/null; } | head -n1)

VENV   := .venv
TOOLS  := .venv-tools
CHECKOV_VENV := .venv-checkov
PY     := $(VENV)/bin/python
UV     := $(TOOLS)/bin/uv
SAM    := $(TOOLS)/bin/sam
# `sam build` must find python3.13 (with pip) on PATH: the project environment has it.
SAMENV := PATH="$(CURDIR)/$(VENV)/bin:$$PATH"

.PHONY: help env browser demo test pytest invoke start lint format typecheck validate build unit integration e2e bench deploy requirements clean

help:
	@echo "make demo       run every workflow on the offline stack; results in out/"
	@echo "make test       lint, type-check, validate, sam build and every test (what CI runs)"
	@echo "make lint       ruff and mypy"
	@echo "make validate   sam validate --lint, asl-validator, checkov"
	@echo "make build      sam build (no Docker)"
	@echo "make invoke     FUNCTION=<LogicalId> EVENT=events/<file>.json: one function, as sam local invoke"
	@echo "make start      WORKFLOW=<name> INPUT=events/<file>.json: one execution, its history in short"
	@echo "make bench      benchmarks against peers (by hand, never in CI)"
	@echo "make deploy     sam build && sam deploy --guided"

$(TOOLS)/.installed: requirements-tools.txt
	@test -n "$(PY313)" || { echo "python3.13 not found: install Python 3.13 (e.g. pyenv install 3.13)"; exit 1; }
	$(PY313) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check -r requirements-tools.txt
	touch $@

# checkov pins its own dependencies: it gets an environment of its own too.
$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	@test -n "$(PY313)" || { echo "python3.13 not found"; exit 1; }
	$(PY313) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

$(VENV)/.synced: $(TOOLS)/.installed pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PY313) --quiet
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

env: $(VENV)/.synced $(TOOLS)/.installed $(CHECKOV_VENV)/.installed node_modules/.installed

# A Chrome or Chromium renders the dashboards for the browser tests and the
# demo's screenshots (driven by Playwright). `local/browser.py` finds one on
# PATH, in the macOS application folders or Playwright's cache, else tries
# `playwright install chromium`, then Debian's package where it may (root or passwordless sudo).
# Without one, the screenshots and the browser tests are skipped, never failed.
browser: $(VENV)/.synced
	@$(PY) -m local.browser --install

requirements: $(TOOLS)/.installed
	$(UV) export --frozen --no-dev --no-hashes --no-emit-project --no-header --quiet \
		-o layers/common/requirements.txt

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy layers/common/revops functions local bench
	@$(UV) export --frozen --no-dev --no-hashes --no-emit-project --no-header --quiet \
		| diff -q - layers/common/requirements.txt >/dev/null \
		|| { echo "layers/common/requirements.txt is stale: run make requirements"; exit 1; }

format: $(VENV)/.synced
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

validate: env
	$(SAMENV) $(SAM) validate --lint
	node_modules/.bin/asl-validator $(foreach f,$(wildcard statemachines/*.asl.json),--json-path $(f))
	$(PY) -m local.harden_template --check
	$(CHECKOV_VENV)/bin/checkov --file template.yaml --framework cloudformation --compact --quiet --skip-download

build: env
	$(SAMENV) $(SAM) build --parallel --cached

unit: $(VENV)/.synced
	$(PY) -m pytest tests/unit -q

integration: $(VENV)/.synced
	$(PY) -m pytest tests/integration -q

e2e: $(VENV)/.synced
	$(PY) -m pytest tests/e2e -q

# Every check and the whole suite, side by side: lint, validate and build run
# beside pytest, which runs on every core (pytest-xdist). -O keeps each part's
# output together; -k finishes the others when one fails, and the summary names
# every part that failed.
PYTEST_WORKERS ?= auto
TEST_PARTS := lint validate build pytest

test:
	@log=$$(mktemp); start=$$(date +%s); \
	$(MAKE) --no-print-directory -k -O -j $(words $(TEST_PARTS)) $(TEST_PARTS) 2>&1 | tee $$log; \
	status=$${PIPESTATUS[0]}; \
	failed=$$(sed -nE 's/.*\*\*\* \[[^]]*: ([a-z-]+)\] Error.*/\1/p' $$log | sort -u | xargs); \
	summary=$$(grep -E '^(=+ )?[0-9]+ (passed|failed|error)' $$log | awk '{l[NR]=$$0} END {for (i = NR; i > 0; i--) print l[i]}'); \
	rm -f $$log; elapsed=$$(( $$(date +%s) - start )); \
	if [ $$status -ne 0 ]; then echo "make test: FAILED: $${failed:-see above} ($$elapsed s)"; \
	else echo "make test: $(TEST_PARTS) passed ($$elapsed s)"; fi; \
	[ -z "$$summary" ] || echo "$$summary"; exit $$status

# Every stack of the run records its roles and calls (out/iam-calls/), then the
# least-privilege audit runs over them (tests/audit/). A test file stays on one
# worker (--dist loadfile), so its module-scoped fixtures are built once.
IAM_CALLS := $(CURDIR)/out/iam-calls

pytest: $(VENV)/.synced browser
	@rm -rf $(IAM_CALLS)
	REVOPS_IAM_RECORD=$(IAM_CALLS) $(PY) -m pytest tests -q -n $(PYTEST_WORKERS) --dist loadfile
	REVOPS_IAM_AUDIT=$(IAM_CALLS) $(PY) -m pytest tests/audit -q

demo: $(VENV)/.synced browser
	$(PY) -m local.demo --out out

# `sam local invoke` without Docker: one function, or one execution of a state
# machine, on the offline stack with the demo data, its template environment,
# the layer on the path and its own role's permissions.
invoke: $(VENV)/.synced
	@test -n "$(FUNCTION)" -a -n "$(EVENT)" || { echo "usage: make invoke FUNCTION=<LogicalId> EVENT=events/<file>.json"; exit 2; }
	$(PY) -m local.invoke function $(FUNCTION) $(EVENT)

start: $(VENV)/.synced
	@test -n "$(WORKFLOW)" -a -n "$(INPUT)" || { echo "usage: make start WORKFLOW=<name> INPUT=events/<file>.json"; exit 2; }
	$(PY) -m local.invoke workflow $(WORKFLOW) $(INPUT)

bench: $(VENV)/.synced
	$(PY) -m bench

deploy: build
	$(SAM) deploy --guided

clean:
	rm -rf .aws-sam out .pytest_cache .mypy_cache .ruff_cache
