"""The tamper guard that ``course autograde`` runs inside each student kernel.

Nothing here is imported by the course at grading time: the grader sends the
*source* of this file into the kernel before the first cell runs (so a
student cannot replace it through ``sys.modules``), calls :func:`install`,
and then, before every test cell and after the last cell, sends a short
``check`` call with a fresh nonce.  Standard library only.

:func:`install` takes a snapshot, before any student code runs, of what the
test cells rely on:

* every attribute of the modules the instructor's cells import
  (``course.checks``, numpy, torch, ...) and the code, defaults and keyword
  defaults of their functions; the attributes of ``torch.Tensor`` and of the
  classes of ``course.checks``;
* the ``builtins`` namespace and the ``sys.modules`` entries of those packages;
* the kernel's own machinery: IPython's input and AST transformers, custom
  exception handlers, event callbacks, instance attributes that shadow
  methods of the shell and the kernel, ``sys.settrace``/``setprofile``,
  ``sys.excepthook``, ``sys.stdout``/``stderr``;
* the names in the notebook's namespace that the instructor's imports bind.

It also installs an audit hook (PEP 578) that records attempts to open the
hidden tests (any ``.ipynb``, the gradebook, the protected folders), to
connect to the network, and frame or garbage-collector introspection from
code the student wrote (how a function could read a test's expected values).

:func:`check` compares everything with the snapshot, puts back what was
changed (so the next test runs with the real checks) and prints one line
``COURSE-GUARD <nonce> <json>`` through the original ``sys.stdout``.  The
grader decides what the findings cost (see ``course.autograde``).
"""

# ruff: noqa: B010, PLC0415

import builtins as _builtins
import sys as _sys

_ATTR = "_course_guard_state"
_TRANSPARENT = ("inspect.py", "traceback.py", "<frozen ")
_FRAME_ATTRS = {"tb_frame", "gi_frame", "cr_frame", "ag_frame"}
_INTROSPECTION = {"sys._getframe", "sys._current_frames", "gc.get_objects", "gc.get_referrers",
                  "gc.get_referents", "sys.settrace", "sys.setprofile"}
_SHELL_METHODS = ("run_cell", "run_cell_async", "run_ast_nodes", "run_code", "showtraceback",
                  "_showtraceback", "transform_cell", "should_run_async", "ex", "ev",
                  "run_line_magic", "safe_execfile")
_KERNEL_METHODS = ("do_execute", "execute_request", "send_response", "dispatch_shell",
                   "process_one", "_publish_status")


class _State:
    pass


def _function_parts(obj):
    code = getattr(obj, "__code__", None)
    if code is None:
        return None
    return (code, getattr(obj, "__defaults__", None), getattr(obj, "__kwdefaults__", None))


def _module_snapshot(module, everything):
    names = {}
    parts = {}
    for name, value in list(vars(module).items()):
        if not everything and name.startswith("_"):
            continue
        names[name] = value
        p = _function_parts(value)
        if p is not None:
            parts[name] = p
    return names, parts


def _ipython_parts(shell):
    parts = {}
    if shell is None:
        return parts
    for name in ("input_transformers_cleanup", "input_transformers_post", "ast_transformers"):
        value = getattr(shell, name, None)
        if isinstance(value, list):
            parts[name] = (value, list(value))
    events = getattr(getattr(shell, "events", None), "callbacks", None)
    if isinstance(events, dict):
        parts["events"] = (events, {k: list(v) for k, v in events.items()})
    parts["custom_exceptions"] = getattr(shell, "custom_exceptions", ())
    kernel = getattr(shell, "kernel", None)
    for name in ("shell_handlers", "control_handlers"):
        value = getattr(kernel, name, None)
        if isinstance(value, dict):
            parts[name] = (value, dict(value))
    return parts


def _is_cell_code(filename):
    return filename.startswith("<") or "ipykernel_" in filename or "ipython-input" in filename


