"""Sphinx extension of the course's self-study edition (loaded by book/_config.yml).

- The ``course-problem-sets`` directive: a table of the released problem sets
  (``assignments/<ps>/<ps>.ipynb``) with their titles and points, a link to each
  one's page in the book, and downloads of the student notebook and of the
  reference solution (``solutions/<ps>/<ps>.ipynb``).  It reads the folders at
  build time, so a new problem set needs no edit here.
- MathJax served from the book itself (copied from the ``jupyter-server-mathjax``
  package), so formulas render without a network.
- A note in place of each interactive widget (the widget needs a kernel).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
PROBLEM_SETS_DOC = "book/problem_sets"


def _notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def notebook_title(nb: dict, default: str) -> str:
    """The first Markdown heading of a notebook (without the #s), or ``default``."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        source = "".join(cell.get("source", ""))
        for line in source.splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip()
    return default


def notebook_points(nb: dict) -> float:
    """Total points of the graded cells of an nbgrader notebook."""
    return sum(float(meta.get("points", 0)) for cell in nb.get("cells", [])
               for meta in [cell.get("metadata", {}).get("nbgrader", {})]
               if meta.get("grade"))


def problem_sets(srcdir: Path) -> list[dict]:
    """The released problem sets: name, title, points, release and solution paths."""
    found = []
    for release in sorted((srcdir / "assignments").glob("*/*.ipynb")):
        if ".ipynb_checkpoints" in release.parts:
            continue
        ps = release.parent.name
        nb = _notebook(release)
        solution = srcdir / "solutions" / ps / release.name
        found.append({
            "name": ps,
            "title": notebook_title(nb, ps),
            "points": notebook_points(nb),
            "release": release.relative_to(srcdir).as_posix(),
            "solution": solution.relative_to(srcdir).as_posix() if solution.is_file() else None,
        })
    return found


class ProblemSetsDirective(SphinxDirective):
    """``{course-problem-sets}``: the table of released problem sets."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        srcdir = Path(self.env.srcdir)
        sets = problem_sets(srcdir)
        if not sets:
            return [nodes.paragraph(text="No problem set has been released yet "
                                         "(assignments/ is empty).")]
        headers = ["problem set", "points", "student notebook", "reference solution"]
        table = nodes.table(classes=["course-problem-sets"])
        group = nodes.tgroup(cols=len(headers))
        table += group
        for width in (46, 8, 23, 23):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        group += head
        head += self._row([nodes.Text(h) for h in headers])
        body = nodes.tbody()
        group += body
        for ps in sets:
            self.env.note_dependency(str(srcdir / ps["release"]))
            docname = ps["release"].removesuffix(".ipynb")
            link = addnodes.pending_xref(
                "", nodes.inline(text=ps["title"]), refdomain="std", reftype="doc",
                reftarget="/" + docname, refexplicit=True, refdoc=self.env.docname)
            cells = [link, nodes.Text(f"{ps['points']:g}"), self._download(ps["release"])]
            if ps["solution"]:
                self.env.note_dependency(str(srcdir / ps["solution"]))
                cells.append(self._download(ps["solution"]))
            else:
                cells.append(nodes.Text("not in this copy"))
            body += self._row(cells)
        return [table]

    @staticmethod
    def _row(cells: list[nodes.Node]) -> nodes.row:
        row = nodes.row()
        for content in cells:
            entry = nodes.entry()
            paragraph = nodes.paragraph()
            paragraph += content
            entry += paragraph
            row += entry
        return row

    def _download(self, path: str) -> nodes.Node:
        # download_reference is a TextElement: (rawsource, text, *children).
        return addnodes.download_reference(
            "", "", nodes.literal(text=Path(path).name), reftarget="/" + path,
            refdoc=self.env.docname, refdomain="", reftype="download", refexplicit=True)


def _always_reread_problem_sets(app, env, added, changed, removed) -> list[str]:
    # The table lists folders, which Sphinx does not watch: rebuild the page each time.
    return [PROBLEM_SETS_DOC] if PROBLEM_SETS_DOC in env.found_docs else []


def _add_static_files(app, config) -> None:
    config.html_static_path.append(str(HERE.parent / "_static"))


def _copy_mathjax(app, exception) -> None:
    """Put MathJax into _static/mathjax/ of the HTML output (config: mathjax_path)."""
    if exception is not None or app.builder.format != "html":
        return
    try:
        import jupyter_server_mathjax
    except ImportError:
        logger.warning("jupyter-server-mathjax is not installed: formulas need a network to "
                       "render; run `make setup`")
        return
    source = Path(jupyter_server_mathjax.__file__).parent / "static"
    dest = Path(app.outdir) / "_static" / "mathjax"
    if not (dest / "MathJax.js").is_file():
        shutil.copytree(source, dest, dirs_exist_ok=True)


def setup(app):
    app.add_directive("course-problem-sets", ProblemSetsDirective)
    app.connect("config-inited", _add_static_files)
    app.connect("env-get-outdated", _always_reread_problem_sets)
    app.connect("build-finished", _copy_mathjax)
    app.add_js_file("course-book.js")
    app.add_css_file("course-book.css")
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
