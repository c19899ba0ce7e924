"""Data of module 1 (word embeddings and latent tree models), offline and deterministic.

Used by ``notebooks/01_word_embeddings.ipynb``, problem set ``ps1_embeddings``
and ``benchmarks/embeddings.py``:

- :func:`wiki_paragraphs`: the Wikipedia sample that gensim ships in its test
  data, parsed with gensim's own wiki utilities into tokenised paragraphs
  (about 450k tokens) and cached under ``cache_dir("embeddings")``;
- :func:`lee_background_corpus`: the Lee background news corpus (gensim);
- :func:`embedding_corpus`: either or both, cut to a number of tokens;
- :func:`word_similarity_pairs` (WordSim-353, SimLex-999) and
  :func:`analogy_questions` (the Google analogy set), from the same folder;
- :func:`word_occurrence_matrix`: paragraphs x top-N words, binary, for latent
  tree models;
- :func:`planted_topic_hierarchy`: binary documents generated from a known
  themes -> topics -> words hierarchy, to check structure learning exactly.
"""

from __future__ import annotations

import bz2
import gzip
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from course.data.sources import cache_dir, gensim_test_file

__all__ = [
    "AnalogyQuestion",
    "PlantedHierarchy",
    "analogy_questions",
    "embedding_corpus",
    "lee_background_corpus",
    "planted_topic_hierarchy",
    "wiki_paragraphs",
    "word_occurrence_matrix",
    "word_similarity_pairs",
]

WIKI_FILE = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
_CACHE_VERSION = 1
_SIMILARITY_FILES = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}


def _tokenize(text: str) -> list[str]:
    """gensim's Wikipedia tokeniser: lower-case alphabetic tokens of 2 to 15 characters."""
    from gensim.corpora.wikicorpus import tokenize

    return tokenize(text, token_min_len=2, token_max_len=15, lower=True)


def _parse_wiki(progress: bool) -> dict:
    """Parse the bundled Wikipedia dump into paragraphs (a few seconds, done once)."""
    from gensim.corpora.wikicorpus import extract_pages, filter_wiki
    from tqdm.auto import tqdm

    path = gensim_test_file(WIKI_FILE)
    titles: list[str] = []
    paragraphs: list[list] = []
    with bz2.open(path, "rb") as handle:
        pages = extract_pages(handle, filter_namespaces=("0",))
        for title, text, _page_id in tqdm(pages, desc="parsing the Wikipedia sample",
                                          unit="page", disable=not progress):
            if not text or text.lstrip().lower().startswith("#redirect"):
                continue
            clean = filter_wiki(text)
            article = len(titles)
            titles.append(title)
            for block in re.split(r"\n\s*\n", clean):
                tokens = _tokenize(block)
                if tokens:
                    paragraphs.append([article, " ".join(tokens)])
    if not paragraphs:
        raise ValueError(f"parsing {path.name} gave no text; reinstall gensim "
                         "(`pip install --force-reinstall gensim`)")
    return {"version": _CACHE_VERSION, "source_bytes": path.stat().st_size,
            "titles": titles, "paragraphs": paragraphs}


def _wiki_cache(progress: bool = True) -> dict:
    path = cache_dir("embeddings") / f"enwiki_paragraphs_v{_CACHE_VERSION}.json.gz"
    source_bytes = gensim_test_file(WIKI_FILE).stat().st_size
    if path.exists():
        try:
            with gzip.open(path, "rt", encoding="utf-8") as handle:
                data = json.load(handle)
            if data.get("version") == _CACHE_VERSION and data.get("source_bytes") == source_bytes:
                return data
        except (OSError, ValueError):
            pass  # a truncated or stale cache is rebuilt below
    data = _parse_wiki(progress)
    tmp = path.with_suffix(".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8") as handle:
        json.dump(data, handle)
    tmp.replace(path)
    return data


def wiki_paragraphs(max_tokens: int | None = None, min_tokens: int = 5,
                    with_titles: bool = False, progress: bool = True
                    ) -> list[list[str]] | tuple[list[list[str]], list[str]]:
    """Tokenised paragraphs of gensim's Wikipedia sample (lecture 1, ps1, the benchmark).

    The dump (about 100 articles, from "Anarchism" on) is parsed once with
    ``gensim.corpora.wikicorpus`` (markup removed, lower-case alphabetic tokens
    of 2-15 characters, as gensim's ``WikiCorpus`` does) and cached under
    ``cache_dir("embeddings")``; later calls read the cache.  Paragraphs are
    the blocks between blank lines; those with fewer than ``min_tokens`` tokens
    (headings, captions) are dropped.  ``max_tokens`` keeps the first
    paragraphs (in article order) up to that many tokens.  With
    ``with_titles=True`` also returns, per paragraph, its article's title.
    """
    if max_tokens is not None and max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1 (or None for all), got {max_tokens}")
    data = _wiki_cache(progress)
    out, titles, total = [], [], 0
    for article, text in data["paragraphs"]:
        tokens = text.split()
        if len(tokens) < min_tokens:
            continue
        if max_tokens is not None and total >= max_tokens:
            break
        out.append(tokens)
        titles.append(data["titles"][article])
        total += len(tokens)
    if not out:
        raise ValueError(f"no paragraph of the Wikipedia sample has {min_tokens} tokens or more; "
                         "lower min_tokens")
    return (out, titles) if with_titles else out