def _library_callable(obj):
    """True for a function defined in an installed library (not in a notebook cell)."""
    func = getattr(obj, "__func__", obj)
    code = getattr(func, "__code__", None)
    if code is None:
        call = getattr(type(obj), "__call__", None)  # noqa: B004 - the method, not callable()
        code = getattr(call, "__code__", None)
    return code is not None and code.co_filename.endswith(".py") and \
        not _is_cell_code(code.co_filename)


def _merge_list(changes, label, live, copy):
    """A hook list may gain library callables; anything else is a change (restored)."""
    if [id(x) for x in live] == [id(x) for x in copy]:
        return
    copy_ids = {id(x) for x in copy}
    live_ids = {id(x) for x in live}
    removed = [x for x in copy if id(x) not in live_ids]
    added = [x for x in live if id(x) not in copy_ids]
    if removed or any(not _library_callable(x) for x in added):
        changes.append(f"IPython {label} were changed")
        live[:] = copy + [x for x in added if _library_callable(x)]
    copy[:] = list(live)


def _unbound(value):
    """A bound method's function (ipykernel rebinds some methods on every request)."""
    return getattr(value, "__func__", value)


def _class_chain(obj):
    return [c for c in type(obj).__mro__
            if c.__module__.split(".")[0] in ("IPython", "ipykernel", "jupyter_client")]


def install(config):
    """Take the snapshot and install the audit hook (call before any student code)."""
    import importlib
    import os

    state = _State()
    state.os = os
    state.json = __import__("json")
    state.hashlib = __import__("hashlib")
    state.getframe = _sys._getframe
    state.events = []
    state.protected = tuple(p.rstrip("/") + "/" for p in config.get("protected", []))
    state.protected_files = set(config.get("protected_files", []))
    state.trusted_files = set()
    state.pending_hashes = set()
    state.test_hashes = set()
    state.in_hook = False
    state.test_running = False
    state.stdout = _sys.stdout
    state.stdout_write = type(_sys.stdout).write
    state.stdout_flush = type(_sys.stdout).flush

    watched = []
    for name in config.get("modules", []):
        try:
            watched.append(importlib.import_module(name))
        except Exception:  # noqa: BLE001,S112 - a module the notebook cannot import is not watched
            continue
    state.modules = {}
    for module in watched:
        everything = module.__name__.startswith(tuple(config.get("private_too", ["course"])))
        state.modules[module.__name__] = (module,) + _module_snapshot(module, everything)
    classes = []
    for module in watched:
        if module.__name__.startswith("course"):
            classes += [v for v in vars(module).values()
                        if isinstance(v, type) and v.__module__ == module.__name__]
    torch = _sys.modules.get("torch")
    if torch is not None and getattr(torch, "Tensor", None) is not None:
        classes.append(torch.Tensor)
    state.classes = [(c, dict(vars(c))) for c in classes]
    # ipykernel replaces input() on every request; it plays no part in the checks
    state.builtins = {k: v for k, v in vars(_builtins).items()
                      if k not in ("input", "raw_input", "getpass")}
    roots = tuple({m.__name__.split(".")[0] for m in watched} | {"builtins", "sys", "math"})
    state.sysmodules = {k: v for k, v in _sys.modules.items()
                        if k.split(".")[0] in roots}
    state.watched_ids = {id(v): k for k, v in state.sysmodules.items()}
    check_functions = {}
    for module, names, _parts in state.modules.values():
        if module.__name__.startswith("course"):
            check_functions.update({n: v for n, v in names.items()
                                    if callable(v) and not n.startswith("_")
                                    and getattr(v, "__module__", "") == module.__name__})
    state.check_functions = check_functions
    state.check_ids = {id(v) for v in check_functions.values()}
    state.bindings = {}
    shell = None
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except Exception:  # noqa: BLE001 - outside IPython there is no shell to watch
        shell = None
    state.shell = shell
    state.ipython = _ipython_parts(shell)
    state.shell_classes = []
    state.kernel = getattr(shell, "kernel", None)
    for obj in (shell, state.kernel, getattr(state.kernel, "session", None)):
        if obj is not None:
            state.shell_classes += [(c, dict(vars(c))) for c in _class_chain(obj)]
    state.sys_hooks = {name: getattr(_sys, name, None)
                       for name in ("displayhook", "stdout", "stderr")}
    state.trace = (_sys.gettrace(), _sys.getprofile())
    state.overrides = {}
    for obj, methods in ((shell, _SHELL_METHODS), (state.kernel, _KERNEL_METHODS)):
        if obj is not None:
            own = vars(obj)
            state.overrides[id(obj)] = {n: _unbound(own[n]) for n in methods if n in own}
    setattr(_sys, _ATTR, state)
    _sys.addaudithook(_make_hook(state))
    return state


