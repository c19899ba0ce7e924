"""What every explorer of the course shares: its widget, showing it, redrawing on a change.

A subclass builds its controls and puts its container in ``self._widget``,
calls :meth:`Explorer.watch` on the controls that should redraw it, and
defines :meth:`update`; one with a figure puts an ``Output`` widget in
``self.plot``, defines ``figure()`` and calls :meth:`Explorer.draw`.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython import get_ipython
from IPython.display import clear_output, display

__all__ = ["Explorer", "in_kernel"]


def in_kernel() -> bool:
    """True inside a Jupyter kernel, where an Output widget can capture a figure."""
    ip = get_ipython()
    return ip is not None and getattr(ip, "kernel", None) is not None


class Explorer:
    """Base of the lecture widgets: ``widget``, display in a cell, ``update`` on change."""

    _widget: widgets.Widget

    @property
    def widget(self) -> widgets.Widget:
        """The ipywidgets container to display."""
        return self._widget

    def _repr_mimebundle_(self, **kwargs: Any) -> dict | None:
        # Evaluating the explorer in a cell shows its widget.
        return self._widget._repr_mimebundle_(**kwargs)

    def update(self) -> None:
        """Recompute what the widget shows from its controls."""
        raise NotImplementedError

    def draw(self, show: bool = True) -> None:
        """Redraw ``self.plot`` with ``self.figure()`` (cleared only, when ``show`` is false).

        Outside a kernel nothing would show the figure, so nothing is drawn.
        """
        if not in_kernel():
            return
        with self.plot:
            clear_output(wait=True)
            if show:
                fig = self.figure()
                display(fig)
                plt.close(fig)  # shown once, here: the inline backend must not show it again

    def watch(self, *controls: widgets.ValueWidget) -> None:
        """Call :meth:`update` whenever the value of one of ``controls`` changes."""
        for control in controls:
            control.observe(self._on_change, names="value")

    def _on_change(self, change: dict[str, Any]) -> None:
        self.update()
