"""Matching a submission back to its release before grading.

nbgrader finds a student's answers and its own test cells through the cells'
metadata.  When that metadata is lost or changed, plain nbgrader grades
silently wrong: a deleted test cell loses its points, cells pasted into a
fresh notebook score 0, a renamed notebook is skipped.  The functions here
run before nbgrader and repair what can be repaired unambiguously, and say
what they did; whatever is ambiguous is *flagged for manual review* (graded
on a best guess, never silently 0):

* :func:`decode_notebook` – a file that is not UTF-8 is read with the bad
  bytes replaced (and flagged); a file that is not a notebook is reported.
* :func:`match_notebooks` – a renamed notebook is matched to the release
  notebook whose graded cells it holds; extra notebooks are reported.
* :func:`repair_notebook` – graded cells are matched to the release by grade
  id, then (for cells whose metadata was lost or whose id was changed) by
  the text of locked cells and by the names an answer cell defines; deleted
  test cells are put back; duplicates are removed; cells are put back in the
  release's order; locked cells edited by the student are restored by
  nbgrader afterwards (``OverwriteCells``) and reported here.
* :func:`scan_answers` – a static scan of the code the student wrote for
  tampering with the checks, history or frame introspection, and for names
  that exist only in the hidden tests.
"""

from __future__ import annotations

import ast
import copy
import re
import uuid
from dataclasses import asdict, dataclass, field

import nbformat

from course.notebooks import grade_id, is_locked, is_solution, is_test, nbgrader_meta

_HIDDEN_BLOCK = re.compile(r"^\s*### BEGIN HIDDEN TESTS(.*?)^\s*### END HIDDEN TESTS",
                           re.MULTILINE | re.DOTALL)


