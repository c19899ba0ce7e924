"""Lecture helpers of module 1: word embeddings and latent tree models (not graded).

Used by ``notebooks/01_word_embeddings.ipynb``, the ungraded demo of
``ps1_embeddings``, ``benchmarks/embeddings.py`` and, for module 1's word
vectors (:func:`word_vectors`), ``notebooks/02_documents_and_questions.ipynb``.
This module holds the plumbing around the graded functions (vocabularies,
batches of skip-gram pairs, the training loop, the two-latent model used by
the unidimensionality test, building the hierarchy, evaluation, coherence,
word intrusion, drawings), never the graded functions themselves: those are
written by students in problem set 1 and passed in as ``fns``, a namespace
that has them as attributes (``course.notebooks.reference("ps1_embeddings")``
or a student's own, e.g. ``types.SimpleNamespace(**globals())``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import marshal
import math
import time
import types
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

__all__ = [
    "EncodedCorpus",
    "LatentTree",
    "SkipGramModel",
    "analogy_accuracy",
    "autograd_sgns_step",
    "count_embeddings",
    "dimension_topics",
    "draw_latent_tree",
    "encode_corpus",
    "evaluate_embeddings",
    "fit_lcm",
    "fit_two_latent",
    "hierarchy_ari",
    "learn_latent_tree",
    "npmi_coherence",
    "project_2d",
    "skipgram_batches",
    "time_sgns_steps",
    "to_keyed_vectors",
    "train_skipgram",
    "word_intrusion",
    "word_vectors",
]


# --------------------------------------------------------------------------- corpus


@dataclass
class EncodedCorpus:
    """A corpus as id arrays: ``ids[i]`` is sentence ``i`` (int64, rare words removed).

    ``words[j]`` is the word with id ``j`` (most frequent first), ``counts[j]``
    its count in the corpus.
    """

    ids: list[np.ndarray]
    words: list[str]
    counts: np.ndarray

    @property
    def num_tokens(self) -> int:
        return int(sum(len(s) for s in self.ids))

    @property
    def vocab_size(self) -> int:
        return len(self.words)

    def index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.words)}


def encode_corpus(corpus: Sequence[Sequence[str]], min_count: int = 5,
                  max_vocab: int | None = None) -> EncodedCorpus:
    """Map token lists to id arrays over the words seen ``min_count`` times (lecture 1).

    Like word2vec, words below ``min_count`` (or beyond the ``max_vocab`` most
    frequent) are removed from the sentences before any window is taken.
    Ties in frequency are broken alphabetically, so the ids are deterministic.
    """
    from course.text import Vocab

    if not corpus or not any(len(s) for s in corpus):
        raise ValueError("the corpus is empty: pass a list of non-empty token lists")
    vocab = Vocab.build(corpus, min_count=min_count, max_size=max_vocab, specials=())
    if len(vocab) == 0:
        raise ValueError(f"no word occurs {min_count} times or more; lower min_count")
    stoi = vocab.stoi
    ids = [np.fromiter((stoi[t] for t in s if t in stoi), dtype=np.int64) for s in corpus]
    ids = [s for s in ids if len(s)]
    counts = np.array([vocab.counts[w] for w in vocab.itos], dtype=np.int64)
    return EncodedCorpus(ids, list(vocab.itos), counts)


# --------------------------------------------------------------------------- count-based


def count_embeddings(corpus: EncodedCorpus, fns: Any, dim: int = 100, window: int = 5,
                     alpha: float = 0.75, power: float = 0.5) -> np.ndarray:
    """PPMI-SVD word vectors ``(vocab_size, dim)`` from the graded functions in ``fns``.

    ``fns.cooccurrence_matrix`` -> ``fns.ppmi`` -> ``fns.svd_embeddings``
    (lecture 1, section "Counting"; the benchmark).
    """
    C = fns.cooccurrence_matrix(corpus.ids, corpus.vocab_size, window=window)
    return np.asarray(fns.svd_embeddings(fns.ppmi(C, alpha=alpha), dim, power=power))


# --------------------------------------------------------------------------- skip-gram


class SkipGramModel(torch.nn.Module):
    """The two tables of skip-gram: centre-word vectors and context-word vectors (lecture 1, ps1).

    ``center_embed`` starts uniform in ``[-0.5/dim, 0.5/dim]`` and
    ``context_embed`` at zero, as in word2vec.  Problem set 1's
    ``sgns_train_step`` updates the two weight tables in place with a
    hand-derived gradient; ``sparse`` only matters when autograd and an
    optimiser train the model instead (:func:`autograd_sgns_step`; sparse
    gradients touch only the rows of a batch).  The word vectors are the rows
    of ``center_embed``: :meth:`vectors`.
    """

    def __init__(self, vocab_size: int, dim: int = 100, sparse: bool = True, seed: int = 0):
        super().__init__()
        if vocab_size < 1 or dim < 1:
            raise ValueError(f"vocab_size and dim must be positive, got {vocab_size}, {dim}")
        gen = torch.Generator().manual_seed(seed)
        self.center_embed = torch.nn.Embedding(vocab_size, dim, sparse=sparse)
        self.context_embed = torch.nn.Embedding(vocab_size, dim, sparse=sparse)
        with torch.no_grad():
            self.center_embed.weight.copy_((torch.rand(vocab_size, dim, generator=gen) - 0.5)
                                           / dim)
            self.context_embed.weight.zero_()

    def vectors(self) -> np.ndarray:
        """The word vectors, a NumPy array ``(vocab_size, dim)``."""
        return self.center_embed.weight.detach().cpu().numpy().copy()


def skipgram_batches(corpus: EncodedCorpus, keep_prob: torch.Tensor, noise: torch.Tensor,
                     window: int = 5, num_negatives: int = 5, batch_size: int = 1024,
                     seed: int = 0) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """One epoch of skip-gram batches ``(center (B,), context (B,), negatives (B, K))``.

    As word2vec does: each token is kept with probability ``keep_prob[id]``
    (frequent-word subsampling), then each centre word draws its window size
    uniformly from 1..``window`` (nearer words are used more often), every
    (centre, context) pair inside a sentence becomes a positive example, the
    pairs are shuffled, and each gets ``num_negatives`` words drawn from
    ``noise`` (through a unigram table of two million entries, as in word2vec).
    """
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    rng = np.random.default_rng(seed)
    keep = np.asarray(keep_prob, dtype=np.float64)
    ids = np.concatenate(corpus.ids)                                      # (T,)
    sent = np.repeat(np.arange(len(corpus.ids)), [len(s) for s in corpus.ids])   # (T,)
    kept = rng.random(len(ids)) < keep[ids]
    ids, sent = ids[kept], sent[kept]                                     # (T',)
    reach = rng.integers(1, window + 1, size=len(ids))                    # (T',) window per centre
    centers, contexts = [], []
    for d in range(1, window + 1):
        same = sent[:-d] == sent[d:]                                      # (T' - d,)
        right = same & (reach[:-d] >= d)          # centre p, context p + d
        left = same & (reach[d:] >= d)            # centre p + d, context p
        centers += [ids[:-d][right], ids[d:][left]]
        contexts += [ids[d:][right], ids[:-d][left]]
    order = rng.permutation(sum(map(len, centers)))
    center = torch.from_numpy(np.concatenate(centers)[order])             # (P,)
    context = torch.from_numpy(np.concatenate(contexts)[order])           # (P,)
    # Noise words from a unigram table, as word2vec does: word j fills a share noise[j] of
    # the table, and a draw is a uniform index into it (several times faster than
    # torch.multinomial; probabilities are rounded to multiples of 1 / table_size).  Drawn
    # batch by batch: small arrays that the allocator reuses, epoch after epoch.
    table = _unigram_table(np.asarray(noise, dtype=np.float64).tobytes())
    batches = []
    for i in range(0, len(center), batch_size):
        draws = rng.integers(0, len(table), size=(len(center[i:i + batch_size]), num_negatives))
        batches.append((center[i:i + batch_size], context[i:i + batch_size],
                        torch.from_numpy(table[draws].astype(np.int64))))  # (B,), (B,), (B, K)
    return batches


@functools.lru_cache(maxsize=4)
def _unigram_table(noise: bytes, table_size: int = 2_000_000) -> np.ndarray:
    """word2vec's unigram table for the noise probabilities ``noise`` (float64 bytes)."""
    cdf = np.cumsum(np.frombuffer(noise, dtype=np.float64))
    table = np.searchsorted(cdf / cdf[-1], (np.arange(table_size) + 0.5) / table_size)
    table = np.minimum(table, len(cdf) - 1)                               # (table_size,)
    table = table.astype(np.min_scalar_type(len(cdf) - 1))   # 2 bytes an entry: stays in cache
    table.flags.writeable = False
    return table


