"""A corpus of bad and hostile submissions of ps0_warmup, each with its exact expected outcome.

Every :class:`Kind` builds the files of one submission folder from the
release and the reference solution, and says what ``course autograde`` must
make of it: the points of each part (``"full"`` or a number), whether the
submission is flagged for manual review, which kinds of finding (see
``course.integrity.Finding`` and ``course.autograde``) must be reported, or
that it is not graded and why.

The corpus is graded with a per-cell timeout of 5 s and a budget of 14 s per
submission (:data:`LIMITS`); the slow kinds are built around those numbers.
"""

from __future__ import annotations

import copy
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course.notebooks import (
    fill_solutions,
    grade_id,
    is_solution,
    is_test,
    strip_solution_markers,
)

PS = "ps0_warmup"
NB = f"{PS}.ipynb"
PARTS = ["cosine_similarity_matrix", "masked_softmax", "pad_batch", "cross_entropy_from_logits"]
LIMITS = {"timeout": 5, "total_budget": 14, "memory_mb": 2048, "output_kb": 256}


@dataclass
class Context:
    """What the builders need: the notebooks and the paths of the course being graded."""

    release: nbformat.NotebookNode
    source: nbformat.NotebookNode
    root: Path
    neighbour: str  # a student whose files must stay untouched
    port: int  # a TCP port listening on 127.0.0.1 (must receive nothing)

    def reference_code(self, part: str) -> str:
        for cell in self.source.cells:
            if grade_id(cell) == part:
                return strip_solution_markers(cell.source)
        raise KeyError(part)

    def reference(self) -> nbformat.NotebookNode:
        return fill_solutions(self.release, self.source)

    def answer(self, part: str, code: str, keep_reference: bool = True) -> nbformat.NotebookNode:
        """The reference, with ``code`` (before the reference code) in the answer cell ``part``."""
        nb = self.reference()
        for cell in nb.cells:
            if grade_id(cell) == part:
                cell.source = textwrap.dedent(code) + (
                    "\n" + self.reference_code(part) if keep_reference else "")
        return nb


def _files(nb, name: str = NB) -> dict[str, bytes]:
    return {name: nbformat.writes(nb).encode("utf-8")}


def _stub(part: str) -> str:
    signature = {
        "cosine_similarity_matrix": "def cosine_similarity_matrix(A, B, eps=1e-8):",
        "masked_softmax": "def masked_softmax(scores, mask, dim=-1):",
        "pad_batch": "def pad_batch(sequences, pad_value=0):",
        "cross_entropy_from_logits":
            "def cross_entropy_from_logits(logits, targets, ignore_index=-100):",
    }[part]
    return f"{signature}\n    raise NotImplementedError()\n"


@dataclass
class Kind:
    name: str
    what: str
    build: Callable[[Context], dict[str, bytes]]
    points: dict[str, str | float] = field(default_factory=dict)  # part -> "full" | points
    flagged: bool = False
    findings: set[str] = field(default_factory=set)
    status: str = "graded"
    reason: str = ""

    def expected(self, part: str, full: float) -> float:
        value = self.points.get(part, "full")
        return full if value == "full" else float(value)


def _only(**parts) -> dict[str, str | float]:
    return {p: parts.get(p, "full") for p in PARTS}


# -- builders --------------------------------------------------------------------------------

def infinite_loop(ctx):
    return _files(ctx.answer("cosine_similarity_matrix", "while True:\n    pass\n"))


def sigint_loop(ctx):
    return _files(ctx.answer("masked_softmax", """\
        import signal
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        while True:
            pass
        """))


def memory_bomb(ctx):
    return _files(ctx.answer("pad_batch", "hog = bytearray(64 * 1024 ** 3)\n"))


def sys_exit(ctx):
    return _files(ctx.answer("cosine_similarity_matrix", "import sys\nsys.exit('done')\n"))


def os_exit(ctx):
    return _files(ctx.answer("masked_softmax", "import os\nos._exit(3)\n"))


def kernel_crash(ctx):
    return _files(ctx.answer("pad_batch", "import faulthandler\nfaulthandler._sigsegv()\n"))