def lee_background_corpus(max_tokens: int | None = None) -> list[list[str]]:
    """The Lee background corpus (300 news texts, gensim's test data), one token list per text.

    Tokenised like :func:`wiki_paragraphs`.  Used by lecture 1 as a second,
    smaller corpus of another genre.
    """
    if max_tokens is not None and max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1 (or None for all), got {max_tokens}")
    path = gensim_test_file("lee_background.cor")
    out, total = [], 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        tokens = _tokenize(line)
        if not tokens:
            continue
        if max_tokens is not None and total >= max_tokens:
            break
        out.append(tokens)
        total += len(tokens)
    return out


def embedding_corpus(name: str = "wiki", max_tokens: int | None = None,
                     progress: bool = True) -> list[list[str]]:
    """The training corpus of lecture 1 and the benchmark: ``"wiki"``, ``"lee"`` or ``"both"``.

    A list of token lists (paragraphs or news texts); ``max_tokens`` keeps the
    first ones up to that many tokens (the knob that scales the lecture).
    """
    if name == "wiki":
        return wiki_paragraphs(max_tokens, progress=progress)
    if name == "lee":
        return lee_background_corpus(max_tokens)
    if name == "both":
        corpus = wiki_paragraphs(progress=progress) + lee_background_corpus()
        if max_tokens is None:
            return corpus
        out, total = [], 0
        for tokens in corpus:
            if total >= max_tokens:
                break
            out.append(tokens)
            total += len(tokens)
        return out
    raise ValueError(f"unknown corpus {name!r}; choose 'wiki', 'lee' or 'both'")


def word_similarity_pairs(name: str = "wordsim353") -> list[tuple[str, str, float]]:
    """Word pairs with human similarity scores: ``"wordsim353"`` or ``"simlex999"``.

    Lower-cased ``(word_a, word_b, score)`` triples in file order, from gensim's
    test data.  WordSim-353 mixes similarity and relatedness ("cup", "coffee"
    score high); SimLex-999 scores similarity only.
    """
    if name not in _SIMILARITY_FILES:
        raise ValueError(f"unknown word-pair set {name!r}; choose one of "
                         f"{sorted(_SIMILARITY_FILES)}")
    pairs = []
    for line in gensim_test_file(_SIMILARITY_FILES[name]).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        a, b, score = line.split("\t")[:3]
        pairs.append((a.lower(), b.lower(), float(score)))
    return pairs


class AnalogyQuestion(NamedTuple):
    """``a : b :: c : d`` ("athens : greece :: baghdad : iraq") and its section."""

    section: str
    a: str
    b: str
    c: str
    d: str


