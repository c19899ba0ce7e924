"""The install files agree with each other and pin what the machines need."""

import re
import subprocess
import tomllib

import yaml
from packaging.requirements import Requirement

from course.doctor import pinned_versions


def _requirements(lines):
    return {Requirement(line).name.lower().replace("_", "-"): str(Requirement(line).specifier)
            for line in lines}


def _pyproject(root):
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    return project["dependencies"] + [r for extra in project["optional-dependencies"].values()
                                      for r in extra]


def test_environment_yml_lists_the_same_packages_as_pyproject(root):
    env = yaml.safe_load((root / "environment.yml").read_text())
    pip = next(item["pip"] for item in env["dependencies"] if isinstance(item, dict))
    conda_side = _requirements(line for line in pip if not line.startswith("-"))
    assert conda_side == _requirements(_pyproject(root))
    assert "-c constraints.txt" in pip and "-e ." in pip
    assert "python=3.11" in env["dependencies"]


def test_every_dependency_is_pinned_exactly(root):
    pins = pinned_versions(root / "constraints.txt")
    for name in _requirements(_pyproject(root)):
        assert name in pins, f"{name} has no exact pin in constraints.txt"


def test_pins_that_the_machines_need(root):
    pins = pinned_versions(root / "constraints.txt")
    assert pins["torch"] == "2.13.0"  # the CPU wheel on disk; newer pulls a CUDA build
    major, minor, *_ = (int(x) for x in pins["sqlalchemy"].split("."))
    assert (major, minor) < (2, 1)  # nbgrader warns on every autograde with 2.1
    assert pins["nbgrader"].startswith("0.9.")
    assert pins["jupyterlab"].startswith("4.")
    assert pins["ipywidgets"].startswith("8.")


def test_make_setup_is_idempotent(root):
    """With nothing changed since the last install, `make setup` has nothing to do."""
    result = subprocess.run(["make", "-q", "setup"], cwd=root, capture_output=True)
    assert result.returncode == 0, "make setup would reinstall although nothing changed"


def test_ci_runs_the_readme_test_command(root):
    assert "make test" in (root / ".ci" / "run").read_text()
    readme = (root / "README.md").read_text()
    assert "make test" in readme and "make lab" in readme


def test_gitignore_covers_instructor_working_folders(root):
    ignored = (root / ".gitignore").read_text().split()
    for entry in ("/submitted/", "/autograded/", "/feedback/", "/gradebook.db", ".venv/"):
        assert entry in ignored


def test_nbgrader_config(root):
    from course.grading import Course

    config = Course(root).config()
    assert config.CourseDirectory.source_directory == "solutions"
    assert config.CourseDirectory.release_directory == "assignments"
    assert re.fullmatch(r"[a-z0-9-]+", config.CourseDirectory.course_id)
    assert 5 <= config.ExecutePreprocessor.timeout <= 60
    assert config.ExecutePreprocessor.kernel_name == "python3"
    assert "nbgrader.preprocessors.ClearHiddenTests" in config.GenerateFeedback.preprocessors
