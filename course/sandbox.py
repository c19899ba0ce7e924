"""Start a student's kernel contained: limits, namespaces and an unprivileged user.

``course autograde`` launches every kernel through this file instead of
starting ``python -m ipykernel_launcher`` directly.  Standard library only:
it runs as its own small program before the kernel exists::

    python sandbox.py CONFIG.json -- python -m ipykernel_launcher -f CONN.json

What it does, as far as the operating system allows (each step that fails is
skipped, and :func:`probe` reports what a machine allows):

* resource limits for the kernel (``setrlimit``): address space (memory
  cap), size of files it writes, number of processes, no core dumps;
* new PID, network, mount, IPC and UTS namespaces (root, or an unprivileged
  user namespace): no network at all (the kernel talks to nbgrader over Unix
  sockets, ``ipc`` transport), a private ``/tmp``, the gradebook, the source
  notebooks and the other students' folders hidden behind empty mounts, and
  every process the student starts dies with the kernel;
* an unprivileged user id (when started as root): the kernel cannot write
  to anything the instructor owns, nor read files that are not public;
* the parent-death signal at every level: if the grader dies (even
  ``kill -9``), the kernel and everything it started die too;
* a scrubbed environment (only the variables a kernel needs).
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38

try:
    _libc = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover - not a POSIX system: nothing to contain with
    _libc = None


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def die_with_parent() -> None:
    """Get SIGKILL when the parent process (thread) ends (Linux; elsewhere nothing)."""
    prctl = getattr(_libc, "prctl", None)
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _mount(source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    _check(_libc.mount(source.encode() if source else None, target.encode(),
                       fstype.encode() if fstype else None, ctypes.c_ulong(flags),
                       data.encode() if data else None), f"mount {target}")


def _write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


def enter_namespaces(config: dict) -> list[str]:
    """unshare() into new namespaces; returns the names of those entered."""
    if not config.get("namespaces", True):
        return []
    wanted = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS
    uid, gid = os.getuid(), os.getgid()
    if os.geteuid() == 0 and _libc.unshare(wanted) == 0:
        return ["pid", "net", "mount", "ipc", "uts"]
    # Not root (or not allowed): an unprivileged user namespace gives the same.
    if _libc.unshare(wanted | CLONE_NEWUSER) == 0:
        try:
            _write("/proc/self/setgroups", "deny")
        except OSError:
            pass
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
        return ["user", "pid", "net", "mount", "ipc", "uts"]
    for flag, name in ((CLONE_NEWNET, "net"), (CLONE_NEWNS, "mount")):
        if os.geteuid() == 0 and _libc.unshare(flag) == 0:
            return [name]
    return []


def hide_paths(config: dict) -> list[str]:
    """In the new mount namespace: private temporary folders and empty mounts over secrets.

    The kernel's working folder becomes a private tmpfs of ``cwd_mb`` holding
    a copy of the folder's files (not its notebooks): what the student's
    code writes stays there, bounded, and disappears with the kernel.
    """
    done = []
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    # the kernel's folders, and the Python installation and the course package (a clone
    # or a virtual environment may live under /tmp): visible again under a private /tmp
    keep = [p for p in config.get("keep", []) if os.path.isdir(p)]
    keep += [p for p in config.get("expose", []) if os.path.isdir(p) and p not in keep]
    fds = {path: os.open(path, os.O_RDONLY | os.O_DIRECTORY) for path in keep}
    cache = dict(config.get("cache") or {})
    cache_fd = None
    if cache.get("source") and os.path.isdir(cache["source"]):
        cache_fd = os.open(cache["source"], os.O_RDONLY | os.O_DIRECTORY)
        cache["source"] = f"/proc/self/fd/{cache_fd}"
    cwd = config.get("cwd")
    cwd_fd = os.open(cwd, os.O_RDONLY | os.O_DIRECTORY) if cwd and config.get("cwd_mb") else None
    for tmp in ("/tmp", "/dev/shm", "/var/tmp"):
        if os.path.isdir(tmp):
            try:
                _mount("tmpfs", tmp, "tmpfs", MS_NOSUID | MS_NODEV, "size=128m,mode=1777")
                done.append(f"private {tmp}")
            except OSError:
                pass
    mask = os.umask(0o022)  # folders made on the way are traversable by the kernel's user
    try:
        for path, fd in fds.items():
            # a folder under a private /tmp is visible again at the same path
            if (path != cwd or cwd_fd is None) and not os.path.isdir(path):
                os.makedirs(path, exist_ok=True)
                _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
                done.append(f"kept {path}")
            os.close(fd)
    finally:
        os.umask(mask)
    if cwd_fd is not None:
        os.makedirs(cwd, exist_ok=True)
        owner = (f",uid={config['uid']},gid={config['gid']}"
                 if os.geteuid() == 0 and config.get("uid") is not None else "")
        _mount("tmpfs", cwd, "tmpfs", MS_NOSUID | MS_NODEV,
               f"size={int(config['cwd_mb'])}m,mode=0700{owner}")
        _copy_folder(f"/proc/self/fd/{cwd_fd}", cwd, config.get("uid"), config.get("gid"))
        os.close(cwd_fd)
        done.append(f"private working folder ({int(config['cwd_mb'])} MB)")
    if cache:
        done += _private_cache(cache, config.get("uid"), config.get("gid"))
    if cache_fd is not None:
        os.close(cache_fd)
    done += _expose(config)
    for path in config.get("hide", []):
        try:
            if os.path.isdir(path):
                _mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                       "size=4k,mode=0555")
            elif os.path.exists(path):
                _mount("/dev/null", path, None, MS_BIND)
            else:
                continue
            done.append(f"hidden {path}")
        except OSError:
            pass
    return done


def _private_cache(cache: dict, uid: int | None, gid: int | None) -> list[str]:
    """A writable copy of the course's data cache (``$COURSE_CACHE``) in the private /tmp.

    The kernel reads what the instructor's runs cached and may add to it;
    what it writes dies with it (a student never changes another's data).
    """
    import shutil

    source, target = cache.get("source"), cache["target"]
    size = 0
    if source and os.path.isdir(source):
        size = sum(os.path.getsize(os.path.join(folder, name))
                   for folder, _, names in os.walk(source) for name in names)
    copied = 0 < size <= int(cache.get("max_mb", 256)) << 20
    os.makedirs(target, exist_ok=True)
    _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV,
           f"size={(2 * size if copied else 0) // (1 << 20) + 128}m,mode=0755")
    if copied:
        shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(*cache.get("exclude", [])))
    if os.geteuid() == 0 and uid is not None:
        for folder, _dirs, files in os.walk(target):
            os.lchown(folder, uid, gid)
            for name in files:
                os.lchown(os.path.join(folder, name), uid, gid)
    return [f"private data cache ({'a copy' if copied else 'empty'})"]


def _copy_folder(source: str, target: str, uid: int | None, gid: int | None) -> None:
    """Copy the data files of the working folder (never its notebooks) into the private one."""
    import shutil

    for name in os.listdir(source):
        if name.endswith(".ipynb"):
            continue
        src, dst = os.path.join(source, name), os.path.join(target, name)
        if os.path.isdir(src):
            shutil.copytree(src, dst, symlinks=True)
        else:
            shutil.copy2(src, dst, follow_symlinks=False)
    if os.geteuid() == 0 and uid is not None:
        for folder, dirs, files in os.walk(target):
            for name in dirs + files:
                os.lchown(os.path.join(folder, name), uid, gid)


def _blocked_ancestor(path: str) -> str | None:
    """The highest ancestor of ``path`` that other users cannot traverse (None if all can)."""
    parts = os.path.abspath(path).split(os.sep)
    for n in range(2, len(parts)):
        folder = os.sep.join(parts[:n])
        try:
            if not os.stat(folder).st_mode & 0o001:
                return folder
        except OSError:
            return None
    return None


def _expose(config: dict) -> list[str]:
    """Make the Python installation reachable for the unprivileged kernel.

    A folder on the way that others cannot enter (e.g. ``/root`` holding a
    pyenv Python) is replaced by an empty mount in which only the needed
    paths are bound again: the kernel sees the interpreter, not the rest.
    """
    if os.geteuid() != 0 or config.get("uid") is None:
        return []
    done = []
    for path in config.get("expose", []):
        blocked = _blocked_ancestor(path)
        if not blocked or not os.path.isdir(path):
            continue
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            if not os.path.ismount(blocked):
                _mount("tmpfs", blocked, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755")
                done.append(f"hidden {blocked}")
            os.makedirs(path, mode=0o755, exist_ok=True)
            _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
            done.append(f"exposed {path}")
        finally:
            os.close(fd)
    return done


def set_limits(config: dict) -> None:
    limits = {
        resource.RLIMIT_AS: config.get("memory_bytes"),
        resource.RLIMIT_FSIZE: config.get("file_bytes"),
        resource.RLIMIT_NPROC: config.get("processes"),
        resource.RLIMIT_CORE: 0,
    }
    for which, value in limits.items():
        if value is not None:
            try:
                resource.setrlimit(which, (int(value), int(value)))
            except (ValueError, OSError):
                pass


def drop_privileges(config: dict, cmd: list[str]) -> None:
    uid, gid = config.get("uid"), config.get("gid")
    if os.geteuid() != 0 or uid is None:
        return
    # the kernel reads its connection file after dropping privileges
    if "-f" in cmd:
        connection = cmd[cmd.index("-f") + 1]
        if os.path.exists(connection):
            os.chown(connection, uid, gid)
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)


def run_kernel(config: dict, cmd: list[str]) -> None:
    """The kernel process: limits, user, then exec (never returns)."""
    log = config.get("log")
    if log:  # the kernel's own stdout/stderr (not the notebook's outputs)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    set_limits(config)
    drop_privileges(config, cmd)
    die_with_parent()
    if getattr(_libc, "prctl", None) is not None:
        _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    os.chdir(config.get("cwd") or "/")
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    env = config.get("env")
    os.execvpe(cmd[0], cmd, env if env is not None else os.environ)


def _exit_status(status: int) -> int:
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    return 128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else 1


def init(config: dict, cmd: list[str]) -> None:
    """PID 1 of the new PID namespace: start the kernel, reap, exit with it.

    When this process exits the kernel kills every process left in the
    namespace, so nothing a student started outlives the grading.
    """
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    kernel = os.fork()
    if kernel == 0:
        run_kernel(config, cmd)
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            os._exit(0)
        if pid == kernel:
            os._exit(_exit_status(status))


def main(argv: list[str]) -> None:
    if len(argv) < 3 or argv[1] != "--":
        sys.exit("usage: sandbox.py CONFIG.json -- COMMAND ...")
    with open(argv[0]) as handle:
        config = json.load(handle)
    cmd = argv[2:]
    die_with_parent()
    if os.getppid() == 1:
        sys.exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # interrupts are for the kernel
    entered = []
    try:
        entered = enter_namespaces(config)
    except OSError:
        entered = []
    hidden = []
    if "mount" in entered:
        try:
            hidden = hide_paths(config)
        except OSError as error:
            hidden = [f"mount setup failed: {error}"]
    report = config.get("report")
    if report:
        try:
            _write(report, json.dumps({"namespaces": entered, "mounts": hidden,
                                       "uid": config.get("uid") if os.geteuid() == 0 else
                                       os.getuid()}))
        except OSError:
            pass
    if "pid" not in entered:
        run_kernel(config, cmd)
    child = os.fork()
    if child == 0:
        init(config, cmd)
    while True:
        try:
            pid, status = os.waitpid(child, 0)
        except InterruptedError:
            continue
        if pid == child:
            os._exit(_exit_status(status))


if __name__ == "__main__":
    main(sys.argv[1:])
