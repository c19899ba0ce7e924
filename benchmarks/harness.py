"""The benchmark harness: rows of "ours against the anchor", printed and saved as JSON.

Each ``benchmarks/<name>.py`` runs the course's reference code (loaded from
the solution notebooks with :func:`reference`) and its anchor side by side in
one process, then calls :func:`report` with one :class:`Row` per target.
``report`` prints a table and writes ``benchmarks/results/<name>.json``::

    {"machine": {...}, "rows": [{"metric", "ours", "anchor", "anchor_name",
                                 "ratio", "target", "met"}, ...]}
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
sys.path.insert(0, str(ROOT))

_VERSIONS = ("torch", "numpy", "scipy", "scikit-learn", "gensim", "nbgrader")


@dataclass
class Row:
    """One measured target. ``ratio`` is ours / anchor unless given."""

    metric: str
    ours: float | None
    anchor: float | None
    anchor_name: str
    target: str
    met: bool
    ratio: float | None = None

    def __post_init__(self):
        if self.ratio is None and self.ours is not None and self.anchor not in (None, 0):
            self.ratio = self.ours / self.anchor


def machine() -> dict:
    """Where the numbers were measured."""
    versions = {}
    for name in _VERSIONS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return {
        "cores": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def render(rows: list[Row]) -> str:
    header = ["metric", "ours", "anchor", "anchor_name", "ratio", "target", "met"]
    table = [header] + [[_fmt(getattr(r, h)) for h in header] for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
             for line in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def report(name: str, rows: list[Row], results_dir: Path = RESULTS) -> Path:
    """Print the table and write ``<results_dir>/<name>.json``; returns the path."""
    if not rows:
        raise ValueError(f"benchmark {name} produced no rows")
    print(f"\n== {name} ==")
    print(render(rows))
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), "rows": [asdict(r) for r in rows]},
                               indent=2) + "\n")
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return path


def reference(ps: str, notebook: str | None = None):
    """The reference code of a problem set, run from its solution notebook (one source)."""
    from course.notebooks import reference as load

    return load(ps, notebook)
