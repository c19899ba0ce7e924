"""``course demo``: an instructor's first five minutes, in a throwaway folder.

Releases every problem set, makes a small class (the reference solution,
the untouched release, a partly right submission and a broken file),
autogrades it and returns the grade table.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import nbformat

from course.grading import Course, GradeTable, Outcome, scratch_course
from course.notebooks import fill_solutions, grade_id, is_solution, read_notebook

#: The demo class: student id -> what the submission is.
STUDENTS = {
    "reference": "the reference solution in every answer cell",
    "untouched": "the release as handed out (stubs only)",
    "partial": "the reference in the first half of the answer cells",
    "broken": "a notebook file cut off in the middle (not valid JSON)",
}


def make_submission(student: str, release: nbformat.NotebookNode,
                    source: nbformat.NotebookNode) -> str:
    """The text of the demo submission of ``student``."""
    if student == "reference":
        nb = fill_solutions(release, source)
    elif student == "untouched":
        nb = release
    elif student == "partial":
        ids = [grade_id(c) for c in release.cells if is_solution(c)]
        nb = fill_solutions(release, source, only=set(ids[: max(1, len(ids) // 2)]))
    elif student == "broken":
        text = nbformat.writes(fill_solutions(release, source))
        return text[: len(text) // 2]
    else:
        raise ValueError(f"unknown demo student {student!r}")
    return nbformat.writes(nb)


def build_class(course: Course, problem_sets: list[str]) -> None:
    """Write the demo submissions into ``submitted/<student>/<ps>/``."""
    for ps in problem_sets:
        for release_path in course.release_notebooks(ps):
            release = read_notebook(release_path)
            source = read_notebook(course.source_dir / ps / release_path.name)
            for student in STUDENTS:
                folder = course.submitted_dir / student / ps
                folder.mkdir(parents=True, exist_ok=True)
                text = make_submission(student, release, source)
                (folder / release_path.name).write_text(text, encoding="utf-8")


def run_demo(course: Course, keep: Path | None = None,
             say: Callable[[str], None] = print) -> tuple[GradeTable, list[Outcome]]:
    """Run the whole demo; with ``keep`` the demo course folder is copied there."""
    with scratch_course(course) as demo:
        problem_sets = demo.problem_sets()
        say(f"demo course in {demo.root}")
        say(f"releasing {', '.join(problem_sets)} ...")
        demo.release()
        build_class(demo, problem_sets)
        say("class: " + "; ".join(f"{s} = {what}" for s, what in STUDENTS.items()))
        outcomes = []
        for ps in problem_sets:
            say(f"autograding {ps} ...")
            outcomes += demo.autograde(ps, workers=min(2, os.cpu_count() or 1))
        table = demo.grades()
        if keep:
            shutil.copytree(demo.root, keep, dirs_exist_ok=True)
            say(f"demo course kept in {keep}")
    return table, outcomes