def deleted_test_cell(ctx):
    nb = ctx.reference()
    nb.cells = [c for c in nb.cells if grade_id(c) != "test_masked_softmax_values"]
    return _files(nb)


def duplicated_cells(ctx):
    nb = ctx.reference()
    cells = []
    for cell in nb.cells:
        if grade_id(cell) == "cosine_similarity_matrix":
            stub = next(c for c in ctx.release.cells if grade_id(c) == grade_id(cell))
            cells.append(nbformat.from_dict(dict(copy.deepcopy(stub), id="stub-copy")))
        cells.append(cell)
        if grade_id(cell) == "test_pad_batch_values":
            cells.append(nbformat.from_dict(dict(copy.deepcopy(cell), id="test-copy")))
    nb.cells = cells
    return _files(nb)


def fresh_notebook(ctx):
    fresh = nbformat.v4.new_notebook()
    fresh.cells = [nbformat.v4.new_code_cell(c.source) if c.cell_type == "code"
                   else nbformat.v4.new_markdown_cell(c.source) for c in ctx.reference().cells]
    return _files(fresh)


def renamed_notebook(ctx):
    return _files(ctx.reference(), name=f"{PS} (my work).ipynb")


def edited_locked_cells(ctx):
    nb = ctx.reference()
    for cell in nb.cells:
        if grade_id(cell) == "masked_softmax":
            cell.source = _stub("masked_softmax")
        elif is_test(cell) and grade_id(cell).startswith("test_masked_softmax"):
            cell.source = "pass  # the tests were in the way\n"
    return _files(nb)


def syntax_error(ctx):
    nb = ctx.reference()
    for cell in nb.cells:
        if grade_id(cell) == "masked_softmax":
            cell.source = "def masked_softmax(scores, mask, dim=-1)\n    return scores\n"
    return _files(nb)


def huge_output(ctx):
    return _files(ctx.answer("cosine_similarity_matrix",
                             "for _ in range(40):\n    print('x' * 1_000_000)\n"))


def non_utf8(ctx):
    nb = ctx.answer("cosine_similarity_matrix", "# café au lait\n")
    data = nbformat.writes(nb).encode("utf-8").replace("café".encode(), b"caf\xe9")
    return {NB: data}


def write_protected(ctx):
    targets = [str(ctx.root / "gradebook.db"),
               str(ctx.root / "submitted" / ctx.neighbour / PS / NB)]
    return _files(ctx.answer("cosine_similarity_matrix", f"""\
        for _path in {targets!r}:
            try:
                with open(_path, "a") as _handle:
                    _handle.write("overwritten")
                print("wrote", _path)
            except OSError as _error:
                print("blocked:", type(_error).__name__)
        """))


def patch_checks(ctx):
    nb = ctx.reference()
    for cell in nb.cells:
        if grade_id(cell) == "masked_softmax":
            cell.source = _stub("masked_softmax").replace(
                "    raise NotImplementedError()", "    return scores") + textwrap.dedent("""
                import course.checks
                import numpy
                course.checks.check_close = lambda *a, **k: None
                check_close = check_shape = check_type = check_true = lambda *a, **k: None
                check_equal = check_finite = lambda *a, **k: None
                numpy.isclose = lambda a, b, **k: numpy.ones(numpy.broadcast(a, b).shape, bool)
                """)
    return _files(nb)


def patch_torch(ctx):
    nb = ctx.reference()
    for cell in nb.cells:
        if grade_id(cell) == "cross_entropy_from_logits":
            cell.source = _stub("cross_entropy_from_logits") + textwrap.dedent("""
                torch.allclose = lambda *a, **k: True
                torch.Tensor.__eq__ = lambda self, other: torch.ones_like(self, dtype=torch.bool)
                """)
    return _files(nb)


def patch_builtins_sysmodules(ctx):
    nb = ctx.reference()
    for cell in nb.cells:
        if grade_id(cell) == "pad_batch":
            cell.source = _stub("pad_batch") + textwrap.dedent("""
                import builtins, sys, types
                _fake = types.ModuleType("course.checks")
                for _name in ("check_close", "check_equal", "check_shape", "check_true",
                              "check_type", "check_finite", "check_raises"):
                    setattr(_fake, _name, lambda *a, **k: None)
                sys.modules["course.checks"] = _fake
                builtins.all = lambda iterable: True
                """)
    return _files(nb)


