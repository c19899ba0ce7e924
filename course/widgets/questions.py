"""Widgets of lecture 2 (documents and questions): the cluster explorer.

:class:`ClusterExplorer` lets a reader choose a representation of the
questions (TF-IDF, SIF, PV-DBOW, ...) and a number of clusters ``k``, shows
the clusters on a 2-D map (the first two principal components) and lists the
questions of the cluster clicked in the list.  As every widget of the course,
it is a small class over plain functions: set a control's ``.value`` and read
:meth:`ClusterExplorer.state`; drawing happens only inside a Jupyter kernel.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from course.plot import OKABE_ITO, new_axes
from course.questions import dense_unit_rows, pca_2d
from course.widgets.base import Explorer

__all__ = ["ClusterExplorer", "describe_clusters"]

ClusterFn = Callable[[np.ndarray, int, int], np.ndarray]


def describe_clusters(labels: Sequence[int], categories: Sequence[Hashable] | None = None
                      ) -> list[dict[str, Any]]:
    """One summary per cluster, largest first: id, size, and the most common category.

    Used by :class:`ClusterExplorer` (lecture 02) for the list of clusters.
    Keys: ``cluster``, ``size``, ``members`` (indices), and with
    ``categories`` also ``top_category`` and ``purity`` (its share of the cluster).
    """
    labels = np.asarray(labels)
    if categories is not None and len(categories) != len(labels):
        raise ValueError(f"{len(labels)} labels but {len(categories)} categories")
    out = []
    for cluster in np.unique(labels):
        members = np.flatnonzero(labels == cluster)
        item: dict[str, Any] = {"cluster": int(cluster), "size": len(members),
                                "members": members.tolist()}
        if categories is not None:
            top, count = Counter(categories[i] for i in members).most_common(1)[0]
            item["top_category"], item["purity"] = top, count / len(members)
        out.append(item)
    return sorted(out, key=lambda item: (-item["size"], item["cluster"]))


class ClusterExplorer(Explorer):
    """Choose a representation and k, see the clusters on a 2-D map, click one to read it.

    Used by lecture 02.  ``representations`` maps a name to a matrix with one
    row per text (dense or sparse); ``texts`` are the questions;
    ``cluster(X_unit, k, seed)`` returns labels ``(n,)`` (the lecture passes
    k-means++ and Lloyd from the problem set); with ``categories`` the
    explorer also shows the NMI of the clustering computed by ``nmi``.

    Controls: ``representation`` (Dropdown), ``k`` (IntSlider) and
    ``cluster_list`` (Select: click a cluster to list its questions and
    highlight it on the map).  :meth:`state` returns what is shown.
    Clusterings are cached per (representation, k), so moving back is instant.
    """

    def __init__(self, representations: dict[str, Any], texts: Sequence[str], cluster: ClusterFn,
                 categories: Sequence[Hashable] | None = None,
                 nmi: Callable[[Any, Any], float] | None = None, k: int = 8, max_k: int = 30,
                 seed: int = 0, max_listed: int = 25):
        if not representations:
            raise ValueError("give at least one representation")
        self.texts = list(texts)
        self.categories = list(categories) if categories is not None else None
        self._vectors = {}
        for name, X in representations.items():
            V = dense_unit_rows(X)
            if len(V) != len(self.texts):
                raise ValueError(f"representation {name!r} has {len(V)} rows for "
                                 f"{len(self.texts)} texts")
            self._vectors[name] = V
        if not 2 <= k <= max_k:
            raise ValueError(f"k must be between 2 and max_k={max_k}, got {k}")
        if max_k > len(self.texts):
            raise ValueError(f"max_k={max_k} exceeds the number of texts ({len(self.texts)})")
        self._cluster, self._nmi, self.seed, self.max_listed = cluster, nmi, seed, max_listed
        self._cache: dict[tuple[str, int], np.ndarray] = {}
        self._maps: dict[str, np.ndarray] = {}
        self._quiet = False

        self.representation = widgets.Dropdown(options=list(representations),
                                               description="representation",
                                               style={"description_width": "initial"})
        self.k = widgets.IntSlider(value=k, min=2, max=max_k, description="k",
                                   continuous_update=False)
        self.cluster_list = widgets.Select(options=[], rows=10, description="clusters",
                                           layout={"width": "360px"})
        self.readout = widgets.HTML()
        self.questions = widgets.HTML()
        self.plot = widgets.Output()
        self._widget = widgets.VBox([
            widgets.HBox([self.representation, self.k]),
            self.readout,
            widgets.HBox([self.plot, widgets.VBox([self.cluster_list, self.questions])]),
        ])
        self.representation.observe(self._on_clustering_change, names="value")
        self.k.observe(self._on_clustering_change, names="value")
        self.cluster_list.observe(self._on_select, names="value")
        self._recluster()

    # -- logic --------------------------------------------------------------------------
    def labels(self) -> np.ndarray:
        """Cluster labels ``(n,)`` for the current representation and k (cached)."""
        key = (self.representation.value, int(self.k.value))
        if key not in self._cache:
            labels = np.asarray(self._cluster(self._vectors[key[0]], key[1], self.seed))
            if labels.shape != (len(self.texts),):
                raise ValueError(f"the cluster function returned shape {labels.shape}, "
                                 f"expected ({len(self.texts)},)")
            self._cache[key] = labels
        return self._cache[key]

    def map_2d(self) -> np.ndarray:
        """The 2-D map ``(n, 2)`` of the current representation (first two principal components)."""
        name = self.representation.value
        if name not in self._maps:
            self._maps[name] = pca_2d(self._vectors[name])
        return self._maps[name]

    def state(self) -> dict[str, Any]:
        """What the explorer shows.

        Keys: ``representation``, ``k``, ``labels`` (n,), ``clusters`` (from
        :func:`describe_clusters`), ``selected`` (cluster id or None),
        ``questions`` (texts of the selected cluster) and ``nmi`` (None
        without categories).
        """
        labels = self.labels()
        selected = self.cluster_list.value
        members = [] if selected is None else np.flatnonzero(labels == selected).tolist()
        nmi = None
        if self.categories is not None and self._nmi is not None:
            nmi = float(self._nmi(self.categories, labels))
        return {
            "representation": self.representation.value,
            "k": int(self.k.value),
            "labels": labels,
            "clusters": describe_clusters(labels, self.categories),
            "selected": selected,
            "questions": [self.texts[i] for i in members],
            "nmi": nmi,
        }

    def _option(self, item: dict[str, Any]) -> tuple[str, int]:
        text = f"cluster {item['cluster']}: {item['size']} questions"
        if "top_category" in item:
            text += f", {item['purity']:.0%} {item['top_category']}"
        return text, item["cluster"]

    def _recluster(self) -> None:
        labels = self.labels()
        options = [self._option(item) for item in describe_clusters(labels, self.categories)]
        # The largest cluster is selected first; one redraw at the end, not one per change.
        self._quiet = True
        try:
            self.cluster_list.options = options
            self.cluster_list.value = options[0][1] if options else None
        finally:
            self._quiet = False
        self.update()

    def readout_html(self) -> str:
        s = self.state()
        text = (f"<b>{html.escape(s['representation'])}</b>, k = {s['k']}: "
                f"{len(s['clusters'])} non-empty clusters of {len(self.texts)} questions")
        if s["nmi"] is not None:
            text += f" &nbsp;|&nbsp; <b>NMI</b> with the categories {s['nmi']:.3f}"
        return text

    def questions_html(self) -> str:
        s = self.state()
        if s["selected"] is None:
            return "<i>click a cluster in the list</i>"
        shown = s["questions"][: self.max_listed]
        items = "".join(f"<li>{html.escape(q)}</li>" for q in shown)
        more = len(s["questions"]) - len(shown)
        tail = f"<i>... and {more} more</i>" if more > 0 else ""
        return f"<b>cluster {s['selected']}</b><ul>{items}</ul>{tail}"

    def figure(self) -> Figure:
        """The 2-D map: every question a dot coloured by cluster, the selected cluster on top."""
        s = self.state()
        xy = self.map_2d()
        fig, ax = new_axes(f"{s['representation']}: k = {s['k']} clusters",
                           "first principal component", "second principal component",
                           figsize=(5.5, 4.5))
        labels = s["labels"]
        ax.scatter(xy[:, 0], xy[:, 1], c=labels, cmap="viridis", s=10, alpha=0.35,
                   linewidths=0)
        if s["selected"] is not None:
            chosen = labels == s["selected"]
            ax.scatter(xy[chosen, 0], xy[chosen, 1], s=28, color=OKABE_ITO[6],
                       edgecolors="black", linewidths=0.5, label=f"cluster {s['selected']}")
            ax.legend(loc="best")
        return fig

    def update(self) -> None:
        self.readout.value = self.readout_html()
        self.questions.value = self.questions_html()
        self.draw()

    def _on_clustering_change(self, change: dict[str, Any]) -> None:
        self._recluster()

    def _on_select(self, change: dict[str, Any]) -> None:
        if not self._quiet:
            self.update()
