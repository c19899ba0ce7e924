"""Run every benchmark script in this folder (``make bench``), each in its own process.

``python benchmarks/run_all.py [NAME ...]`` runs only the named ones.  The
exit status is non-zero when a script crashed (a missed target is reported
in its JSON, not as a crash).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIP = {"harness.py", "run_all.py"}


def scripts(names: list[str]) -> list[Path]:
    found = sorted(p for p in HERE.glob("*.py")
                   if p.name not in SKIP and not p.name.startswith("_"))
    if names:
        unknown = set(names) - {p.stem for p in found}
        if unknown:
            sys.exit(f"run_all: no benchmark named {', '.join(sorted(unknown))}; "
                     f"have {', '.join(p.stem for p in found)}")
        found = [p for p in found if p.stem in names]
    return found


def main(names: list[str]) -> int:
    failed = []
    for script in scripts(names):
        start = time.perf_counter()
        print(f"\n### {script.stem}", flush=True)
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent)
        print(f"### {script.stem}: {'ok' if result.returncode == 0 else 'CRASHED'} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
        if result.returncode:
            failed.append(script.stem)
    if failed:
        print(f"\ncrashed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
