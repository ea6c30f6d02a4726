# envbuild's own workflow. The development environment is installed from locks/dev.txt, a
# hash-pinned lock that envbuild itself writes (make lock-dev).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
ENVBUILD := $(VENV)/bin/envbuild
PYTEST_ARGS ?=
# pytest-xdist workers for the tests that need no Docker engine: one per core, each taking whole test
# modules (their module fixtures run once); JOBS=0 runs them in this process.
JOBS   ?= auto
TOOLS  ?= .tools

.PHONY: venv tools test test-fast lint demo lock-dev check-locks check-env bench clean readme readme-check

venv: $(VENV)/.installed

# Recreated from scratch when the lock changes: an installer never removes what a new lock dropped.
# uv installs the lock (hashes required, as pip would check them; 169 pins in seconds, not minutes),
# itself first installed by pip from its own pinned, hashed lines of the same lock. Neither reads this
# machine's pip configuration (PIP_CONFIG_FILE, PIP_FIND_LINKS): the lock names what is installed.
UV := $(VENV)/bin/uv
QUIET_PIP := env PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= PIP_EXTRA_INDEX_URL=
$(VENV)/.installed: locks/dev.txt pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	awk '/^uv==/{p=1} p{print} p && !/\\$$/{p=0}' locks/dev.txt > $(VENV)/uv-pin.txt
	$(QUIET_PIP) $(PY) -m pip install --quiet --require-hashes --no-deps -r $(VENV)/uv-pin.txt
	$(UV) pip install --quiet --python $(PY) --require-hashes --no-deps -r locks/dev.txt
	$(UV) pip install --quiet --python $(PY) --no-deps --no-build-isolation --editable .
	touch $@

## make tools: the tools envbuild drives or is tested with that are not its dependencies (DVC for
## verify --data, ansible-core for examples/ansible, pre-commit for .pre-commit-hooks.yaml),
## each in a venv of its own under .tools/, from its hash-pinned lock under tools/.
tools: $(TOOLS)/dvc/.installed $(TOOLS)/ansible/.installed $(TOOLS)/pre-commit/.installed

$(TOOLS)/%/.installed: tools/%/locks/tool.txt $(VENV)/.installed
	rm -rf $(TOOLS)/$*
	$(PYTHON) -m venv $(TOOLS)/$*
	$(UV) pip install --quiet --python $(TOOLS)/$*/bin/python --require-hashes --no-deps -r tools/$*/locks/tool.txt
	touch $@

## make test: the whole suite, as CI runs it (network and Docker tests included). The tests that need
## the Docker engine run after the others, one at a time: two builds at once on one engine have given
## one image two IDs (README: Decisions), which the tests that hold IDs equal would take for a defect.
test: venv tools
	status=0; $(PY) -m pytest -n $(JOBS) --dist loadfile -m "not docker" $(PYTEST_ARGS) || status=$$?; \
	$(PY) -m pytest -m docker $(PYTEST_ARGS) || status=$$?; exit $$status

## make test-fast: only the hermetic tests (no PyPI, no Docker engine, no sshd); it installs nothing
## but the venv, so that it runs offline after `make venv` (DVC's tests want `make tools` first).
test-fast: venv
	$(PY) -m pytest -n $(JOBS) --dist loadfile -m "not network and not docker and not ssh" $(PYTEST_ARGS)

## make lint: ruff over the code, the tests and the benchmarks, and mypy over the package (strict for
## the pure core); rules in pyproject.toml; no finding passes.
lint: venv
	$(VENV)/bin/ruff check envbuild tests bench scripts
	$(VENV)/bin/mypy

## make demo: the main job end to end on images/train: lock, build the training image (the project
## inside), train in it with no network as the non-root user, verify it file by file; then train in it
## as an MLflow run (envbuild run, a tracking server on 127.0.0.1) and reproduce that run from its ID.
demo: venv
	scripts/setup-docker.sh
	$(ENVBUILD) base
	$(ENVBUILD) lock images/train
	$(ENVBUILD) lock images/train --check
	$(ENVBUILD) build images/train --target cpu
	@image=$$($(ENVBUILD) build images/train --target cpu --json 2>/dev/null | $(PY) -c 'import json,sys; print(json.load(sys.stdin)["image"])'); \
	echo "docker run --rm --network none $$image"; \
	docker run --rm --network none $$image; \
	docker run --rm --network none --entrypoint sh $$image -c 'train --out . >/dev/null && echo "trained as $$(id -un) (uid $$(id -u)) in $$(pwd): $$(cat metrics.json)"'; \
	$(ENVBUILD) verify --image $$image --files
	ENVBUILD=$(ENVBUILD) scripts/demo-reproduce.sh

## make lock-dev: re-lock envbuild's own development environment.
lock-dev: venv
	$(ENVBUILD) lock . --target dev

## make check-env: does the development venv still match locks/dev.txt? (envbuild verifies itself)
check-env: venv
	$(ENVBUILD) verify . --target dev --python $(PY) --allow-extra envbuild

check-locks: venv
	$(ENVBUILD) lock . --check
	$(ENVBUILD) lock tools --check --all
	$(ENVBUILD) lock images/demo --check
	$(ENVBUILD) lock images/train --check

## make bench: every benchmark, each against its peer tools (prints, never asserts).
bench: venv tools
	$(PY) bench/lock.py
	$(PY) bench/build.py
	$(PY) bench/fetch.py
	$(PY) bench/record.py
	$(PY) bench/reproduce.py
	$(PY) bench/data.py
	$(PY) bench/interop.py
	$(PY) bench/layers.py
	$(PY) bench/verify.py
	$(PY) bench/conda.py

## make readme-check: the README's command reference matches the commands, the paths it names
## exist, the tour's commands parse, and the tour's sessions rerun (a Docker engine, PyPI) print
## what the README shows (part of make test); make readme rewrites the reference.
readme-check: venv
	$(PY) -m pytest -q tests/unit/test_readme.py tests/unit/test_tour.py tests/integration/test_readme_tour.py

readme: venv
	ENVBUILD_UPDATE_GOLDEN=1 $(PY) -m pytest -q tests/unit/test_readme.py

clean:
	rm -rf $(VENV) $(TOOLS) build dist .pytest_cache
