"""Interactive explorers for the lectures (ipywidgets).

A widget of this course is a small class over plain functions: the maths
lives in module-level functions (:func:`vector_from_polar`, :func:`cosine`),
the class only wires sliders to them and shows the result. So the logic is
tested in Python without a browser (set a control's ``.value``, read
:meth:`CosineExplorer.state` or the readout), and only the rendering needs a
browser. Every lecture that shows a widget also prints the same numbers from
code, so it still works headless (executed by the tests, or viewed as a static
page).
"""

from __future__ import annotations

import math
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from course.plot import draw_vectors, new_axes
from course.widgets.base import Explorer

__all__ = ["CosineExplorer", "angle_between", "cosine", "vector_from_polar"]


def vector_from_polar(angle_deg: float, length: float) -> np.ndarray:
    """The 2-D vector with the given angle (degrees, from the x axis) and length.

    Used by 00_welcome (:class:`CosineExplorer` and the cosine-against-angle figure).
    Returns an array of shape ``(2,)``.
    """
    theta = math.radians(angle_deg)
    return np.array([length * math.cos(theta), length * math.sin(theta)])


def cosine(u: Any, v: Any) -> float:
    """Cosine similarity of two vectors: ``u . v / (|u| |v|)``, a number in [-1, 1].

    Used by 00_welcome. A zero vector has no direction, so its cosine with
    anything is taken to be 0.0 (a convention, no warning). This is lecture
    code; the graded version is written in problem set 0.
    """
    u = np.asarray(u, dtype=float)
    v = np.asarray(v, dtype=float)
    norm_u = float(np.linalg.norm(u))
    norm_v = float(np.linalg.norm(v))
    if norm_u == 0.0 or norm_v == 0.0:
        return 0.0
    # Rounding can push the ratio a hair outside [-1, 1]; clip it back.
    return float(np.clip(np.dot(u, v) / (norm_u * norm_v), -1.0, 1.0))


def angle_between(u: Any, v: Any) -> float:
    """The angle between two vectors in degrees, in [0, 180]; NaN if either is zero.

    Used by 00_welcome (:class:`CosineExplorer`).
    """
    if not np.any(np.asarray(u, dtype=float)) or not np.any(np.asarray(v, dtype=float)):
        return math.nan
    return math.degrees(math.acos(cosine(u, v)))


def _fmt(value: float, digits: int) -> str:
    """``value`` with ``digits`` decimals, never printed as ``-0.000``."""
    return f"{round(value, digits) + 0.0:.{digits}f}"


class CosineExplorer(Explorer):
    """Two 2-D vectors, set by angle and length sliders, with their cosine and dot product.

    Used by 00_welcome. The point: the cosine similarity depends only on the
    angle between the vectors, the dot product on the angle *and* the lengths
    (``a . b = |a| |b| cos(angle)``).

    Evaluate the object in a cell to show it. Controls: the sliders
    ``angle_a``, ``angle_b`` (degrees) and ``length_a``, ``length_b``; the
    ``readout`` (HTML) shows the numbers and ``plot`` (Output) the arrows.
    :meth:`state` returns the same numbers as a dict. Setting a slider's
    ``.value`` from code updates everything, as moving it by hand does.
    """

    max_length = 2.0

    def __init__(
        self,
        angle_a: float = 0,
        angle_b: float = 60,
        length_a: float = 1,
        length_b: float = 1,
    ) -> None:
        def angle_slider(value: float, name: str) -> widgets.FloatSlider:
            return widgets.FloatSlider(value=value, min=0.0, max=360.0, step=1.0,
                                       description=f"angle {name} (°)", readout_format=".0f",
                                       style={"description_width": "initial"})

        def length_slider(value: float, name: str) -> widgets.FloatSlider:
            return widgets.FloatSlider(value=value, min=0.0, max=self.max_length, step=0.05,
                                       description=f"length {name}", readout_format=".2f",
                                       style={"description_width": "initial"})

        self.angle_a = angle_slider(angle_a, "a")
        self.length_a = length_slider(length_a, "a")
        self.angle_b = angle_slider(angle_b, "b")
        self.length_b = length_slider(length_b, "b")
        self.readout = widgets.HTML()
        self.plot = widgets.Output()
        self._widget = widgets.VBox([
            widgets.HBox([widgets.VBox([self.angle_a, self.length_a]),
                          widgets.VBox([self.angle_b, self.length_b])]),
            self.readout,
            self.plot,
        ])
        self.watch(self.angle_a, self.length_a, self.angle_b, self.length_b)
        self.update()

    def state(self) -> dict[str, Any]:
        """The current vectors and numbers.

        Keys: ``a`` and ``b`` (arrays of shape ``(2,)``), ``cosine``,
        ``angle`` (degrees in [0, 180], NaN if a vector is zero) and ``dot``.
        """
        a = vector_from_polar(self.angle_a.value, self.length_a.value)
        b = vector_from_polar(self.angle_b.value, self.length_b.value)
        return {
            "a": a,
            "b": b,
            "cosine": cosine(a, b),
            "angle": angle_between(a, b),
            "dot": float(np.dot(a, b)),
        }

    def readout_html(self) -> str:
        """The text of the readout for the current state."""
        s = self.state()
        if math.isnan(s["angle"]):
            angle = "undefined (a zero vector has no direction)"
        else:
            angle = f"{_fmt(s['angle'], 1)}°"
        return (
            f"<b>cosine similarity</b> {_fmt(s['cosine'], 3)}"
            f" &nbsp;|&nbsp; <b>angle</b> {angle}"
            f" &nbsp;|&nbsp; <b>dot product</b> {_fmt(s['dot'], 3)}"
            f" &nbsp;(|a| = {_fmt(self.length_a.value, 2)},"
            f" |b| = {_fmt(self.length_b.value, 2)})"
        )

    def figure(self) -> Figure:
        """A new matplotlib figure of the two arrows (what the plot area shows)."""
        s = self.state()
        fig, ax = new_axes(f"cosine = {_fmt(s['cosine'], 3)}", "x", "y", figsize=(4.0, 4.0))
        draw_vectors(ax, [s["a"], s["b"]], ["a", "b"], lim=1.25 * self.max_length)
        return fig

    def update(self) -> None:
        """Recompute the readout and redraw the plot from the sliders."""
        self.readout.value = self.readout_html()
        self.draw()
