"""Instructor and student tools on top of nbgrader's Python API.

:class:`Course` wraps one course folder (the folder holding
``nbgrader_config.py``): releasing problem sets, checking that
``assignments/`` is up to date, autograding, feedback and the grade table.
:func:`validate` is the student's strict self-check.  The ``course`` command
(:mod:`course.cli`) is a thin layer over these functions.
"""

from __future__ import annotations

import filecmp
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course import ROOT
from course.errors import CourseError
from course.notebooks import (
    grade_id,
    is_locked,
    is_solution,
    is_test,
    nbgrader_meta,
    parts_of,
    read_notebook,
)

CONFIG_FILE = "nbgrader_config.py"

# nbgrader 0.9 with SQLAlchemy 2.0 warns on every autograde that a submission is
# "not in session"; the grades are right (NBGRADER_NOTES.md), so keep the output clean.
warnings.filterwarnings("ignore", message=r".*not in session.*")

# nbgrader runs `alembic` from PATH when it opens a gradebook, and kernels need the
# course's Python: make the environment's bin folder visible to what it starts.
_BIN = os.path.dirname(os.path.abspath(sys.executable))
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")
_IGNORED = {".ipynb_checkpoints", "__pycache__", ".DS_Store"}


def _quiet_nbgrader() -> None:
    for name in ("traitlets", "nbgrader", "NbGraderAPI", "Autograde", "GenerateAssignment",
                 "GenerateFeedback"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _first_line(text: str | None, limit: int = 160) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return ""


def find_root(start: str | Path | None = None) -> Path:
    """The nearest folder at or above ``start`` with nbgrader_config.py, else the package's."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file() and (folder / "solutions").is_dir():
            return folder
    if (ROOT / CONFIG_FILE).is_file():
        return ROOT
    raise CourseError(f"no {CONFIG_FILE} found above {here}; run the command inside the course "
                      "folder or pass --root")


@dataclass
class Outcome:
    """What happened to one submission in an autograde or feedback run.

    ``flags`` are reasons for manual review, ``notes`` explain a grade
    (a timeout, a restored cell); ``skipped`` means it was already graded
    and nothing changed since.
    """

    student: str
    ok: bool
    reason: str = ""
    seconds: float = 0.0
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    score: float | None = None
    skipped: bool = False

    @property
    def flagged(self) -> bool:
        return bool(self.flags) or not self.ok


@dataclass
class GradeTable:
    """Scores of every student on every problem set (None where nothing was graded)."""

    problem_sets: list[str]
    max_scores: dict[str, float]
    scores: dict[str, dict[str, float | None]] = field(default_factory=dict)

    def rows(self) -> list[list[str]]:
        header = ["student", *self.problem_sets, "total"]
        rows = [header]
        for student in sorted(self.scores):
            cells, total = [student], 0.0
            for ps in self.problem_sets:
                score = self.scores[student].get(ps)
                cells.append("-" if score is None else f"{score:g}")
                total += score or 0.0
            cells.append(f"{total:g}")
            rows.append(cells)
        rows.append(["(max)", *(f"{self.max_scores[ps]:g}" for ps in self.problem_sets),
                     f"{sum(self.max_scores.values()):g}"])
        return rows

    def render(self) -> str:
        return render_table(self.rows())

    def write_csv(self, path: str | Path) -> None:
        import csv

        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["student", *self.problem_sets, "total"])
            for row in self.rows()[1:-1]:
                writer.writerow(["" if c == "-" else c for c in row])


def render_table(rows: list[list[str]]) -> str:
    """Plain-text table with aligned columns; the first row is the header."""
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


class Course:
    """One course folder: nbgrader_config.py, solutions/, assignments/ and the working folders."""

    def __init__(self, root: str | Path | None = None):
        self.root = find_root(root) if root is None else Path(root).resolve()
        if not (self.root / CONFIG_FILE).is_file():
            raise CourseError(f"{self.root} has no {CONFIG_FILE}; is this the course folder?")
        self._api = None

    # -- configuration ---------------------------------------------------------------
    def config(self, **overrides):
        """nbgrader's configuration from nbgrader_config.py, rooted at this folder."""
        from traitlets.config import Config
        from traitlets.config.loader import PyFileConfigLoader

        config = PyFileConfigLoader(CONFIG_FILE, path=str(self.root)).load_config()
        config.CourseDirectory.root = str(self.root)
        extra = Config()
        for key, value in overrides.items():
            section, name = key.split(".")
            extra[section][name] = value
        config.merge(extra)
        return config

    @property
    def source_dir(self) -> Path:
        return self.root / str(self.config().CourseDirectory.source_directory)

    @property
    def release_dir(self) -> Path:
        return self.root / str(self.config().CourseDirectory.release_directory)

    @property
    def submitted_dir(self) -> Path:
        return self.root / "submitted"

    def api(self, **overrides):
        """An ``NbGraderAPI`` on this course (built once per Course unless overridden)."""
        if self._api is not None and not overrides:
            return self._api
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        _quiet_nbgrader()
        config = self.config(**overrides)
        api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
        api.log.setLevel(logging.ERROR)
        if not overrides:
            self._api = api
        return api

    # -- problem sets ----------------------------------------------------------------
    def problem_sets(self) -> list[str]:
        if not self.source_dir.is_dir():
            raise CourseError(f"{self.source_dir} does not exist")
        return sorted(p.name for p in self.source_dir.iterdir()
                      if p.is_dir() and p.name not in _IGNORED and any(p.glob("*.ipynb")))

    def check_problem_set(self, ps: str) -> str:
        known = self.problem_sets()
        if ps not in known:
            raise CourseError(f"no problem set {ps!r}; the course has: {', '.join(known)}")
        return ps

    def source_notebooks(self, ps: str) -> list[Path]:
        return sorted((self.source_dir / self.check_problem_set(ps)).glob("*.ipynb"))

    def release_notebooks(self, ps: str) -> list[Path]:
        return sorted((self.release_dir / self.check_problem_set(ps)).glob("*.ipynb"))

    # -- release ---------------------------------------------------------------------
    def release(self, ps: str | None = None) -> list[str]:
        """Regenerate ``assignments/PS`` from ``solutions/PS`` (all when ``ps`` is None)."""
        names = [self.check_problem_set(ps)] if ps else self.problem_sets()
        for name in names:
            result = self.api().generate_assignment(name, force=True, create=True)
            if not result["success"]:
                raise CourseError(f"generating {name} failed: {_nbgrader_reason(result)}")
        return names

    def stale_releases(self, ps: str | None = None) -> list[str]:
        """Files of ``assignments/`` that differ from a fresh release (empty when up to date)."""
        names = [self.check_problem_set(ps)] if ps else self.problem_sets()
        with scratch_course(self) as scratch:
            scratch.release(ps)
            problems = []
            for name in names:
                problems += [f"assignments/{name}/{p}"
                             for p in _tree_differences(scratch.release_dir / name,
                                                        self.release_dir / name)]
        return problems

    def ensure_in_gradebook(self, ps: str) -> None:
        """Record the problem set in the gradebook (needed before autograding) without
        touching ``assignments/``."""
        gradebook = self.api().gradebook
        try:
            names = {a.name for a in gradebook.assignments}
        finally:
            gradebook.close()
        if ps in names:
            return
        with tempfile.TemporaryDirectory() as tmp:
            api = self.api(**{"CourseDirectory.release_directory": tmp})
            result = api.generate_assignment(ps, force=True, create=True)
        if not result["success"]:
            raise CourseError(f"could not record {ps} in the gradebook: "
                              f"{_nbgrader_reason(result)}")

    # -- grading ---------------------------------------------------------------------
    def submitted_students(self, ps: str) -> list[str]:
        if not self.submitted_dir.is_dir():
            return []
        return sorted(p.name for p in self.submitted_dir.iterdir()
                      if (p / ps).is_dir() and p.name not in _IGNORED)

    def autograde(self, ps: str, students: list[str] | None = None, progress=None, *,
                  workers: int = 1, scheduler: str | None = None, force: bool = False,
                  client=None, **limits) -> list[Outcome]:
        """Autograde the submissions in ``submitted/*/PS`` (see :mod:`course.autograde`).

        ``workers`` processes grade in parallel (or a Dask cluster at
        ``scheduler``); each submission runs contained, under the limits of
        ``CourseAutograde`` in nbgrader_config.py (``timeout``,
        ``total_budget``, ``memory_mb``, ``output_kb`` can be overridden
        here).  Submissions graded before and unchanged since are skipped
        unless ``force``.  A submission that cannot be graded is reported with
        its reason; the others are graded regardless.
        """
        from course.autograde import Autograder

        def report(result):
            if progress:
                progress(_outcome(result))

        grader = Autograder(self, ps, workers=workers, scheduler=scheduler, force=force,
                            progress=report, client=client, **limits)
        return [_outcome(r) for r in grader.run(students)]

    def feedback(self, ps: str, students: list[str] | None = None) -> list[Outcome]:
        """Write feedback HTML to ``feedback/<student>/PS/`` (hidden tests removed)."""
        self.check_problem_set(ps)
        autograded = self.root / "autograded"
        students = students or sorted(q.parent.name for q in autograded.glob(f"*/{ps}")
                                      if not q.parent.name.startswith("."))
        if not students:
            raise CourseError(f"nothing autograded for {ps} yet; run `course autograde {ps}` first")
        outcomes = []
        for student in students:
            result = self.api().generate_feedback(ps, student, force=True)
            outcomes.append(Outcome(student, bool(result["success"]),
                                    "" if result["success"] else _nbgrader_reason(result)))
        return outcomes

    def test_breakdown(self, ps: str) -> GradeTable:
        """Students × test cells of one problem set (scores as in the gradebook)."""
        from nbgrader.api import MissingEntry

        self.check_problem_set(ps)
        gradebook = self.api().gradebook
        try:
            try:
                assignment = gradebook.find_assignment(ps)
            except MissingEntry:
                return GradeTable([], {})
            cells = [(nb.name, cell.name, float(cell.max_score))
                     for nb in sorted(assignment.notebooks, key=lambda n: n.name)
                     for cell in nb.grade_cells]
            order = _cell_order(self, ps)
            cells.sort(key=lambda c: (c[0], order.get(c[1], len(order)), c[1]))
            several = len({c[0] for c in cells}) > 1
            names = [f"{nb}/{cell}" if several else cell for nb, cell, _ in cells]
            table = GradeTable(names, {n: m for n, (_, _, m) in zip(names, cells, strict=True)})
            for submission in assignment.submissions:
                row: dict[str, float | None] = dict.fromkeys(names)
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        key = f"{notebook.name}/{grade.name}" if several else grade.name
                        if key in row:
                            row[key] = None if grade.score is None else float(grade.score)
                table.scores[submission.student.id] = row
        finally:
            gradebook.close()
        return table

    def autograde_report(self, ps: str) -> list[dict]:
        """What ``course autograde`` found for each submission of ``ps`` (for ``course report``)."""
        from course.autograde import read_reports

        entries = []
        for student, report in sorted(read_reports(self.root, ps).items()):
            findings = report.get("findings", [])
            entries.append({
                "containment": report.get("containment") or {},
                "student": student, "status": report.get("status", "?"),
                "reason": report.get("reason", ""), "score": report.get("score"),
                "flagged": bool(report.get("flagged")),
                "review": [f["message"] for f in findings if f.get("review")],
                "reasons": [f["message"] for f in findings],
            })
        return entries

    def grades(self) -> GradeTable:
        """The students × problem sets table from the gradebook."""
        from nbgrader.api import MissingEntry

        gradebook = self.api().gradebook
        try:
            assignments = sorted(gradebook.assignments, key=lambda a: a.name)
            table = GradeTable([a.name for a in assignments],
                               {a.name: float(a.max_score) for a in assignments})
            for student in gradebook.students:
                row = {}
                for assignment in assignments:
                    try:
                        sub = gradebook.find_submission(assignment.name, student.id)
                    except MissingEntry:
                        row[assignment.name] = None
                    else:
                        row[assignment.name] = float(sub.score)
                table.scores[student.id] = row
        finally:
            gradebook.close()
        return table


def _outcome(result) -> Outcome:
    """An :class:`Outcome` from a :class:`course.autograde.Result`."""
    failed = result.status == "failed" or (result.status == "skipped" and result.was_failed)
    return Outcome(result.student, not failed, result.reason, result.seconds,
                   flags=[f["message"] for f in result.findings if f.get("review")],
                   notes=[f["message"] for f in result.findings if not f.get("review")],
                   score=result.score, skipped=result.status == "skipped")


def _cell_order(course: Course, ps: str) -> dict[str, int]:
    """Grade id -> position in the release (for tables in notebook order)."""
    order: dict[str, int] = {}
    for path in course.release_notebooks(ps) if course.release_dir.is_dir() else []:
        try:
            cells = read_notebook(path).cells
        except CourseError:
            continue
        for cell in cells:
            if grade_id(cell):
                order.setdefault(grade_id(cell), len(order))
    return order


_EXCEPTION_LINE = re.compile(r"^\s*([A-Za-z_.]*(Error|Exception|Interrupt)): (.+)$")


def _nbgrader_reason(result: dict) -> str:
    """One line from nbgrader's log or traceback that says why a run failed."""
    text = (result.get("log") or "") + "\n" + (result.get("error") or "")
    causes = [m for m in map(_EXCEPTION_LINE.match, text.splitlines())
              if m and "NbGraderException" not in m.group(1)]
    if causes:
        return _first_line(f"{causes[-1].group(1).split('.')[-1]}: {causes[-1].group(3)}")
    for line in text.splitlines():
        low = line.lower()
        if ("[error]" in low or "error:" in low) and "traceback" not in low:
            message = line.split("]", 1)[-1].strip() if "]" in line else line.strip()
            if message:
                return _first_line(message)
    error_lines = [ln for ln in (result.get("error") or "").splitlines() if ln.strip()]
    return _first_line(error_lines[-1]) if error_lines else "nbgrader gave no reason"


def unreadable_reason(folder: Path) -> str:
    """Why the notebooks in a submission folder cannot be graded ('' when they can be read)."""
    notebooks = sorted(folder.glob("*.ipynb"))
    if not notebooks:
        return "the submission folder holds no notebook"
    for path in notebooks:
        try:
            read_notebook(path)
        except CourseError as error:
            return str(error).replace(str(folder) + os.sep, "")
    return ""


def _tree_differences(expected: Path, actual: Path) -> list[str]:
    """Relative paths that differ between two folders (missing, extra or changed)."""
    if not actual.is_dir():
        return ["(missing folder)"]
    compare = filecmp.dircmp(str(expected), str(actual), ignore=list(_IGNORED))
    return sorted(_walk_dircmp(compare, ""))


def _walk_dircmp(compare: filecmp.dircmp, prefix: str) -> Iterator[str]:
    for name in compare.left_only:
        yield f"{prefix}{name} (missing)"
    for name in compare.right_only:
        yield f"{prefix}{name} (not in a fresh release)"
    for name in compare.diff_files + compare.funny_files:
        yield f"{prefix}{name} (differs)"
    # dircmp compares shallowly by stat; confirm equal-looking files by content
    for name in compare.same_files:
        if not filecmp.cmp(os.path.join(compare.left, name), os.path.join(compare.right, name),
                           shallow=False):
            yield f"{prefix}{name} (differs)"
    for name, sub in compare.subdirs.items():
        yield from _walk_dircmp(sub, f"{prefix}{name}/")


@contextmanager
def scratch_course(course: Course) -> Iterator[Course]:
    """A throwaway copy of the course's config and solutions in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="course-") as tmp:
        root = Path(tmp)
        shutil.copy2(course.root / CONFIG_FILE, root / CONFIG_FILE)
        shutil.copytree(course.source_dir, root / course.source_dir.name,
                        ignore=shutil.ignore_patterns(*_IGNORED))
        yield Course(root)


# -- the student's self-check -----------------------------------------------------------

@dataclass
class PartResult:
    name: str
    points: float
    tests: int
    passed: int
    first_failure: str = ""

    @property
    def ok(self) -> bool:
        return self.tests > 0 and self.passed == self.tests


@dataclass
class ValidationReport:
    notebook: Path
    problem_set: str
    parts: list[PartResult]
    integrity: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.integrity and not self.notes and all(p.ok for p in self.parts)

    def render(self) -> str:
        rows = [["part", "points", "visible tests"]]
        for part in self.parts:
            if part.ok:
                status = f"pass ({part.passed}/{part.tests})"
            else:
                status = f"FAIL ({part.passed}/{part.tests}): {part.first_failure}"
            rows.append([part.name, f"{part.points:g}", status])
        lines = [f"{self.notebook.name} (problem set {self.problem_set})", "", render_table(rows),
                 ""]
        if self.integrity:
            lines.append("Integrity problems (grading depends on these cells):")
            lines += [f"  - {problem}" for problem in self.integrity]
        else:
            lines.append("Integrity: every graded cell of the release is present once, "
                         "with its metadata; locked cells unchanged.")
        lines += self.notes
        failing = [p.name for p in self.parts if not p.ok]
        if self.ok:
            lines.append("Verdict: PASS. Every visible test passes; hidden tests run at grading.")
        else:
            reasons = []
            if failing:
                reasons.append(f"{len(failing)} part(s) failing: {', '.join(failing)}")
            if self.integrity:
                reasons.append(f"{len(self.integrity)} integrity problem(s)")
            if self.notes:
                reasons.append("the notebook did not run to the end")
            lines.append("Verdict: FAIL. " + "; ".join(reasons) + ".")
        return "\n".join(lines)


def _git_committed_copy(path: Path) -> nbformat.NotebookNode | None:
    """The version of ``path`` in the last commit, when it is tracked by git."""
    try:
        top = subprocess.run(["git", "-C", str(path.parent), "rev-parse", "--show-toplevel"],
                             capture_output=True, text=True, timeout=10, check=True).stdout.strip()
        rel = path.resolve().relative_to(Path(top).resolve())
        text = subprocess.run(["git", "-C", top, "show", f"HEAD:{rel.as_posix()}"],
                              capture_output=True, text=True, timeout=10, check=True).stdout
        return nbformat.reads(text, as_version=4)
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    except Exception:  # noqa: BLE001 - an unreadable committed copy is as good as none
        return None


def find_release(notebook: Path, nb: dict, course: Course) -> tuple[str, nbformat.NotebookNode]:
    """The problem set a student notebook belongs to and the pristine release notebook."""
    candidates = []
    names = course.problem_sets()
    if notebook.parent.name in names:
        candidates.append(notebook.parent.name)
    ids = {grade_id(c) for c in nb.get("cells", []) if grade_id(c)}
    for ps in names:
        for path in course.release_notebooks(ps):
            if path.name == notebook.name and ps not in candidates:
                candidates.append(ps)
    for ps in names:
        if ps in candidates:
            continue
        for path in course.release_notebooks(ps):
            release_ids = {grade_id(c) for c in read_notebook(path).cells if grade_id(c)}
            if ids & release_ids:
                candidates.append(ps)
    for ps in candidates:
        paths = course.release_notebooks(ps)
        match = [p for p in paths if p.name == notebook.name] or (paths if len(paths) == 1 else [])
        if not match:
            continue
        release_path = match[0]
        if release_path.resolve() == notebook.resolve():
            committed = _git_committed_copy(release_path)
            if committed is None:
                raise CourseError(f"{notebook} is the release itself and no pristine copy was "
                                  "found; work on a copy (`course start PS`)")
            return ps, committed
        return ps, read_notebook(release_path)
    raise CourseError(f"cannot tell which problem set {notebook.name} belongs to: its name and its "
                      "graded cells match no release in assignments/")


def check_integrity(nb: dict, release: dict) -> list[str]:
    """Problems with the graded cells of a student notebook compared with its release."""
    problems = []
    by_id: dict[str, list[dict]] = {}
    for cell in nb["cells"]:
        gid = grade_id(cell)
        if gid:
            by_id.setdefault(gid, []).append(cell)
    release_sources = {}
    for cell in release["cells"]:
        gid = grade_id(cell)
        if not gid:
            continue
        release_sources[cell["source"].strip()] = gid
        found = by_id.get(gid, [])
        if not found:
            kind = ("test cell" if is_test(cell) else
                    "answer cell" if is_solution(cell) else "locked cell")
            problems.append(f"{kind} {gid!r} is missing (deleted, or its metadata was lost)")
            continue
        if len(found) > 1:
            problems.append(f"cell {gid!r} appears {len(found)} times; delete the copies")
        mine, theirs = nbgrader_meta(found[0]), nbgrader_meta(cell)
        changed = [key for key in ("grade", "solution", "locked", "points")
                   if mine.get(key) != theirs.get(key)]
        if found[0]["cell_type"] != cell["cell_type"]:
            changed.append("cell type")
        if changed:
            problems.append(f"cell {gid!r}: its nbgrader metadata was changed "
                            f"({', '.join(changed)}); undo the change")
        if is_locked(cell) and not is_solution(cell) and \
                found[0]["source"].strip() != cell["source"].strip():
            problems.append(f"locked cell {gid!r} was edited; grading restores the original, "
                            "so undo your change")
    orphans = [c for c in nb["cells"] if not grade_id(c) and c["source"].strip() in release_sources]
    if orphans:
        problems.append(f"{len(orphans)} cell(s) have the text of graded cells but no nbgrader "
                        "metadata (were cells copied into a new notebook?); put your answers "
                        "into a fresh copy of the release instead")
    return problems


def _cell_failure(cell: dict) -> str:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            ename, evalue = output.get("ename", "Error"), output.get("evalue", "")
            if ename == "NotImplementedError" and not evalue:
                return "not implemented yet"
            return f"{ename}: {_first_line(evalue, 200)}" if evalue else ename
    return ""


def validate(path: str | Path, course: Course | None = None,
             timeout: int | None = None) -> ValidationReport:
    """Run a student notebook and check it against its release (the ``course validate`` check).

    The notebook file is not modified.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    path = Path(path)
    if path.is_dir():
        raise CourseError(f"{path} is a folder; give the path of a .ipynb file")
    if path.suffix != ".ipynb":
        raise CourseError(f"{path} is not a notebook (.ipynb)")
    nb = read_notebook(path)
    course = course or Course(find_root(path.parent))
    ps, release = find_release(path, nb, course)
    integrity = check_integrity(nb, release)
    config = course.config()
    timeout = timeout or int(config.ExecutePreprocessor.get("timeout", 30))
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    notes = []
    try:
        # The kernel's own log (warnings, the traceback of an interrupt) is not for students.
        client.execute(stderr=subprocess.DEVNULL)
    except CellTimeoutError:
        notes.append(f"A cell ran longer than {timeout} s and execution stopped there; at "
                     "grading the same limit applies, so make it faster.")
    except DeadKernelError:
        notes.append("The kernel died while running the notebook (out of memory, or exit()); "
                     "the cells after that point did not run.")
    # Parts follow the release so that a deleted test cell counts as a failure.
    cells = {grade_id(c): c for c in nb.cells if grade_id(c)}
    results = []
    for part in parts_of(release):
        passed, failure = 0, ""
        for test in part.tests:
            cell = cells.get(test)
            if cell is None:
                failure = failure or f"{test}: cell missing"
                continue
            if not cell.get("outputs") and cell.get("execution_count") is None:
                failure = failure or f"{test}: did not run"
                continue
            message = _cell_failure(cell)
            if message:
                failure = failure or f"{test}: {message}"
            else:
                passed += 1
        results.append(PartResult(part.name, part.points, len(part.tests), passed, failure))
    return ValidationReport(path, ps, results, integrity, notes)
