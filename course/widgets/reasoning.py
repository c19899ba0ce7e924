"""Widgets of lecture 4 (reasoning): step through forward-chaining rounds and memory-network hops.

Three explorers, each a small class over plain functions (as in
:mod:`course.widgets.basics`): set a control's ``.value`` from code and read
:meth:`state`, so the lecture works headless; the figures are drawn only
inside a Jupyter kernel.

* :class:`ChainingTraceViewer` – the facts derived in each round of forward
  chaining, by predicate.
* :class:`HopViewer` – a memory network's attention over the sentences of a
  story, hop by hop, next to the true supporting facts.
* :class:`TraceViewer` – both in one tabbed widget.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from course.data.reasoning import format_atom
from course.plot import OKABE_ITO, new_axes
from course.widgets.base import Explorer

__all__ = [
    "ChainingTraceViewer",
    "HopViewer",
    "TraceViewer",
    "NIL_LABEL",
    "attention_over_story",
    "facts_in_round",
    "nil_attention",
]

ALL = "(all predicates)"


class _Viewer(Explorer):
    """Shared plumbing of the two trace viewers: a readout, a figure, and :meth:`hold`."""

    readout: widgets.HTML
    plot: widgets.Output
    _held = False

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Change several controls from code and redraw once, at the end::

            with viewer.hold():
                viewer.round.value = 3
                print(viewer.state())
        """
        self._held = True
        try:
            yield
        finally:
            self._held = False
            self.update()

    def readout_html(self) -> str:
        raise NotImplementedError

    def figure(self) -> Figure:
        raise NotImplementedError

    def update(self) -> None:
        """Recompute the readout and redraw the figure from the controls."""
        self.readout.value = self.readout_html()
        if not self._held:
            self.draw()


def facts_in_round(given: Iterable[tuple], rounds: Sequence[Iterable[tuple]], round_: int,
                   predicate: str | None = None) -> list[tuple]:
    """The facts of one round, sorted: round 0 = the given facts, round r = derived in round r.

    Used by :class:`ChainingTraceViewer` (lecture 04_reasoning).  With
    ``predicate`` only the facts of that predicate.
    """
    if not 0 <= round_ <= len(rounds):
        raise ValueError(f"round {round_} does not exist: there are {len(rounds)} rounds "
                         "(0 = the given facts)")
    facts = given if round_ == 0 else rounds[round_ - 1]
    return sorted(f for f in facts if predicate in (None, ALL) or f[0] == predicate)


#: How the viewers name the ``<nil>`` memory (``course.reasoning.NIL``): the
#: empty sentence a hop attends to when nothing in the story fits.
NIL_LABEL = "(nothing: the <nil> memory)"


def attention_over_story(data: Any, attention: Any, example: int, hop: int
                         ) -> list[tuple[int, str, float, bool]]:
    """``(position, sentence, weight, supporting)`` for each story sentence, oldest first.

    Used by :class:`HopViewer` (lecture 04_reasoning).  ``data`` is a
    :class:`course.reasoning.BabiTensors` (slot ``n`` holds story position
    ``data.positions[e][n]``), ``attention`` an array ``(E, K, N)``; ``hop``
    counts from 1.  The weight on the ``<nil>`` memory, if the data has one,
    is :func:`nil_attention`; the rows here and it sum to 1.
    """
    att = np.asarray(attention)
    if not 1 <= hop <= att.shape[1]:
        raise ValueError(f"hop {hop} does not exist: the model has {att.shape[1]} hops")
    ex = data.examples[example]
    supporting = set(ex.supporting_positions)
    weights = {pos: float(att[example, hop - 1, n])
               for n, pos in enumerate(data.positions[example]) if pos >= 0}
    return [(pos, text, weights.get(pos, 0.0), pos in supporting)
            for pos, text in enumerate(ex.story)]


def nil_attention(data: Any, attention: Any, example: int, hop: int) -> float:
    """The attention weight of hop ``hop`` on the ``<nil>`` memory (0 when there is none)."""
    slot = getattr(data, "nil_slot", None)
    if slot is None:
        return 0.0
    return float(np.asarray(attention)[example, hop - 1, slot])


