"""Evaluation measures used by the lectures, built on SciPy and scikit-learn.

Problem sets ask students to implement some of these themselves (Spearman
evaluation with an out-of-vocabulary report, NMI); the lectures and tests use
the library versions here as the reference.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Container, Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "SimilarityResult",
    "adjusted_rand",
    "exact_match",
    "normalized_mutual_info",
    "retrieval_scores",
    "word_similarity_spearman",
]


@dataclass
class SimilarityResult:
    """Spearman correlation on the pairs a model covers, and what it could not score."""

    spearman: float
    pairs_used: int
    pairs_total: int
    oov: list[str]

    @property
    def coverage(self) -> float:
        return self.pairs_used / self.pairs_total if self.pairs_total else 0.0


def word_similarity_spearman(similarity: Callable[[str, str], float | None],
                             pairs: Iterable[tuple[str, str, float]],
                             vocab: Container[str] | None = None) -> SimilarityResult:
    """Spearman's rho between ``similarity(a, b)`` and human scores.

    ``similarity`` returns None (or raises KeyError) for a pair it cannot score
    (a word out of its vocabulary); such pairs are left out.  ``oov`` lists the
    words of those pairs that are not in ``vocab`` (both words of each
    unscored pair when no ``vocab`` is given).
    """
    from scipy.stats import spearmanr

    predicted, gold, oov, total = [], [], set(), 0
    for a, b, score in pairs:
        total += 1
        try:
            value = similarity(a, b)
        except KeyError:
            value = None
        if value is None or (isinstance(value, float) and math.isnan(value)):
            oov.update(w for w in (a, b) if vocab is None or w not in vocab)
            continue
        predicted.append(float(value))
        gold.append(float(score))
    rho = float(spearmanr(predicted, gold).statistic) if len(predicted) > 1 else math.nan
    return SimilarityResult(rho, len(predicted), total, sorted(oov))


def normalized_mutual_info(labels_true: Sequence[Hashable], labels_pred: Sequence[Hashable]
                           ) -> float:
    """NMI with the arithmetic mean normalisation (scikit-learn's default)."""
    from sklearn.metrics import normalized_mutual_info_score

    return float(normalized_mutual_info_score(labels_true, labels_pred))


def adjusted_rand(labels_true: Sequence[Hashable], labels_pred: Sequence[Hashable]) -> float:
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(labels_true, labels_pred))


def retrieval_scores(rankings: Sequence[Sequence[Hashable]],
                     relevant: Sequence[Hashable | set], ks: Sequence[int] = (1, 5)
                     ) -> dict[str, float]:
    """P@1, MRR and recall@k of ranked results.

    ``rankings[i]`` is the ranked list of ids returned for query ``i``;
    ``relevant[i]`` the relevant id (or a set of them).
    """
    if len(rankings) != len(relevant):
        raise ValueError(f"{len(rankings)} rankings but {len(relevant)} relevance entries")
    if not rankings:
        raise ValueError("no queries to score")
    reciprocal, hits = [], {k: [] for k in ks}
    for ranked, rel in zip(rankings, relevant, strict=True):
        rel_set = rel if isinstance(rel, set) else {rel}
        rank = next((i + 1 for i, item in enumerate(ranked) if item in rel_set), None)
        reciprocal.append(1.0 / rank if rank else 0.0)
        for k in ks:
            hits[k].append(1.0 if rank is not None and rank <= k else 0.0)
    scores = {"MRR": float(np.mean(reciprocal))}
    scores["P@1"] = float(np.mean([1.0 if r == 1.0 else 0.0 for r in reciprocal]))
    for k in ks:
        scores[f"recall@{k}"] = float(np.mean(hits[k]))
    return scores


def exact_match(predictions: Sequence, references: Sequence) -> float:
    """Fraction of predictions equal to their reference."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions but {len(references)} references")
    if not predictions:
        raise ValueError("no predictions to score")
    return float(np.mean([p == r for p, r in zip(predictions, references, strict=True)]))
