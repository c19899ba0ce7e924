"""Widgets of lecture 1 (word embeddings): a nearest-neighbour explorer.

:class:`NeighborExplorer` lets a reader type a word, pick a representation
(PPMI-SVD, skip-gram, gensim's word2vec, ...) and see its nearest
neighbours.  As every widget of the course, it is a small class over plain
functions: :func:`neighbor_table` does the work and is tested without a
browser; the class wires a text box, a drop-down and a slider to it.  The
neighbour search itself is passed in (the lecture passes the graded
``nearest_neighbors`` of problem set 1, loaded from its solution notebook), so
this package never holds that answer.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np

from course.widgets.base import Explorer

__all__ = ["NeighborExplorer", "neighbor_table"]

NeighborFn = Callable[[np.ndarray, Sequence[str], str, int], list[tuple[str, float]]]


def neighbor_table(neighbors: NeighborFn, E: np.ndarray, words: Sequence[str], word: str,
                   k: int = 8) -> tuple[list[tuple[str, float]], str]:
    """The ``k`` nearest neighbours of ``word`` and a one-line message (lecture 1).

    ``neighbors(E, words, word, k)`` returns ``[(word, cosine), ...]`` and
    raises ``KeyError`` for an unknown word.  The word is stripped and
    lower-cased first (the corpora of lecture 1 are lower-case).  For an
    empty or unknown word the list is empty and the message says why, with a
    few known words to try.
    """
    query = word.strip().lower()
    if not query:
        return [], "type a word"
    try:
        rows = list(neighbors(E, words, query, k))
    except KeyError:
        examples = ", ".join(list(words)[100:105])
        return [], f"{query!r} is not in this vocabulary ({len(words)} words); try e.g. {examples}"
    return rows, f"{len(rows)} nearest neighbours of {query!r}"


class NeighborExplorer(Explorer):
    """Type a word, pick a method, see its nearest neighbours (lecture 1).

    ``methods`` maps a method name to ``(E, words)``: its vectors ``(V, d)``
    and their words.  ``neighbors`` is the neighbour search (see
    :func:`neighbor_table`).  Controls: ``word`` (Text), ``method``
    (Dropdown), ``k`` (IntSlider); ``output`` (HTML) shows the table.
    :meth:`state` returns what is shown; setting a control's ``.value`` from
    code updates it, as typing does.
    """

    def __init__(self, methods: Mapping[str, tuple[np.ndarray, Sequence[str]]],
                 neighbors: NeighborFn, word: str = "music", k: int = 8):
        if not methods:
            raise ValueError("NeighborExplorer needs at least one method: {name: (E, words)}")
        for name, (E, words) in methods.items():
            if len(E) != len(words):
                raise ValueError(f"method {name!r}: {len(E)} vectors but {len(words)} words")
        self.methods = dict(methods)
        self.neighbors = neighbors
        self.word = widgets.Text(value=word, description="word", continuous_update=False)
        self.method = widgets.Dropdown(options=list(self.methods), description="method")
        self.k = widgets.IntSlider(value=k, min=1, max=20, description="neighbours")
        self.output = widgets.HTML()
        self._widget = widgets.VBox([widgets.HBox([self.word, self.method, self.k]),
                                     self.output])
        self.watch(self.word, self.method, self.k)
        self.update()

    def state(self) -> dict[str, Any]:
        """``{"word", "method", "k", "neighbors": [(word, cosine), ...], "message"}``."""
        E, words = self.methods[self.method.value]
        rows, message = neighbor_table(self.neighbors, E, words, self.word.value, self.k.value)
        return {"word": self.word.value, "method": self.method.value, "k": self.k.value,
                "neighbors": rows, "message": message}

    def html(self) -> str:
        """The HTML of the output area for the current state."""
        s = self.state()
        lines = [f"<p><b>{html.escape(s['method'])}</b>: {html.escape(s['message'])}</p>"]
        if s["neighbors"]:
            lines.append("<table><tr><th>#</th><th>word</th><th>cosine</th></tr>")
            for rank, (w, sim) in enumerate(s["neighbors"], start=1):
                lines.append(f"<tr><td>{rank}</td><td>{html.escape(w)}</td>"
                             f"<td>{sim:.3f}</td></tr>")
            lines.append("</table>")
        return "\n".join(lines)

    def update(self) -> None:
        self.output.value = self.html()
