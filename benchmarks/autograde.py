"""Autograding speed: plain `nbgrader autograde` against `course autograde`.

Builds a scratch course, releases ps0_warmup, makes N submissions (half the
reference solution, half the untouched release), then grades them twice in
this process: nbgrader's command line over all students (the anchor), and
`course autograde` (the course's pipeline through nbgrader's Python API).
Reports seconds per submission, the ratio, the time to grade one reference
submission (budget: 15 s, DESIGN.md) and checks that both give the same grades.

    python benchmarks/autograde.py [--submissions N] [--ps PS]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from harness import ROOT, Row, report

from course.demo import make_submission
from course.grading import Course, scratch_course
from course.notebooks import read_notebook


def make_class(course: Course, ps: str, n: int) -> list[str]:
    release_path = course.release_notebooks(ps)[0]
    release = read_notebook(release_path)
    source = read_notebook(course.source_dir / ps / release_path.name)
    students = []
    for i in range(n):
        kind = "reference" if i % 2 == 0 else "untouched"
        student = f"s{i:03d}_{kind}"
        folder = course.submitted_dir / student / ps
        folder.mkdir(parents=True, exist_ok=True)
        (folder / release_path.name).write_text(make_submission(kind, release, source))
        students.append(student)
    return students


def reset(course: Course) -> None:
    for name in ("autograded", "gradebook.db"):
        path = course.root / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    course._api = None


def scores(course: Course, ps: str) -> dict[str, float | None]:
    return {s: row.get(ps) for s, row in course.grades().scores.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=8)
    parser.add_argument("--ps", default="ps0_warmup")
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}

    with scratch_course(Course(ROOT)) as course:
        course.release(args.ps)
        students = make_class(course, args.ps, args.submissions)

        reset(course)
        course.ensure_in_gradebook(args.ps)
        start = time.perf_counter()
        subprocess.run([str(bin_dir / "nbgrader"), "autograde", args.ps, "--force"],
                       cwd=course.root, env=env, check=True, capture_output=True)
        anchor = (time.perf_counter() - start) / len(students)
        anchor_scores = scores(course, args.ps)

        reset(course)
        start = time.perf_counter()
        outcomes = course.autograde(args.ps)
        ours = (time.perf_counter() - start) / len(students)
        our_scores = scores(course, args.ps)
        one = min(o.seconds for o in outcomes if o.student.endswith("reference"))

    same = anchor_scores == our_scores and all(o.ok for o in outcomes)
    report("autograde", [
        Row("seconds per submission", ours, anchor, "nbgrader autograde (CLI, sequential)",
            "at least 1.7x faster than sequential nbgrader (issue 7, needs --workers)",
            met=ours * 1.7 <= anchor),
        Row("seconds to autograde one reference submission", one, None, "-",
            "at most 15 s (DESIGN.md)", met=one <= 15),
        Row("identical grades (1 = yes)", float(same), 1.0, "nbgrader autograde (CLI)",
            "the same grade for every student", met=same),
    ])


if __name__ == "__main__":
    main()
