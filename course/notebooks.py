"""Reading nbgrader notebooks: graded cells, parts, and reference code.

Shared by the ``course`` command (validate, demo), the tests and the
benchmarks.  A *source* notebook (in ``solutions/``) holds the reference
code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` and hidden tests
between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``; the
*release* notebook (in ``assignments/``) has stubs instead.
"""

from __future__ import annotations

import re
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from course.errors import CourseError

NB_VERSION = 4
_SOLUTION_MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
_HIDDEN = re.compile(r"^\s*### BEGIN HIDDEN TESTS.*?^\s*### END HIDDEN TESTS\s*$\n?",
                     re.MULTILINE | re.DOTALL)


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """Read a notebook, or raise :class:`CourseError` saying why it cannot be read."""
    path = Path(path)
    if not path.exists():
        raise CourseError(f"{path}: no such file")
    if path.is_dir():
        raise CourseError(f"{path} is a folder; give the path of a .ipynb file")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise CourseError(f"{path} is not UTF-8 text ({error.reason} at byte {error.start}); "
                          "restore it from your last good copy") from None
    try:
        nb = nbformat.reads(text, as_version=NB_VERSION)
    except Exception as error:  # nbformat raises several types for bad JSON
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CourseError(f"{path} is not a valid notebook ({first}); "
                          "restore it from your last good copy") from None
    return nb


def nbgrader_meta(cell: dict) -> dict:
    """The cell's nbgrader metadata (empty when it has none)."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_id(cell: dict) -> str | None:
    return nbgrader_meta(cell).get("grade_id")


def is_solution(cell: dict) -> bool:
    return bool(nbgrader_meta(cell).get("solution"))


def is_test(cell: dict) -> bool:
    """An autograded test cell (graded, not a solution, code)."""
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and not meta.get("solution") and cell["cell_type"] == "code"


def is_locked(cell: dict) -> bool:
    return bool(nbgrader_meta(cell).get("locked"))


def strip_solution_markers(source: str) -> str:
    """The reference code of a source solution cell: the cell without its marker lines."""
    return "\n".join(line for line in source.splitlines() if not _SOLUTION_MARKERS.match(line))


def strip_hidden_tests(source: str) -> str:
    """A test cell's source without its hidden part (what students see)."""
    return _HIDDEN.sub("", source)


@dataclass
class Part:
    """One graded function: its solution cell and the test cells after it."""

    name: str
    tests: list[str] = field(default_factory=list)
    points: float = 0.0


def parts_of(nb: dict) -> list[Part]:
    """Group the graded cells of a notebook into parts.

    A part starts at a solution cell (named by its grade id) and collects the
    test cells up to the next solution cell.  Test cells before any solution
    cell form a part of their own.
    """
    parts: list[Part] = []
    for cell in nb["cells"]:
        meta = nbgrader_meta(cell)
        if not meta.get("grade_id"):
            continue
        if meta.get("solution"):
            parts.append(Part(meta["grade_id"]))
            if meta.get("grade"):  # a manually graded answer carries its own points
                parts[-1].points += float(meta.get("points", 0))
        elif meta.get("grade"):
            if not parts:
                parts.append(Part("(tests)"))
            parts[-1].tests.append(meta["grade_id"])
            parts[-1].points += float(meta.get("points", 0))
    return parts


def fill_solutions(release: dict, source: dict, only: set[str] | None = None,
                   replace: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """A submission made from a release notebook.

    Solution cells whose grade id is in ``only`` (all when None) get the
    reference code from ``source``; ``replace`` maps grade ids to code that
    is put in instead (wrong variants, broken code).  Everything else is the
    release as students receive it.
    """
    reference = {grade_id(c): strip_solution_markers(c["source"])
                 for c in source["cells"] if is_solution(c)}
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        gid = grade_id(cell)
        if not is_solution(cell) or gid is None:
            continue
        if replace and gid in replace:
            cell.source = replace[gid]
        elif only is None or gid in only:
            if gid not in reference:
                raise CourseError(f"the source notebook has no solution cell {gid!r}")
            cell.source = reference[gid]
    return nb


def load_reference(source_path: str | Path) -> types.SimpleNamespace:
    """Run the reference code of a source notebook and return its names.

    Executes, in order, every code cell that is not a test cell (imports,
    helpers and the solution cells with their markers removed), so that
    benchmarks and tests use the one reference in ``solutions/`` instead of
    a copy.
    """
    nb = read_notebook(source_path)
    namespace: dict[str, Any] = {"__name__": f"reference_{Path(source_path).stem}"}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or is_test(cell):
            continue
        code = strip_solution_markers(cell.source)
        if any(line.lstrip().startswith(("%", "!")) for line in code.splitlines()):
            code = "\n".join(line for line in code.splitlines()
                             if not line.lstrip().startswith(("%", "!")))
        exec(compile(code, f"{source_path}#cell{index}", "exec"), namespace)  # noqa: S102
    # The functions keep ``namespace`` as their globals (builtins included).
    return types.SimpleNamespace(**{k: v for k, v in namespace.items() if k != "__builtins__"})


def reference(ps: str, notebook: str | None = None) -> types.SimpleNamespace:
    """The reference solution of problem set ``ps``, loaded from ``solutions/`` (one source).

    Lectures, benchmarks and tests use this instead of a copy of the code::

        ref = reference("ps0_warmup")
        ref.masked_softmax(scores, mask)
    """
    from course import ROOT

    path = ROOT / "solutions" / ps / (notebook or f"{ps}.ipynb")
    if not path.is_file():
        raise CourseError(f"{path} not found: this uses the reference solution of {ps}, which "
                          "lives in solutions/ of the course repository")
    return load_reference(path)
