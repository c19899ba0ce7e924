"""A JupyterLab for the browser tests, and Playwright helpers to use it as a student does.

:class:`LabServer` starts ``jupyter lab`` from the course's ``.venv`` on a free
localhost port with a random token, in a scratch copy of the course folder
(notebooks the browser saves never touch the repository), with its settings,
workspaces and runtime files in the same scratch folder, and stops it (and the
kernels it started) by PID.

:class:`LabPage` wraps a Playwright page on that server: open a notebook, run
all cells, wait until the kernel is idle, read the saved notebook back, take
screenshots to ``test-artifacts/browser/``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
# Debian's Chromium (COURSE_CHROMIUM: another build of Chromium, at your own risk).
CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
ENABLE_HINT = (f"the browser tests need Debian's Chromium at {CHROMIUM}: "
               "run `bash .ci/setup-browser.sh` (or `apt-get install chromium`) as root")

#: What the scratch course folder holds (copied from the repository).
COURSE_FILES = ("notebooks", "assignments", "nbgrader_config.py")

#: JupyterLab user settings for the tests: every cell in the DOM (no windowing, so
#: that the tests see all outputs), no news or update checks (no network).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_scratch_course(dest: Path) -> Path:
    """Copy the course's notebooks, problem sets and nbgrader config into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    for name in COURSE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=ignore)
        elif source.is_file():
            shutil.copy2(source, dest / name)
    return dest


