"""What every lecture promises its reader, checked statically (issue 8, "details people expect").

- It starts with what you will learn and how long it takes.
- It ends with exercises beyond the graded ones (after them, only short closing
  sections such as "Next: ..." or "Summary").
- Its figures use colour-blind-safe colour maps: no jet, rainbow, hsv and the
  like, in the lectures, the solutions or the course package (course.plot.CMAP
  is viridis).

Figure titles, axis labels and captions are for the authors and reviewers;
course.plot.new_axes(title, xlabel, ylabel) makes them hard to forget.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from problem_sets import ROOT, lecture_notebooks

TIME_ESTIMATE = re.compile(
    r"\b\d+(?:\s*(?:-|–|to)\s*\d+)?\s*(?:minutes?|mins?|hours?|h)\b", re.IGNORECASE)
EXERCISES = re.compile(r"^#{1,3}\s+.*\bexercises?\b", re.IGNORECASE)
CLOSING = re.compile(r"^(next|summary|references|further reading|solutions?|what's next)\b",
                     re.IGNORECASE)
HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
# Colour maps that are not perceptually uniform and fail for colour-blind readers.
BAD_CMAPS = r"jet|rainbow|gist_rainbow|hsv|nipy_spectral|gist_ncar|Spectral|spectral|prism|flag"
BAD_CMAP_USE = re.compile(
    rf"""(?:cmap\s*=\s*|get_cmap\(\s*|colormaps\[\s*|color_map\s*=\s*)["']({BAD_CMAPS})["']"""
    rf"""|\bcm\.({BAD_CMAPS})\b|\bplt\.({BAD_CMAPS})\(""")


def _markdown_headings(nb) -> list[str]:
    return [line for cell in nb.cells if cell.cell_type == "markdown"
            for line in cell.source.splitlines() if HEADING.match(line)]


@pytest.mark.parametrize("path", lecture_notebooks(), ids=lambda p: p.stem)
def test_lecture_starts_with_what_you_will_learn_and_how_long(path):
    nb = nbformat.read(path, as_version=4)
    first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    assert first.lstrip().startswith("# "), f"{path.name}: the first cell should be its title"
    assert re.search(r"what you will learn", first, re.IGNORECASE), \
        f"{path.name}: the first cell should say what you will learn ('What you will learn')"
    assert TIME_ESTIMATE.search(first), \
        f"{path.name}: the first cell should say how long the lecture takes ('about 40 minutes')"


@pytest.mark.parametrize("path", lecture_notebooks(), ids=lambda p: p.stem)
def test_lecture_ends_with_exercises(path):
    nb = nbformat.read(path, as_version=4)
    headings = _markdown_headings(nb)
    where = [i for i, line in enumerate(headings) if EXERCISES.match(line)]
    assert where, f"{path.name}: no 'Exercises' section (exercises beyond the graded ones)"
    level = len(HEADING.match(headings[where[-1]]).group(1))
    after = [HEADING.match(line).group(2) for line in headings[where[-1] + 1:]
             if len(HEADING.match(line).group(1)) <= level]
    extra = [title for title in after if not CLOSING.match(title.strip("*_ "))]
    assert not extra, (f"{path.name}: the exercises should close the lecture; sections after "
                       f"them: {extra}")


def _sources() -> list:
    notebooks = sorted(p for folder in ("notebooks", "solutions")
                       for p in (ROOT / folder).rglob("*.ipynb")
                       if ".ipynb_checkpoints" not in p.parts)
    return notebooks + sorted((ROOT / "course").rglob("*.py"))


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_colour_maps_are_colour_blind_safe(path):
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    else:
        code = path.read_text(encoding="utf-8")
    found = [m.group(0) for m in BAD_CMAP_USE.finditer(code)]
    assert not found, (f"{path.relative_to(ROOT)} uses {found}: use course.plot.CMAP (viridis) "
                       "or another perceptually uniform map (cividis, magma)")


def test_the_course_colour_map_is_safe():
    from course.plot import CMAP

    assert CMAP in {"viridis", "cividis", "magma", "inferno", "plasma"}
