# Two-command quick start: `make demo` and `make test`. `make install` is the shared, idempotent set-up.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.install-stamp

.PHONY: install demo test lint typecheck clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: install
	$(VENV)/bin/spinepath demo -o demo-output

test: install
	$(VENV)/bin/ruff check src tests scripts
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check src tests scripts
	$(VENV)/bin/ruff format --check src tests

typecheck: install
	$(VENV)/bin/mypy src

clean:
	rm -rf $(VENV) demo-output .pytest_cache .ruff_cache .mypy_cache
