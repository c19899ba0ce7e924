"""The student's JupyterLab in a real browser, and the instructor/student switch.

The browser tests start ``jupyter lab`` from .venv (as ``make lab`` does) on a free
localhost port with a token, in a scratch copy of the course with an nbgrader
exchange holding a released problem set, and drive Debian's Chromium with
Playwright:

- every lecture in notebooks/: run all cells, no error outputs, every widget view
  renders, and the lecture's widget hook (tests/browser/hooks.py) drives it;
- the student tools: the Nbgrader menu (instructor entries only in instructor
  mode), the Assignments panel (fetch the released problem set), the Validate
  button (a right answer passes, a wrong one shows its failure message);
- the kernel is the course's .venv Python.

Screenshots of every step go to test-artifacts/browser/ (git-ignored).  Without
/usr/bin/chromium these tests skip and say how to enable them.  The switch tests
(at the end) need no browser.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from browser.hooks import HOOKS
from browser.lab import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ENABLE_HINT,
    LabPage,
    LabServer,
    make_scratch_course,
)
from browser.widgets import JS_WIDGET_VIEWS, WIDGET_VIEW, wait_until
from conftest import error_cells
from problem_sets import ROOT, lecture_notebooks

from course import labmode
from course.notebooks import fill_solutions, grade_id, is_solution, strip_solution_markers

PS = "ps0_warmup"  # the problem set the Validate test works on
TYPED_CELL = "cosine_similarity_matrix"  # the solution cell typed in the browser
WRONG_VARIANT = "cosine_forgets_to_normalise_B"  # from tests/variants/ps0_warmup.py
KERNEL_CHECK = "kernel_check.ipynb"
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"
# Seconds for "run all" of one lecture (each runs in about a minute; slack for a busy machine).
RUN_ALL_TIMEOUT = float(os.environ.get("COURSE_BROWSER_TIMEOUT", 300))


# ---------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def lab_course(tmp_path_factory):
    """A scratch course folder with an nbgrader exchange where PS is released."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    base = tmp_path_factory.mktemp("lab")
    root = make_scratch_course(base / "course")
    exchange = base / "exchange"
    exchange.mkdir()
    with open(root / "nbgrader_config.py", "a") as config:
        config.write(f"\n# browser test: a local exchange\nc.Exchange.root = {str(exchange)!r}\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import sys\nprint(sys.executable)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nbformat.write(nb, root / KERNEL_CHECK)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    api = NbGraderAPI(CourseDirectory(config=config, root=str(root)), config=config)
    result = api.release_assignment(PS)  # what an instructor does to hand it out
    assert result["success"], result.get("log") or result.get("error")
    return root


@pytest.fixture(scope="module")
def lab_server(lab_course, tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip(ENABLE_HINT)
    server = LabServer(lab_course, tmp_path_factory.mktemp("lab-state"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def chromium():
    if not CHROMIUM.exists():
        pytest.skip(ENABLE_HINT)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def lab(chromium, lab_server, request):
    """A fresh browser context on the test's JupyterLab; no request may leave localhost."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    outside: list[str] = []

    def only_localhost(route):
        url = route.request.url
        if url.startswith((lab_server.base_url, "data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", only_localhost)
    page = context.new_page()
    lab_page = LabPage(page, lab_server, request.node.name)
    try:
        yield lab_page
    finally:
        try:
            lab_page.screenshot("end")  # where the test stopped, passed or not
        finally:
            context.close()
            lab_server.shutdown_kernels()
    assert not outside, f"JupyterLab tried to reach the network: {outside[:5]}"


# ---------------------------------------------------------------------- lectures
def _widget_views(nb: nbformat.NotebookNode) -> int:
    return sum(1 for cell in nb.cells for output in cell.get("outputs", [])
               if WIDGET_VIEW_MIME in output.get("data", {}))


def _check_widget_views_render(lab: LabPage, expected: int, timeout: float = 30.0) -> dict:
    """Every widget view of the notebook is on the page: none failed, none still loading."""
    state = {}

    def all_rendered():
        state.update(lab.page.evaluate(JS_WIDGET_VIEWS))
        return state["rendered"] >= expected and not state["errors"] and not state["loading"]

    try:
        wait_until(all_rendered, timeout, message="the widget views")
    except AssertionError:
        lab.screenshot("widgets-not-rendered")
        raise AssertionError(f"{lab.path}: {expected} widget view(s) expected; the page shows "
                             f"{state}; browser console errors: {lab.console_errors[:5]}") from None
    return state


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason=ENABLE_HINT)
@pytest.mark.parametrize("notebook", lecture_notebooks(), ids=lambda p: p.stem)
def test_lecture_runs_in_jupyterlab(lab, notebook):
    relpath = notebook.relative_to(ROOT).as_posix()
    lab.open(relpath)
    lab.screenshot("opened")
    seconds = lab.run_all(timeout=RUN_ALL_TIMEOUT)
    lab.screenshot("ran-all-cells")
    nb = lab.save()
    not_run = [i for i, c in enumerate(nb.cells)
               if c.cell_type == "code" and c.source.strip() and c.execution_count is None]
    assert not not_run, f"{relpath}: cells {not_run} did not run"
    assert not error_cells(nb), f"{relpath}: cells failed in JupyterLab: {error_cells(nb)}"
    expected = _widget_views(nb)
    if expected:
        _check_widget_views_render(lab, expected)
        lab.page.locator(WIDGET_VIEW).first.scroll_into_view_if_needed()
        lab.screenshot("widgets-rendered")
    hook = HOOKS.get(notebook.stem)
    if hook is not None:
        hook(lab)
    print(f"{relpath}: ran in {seconds:.1f} s in JupyterLab, {expected} widget view(s)")


# ---------------------------------------------------------------------- student tools
def _menu_items(lab: LabPage, menu: str) -> list[str]:
    lab.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(rf"^{menu}$")).click()
    lab.page.wait_for_selector(".lm-Menu")
    items = [t.strip() for t in lab.page.locator(".lm-Menu .lm-Menu-itemLabel").all_inner_texts()
             if t.strip()]
    return items


def _open_lab(lab: LabPage) -> None:
    lab.page.goto(lab.server.url("lab") + f"?token={lab.server.token}&reset")
    lab.page.wait_for_selector(".jp-LabShell")
    lab.page.wait_for_selector(".lm-MenuBar-itemLabel >> text=Nbgrader")


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason=ENABLE_HINT)
def test_nbgrader_menu_matches_the_lab_mode(lab):
    """Student tools in every mode; the formgrader only in instructor mode."""
    mode = labmode.current_mode()
    _open_lab(lab)
    config = json.loads(lab.page.locator("#jupyter-config-data").text_content())
    disabled = set(config.get("disabledExtensions") or [])
    items = _menu_items(lab, "Nbgrader")
    lab.screenshot(f"nbgrader-menu-{mode}-mode")
    lab.page.keyboard.press("Escape")
    assert "Assignment List" in items and "Course List" in items, items
    for plugin in labmode.STUDENT_LAB_PLUGINS:
        assert plugin not in disabled, f"{plugin} is off in JupyterLab"
    if mode == "student":
        assert "Formgrader" not in items, items
        assert set(labmode.INSTRUCTOR_LAB_PLUGINS) <= disabled, disabled
    elif mode == "instructor":
        assert "Formgrader" in items, items
        assert not set(labmode.INSTRUCTOR_LAB_PLUGINS) & disabled, disabled


def _reference_and_wrong_code() -> tuple[str, str]:
    from variants.ps0_warmup import VARIANTS

    source = nbformat.read(ROOT / "solutions" / PS / f"{PS}.ipynb", as_version=4)
    reference = next(strip_solution_markers(c.source) for c in source.cells
                     if is_solution(c) and grade_id(c) == TYPED_CELL)
    wrong = next(v["code"] for v in VARIANTS if v["name"] == WRONG_VARIANT)
    return reference, wrong


def _validate(lab: LabPage) -> tuple[str, str]:
    """Press Validate; return the result's kind (success, failed, ...) and its text."""
    lab.panel.locator(".jp-NotebookPanel-toolbar .jp-ToolbarButton",
                      has_text="Validate").click()
    dialog = lab.page.locator(".jp-Dialog", has_text="Validation Results")
    dialog.wait_for(timeout=120_000)  # runs the whole notebook in a fresh kernel
    message = dialog.locator("#validation-message")
    message.wait_for()
    kind = next((c.removeprefix("validation-") for c in
                 (message.get_attribute("class") or "").split()
                 if c.startswith("validation-")), "error")
    return kind, message.inner_text()


def _close_dialog(lab: LabPage) -> None:
    lab.page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()
    lab.page.locator(".jp-Dialog").wait_for(state="detached")


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason=ENABLE_HINT)
def test_fetch_answer_and_validate_a_problem_set(lab, lab_course):
    """Fetch the released problem set, type an answer, press Validate: right, then wrong."""
    _open_lab(lab)
    _menu_items(lab, "Nbgrader")
    lab.page.locator(".lm-Menu .lm-Menu-itemLabel", has_text="Assignment List").click()
    released = lab.page.locator("#released_assignments_list .list_item", has_text=PS)
    released.wait_for()
    lab.screenshot("assignments-released")
    released.get_by_role("button", name="Fetch").click()
    lab.page.locator("#fetched_assignments_list .list_item", has_text=PS).first.wait_for()
    lab.screenshot("assignments-fetched")
    fetched = lab_course / PS / f"{PS}.ipynb"
    assert fetched.is_file(), f"Fetch did not put {PS} in {fetched.parent}"

    # The other parts were done earlier (reference code); the typed one is the test.
    source = nbformat.read(ROOT / "solutions" / PS / f"{PS}.ipynb", as_version=4)
    release = nbformat.read(fetched, as_version=4)
    others = {grade_id(c) for c in release.cells if is_solution(c)} - {TYPED_CELL}
    nbformat.write(fill_solutions(release, source, only=others), fetched)
    index = next(i for i, c in enumerate(release.cells) if grade_id(c) == TYPED_CELL)
    reference, wrong = _reference_and_wrong_code()

    lab.open(fetched.relative_to(lab_course).as_posix())
    lab.replace_cell_source(index, reference)
    lab.screenshot("reference-answer-typed")
    kind, text = _validate(lab)
    lab.screenshot("validate-reference-answer")
    assert kind == "success", f"the reference answer did not validate: {kind}: {text[:2000]}"
    assert "Success! Your notebook passes all the tests." in text
    _close_dialog(lab)
    saved = nbformat.read(fetched, as_version=4)
    assert saved.cells[index].source.strip() == reference.strip(), "Validate did not save first"

    lab.replace_cell_source(index, wrong)
    kind, text = _validate(lab)
    lab.screenshot("validate-wrong-answer")
    lab.page.locator("#validation-message .jp-RenderedText").last.scroll_into_view_if_needed()
    lab.screenshot("validate-wrong-answer-message")
    assert kind == "failed", f"the wrong answer was not caught: {kind}: {text[:2000]}"
    assert "The following cell failed" in text and "cosine_similarity_matrix(A, B)" in text, text
    # The student sees the test's own message: what was expected, and the hint.
    assert "Divide every row of A AND every row of B by its own length" in text, text
    _close_dialog(lab)


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason=ENABLE_HINT)
def test_kernel_is_the_course_venv(lab, lab_course):
    lab.open(KERNEL_CHECK)
    lab.run_all(timeout=60)
    nb = lab.save()
    printed = "".join(o.get("text", "") for o in nb.cells[0].outputs).strip()
    assert Path(printed).parent == Path(sys.executable).parent, \
        f"the notebook kernel runs {printed}, not the course's {sys.executable}"
    assert "--ServerApp.root_dir" in (ROOT / "Makefile").read_text()
    assert re.search(r"^lab:.*\n\t\$\(BIN\)/jupyter lab", (ROOT / "Makefile").read_text(),
                     re.MULTILINE), "make lab must start the .venv's JupyterLab"


# ---------------------------------------------------------------------- instructor/student switch
def _labextension_list() -> str:
    jupyter = Path(sys.executable).parent / "jupyter"
    out = subprocess.run([str(jupyter), "labextension", "list"], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "NO_COLOR": "1"})
    return re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)