class ChainingTraceViewer(_Viewer):
    """Step through the rounds of forward chaining: which facts each round derived.

    Used by lecture 04_reasoning.  ``given`` are the initial facts,
    ``rounds`` the list of sets returned by ``forward_chain_naive`` or
    ``forward_chain_seminaive``.  Controls: ``round`` (0 = given facts) and
    ``predicate`` (a filter); :meth:`state` returns what the readout shows.
    """

    max_listed = 40

    def __init__(self, given: Iterable[tuple], rounds: Sequence[Iterable[tuple]],
                 round_: int = 1) -> None:
        self.given = set(given)
        self.rounds = [set(r) for r in rounds]
        predicates = sorted({f[0] for f in self.given} | {f[0] for r in self.rounds for f in r})
        self.round = widgets.IntSlider(value=min(round_, len(self.rounds)), min=0,
                                       max=len(self.rounds), description="round",
                                       style={"description_width": "initial"})
        self.predicate = widgets.Dropdown(options=[ALL, *predicates], value=ALL,
                                          description="predicate")
        self.readout = widgets.HTML()
        self.plot = widgets.Output()
        self._widget = widgets.VBox([widgets.HBox([self.round, self.predicate]), self.readout,
                                     self.plot])
        self.watch(self.round, self.predicate)
        self.update()

    def state(self) -> dict[str, Any]:
        """Keys: ``round``, ``facts`` (formatted, sorted), ``num_facts``, ``known_after``
        (facts known at the end of this round), ``by_predicate`` (counts in this round)."""
        r = self.round.value
        facts = facts_in_round(self.given, self.rounds, r, self.predicate.value)
        all_in_round = facts_in_round(self.given, self.rounds, r)
        known = len(self.given) + sum(len(x) for x in self.rounds[:r])
        return {"round": r, "facts": [format_atom(f) for f in facts], "num_facts": len(facts),
                "known_after": known,
                "by_predicate": dict(sorted(Counter(f[0] for f in all_in_round).items()))}

    def readout_html(self) -> str:
        s = self.state()
        what = "given facts" if s["round"] == 0 else f"new in round {s['round']}"
        listed = ", ".join(s["facts"][:self.max_listed])
        more = f" … and {s['num_facts'] - self.max_listed} more" \
            if s["num_facts"] > self.max_listed else ""
        return (f"<b>{s['num_facts']} {what}</b> ({s['known_after']} known after this round)"
                f"<br><small>{listed}{more}</small>")

    def figure(self) -> Figure:
        """New facts per round, stacked by predicate; the current round is outlined."""
        counts = [Counter(f[0] for f in r) for r in self.rounds]
        predicates = sorted({p for c in counts for p in c})
        fig, ax = new_axes("Facts derived per round of forward chaining", "round",
                           "new facts", figsize=(6.0, 3.5))
        xs = np.arange(1, len(self.rounds) + 1)
        bottom = np.zeros(len(xs))
        for i, p in enumerate(predicates):
            heights = np.array([c.get(p, 0) for c in counts], dtype=float)
            ax.bar(xs, heights, bottom=bottom, label=p, color=OKABE_ITO[1:][i % 7])
            bottom += heights
        if self.round.value > 0:
            r = self.round.value
            ax.bar([r], [bottom[r - 1]], fill=False, edgecolor="black", linewidth=2)
        ax.set_xticks(xs)
        if predicates:
            ax.legend(fontsize=8, ncols=2)
        return fig



