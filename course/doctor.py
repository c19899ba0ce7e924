"""``course doctor``: is this environment ready for the course?  Each problem comes with its fix."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from course import ROOT

SETUP_FIX = "run `make setup` in the course folder (it installs the pinned set into .venv)"

#: Distributions the course needs, with the import name used to check that they load.
REQUIRED = {
    "torch": "torch",
    "numpy": "numpy",
    "scipy": "scipy",
    "scikit-learn": "sklearn",
    "gensim": "gensim",
    "chatterbot-corpus": "chatterbot_corpus",
    "matplotlib": "matplotlib",
    "tqdm": "tqdm",
    "ipywidgets": "ipywidgets",
    "jupyterlab": "jupyterlab",
    "nbgrader": "nbgrader",
    "nbclient": "nbclient",
    "SQLAlchemy": "sqlalchemy",
}

LAB_EXTENSIONS = ("@jupyter/nbgrader", "@jupyter-widgets/jupyterlab-manager")


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def pinned_versions(constraints: Path = ROOT / "constraints.txt") -> dict[str, str]:
    """Exact versions from the constraints file, by normalised distribution name."""
    pins = {}
    if constraints.is_file():
        for line in constraints.read_text().splitlines():
            match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)", line.strip())
            if match:
                pins[_normalise(match.group(1))] = match.group(2)
    return pins


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def check_python() -> Check:
    ok = sys.version_info >= (3, 11)
    return Check("python", ok, sys.version.split()[0],
                 "" if ok else "install Python 3.11 or newer and re-run `make setup`")


def check_packages() -> list[Check]:
    pins = pinned_versions()
    checks = []
    for dist, module in REQUIRED.items():
        try:
            version = metadata.version(dist)
        except metadata.PackageNotFoundError:
            checks.append(Check(dist, False, "not installed", SETUP_FIX))
            continue
        pinned = pins.get(_normalise(dist))
        base = version.split("+")[0]
        if pinned and base != pinned.split("+")[0]:
            checks.append(Check(dist, False, f"{version}, pinned {pinned}", SETUP_FIX))
            continue
        try:
            __import__(module)
        except Exception as error:  # noqa: BLE001 - reported with its fix
            checks.append(Check(dist, False, f"{version} fails to import: {error}", SETUP_FIX))
            continue
        checks.append(Check(dist, True, version))
    return checks


def check_kernel() -> Check:
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        spec = KernelSpecManager().get_kernel_spec("python3")
    except Exception as error:  # noqa: BLE001
        return Check("kernel python3", False, str(error),
                     f"{sys.executable} -m ipykernel install --sys-prefix")
    exe = spec.argv[0]
    if exe in ("python", "python3", "{python}"):
        return Check("kernel python3", True, f"{sys.executable} (this environment)")
    ok = Path(exe).resolve().parent == Path(sys.executable).resolve().parent or \
        Path(exe).resolve() == Path(sys.executable).resolve()
    return Check("kernel python3", ok, exe,
                 "" if ok else f"{sys.executable} -m ipykernel install --sys-prefix "
                               "(the kernel runs another Python than the course's)")


def check_lab_extensions() -> list[Check]:
    jupyter = Path(sys.executable).parent / "jupyter"
    try:
        out = subprocess.run([str(jupyter), "labextension", "list"], capture_output=True,
                             text=True, timeout=60, env={**os.environ, "NO_COLOR": "1"})
        listing = re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)
    except (OSError, subprocess.SubprocessError) as error:
        return [Check("lab extensions", False, str(error), SETUP_FIX)]
    checks = []
    for name in LAB_EXTENSIONS:
        line = next((ln for ln in listing.splitlines() if ln.strip().startswith(name + " ")), "")
        if not line:
            checks.append(Check(name, False, "not installed", SETUP_FIX))
        elif "disabled" in line:
            checks.append(Check(name, False, "disabled", f"jupyter labextension enable {name}"))
        else:
            checks.append(Check(name, True, " ".join(line.split()[1:3])))
    return checks


def check_data() -> list[Check]:
    from course import data

    checks = []
    for name, probe in (("gensim test data", data.gensim_test_data),
                        ("chatterbot corpus", data.chatterbot_corpus_dir)):
        try:
            folder = probe()
            checks.append(Check(name, True, str(folder)))
        except data.DataUnavailable as error:
            checks.append(Check(name, False, str(error).split(";")[0], error.fix))
    return checks


def check_course_folder() -> Check:
    missing = [p for p in ("nbgrader_config.py", "solutions", "assignments")
               if not (ROOT / p).exists()]
    return Check("course folder", not missing, str(ROOT) if not missing else
                 f"missing {', '.join(missing)}", "" if not missing else
                 "run the course from a clone of the course repository")


def run_checks(lab: bool = True) -> list[Check]:
    checks = [check_python(), check_course_folder(), *check_packages(), check_kernel()]
    if lab:
        checks += check_lab_extensions()
    return checks + check_data()
