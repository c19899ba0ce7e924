"""Driving ipywidgets 8 in JupyterLab from Playwright, as a reader does.

Controls are found by their ``description`` (the label the reader sees), inside
a *scope*: the whole page, or one widget's output area
(:meth:`WidgetDriver.nth_view`) when a notebook shows several explorers with
the same labels.  Every change goes through the browser (typing, clicking,
dragging); the checks read what the page shows.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

#: An output area of JupyterLab that holds a rendered widget view.
WIDGET_VIEW = ".jp-OutputArea-output:has(> .jupyter-widgets)"

# Counts what the widget renderer shows in every output area: views rendered,
# views that failed ("Error displaying widget...") or are still loading.
JS_WIDGET_VIEWS = """
() => {
  const outputs = Array.from(document.querySelectorAll('.jp-OutputArea-output'));
  const text = (e) => (e.textContent || '').trim();
  return {
    rendered: outputs.filter(e => Array.from(e.children).some(
        c => c.classList.contains('jupyter-widgets'))).length,
    errors: outputs.filter(e => text(e).startsWith('Error displaying widget'))
                   .map(e => text(e).slice(0, 200)),
    loading: outputs.filter(e => text(e) === 'Loading widget...').length,
  };
}
"""


def wait_until(predicate: Callable[[], object], timeout: float = 15.0, interval: float = 0.2,
               message: str = "condition") -> object:
    """Poll ``predicate`` until it returns something truthy; AssertionError on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {message}")
        time.sleep(interval)


class WidgetDriver:
    """Find and operate the controls of ipywidgets views within ``scope``."""

    def __init__(self, page, scope=None) -> None:
        self.page = page
        self.scope = scope if scope is not None else page

    def nth_view(self, index: int) -> WidgetDriver:
        """A driver limited to the ``index``-th rendered widget view of the notebook."""
        return WidgetDriver(self.page, self.page.locator(WIDGET_VIEW).nth(index))

    def view_with(self, kind: str, label: str) -> WidgetDriver:
        """A driver limited to the first widget view that has this control."""
        view = self.page.locator(WIDGET_VIEW).filter(has=self.control(kind, label)).first
        return WidgetDriver(self.page, view)

    # ------------------------------------------------------------------ finding controls
    def control(self, kind: str, label: str):
        """The control of class ``widget-<kind>`` whose description is ``label``."""
        exact = re.compile(rf"^\s*{re.escape(label)}\s*$")
        return self.scope.locator(f".widget-{kind}").filter(
            has=self.page.locator(".widget-label", has_text=exact)).first

    def slider(self, label: str):
        return self.control("slider", label)

    def slider_max(self, label: str) -> float:
        return float(self.slider(label).locator(".noUi-handle").get_attribute("aria-valuemax"))

    def options(self, label: str) -> list[str]:
        """The options of a Dropdown widget."""
        return self.control("dropdown", label).locator("option").all_inner_texts()

    def html(self, containing: str):
        """An HTML/Label widget whose text contains ``containing``."""
        return self.scope.locator(".widget-html, .widget-label-basic, .widget-htmlmath",
                                  has_text=containing).first

    def output_image(self, index: int = 0):
        """The ``index``-th image drawn in an Output widget (a matplotlib figure)."""
        return self.scope.locator(".widget-output img").nth(index)

    # ------------------------------------------------------------------ acting
    def set_slider(self, label: str, value: str) -> None:
        """Type ``value`` into the slider's readout and press Enter (as a reader can)."""
        readout = self.slider(label).locator(".widget-readout")
        readout.scroll_into_view_if_needed()
        readout.click()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(str(value))
        self.page.keyboard.press("Enter")

    def drag_slider(self, label: str, dx: float) -> None:
        """Drag the slider's handle ``dx`` pixels to the right (negative: left)."""
        handle = self.slider(label).locator(".noUi-handle")
        handle.scroll_into_view_if_needed()
        box = handle.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        self.page.mouse.move(x, y)
        self.page.mouse.down()
        self.page.mouse.move(x + dx, y, steps=8)
        self.page.mouse.up()

    def slider_value(self, label: str) -> str:
        return self.slider(label).locator(".widget-readout").inner_text().strip()

    def type_text(self, label: str, text: str, submit: bool = True) -> None:
        """Replace the text of a Text widget (found by its label); Enter submits it."""
        box = self.control("text", label).locator("input")
        box.scroll_into_view_if_needed()
        box.fill(text)
        if submit:
            box.press("Enter")

    def select(self, label: str, option: str) -> None:
        """Choose ``option`` in a Dropdown widget (found by its label)."""
        self.control("dropdown", label).locator("select").select_option(label=option)

    def click_button(self, text: str) -> None:
        self.scope.locator("button.widget-button, .widget-button", has_text=text).first.click()

    # ------------------------------------------------------------------ checking
    def text_of(self, locator) -> str:
        # Non-breaking spaces (HTML &nbsp;) read as plain spaces.
        return locator.inner_text().replace("\xa0", " ")

    def wait_for_text(self, locator, pattern: str, timeout: float = 15.0) -> str:
        """Wait until ``locator``'s text matches the regular expression ``pattern``."""
        regex = re.compile(pattern)
        return wait_until(lambda: (t := self.text_of(locator)) and regex.search(t) and t,
                          timeout, message=f"text matching {pattern!r}")

    def wait_for_change(self, read: Callable[[], object], before: object,
                        timeout: float = 15.0, what: str = "a change") -> object:
        """Wait until ``read()`` returns something other than ``before``; return it."""
        result = {}

        def changed():
            result["value"] = read()
            return result["value"] != before

        wait_until(changed, timeout, message=what)
        return result["value"]
