"""`course validate`: the student's self-check, its exit codes and its messages."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from problem_sets import ROOT

from course.notebooks import fill_solutions, grade_id, is_test, read_notebook

PS = "ps0_warmup"
COURSE = [str(Path(sys.executable).parent / "course"), "--root", str(ROOT)]


def run_validate(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*COURSE, "validate", str(path)], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def notebooks():
    release = read_notebook(ROOT / "assignments" / PS / f"{PS}.ipynb")
    source = read_notebook(ROOT / "solutions" / PS / f"{PS}.ipynb")
    return release, fill_solutions(release, source)


def write(tmp_path: Path, nb, name: str = f"{PS}.ipynb") -> Path:
    folder = tmp_path / PS
    folder.mkdir(exist_ok=True)
    path = folder / name
    nbformat.write(nb, path)
    return path


def assert_clean_failure(result, code=1):
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.slow
def test_reference_passes_with_exit_0(notebooks, tmp_path):
    result = run_validate(write(tmp_path, notebooks[1]))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Verdict: PASS" in result.stdout
    assert "cosine_similarity_matrix" in result.stdout and "pass (4/4)" in result.stdout


@pytest.mark.slow
def test_untouched_release_fails_with_a_table_of_parts(notebooks, tmp_path):
    result = run_validate(write(tmp_path, notebooks[0]))
    assert_clean_failure(result)
    assert "Verdict: FAIL" in result.stdout and "not implemented yet" in result.stdout
    assert result.stdout.count("FAIL (0/") == 4


@pytest.mark.slow
def test_cells_pasted_into_a_fresh_notebook_are_detected(notebooks, tmp_path):
    fresh = nbformat.v4.new_notebook()
    fresh.cells = [nbformat.v4.new_code_cell(c.source) if c.cell_type == "code"
                   else nbformat.v4.new_markdown_cell(c.source) for c in notebooks[1].cells]
    result = run_validate(write(tmp_path, fresh))
    assert_clean_failure(result)
    assert "no nbgrader metadata" in result.stdout and "is missing" in result.stdout
    assert "Verdict: FAIL" in result.stdout


@pytest.mark.slow
def test_deleted_test_cell_is_detected(notebooks, tmp_path):
    nb = copy.deepcopy(notebooks[1])
    victim = next(c for c in nb.cells if is_test(c))
    nb.cells.remove(victim)
    result = run_validate(write(tmp_path, nb))
    assert_clean_failure(result)
    assert f"test cell '{grade_id(victim)}' is missing" in result.stdout


@pytest.mark.slow
def test_edited_locked_and_duplicated_cells_are_detected(notebooks, tmp_path):
    nb = copy.deepcopy(notebooks[1])
    tests = [c for c in nb.cells if is_test(c)]
    tests[0].source = "pass  # the tests were in the way"
    nb.cells.append(copy.deepcopy(tests[1]))
    result = run_validate(write(tmp_path, nb))
    assert_clean_failure(result)
    assert f"locked cell '{grade_id(tests[0])}' was edited" in result.stdout
    assert f"cell '{grade_id(tests[1])}' appears 2 times" in result.stdout


def test_unreadable_and_missing_files_give_one_line_and_exit_2(tmp_path):
    broken = tmp_path / PS / f"{PS}.ipynb"
    broken.parent.mkdir()
    broken.write_text('{"cells": [', encoding="utf-8")
    for path, words in ((broken, "is not a valid notebook"), (tmp_path / "nope.ipynb", "no such"),
                        (tmp_path, "is a folder")):
        result = run_validate(path)
        assert_clean_failure(result, code=2)
        assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1
    latin = tmp_path / "latin.ipynb"
    latin.write_bytes(b'{"cells": "\xe9"}')
    result = run_validate(latin)
    assert_clean_failure(result, code=2)
    assert "not UTF-8" in result.stderr


def test_notebook_of_no_problem_set_is_rejected(tmp_path):
    path = tmp_path / "mine.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), path)
    result = run_validate(path)
    assert_clean_failure(result, code=2)
    assert "cannot tell which problem set" in result.stderr


@pytest.mark.slow
def test_a_cell_over_the_time_limit_fails_validation(notebooks, tmp_path):
    nb = copy.deepcopy(notebooks[1])
    nb.cells.append(nbformat.v4.new_code_cell("import time\ntime.sleep(60)"))
    path = write(tmp_path, nb)
    result = subprocess.run([*COURSE, "validate", "--timeout", "5", str(path)],
                            capture_output=True, text=True, timeout=300)
    assert_clean_failure(result)
    assert "ran longer than 5 s" in result.stdout and "did not run to the end" in result.stdout
