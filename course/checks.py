"""Assertion helpers for the test cells of the problem sets.

Every problem set uses these in its visible tests (and the hidden tests use
them with ``reveal=False``).  A failing check raises :class:`CheckFailed`, a
subclass of :class:`AssertionError`, so nbgrader counts the cell as failed,
and its message says what was expected, what came, and what to try::

    from course.checks import check_close, check_shape
    check_shape(S, (2, 3), name="cosine_similarity(A, B)")
    check_close(S, [[1.0, 0.0, 0.6], [0.0, 1.0, 0.8]], name="cosine_similarity(A, B)")

Arrays may be NumPy arrays, torch tensors, Python numbers or nested lists.
With ``reveal=False`` the message names the check that failed and the
hint but never the expected values: hidden tests must not give the answer
away in the feedback.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "CheckFailed",
    "check_close",
    "check_equal",
    "check_finite",
    "check_raises",
    "check_shape",
    "check_true",
    "check_type",
]


class CheckFailed(AssertionError):
    """A test-cell check failed; the message is meant for the student."""


def _fail(message: str, hint: str | None) -> None:
    if hint:
        message = f"{message}\nHint: {hint}"
    raise CheckFailed(message)


def _as_array(value: Any) -> np.ndarray:
    """A NumPy copy of ``value`` (torch tensors are detached and moved to the CPU)."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _describe(value: Any) -> str:
    if hasattr(value, "detach"):
        return f"a torch tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    if isinstance(value, np.ndarray):
        return f"a NumPy array of shape {value.shape} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"[:200]


def _short(array: np.ndarray) -> str:
    with np.printoptions(precision=4, suppress=True, threshold=20, edgeitems=3):
        return np.array2string(array, separator=", ")


def check_type(value: Any, types: type | tuple[type, ...], name: str = "result",
               hint: str | None = None) -> None:
    """Fail unless ``value`` is an instance of ``types``."""
    if not isinstance(value, types):
        wanted = types if isinstance(types, tuple) else (types,)
        names = " or ".join(t.__module__.split(".")[0] + "." + t.__name__
                            if t.__module__ != "builtins" else t.__name__ for t in wanted)
        _fail(f"{name} should be a {names}, but it is {_describe(value)}.", hint)


def check_shape(value: Any, shape: tuple[int, ...], name: str = "result",
                hint: str | None = None) -> None:
    """Fail unless ``value`` has exactly ``shape`` (use -1 for "any size")."""
    if value is None:
        _fail(f"{name} is None: did the function forget to return its result?", hint)
    got = tuple(getattr(value, "shape", np.shape(value)))
    shape = tuple(shape)
    ok = len(got) == len(shape) and all(e in (-1, g) for g, e in zip(got, shape, strict=True))
    if not ok:
        _fail(f"{name} has shape {got}; expected {shape}.", hint)


def check_close(actual: Any, expected: Any, name: str = "result", *, atol: float = 1e-6,
                rtol: float = 1e-5, hint: str | None = None, reveal: bool = True) -> None:
    """Fail unless ``actual`` equals ``expected`` elementwise within tolerance.

    The shapes must agree exactly (no broadcasting) and NaN never equals
    anything.  With ``reveal=False`` the expected values stay out of the
    message.
    """
    if actual is None:
        _fail(f"{name} is None: did the function forget to return its result?", hint)
    got, want = _as_array(actual), _as_array(expected)
    if got.shape != want.shape:
        _fail(f"{name} has shape {got.shape}; expected {want.shape}.", hint)
    if not np.issubdtype(got.dtype, np.number) and got.dtype != bool:
        _fail(f"{name} should hold numbers, but it is {_describe(actual)}.", hint)
    got64 = got.astype(np.float64)
    want64 = want.astype(np.float64)
    if np.isnan(got64).any() and not np.isnan(want64).any():
        where = tuple(int(i) for i in np.argwhere(np.isnan(got64))[0])
        _fail(f"{name} contains NaN (first at index {where}).", hint)
    close = np.isclose(got64, want64, atol=atol, rtol=rtol, equal_nan=True)
    if close.all():
        return
    bad = np.argwhere(~close)
    first = tuple(int(i) for i in bad[0]) if got.ndim else ()
    msg = f"{name} is wrong at {len(bad)} of {close.size} position(s)"
    if reveal:
        msg += (f"; first at index {first}: got {got64[first]:.6g}, expected {want64[first]:.6g}."
                f"\n  got:      {_short(got64)}\n  expected: {_short(want64)}")
    else:
        msg += f" (first at index {first})."
    _fail(msg, hint)


def check_equal(actual: Any, expected: Any, name: str = "result", *, hint: str | None = None,
                reveal: bool = True) -> None:
    """Fail unless ``actual == expected`` (arrays are compared elementwise and by shape)."""
    if isinstance(expected, np.ndarray) or hasattr(expected, "detach"):
        got, want = _as_array(actual), _as_array(expected)
        if got.shape != want.shape:
            _fail(f"{name} has shape {got.shape}; expected {want.shape}.", hint)
        if not np.array_equal(got, want):
            bad = np.argwhere(got != want)
            first = tuple(int(i) for i in bad[0]) if got.ndim else ()
            msg = f"{name} differs at {len(bad)} position(s), first at index {first}"
            if reveal:
                msg += f": got {got[first]!r}, expected {want[first]!r}"
            _fail(msg + ".", hint)
        return
    if actual != expected:
        msg = f"{name} is wrong"
        if reveal:
            msg += f": got {actual!r}, expected {expected!r}"
        _fail(msg + ".", hint)


def check_finite(value: Any, name: str = "result", hint: str | None = None) -> None:
    """Fail if ``value`` contains NaN or infinity."""
    array = _as_array(value).astype(np.float64)
    if not np.isfinite(array).all():
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0]) if array.ndim else ()
        _fail(f"{name} contains NaN or infinity (first at index {where}).", hint)


def check_true(condition: Any, message: str, hint: str | None = None) -> None:
    """Fail with ``message`` unless ``condition`` is true."""
    if isinstance(condition, float) and math.isnan(condition):
        condition = False
    if not bool(condition):
        _fail(message, hint)


def check_raises(exception: type[BaseException], func: Callable[..., Any], *args: Any,
                 name: str | None = None, hint: str | None = None, **kwargs: Any) -> None:
    """Fail unless ``func(*args, **kwargs)`` raises ``exception``."""
    label = name or f"{getattr(func, '__name__', 'the function')}(...)"
    try:
        func(*args, **kwargs)
    except exception:
        return
    except Exception as error:  # noqa: BLE001 - reported to the student
        what = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        _fail(f"{label} raised {what}; expected {exception.__name__}.", hint)
    _fail(f"{label} returned normally; expected it to raise {exception.__name__}.", hint)
