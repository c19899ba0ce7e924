"""Shared fixtures: the course folder, scratch copies of it, and notebook execution."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

# Kernels started by the tests must be the course's Python (the one running pytest).
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
os.environ.setdefault("MPLBACKEND", "Agg")


def execute_notebook(nb: nbformat.NotebookNode, cwd: Path, timeout: int = 60,
                     allow_errors: bool = True) -> tuple[nbformat.NotebookNode, float]:
    """Execute a notebook in memory with nbclient; returns it and the seconds it took."""
    from nbclient import NotebookClient

    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb, time.perf_counter() - start


def error_cells(nb: nbformat.NotebookNode) -> dict[str, str]:
    """grade id (or cell index) -> 'Ename: evalue' for every cell with an error output."""
    errors = {}
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                key = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index}"
                errors[key] = f"{output.get('ename')}: {output.get('evalue', '')[:300]}"
    return errors


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def released_course(tmp_path_factory):
    """A scratch copy of the course with every problem set released (shared, read-only)."""
    from course.grading import Course, scratch_course

    with scratch_course(Course(ROOT)) as course:
        course.release()
        yield course
