"""Wrong implementations a student could plausibly write lose points exactly where intended.

Each fixture in tests/variants/<ps>.py replaces one solution cell of the
source notebook; executing it (hidden tests included, as at autograde) must
fail exactly the listed test cells and pass every other one.

To save a kernel start and the imports per variant, the variants of a problem
set share one kernel: before each, ``%reset -f`` empties the namespace and
the whole notebook runs again from the top.  When a result differs from the
expected one (or the kernel dies or times out) the variant is run again in a
fresh kernel, and that result is the one asserted, so a shared kernel can
speed a run up but never decide it.
"""

from __future__ import annotations

import copy

import nbformat
import pytest
from conftest import error_cells, execute_notebook
from problem_sets import problem_sets, source_notebook, variants

from course.notebooks import grade_id, is_solution, is_test

CASES = [pytest.param(ps, v, id=f"{ps}-{v['name']}") for ps in problem_sets()
         for v in variants(ps)]
ENV = {"NBGRADER_EXECUTION": "autograde"}   # shrink ungraded demo cells, as at autograde


def with_variant(ps: str, variant: dict) -> nbformat.NotebookNode:
    """The source notebook of ps with the variant's code in place of its solution cell."""
    nb = nbformat.read(source_notebook(ps), as_version=4)
    [cell] = [c for c in nb.cells if grade_id(c) == variant["cell"]]
    cell.source = variant["code"]
    return nb


class SharedKernel:
    """One kernel for the variants of one problem set at a time (see the module docstring)."""

    def __init__(self):
        self.ps = None
        self.client = None
        self.context = None

    def run(self, ps: str, nb: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
        """nb executed in the shared kernel of ps, or None when the kernel failed."""
        from nbclient import NotebookClient

        if self.ps != ps:
            self.close()
            path = source_notebook(ps)
            self.client = NotebookClient(nb, timeout=60, kernel_name="python3",
                                         allow_errors=True,
                                         resources={"metadata": {"path": str(path.parent)}})
            self.context = self.client.setup_kernel()
            self.context.__enter__()
            self.ps = ps
        try:
            self.client.nb = nb
            reset = nbformat.v4.new_code_cell('get_ipython().run_line_magic("reset", "-f")')
            self.client.execute_cell(reset, 0)
            for index, cell in enumerate(nb.cells):
                self.client.execute_cell(cell, index)
        except Exception:                  # a dead kernel, a timeout: start afresh next time
            self.close()
            return None
        return nb

    def close(self):
        if self.context is not None:
            try:
                self.context.__exit__(None, None, None)
            except Exception:
                pass
        self.ps = self.client = self.context = None


@pytest.fixture(scope="module")
def shared_kernel():
    with pytest.MonkeyPatch.context() as mp:
        for key, value in ENV.items():
            mp.setenv(key, value)
        kernel = SharedKernel()
        yield kernel
        kernel.close()


def failures(nb: nbformat.NotebookNode) -> tuple[set[str], dict[str, str]]:
    """The test cells that failed, and the errors of any other cell."""
    tests = {grade_id(c) for c in nb.cells if is_test(c)}
    errors = error_cells(nb)
    failed = {key for key in errors if key in tests}
    return failed, {key: v for key, v in errors.items() if key not in failed}


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
def test_wrong_variant_fails_exactly_its_test_cells(ps, variant, shared_kernel, monkeypatch):
    nb = with_variant(ps, variant)
    executed = shared_kernel.run(ps, copy.deepcopy(nb))
    if executed is None or failures(executed) != (set(variant["fails"]), {}):
        for key, value in ENV.items():
            monkeypatch.setenv(key, value)
        executed, _ = execute_notebook(nb, source_notebook(ps).parent, timeout=60)
    failed, others = failures(executed)
    assert not others, f"non-test cells failed: {others}"
    assert failed == set(variant["fails"]), (
        f"{variant['name']}: failed {sorted(failed)}, expected {sorted(variant['fails'])}")