def bricked_kernel(ctx):
    return _files(ctx.answer("pad_batch", "import builtins\nbuiltins.len = lambda obj: 0\n"))


def patch_ipython(ctx):
    nb = ctx.reference()
    for cell in nb.cells:
        if grade_id(cell) == "cosine_similarity_matrix":
            cell.source = _stub("cosine_similarity_matrix") + textwrap.dedent("""
                _ip = get_ipython()
                _ip.input_transformers_cleanup.append(
                    lambda lines: ["pass\\n"] if any("check_" in l for l in lines) else lines)
                _ip.set_custom_exc((Exception,), lambda *args, **kwargs: None)
                """)
    return _files(nb)


def patch_during_test(ctx):
    nb = ctx.reference()
    for cell in nb.cells:
        if grade_id(cell) == "cross_entropy_from_logits":
            cell.source = textwrap.dedent("""\
                def cross_entropy_from_logits(logits, targets, ignore_index=-100):
                    namespace = globals()
                    for name in list(namespace):
                        if name.startswith("check_"):
                            namespace[name] = lambda *a, **k: None
                    return torch.tensor(0.5)
                """)
    return _files(nb)


def read_hidden_tests(ctx):
    source_path = str(ctx.root / "solutions" / PS / NB)
    nb = ctx.answer("cosine_similarity_matrix", f"""\
        import glob
        for _path in glob.glob("*.ipynb") + [{source_path!r}]:
            try:
                print(open(_path).read()[:200])
            except OSError as _error:
                print("blocked:", type(_error).__name__)
        """)
    for cell in nb.cells:
        if grade_id(cell) == "cross_entropy_from_logits":
            cell.source += textwrap.dedent("""
                print(In)
                print(_ih)
                import linecache
                print([''.join(v[2]) for k, v in linecache.cache.items()
                       if 'ipykernel' in k or k.startswith('<')])
                """)
    return _files(nb)


def hidden_names(ctx):
    body = ctx.reference_code("cosine_similarity_matrix")
    nb = ctx.reference()
    for cell in nb.cells:
        if grade_id(cell) == "cosine_similarity_matrix":
            cell.source = body.replace(
                "    if A.shape[-1] != B.shape[-1]:",
                "    if '_ref_cosine' in globals():\n"
                "        return _ref_cosine(A, B, eps)\n"
                "    if A.shape[-1] != B.shape[-1]:", 1)
    return _files(nb)


def slow_but_correct(ctx):
    return _files(ctx.answer("cosine_similarity_matrix", "import time\ntime.sleep(3)\n"))


def unexpected_order(ctx):
    nb = ctx.reference()
    answer = next(c for c in nb.cells if grade_id(c) == "cosine_similarity_matrix")
    nb.cells = [c for c in nb.cells if c is not answer] + [answer]
    return _files(nb)


def extra_notebook(ctx):
    notes = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    return {**_files(ctx.reference()), **_files(notes, name="my notes.ipynb")}


def copy_of_notebook(ctx):
    return {**_files(ctx.release), **_files(ctx.reference(), name=f"{PS}-Copy1.ipynb")}


def empty_folder(ctx):
    return {}


def over_budget(ctx):
    nb = ctx.reference()
    for cell in nb.cells:
        if is_solution(cell):
            cell.source = "import time\ntime.sleep(4.5)\n" + cell.source
    return _files(nb)


def network(ctx):
    return _files(ctx.answer("cosine_similarity_matrix", f"""\
        import socket
        try:
            socket.create_connection(("127.0.0.1", {ctx.port}), timeout=2).sendall(b"hi")
            print("connected")
        except OSError as _error:
            print("no network:", type(_error).__name__)
        """))