def train_skipgram(corpus: EncodedCorpus, fns: Any, dim: int = 100, window: int = 5,
                   num_negatives: int = 5, num_epochs: int = 1, lr: float = 50.0,
                   batch_size: int = 1024, sample: float = 1e-3, seed: int = 0,
                   num_threads: int | None = 1, time_budget: float | None = None,
                   progress: bool = True) -> tuple[np.ndarray, Any]:
    """Train skip-gram with negative sampling from the graded functions in ``fns`` (lecture 1).

    Uses ``fns.negative_sampling_distribution`` (noise), ``fns.subsample_keep_prob``
    (frequent-word subsampling), ``fns.sgns_train_step`` (one SGD step on a
    batch, gradients by hand) and :func:`course.train.train` (progress bar,
    time budget).  The learning rate decays linearly to 0.01 % of ``lr`` over
    the run, as in word2vec; ``lr`` multiplies the gradient of the batch-*mean*
    loss, so ``lr / batch_size`` is the per-pair rate (word2vec uses 0.025).
    ``num_threads`` sets torch's threads during training (one thread is
    fastest on a busy two-core machine; None leaves torch's setting).  Returns
    the word vectors ``(vocab_size, dim)`` and the training history
    (``seconds``, ``examples`` = pairs, ``losses``).
    """
    from course.train import set_seed, train

    set_seed(seed)
    noise = fns.negative_sampling_distribution(torch.as_tensor(corpus.counts))
    keep = fns.subsample_keep_prob(torch.as_tensor(corpus.counts), t=sample)
    model = SkipGramModel(corpus.vocab_size, dim, seed=seed)
    first = skipgram_batches(corpus, keep, noise, window, num_negatives, batch_size, seed=seed)
    total_steps = max(1, len(first) * num_epochs)   # for the learning-rate schedule
    done = [0]

    def batches(epoch: int):
        if epoch == 0:
            return first
        return skipgram_batches(corpus, keep, noise, window, num_negatives, batch_size,
                                seed=seed + epoch)

    def step(batch):
        rate = lr * max(1e-4, 1.0 - done[0] / total_steps)
        done[0] += 1
        return fns.sgns_train_step(model, *batch, lr=rate)

    threads = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(num_threads)
    try:
        history = train(step, batches, num_epochs, time_budget=time_budget, desc="skip-gram",
                        progress=progress, batch_size=lambda b: len(b[0]))
    finally:
        torch.set_num_threads(threads)
    return model.vectors(), history


