"""What the browser test does with each lecture's widgets, by notebook name.

tests/test_browser.py opens every lecture in JupyterLab, runs all cells, checks
that no cell failed and that every widget view rendered, and then calls the
hook registered here under the notebook's file stem (if any).  A hook drives
the notebook's widgets as a reader would (move a slider, type a word, pick an
option) and checks that the view answers (the readout changes, the figure is
redrawn).  It takes screenshots of its steps with ``lab.screenshot("step")``.

To add one for a lecture: write ``def drive_<thing>(lab: LabPage) -> None``
with :class:`browser.widgets.WidgetDriver` (controls found by the label the
reader sees), and add it to :data:`HOOKS`.  Keep each one to a few seconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from browser.lab import LabPage
from browser.widgets import WidgetDriver, wait_until

_NUMBER = r"(-?\d+(?:\.\d+)?)"


def _readout_numbers(text: str) -> dict[str, float]:
    """The numbers of CosineExplorer's readout, by name."""
    found = {}
    for name, pattern in (("cosine", rf"cosine similarity\s+{_NUMBER}"),
                          ("angle", rf"angle\s+{_NUMBER}°"),
                          ("dot", rf"dot product\s+{_NUMBER}"),
                          ("length_a", rf"\|a\| = {_NUMBER}"),
                          ("length_b", rf"\|b\| = {_NUMBER}")):
        match = re.search(pattern, text)
        if match:
            found[name] = float(match.group(1))
    return found


def drive_cosine_explorer(lab: LabPage) -> None:
    """00_welcome: CosineExplorer's sliders move the readout and redraw the arrows."""
    w = WidgetDriver(lab.page)
    readout = w.html("cosine similarity")
    figure = w.output_image(0)
    start = _readout_numbers(w.text_of(readout))
    assert start.get("cosine") == 0.5 and start.get("angle") == 60.0, start  # the defaults
    src = figure.get_attribute("src")

    # Drag "length a" to the right: the dot product grows, the cosine stays.
    w.drag_slider("length a", 60)
    # The kernel answers each step of the drag; wait until it caught up with the slider.
    dragged = wait_until(
        lambda: (n := _readout_numbers(w.text_of(readout))).get("length_a")
        == float(w.slider_value("length a")) != start["length_a"] and n,
        message="the readout to follow the dragged 'length a' slider")
    assert dragged["length_a"] > start["length_a"], dragged
    assert dragged["cosine"] == start["cosine"] and dragged["dot"] > start["dot"], dragged
    src = w.wait_for_change(lambda: figure.get_attribute("src"), src,
                            what="the figure to be redrawn after the drag")
    lab.screenshot("cosine-explorer-dragged-length-a")

    # Type 90 into the readout of "angle b": orthogonal vectors, cosine and dot product 0.
    w.set_slider("angle b (°)", "90")
    w.wait_for_text(readout, r"cosine similarity\s+0\.000\b")
    turned = _readout_numbers(w.text_of(readout))
    assert turned["angle"] == 90.0 and turned["dot"] == 0.0, turned
    w.wait_for_change(lambda: figure.get_attribute("src"), src,
                      what="the figure to be redrawn after setting 'angle b'")
    lab.screenshot("cosine-explorer-angle-b-90")


def drive_neighbor_explorer(lab: LabPage) -> None:
    """01_word_embeddings: type a word into NeighborExplorer and see its neighbours."""
    w = WidgetDriver(lab.page).view_with("text", "word")
    table = w.html("nearest neighbours of")
    query = w.control("text", "word").locator("input").input_value()
    w.wait_for_text(table, rf"nearest neighbours of '{re.escape(query)}'")
    before = table.locator("td:nth-child(2)").all_inner_texts()
    assert before, f"no neighbours listed for {query!r}: {w.text_of(table)}"
    # A word of the list is in the vocabulary: ask for its neighbours.
    word = next(x for x in before if x != query)
    w.type_text("word", word)
    w.wait_for_text(table, rf"nearest neighbours of '{re.escape(word)}'")
    after = table.locator("td:nth-child(2)").all_inner_texts()
    assert after and after != before, (query, before, word, after)
    lab.screenshot(f"neighbour-explorer-{word}")


def drive_attention_viewer(lab: LabPage) -> None:
    """03_attention_seq2seq: step through the output and change the input; the map follows."""
    w = WidgetDriver(lab.page).view_with("slider", "output step")
    readout = w.html("output")
    figure = w.output_image(0)
    w.wait_for_text(readout, r"step 0\b")
    src = figure.get_attribute("src")
    if w.slider_max("output step") >= 1:
        w.set_slider("output step", "1")
        w.wait_for_text(readout, r"step 1\b")
        src = w.wait_for_change(lambda: figure.get_attribute("src"), src,
                                what="the attention map to frame step 1")
        lab.screenshot("attention-viewer-step-1")
    options = w.options("example")
    if len(options) > 1:
        output = w.text_of(readout)
        w.select("example", options[1])
        w.wait_for_change(lambda: w.text_of(readout), output,
                          what=f"the readout to decode {options[1]!r}")
        w.wait_for_change(lambda: figure.get_attribute("src"), src,
                          what=f"the attention map of {options[1]!r}")
        lab.screenshot("attention-viewer-other-example")