def analogy_questions(sections: Iterable[str] | None = None,
                      lowercase: bool = True) -> list[AnalogyQuestion]:
    """The Google analogy questions (``questions-words.txt``, 19,544 questions in 14 sections).

    ``sections`` keeps only the named sections (e.g. ``"capital-common-countries"``,
    ``"gram3-comparative"``); the names are the file's ``: name`` lines.
    """
    wanted = set(sections) if sections is not None else None
    questions, section, seen = [], None, set()
    for line in gensim_test_file("questions-words.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith(":"):
            section = line[1:].strip()
            seen.add(section)
            continue
        words = line.lower().split() if lowercase else line.split()
        if len(words) != 4 or section is None:
            continue
        if wanted is None or section in wanted:
            questions.append(AnalogyQuestion(section, *words))
    if wanted is not None and wanted - seen:
        raise ValueError(f"unknown analogy section(s) {sorted(wanted - seen)}; "
                         f"the file has {sorted(seen)}")
    return questions


def _stopwords() -> frozenset[str]:
    """gensim's English stop words, plus the ordinal endings left by "19th" and "2nd"."""
    from gensim.parsing.preprocessing import STOPWORDS

    return frozenset(STOPWORDS) | {"th", "st", "nd", "rd"}


def word_occurrence_matrix(documents: Sequence[Sequence[str]], num_words: int = 100,
                           min_words: int = 1, stopwords: Iterable[str] | None = None
                           ) -> tuple[np.ndarray, list[str]]:
    """Binary documents x words data for latent tree models (lecture 1, ps1).

    Keeps the ``num_words`` words that occur in the most documents (stop words
    left out: gensim's list and ordinal endings such as "th" when ``stopwords``
    is None; ties broken alphabetically) and returns ``(X, words)``: ``X`` is a
    ``uint8`` array of shape ``(num_docs, num_words)`` with ``X[n, j] = 1`` when
    word ``j`` occurs in document ``n``.  Documents with fewer than
    ``min_words`` of the kept words are dropped.
    """
    if num_words < 2:
        raise ValueError(f"num_words must be at least 2, got {num_words}")
    if not documents:
        raise ValueError("no documents: pass a non-empty list of token lists")
    stop = _stopwords() if stopwords is None else frozenset(stopwords)
    doc_freq = Counter(w for doc in documents for w in set(doc) if w not in stop)
    words = sorted(doc_freq, key=lambda w: (-doc_freq[w], w))[:num_words]
    if len(words) < 2:
        raise ValueError("fewer than two words are left after removing stop words")
    index = {w: j for j, w in enumerate(words)}
    rows = []
    for doc in documents:
        row = np.zeros(len(words), dtype=np.uint8)
        row[[index[w] for w in set(doc) if w in index]] = 1
        if int(row.sum()) >= min_words:
            rows.append(row)
    X = np.stack(rows) if rows else np.zeros((0, len(words)), dtype=np.uint8)
    return X, words


@dataclass
class PlantedHierarchy:
    """Binary documents drawn from a known two-level latent tree (themes -> topics -> words).

    ``X``: ``(num_docs, num_words)`` uint8; ``words``: readable names such as
    ``"t1_w3"`` (word 3 of topic 1); ``topic_of_word``: ``(num_words,)`` the
    planted topic of each word; ``theme_of_topic``: ``(num_topics,)``;
    ``topics``: ``(num_docs, num_topics)`` and ``themes``: ``(num_docs,
    num_themes)``, the latent states that generated each document.
    """

    X: np.ndarray
    words: list[str]
    topic_of_word: np.ndarray
    theme_of_topic: np.ndarray
    topics: np.ndarray
    themes: np.ndarray
    params: dict = field(default_factory=dict)


def planted_topic_hierarchy(num_themes: int = 2, topics_per_theme: int = 3,
                            words_per_topic: int = 4, num_docs: int = 2000,
                            p_theme: float = 0.4, p_topic: tuple[float, float] = (0.05, 0.7),
                            p_word: tuple[float, float] = (0.03, 0.6), seed: int = 0
                            ) -> PlantedHierarchy:
    """Generate documents from a planted hierarchy, with the ground truth (lecture 1, ps1).

    Each document draws every theme ``Z ~ Bernoulli(p_theme)`` independently;
    every topic ``Y`` of a theme is on with probability ``p_topic[Z]``; every
    word ``X`` of a topic occurs with probability ``p_word[Y]``.  Words of one
    topic are thus dependent through their topic, and topics of one theme
    through their theme: a latent tree model should find the topics as
    islands and the themes one level up.
    """
    for name, value in (("num_themes", num_themes), ("topics_per_theme", topics_per_theme),
                        ("words_per_topic", words_per_topic), ("num_docs", num_docs)):
        if value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")
    for name, probs in (("p_topic", p_topic), ("p_word", p_word)):
        if not all(0.0 <= p <= 1.0 for p in probs) or len(probs) != 2:
            raise ValueError(f"{name} must be two probabilities (off, on), got {probs}")
    if not 0.0 < p_theme < 1.0:
        raise ValueError(f"p_theme must be in (0, 1), got {p_theme}")
    rng = np.random.default_rng(seed)
    num_topics = num_themes * topics_per_theme
    theme_of_topic = np.repeat(np.arange(num_themes), topics_per_theme)      # (num_topics,)
    topic_of_word = np.repeat(np.arange(num_topics), words_per_topic)         # (num_words,)
    themes = (rng.random((num_docs, num_themes)) < p_theme).astype(np.uint8)  # (N, num_themes)
    topic_prob = np.asarray(p_topic)[themes[:, theme_of_topic]]               # (N, num_topics)
    topics = (rng.random(topic_prob.shape) < topic_prob).astype(np.uint8)
    word_prob = np.asarray(p_word)[topics[:, topic_of_word]]                  # (N, num_words)
    X = (rng.random(word_prob.shape) < word_prob).astype(np.uint8)
    words = [f"t{t}_w{k}" for t in range(num_topics) for k in range(words_per_topic)]
    params = {"p_theme": p_theme, "p_topic": tuple(p_topic), "p_word": tuple(p_word),
              "seed": seed}
    return PlantedHierarchy(X, words, topic_of_word, theme_of_topic, topics, themes, params)
