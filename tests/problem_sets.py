"""What the generic tests iterate over: the course's problem sets and notebooks."""

from __future__ import annotations

import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def problem_sets() -> list[str]:
    return sorted(p.name for p in (ROOT / "solutions").iterdir()
                  if p.is_dir() and any(p.glob("*.ipynb")))


def source_notebook(ps: str) -> Path:
    return ROOT / "solutions" / ps / f"{ps}.ipynb"


def lecture_notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("*.ipynb"))


def variants(ps: str) -> list[dict]:
    """The wrong-variant fixtures of a problem set (tests/variants/<ps>.py)."""
    try:
        module = importlib.import_module(f"variants.{ps}")
    except ModuleNotFoundError:
        return []
    return list(module.VARIANTS)
