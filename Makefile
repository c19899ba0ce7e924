# The two commands of the course:
#   make lab    set up .venv (first time only) and start JupyterLab on the course
#   make test   set up .venv (first time only) and run the whole test suite
# Both are idempotent: with pyproject.toml and constraints.txt unchanged,
# a second run installs nothing.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8888
PYTEST_ARGS ?=
# Tools started by nbgrader and Jupyter (alembic, kernels) must come from .venv.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: setup lab test test-fast bench lint release doctor demo lock clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
	    -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

# Jupyter refuses to run as root unless told; containers and CI machines run as root.
LAB_ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

lab: setup
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --port=$(PORT) $(LAB_ROOT_FLAG) $(LAB_ARGS)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The fast lane: unit tests only, no notebook execution and no nbgrader runs.
test-fast: setup
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

bench: setup
	$(BIN)/python benchmarks/run_all.py

lint: setup
	$(BIN)/ruff check .

release: setup
	$(BIN)/course release

doctor: setup
	$(BIN)/course doctor

demo: setup
	$(BIN)/course demo

# Re-resolve the pinned set from pyproject.toml's lower bounds (review the diff).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet 'torch==2.13.0' -e '.[dev]'
	{ echo "# Exact versions installed by the Makefile and CI (pip install -c constraints.txt)."; \
	  echo "# Regenerate with: make lock   (then review the diff)"; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable | sed 's/+cpu$$//'; } > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