def autograd_sgns_step(model: SkipGramModel, optimizer: torch.optim.Optimizer, loss_fn: Any,
                       center: torch.Tensor, context: torch.Tensor, negatives: torch.Tensor
                       ) -> float:
    """The same SGD step as problem set 1's ``sgns_train_step``, with autograd doing the calculus.

    ``loss_fn`` is the graded ``sgns_loss(center (B, d), context (B, d),
    negatives (B, K, d))``; ``optimizer`` is ``torch.optim.SGD`` over
    ``model.parameters()``.  Lecture 1 times it against the hand-derived step:
    same update (up to rounding), several times slower, because autograd
    records the gathered ``(B, K, d)`` tensors and writes a gradient for whole
    tables.  Returns the loss before the update.
    """
    optimizer.zero_grad()
    loss = loss_fn(model.center_embed(center), model.context_embed(context),
                   model.context_embed(negatives))
    loss.backward()
    optimizer.step()
    return float(loss.detach())


def time_sgns_steps(corpus: EncodedCorpus, fns: Any, num_batches: int = 100,
                    batch_size: int = 1024, dim: int = 100, lr: float = 50.0, seed: int = 0
                    ) -> dict[str, float]:
    """Problem set 1's hand-derived ``sgns_train_step`` against :func:`autograd_sgns_step`.

    Both start from the same tables and take the same ``num_batches`` batches
    of ``corpus`` (one thread, CPU seconds).  Returns ``pairs``,
    ``hand_seconds``, ``autograd_seconds`` and ``max_difference``, the largest
    difference between the two models' weights at the end (rounding only,
    when both steps are right).  Lecture 1 prints it.
    """
    noise = fns.negative_sampling_distribution(torch.as_tensor(corpus.counts))
    keep = fns.subsample_keep_prob(torch.as_tensor(corpus.counts))
    batches = skipgram_batches(corpus, keep, noise, batch_size=batch_size, seed=seed)
    batches = batches[:num_batches]
    hand = SkipGramModel(corpus.vocab_size, dim, seed=seed)
    auto = SkipGramModel(corpus.vocab_size, dim, sparse=False, seed=seed)
    optimizer = torch.optim.SGD(auto.parameters(), lr=lr)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        start = time.process_time()
        for batch in batches:
            fns.sgns_train_step(hand, *batch, lr=lr)
        hand_seconds = time.process_time() - start
        start = time.process_time()
        for batch in batches:
            autograd_sgns_step(auto, optimizer, fns.sgns_loss, *batch)
        autograd_seconds = time.process_time() - start
    finally:
        torch.set_num_threads(threads)
    difference = max(float((a.detach() - b.detach()).abs().max()) for a, b in
                     zip(hand.parameters(), auto.parameters(), strict=True))
    return {"pairs": float(sum(len(b[0]) for b in batches)), "hand_seconds": hand_seconds,
            "autograd_seconds": autograd_seconds, "max_difference": difference}


_WORD_VECTOR_FNS = {
    "skipgram": ("negative_sampling_distribution", "subsample_keep_prob", "sgns_train_step"),
    "ppmi-svd": ("cooccurrence_matrix", "ppmi", "svd_embeddings"),
}


