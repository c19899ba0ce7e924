"""Wrong implementations a student could plausibly write lose points exactly where intended.

Each fixture in tests/variants/<ps>.py replaces one solution cell of the
source notebook; executing it (hidden tests included, as at autograde) must
fail exactly the listed test cells and pass every other one.
"""

from __future__ import annotations

import nbformat
import pytest
from conftest import error_cells, execute_notebook
from problem_sets import problem_sets, source_notebook, variants

from course.notebooks import grade_id, is_solution, is_test

CASES = [pytest.param(ps, v, id=f"{ps}-{v['name']}") for ps in problem_sets()
         for v in variants(ps)]


def test_every_graded_function_has_a_wrong_variant():
    for ps in problem_sets():
        nb = nbformat.read(source_notebook(ps), as_version=4)
        solutions = {grade_id(c) for c in nb.cells if is_solution(c) and c.cell_type == "code"}
        covered = {v["cell"] for v in variants(ps)}
        assert solutions <= covered, f"{ps}: no wrong variant for {sorted(solutions - covered)}"
        tests = {grade_id(c) for c in nb.cells if is_test(c)}
        for v in variants(ps):
            assert v["cell"] in solutions, f"{v['name']}: no solution cell {v['cell']!r}"
            assert v["fails"] and set(v["fails"]) <= tests, f"{v['name']}: bad fails set"


@pytest.mark.slow
@pytest.mark.parametrize(("ps", "variant"), CASES)
def test_wrong_variant_fails_exactly_its_test_cells(ps, variant, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")  # shrink ungraded demo cells
    path = source_notebook(ps)
    nb = nbformat.read(path, as_version=4)
    [cell] = [c for c in nb.cells if grade_id(c) == variant["cell"]]
    cell.source = variant["code"]
    nb, _ = execute_notebook(nb, path.parent, timeout=60)
    failed = {key for key in error_cells(nb) if key in {grade_id(c) for c in nb.cells
                                                         if is_test(c)}}
    others = {key: v for key, v in error_cells(nb).items() if key not in failed}
    assert not others, f"non-test cells failed: {others}"
    assert failed == set(variant["fails"]), (
        f"{variant['name']}: failed {sorted(failed)}, expected {sorted(variant['fails'])}")