def _make_hook(state):
    getframe = state.getframe
    protected = state.protected
    protected_files = state.protected_files
    events = state.events
    os_path = state.os.path
    fsdecode = state.os.fsdecode

    def untrusted_caller():
        frame = getframe(2)
        for _ in range(4):
            if frame is None:
                return None
            name = frame.f_code.co_filename
            if not name.endswith(_TRANSPARENT) and not name.startswith("<frozen "):
                break
            frame = frame.f_back
        if frame is None:
            return None
        name = frame.f_code.co_filename
        if name in state.trusted_files:
            return None
        return name if _is_cell_code(name) else None

    def hook(event, args):
        if state.in_hook or len(events) > 200:
            return
        if event == "open" or event in ("os.listdir", "os.scandir"):
            path = args[0] if args else None
            if not isinstance(path, (str, bytes)):
                return
            path = fsdecode(path)
            if not (path.endswith(".ipynb") or "gradebook" in path or path.startswith(protected)
                    or path in protected_files or not path.startswith("/")):
                return
            state.in_hook = True
            try:
                full = os_path.abspath(path)
                if full.endswith(".ipynb") or "gradebook" in full or \
                        full.startswith(protected) or full in protected_files or \
                        (full + "/").startswith(protected):
                    mode = args[1] if event == "open" and len(args) > 1 else "r"
                    events.append({"event": event, "path": full, "mode": str(mode),
                                   "during_test": state.test_running})
            finally:
                state.in_hook = False
        elif event == "compile":
            if state.pending_hashes and args and isinstance(args[0], (str, bytes)):
                source = args[0].decode() if isinstance(args[0], bytes) else args[0]
                digest = state.hashlib.sha1(source.strip().encode()).hexdigest()
                if digest in state.pending_hashes:
                    state.trusted_files.add(args[1])
        elif event == "socket.connect":
            target = args[1] if len(args) > 1 else ""
            if isinstance(target, tuple) and len(target) >= 2:
                target = f"{target[0]}:{target[1]}"
            events.append({"event": event, "target": str(target)[:120],
                           "during_test": state.test_running})
        elif event in _INTROSPECTION or (event == "object.__getattr__" and len(args) > 1
                                         and args[1] in _FRAME_ATTRS):
            state.in_hook = True
            try:
                who = untrusted_caller()
            except Exception:  # noqa: BLE001 - never break the kernel
                who = None
            finally:
                state.in_hook = False
            if who:
                name = event if event != "object.__getattr__" else f"{args[1]} access"
                events.append({"event": name, "during_test": state.test_running})

    return hook


def _wraps(new, original):
    """A library wrapper around the original (torch._dynamo wraps torch.manual_seed, ...)."""
    seen = 0
    value = new
    while value is not None and seen < 10:
        value = getattr(value, "__wrapped__", None)
        if value is original:
            return _library_callable(new)
        seen += 1
    return False