def _code_fingerprint(fns: Any, names: Sequence[str]) -> str:
    """A hash of the compiled code of ``fns``'s functions ``names`` (a cache key part)."""
    missing = [name for name in names if not callable(getattr(fns, name, None))]
    if missing:
        raise AttributeError(f"the graded functions passed in lack {', '.join(missing)}: pass "
                             "course.notebooks.reference('ps1_embeddings') or your own")
    digest = hashlib.sha256()
    for name in names:
        fn = getattr(fns, name)
        code = getattr(fn, "__code__", None)
        digest.update(marshal.dumps(code) if code is not None else repr(fn).encode())
    return digest.hexdigest()[:16]


def word_vectors(docs: Sequence[Sequence[str]], fns: Any, method: str = "skipgram",
                 dim: int = 64, window: int = 5, num_epochs: int = 20, min_count: int = 1,
                 seed: int = 0, cache: bool = True, progress: bool = False
                 ) -> tuple[dict[str, np.ndarray], Counter]:
    """Module 1's word vectors for other lectures: a dict word -> ``(dim,)`` array, and the counts.

    ``method="skipgram"`` trains :func:`train_skipgram` (``num_epochs`` epochs,
    one thread) and ``"ppmi-svd"`` runs :func:`count_embeddings`, both with
    the graded functions in ``fns`` (``course.notebooks.reference("ps1_embeddings")``
    or a student's own).  Lecture 2 averages these vectors and weights them
    with SIF.  With ``cache=True`` the vectors are saved under
    ``course.data.cache_dir("embeddings")``, keyed by the settings, the
    corpus and the compiled code of the graded functions used (and of the
    training code here), so a re-run loads them and changed code retrains.
    ``min_count=1`` gives every word of ``docs`` a vector.
    """
    from course.data.sources import cache_dir

    if method not in _WORD_VECTOR_FNS:
        raise ValueError(f"unknown method {method!r}; choose one of {sorted(_WORD_VECTOR_FNS)}")
    docs = [list(doc) for doc in docs]
    counts = Counter(token for doc in docs for token in doc)
    if not counts:
        raise ValueError("the corpus is empty: pass a list of non-empty token lists")
    settings = {"method": method, "dim": dim, "window": window, "min_count": min_count,
                "seed": seed, "num_epochs": num_epochs if method == "skipgram" else None,
                "code": _code_fingerprint(fns, _WORD_VECTOR_FNS[method]),
                "trainer": _code_fingerprint(types.SimpleNamespace(
                    train=train_skipgram, batches=skipgram_batches, counts=count_embeddings),
                    ("train", "batches", "counts")),
                "corpus": hashlib.sha256("\n".join(" ".join(d) for d in docs).encode()).hexdigest()}
    tag = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
    path = cache_dir("embeddings") / f"word_vectors_{method}_{tag}.npz"
    if cache and path.exists():
        try:
            with np.load(path, allow_pickle=False) as saved:
                words, vectors = [str(w) for w in saved["words"]], saved["vectors"]
            return dict(zip(words, vectors, strict=True)), counts
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache file is rebuilt below
    corpus = encode_corpus(docs, min_count=min_count)
    if method == "skipgram":
        E, _ = train_skipgram(corpus, fns, dim=dim, window=window, num_epochs=num_epochs,
                              seed=seed, num_threads=1, progress=progress)
    else:
        E = count_embeddings(corpus, fns, dim=dim, window=window)
    E = np.asarray(E, dtype=np.float32)                                   # (vocab_size, dim)
    if cache:
        tmp = path.with_name(path.stem + ".tmp.npz")
        np.savez(tmp, words=np.array(corpus.words), vectors=E)
        tmp.replace(path)
    return dict(zip(corpus.words, E, strict=True)), counts


# --------------------------------------------------------------------------- evaluation


def to_keyed_vectors(E: np.ndarray, words: Sequence[str]):
    """The vectors as gensim ``KeyedVectors`` (to use gensim's evaluation and ``most_similar``)."""
    from gensim.models import KeyedVectors

    E = np.asarray(E, dtype=np.float32)
    if E.shape[0] != len(words):
        raise ValueError(f"{E.shape[0]} vectors but {len(words)} words")
    kv = KeyedVectors(E.shape[1])
    kv.add_vectors(list(words), E)
    return kv


def evaluate_embeddings(E: np.ndarray, words: Sequence[str], analogies: bool = True
                        ) -> dict[str, float]:
    """WordSim-353 and SimLex-999 Spearman, and analogy accuracy, of word vectors (lecture 1).

    Similarity: :func:`course.metrics.word_similarity_spearman` on the pairs
    whose words are both in ``words``.  Analogies: :func:`analogy_accuracy`
    (3CosAdd, question words excluded, as gensim's ``evaluate_word_analogies``)
    on the questions whose four words are all in ``words``.  The ``*_coverage``
    entries say which share of each set could be scored.
    """
    from course.data import analogy_questions, word_similarity_pairs
    from course.metrics import word_similarity_spearman

    E = np.asarray(E, dtype=np.float64)
    index = {w: i for i, w in enumerate(words)}
    unit = E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)

    def similarity(a: str, b: str) -> float | None:
        if a not in index or b not in index:
            return None
        return float(unit[index[a]] @ unit[index[b]])

    out: dict[str, float] = {}
    for name in ("wordsim353", "simlex999"):
        result = word_similarity_spearman(similarity, word_similarity_pairs(name))
        out[name] = result.spearman
        out[f"{name}_coverage"] = result.coverage
    if analogies:
        accuracy, coverage = analogy_accuracy(E, words, analogy_questions())
        out["analogy"] = accuracy
        out["analogy_coverage"] = coverage
    return out