def drive_cluster_explorer(lab: LabPage) -> None:
    """02_documents_and_questions: change k, click a cluster, change the representation."""
    w = WidgetDriver(lab.page).view_with("slider", "k")
    readout = w.html("non-empty clusters")
    questions = w.scope.locator(".widget-html", has=lab.page.locator("ul")).first
    figure = w.output_image(0)
    start = w.wait_for_text(readout, r"k = (\d+)")
    k = int(re.search(r"k = (\d+)", start).group(1))
    src = figure.get_attribute("src")

    # A different k: the readout, the list of clusters and the map follow.
    new_k = k + 2 if k + 2 <= w.slider_max("k") else k - 1
    w.set_slider("k", str(new_k))
    w.wait_for_text(readout, rf"k = {new_k}:")
    src = w.wait_for_change(lambda: figure.get_attribute("src"), src,
                            what=f"the map to be redrawn for k = {new_k}")
    clusters = w.control("select", "clusters").locator("option")
    wait_until(lambda: clusters.count() >= 2, message="at least two clusters listed")
    lab.screenshot(f"cluster-explorer-k-{new_k}")

    # Click the second cluster of the list: its questions are listed and highlighted on the map.
    # options are not laid out (text_content, not inner_text); their spaces are &nbsp;
    label = clusters.nth(1).text_content().strip()
    chosen = re.match(r"cluster\s(\d+)", label).group(1)
    w.control("select", "clusters").locator("select").select_option(label=label)
    w.wait_for_text(questions, rf"^cluster {chosen}\b")
    assert questions.locator("li").count() >= 1, w.text_of(questions)
    src = w.wait_for_change(lambda: figure.get_attribute("src"), src,
                            what=f"the map to highlight cluster {chosen}")
    lab.screenshot(f"cluster-explorer-cluster-{chosen}")

    # Another representation: the readout names it and the map changes.
    options = w.options("representation")
    if len(options) > 1:
        w.select("representation", options[1])
        w.wait_for_text(readout, re.escape(options[1].replace("\xa0", " ")))
        w.wait_for_change(lambda: figure.get_attribute("src"), src,
                          what=f"the map of {options[1]!r}")
        lab.screenshot("cluster-explorer-other-representation")


def drive_trace_viewer(lab: LabPage) -> None:
    """04_reasoning: step through forward-chaining rounds, then through memory-network hops."""
    w = WidgetDriver(lab.page).view_with("slider", "round")
    readout = w.html("known after this round")
    figure = w.output_image(0)
    text = w.wait_for_text(readout, r"new in round \d+|given facts")
    src = figure.get_attribute("src")
    last = int(w.slider_max("round"))
    target = 0 if "new in round" in text else min(1, last)
    w.set_slider("round", str(target))
    w.wait_for_text(readout, "given facts" if target == 0 else rf"new in round {target}\b")
    w.wait_for_change(lambda: figure.get_attribute("src"), src,
                      what=f"the chart to outline round {target}")
    lab.screenshot(f"trace-viewer-round-{target}")

    # The hops live in the second tab of the combined viewer.
    tabs = lab.page.locator(".jupyter-widgets.widget-tab, .jupyter-widgets.lm-TabPanel").filter(
        has_text="memory-network hops").first
    tabs.get_by_text("memory-network hops", exact=True).click()
    # the hop viewer's own box (the tab panel also holds the chaining view and its figure)
    hops = WidgetDriver(lab.page, tabs.locator(".widget-vbox").filter(
        has=WidgetDriver(lab.page).slider("hop")).last)
    hop_readout = hops.html("most attention on")
    hop_figure = hops.output_image(0)
    before = hops.wait_for_text(hop_readout, r"hop \d+:")
    hop_src = wait_until(lambda: hop_figure.get_attribute("src"),
                         message="the attention chart of the hops tab")
    if hops.slider_max("hop") >= 2:
        hop = "2" if "hop 1:" in before else "1"
        hops.set_slider("hop", hop)
        hops.wait_for_text(hop_readout, rf"hop {hop}:")
        hop_src = hops.wait_for_change(lambda: hop_figure.get_attribute("src"), hop_src,
                                       what=f"the attention chart of hop {hop}")
        lab.screenshot(f"trace-viewer-hop-{hop}")
    question = hops.text_of(hop_readout).split("|")[0]
    current = int(hops.slider_value("example"))
    other = current + 1 if current + 1 <= hops.slider_max("example") else current - 1
    hops.set_slider("example", str(other))
    hops.wait_for_change(lambda: hops.text_of(hop_readout).split("|")[0], question,
                         what=f"the question of example {other}")
    hops.wait_for_change(lambda: hop_figure.get_attribute("src"), hop_src,
                         what=f"the attention chart of example {other}")
    lab.screenshot(f"trace-viewer-example-{other}")


#: notebook file stem -> hook (called after the notebook ran without errors).
HOOKS: dict[str, Callable[[LabPage], None]] = {
    "00_welcome": drive_cosine_explorer,
    "01_word_embeddings": drive_neighbor_explorer,
    "02_documents_and_questions": drive_cluster_explorer,
    "03_attention_seq2seq": drive_attention_viewer,
    "04_reasoning": drive_trace_viewer,
}
