"""The ``course`` command: instructor and student tools for the course.

Run ``course --help`` for the list and ``course COMMAND --help`` for each.
Bad input ends in one line on stderr (what is wrong, what to do) and a
non-zero exit status, never in a traceback (``--debug`` shows it).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from course.errors import CourseError

EXIT_FAILED = 1  # the check ran and found problems
EXIT_USAGE = 2  # bad input or set-up


def _course(args):
    from course.grading import Course

    return Course(args.root)


def cmd_release(args) -> int:
    course = _course(args)
    if args.check:
        stale = course.stale_releases(args.ps)
        if stale:
            print("assignments/ is out of date with solutions/:")
            for path in stale:
                print(f"  {path}")
            print("run `course release` and commit the result")
            return EXIT_FAILED
        print("assignments/ is up to date with solutions/")
        return 0
    for name in course.release(args.ps):
        print(f"released {name} -> {course.release_dir.name}/{name}/")
    return 0


def cmd_validate(args) -> int:
    from course.grading import validate

    course = _course(args) if args.root else None
    report = validate(args.notebook, course=course, timeout=args.timeout)
    print(report.render())
    return 0 if report.ok else EXIT_FAILED


def cmd_autograde(args) -> int:
    from tqdm.auto import tqdm

    course = _course(args)
    course.check_problem_set(args.ps)
    students = args.student or course.submitted_students(args.ps)
    start = time.perf_counter()
    limits = {"timeout": args.timeout, "total_budget": args.budget, "memory_mb": args.memory}
    with tqdm(total=len(students), desc=f"autograde {args.ps}", unit="submission",
              disable=args.quiet or None) as bar:
        outcomes = course.autograde(args.ps, students or None,
                                    progress=lambda outcome: bar.update(1),
                                    workers=args.workers, scheduler=args.scheduler,
                                    force=args.force, **limits)
    failed = [o for o in outcomes if not o.ok]
    flagged = [o for o in outcomes if o.ok and o.flags]
    skipped = [o for o in outcomes if o.skipped]
    for outcome in failed:
        print(f"  {outcome.student}: not graded: {outcome.reason}")
    for outcome in flagged:
        print(f"  {outcome.student}: flagged for review: {outcome.flags[0]}"
              + (f" (+{len(outcome.flags) - 1} more)" if len(outcome.flags) > 1 else ""))
    graded = len(outcomes) - len(failed)
    print(f"{args.ps}: {graded} graded ({len(skipped)} unchanged since the last run), "
          f"{len(flagged)} flagged for review, {len(failed)} failed, "
          f"{time.perf_counter() - start:.1f} s" + (f" with {args.workers} workers"
                                                    if not args.scheduler else
                                                    f" on {args.scheduler}"))
    if flagged or failed:
        print(f"details: course report {args.ps}")
    return EXIT_FAILED if failed else 0


def cmd_feedback(args) -> int:
    course = _course(args)
    outcomes = course.feedback(args.ps, args.student or None)
    failed = [o for o in outcomes if not o.ok]
    for outcome in failed:
        print(f"  {outcome.student}: no feedback: {outcome.reason}")
    print(f"{args.ps}: feedback for {len(outcomes) - len(failed)} student(s) in "
          f"feedback/<student>/{args.ps}/ (hidden tests removed)")
    return EXIT_FAILED if failed else 0


def cmd_grades(args) -> int:
    course = _course(args)
    if args.tests:
        course.check_problem_set(args.tests)
        table = course.test_breakdown(args.tests)
        if not table.scores:
            print(f"nothing graded for {args.tests} yet; run `course autograde {args.tests}` first")
            return 0
    else:
        table = course.grades()
        if not table.scores:
            print("the gradebook has no students yet; run `course autograde PS` first")
            return 0
    print(_render_wide(table) if args.tests else table.render())
    if args.csv:
        table.write_csv(args.csv)
        print(f"wrote {args.csv}")
    return 0


def _render_wide(table) -> str:
    """A breakdown with numbered columns and a legend when the names would not fit."""
    text = table.render()
    if max(len(line) for line in text.splitlines()) <= 120:
        return text
    from course.grading import render_table

    names = table.problem_sets
    rows = table.rows()
    header = ["student", *(f"T{n + 1}" for n in range(len(names))), "total"]
    legend = [f"  T{n + 1} = {name} ({table.max_scores[name]:g} points)"
              for n, name in enumerate(names)]
    return render_table([header, *rows[1:]]) + "\n\n" + "\n".join(legend)


def cmd_report(args) -> int:
    from course.grading import render_table

    course = _course(args)
    course.check_problem_set(args.ps)
    entries = course.autograde_report(args.ps)
    if not entries:
        print(f"nothing autograded for {args.ps} yet; run `course autograde {args.ps}` first")
        return 0
    shown = [e for e in entries if args.all or e["flagged"]]
    rows = [["student", "status", "score", "reasons"]]
    for entry in shown:
        reasons = entry["reasons"] if args.all else entry["review"]
        if entry["status"] == "failed":
            reasons = [f"not graded: {entry['reason']}"] + reasons
        score = "-" if entry["score"] is None else f"{entry['score']:g}"
        label = "FLAGGED" if entry["flagged"] else entry["status"]
        for n, reason in enumerate(reasons or [""]):
            rows.append([entry["student"] if n == 0 else "", label if n == 0 else "",
                         score if n == 0 else "", reason])
    flagged = sum(1 for e in entries if e["flagged"])
    if len(rows) > 1:
        print(render_table(rows))
    print(f"kernels ran with {_containment(entries)}")
    print(f"{args.ps}: {len(entries)} submission(s), {flagged} flagged for manual review"
          + ("" if args.all else " (--all shows the notes of every submission)"))
    return 0


def _containment(entries: list[dict]) -> str:
    """One line on how the kernels of a run were contained."""
    levels = {}
    for entry in entries:
        info = entry.get("containment") or {}
        if not info and entry["status"] != "graded":
            continue
        namespaces = ", ".join(info.get("namespaces", []))
        namespaces = f"{namespaces} namespaces" if namespaces else "no namespaces"
        user = ("an unprivileged user (one uid per worker)" if info.get("uid") not in (None, 0)
                else "the grader's user")
        private = any(m.startswith("private") for m in info.get("mounts", []))
        key = (f"{namespaces}, as {user}" + (", a private /tmp, the gradebook, the source and "
                                              "the other submissions hidden" if private else "")
               if info else "no containment (sandbox off or not supported here)")
        levels[key] = levels.get(key, 0) + 1
    if not levels:
        return "no kernel started"
    return "; ".join(f"{k} ({n} submissions)" if len(levels) > 1 else k
                     for k, n in sorted(levels.items()))


def cmd_demo(args) -> int:
    from course.demo import run_demo

    start = time.perf_counter()
    table, outcomes = run_demo(_course(args), keep=args.keep)
    print()
    print(table.render())
    for outcome in outcomes:
        if not outcome.ok:
            print(f"  {outcome.student}: not graded: {outcome.reason}")
    print(f"demo finished in {time.perf_counter() - start:.1f} s")
    return 0


def cmd_doctor(args) -> int:
    from course.doctor import run_checks
    from course.grading import render_table

    checks = run_checks(lab=not args.no_lab)
    rows = [["check", "status", "detail"]]
    rows += [[c.name, "ok" if c.ok else "PROBLEM", c.detail] for c in checks]
    print(render_table(rows))
    problems = [c for c in checks if not c.ok]
    if problems:
        print("\nTo fix:")
        for check in problems:
            print(f"  {check.name}: {check.fix}")
        return EXIT_FAILED
    print("\nEverything the course needs is in place.")
    return 0


def cmd_start(args) -> int:
    course = _course(args)
    course.check_problem_set(args.ps)
    source = course.release_dir / args.ps
    if not source.is_dir():
        raise CourseError(f"{source} does not exist; ask your instructor for the release")
    dest = Path(args.dest) / args.ps
    if dest.exists():
        raise CourseError(f"{dest} already exists; your work is there (nothing was overwritten)")
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for path in sorted(dest.glob("*.ipynb")):
        print(f"your copy: {path}")
    print(f"check your work with: course validate {dest}/<notebook>.ipynb")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="course",
        description="Tools of the course 'Machine Learning and Cognitive Reasoning for Dialogue "
                    "Systems', built on nbgrader.",
        epilog="Students: start, validate.  Instructors: release, autograde, report, feedback, "
               "grades, demo, mode.  Everyone: doctor.")
    parser.add_argument("--root", help="the course folder (default: the one holding "
                                        "nbgrader_config.py above the current folder)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("start", help="copy a released problem set into your work folder")
    p.add_argument("ps", help="problem set, e.g. ps0_warmup")
    p.add_argument("--dest", default="work", help="where to put your copy (default: work/)")
    p.set_defaults(func=cmd_start)

    p = sub.add_parser("validate", help="check a notebook before you submit it (exit 1 on failure)",
                       description="Run the notebook, show each part with its points and visible "
                                   "tests, and check that its graded cells are intact. Exits 0 "
                                   "only when every visible test passes and nothing is missing.")
    p.add_argument("notebook", help="path of your .ipynb file")
    p.add_argument("--timeout", type=int, help="seconds per cell (default: nbgrader_config.py)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("release", help="regenerate assignments/ from solutions/",
                       description="Generate the student version of each problem set "
                                   "(nbgrader generate_assignment) into assignments/.")
    p.add_argument("ps", nargs="?", help="one problem set (default: all)")
    p.add_argument("--check", action="store_true",
                   help="change nothing; exit 1 when assignments/ is out of date")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("autograde", help="grade the submissions in submitted/<student>/PS/",
                       description="Grade every submission of a problem set, in parallel and "
                                   "contained (limits: nbgrader_config.py, CourseAutograde). "
                                   "Run it again after an interruption: finished submissions "
                                   "are kept, the others graded.")
    p.add_argument("ps", help="problem set")
    p.add_argument("--student", action="append", help="only this student (repeatable)")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="submissions graded at the same time (default: 1)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="grade on a Dask cluster (tcp://host:8786) instead of local workers")
    p.add_argument("--timeout", type=int, metavar="S", help="seconds per cell")
    p.add_argument("--budget", type=int, metavar="S", help="seconds per submission in total")
    p.add_argument("--memory", type=int, metavar="MB", help="memory cap of each kernel")
    p.add_argument("--force", action="store_true",
                   help="grade again submissions that are unchanged since the last run")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_autograde)

    p = sub.add_parser("feedback", help="write feedback HTML for autograded submissions")
    p.add_argument("ps", help="problem set")
    p.add_argument("--student", action="append", help="only this student (repeatable)")
    p.set_defaults(func=cmd_feedback)

    p = sub.add_parser("grades", help="print the students x problem sets table")
    p.add_argument("--csv", metavar="FILE", help="also write the table as CSV")
    p.add_argument("--tests", metavar="PS", help="per-test breakdown of one problem set "
                                                 "(students x test cells)")
    p.set_defaults(func=cmd_grades)

    p = sub.add_parser("report", help="list submissions flagged for manual review, with reasons",
                       description="What autograde found: submissions flagged for manual review "
                                   "(integrity, tampering, not gradable) and why.")
    p.add_argument("ps", help="problem set")
    p.add_argument("--all", action="store_true", help="every submission with all its notes")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("demo", help="release, grade a small made-up class, print the grades",
                       description="Build a throwaway course folder, release every problem set, "
                                   "make four submissions (reference, untouched, partial, "
                                   "broken), autograde them and print the grade table.")
    p.add_argument("--keep", type=Path, help="copy the demo course folder here to look at it")
    p.set_defaults(func=cmd_demo)

    from course import labmode

    p = labmode.add_arguments(sub.add_parser(
        "mode", help="nbgrader's instructor tools in JupyterLab on (instructor) or off (student)",
        description="Switch nbgrader's instructor tools (formgrader, create assignment) on or "
                    "off in this environment's JupyterLab; without a mode, show the current one. "
                    "Restart JupyterLab afterwards."))
    p.set_defaults(func=labmode.run)

    p = sub.add_parser("doctor", help="check the environment and print the fix for each problem")
    p.add_argument("--no-lab", action="store_true", help="skip the JupyterLab extension check")
    p.set_defaults(func=cmd_doctor)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CourseError as error:
        print(f"course {args.command}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"course {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - one line unless --debug
        if args.debug:
            raise
        print(f"course {args.command}: unexpected {type(error).__name__}: {error} "
              "(run again with --debug for the traceback)", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
