"""Unit tests of course.plot (fast, no browser)."""

import matplotlib

matplotlib.use("Agg")

import warnings

import matplotlib.pyplot as plt
import pytest
from matplotlib.colors import is_color_like, to_hex

from course.plot import CMAP, OKABE_ITO, draw_vectors, new_axes, use_course_style


@pytest.fixture(autouse=True)
def _isolated_style():
    """Each test starts from matplotlib's defaults and leaves no figures or rcParams behind."""
    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        yield
    plt.close("all")


def test_okabe_ito_has_eight_distinct_colours():
    assert len(OKABE_ITO) == 8
    assert all(is_color_like(c) for c in OKABE_ITO)
    assert len({to_hex(c) for c in OKABE_ITO}) == 8


def test_cmap_is_a_known_colour_blind_safe_map():
    assert CMAP == "viridis"
    assert CMAP in matplotlib.colormaps


def test_use_course_style_sets_rcparams():
    use_course_style()
    rc = matplotlib.rcParams
    colours = [to_hex(c["color"]) for c in rc["axes.prop_cycle"]]
    assert sorted(colours) == sorted(to_hex(c) for c in OKABE_ITO)
    assert rc["axes.grid"] is True
    assert rc["figure.autolayout"] is True
    assert rc["image.cmap"] == CMAP
    assert rc["font.size"] >= 10
    use_course_style()  # idempotent
    assert [to_hex(c["color"]) for c in rc["axes.prop_cycle"]] == colours


def test_new_axes_sets_title_labels_and_size():
    fig, ax = new_axes("Cosine against angle", "angle (degrees)", "cosine", figsize=(4, 3))
    assert ax.get_title() == "Cosine against angle"
    assert ax.get_xlabel() == "angle (degrees)"
    assert ax.get_ylabel() == "cosine"
    assert tuple(fig.get_size_inches()) == (4, 3)
    assert fig.axes == [ax]


def test_draw_vectors_labels_arrows_and_equal_aspect():
    fig, ax = new_axes("vectors", "x", "y")
    returned = draw_vectors(ax, [[1.0, 0.0], [0.0, -2.0]], ["a", "b"])
    assert returned is ax
    assert {t.get_text() for t in ax.texts} >= {"a", "b"}
    assert ax.get_aspect() == 1.0
    lo, hi = ax.get_xlim()
    assert lo < 0 and hi > 2.0  # the longest vector fits with a margin
    assert ax.get_ylim() == (lo, hi)


def test_draw_vectors_fixed_limits_and_colours():
    fig, ax = new_axes("vectors", "x", "y")
    draw_vectors(ax, [[0.5, 0.5]], ["u"], colors=[OKABE_ITO[6]], lim=3.0)
    assert ax.get_xlim() == (-3.0, 3.0)
    label = next(t for t in ax.texts if t.get_text() == "u")
    assert to_hex(label.get_color()) == to_hex(OKABE_ITO[6])


def test_draw_vectors_zero_vector_is_a_dot_without_warnings():
    fig, ax = new_axes("vectors", "x", "y")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        draw_vectors(ax, [[0.0, 0.0], [1.0, 1.0]], ["zero", "one"])
        fig.canvas.draw()
    assert {t.get_text() for t in ax.texts} >= {"zero", "one"}


@pytest.mark.parametrize(
    ("vectors", "labels"),
    [([[1.0, 0.0]], ["a", "b"]), ([[1.0, 0.0, 0.0]], ["a"])],
)
def test_draw_vectors_rejects_bad_input(vectors, labels):
    fig, ax = new_axes("vectors", "x", "y")
    with pytest.raises(ValueError, match="draw_vectors"):
        draw_vectors(ax, vectors, labels)
