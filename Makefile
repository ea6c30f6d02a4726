# envbuild's own workflow. The development environment is installed from locks/dev.txt, a
# hash-pinned lock that envbuild itself writes (make lock-dev).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
ENVBUILD := $(VENV)/bin/envbuild
PYTEST_ARGS ?=

.PHONY: venv test test-fast demo lock-dev check-locks bench clean

venv: $(VENV)/.installed

$(VENV)/.installed: locks/dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r locks/dev.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation --editable .
	touch $@

## make test: the whole suite, as CI runs it (network and Docker tests included).
test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

## make test-fast: only the hermetic tests (no PyPI, no Docker).
test-fast: venv
	$(PY) -m pytest -m "not network and not docker" $(PYTEST_ARGS)

## make demo: the main job end to end on images/demo.
demo: venv
	$(ENVBUILD) lock images/demo
	$(ENVBUILD) lock images/demo --check

## make lock-dev: re-lock envbuild's own development environment.
lock-dev: venv
	$(ENVBUILD) lock . --target dev

check-locks: venv
	$(ENVBUILD) lock . --check
	$(ENVBUILD) lock images/demo --check

bench: venv
	$(PY) bench/lock.py

clean:
	rm -rf $(VENV) build dist .pytest_cache
