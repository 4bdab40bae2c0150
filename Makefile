# hegui: two commands on a fresh machine — `make run` and `make test`. Both set everything up first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.hegui-installed

.PHONY: install run sysdeps test test-guard-local lint bench tables screenshots clean

$(STAMP): pyproject.toml setup.py src/hegui/_native.c
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## install: create .venv/ and install hegui with its development tools (the CLI is then .venv/bin/hegui)
install: $(STAMP)

## run: set up, then start the service on the embedded defaults
run: install
	$(BIN)/hegui serve

## lint: ruff, mypy (strict), import layering
lint: install
	$(BIN)/ruff check src tests scripts bench
	$(BIN)/mypy
	$(BIN)/lint-imports

## sysdeps: system packages the tests need (the PostgreSQL server, for the store tests; espeak-ng, for spoken audio labels; chromium and fonts-noto-cjk, for PDF reports); installs them as root
sysdeps:
	@if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing the PostgreSQL server (for the store tests)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null; \
		else \
			echo "note: the PostgreSQL store tests need the server: sudo apt-get install postgresql (or set HEGUI_SKIP_PG=1)"; \
		fi; \
	fi
	@if ! command -v espeak-ng >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing espeak-ng (spoken audio labels, GB 45438 §5.3)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends espeak-ng >/dev/null; \
		else \
			echo "note: spoken audio labels need espeak-ng (sudo apt-get install espeak-ng); without it the rhythm cue is used"; \
		fi; \
	fi
	@if [ ! -x /usr/bin/chromium ] || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing chromium and fonts-noto-cjk (PDF reports, hegui report)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null; \
		else \
			echo "note: PDF reports need chromium and fonts-noto-cjk (sudo apt-get install chromium fonts-noto-cjk); else use hegui report --no-pdf"; \
		fi; \
	fi

## test: set up, lint, and run the whole suite
test: sysdeps lint
	$(BIN)/pytest -q

## test-guard-local: the local transformers guard-model path (installs the CPU build of torch and transformers)
test-guard-local: install
	$(BIN)/python -m pip install --quiet 'torch==2.13.0' 'transformers>=4.51'
	$(BIN)/pytest -q tests/test_guard_model_transformers.py

## bench: speed and quality figures -> bench/results.json and a table
bench: install
	$(BIN)/python bench/run.py

## screenshots: PNGs of the console's main pages -> docs/screenshots/ (demo data, Debian's headless chromium)
screenshots: install
	$(BIN)/python scripts/console_screenshots.py --out docs/screenshots

## tables: rebuild the shipped data (normalisation table, region codes, default lexicon) from ../shared/data
tables: install
	$(BIN)/python scripts/build_normtable.py
	$(BIN)/python scripts/build_region_codes.py
	$(BIN)/python scripts/build_lexicon.py

clean:
	rm -rf $(VENV) build src/*.egg-info src/hegui/*.so .mypy_cache .ruff_cache .pytest_cache
