"""The `course` command: help for everything, one clear line for bad input."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from problem_sets import ROOT

from course.cli import build_parser

COURSE = str(Path(sys.executable).parent / "course")
SUBCOMMANDS = ["start", "validate", "release", "autograde", "feedback", "grades", "demo", "mode",
               "doctor", "report"]


def run(*args, cwd=ROOT):
    return subprocess.run([COURSE, *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def test_help_lists_every_subcommand():
    result = run("--help")
    assert result.returncode == 0
    for name in SUBCOMMANDS:
        assert name in result.stdout
    assert set(build_parser()._subparsers._group_actions[0].choices) == set(SUBCOMMANDS)


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_each_subcommand_has_help(name):
    result = run(name, "--help")
    assert result.returncode == 0 and "usage: course" in result.stdout


@pytest.fixture
def empty_course(tmp_path):
    """A course folder with the configuration and solutions, nothing released or submitted."""
    shutil.copy2(ROOT / "nbgrader_config.py", tmp_path)
    shutil.copytree(ROOT / "solutions", tmp_path / "solutions")
    return tmp_path


@pytest.mark.parametrize(("args", "words"), [
    (["release", "ps99"], "no problem set 'ps99'"),
    (["autograde", "ps0_warmup"], "no submissions of ps0_warmup"),
    (["feedback", "ps0_warmup"], "nothing autograded for ps0_warmup"),
    (["start", "ps99"], "no problem set 'ps99'"),
])
def test_bad_input_gives_one_line_and_exit_2(empty_course, args, words):
    result = run("--root", str(empty_course), *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_no_course_folder_is_a_clear_error(tmp_path):
    result = run("--root", str(tmp_path), "grades")
    assert result.returncode == 2 and "has no nbgrader_config.py" in result.stderr


def test_start_copies_a_release_and_never_overwrites(tmp_path):
    result = run("start", "ps0_warmup", "--dest", str(tmp_path))
    assert result.returncode == 0, result.stderr
    copy = tmp_path / "ps0_warmup" / "ps0_warmup.ipynb"
    release = ROOT / "assignments" / "ps0_warmup" / "ps0_warmup.ipynb"
    assert copy.read_bytes() == release.read_bytes()
    again = run("start", "ps0_warmup", "--dest", str(tmp_path))
    assert again.returncode == 2 and "already exists" in again.stderr


def test_grades_on_an_empty_gradebook(empty_course):
    result = run("--root", str(empty_course), "grades")
    assert result.returncode == 0 and "no students yet" in result.stdout


def test_mode_shows_the_current_mode():
    result = run("mode")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "student" in result.stdout or "instructor" in result.stdout
    both = run("mode", "student", "--ensure")
    assert both.returncode == 2 and "not both" in both.stderr


def test_doctor_finds_this_environment_complete():
    result = run("doctor")
    assert result.returncode == 0, result.stdout
    assert "@jupyter/nbgrader" in result.stdout and "PROBLEM" not in result.stdout


@pytest.mark.slow
def test_release_check_passes_on_the_committed_assignments():
    result = run("release", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "up to date" in result.stdout


@pytest.mark.slow
def test_release_check_fails_when_assignments_are_stale(empty_course):
    assert run("--root", str(empty_course), "release", "ps0_warmup").returncode == 0
    release = empty_course / "assignments" / "ps0_warmup" / "ps0_warmup.ipynb"
    release.write_text(release.read_text().replace("Problem set 0", "Problem set zero"))
    result = run("--root", str(empty_course), "release", "--check", "ps0_warmup")
    assert result.returncode == 1
    assert "assignments/ps0_warmup/ps0_warmup.ipynb (differs)" in result.stdout


@pytest.mark.slow
def test_demo_prints_full_marks_for_reference_and_zero_for_untouched():
    result = run("demo")
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.strip()}
    header = rows["student"]
    ps0 = header.index("ps0_warmup")
    assert rows["reference"][ps0] == rows["(max)"][ps0] == "100"
    assert rows["untouched"][ps0] == "0"
    assert 0 < float(rows["partial"][ps0]) < 100
    assert "broken: not graded" in result.stdout