class LabServer:
    """``jupyter lab`` on 127.0.0.1:<free port> with a token, serving ``root``."""

    def __init__(self, root: Path, state: Path, startup_timeout: float = 90.0) -> None:
        self.root = Path(root)
        self.state = Path(state)  # settings, workspaces, runtime files, the log
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen | None = None
        self.log_path = self.state / "jupyterlab.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "lab") -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        # The kernels' matplotlib must use the inline backend (pytest sets Agg).
        env.pop("MPLBACKEND", None)
        env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
        env["JUPYTER_RUNTIME_DIR"] = str(self.state / "runtime")
        env["JUPYTERLAB_SETTINGS_DIR"] = str(self.state / "settings")
        env["JUPYTERLAB_WORKSPACES_DIR"] = str(self.state / "workspaces")
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _write_settings(self) -> None:
        for relative, values in LAB_SETTINGS.items():
            path = self.state / "settings" / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values, indent=2))

    def command(self) -> list[str]:
        cmd = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
               f"--ServerApp.root_dir={self.root}",
               "--LabApp.expose_app_in_browser=True",  # window.jupyterapp for the tests
               "--NotebookNotary.db_file=:memory:",  # no trust database left behind
               "--LabApp.news_url=None", "--LabApp.check_for_updates_class="
               "jupyterlab.NeverCheckForUpdate"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        return cmd

    def start(self) -> LabServer:
        self.state.mkdir(parents=True, exist_ok=True)
        self._write_settings()
        log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self._log = log
        # cwd = the course folder: nbgrader's Validate button reads nbgrader_config.py there.
        self.process = subprocess.Popen(self.command(), cwd=self.root, env=self.env(),
                                        stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.process.returncode}:\n"
                                   + self.log_tail())
            try:
                self.api("api/status")
                return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"jupyter lab did not answer within {self.startup_timeout:.0f} s:\n"
                           + self.log_tail())

    def api(self, path: str, method: str = "GET", timeout: float = 5.0) -> object:
        request = urllib.request.Request(self.url(path), method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read()
        return json.loads(body) if body else {}

    def shutdown_kernels(self) -> None:
        """End every session and kernel (between tests: free the memory, the CPU)."""
        for session in self.api("api/sessions") or []:
            self.api(f"api/sessions/{session['id']}", method="DELETE", timeout=30)
        for kernel in self.api("api/kernels") or []:
            self.api(f"api/kernels/{kernel['id']}", method="DELETE", timeout=30)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """Shut the server down (kernels first), then end whatever it started, by PID."""
        if self.process is None:
            return
        import psutil

        pid = self.process.pid
        try:
            children = psutil.Process(pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        if self.process.poll() is None:
            try:
                self.api("api/shutdown", method="POST")
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=10)
        _gone, alive = psutil.wait_procs(children, timeout=10)
        for child in alive:  # kernels the server did not stop
            try:
                child.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(alive, timeout=5)
        self.process = None
        self._log.close()

    def __enter__(self) -> LabServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


# JavaScript run in the page; ``window.jupyterapp`` is there because of
# --LabApp.expose_app_in_browser.
_JS_NOTEBOOK_STATE = """
(path) => {
  const app = window.jupyterapp;
  if (!app) return null;
  const widget = app.shell.currentWidget;
  if (!widget || !widget.context || widget.context.path !== path) return null;
  const session = widget.sessionContext && widget.sessionContext.session;
  const kernel = session && session.kernel;
  const cells = [];
  const model = widget.content.model;
  if (!model) return null;
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    if (cell.type !== 'code') continue;
    cells.push({index: i, count: cell.executionCount,
                state: cell.executionState || 'idle'});
  }
  return {kernel: kernel ? kernel.status : null,
          ready: widget.context.isReady && widget.sessionContext.isReady,
          dirty: model.dirty, cells: cells};
}
"""


class LabPage:
    """A Playwright page on a :class:`LabServer`, with the steps a student takes."""

    def __init__(self, page, server: LabServer, name: str) -> None:
        self.page = page
        self.server = server
        self.name = slug(name)
        self.shots: list[Path] = []
        self.console_errors: list[str] = []
        page.on("console", self._on_console)
        for old in ARTIFACTS.glob(f"{self.name}--*.png"):  # from an earlier run
            old.unlink()

    def _on_console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def screenshot(self, step: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.name}--{len(self.shots) + 1:02d}-{slug(step)}.png"
        self.page.screenshot(path=str(path))
        self.shots.append(path)
        return path

    def open(self, relpath: str, timeout: float = 90.0) -> None:
        """Open a notebook (path relative to the server's root) and wait for an idle kernel."""
        self.path = relpath
        # reset: a fresh workspace, without the tabs of earlier tests.
        self.page.goto(self.server.url(f"lab/tree/{relpath}")
                       + f"?token={self.server.token}&reset")
        self.page.wait_for_selector(".jp-NotebookPanel", timeout=timeout * 1000)
        self.wait_for_kernel_idle(timeout)
        self.panel_id = self.page.evaluate("() => window.jupyterapp.shell.currentWidget.id")

    @property
    def panel(self):
        """The notebook's panel (toolbar and cells) in the page."""
        return self.page.locator(f"[id='{self.panel_id}']")

    def state(self) -> dict | None:
        return self.page.evaluate(_JS_NOTEBOOK_STATE, self.path)

    def wait_for_kernel_idle(self, timeout: float = 90.0) -> dict:
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            state = self.state()
            if state and state["ready"] and state["kernel"] == "idle":
                return state
            self.page.wait_for_timeout(250)
        raise AssertionError(f"{self.path}: the kernel is not idle after {timeout:.0f} s "
                             f"(state: {state})")

    def command(self, name: str, args: dict | None = None) -> None:
        self.page.evaluate("([name, args]) => window.jupyterapp.commands.execute(name, args)",
                           [name, args or {}])

    def run_all(self, timeout: float = 180.0) -> float:
        """Run all cells; wait until no cell is queued or running and the kernel is idle.

        Returns the seconds it took.  A cell that raises stops the run (JupyterLab
        drops the queued cells): that also ends the wait, and the caller finds the
        error and the cells that did not run in the saved notebook.
        """
        start = time.monotonic()
        self.command("notebook:run-all-cells")
        deadline = start + timeout
        state, quiet = None, 0
        while time.monotonic() < deadline:
            self.page.wait_for_timeout(500)
            state = self.state()
            busy = (not state or state["kernel"] != "idle"
                    or any(c["state"] == "running" for c in state["cells"]))
            # Idle twice in a row, a second after the start: the run is over.
            quiet = 0 if busy else quiet + 1
            if quiet >= 2 and time.monotonic() - start > 1.0:
                return time.monotonic() - start
        cells = (state or {}).get("cells", [])
        running = [c["index"] for c in cells if c["state"] == "running"]
        pending = [c["index"] for c in cells if c["count"] is None]
        raise AssertionError(f"{self.path}: still running after {timeout:.0f} s (kernel "
                             f"{(state or {}).get('kernel')}; cells running or queued: "
                             f"{running}; not run yet: {pending})")

    def save(self) -> nbformat.NotebookNode:
        """Save the notebook from the browser and read the saved file back."""
        self.command("docmanager:save")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            state = self.state()
            if state and not state["dirty"]:
                break
            self.page.wait_for_timeout(250)
        return nbformat.read(self.server.root / self.path, as_version=4)

    def cell(self, index: int):
        return self.panel.locator(".jp-Notebook .jp-Cell").nth(index)

    def replace_cell_source(self, index: int, code: str) -> None:
        """Click into a cell's editor, select everything and type ``code`` in its place."""
        editor = self.cell(index).locator(".cm-content")
        editor.scroll_into_view_if_needed()
        editor.click()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.press("Delete")
        # insert_text: one input event, so the editor's auto-indent does not re-indent it.
        self.page.keyboard.insert_text(code)
        self.page.keyboard.press("Escape")  # back to command mode
