"""Feedback that helps without giving the hidden tests away.

nbgrader's feedback shows each test cell's traceback, and IPython prints
source lines around the failing line: a hidden test (or a visible one right
above it) would show hidden code.  :class:`HideTestTracebacks` replaces the
traceback of every autograded test cell by its final message, which the
course's checks write for students (``course.checks`` never puts expected
values of hidden tests into messages).  Listed in nbgrader_config.py under
``GenerateFeedback.preprocessors``.
"""

from __future__ import annotations

import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def summarise_error(output: dict) -> list[str]:
    """One readable line for an error output: ``Ename: message``."""
    ename = output.get("ename", "Error")
    evalue = _ANSI.sub("", output.get("evalue", "") or "")
    if ename == "NotImplementedError" and not evalue:
        return ["NotImplementedError: not implemented yet (fill in the answer cell above)"]
    return [f"{ename}: {evalue}" if evalue else ename]


class HideTestTracebacks(Preprocessor):
    """Keep only the final error message in the outputs of autograded test cells."""

    enabled = Bool(True, help="nbconvert runs only enabled preprocessors").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and meta.get("grade") and not meta.get("solution"):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = summarise_error(output)
        return cell, resources