def _sys_prefix_page_config() -> dict:
    path = Path(sys.prefix) / "etc" / "jupyter" / "labconfig" / "page_config.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def test_switch_between_instructor_and_student_mode():
    """`course mode instructor|student` flips the instructor tools; the mode is restored after."""
    original = labmode.status()
    marker = Path(sys.prefix) / "etc" / "jupyter" / labmode.MARKER_NAME
    marker_text = marker.read_text() if marker.is_file() else None
    try:
        student = labmode.set_mode("student")
        assert student.mode == labmode.current_mode() == "student"
        page = _sys_prefix_page_config()
        for plugin in labmode.INSTRUCTOR_LAB_PLUGINS:
            assert page["disabledExtensions"][plugin] is True
        for plugin in labmode.STUDENT_LAB_PLUGINS:
            assert not page.get("disabledExtensions", {}).get(plugin)
        assert student.server_extensions == dict.fromkeys(labmode.INSTRUCTOR_SERVER_EXTENSIONS,
                                                          False)
        listing = _labextension_list()
        disabled = listing.split("Disabled extensions:")[-1] if "Disabled extensions:" in \
            listing else ""
        for plugin in labmode.INSTRUCTOR_LAB_PLUGINS:
            assert plugin in disabled, listing
        for plugin in labmode.STUDENT_LAB_PLUGINS:
            assert plugin not in disabled, listing

        instructor = labmode.set_mode("instructor")
        assert instructor.mode == labmode.current_mode() == "instructor"
        page = _sys_prefix_page_config()
        for plugin in labmode.INSTRUCTOR_LAB_PLUGINS:
            assert not page["disabledExtensions"][plugin]
        assert all(instructor.server_extensions.values())
        assert "Disabled extensions:" not in _labextension_list()
    finally:
        if original.mode in labmode.MODES:
            labmode.set_mode(original.mode)
        if marker_text is None:
            marker.unlink(missing_ok=True)
        else:
            marker.write_text(marker_text)
    assert labmode.status().mode == original.mode


def test_mode_command_line(capsys):
    assert labmode.main([]) == (0 if labmode.current_mode() in labmode.MODES else 1)
    assert f"JupyterLab mode: {labmode.current_mode()}" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        labmode.main(["teacher"])
    with pytest.raises(ValueError, match="unknown mode"):
        labmode.set_mode("teacher")


def test_setup_applies_the_recorded_mode_and_the_readme_documents_it(root):
    makefile = (root / "Makefile").read_text()
    assert "course.labmode --ensure" in makefile
    for target in ("instructor:", "student:", "book:"):
        assert target in makefile
    readme = (root / "README.md").read_text()
    assert "make instructor" in readme and "make student" in readme
    assert labmode.DEFAULT_MODE == "student"
