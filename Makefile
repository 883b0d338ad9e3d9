# Passport — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench bench-big mutate translations setup clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

setup: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel compile -d translations --statistics

## make run: set up, migrate, seed the demo account and portal, serve Passport on :5000 and the portal on :5001
run: setup
	$(BIN)/passport db upgrade
	$(BIN)/passport demo
	@echo ""
	@echo "  Passport:    http://127.0.0.1:5000"
	@echo "  Demo portal: http://127.0.0.1:5001"
	@echo "  Demo login:  demo@example.org / passport-demo"
	@echo "  Developers:  http://127.0.0.1:5000/developers/clients"
	@echo ""
	@$(BIN)/python -m clients.portal & portal=$$!; \
	trap 'kill $$portal 2>/dev/null' EXIT INT TERM; \
	$(BIN)/passport run --host 127.0.0.1 --port 5000

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

clean:
	rm -rf $(VENV) instance .pytest_cache .mutate
