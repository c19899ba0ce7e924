"""Instructor or student JupyterLab: nbgrader's instructor tools on or off.

nbgrader's JupyterLab extension has student tools (the *Assignments* and
*Courses* panels, the *Validate* button) and instructor tools (the
*Formgrader* and the *Create Assignment* cell toolbar, with the formgrader
server extension behind them).  A student needs only the first, and the
instructor tools in a student's JupyterLab only confuse (they offer to
"grade" against a gradebook the student does not have).  This module
switches the instructor tools on or off for the Python environment that
runs it (``sys.prefix``, i.e. the course's ``.venv``):

    course mode                 # which mode is on
    course mode student         # instructor tools off (the default after `make setup`)
    course mode instructor      # instructor tools on

(``python -m course.labmode ...`` and ``make student`` / ``make instructor``
do the same.)  A restart of JupyterLab is needed for a change of the server
extension to take effect; the lab plugins follow on the next page load.

It uses the Python APIs behind ``jupyter labextension disable|enable|lock|unlock``
and ``jupyter server extension disable|enable`` at ``--sys-prefix`` level.  The
chosen mode is recorded in ``<sys.prefix>/etc/jupyter/course-lab-mode`` so that
``make setup`` (``python -m course.labmode --ensure``) keeps it across
re-installs and applies the default only once.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "DEFAULT_MODE",
    "INSTRUCTOR_LAB_PLUGINS",
    "INSTRUCTOR_SERVER_EXTENSIONS",
    "MODES",
    "STUDENT_LAB_PLUGINS",
    "LabModeStatus",
    "add_arguments",
    "current_mode",
    "ensure_mode",
    "main",
    "run",
    "set_mode",
    "status",
]

MODES = ("instructor", "student")
#: The mode a fresh ``make setup`` leaves: the safer one for a student's clone.
DEFAULT_MODE = "student"

#: nbgrader lab plugins that only an instructor needs (off in student mode).
INSTRUCTOR_LAB_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
)
#: nbgrader lab plugins that stay on in both modes.
STUDENT_LAB_PLUGINS = (
    "@jupyter/nbgrader:assignment-list",
    "@jupyter/nbgrader:course-list",
    "@jupyter/nbgrader:validate-assignment",
)
#: Server extensions that only an instructor needs.
INSTRUCTOR_SERVER_EXTENSIONS = ("nbgrader.server_extensions.formgrader",)

MARKER_NAME = "course-lab-mode"


@dataclass
class LabModeStatus:
    """What is switched on in this environment (the effective state, all levels merged)."""

    mode: str  # "instructor", "student" or "mixed"
    lab_plugins: dict[str, bool] = field(default_factory=dict)  # plugin id -> enabled
    server_extensions: dict[str, bool] = field(default_factory=dict)  # module -> enabled
    recorded: str | None = None  # the mode last chosen with set_mode, if any

    def render(self) -> str:
        lines = [f"JupyterLab mode: {self.mode}"
                 + (f" (last set: {self.recorded})" if self.recorded
                    and self.recorded != self.mode else "")]
        for name, on in {**self.lab_plugins, **self.server_extensions}.items():
            lines.append(f"  {'on ' if on else 'off'}  {name}")
        return "\n".join(lines)


def _config_dir() -> Path:
    """The sys-prefix Jupyter config folder (``<sys.prefix>/etc/jupyter``)."""
    from jupyter_core.paths import ENV_CONFIG_PATH

    return Path(ENV_CONFIG_PATH[0])


def _marker() -> Path:
    return _config_dir() / MARKER_NAME


def _app_options():
    from jupyterlab.commands import AppOptions

    # Quiet: the jupyterlab API logs a line about locking at INFO level.
    logger = logging.getLogger("course.labmode")
    logger.setLevel(logging.WARNING)
    return AppOptions(logger=logger)


def _lab_plugin_states() -> dict[str, bool]:
    from jupyterlab_server.config import get_static_page_config

    disabled = get_static_page_config(level="all").get("disabledExtensions", {}) or {}
    if isinstance(disabled, list):  # the older list form
        disabled = dict.fromkeys(disabled, True)
    return {name: not disabled.get(name, False)
            for name in (*INSTRUCTOR_LAB_PLUGINS, *STUDENT_LAB_PLUGINS)}


def _server_extension_states() -> dict[str, bool]:
    from jupyter_core.paths import jupyter_config_path
    from jupyter_server.extension.config import ExtensionConfigManager

    manager = ExtensionConfigManager(read_config_path=jupyter_config_path())
    enabled = manager.get_jpserver_extensions()
    return {name: bool(enabled.get(name, False)) for name in INSTRUCTOR_SERVER_EXTENSIONS}


def status() -> LabModeStatus:
    """The effective state of the instructor and student tools, and the mode it amounts to."""
    plugins = _lab_plugin_states()
    servers = _server_extension_states()
    instructor = [plugins[p] for p in INSTRUCTOR_LAB_PLUGINS] + list(servers.values())
    students_ok = all(plugins[p] for p in STUDENT_LAB_PLUGINS)
    if students_ok and all(instructor):
        mode = "instructor"
    elif students_ok and not any(instructor):
        mode = "student"
    else:
        mode = "mixed"
    marker = _marker()
    recorded = marker.read_text().strip() if marker.is_file() else None
    return LabModeStatus(mode, plugins, servers, recorded)


def current_mode() -> str:
    """``"instructor"``, ``"student"`` or ``"mixed"`` (switched by hand, or overridden)."""
    return status().mode


def set_mode(mode: str) -> LabModeStatus:
    """Switch the instructor tools on (``"instructor"``) or off (``"student"``).

    Writes the sys-prefix configuration of the running environment, leaves the
    student tools on in both modes, records the choice, and returns the new
    status.  Raises ``ValueError`` for an unknown mode and ``RuntimeError``
    when a user- or system-level setting overrides the change (the message
    names it).
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: choose one of {', '.join(MODES)}")
    from jupyter_server.extension.serverextension import toggle_server_extension_python
    from jupyterlab.commands import (
        disable_extension,
        enable_extension,
        lock_extension,
        unlock_extension,
    )

    instructor = mode == "instructor"
    options = _app_options()
    for plugin in STUDENT_LAB_PLUGINS:
        enable_extension(plugin, app_options=options, level="sys_prefix")
    for plugin in INSTRUCTOR_LAB_PLUGINS:
        if instructor:
            unlock_extension(plugin, app_options=options, level="sys_prefix")
            enable_extension(plugin, app_options=options, level="sys_prefix")
        else:
            disable_extension(plugin, app_options=options, level="sys_prefix")
            # Locked: JupyterLab's plugin manager does not offer to switch it back on.
            lock_extension(plugin, app_options=options, level="sys_prefix")
    for extension in INSTRUCTOR_SERVER_EXTENSIONS:
        toggle_server_extension_python(extension, enabled=instructor, sys_prefix=True)
    _marker().parent.mkdir(parents=True, exist_ok=True)
    _marker().write_text(mode + "\n")

    new = status()
    if new.mode != mode:
        wrong = [name for name, on in {**new.lab_plugins, **new.server_extensions}.items()
                 if on != (instructor or name in STUDENT_LAB_PLUGINS)]
        from jupyter_core.paths import jupyter_config_path

        raise RuntimeError(
            f"set {mode} mode in {_config_dir()}, but another setting overrides it for "
            f"{', '.join(wrong)}: look in labconfig/page_config.json and "
            f"jupyter_server_config.d/ of {', '.join(jupyter_config_path())}")
    return new


