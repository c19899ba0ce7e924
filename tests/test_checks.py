"""Unit tests of course.checks: the messages students read when a test fails."""

import numpy as np
import pytest
import torch

from course.checks import (
    CheckFailed,
    check_close,
    check_equal,
    check_finite,
    check_raises,
    check_shape,
    check_true,
    check_type,
)


def test_check_close_passes_within_tolerance():
    check_close(torch.tensor([1.0, 2.0]), [1.0, 2.0 + 1e-9])
    check_close(np.float64(0.5), 0.5)


def test_check_close_reports_position_and_values():
    with pytest.raises(CheckFailed) as info:
        check_close([1.0, 2.0, 3.0], [1.0, 2.5, 3.0], name="f(x)", hint="look at the middle")
    message = str(info.value)
    assert "f(x) is wrong at 1 of 3 position(s)" in message
    assert "index (1,)" in message and "got 2" in message and "expected 2.5" in message
    assert message.endswith("Hint: look at the middle")


def test_check_close_without_reveal_hides_expected_values():
    with pytest.raises(CheckFailed) as info:
        check_close([1.0, 2.0], [1.0, 123.456], reveal=False)
    assert "123.456" not in str(info.value) and "expected" not in str(info.value)


def test_check_close_rejects_shape_mismatch_without_broadcasting():
    with pytest.raises(CheckFailed, match=r"shape \(1, 2\); expected \(2,\)"):
        check_close([[1.0, 2.0]], [1.0, 2.0])


def test_check_close_flags_nan_and_none():
    with pytest.raises(CheckFailed, match="NaN"):
        check_close([float("nan"), 1.0], [0.0, 1.0])
    with pytest.raises(CheckFailed, match="forget to return"):
        check_close(None, [1.0])


def test_check_close_rejects_non_numbers():
    with pytest.raises(CheckFailed, match="should hold numbers"):
        check_close(np.array(["a"]), np.array([1.0]))


def test_check_shape():
    check_shape(torch.zeros(2, 3), (2, 3))
    check_shape(np.zeros((4, 5)), (-1, 5))
    with pytest.raises(CheckFailed, match=r"has shape \(3, 2\); expected \(2, 3\)"):
        check_shape(torch.zeros(3, 2), (2, 3))
    with pytest.raises(CheckFailed, match="None"):
        check_shape(None, (1,))


def test_check_equal_scalars_and_arrays():
    check_equal(3, 3)
    check_equal(torch.tensor([1, 2]), torch.tensor([1, 2]))
    with pytest.raises(CheckFailed, match="got 4, expected 3"):
        check_equal(4, 3)
    with pytest.raises(CheckFailed, match=r"differs at 1 position\(s\), first at index \(1,\)"):
        check_equal(np.array([1, 5]), np.array([1, 2]))
    with pytest.raises(CheckFailed) as info:
        check_equal(4, 31337, reveal=False)
    assert "31337" not in str(info.value)


def test_check_type_finite_true_raises():
    check_type(torch.zeros(1), torch.Tensor)
    with pytest.raises(CheckFailed, match=r"should be a torch.Tensor, but it is list"):
        check_type([1], torch.Tensor)
    with pytest.raises(CheckFailed, match="infinity"):
        check_finite([1.0, float("inf")])
    with pytest.raises(CheckFailed, match="rows sum to 1"):
        check_true(False, "rows sum to 1")
    with pytest.raises(CheckFailed):
        check_true(float("nan"), "nan is not true")

    def boom(x):
        raise ValueError(x)

    check_raises(ValueError, boom, 1)
    with pytest.raises(CheckFailed, match="returned normally"):
        check_raises(ValueError, lambda: None)
    with pytest.raises(CheckFailed, match="raised KeyError"):
        check_raises(ValueError, lambda: {}["x"])


def test_check_failed_is_an_assertion_error():
    # nbgrader counts any exception as a failed cell; AssertionError keeps pytest habits.
    assert issubclass(CheckFailed, AssertionError)


def test_feedback_preprocessor_cuts_test_tracebacks_to_their_message():
    import nbformat

    from course.feedback import HideTestTracebacks

    meta = {"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": 1}}
    error = nbformat.v4.new_output("error", ename="CheckFailed", evalue="f(x) is wrong",
                                   traceback=["### BEGIN HIDDEN TESTS", "secret = 42"])
    test_cell = nbformat.v4.new_code_cell("check(...)", metadata=meta, outputs=[error])
    plain = nbformat.v4.new_code_cell("1/0", outputs=[nbformat.v4.new_output(
        "error", ename="ZeroDivisionError", evalue="division by zero", traceback=["line 1"])])
    nb = nbformat.v4.new_notebook(cells=[test_cell, plain])
    nb, _ = HideTestTracebacks()(nb, {})
    assert nb.cells[0].outputs[0].traceback == ["CheckFailed: f(x) is wrong"]
    assert nb.cells[1].outputs[0].traceback == ["line 1"]  # the student's own cell keeps it
