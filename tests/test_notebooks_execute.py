"""Every lecture and solution notebook runs top to bottom without error, within its budget."""

from __future__ import annotations

import os

import nbformat
import pytest
from conftest import error_cells, execute_notebook
from problem_sets import ROOT, lecture_notebooks, problem_sets, source_notebook

BUDGET = float(os.environ.get("COURSE_NOTEBOOK_BUDGET", 60))  # seconds, DESIGN.md
NOTEBOOKS = [*lecture_notebooks(), *(source_notebook(ps) for ps in problem_sets())]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_executes_within_budget(path):
    nb = nbformat.read(path, as_version=4)
    nb, seconds = execute_notebook(nb, path.parent, timeout=int(BUDGET) + 30)
    assert not error_cells(nb), f"cells failed: {error_cells(nb)}"
    assert seconds <= BUDGET, f"{path.name} took {seconds:.1f} s; the budget is {BUDGET:g} s"