def ensure_mode(default: str = DEFAULT_MODE) -> LabModeStatus:
    """Apply the recorded mode again, or ``default`` if none was ever chosen (``make setup``)."""
    marker = _marker()
    recorded = marker.read_text().strip() if marker.is_file() else ""
    return set_mode(recorded if recorded in MODES else default)


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add this command's arguments to ``parser`` (for a ``course mode`` subcommand)."""
    parser.add_argument("mode", nargs="?", choices=MODES,
                        help="switch to this mode (default: show the current one)")
    parser.add_argument("--ensure", action="store_true",
                        help=f"apply the mode chosen last, or {DEFAULT_MODE!r} if none was "
                             "(run by `make setup`)")
    return parser


def run(args: argparse.Namespace) -> int:
    """Carry out parsed arguments (see :func:`add_arguments`); returns the exit status."""
    if args.ensure and args.mode:
        print("course mode: give a mode or --ensure, not both", file=sys.stderr)
        return 2
    if args.ensure:
        new = ensure_mode()
        print(f"JupyterLab mode: {new.mode} (switch with `course mode instructor|student`)")
        return 0
    if args.mode is None:
        current = status()
        print(current.render())
        return 0 if current.mode in MODES else 1
    try:
        new = set_mode(args.mode)
    except RuntimeError as error:
        print(f"course mode: {error}", file=sys.stderr)
        return 1
    print(new.render())
    print("Restart JupyterLab (or start it: `make lab`) for the change to take effect.")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m course.labmode [instructor|student|--ensure]``; returns the exit status."""
    parser = add_arguments(argparse.ArgumentParser(
        prog="course mode",
        description="Switch nbgrader's instructor tools (formgrader, create assignment) on "
                    "or off in this environment's JupyterLab. The student tools (assignment "
                    "list, courses, Validate button) stay on in both modes."))
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
