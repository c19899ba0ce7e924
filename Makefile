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

.PHONY: setup lab test test-fast bench lint release doctor demo lock clean \
        book instructor student test-browser

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
	    -c constraints.txt -e '.[dev,book]'
	@# JupyterLab mode: the one chosen last (`make instructor`), else student.
	$(BIN)/python -m course.labmode --ensure
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
	.lock-venv/bin/python -m pip install --quiet 'torch==2.13.0' -e '.[dev,book]'
	{ echo "# Exact versions installed by the Makefile and CI (pip install -c constraints.txt)."; \
	  echo "# Regenerate with: make lock   (then review the diff)"; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable | sed 's/+cpu$$//'; } > constraints.txt
	rm -rf .lock-venv

# The self-study edition: lectures with outputs and figures, and the problem sets,
# as HTML in _build/html/ (offline; executed notebooks are cached in _build/).
# (MPLBACKEND unset: the kernels must draw figures with the inline backend.)
book: setup
	env -u MPLBACKEND $(BIN)/jupyter-book build . --config book/_config.yml --toc book/_toc.yml
	@echo "book: open file://$(CURDIR)/_build/html/index.html"

# nbgrader's instructor tools (formgrader, create assignment) on or off in JupyterLab.
instructor: setup
	$(BIN)/python -m course.labmode instructor

student: setup
	$(BIN)/python -m course.labmode student

# JupyterLab in a real browser (needs /usr/bin/chromium: bash .ci/setup-browser.sh).
test-browser: setup
	$(BIN)/python -m pytest tests/test_browser.py $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
