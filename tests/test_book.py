"""The self-study edition: `make book` builds browsable HTML of the course, offline.

The slow test builds the book as `make book` does (into a scratch folder; the
executed notebooks are cached in _build/.jupyter_cache, shared with `make book`)
and checks what a reader gets: a page per lecture with its executed outputs and
figures, navigation between the modules, a page per released problem set and
downloads of each student notebook and reference solution, and nothing loaded
from the network.  The fast tests check the configuration.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from problem_sets import ROOT, lecture_notebooks

BOOK = ROOT / "book"
sys.path.insert(0, str(BOOK / "_ext"))

import course_book  # noqa: E402 - the book's Sphinx extension, from book/_ext

BUILD_TIMEOUT = int(os.environ.get("COURSE_BOOK_TIMEOUT", 1800))  # s; a first build runs all


def build_command(output: Path) -> list[str]:
    """The command of `make book` (with another output folder)."""
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    return [str(jupyter_book), "build", ".", "--config", "book/_config.yml",
            "--toc", "book/_toc.yml", "--path-output", str(output)]


# ---------------------------------------------------------------------- configuration
def test_make_book_builds_with_the_book_configuration(root):
    makefile = (root / "Makefile").read_text()
    target = re.search(r"^book:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert target, "the Makefile has no `book` target"
    assert "jupyter-book build . --config book/_config.yml --toc book/_toc.yml" in target.group(1)
    assert "/_build/" in (root / ".gitignore").read_text().split()


def test_book_configuration_is_offline_and_cached():
    config = yaml.safe_load((BOOK / "_config.yml").read_text())
    execute = config["execute"]
    assert execute["execute_notebooks"] == "cache" and execute["cache"].startswith("_build/")
    assert execute["allow_errors"] is False
    sphinx = config["sphinx"]["config"]
    assert sphinx["nb_ipywidgets_js"] == {}, "the ipywidgets embed scripts come from a CDN"
    assert not sphinx["mathjax_path"].startswith("http"), "MathJax must be served by the book"
    assert config["launch_buttons"]["thebe"] is False
    toc = yaml.safe_load((BOOK / "_toc.yml").read_text())
    globs = [chapter.get("glob") for part in toc["parts"] for chapter in part["chapters"]]
    assert "notebooks/*" in globs and "assignments/*/*" in globs


def test_problem_sets_table_lists_every_release():
    found = course_book.problem_sets(ROOT)
    released = sorted(p.parent.name for p in (ROOT / "assignments").glob("*/*.ipynb"))
    assert [ps["name"] for ps in found] == released
    for ps in found:
        assert ps["points"] > 0 and ps["title"] and ps["title"] != ps["name"], ps
        assert (ROOT / ps["release"]).is_file()
        if (ROOT / "solutions" / ps["name"]).is_dir():
            assert ps["solution"] and (ROOT / ps["solution"]).is_file(), ps


# ---------------------------------------------------------------------- the build
@pytest.fixture(scope="module")
def built_book(tmp_path_factory):
    output = tmp_path_factory.mktemp("book")
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # pytest's Agg would leave the pages without figures
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    start = time.perf_counter()
    result = subprocess.run(build_command(output), cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=BUILD_TIMEOUT)
    seconds = time.perf_counter() - start
    log = result.stdout + result.stderr
    (output / "build.log").write_text(log)
    assert result.returncode == 0, f"the book build failed ({seconds:.0f} s):\n{log[-5000:]}"
    print(f"book built in {seconds:.1f} s")
    return output / "_build" / "html", log


def _page(html: Path, relative: str) -> str:
    path = html / relative
    assert path.is_file(), f"{relative} is missing from the book"
    return path.read_text(encoding="utf-8")


def _article(page: str) -> str:
    """The main content of a page (without the navigation around it)."""
    match = re.search(r'<article class="bd-article"[^>]*>(.*?)</article>', page, re.DOTALL)
    return match.group(1) if match else page


@pytest.mark.slow
def test_book_builds_without_execution_errors(built_book):
    html, log = built_book
    failed = sorted(p.relative_to(html).as_posix() for p in (html / "reports").rglob("*.err.log")) \
        if (html / "reports").is_dir() else []
    assert not failed, f"notebooks failed to execute in the book build: {failed}"
    assert "Executing notebook failed" not in log, log[-3000:]
    assert "isn't included in any toctree" not in log, "a page is outside the table of contents"


@pytest.mark.slow
@pytest.mark.parametrize("notebook", lecture_notebooks(), ids=lambda p: p.stem)
def test_each_lecture_page_has_outputs_figures_and_navigation(built_book, notebook):
    html, _ = built_book
    page = _page(html, f"notebooks/{notebook.stem}.html")
    article = _article(page)
    images = re.findall(r'<img[^>]+src="([^"]+)"', article)
    figures = [src for src in images if "_images/" in src]
    assert figures, f"{notebook.name}: the page shows no figure (no executed image output)"
    for src in figures:
        assert (html / "notebooks" / src).resolve().is_file(), f"{notebook.name}: {src} missing"
    assert "cell_output" in article, f"{notebook.name}: the page has no executed outputs"
    assert "traceback" not in article.lower(), f"{notebook.name}: the page shows an error"
    # Navigation: the sidebar links every lecture, and previous/next buttons link the pages.
    for other in lecture_notebooks():
        if other != notebook:
            assert f'href="{other.stem}.html"' in page, f"no link to {other.stem} in the sidebar"
    assert 'class="left-prev"' in page or 'class="right-next"' in page


@pytest.mark.slow
def test_problem_sets_page_links_every_problem_set(built_book):
    html, _ = built_book
    page = _page(html, "book/problem_sets.html")
    for ps in course_book.problem_sets(ROOT):
        name = ps["name"]
        _page(html, f"assignments/{name}/{name}.html")
        assert f'href="../assignments/{name}/{name}.html"' in page, f"no link to {name}'s page"
        downloads = re.findall(rf'href="(\.\./_downloads/[^"]+/{name}\.ipynb)"', page)
        expected = 2 if ps["solution"] else 1  # the student notebook, the reference solution
        assert len(downloads) == expected, (name, downloads)
        for link in downloads:
            assert (html / "book" / link).resolve().is_file(), link
    # The landing page leads to the lectures and to the problem sets.
    intro = _page(html, "book/intro.html")
    assert "problem_sets.html" in intro
    for notebook in lecture_notebooks():
        assert f"notebooks/{notebook.stem}.html" in intro


@pytest.mark.slow
def test_book_reads_offline(built_book):
    """No page loads a script, style sheet or font from the network; MathJax is local."""
    html, _ = built_book
    external = []
    for page in html.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for tag in re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", text):
            if re.search(r'\brel="(canonical|alternate)"', tag):
                continue  # metadata, not loaded
            for url in re.findall(r'\b(?:src|href)="(https?:[^"]+)"', tag):
                external.append(f"{page.relative_to(html)}: {url}")
    assert not external, "pages load resources from the network:\n" + "\n".join(external[:10])
    assert (html / "_static" / "mathjax" / "MathJax.js").is_file()
