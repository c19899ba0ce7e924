"""Widgets of lecture 3 (sequence-to-sequence with attention). Everything public is in __all__.

:class:`AttentionViewer` steps through the decoding of one input: choose an
example or type a date, move the slider over the output tokens, and see the
attention row of each output token (which input characters the decoder
looked at while writing it) next to the whole attention map.

Like every widget of the course it is a small class over plain functions:
the decoding is the ``translate`` function it is given (in the lecture,
:func:`course.seq2seq.translate` with the trained model and the reference
``greedy_decode``), and :meth:`AttentionViewer.state` returns what the
readout shows, so code (and the tests) can drive it without a browser.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from course.widgets.base import Explorer

if TYPE_CHECKING:  # course.seq2seq imports torch; load it only when a viewer draws
    from course.seq2seq import Translation

__all__ = ["AttentionViewer", "attention_row_summary"]


def attention_row_summary(translation: Translation, step: int, top: int = 3
                          ) -> list[tuple[int, str, float]]:
    """The ``top`` source positions the decoder attended to most at output ``step``.

    Returns ``(position, source token, weight)`` triples, largest weight
    first. Used by :class:`AttentionViewer` and lecture 3.
    """
    if not 0 <= step < len(translation.output_tokens):
        last = len(translation.output_tokens) - 1
        raise IndexError(f"step {step} is outside the output (0..{last})")
    row = np.asarray(translation.weights[step], dtype=float)                # (src_len,)
    order = np.argsort(-row, kind="stable")[:top]
    return [(int(j), translation.source_tokens[j], float(row[j])) for j in order]


def _show(token: str) -> str:
    return "␣" if token == " " else token


class AttentionViewer(Explorer):
    """Decode an input and step through its output, one attention row at a time.

    Used by lecture 3. ``translate(text) -> Translation`` decodes a text
    (raising ``ValueError`` for an empty one); ``examples`` fill the drop-down.
    Controls: ``example`` (Dropdown), ``text`` (Text: type and press Enter),
    ``step`` (IntSlider over the output tokens); ``readout`` (HTML) and
    ``plot`` (Output) show the result. Setting a control's ``.value`` from
    code updates everything, as using it by hand does.
    """

    def __init__(self, translate: Callable[[str], Translation], examples: Sequence[str],
                 text: str | None = None) -> None:
        if not examples and text is None:
            raise ValueError("give at least one example or a text to start from")
        self._translate = translate
        self.translation: Translation | None = None
        self.error = ""
        self._decoding = False
        start = text if text is not None else examples[0]
        self.example = widgets.Dropdown(options=list(examples), description="example",
                                        value=start if start in examples else None,
                                        style={"description_width": "initial"})
        self.text = widgets.Text(value=start, description="or type an input",
                                 continuous_update=False, style={"description_width": "initial"},
                                 layout=widgets.Layout(width="420px"))
        self.step = widgets.IntSlider(value=0, min=0, max=0, description="output step",
                                      style={"description_width": "initial"})
        self.readout = widgets.HTML()
        self.plot = widgets.Output()
        self._widget = widgets.VBox([widgets.HBox([self.example, self.text]), self.step,
                                     self.readout, self.plot])
        self.example.observe(self._on_example, names="value")
        self.text.observe(self._on_text, names="value")
        self.step.observe(self._on_step, names="value")
        self._decode()

    # -- logic -----------------------------------------------------------------------
    def _decode(self) -> None:
        """Translate the current text; reset the slider to the first output token."""
        try:
            self.translation = self._translate(self.text.value)
            self.error = ""
        except ValueError as error:
            self.translation, self.error = None, str(error)
        last = len(self.translation.output_tokens) - 1 if self.translation else 0
        self._decoding = True          # the slider's callback would redraw twice; update once
        try:
            self.step.value = 0
            self.step.max = max(last, 0)
        finally:
            self._decoding = False
        self.update()

    def state(self) -> dict[str, Any]:
        """What the viewer shows now.

        Keys: ``text``, ``output`` (the decoded string), ``source_tokens``,
        ``output_tokens``, ``step``, ``token`` (the output token at the step),
        ``weights`` (its attention row, an array over the source tokens),
        ``top`` (:func:`attention_row_summary`), ``unknown`` (input tokens the
        model does not know) and ``error`` (empty unless the input could not
        be decoded).
        """
        t = self.translation
        if t is None:
            return {"text": self.text.value, "output": "", "source_tokens": [],
                    "output_tokens": [], "step": 0, "token": None,
                    "weights": np.zeros(0), "top": [], "unknown": [], "error": self.error}
        step = min(self.step.value, len(t.output_tokens) - 1)
        return {"text": t.text, "output": t.output, "source_tokens": list(t.source_tokens),
                "output_tokens": list(t.output_tokens), "step": step,
                "token": t.output_tokens[step], "weights": np.asarray(t.weights[step]),
                "top": attention_row_summary(t, step), "unknown": list(t.unknown),
                "error": ""}

    def readout_html(self) -> str:
        """The text of the readout for the current state."""
        s = self.state()
        if s["error"]:
            return f"<b>cannot decode:</b> {html.escape(s['error'])}"
        top = ", ".join(f"{html.escape(_show(tok))!s} at {pos} ({w:.2f})"
                        for pos, tok, w in s["top"])
        parts = [f"<b>output</b> {html.escape(s['output'])!s}",
                 f"<b>step {s['step']}</b> writes {html.escape(_show(s['token']))}; "
                 f"it looks most at {top}"]
        if s["unknown"]:
            unknown = ", ".join(repr(u) for u in dict.fromkeys(s["unknown"]))
            parts.append(f"<b>unknown to the model</b> (read as &lt;unk&gt;): "
                         f"{html.escape(unknown)}")
        return " &nbsp;|&nbsp; ".join(parts)

    def figure(self) -> Figure:
        """The attention map with the current step framed, and that step's row as bars."""
        from course.seq2seq import plot_attention

        s = self.state()
        t = self.translation
        fig, (ax_map, ax_row) = plt.subplots(2, 1, figsize=(max(6.0, 0.32 * len(s["source_tokens"])
                                                                + 2.0), 6.5),
                                             gridspec_kw={"height_ratios": [3, 1.2]})
        plot_attention(t, ax=ax_map, highlight=s["step"],
                       title=f"attention while decoding {t.text!r}")
        positions = np.arange(len(s["source_tokens"]))
        ax_row.bar(positions, s["weights"], color="#0072B2")
        ax_row.set_xticks(positions)
        ax_row.set_xticklabels([_show(tok) for tok in s["source_tokens"]])
        ax_row.set_ylim(0.0, 1.0)
        ax_row.set_xlabel("source token (input)")
        ax_row.set_ylabel("weight")
        ax_row.set_title(f"step {s['step']}: attention while writing {_show(s['token'])!r}")
        return fig

    def update(self) -> None:
        """Refresh the readout and, inside a kernel, redraw the figure."""
        self.readout.value = self.readout_html()
        self.draw(show=self.translation is not None)

    # -- callbacks ---------------------------------------------------------------------
    def _on_example(self, change: dict[str, Any]) -> None:
        if change["new"] is not None and change["new"] != self.text.value:
            self.text.value = change["new"]          # triggers _on_text

    def _on_text(self, change: dict[str, Any]) -> None:
        if self.example.value is not None and self.example.value != change["new"]:
            self.example.value = None                # a typed input is not one of the examples
        self._decode()

    def _on_step(self, change: dict[str, Any]) -> None:
        if not self._decoding:
            self.update()
