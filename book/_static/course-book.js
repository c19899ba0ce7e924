// The self-study edition is static: an interactive widget needs a running kernel.
// Put a short note where each widget would be (the widget embedding scripts are
// not loaded, so that the pages read offline).
document.addEventListener("DOMContentLoaded", () => {
  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
  views.forEach((view) => {
    const note = document.createElement("div");
    note.className = "course-widget-note";
    note.textContent =
      "Interactive widget: it needs a running kernel. Open this notebook in JupyterLab " +
      "(make lab) to use it; the cells below print the same numbers.";
    view.parentNode.insertBefore(note, view);
  });
});
