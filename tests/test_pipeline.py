"""The grading pipeline end to end, in a scratch copy of the course.

Release every problem set, grade the demo class (reference, untouched
release, partly right, broken file) with nbgrader through `course`, and check
every grade, the feedback and that assignments/ is what a release produces.
"""

from __future__ import annotations

import html
import re
import shutil

import nbformat
import pytest
from problem_sets import ROOT, problem_sets

from course.demo import STUDENTS, build_class
from course.grading import Course, _tree_differences, validate
from course.notebooks import (
    fill_solutions,
    grade_id,
    is_solution,
    parts_of,
    read_notebook,
    strip_hidden_tests,
)

pytestmark = pytest.mark.slow
PROBLEM_SETS = problem_sets()


@pytest.fixture(scope="module")
def graded(released_course):
    """The demo class, autograded for every problem set; returns the course and outcomes."""
    build_class(released_course, PROBLEM_SETS)
    outcomes = {ps: {o.student: o for o in released_course.autograde(ps, workers=2)}
                for ps in PROBLEM_SETS}
    return released_course, outcomes


def _points(course: Course, ps: str) -> tuple[float, dict[str, float]]:
    release = read_notebook(course.release_notebooks(ps)[0])
    parts = parts_of(release)
    return sum(p.points for p in parts), {p.name: p.points for p in parts}


@pytest.mark.parametrize("ps", PROBLEM_SETS)
def test_assignments_folder_is_exactly_a_fresh_release(released_course, ps):
    assert _tree_differences(released_course.release_dir / ps, ROOT / "assignments" / ps) == []


@pytest.mark.parametrize("ps", PROBLEM_SETS)
def test_problem_set_is_worth_100_points(released_course, ps):
    total, _ = _points(released_course, ps)
    assert total == 100


@pytest.mark.parametrize("ps", PROBLEM_SETS)
def test_autograde_gives_reference_full_marks_and_release_zero(graded, ps):
    course, outcomes = graded
    table = course.grades()
    total, per_part = _points(course, ps)
    assert outcomes[ps]["reference"].ok and outcomes[ps]["untouched"].ok
    assert table.scores["reference"][ps] == total
    assert table.scores["untouched"][ps] == 0
    # The partly right student filled the first half of the answer cells.
    release = read_notebook(course.release_notebooks(ps)[0])
    ids = [grade_id(c) for c in release.cells if is_solution(c)]
    expected = sum(per_part[i] for i in ids[: max(1, len(ids) // 2)])
    assert table.scores["partial"][ps] == expected


@pytest.mark.parametrize("ps", PROBLEM_SETS)
def test_broken_file_is_reported_and_does_not_stop_the_class(graded, ps):
    course, outcomes = graded
    broken = outcomes[ps]["broken"]
    assert not broken.ok and "not a valid notebook" in broken.reason
    assert set(outcomes[ps]) == set(STUDENTS)


@pytest.mark.parametrize("ps", PROBLEM_SETS)
def test_feedback_never_shows_hidden_tests(graded, ps):
    course, _ = graded
    results = course.feedback(ps, ["reference", "untouched"])
    assert all(r.ok for r in results), results
    source = read_notebook(course.source_notebooks(ps)[0])
    hidden_lines = []
    for cell in source.cells:
        block = re.search(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", cell.source, re.S)
        if block:
            hidden_lines += [ln.strip() for ln in block.group(1).splitlines()
                             if len(ln.strip()) > 25]
    visible = "\n".join(strip_hidden_tests(c.source) for c in source.cells)
    hidden_lines = [line for line in hidden_lines if line not in visible]
    assert hidden_lines, f"{ps} has no hidden tests"
    for student in ("reference", "untouched"):
        [page] = (course.root / "feedback" / student / ps).glob("*.html")
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))
        leaked = [line for line in hidden_lines if line in text]
        assert not leaked, f"feedback of {student} shows hidden test lines: {leaked[:3]}"
        assert "BEGIN HIDDEN TESTS" not in text


@pytest.mark.parametrize("ps", PROBLEM_SETS)
def test_reference_passes_validation_and_release_fails(released_course, ps, tmp_path):
    release_path = released_course.release_notebooks(ps)[0]
    release = read_notebook(release_path)
    source = read_notebook(released_course.source_dir / ps / release_path.name)
    folder = tmp_path / ps
    folder.mkdir()
    for extra in release_path.parent.iterdir():  # data files handed out with the notebook
        if extra.suffix != ".ipynb" and extra.is_file():
            shutil.copy2(extra, folder)
    mine = folder / release_path.name
    nbformat.write(fill_solutions(release, source), mine)
    report = validate(mine, course=Course(ROOT))
    assert report.ok, report.render()
    nbformat.write(release, mine)
    report = validate(mine, course=Course(ROOT))
    assert not report.ok and not report.integrity
    assert all(not part.ok for part in report.parts), report.render()