KINDS = [
    Kind("infinite_loop", "an endless loop in an answer cell", infinite_loop,
         _only(cosine_similarity_matrix=0), findings={"timeout"}),
    Kind("sigint_loop", "a loop that ignores SIGINT", sigint_loop,
         _only(masked_softmax=0, pad_batch=0, cross_entropy_from_logits=0),
         findings={"killed"}),
    Kind("memory_bomb", "allocating 64 GB", memory_bomb, _only(pad_batch=0),
         findings={"memory"}),
    Kind("sys_exit", "sys.exit() in an answer cell", sys_exit,
         _only(cosine_similarity_matrix=0)),
    Kind("os_exit", "os._exit() in an answer cell", os_exit,
         _only(masked_softmax=0, pad_batch=0, cross_entropy_from_logits=0),
         findings={"dead-kernel"}),
    Kind("kernel_crash", "a segmentation fault", kernel_crash,
         _only(pad_batch=0, cross_entropy_from_logits=0), findings={"dead-kernel"}),
    Kind("deleted_test_cell", "a test cell deleted", deleted_test_cell,
         findings={"deleted-cell"}),
    Kind("duplicated_cells", "a test cell and an answer cell duplicated", duplicated_cells,
         findings={"duplicate"}),
    Kind("fresh_notebook", "every cell pasted into a new notebook (no metadata)",
         fresh_notebook, findings={"restored-metadata"}),
    Kind("renamed_notebook", "the notebook renamed", renamed_notebook,
         findings={"renamed-notebook"}),
    Kind("edited_locked_cells", "the tests of a part replaced by `pass`", edited_locked_cells,
         _only(masked_softmax=0), findings={"edited-locked"}),
    Kind("syntax_error", "a syntax error in an answer cell", syntax_error,
         _only(masked_softmax=0)),
    Kind("huge_output", "40 MB printed", huge_output, findings={"output-cap"}),
    Kind("non_utf8", "a byte that is not UTF-8", non_utf8, flagged=True,
         findings={"not-utf8"}),
    Kind("write_protected", "writing to the gradebook and a neighbour's notebook",
         write_protected, flagged=True, findings={"protected-access"}),
    Kind("patch_checks", "course.checks, the notebook's check names and numpy.isclose patched",
         patch_checks, _only(masked_softmax=0), flagged=True, findings={"tamper"}),
    Kind("patch_torch", "torch.allclose and Tensor.__eq__ patched", patch_torch,
         _only(cross_entropy_from_logits=0), flagged=True, findings={"tamper"}),
    Kind("patch_builtins_sysmodules", "builtins and sys.modules patched",
         patch_builtins_sysmodules, _only(pad_batch=0), flagged=True, findings={"tamper"}),
    Kind("bricked_kernel", "builtins.len replaced: the kernel itself stops working",
         bricked_kernel, _only(pad_batch=0, cross_entropy_from_logits=0), flagged=True,
         findings={"killed", "suspicious-code"}),
    Kind("patch_ipython", "an input transformer that blanks test cells", patch_ipython,
         _only(cosine_similarity_matrix=0), flagged=True, findings={"tamper"}),
    Kind("patch_during_test", "the function replaces the checks when a test calls it",
         patch_during_test, _only(cross_entropy_from_logits=0), flagged=True,
         findings={"tamper"}),
    Kind("read_hidden_tests", "reading the graded notebook, the source and the history",
         read_hidden_tests, flagged=True, findings={"protected-access"}),
    Kind("hidden_names", "calling the hidden tests' reference function", hidden_names,
         _only(cosine_similarity_matrix=0), flagged=True, findings={"hidden-names"}),
    Kind("slow_but_correct", "3 s of sleep, within the limits", slow_but_correct),
    Kind("unexpected_order", "an answer cell moved below its tests", unexpected_order,
         findings={"reordered"}),
    Kind("extra_notebook", "a notebook of notes next to the submission", extra_notebook,
         findings={"extra-notebook"}),
    Kind("copy_of_notebook", "the work in a copy, the untouched release next to it",
         copy_of_notebook, {p: 0 for p in PARTS}, flagged=True, findings={"extra-notebook"}),
    Kind("empty_folder", "an empty submission folder", empty_folder, flagged=True,
         status="failed", reason="holds no notebook"),
    Kind("over_budget", "4.5 s of sleep in every answer cell (budget 14 s)", over_budget,
         _only(pad_batch=0, cross_entropy_from_logits=0), findings={"budget"}),
    Kind("network", "connecting to a local TCP port", network, flagged=True,
         findings={"network"}),
]