def _restore_module(state, changes, modname):
    module, names, parts = state.modules[modname]
    current = vars(module)
    ours = modname.startswith("course")
    for name, value in list(names.items()):
        now = current.get(name, _missing)
        if now is not value:
            if not ours and now is not _missing and _wraps(now, value):
                names[name] = now  # a library decorated its own function: not tampering
                p = _function_parts(now)
                if p is not None:
                    parts[name] = p
                else:
                    parts.pop(name, None)
                continue
            changes.append(f"{modname}.{name} was {'deleted' if now is _missing else 'replaced'}")
            try:
                setattr(module, name, value)
            except Exception:  # noqa: BLE001
                changes.append(f"could not restore {modname}.{name}")
        if name in parts:
            code, defaults, kwdefaults = parts[name]
            value = names[name]
            try:
                if value.__code__ is not code:
                    changes.append(f"the code of {modname}.{name} was replaced")
                    value.__code__ = code
                if value.__defaults__ is not defaults:
                    changes.append(f"the default arguments of {modname}.{name} were changed")
                    value.__defaults__ = defaults
                if getattr(value, "__kwdefaults__", None) is not kwdefaults:
                    changes.append(f"the keyword defaults of {modname}.{name} were changed")
                    value.__kwdefaults__ = kwdefaults
            except Exception:  # noqa: BLE001
                changes.append(f"could not restore {modname}.{name}")


class _Missing:
    pass


_missing = _Missing()


def _restore_mapping(changes, label, current, snapshot, setter, deleter=None):
    for name, value in snapshot.items():
        now = current.get(name, _missing)
        if now is not value:
            changes.append(f"{label}{name} was {'deleted' if now is _missing else 'replaced'}")
            try:
                setter(name, value)
            except Exception:  # noqa: BLE001
                changes.append(f"could not restore {label}{name}")


def check(nonce, next_source_hash=None, next_is_test=False):
    """Compare with the snapshot, restore, report one line; returns the report.

    ``changes`` are tampering (what the tests rely on was changed); ``notes``
    are harmless changes that were undone for the student's benefit.
    """
    state = getattr(_sys, _ATTR)
    changes, notes = [], []
    for modname in state.modules:
        _restore_module(state, changes, modname)
    for cls, snapshot in state.classes + state.shell_classes:
        current = dict(vars(cls))
        _restore_mapping(changes, f"{cls.__module__}.{cls.__qualname__}.", current, snapshot,
                         lambda n, v, c=cls: setattr(c, n, v))
        if cls.__module__.startswith("course"):
            for name in set(current) - set(snapshot):
                if not name.startswith("__"):
                    changes.append(f"{cls.__module__}.{cls.__qualname__}.{name} was added")
                    try:
                        delattr(cls, name)
                    except Exception:  # noqa: BLE001
                        pass
    _restore_mapping(changes, "builtins.", vars(_builtins), state.builtins,
                     lambda n, v: setattr(_builtins, n, v))
    _restore_mapping(changes, "sys.modules[", _sys.modules, state.sysmodules,
                     _sys.modules.__setitem__)
    for name, value in state.sys_hooks.items():
        if getattr(_sys, name, None) is not value:
            changes.append(f"sys.{name} was replaced")
            setattr(_sys, name, value)
    if (_sys.gettrace(), _sys.getprofile()) != state.trace:
        changes.append("a trace or profile function was installed")
        _sys.settrace(state.trace[0])
        _sys.setprofile(state.trace[1])
    shell = state.shell
    for name, saved in state.ipython.items():
        if name == "custom_exceptions":
            if getattr(shell, "custom_exceptions", ()) != saved:
                changes.append("IPython custom exception handlers were installed")
                try:
                    shell.set_custom_exc((), None)
                except Exception:  # noqa: BLE001
                    shell.custom_exceptions = saved
        elif name == "events":
            live, copy = saved
            for event in set(live) | set(copy):
                copy.setdefault(event, [])
                _merge_list(changes, f"event callbacks for {event}", live.setdefault(event, []),
                            copy[event])
        elif name in ("shell_handlers", "control_handlers"):
            live, copy = saved
            for key, value in copy.items():
                if live.get(key) is not value:
                    changes.append(f"the kernel's {name}[{key!r}] was replaced")
                    live[key] = value
        else:
            live, copy = saved
            if getattr(shell, name, None) is not live:
                changes.append(f"IPython {name} were replaced")
                setattr(shell, name, live)
            _merge_list(changes, name, live, copy)
    for obj, methods in ((shell, _SHELL_METHODS), (state.kernel, _KERNEL_METHODS)):
        if obj is None:
            continue
        own = vars(obj)
        allowed = state.overrides.get(id(obj), {})
        for name in methods:
            if name in own and _unbound(own[name]) is not allowed.get(name, _missing):
                changes.append(f"{type(obj).__name__}.{name} was overridden")
                try:
                    delattr(obj, name)
                except Exception:  # noqa: BLE001
                    pass
    if shell is not None:
        _check_namespace(state, changes, notes, shell.user_ns)
        _scrub_history(state, shell)
    events, state.events[:] = list(state.events), []
    state.test_running = bool(next_is_test)
    state.pending_hashes = {next_source_hash} if next_source_hash else set()
    state.test_hashes |= state.pending_hashes
    report = {"nonce": nonce, "changes": changes, "notes": notes, "events": events}
    line = "\x1eCOURSE-GUARD " + nonce + " " + state.json.dumps(report) + "\n"
    state.stdout_write(state.stdout, line)
    state.stdout_flush(state.stdout)
    return report


