"""Helper package of the course "Machine Learning and Cognitive Reasoning for Dialogue Systems".

Lectures and problem sets import from it; it never contains the answers to
graded functions (those live only in ``solutions/``).

Modules: ``checks`` (test-cell assertions), ``data`` (offline data sets),
``grading`` and ``cli`` (the ``course`` command on top of nbgrader),
``widgets`` and ``plot`` (explorers and figures).
"""

from pathlib import Path

__version__ = "0.1.0"

#: The folder that holds nbgrader_config.py, solutions/ and assignments/.
ROOT = Path(__file__).resolve().parent.parent
