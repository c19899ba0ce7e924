"""Small matplotlib helpers shared by all lectures.

Every lecture calls :func:`use_course_style` once near the top, then draws its
figures with :func:`new_axes` (and, for 2-D vectors, :func:`draw_vectors`), so
all figures of the course look alike: colour-blind-safe colours (the Okabe-Ito
palette for lines, :data:`CMAP` for heatmaps), readable fonts, a light grid.

Library code never calls ``plt.show()``: a notebook shows a figure at the end
of its cell, and a widget displays it inside its output area.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["CMAP", "OKABE_ITO", "draw_vectors", "new_axes", "use_course_style"]

#: The eight colours of the Okabe-Ito palette (Okabe and Ito, 2008), distinguishable
#: with the common forms of colour-vision deficiency: black, orange, sky blue,
#: bluish green, yellow, blue, vermillion, reddish purple.
OKABE_ITO = [
    "#000000",
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
]

#: Colour map for heatmaps (similarity matrices, attention maps): perceptually
#: uniform and colour-blind safe.
CMAP = "viridis"

# Line colours in the order the course uses them: strong colours first, yellow
# (low contrast on white) and black (reserved for reference lines) last.
_CYCLE = [OKABE_ITO[i] for i in (5, 1, 3, 6, 7, 2, 4, 0)]

_RC = {
    "axes.prop_cycle": cycler(color=_CYCLE),
    "image.cmap": CMAP,
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linestyle": "-",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 2.0,
    "figure.figsize": (5.0, 3.5),
    "figure.dpi": 100,
    "figure.autolayout": True,
}


def use_course_style() -> None:
    """Set matplotlib's rcParams to the course style (every lecture, from 00_welcome on).

    Colour-blind-safe line colours (Okabe-Ito), :data:`CMAP` for images,
    readable font sizes, a light grid and tight layout. Calling it again is
    harmless; ``matplotlib.rcdefaults()`` undoes it.
    """
    mpl.rcParams.update(_RC)


def new_axes(
    title: str,
    xlabel: str,
    ylabel: str,
    figsize: tuple[float, float] = (5.0, 3.5),
) -> tuple[Figure, Axes]:
    """A new figure with one axes whose title and axis labels are set.

    Used by every lecture for its static figures (00_welcome: cosine against
    angle) and by :class:`course.widgets.CosineExplorer` for its drawing.
    Every figure of the course has a title and labelled axes; this makes that
    the path of least resistance.
    """
    fig, ax = plt.subplots(figsize=figsize)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return fig, ax


def draw_vectors(
    ax: Axes,
    vectors: Sequence[Sequence[float]] | np.ndarray,
    labels: Sequence[str],
    colors: Sequence[str] | None = None,
    lim: float | None = None,
) -> Axes:
    """Draw 2-D vectors as labelled arrows from the origin, with equal aspect.

    Used by 00_welcome (:class:`course.widgets.CosineExplorer`) and by module 1
    to show word vectors after a projection to two dimensions.

    ``vectors`` has shape ``(num_vectors, 2)``; ``labels`` gives one label per
    vector, written next to its tip. ``colors`` defaults to the course colour
    cycle. Both axes run from ``-lim`` to ``lim``; by default ``lim`` leaves a
    margin around the longest vector, pass a fixed value so that the axes do
    not jump when the vectors change (as in a widget). A zero vector has no
    direction: it is drawn as a dot at the origin.
    """
    V = np.asarray(vectors, dtype=float)
    if V.size == 0:
        V = V.reshape(0, 2)
    if V.ndim != 2 or V.shape[1] != 2:
        raise ValueError(f"draw_vectors needs vectors of shape (num_vectors, 2), got {V.shape}")
    if len(labels) != len(V):
        raise ValueError(f"draw_vectors got {len(V)} vectors but {len(labels)} labels")
    if colors is None:
        colors = [_CYCLE[i % len(_CYCLE)] for i in range(len(V))]
    if len(colors) != len(V):
        raise ValueError(f"draw_vectors got {len(V)} vectors but {len(colors)} colors")
    if lim is None:
        longest = float(np.linalg.norm(V, axis=1).max()) if len(V) else 0.0
        lim = 1.25 * max(longest, 1.0)

    ax.axhline(0.0, color="0.6", linewidth=0.8, zorder=0)
    ax.axvline(0.0, color="0.6", linewidth=0.8, zorder=0)
    for (x, y), label, color in zip(V, labels, colors, strict=True):
        if x == 0.0 and y == 0.0:
            ax.plot([0.0], [0.0], "o", color=color)
            ax.annotate(label, (0.0, 0.0), xytext=(6, 6), textcoords="offset points",
                        color=color, fontweight="bold")
            continue
        ax.annotate("", xy=(x, y), xytext=(0.0, 0.0),
                    arrowprops={"arrowstyle": "-|>", "color": color, "linewidth": 2,
                                "shrinkA": 0, "shrinkB": 0, "mutation_scale": 15})
        # The label sits just beyond the tip, in the direction of the vector.
        norm = float(np.hypot(x, y))
        offset = (10 * x / norm, 10 * y / norm)
        ax.annotate(label, (x, y), xytext=offset, textcoords="offset points",
                    ha="center", va="center", color=color, fontweight="bold")
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    return ax
