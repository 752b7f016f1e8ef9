# Two entry points that work on a fresh machine with Python 3.11, make and git:
#   make demo   - create the virtual environment from the lock, run the regional exchange
#   make test   - the same environment, then the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The adapters' per-row modules, compiled with mypyc when a C compiler is at hand (adapters/compiled.py).
COMPILED   := adapters/_compiled/manifest.json
HOT_PYTHON := $(addprefix adapters/,wire.py ids.py codes.py mapping.py)

.PHONY: demo test install lint typecheck proto migration bench lock clean

install: $(STAMP) $(COMPILED)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Without a compiler this says why and the adapters run as pure Python; it is tried again next time.
$(COMPILED): $(STAMP) $(HOT_PYTHON) adapters/build.py
	$(BIN)/python -m adapters.build

demo: install
	$(BIN)/pxhub demo

test: install
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check hub adapters flows tests bench
	cd proto && ../$(BIN)/buf lint

typecheck: install
	$(BIN)/mypy hub adapters flows bench tests

proto: install
	$(BIN)/python -m hub.dev.protos

migration: install
	$(BIN)/python -m hub.dev.migration $(MESSAGE)

bench: install
	$(BIN)/python -m bench

# Re-pin every dependency after changing pyproject.toml (run in a fresh environment).
lock:
	$(BIN)/python -m pip freeze --all --exclude-editable | grep -v '^pip==' > requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis adapters/_compiled