def analogy_accuracy(E: np.ndarray, words: Sequence[str], questions: Sequence[Sequence[str]],
                     batch_size: int = 512) -> tuple[float, float]:
    """3CosAdd accuracy on analogy questions, and the share of questions covered (lecture 1).

    ``questions`` holds ``(a, b, c, d)`` (or :class:`course.data.AnalogyQuestion`);
    a question counts when its four words are in ``words``, and is right when
    the word nearest (by cosine) to ``b - a + c`` on unit vectors, leaving out
    ``a``, ``b`` and ``c``, is ``d``: the measure of gensim's
    ``evaluate_word_analogies``, here in batches.  Problem set 1 has students
    write the single-question version.
    """
    index = {w: i for i, w in enumerate(words)}
    rows = []
    for q in questions:
        q = tuple(q)[-4:]
        if all(w in index for w in q):
            rows.append([index[w] for w in q])
    if not questions:
        raise ValueError("no analogy questions given")
    coverage = len(rows) / len(questions)
    if not rows:
        return math.nan, coverage
    ids = torch.tensor(rows)                                             # (Q, 4)
    unit = torch.as_tensor(np.asarray(E, dtype=np.float32))
    unit = unit / unit.norm(dim=1, keepdim=True).clamp_min(1e-12)        # (V, d)
    correct = 0
    for start in range(0, len(ids), batch_size):
        a, b, c, d = ids[start:start + batch_size].T                     # (Q',) each
        target = unit[b] - unit[a] + unit[c]                             # (Q', d)
        scores = target @ unit.T                                         # (Q', V)
        rows_q = torch.arange(len(a))
        for col in (a, b, c):
            scores[rows_q, col] = -torch.inf
        correct += int((scores.argmax(dim=1) == d).sum())
    return correct / len(rows), coverage


def project_2d(E: np.ndarray) -> np.ndarray:
    """The first two principal components of the rows of ``E``: ``(n, 2)`` (lecture 1 figure)."""
    E = np.asarray(E, dtype=np.float64)
    centred = E - E.mean(axis=0, keepdims=True)
    U, S, _ = np.linalg.svd(centred, full_matrices=False)
    return U[:, :2] * S[:2]


# --------------------------------------------------------------------------- latent tree models


