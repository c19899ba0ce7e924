"""Notebook hygiene, valid nbgrader metadata, lint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from problem_sets import ROOT, problem_sets, source_notebook

from course.notebooks import is_solution, is_test, nbgrader_meta

ALL_NOTEBOOKS = sorted(p for folder in ("notebooks", "solutions", "assignments")
                       for p in (ROOT / folder).rglob("*.ipynb")
                       if ".ipynb_checkpoints" not in p.parts)


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_has_no_outputs_and_a_python3_kernel(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, \
                f"cell {index} carries outputs: strip them before committing"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("ps", problem_sets())
def test_source_notebook_has_valid_nbgrader_metadata(ps):
    nb = nbformat.read(source_notebook(ps), as_version=4)
    ids = [nbgrader_meta(c)["grade_id"] for c in nb.cells if nbgrader_meta(c)]
    assert len(ids) == len(set(ids)), "grade ids must be unique"
    solutions = tests = 0
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if not meta:
            continue
        assert meta.get("schema_version") == 3
        assert set(meta) >= {"grade", "solution", "locked", "grade_id"}
        if is_test(cell):
            tests += 1
            assert meta["locked"] and meta["points"] > 0, meta["grade_id"]
        elif is_solution(cell) and cell.cell_type == "code":
            solutions += 1
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
            assert not meta["locked"]
    assert solutions >= 3 and tests >= 2 * solutions


def test_ruff_is_clean():
    ruff = Path(sys.executable).parent / "ruff"
    result = subprocess.run([str(ruff), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_no_instructor_working_files_are_tracked():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True,
                             text=True).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout")
    for path in tracked:
        assert not path.startswith(("submitted/", "autograded/", "feedback/", ".venv/")), path
        assert not path.endswith((".db", ".pyc")), path