@dataclass
class Finding:
    """One thing noticed about a submission.

    ``review`` findings flag the submission for manual review; the others
    are notes that explain a grade.  ``zero`` lists test cells whose result
    cannot be trusted (they get 0 points and need manual grading).
    """

    kind: str
    message: str
    review: bool = False
    notebook: str = ""
    cells: list[str] = field(default_factory=list)
    zero: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def normalise(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


# -- reading -------------------------------------------------------------------------------

def decode_notebook(data: bytes, name: str) -> tuple[nbformat.NotebookNode | None, list[Finding],
                                                        str]:
    """Parse a submitted file: (notebook or None, findings, reason it cannot be read)."""
    findings = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        text = data.decode("utf-8", errors="replace")
        bad = sum(1 for ch in text if ch == "\ufffd")
        findings.append(Finding(
            "not-utf8", f"{name} is not valid UTF-8 (first bad byte at {error.start}); "
            f"{bad} undecodable byte(s) were replaced by U+FFFD and the notebook was graded",
            review=True, notebook=name))
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as error:  # noqa: BLE001 - nbformat raises several types for bad JSON
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        first = first.split(":")[0] if "appear to be JSON" in first else first[:120]
        return None, findings, f"{name} is not a valid notebook ({first})"
    if not isinstance(nb.get("cells"), list):
        return None, findings, f"{name} is not a valid notebook (it has no list of cells)"
    for cell in nb.cells:
        if not isinstance(cell, dict) or "cell_type" not in cell:
            return None, findings, f"{name} is not a valid notebook (a cell has no type)"
        cell.setdefault("metadata", nbformat.NotebookNode())
        cell.setdefault("source", "")
        if isinstance(cell.source, list):
            cell.source = "".join(cell.source)
        if cell.cell_type == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
    return nb, findings, ""


def _graded_ids(nb: dict) -> set[str]:
    return {grade_id(c) for c in nb.get("cells", []) if grade_id(c)}


def _sources(nb: dict) -> set[str]:
    return {normalise(c.get("source", "")) for c in nb.get("cells", [])
            if len(normalise(c.get("source", ""))) > 20}


def _similarity(nb: dict, release: dict) -> float:
    """How much a notebook looks like a release notebook (0 = nothing in common)."""
    ids = _graded_ids(release)
    shared_ids = len(_graded_ids(nb) & ids) / max(1, len(ids))
    texts = _sources(release)
    shared_text = len(_sources(nb) & texts) / max(1, len(texts))
    return max(shared_ids, shared_text)


def _has_answers(nb: dict, release: dict) -> bool:
    stubs = {normalise(c.source) for c in release.cells if is_solution(c)}
    return any(is_solution(c) and normalise(c.get("source", "")) not in stubs
               for c in nb.get("cells", []))


def match_notebooks(present: dict[str, nbformat.NotebookNode],
                    release: dict[str, nbformat.NotebookNode]
                    ) -> tuple[dict[str, tuple[str, nbformat.NotebookNode] | None], list[Finding]]:
    """Which submitted notebook to grade as each release notebook."""
    findings: list[Finding] = []
    chosen: dict[str, tuple[str, nbformat.NotebookNode] | None] = {}
    unused = {name: nb for name, nb in present.items() if name not in release}
    for name in sorted(release):
        if name in present:
            chosen[name] = (name, present[name])
            continue
        scores = sorted(((_similarity(nb, release[name]), other) for other, nb in unused.items()),
                        reverse=True)
        scores = [(s, other) for s, other in scores if s >= 0.3]
        if not scores:
            chosen[name] = None
            findings.append(Finding("missing-notebook",
                                    f"{name} was not submitted; its tests score 0", review=True,
                                    notebook=name))
            continue
        best, other = scores[0]
        ambiguous = len(scores) > 1 and scores[1][0] >= best - 0.1
        chosen[name] = (other, unused.pop(other))
        findings.append(Finding(
            "renamed-notebook",
            f"{name} was submitted as {other}" + (
                f"; {len(scores)} notebooks look like it ({', '.join(o for _, o in scores)}), "
                "the most similar was graded" if ambiguous else " and was graded as " + name),
            review=ambiguous, notebook=name))
    for other, nb in sorted(unused.items()):
        copies = [name for name in release
                  if _similarity(nb, release[name]) >= 0.3 and _has_answers(nb, release[name])]
        if copies:
            findings.append(Finding(
                "extra-notebook",
                f"{other} was also submitted and looks like a copy of {copies[0]} with answers; "
                f"only {copies[0]} was graded", review=True, notebook=other))
        else:
            findings.append(Finding("extra-notebook", f"{other} is not part of the problem set "
                                    "and was not graded", notebook=other))
    return chosen, findings


# -- cells ---------------------------------------------------------------------------------

def defined_names(source: str) -> set[str]:
    """Top-level functions and classes a cell defines (assigned names when it defines none)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set(re.findall(r"^(?:def|class)\s+([A-Za-z_]\w*)", source, re.MULTILINE))
    names = {node.name for node in tree.body
             if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
    if names:
        return names
    assigned = set()
    for node in tree.body:
        if isinstance(node, ast.Assign):
            assigned |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(node.target, ast.Name):
            assigned.add(node.target.id)
    return assigned


def _role(cell: dict) -> str:
    if is_solution(cell):
        return "answer cell"
    return "test cell" if is_test(cell) else "locked cell"


def repair_notebook(nb: nbformat.NotebookNode, release: nbformat.NotebookNode,
                    name: str) -> tuple[nbformat.NotebookNode, list[Finding]]:
    """Match the graded cells of ``nb`` to ``release``; returns a repaired copy and findings."""
    findings: list[Finding] = []
    cells = [copy.deepcopy(c) for c in nb.cells]
    release_cells = list(release.cells)
    graded = [(i, c) for i, c in enumerate(release_cells) if grade_id(c)]
    order = {grade_id(c): i for i, c in graded}
    by_release_id = {grade_id(c): c for _, c in graded}
    stub = {grade_id(c): normalise(c.source) for _, c in graded}

    def note(kind, message, review=False, ids=()):
        findings.append(Finding(kind, message, review=review, notebook=name, cells=list(ids)))

    # 1. cells that carry a known grade id
    assigned: dict[str, int] = {}
    dropped: set[int] = set()
    pool: list[int] = []
    by_id: dict[str, list[int]] = {}
    for index, cell in enumerate(cells):
        gid = grade_id(cell)
        if gid in by_release_id:
            by_id.setdefault(gid, []).append(index)
        else:
            if gid:
                note("unknown-id", f"a cell carries the unknown grade id {gid!r} (renamed?)",
                     ids=[gid])
            pool.append(index)
    for gid, indexes in by_id.items():
        rel = by_release_id[gid]
        if len(indexes) == 1:
            assigned[gid] = indexes[0]
            continue
        if is_solution(rel):
            answers = [i for i in indexes if normalise(cells[i].source) != stub[gid]]
            keep = (answers or indexes)[-1]
            extra = [i for i in indexes if i != keep]
            dropped |= {i for i in extra if normalise(cells[i].source) == stub[gid]}
        else:
            same = [i for i in indexes if normalise(cells[i].source) == stub[gid]]
            keep = (same or indexes)[0]
            extra = [i for i in indexes if i != keep]
            dropped |= {i for i in extra if normalise(cells[i].source) == stub[gid]}
        assigned[gid] = keep
        pool += [i for i in extra if i not in dropped]
        note("duplicate", f"{_role(rel)} {gid!r} appears {len(indexes)} times; the copies were "
             "removed or kept as ordinary cells", ids=[gid])

    # 2. graded cells of the release without a cell: match by content or name
    inserted: dict[str, nbformat.NotebookNode] = {}
    pool = sorted(set(pool))
    for _, rel in graded:
        gid = grade_id(rel)
        if gid in assigned:
            continue
        free = [i for i in pool if i not in assigned.values() and i not in dropped]
        if not is_solution(rel):
            match = [i for i in free if cells[i].cell_type == rel.cell_type
                     and normalise(cells[i].source) == stub[gid]]
            if match:
                assigned[gid] = match[0]
                note("restored-metadata", f"{_role(rel)} {gid!r} had lost its nbgrader "
                     "metadata; it was recognised by its text", ids=[gid])
            else:
                inserted[gid] = copy.deepcopy(rel)
                note("deleted-cell", f"{_role(rel)} {gid!r} was missing from the submission; "
                     "it was put back from the release", ids=[gid])
            continue
        wanted = defined_names(rel.source) if rel.cell_type == "code" else set()
        if wanted:
            match = [i for i in free if cells[i].cell_type == "code"
                     and defined_names(cells[i].source) & wanted]
        else:
            match = _between_anchors(cells, free, assigned, gid, order, rel.cell_type)
        answers = [i for i in match if normalise(cells[i].source) != stub[gid]]
        if len(match) == 1 or (len(answers) == 1 and wanted):
            assigned[gid] = (answers or match)[0]
            note("restored-metadata", f"answer cell {gid!r} had lost its nbgrader metadata; it "
                 f"was recognised by {'the names it defines' if wanted else 'its position'}",
                 ids=[gid])
        elif match:
            assigned[gid] = (answers or match)[-1]
            where = ", ".join(str(i + 1) for i in match)
            note("ambiguous", f"answer cell {gid!r} could not be identified for sure: cells "
                 f"{where} all look like it; the last one was graded as the answer",
                 review=True, ids=[gid])
        else:
            elsewhere = [g for g, i in assigned.items()
                         if wanted and defined_names(cells[i].source) & wanted]
            cell = copy.deepcopy(rel)
            if elsewhere:
                cell.source = f"# (answer cell {gid} was missing; its code is in {elsewhere[0]})"
                note("deleted-cell", f"answer cell {gid!r} was missing; its function is "
                     f"defined in {elsewhere[0]!r}, which was graded", ids=[gid])
            else:
                note("deleted-cell", f"answer cell {gid!r} was missing from the submission; it "
                     "was put back as the release stub (no answer)", ids=[gid])
            inserted[gid] = cell

    # 3. leftovers keep no grading metadata
    for i in pool:
        if i not in assigned.values() and nbgrader_meta(cells[i]):
            cells[i].metadata.pop("nbgrader", None)

    # 4. restore metadata of matched cells; report edited locked cells
    for gid, i in assigned.items():
        rel = by_release_id[gid]
        cell = cells[i]
        if cell.cell_type != rel.cell_type:
            note("changed-type", f"{_role(rel)} {gid!r} was turned into a {cell.cell_type} "
                 "cell; its type was restored", ids=[gid])
        if is_locked(rel) and not is_solution(rel) and normalise(cell.source) != stub[gid]:
            note("edited-locked", f"locked {_role(rel)} {gid!r} was edited; the original was "
                 "restored for grading", ids=[gid])
        before = nbgrader_meta(cell)
        changed = [k for k in ("grade", "solution", "locked", "points")
                   if before and before.get(k) != nbgrader_meta(rel).get(k)]
        if changed:
            note("changed-metadata", f"the nbgrader metadata of {gid!r} was changed "
                 f"({', '.join(changed)}); it was restored", ids=[gid])
        cell.metadata["nbgrader"] = copy.deepcopy(nbgrader_meta(rel))
        for key in ("deletable", "editable"):
            if key in rel.metadata:
                cell.metadata[key] = rel.metadata[key]

    # 5. put the graded cells back in the release's order (ordinary cells move with the
    #    graded cell before them)
    segments: list[tuple[float, list]] = []
    leader_of = {i: gid for gid, i in assigned.items()}
    current: list = []
    key = -1.0
    for i, cell in enumerate(cells):
        if i in dropped:
            continue
        if i in leader_of:
            segments.append((key, current))
            current, key = [cell], float(order[leader_of[i]])
        else:
            current.append(cell)
    segments.append((key, current))
    before_order = [k for k, _ in segments if k >= 0]
    segments += [(float(order[gid]), [cell]) for gid, cell in inserted.items()]
    if before_order != sorted(before_order):
        note("reordered", "graded cells were not in the order of the release; they were put "
             "back in order (each with the cells that followed it)")
    segments.sort(key=lambda item: item[0])
    result = copy.deepcopy(nb)
    result.cells = [cell for _, segment in segments for cell in segment]
    _unique_ids(result)
    if "kernelspec" not in result.metadata and "kernelspec" in release.metadata:
        result.metadata["kernelspec"] = copy.deepcopy(release.metadata["kernelspec"])
    return result, findings


def _between_anchors(cells, free, assigned, gid, order, cell_type) -> list[int]:
    """Free cells of ``cell_type`` between the matched graded cells around ``gid``."""
    mine = order[gid]
    before = [i for g, i in assigned.items() if order[g] < mine]
    after = [i for g, i in assigned.items() if order[g] > mine]
    low = max(before) if before else -1
    high = min(after) if after else len(cells)
    return [i for i in free if low < i < high and cells[i].cell_type == cell_type]


def _unique_ids(nb: nbformat.NotebookNode) -> None:
    seen = set()
    for cell in nb.cells:
        cid = cell.get("id")
        if not cid or cid in seen:
            cell["id"] = uuid.uuid4().hex[:8]
        seen.add(cell["id"])


# -- static scan of the student's code -----------------------------------------------------

_SUSPICIOUS_ATTRS = {
    "_getframe": "frame introspection (sys._getframe)",
    "currentframe": "frame introspection (inspect.currentframe)",
    "getouterframes": "frame introspection (inspect.getouterframes)",
    "f_back": "frame introspection (f_back)",
    "f_globals": "frame introspection (f_globals)",
    "f_locals": "frame introspection (f_locals)",
    "tb_frame": "frame introspection (tb_frame)",
    "gi_frame": "frame introspection (gi_frame)",
    "get_referrers": "garbage-collector introspection",
    "get_objects": "garbage-collector introspection",
    "settrace": "a trace function",
    "setprofile": "a profile function",
    "addaudithook": "an audit hook",
    "set_custom_exc": "IPython exception handlers",
    "input_transformers_cleanup": "IPython input transformers",
    "input_transformers_post": "IPython input transformers",
    "ast_transformers": "IPython AST transformers",
    "history_manager": "the notebook's input history",
}
_HISTORY_NAMES = {"In", "Out", "_ih", "_oh", "_ii", "_iii", "_dh"}
_GUARDED_MODULES = {"np", "numpy", "torch", "F", "course", "checks", "builtins", "sys", "math",
                    "__builtins__", "scipy", "sklearn"}
_PROTECTED_WORDS = ("gradebook", ".ipynb", "solutions", "submitted", "autograded", "source/")


def hidden_names(source_nb: dict, release_nb: dict) -> set[str]:
    """Functions and classes defined in hidden test blocks (the references) that appear
    nowhere in the release: a student who uses them has read the hidden tests."""
    released = "\n".join(c.get("source", "") for c in release_nb.get("cells", []))
    names = set()
    for cell in source_nb.get("cells", []):
        for block in _HIDDEN_BLOCK.findall(cell.get("source", "")):
            try:
                tree = ast.parse(block)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.ClassDef):
                    names.add(node.name)
    # the course's convention: helpers of hidden tests start with "_" (``_ref_cosine``)
    return {n for n in names if n.startswith("_") and len(n) >= 4
            and not re.search(rf"\b{re.escape(n)}\b", released)}


def _scan_tree(tree: ast.AST, hidden: set[str]) -> tuple[list[str], list[str]]:
    """(tampering, suspicious) constructs in one cell."""
    tamper, suspicious = [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in hidden:
            tamper.append(f"uses {node.id}, a name that exists only in the hidden tests")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value in hidden:
                tamper.append(f"uses {node.value}, a name that exists only in the hidden tests")
            elif any(w in node.value for w in _PROTECTED_WORDS) and "/" in node.value:
                suspicious.append(f"refers to the path {node.value[:60]!r}")
        elif isinstance(node, ast.Attribute):
            what = _SUSPICIOUS_ATTRS.get(node.attr)
            if what:
                suspicious.append(f"uses {what}")
            elif node.attr == "modules" and isinstance(node.value, ast.Name) and \
                    node.value.id == "sys":
                suspicious.append("uses sys.modules")
        elif isinstance(node, ast.Name) and node.id in _HISTORY_NAMES:
            suspicious.append(f"reads the notebook's history ({node.id})")
        elif isinstance(node, ast.Name) and node.id in ("get_ipython", "__builtins__"):
            suspicious.append(f"uses {node.id}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in ("globals", "setattr", "delattr", "vars") and \
                (node.func.id == "globals" or (node.args and _module_like(node.args[0]))):
            suspicious.append(f"calls {node.func.id}()" + (
                "" if node.func.id == "globals" else f" on {ast.unparse(node.args[0])}"))
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.Delete):
            targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and _module_like(target.value):
                    suspicious.append(f"assigns to {ast.unparse(target)}")
                if isinstance(target, ast.Name) and target.id.startswith("check_"):
                    suspicious.append(f"redefines {target.id}")
        elif isinstance(node, ast.FunctionDef) and node.name.startswith("check_"):
            suspicious.append(f"redefines {node.name}")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] + ([node.module] if isinstance(
                node, ast.ImportFrom) and node.module else [])
            for module in names:
                if module.split(".")[0] in ("ctypes", "gc", "importlib", "builtins", "inspect",
                                            "socket", "subprocess", "linecache"):
                    suspicious.append(f"imports {module}")
    return _dedupe(tamper), _dedupe(suspicious)


def _module_like(node: ast.AST) -> bool:
    base = node
    while isinstance(base, ast.Attribute):
        base = base.value
    return isinstance(base, ast.Name) and base.id in _GUARDED_MODULES


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def scan_answers(nb: nbformat.NotebookNode, release: nbformat.NotebookNode, hidden: set[str],
                 name: str) -> list[Finding]:
    """Static scan of every code cell the student wrote (answers and added cells).

    Names of the hidden tests in a cell zero the tests that follow it (up to
    the next answer cell): the student could only know them by reading the
    hidden tests.  Other constructs flag the submission for review.
    """
    instructor = {normalise(c.source) for c in release.cells
                  if c.cell_type == "code" and not is_solution(c)}
    findings = []
    cells = nb.cells
    for index, cell in enumerate(cells):
        if cell.cell_type != "code" or is_test(cell):
            continue
        if not is_solution(cell) and normalise(cell.source) in instructor:
            continue
        source = "\n".join(line for line in cell.source.splitlines()
                           if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        tamper, suspicious = _scan_tree(tree, hidden)
        label = grade_id(cell) or f"cell {index + 1}"
        if tamper:
            following = []
            for later in cells[index + 1:]:
                if is_solution(later):
                    break
                if is_test(later):
                    following.append(grade_id(later))
            findings.append(Finding("hidden-names", f"{label} {'; '.join(tamper[:3])}; the tests "
                                    "that follow it need manual grading", review=True,
                                    notebook=name, cells=[label], zero=following))
        if suspicious:
            findings.append(Finding("suspicious-code", f"{label} {'; '.join(suspicious[:4])}",
                                    review=True, notebook=name, cells=[label]))
    return findings
