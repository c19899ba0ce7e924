"""Unit tests of course.widgets: the widget logic, tested without a browser."""

import matplotlib

matplotlib.use("Agg")

import math
import warnings

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest

from course.widgets import CosineExplorer, angle_between, cosine, vector_from_polar


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_vector_from_polar():
    np.testing.assert_allclose(vector_from_polar(0, 1), [1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(vector_from_polar(90, 2), [0.0, 2.0], atol=1e-12)
    np.testing.assert_allclose(vector_from_polar(225, math.sqrt(2)), [-1.0, -1.0], atol=1e-12)
    assert vector_from_polar(30, 1).shape == (2,)


def test_cosine_known_values():
    assert cosine([1, 0], [1, 0]) == pytest.approx(1.0)
    assert cosine([1, 0], [0, 3]) == pytest.approx(0.0, abs=1e-12)
    assert cosine([1, 0], [-2, 0]) == pytest.approx(-1.0)
    assert cosine([1, 1], [1, 0]) == pytest.approx(1 / math.sqrt(2))
    assert isinstance(cosine([1, 2], [3, 4]), float)


@pytest.mark.parametrize("angle", [0, 37, 90, 150, 180, 300])
def test_cosine_is_invariant_to_length(angle):
    a = vector_from_polar(0, 1)
    for length in (0.1, 1.0, 7.5):
        b = vector_from_polar(angle, length)
        assert cosine(a, b) == pytest.approx(math.cos(math.radians(angle)), abs=1e-12)
        assert cosine(3 * a, b) == pytest.approx(cosine(a, b), abs=1e-12)


def test_cosine_and_angle_of_zero_vector_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cosine([0, 0], [1, 2]) == 0.0
        assert cosine([1, 2], [0, 0]) == 0.0
        assert cosine([0, 0], [0, 0]) == 0.0
        assert math.isnan(angle_between([0, 0], [1, 0]))


def test_cosine_stays_in_range_despite_rounding():
    v = vector_from_polar(33, 0.7)
    assert -1.0 <= cosine(v, v) <= 1.0
    assert angle_between(v, v) == pytest.approx(0.0, abs=1e-5)


def test_defaults_give_sixty_degrees():
    explorer = CosineExplorer()
    s = explorer.state()
    assert set(s) == {"a", "b", "cosine", "angle", "dot"}
    np.testing.assert_allclose(s["a"], [1.0, 0.0], atol=1e-12)
    assert s["cosine"] == pytest.approx(0.5)
    assert s["angle"] == pytest.approx(60.0)
    assert s["dot"] == pytest.approx(0.5)
    assert "0.500" in explorer.readout.value
    assert "60.0°" in explorer.readout.value


def test_constructor_arguments_set_the_sliders():
    explorer = CosineExplorer(angle_a=10, angle_b=100, length_a=0.5, length_b=2)
    assert (explorer.angle_a.value, explorer.angle_b.value) == (10, 100)
    assert (explorer.length_a.value, explorer.length_b.value) == (0.5, 2)
    assert explorer.state()["angle"] == pytest.approx(90.0)


def test_setting_an_angle_updates_state_and_readout():
    explorer = CosineExplorer()
    explorer.angle_b.value = 90
    s = explorer.state()
    assert s["cosine"] == pytest.approx(0.0, abs=1e-12)
    assert s["dot"] == pytest.approx(0.0, abs=1e-12)
    assert "cosine similarity</b> 0.000" in explorer.readout.value
    assert "90.0°" in explorer.readout.value
    assert "-0.000" not in explorer.readout.value

    explorer.angle_a.value = 270  # now a and b point in opposite directions
    assert explorer.state()["cosine"] == pytest.approx(-1.0)
    assert "-1.000" in explorer.readout.value
    assert "180.0°" in explorer.readout.value


def test_changing_a_length_changes_dot_but_not_cosine():
    explorer = CosineExplorer(angle_b=60)
    before = explorer.state()
    explorer.length_a.value = 2.0
    after = explorer.state()
    assert after["cosine"] == pytest.approx(before["cosine"])
    assert after["angle"] == pytest.approx(before["angle"])
    assert after["dot"] == pytest.approx(2 * before["dot"])
    assert "dot product</b> 1.000" in explorer.readout.value
    assert "|a| = 2.00" in explorer.readout.value


def test_zero_length_gives_cosine_zero_without_warnings():
    explorer = CosineExplorer()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        explorer.length_b.value = 0.0
        s = explorer.state()
        fig = explorer.figure()
        fig.canvas.draw()
    assert s["cosine"] == 0.0
    assert s["dot"] == 0.0
    assert math.isnan(s["angle"])
    assert "undefined" in explorer.readout.value


def test_widget_holds_the_controls_and_displays():
    explorer = CosineExplorer()
    box = explorer.widget
    assert isinstance(box, widgets.Box)
    assert explorer.widget is box

    def descendants(w):
        yield w
        for child in getattr(w, "children", ()):
            yield from descendants(child)

    found = set(map(id, descendants(box)))
    for control in (explorer.angle_a, explorer.angle_b, explorer.length_a, explorer.length_b,
                    explorer.readout, explorer.plot):
        assert id(control) in found
    assert isinstance(explorer.readout, widgets.HTML)
    assert isinstance(explorer.plot, widgets.Output)
    assert all(isinstance(s, widgets.FloatSlider)
               for s in (explorer.angle_a, explorer.angle_b, explorer.length_a, explorer.length_b))

    bundle = explorer._repr_mimebundle_()
    view = bundle["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == box.model_id


def test_figure_draws_both_arrows_with_fixed_limits():
    explorer = CosineExplorer()
    fig = explorer.figure()
    (ax,) = fig.axes
    assert {t.get_text() for t in ax.texts} >= {"a", "b"}
    assert ax.get_title() == "cosine = 0.500"
    limits = ax.get_xlim()
    explorer.length_a.value = 0.3
    assert explorer.figure().axes[0].get_xlim() == limits  # the axes do not jump