class HopViewer(_Viewer):
    """Step through a memory network's hops: attention over a story's sentences.

    Used by lecture 04_reasoning.  ``data`` is a
    :class:`course.reasoning.BabiTensors`, ``attention`` the model's attention
    ``(E, K, N)`` on it, ``predictions`` (optional) the predicted answer words.
    Controls: ``example`` and ``hop``; :meth:`state` returns the question, the
    answers, the sentences with their weights, the weight on the ``<nil>``
    memory and whether the most attended sentence is a supporting fact.
    """

    def __init__(self, data: Any, attention: Any, predictions: Sequence[str] | None = None,
                 example: int = 0, hop: int = 1) -> None:
        self.data = data
        self.attention = np.asarray(attention)
        self.predictions = list(predictions) if predictions is not None else None
        self.example = widgets.IntSlider(value=example, min=0, max=len(data.examples) - 1,
                                         description="example")
        self.hop = widgets.IntSlider(value=hop, min=1, max=self.attention.shape[1],
                                     description="hop")
        self.readout = widgets.HTML()
        self.plot = widgets.Output()
        self._widget = widgets.VBox([widgets.HBox([self.example, self.hop]), self.readout,
                                     self.plot])
        self.watch(self.example, self.hop)
        self.update()

    def state(self) -> dict[str, Any]:
        """Keys: ``question``, ``answer``, ``predicted``, ``hop``, ``sentences`` (list of
        ``(position, text, weight, supporting)``), ``nothing`` (the weight on the
        ``<nil>`` memory), ``top`` (text of the most attended sentence, or
        :data:`NIL_LABEL`) and ``top_is_supporting``."""
        e, hop = self.example.value, self.hop.value
        ex = self.data.examples[e]
        rows = attention_over_story(self.data, self.attention, e, hop)
        nothing = nil_attention(self.data, self.attention, e, hop)
        top = max(rows, key=lambda row: row[2]) if rows else None
        if top is None or nothing > top[2]:
            top = (-1, NIL_LABEL, nothing, False)
        return {"question": ex.question, "answer": ex.answer,
                "predicted": self.predictions[e] if self.predictions else None,
                "hop": hop, "sentences": rows, "nothing": nothing, "top": top[1],
                "top_is_supporting": bool(top[3])}

    def readout_html(self) -> str:
        s = self.state()
        predicted = ("" if s["predicted"] is None
                     else f" &nbsp;|&nbsp; <b>model</b> {s['predicted']}")
        mark = "a supporting fact" if s["top_is_supporting"] else "not a supporting fact"
        return (f"<b>{s['question']}</b> &nbsp;|&nbsp; <b>answer</b> {s['answer']}{predicted}"
                f"<br>hop {s['hop']}: most attention on “{html.escape(s['top'])}” ({mark})")

    def figure(self) -> Figure:
        """Attention of the current hop over the story, supporting facts in orange."""
        s = self.state()
        rows = [(pos + 1, text, w, sup) for pos, text, w, sup in s["sentences"]]
        if getattr(self.data, "nil_slot", None) is not None:
            rows.append((None, NIL_LABEL, s["nothing"], False))
        fig, ax = new_axes(f"Hop {s['hop']}: {s['question']}", "attention weight",
                           "story sentence (oldest first)",
                           figsize=(6.5, 0.35 * len(rows) + 1.5))
        y = np.arange(len(rows))
        colors = [OKABE_ITO[6] if sup else OKABE_ITO[5] for _, _, _, sup in rows]
        ax.barh(y, [w for _, _, w, _ in rows], color=colors)
        ax.set_yticks(y, [text if number is None else f"{number}. {text}"
                          for number, text, _, _ in rows], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.text(0.98, 0.02, "orange: supporting fact", transform=ax.transAxes, ha="right",
                fontsize=8)
        return fig


class TraceViewer(Explorer):
    """Both traces in one widget: a tab for forward-chaining rounds, a tab for hops.

    Used by lecture 04_reasoning: ``TraceViewer(chaining, hops)`` with a
    :class:`ChainingTraceViewer` and a :class:`HopViewer`; drive each part
    through ``.chaining`` and ``.hops``.
    """

    def __init__(self, chaining: ChainingTraceViewer, hops: HopViewer) -> None:
        self.chaining = chaining
        self.hops = hops
        self._widget = widgets.Tab(children=[chaining.widget, hops.widget])
        self._widget.titles = ("forward chaining", "memory-network hops")

    def state(self) -> dict[str, Any]:
        return {"chaining": self.chaining.state(), "hops": self.hops.state()}