def _scrub_history(state, shell):
    """Test cells (hidden tests included) leave the input history and linecache."""
    if not state.test_hashes:
        return
    sha1 = state.hashlib.sha1

    def secret(text):
        return isinstance(text, str) and sha1(text.strip().encode()).hexdigest() in \
            state.test_hashes

    manager = getattr(shell, "history_manager", None)
    for history in (shell.user_ns.get("_ih"), getattr(manager, "input_hist_parsed", None),
                    getattr(manager, "input_hist_raw", None)):
        if isinstance(history, list):
            for n, text in enumerate(history):
                if secret(text):
                    history[n] = "# (a test cell)\n"
    for name in [n for n in list(shell.user_ns) if n.startswith("_i")]:
        if secret(shell.user_ns.get(name)):
            shell.user_ns[name] = "# (a test cell)\n"
    import linecache

    for filename in list(state.trusted_files):
        entry = linecache.cache.get(filename)
        if entry is not None and secret("".join(entry[2])):
            del linecache.cache[filename]
        if filename.startswith("/") and state.os.path.isfile(filename):
            try:
                state.os.remove(filename)
            except OSError:
                pass


_COMPARISONS = ("isclose", "allclose", "array_equal", "equal", "asarray", "check_close")


def _looks_fake(value):
    """A stand-in for a module or a check: a module object or something with their API."""
    if type(value).__name__ == "module":
        return True
    return any(hasattr(value, name) for name in _COMPARISONS) or callable(value)


def _check_namespace(state, changes, notes, user_ns):
    """Names the instructor's imports bound must still be the real objects."""
    for name, value in list(user_ns.items()):
        original = state.check_functions.get(name)
        if original is not None and value is not original:
            changes.append(f"the name {name} in the notebook no longer refers to "
                           f"course.checks.{name}")
            user_ns[name] = original
        elif type(value).__name__ == "module" and getattr(value, "__name__", None) in \
                state.sysmodules and state.sysmodules[value.__name__] is not value:
            changes.append(f"the name {name} refers to a fake {value.__name__} module")
            user_ns[name] = state.sysmodules[value.__name__]
    for name, original in list(state.bindings.items()):
        now = user_ns.get(name, _missing)
        if now is not original:
            what = getattr(original, "__name__", type(original).__name__)
            if now is not _missing and _looks_fake(now):
                changes.append(f"the name {name} no longer refers to {what}")
            else:
                notes.append(f"the name {name} no longer referred to {what}; it was restored")
            user_ns[name] = original
    for name, value in user_ns.items():
        if name.startswith("_"):
            continue
        vid = id(value)
        if vid in state.watched_ids and state.sysmodules.get(state.watched_ids[vid]) is value:
            state.bindings[name] = value
        elif vid in state.check_ids:
            state.bindings[name] = value