def _random_lcm(num_vars: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    prior = np.array([0.5, 0.5])
    theta = rng.uniform(0.2, 0.8, size=(2, num_vars))
    return prior, theta


def fit_lcm(X: np.ndarray, fns: Any, num_restarts: int = 3, num_iters: int = 40, seed: int = 0
            ) -> tuple[np.ndarray, np.ndarray, float]:
    """The best of ``num_restarts`` runs of ``fns.latent_class_em`` by log-likelihood.

    Returns ``(prior (2,), theta (2, D), bic)`` with the BIC from ``fns.lcm_bic``
    (lecture 1; the unidimensionality test's one-latent model).
    """
    X = np.asarray(X, dtype=np.float64)
    rng = np.random.default_rng(seed)
    best = None
    for _ in range(num_restarts):
        prior, theta = _random_lcm(X.shape[1], rng)
        prior, theta, loglik = fns.latent_class_em(X, prior, theta, num_iters=num_iters)
        if best is None or loglik > best[2]:
            best = (np.asarray(prior), np.asarray(theta), loglik)
    prior, theta, _ = best
    return prior, theta, float(fns.lcm_bic(X, prior, theta))


def fit_two_latent(X: np.ndarray, group_a: Sequence[int], group_b: Sequence[int],
                   num_restarts: int = 3, num_iters: int = 40, seed: int = 0, eps: float = 1e-6
                   ) -> tuple[float, dict[str, np.ndarray]]:
    """BIC of the two-latent model ``Y1 - Y2``, ``Y1`` over ``group_a``, ``Y2`` over ``group_b``.

    The alternative model m2 of the unidimensionality test (lecture 1): two
    binary latent variables joined by an edge, each with its own words.  Fit
    by EM over the four joint latent states; ``group_a`` needs one word or
    more and ``group_b`` two or more.  Returns ``(bic, params)``.
    """
    A, B = list(group_a), list(group_b)
    if len(A) < 1 or len(B) < 2 or set(A) & set(B):
        raise ValueError(f"need disjoint groups, one of size >= 1 and one of size >= 2; "
                         f"got {A} and {B}")
    XA = np.asarray(X, dtype=np.float64)[:, A]                          # (N, |A|)
    XB = np.asarray(X, dtype=np.float64)[:, B]                          # (N, |B|)
    N = XA.shape[0]
    rng = np.random.default_rng(seed)
    best = None
    for _ in range(num_restarts):
        p1 = np.array([0.5, 0.5])                                       # P(Y1)
        p21 = rng.uniform(0.2, 0.8, size=(2, 2))
        p21 /= p21.sum(axis=1, keepdims=True)                           # P(Y2 | Y1): (2, 2)
        ta = rng.uniform(0.2, 0.8, size=(2, len(A)))                    # P(xa = 1 | Y1)
        tb = rng.uniform(0.2, 0.8, size=(2, len(B)))                    # P(xb = 1 | Y2)
        for it in range(num_iters + 1):
            la = XA @ np.log(ta).T + (1 - XA) @ np.log1p(-ta).T        # (N, 2) over Y1
            lb = XB @ np.log(tb).T + (1 - XB) @ np.log1p(-tb).T        # (N, 2) over Y2
            # log P(x, y1, y2): (N, 2, 2)
            lj = (np.log(p1)[None, :, None] + np.log(p21)[None] + la[:, :, None]
                  + lb[:, None, :])
            lse = np.logaddexp.reduce(lj.reshape(N, 4), axis=1)         # (N,)
            if it == num_iters:
                break
            r = np.exp(lj - lse[:, None, None])                         # (N, 2, 2)
            r1, r2 = r.sum(axis=2), r.sum(axis=1)                       # (N, 2) each
            p1 = np.clip(r1.mean(axis=0), eps, None)
            p1 /= p1.sum()
            p21 = np.clip(r.sum(axis=0), eps, None)
            p21 /= p21.sum(axis=1, keepdims=True)
            ta = np.clip((r1.T @ XA) / r1.sum(axis=0)[:, None], eps, 1 - eps)
            tb = np.clip((r2.T @ XB) / r2.sum(axis=0)[:, None], eps, 1 - eps)
        loglik = float(lse.sum())
        if best is None or loglik > best[0]:
            best = (loglik, {"p1": p1, "p21": p21, "theta_a": ta, "theta_b": tb})
    loglik, params = best
    num_params = 1 + 2 + 2 * len(A) + 2 * len(B)
    return loglik - num_params / 2 * math.log(N), params


@dataclass
class LatentTree:
    """A two-level latent tree learned by :func:`learn_latent_tree` (lecture 1).

    ``islands[j]``: the word indices under level-1 latent ``j`` (a topic);
    ``topic_words[j]``: the island's words ordered by mutual information
    with the latent; ``assignments``: ``(num_docs, num_topics)`` hard assignments of
    the level-1 latents; ``themes[k]``: the level-1 latents under level-2
    latent ``k``; ``theme_words[k]``: its words by MI.
    """

    words: list[str]
    islands: list[list[int]]
    topic_words: list[list[tuple[str, float]]]
    assignments: np.ndarray
    themes: list[list[int]]
    theme_words: list[list[tuple[str, float]]]
    seconds: float = 0.0
    log: list[str] = field(default_factory=list)

    def word_labels(self) -> np.ndarray:
        """The topic (level-1 latent) of every word: ``(num_words,)``."""
        labels = np.full(len(self.words), -1)
        for j, island in enumerate(self.islands):
            labels[island] = j
        return labels

    def topic_labels(self) -> np.ndarray:
        """The theme (level-2 latent) of every topic: ``(num_topics,)``."""
        labels = np.full(len(self.islands), -1)
        for k, group in enumerate(self.themes):
            labels[group] = k
        return labels


def _islands(X: np.ndarray, fns: Any, delta: float, max_size: int | None, num_restarts: int,
             num_iters: int, seed: int, log: list[str]) -> list[list[int]]:
    """Partition the columns of X into unidimensional islands with ``fns.ud_island``."""
    remaining = list(range(X.shape[1]))
    mi_all = np.asarray(fns.mutual_information_matrix(X), dtype=np.float64)
    islands: list[list[int]] = []
    while len(remaining) >= 2:
        cols = np.array(remaining)
        sub = X[:, cols]

        def bic_one(group, sub=sub):
            return fit_lcm(sub[:, list(group)], fns, num_restarts, num_iters, seed)[2]

        def bic_two(group_a, group_b, sub=sub):
            return fit_two_latent(sub, group_a, group_b, num_restarts, num_iters, seed)[0]

        local = fns.ud_island(mi_all[np.ix_(cols, cols)], bic_one, bic_two, delta=delta,
                              max_size=max_size)
        island = [int(cols[i]) for i in local]
        islands.append(island)
        log.append(f"island {len(islands) - 1}: {len(island)} variables")
        remaining = [v for v in remaining if v not in island]
    if remaining:  # a single variable left: it joins the island it shares most information with
        v = remaining[0]
        target = max(range(len(islands)), key=lambda j: mi_all[v, islands[j]].max())
        islands[target].append(v)
        log.append(f"variable {v} joined island {target}")
    return islands


def learn_latent_tree(X: np.ndarray, words: Sequence[str], fns: Any, delta: float = 3.0,
                      max_island: int | None = 12, num_restarts: int = 2, num_iters: int = 30,
                      top_words: int = 8, seed: int = 0) -> LatentTree:
    """Learn a two-level latent tree over binary word data (lecture 1).

    Level 1: islands of words by ``fns.ud_island`` (unidimensionality test
    with ``fns.latent_class_em``/``fns.lcm_bic`` for the one-latent model and
    :func:`fit_two_latent` for the two-latent one); each island gets a binary
    latent (an LCM), whose hard assignment (``fns.hard_assign``) turns every
    document into a row of 0/1 topic indicators.  Level 2: the same on those
    indicators groups topics into themes.  A topic is read as its island's
    words ordered by MI with its latent (``fns.topic_words``), a theme as the
    words of its topics ordered by MI with the theme's latent.
    """
    start = time.perf_counter()
    X = np.asarray(X, dtype=np.uint8)
    if X.ndim != 2 or X.shape[1] != len(words):
        raise ValueError(f"X must be (num_docs, {len(words)}), got shape {X.shape}")
    log: list[str] = []
    islands = _islands(X, fns, delta, max_island, num_restarts, num_iters, seed, log)
    Z = np.zeros((X.shape[0], len(islands)), dtype=np.uint8)          # (N, num_topics)
    topics = []
    for j, island in enumerate(islands):
        prior, theta, _ = fit_lcm(X[:, island], fns, num_restarts, num_iters, seed)
        Z[:, j] = np.asarray(fns.hard_assign(X[:, island], prior, theta))
        topics.append(list(fns.topic_words(X[:, island], Z[:, j], [words[i] for i in island],
                                           k=top_words)))
    if len(islands) >= 2:
        themes = _islands(Z, fns, delta, max_island, num_restarts, num_iters, seed, log)
    else:
        themes = [[0]]
    theme_words = []
    for group in themes:
        if len(group) == 1:
            z = Z[:, group[0]]
        else:
            prior, theta, _ = fit_lcm(Z[:, group], fns, num_restarts, num_iters, seed)
            z = np.asarray(fns.hard_assign(Z[:, group], prior, theta))
        under = [i for j in group for i in islands[j]]                   # the theme's words
        theme_words.append(list(fns.topic_words(X[:, under], z, [words[i] for i in under],
                                                k=top_words)))
    return LatentTree(list(words), islands, topics, Z, themes, theme_words,
                      time.perf_counter() - start, log)


def hierarchy_ari(tree: LatentTree, topic_of_word: Sequence[int],
                  theme_of_topic: Sequence[int]) -> tuple[float, float]:
    """How well a learned tree matches a planted one: ``(ARI words->topics, ARI topics->themes)``.

    Used by lecture 1 with :func:`course.data.planted_topic_hierarchy`.  The
    learned topics come in their own order, so the second ARI compares, for
    every learned topic, its learned theme with the planted theme of its
    first word; it is NaN unless the topics were recovered exactly (first ARI 1).
    """
    from course.metrics import adjusted_rand

    topic_of_word = np.asarray(topic_of_word)
    ari_topics = adjusted_rand(topic_of_word, tree.word_labels())
    if not math.isclose(ari_topics, 1.0):
        return ari_topics, math.nan
    planted_theme = [int(np.asarray(theme_of_topic)[topic_of_word[island[0]]])
                     for island in tree.islands]
    return ari_topics, adjusted_rand(planted_theme, tree.topic_labels())


# --------------------------------------------------------------------------- interpretability


def npmi_coherence(topic: Sequence[str], X: np.ndarray, words: Sequence[str],
                   eps: float = 1e-12) -> float:
    """Mean normalised PMI of the word pairs of ``topic`` in binary documents ``X`` (lecture 1).

    ``NPMI(a, b) = log(p(a, b) / (p(a) p(b))) / -log p(a, b)``, in [-1, 1]; a
    pair that never co-occurs scores -1.  Words not in ``words`` are skipped.
    """
    index = {w: i for i, w in enumerate(words)}
    cols = [index[w] for w in topic if w in index]
    if len(cols) < 2:
        return math.nan
    Xt = np.asarray(X, dtype=np.float64)[:, cols]                     # (N, n)
    N = Xt.shape[0]
    p = Xt.mean(axis=0)                                                # (n,)
    pj = (Xt.T @ Xt) / N                                               # (n, n)
    scores = []
    for a in range(len(cols)):
        for b in range(a + 1, len(cols)):
            if pj[a, b] <= 0:
                scores.append(-1.0)
                continue
            pmi = math.log(pj[a, b] / max(p[a] * p[b], eps))
            scores.append(pmi / max(-math.log(pj[a, b]), eps))
    return float(np.mean(scores))


def dimension_topics(E: np.ndarray, words: Sequence[str], candidates: Sequence[str],
                     top: int = 5) -> list[list[str]]:
    """The "topic" of each dimension of an embedding: the candidate words largest in it.

    For every column of ``E`` (and its negative, since a dimension's sign is
    arbitrary) the ``top`` words among ``candidates`` with the largest values;
    of the two directions the one with the larger mean magnitude is kept.
    Used by lecture 1 to compare the interpretability of SVD and skip-gram
    dimensions with latent-tree topics on the same candidate words.
    """
    index = {w: i for i, w in enumerate(words)}
    cand = [w for w in candidates if w in index]
    if len(cand) < top:
        raise ValueError(f"only {len(cand)} candidate words are in the vocabulary; need {top}")
    sub = np.asarray(E, dtype=np.float64)[[index[w] for w in cand]]    # (n, dim)
    topics = []
    for col in sub.T:
        up, down = np.argsort(-col)[:top], np.argsort(col)[:top]
        best = up if col[up].mean() >= -col[down].mean() else down
        topics.append([cand[i] for i in best])
    return topics


def word_intrusion(topics: Sequence[Sequence[str]], X: np.ndarray, words: Sequence[str],
                   top: int = 5, seed: int = 0) -> float:
    """Automatic word-intrusion accuracy of a set of topics (lecture 1; after Lau et al., 2014).

    For every topic: its ``top`` words plus one intruder, a word that is among
    the top words of another topic but not of this one.  The detector picks
    the word with the lowest mean NPMI (on documents ``X``) with the others;
    the score is the share of topics whose intruder is picked (chance is
    ``1 / (top + 1)``).  Topics with fewer than ``top`` words are skipped.
    """
    rng = np.random.default_rng(seed)
    topics = [list(t)[:top] for t in topics if len(t) >= top]
    if len(topics) < 2:
        raise ValueError("word intrusion needs at least two topics with enough words")
    index = {w: i for i, w in enumerate(words)}
    Xf = np.asarray(X, dtype=np.float64)
    N = Xf.shape[0]
    p = Xf.mean(axis=0)
    pj = (Xf.T @ Xf) / N

    def npmi(a: int, b: int) -> float:
        if pj[a, b] <= 0:
            return -1.0
        return math.log(pj[a, b] / (p[a] * p[b])) / max(-math.log(pj[a, b]), 1e-12)

    hits, trials = 0, 0
    for t, topic in enumerate(topics):
        others = sorted({w for u, o in enumerate(topics) if u != t for w in o} - set(topic))
        others = [w for w in others if w in index]
        members = [w for w in topic if w in index]
        if not others or len(members) < 2:
            continue
        intruder = others[int(rng.integers(len(others)))]
        group = [index[w] for w in members] + [index[intruder]]
        means = [np.mean([npmi(a, b) for b in group if b != a]) for a in group]
        hits += int(int(np.argmin(means)) == len(group) - 1)
        trials += 1
    return hits / trials if trials else math.nan


# --------------------------------------------------------------------------- drawing


def draw_latent_tree(ax, tree: LatentTree, max_words: int = 4, title: str | None = None):
    """Draw a :class:`LatentTree`: themes on top, topics below, their top words at the bottom.

    Used by lecture 1.  Each topic shows its ``max_words`` words with the
    highest MI with its latent.
    """
    from course.plot import OKABE_ITO

    colors = [OKABE_ITO[i] for i in (5, 1, 3, 6, 7, 2)]
    num_topics = len(tree.islands)
    order = [j for group in tree.themes for j in group]
    x_topic = {j: i for i, j in enumerate(order)}
    for k, group in enumerate(tree.themes):
        color = colors[k % len(colors)]
        xs = [x_topic[j] for j in group]
        x_theme = float(np.mean(xs))
        ax.text(x_theme, 2.0, f"Z{k}", ha="center", va="center", fontweight="bold",
                bbox={"boxstyle": "circle", "facecolor": "white", "edgecolor": color})
        for j in group:
            ax.plot([x_theme, x_topic[j]], [2.0, 1.0], color=color, linewidth=1.5, zorder=0)
            label = "\n".join(w for w, _ in tree.topic_words[j][:max_words])
            ax.text(x_topic[j], 1.0, f"Y{j}", ha="center", va="center",
                    bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": color})
            ax.plot([x_topic[j], x_topic[j]], [1.0, 0.55], color=color, linewidth=1.0, zorder=0)
            ax.text(x_topic[j], 0.5, label, ha="center", va="top", fontsize=8, color="0.15")
    ax.set_xlim(-0.7, max(num_topics, 1) - 0.3)
    ax.set_ylim(-0.6, 2.4)
    ax.set_yticks([0.5, 1.0, 2.0], ["words", "topics (Y)", "themes (Z)"])
    ax.set_xticks([])
    ax.grid(False)
    ax.set_xlabel("level-1 latent variables, grouped by their level-2 parent")
    ax.set_ylabel("level of the tree")
    ax.set_title(title or "A two-level latent tree")
    return ax

