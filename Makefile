# Passport — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# What running needs (make run), and everything (make test, lint, bench, mutate).
RUNTIME := $(VENV)/.runtime
STAMP := $(VENV)/.installed
CATALOG := translations/ru/LC_MESSAGES/messages
# make run PORT=5050 PORTAL_PORT=5051: where Passport and the demo portal listen.
PORT ?= 5000
PORTAL_PORT ?= 5001
SPA_PORT ?= 5002
ISSUER := http://127.0.0.1:$(PORT)

.PHONY: spa-library run test lint format bench bench-big mutate dist translations setup clean

$(RUNTIME): pyproject.toml
	@echo "Installing Passport into $(VENV) (the first time only)…"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -qq --disable-pip-version-check -e .
	@touch $(RUNTIME)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $(RUNTIME) $(STAMP)

setup: $(STAMP) translations spa-library

translations: $(STAMP)
	$(BIN)/pybabel compile -d translations --statistics

# The compiled catalog, made again only when its source changed.
$(CATALOG).mo: $(CATALOG).po $(RUNTIME)
	@$(BIN)/pybabel compile -d translations > /dev/null 2>&1

## make run: set up what running needs, migrate, seed the demo account and portals, serve
## Passport on :$(PORT), the portal on :$(PORTAL_PORT) and, with npm, the single-page
## example on :$(SPA_PORT) (make run PORT=5050 PORTAL_PORT=5051 SPA_PORT=5052)
run: export PASSPORT_ISSUER = $(ISSUER)
run: $(RUNTIME) $(CATALOG).mo spa-library
	@spa=""; [ -f $(SPA_LIBRARY) ] && spa="--spa-url http://127.0.0.1:$(SPA_PORT)"; \
	$(BIN)/passport db upgrade > $(VENV)/run.log 2>&1 || { cat $(VENV)/run.log; exit 1; }; \
	$(BIN)/passport demo --portal-url http://127.0.0.1:$(PORTAL_PORT) $$spa >> $(VENV)/run.log 2>&1 \
		|| { cat $(VENV)/run.log; exit 1; }
	@echo ""
	@echo "  Passport:    $(ISSUER)"
	@echo "  Demo portal: http://127.0.0.1:$(PORTAL_PORT)"
	@[ -f $(SPA_LIBRARY) ] && echo "  Single-page: http://127.0.0.1:$(SPA_PORT)" \
		|| echo "  Single-page: (needs npm; not served)"
	@echo "  Demo login:  demo@example.org / passport-demo"
	@echo "  Developers:  $(ISSUER)/developers/clients"
	@echo "  (Ctrl+C stops them all)"
	@echo ""
	@$(BIN)/python -m clients.portal --port $(PORTAL_PORT) --quiet & portal=$$!; spa=""; \
	if [ -f $(SPA_LIBRARY) ]; then \
		$(BIN)/python -m clients.spa --port $(SPA_PORT) --issuer $(ISSUER) --quiet & spa=$$!; \
	fi; \
	trap 'kill $$portal $$spa 2>/dev/null' EXIT INT TERM; \
	$(BIN)/passport run --host 127.0.0.1 --port $(PORT) --quiet

# The single-page example's library, as its lock file pins it (clients/spa); skipped
# without npm, and make run then serves the rest.
SPA_LIBRARY := clients/spa/node_modules/oidc-client-ts/dist/browser/oidc-client-ts.min.js
spa-library:
	@[ -f $(SPA_LIBRARY) ] || ! command -v npm > /dev/null || \
		npm ci --prefix clients/spa --no-audit --no-fund --silent

## make test: set up, check the import contracts (pyproject.toml), run the whole suite,
## in one pytest-xdist worker per core (TEST_WORKERS=0: in this process; PYTEST_ARGS="-x …")
TEST_WORKERS ?= auto
test: setup
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make bench: the hot endpoints on a fresh PostgreSQL database (BENCH_ARGS="--server granian", …)
bench: setup
	$(BIN)/python -m bench $(BENCH_ARGS)

## make bench-big: the same, and the flat-with-data pass with a million stored refresh tokens too
bench-big: setup
	$(BIN)/python -m bench --big $(BENCH_ARGS)

## make mutate: mutation testing of the security modules (MUTATE_ARGS="--backend sqlite --max 20 server/domain/passwords.py", …)
mutate: setup
	$(BIN)/python -m mutate $(MUTATE_ARGS)

## make dist: the sdist and the wheel an operator installs (README, "Operating Passport")
dist: setup
	$(BIN)/python -m build --outdir dist .

clean:
	rm -rf $(VENV) instance .pytest_cache .mutate build dist
