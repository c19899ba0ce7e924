"""Data of module 2: questions with categories, the Lee corpus, an FAQ generator, big mixtures.

Used by the lecture ``notebooks/02_documents_and_questions.ipynb``, problem set
``ps2_questions`` and ``benchmarks/questions.py``.  Everything is offline and
deterministic:

- :func:`load_chatterbot_questions`: questions and answers of chatterbot-corpus
  (English: about 2,000 conversations in 21 category files; Chinese: about 470
  in 17), labelled with their category;
- :func:`load_lee_corpus`, :func:`load_lee_background`, :func:`load_lee_similarities`:
  the Lee et al. (2005) corpus of 50 news documents with the mean human
  similarity of every pair, and the 300-document background corpus, all from
  gensim's test data;
- :func:`make_faq`: an FAQ with known paraphrase groups (intents x templates
  x synonyms x slot values), split into FAQ entries and held-out user
  questions, some of them unanswerable;
- :func:`make_mixture` and :class:`MixtureStream`: Gaussian mixtures with known
  centres, in memory or streamed chunk by chunk (a million 64-d vectors without
  holding them).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from course.data.sources import DataUnavailable, chatterbot_corpus_dir, gensim_test_file

__all__ = [
    "FAQData",
    "FAQEntry",
    "FAQQuery",
    "MixtureStream",
    "QARecord",
    "chatterbot_categories",
    "lee_similarity_pairs",
    "load_chatterbot_questions",
    "load_lee_background",
    "load_lee_corpus",
    "load_lee_similarities",
    "make_faq",
    "make_mixture",
]

LANGUAGES = ("english", "chinese")


# --------------------------------------------------------------------------- chatterbot-corpus
@dataclass(frozen=True)
class QARecord:
    """One conversation opener of chatterbot-corpus: the question, its first answer, its category.

    ``category`` is the name of the corpus file (``"greetings"``, ``"tech_support"``...),
    the same in every language, so it can serve as a cluster label.
    """

    question: str
    answer: str
    category: str
    language: str


def _check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    return language


@lru_cache(maxsize=4)
def _read_chatterbot(language: str) -> tuple[QARecord, ...]:
    import yaml

    folder = chatterbot_corpus_dir(language)
    records = []
    files = sorted(folder.glob("*.yml"))
    if not files:
        raise DataUnavailable(f"chatterbot-corpus has no YAML files in {folder}",
                              "reinstall it: `pip install --force-reinstall chatterbot-corpus`")
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for conversation in data.get("conversations") or []:
            turns = [str(turn).strip() for turn in conversation or [] if turn is not None]
            if len(turns) < 2 or not turns[0]:
                continue
            records.append(QARecord(turns[0], turns[1], path.stem, language))
    return tuple(records)


def load_chatterbot_questions(language: str = "english", unique: bool = True,
                              categories: list[str] | None = None) -> list[QARecord]:
    """Questions of chatterbot-corpus with their first answer and category (file name).

    Used by lecture 02 (clustering against categories, the cluster explorer,
    Chinese character n-grams) and by problem set 2's demo cell.  With
    ``unique=True`` (default) a question that occurs several times in one
    category (the corpus lists alternative answers that way) is kept once, with
    its first answer.  ``categories`` keeps only those categories.  The order
    is the corpus order (files sorted by name), so results are deterministic.
    """
    records = list(_read_chatterbot(_check_language(language)))
    if categories is not None:
        known = {r.category for r in records}
        unknown = sorted(set(categories) - known)
        if unknown:
            raise ValueError(f"unknown {language} categories {unknown}; have {sorted(known)}")
        records = [r for r in records if r.category in set(categories)]
    if unique:
        seen: set[tuple[str, str]] = set()
        kept = []
        for record in records:
            key = (record.question, record.category)
            if key not in seen:
                seen.add(key)
                kept.append(record)
        records = kept
    return records


def chatterbot_categories(language: str = "english") -> list[str]:
    """The category names of chatterbot-corpus in ``language``, sorted (lecture 02)."""
    return sorted({r.category for r in _read_chatterbot(_check_language(language))})


# --------------------------------------------------------------------------- the Lee corpus
def _read_lines(name: str) -> list[str]:
    text = gensim_test_file(name).read_text(encoding="utf-8", errors="replace")
    return [line.strip() for line in text.splitlines() if line.strip()]


def load_lee_corpus() -> list[str]:
    """The 50 news documents of Lee et al. (2005) that people rated pairwise (lecture 02)."""
    docs = _read_lines("lee.cor")
    if len(docs) != 50:
        raise DataUnavailable(f"gensim's lee.cor has {len(docs)} documents, expected 50",
                              "reinstall gensim: `pip install --force-reinstall gensim`")
    return docs


def load_lee_background() -> list[str]:
    """The 300 background news documents of the Lee corpus, for word vectors (lecture 02)."""
    return _read_lines("lee_background.cor")


def load_lee_similarities() -> np.ndarray:
    """Mean human similarity (0 to 1) of every pair of the 50 Lee documents: a (50, 50) array.

    gensim ships the judgements as ``similarities0-1.txt``, an upper-triangular
    matrix (the diagonal is 1); this returns it mirrored.  Used by lecture 02
    (Pearson r of each representation against people).
    """
    rows = [[float(v) for v in line.split()] for line in _read_lines("similarities0-1.txt")]
    S = np.array(rows)
    if S.shape != (50, 50):
        raise DataUnavailable(f"gensim's similarities0-1.txt has shape {S.shape}, not (50, 50)",
                              "reinstall gensim: `pip install --force-reinstall gensim`")
    upper = np.triu(S)
    return upper + np.triu(S, 1).T


def lee_similarity_pairs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(i, j, score)`` for the 1,225 pairs ``i < j`` of Lee documents (lecture 02)."""
    S = load_lee_similarities()
    i, j = np.triu_indices(len(S), k=1)
    return i, j, S[i, j]


# --------------------------------------------------------------------------- the FAQ generator
@dataclass(frozen=True)
class FAQEntry:
    """One FAQ question with its answer; entries of one ``group`` are paraphrases."""

    question: str
    answer: str
    group: str
    intent: str


@dataclass(frozen=True)
class FAQQuery:
    """A held-out user question; ``group`` is the FAQ group that answers it, None if none does."""

    question: str
    group: str | None
    intent: str


@dataclass
class FAQData:
    """What :func:`make_faq` returns: the FAQ and the user questions to retrieve with."""

    entries: list[FAQEntry]
    queries: list[FAQQuery]

    @property
    def groups(self) -> list[str]:
        """The distinct groups of the FAQ, in order of first appearance."""
        return list(dict.fromkeys(e.group for e in self.entries))

    def answerable(self) -> list[FAQQuery]:
        return [q for q in self.queries if q.group is not None]


# Each intent: a slot with its values, an answer pattern and question templates.
# "[a|b|c]" picks one synonym at random; "{slot}" is the slot value.
_INTENTS: dict[str, dict] = {
    "opening_hours": {
        "slot": ["Berlin", "Munich", "Hamburg", "Cologne"],
        "answer": "Our {slot} office is open on weekdays from {h1}:00 to {h2}:00.",
        "templates": [
            "What are the opening hours of the {slot} [office|branch]?",
            "When does the {slot} [office|branch] open?",
            "Is the {slot} [office|branch] open on [weekends|Saturdays]?",
            "Until what time can I [visit|go to] your {slot} [office|branch]?",
            "[Tell me|I need] the {slot} [office|branch] [hours|schedule]",
            "At what time does the {slot} [office|branch] close?",
        ],
    },
    "reset_password": {
        "slot": ["email", "student portal", "library", "wifi"],
        "answer": ("To reset your {slot} password, open the {slot} login page and choose "
                   "'forgot password'."),
        "templates": [
            "How do I reset my {slot} password?",
            "I forgot the password for my {slot} account",
            "[How can I|Can I] change my {slot} password?",
            "My {slot} password [does not work|is not accepted] any more",
            "[Help,|Please help,] I [cannot|can't] log in to my {slot} account",
            "Where do I [set|choose] a new {slot} password?",
        ],
    },
    "refund": {
        "slot": ["train", "bus", "ferry"],
        "answer": "{Slot} tickets are refunded within {d} days if you cancel before departure.",
        "templates": [
            "Can I get a refund for my {slot} ticket?",
            "How do I [cancel|return] a {slot} ticket and get my money back?",
            "Are {slot} tickets [refundable|reimbursed]?",
            "I want my money back for a {slot} [ticket|booking]",
            "How long does a {slot} ticket refund take?",
            "[Where|How] do I [ask for|request] a refund of my {slot} [ticket|fare]?",
        ],
    },
    "lost_card": {
        "slot": ["credit card", "debit card", "student card"],
        "answer": ("Block your {slot} at once in the app or by phone; a new {slot} arrives "
                   "in {d} days."),
        "templates": [
            "I lost my {slot}, what should I do?",
            "[Someone stole|Somebody has stolen] my {slot}",
            "How do I block my {slot}?",
            "My {slot} is [gone|missing]",
            "How do I get a [new|replacement] {slot}?",
            "What [happens|do I do] if I [lose|misplace] my {slot}?",
        ],
    },
    "delivery_time": {
        "slot": ["Germany", "France", "Spain", "Italy"],
        "answer": "Orders to {slot} arrive within {d} working days.",
        "templates": [
            "How long does delivery to {slot} take?",
            "When will my [order|parcel] arrive in {slot}?",
            "[Do you|Can you] ship to {slot}?",
            "How many days [for|does] shipping to {slot} [take|need]?",
            "What is the delivery time for {slot}?",
            "I live in {slot}, how fast is [delivery|shipping]?",
        ],
    },
    "payment": {
        "slot": ["PayPal", "cash", "bank transfer", "a gift card"],
        "answer": "Yes, you can pay with {slot} at checkout.",
        "templates": [
            "Can I pay with {slot}?",
            "Do you accept {slot}?",
            "Is it possible to pay [by|with] {slot}?",
            "How do I pay [by|with] {slot}?",
            "[I want|I would like] to pay with {slot}",
            "[Does|Will] the [shop|checkout] take {slot}?",
        ],
    },
    "change_address": {
        "slot": ["billing address", "delivery address", "email address"],
        "answer": "You can change your {slot} under Settings > Profile > {Slot}.",
        "templates": [
            "How do I change my {slot}?",
            "[I moved,|I have moved,] how do I update my {slot}?",
            "Where can I [edit|update] the {slot}?",
            "My {slot} is wrong",
            "Can I [use|set] a different {slot}?",
            "[I need|I want] to [correct|change] the {slot} on my account",
        ],
    },
    "contact": {
        "slot": ["phone", "email", "live chat"],
        "answer": "You reach our support team by {slot} every day from 8:00 to 20:00.",
        "templates": [
            "How can I contact support by {slot}?",
            "Can I talk to [someone|a person] [by|over] {slot}?",
            "[Is there|Do you have] {slot} support?",
            "What are the {slot} support hours?",
            "I want to reach customer service [by|via] {slot}",
            "[Who|Where] do I [contact|ask] [by|via] {slot} when I have a problem?",
        ],
    },
    "cancel_plan": {
        "slot": ["premium plan", "family plan", "basic plan"],
        "answer": ("Cancel the {slot} under Account > Subscriptions; it ends with the "
                   "billing month."),
        "templates": [
            "How do I cancel my {slot}?",
            "I want to [stop|end] the {slot}",
            "Can I [quit|terminate] the {slot} at any time?",
            "[Unsubscribe|Remove] me from the {slot}",
            "How [much notice|long before] do I need to cancel the {slot}?",
            "What happens when I cancel the {slot}?",
        ],
    },
    "parking": {
        "slot": ["airport", "main station", "city centre"],
        "answer": "There is parking at the {slot} for {d} euros a day.",
        "templates": [
            "Is there parking at the {slot}?",
            "Where can I park [near|at] the {slot}?",
            "How much does parking at the {slot} cost?",
            "Can I leave my car at the {slot}?",
            "[Are there|Do you have] parking spaces [near|at] the {slot}?",
            "What is the [price|fee] for parking at the {slot}?",
        ],
    },
}

# Intents the FAQ does not cover: their user questions are unanswerable.
_UNANSWERABLE: dict[str, dict] = {
    "book_table": {
        "slot": ["tonight", "tomorrow", "Friday"],
        "templates": [
            "Can I book a table for {slot}?",
            "[Reserve|Book] a table for two {slot}, please",
            "Do you have a free table {slot}?",
        ],
    },
    "weather": {
        "slot": ["today", "tomorrow", "the weekend"],
        "templates": [
            "What is the weather like {slot}?",
            "Will it rain {slot}?",
            "[Will it be|Is it going to be] sunny {slot}?",
        ],
    },
    "jobs": {
        "slot": ["engineers", "drivers", "students"],
        "templates": [
            "Are you hiring {slot}?",
            "Do you have [jobs|open positions] for {slot}?",
            "How do {slot} apply for a job with you?",
        ],
    },
}

_CHOICE = re.compile(r"\[([^\]]+)\]")


def _render(template: str, slot: str, rng: random.Random) -> str:
    text = _CHOICE.sub(lambda m: rng.choice(m.group(1).split("|")), template)
    return text.replace("{slot}", slot).replace("{Slot}", slot[:1].upper() + slot[1:])


def make_faq(num_intents: int | None = None, entries_per_group: int = 2,
             queries_per_group: int = 3, num_unanswerable: int = 12, seed: int = 0) -> FAQData:
    """An FAQ with known paraphrase groups and held-out user questions (lecture 02, ps2 demo).

    Every intent (``opening_hours``, ``reset_password``, ...; 10 in all) has a
    slot with a few values (``Berlin``, ``Munich``...); one intent with one slot
    value is one **group**, and all its questions share one answer.  Each
    intent has 6 question templates with synonyms (``[office|branch]``).  For
    every group, ``entries_per_group`` templates become FAQ entries and
    ``queries_per_group`` *other* templates (rendered with fresh synonym
    choices) become user questions, so a query never repeats an FAQ question
    word for word.  ``num_unanswerable`` more queries come from intents the
    FAQ does not cover (``group=None``): a good answerer says "not sure".
    Groups of one intent differ only in the slot value, which makes them hard
    negatives.  Deterministic for a given ``seed``.
    """
    names = list(_INTENTS)
    if num_intents is None:
        num_intents = len(names)
    if not 1 <= num_intents <= len(names):
        raise ValueError(f"num_intents must be between 1 and {len(names)}, got {num_intents}")
    if entries_per_group < 1 or queries_per_group < 0 or num_unanswerable < 0:
        raise ValueError("entries_per_group must be >= 1, queries_per_group and "
                         "num_unanswerable >= 0")
    num_templates = min(len(spec["templates"]) for spec in _INTENTS.values())
    if entries_per_group + queries_per_group > num_templates:
        raise ValueError(f"entries_per_group + queries_per_group must be at most {num_templates} "
                         f"(the templates per intent), got {entries_per_group + queries_per_group}")
    rng = random.Random(seed)
    entries: list[FAQEntry] = []
    queries: list[FAQQuery] = []
    for intent in names[:num_intents]:
        spec = _INTENTS[intent]
        for slot in spec["slot"]:
            group = f"{intent}:{slot}"
            details = {"h1": rng.randint(7, 10), "h2": rng.randint(16, 20), "d": rng.randint(2, 14)}
            answer = spec["answer"].format(slot=slot, Slot=slot[:1].upper() + slot[1:], **details)
            order = rng.sample(range(len(spec["templates"])), len(spec["templates"]))
            for t in order[:entries_per_group]:
                entries.append(FAQEntry(_render(spec["templates"][t], slot, rng), answer, group,
                                        intent))
            for t in order[entries_per_group:entries_per_group + queries_per_group]:
                queries.append(FAQQuery(_render(spec["templates"][t], slot, rng), group, intent))
    unanswerable = [(intent, slot, template) for intent, spec in _UNANSWERABLE.items()
                    for slot in spec["slot"] for template in spec["templates"]]
    for intent, slot, template in rng.sample(unanswerable, min(num_unanswerable,
                                                               len(unanswerable))):
        queries.append(FAQQuery(_render(template, slot, rng), None, intent))
    return FAQData(entries, queries)


# --------------------------------------------------------------------------- mixtures
def _mixture_centres(num_centres: int, dim: int, separation: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng([seed, 0])
    return rng.normal(size=(num_centres, dim)) * separation / np.sqrt(2.0)


def _check_mixture(num_points: int, dim: int, num_centres: int) -> None:
    if num_points < 1 or dim < 1 or num_centres < 1:
        raise ValueError(f"num_points, dim and num_centres must be at least 1, got "
                         f"{num_points}, {dim}, {num_centres}")


def make_mixture(num_points: int = 10_000, dim: int = 64, num_centres: int = 100,
                 spread: float = 1.0, separation: float = 3.0, seed: int = 0,
                 dtype: type = np.float64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points of a Gaussian mixture with known centres: ``(X, labels, centres)``.

    Shapes: ``X (num_points, dim)``, ``labels (num_points,)``, ``centres (num_centres, dim)``.

    Centres are drawn with per-coordinate standard deviation
    ``separation / sqrt(2)`` (so two centres are about ``separation * sqrt(dim)``
    apart); every point is a centre chosen uniformly plus Gaussian noise of
    standard deviation ``spread``.  Used by problem set 2, lecture 02 and
    ``benchmarks/questions.py`` (k-means against scikit-learn).  The same
    seed gives the same centres as :class:`MixtureStream`.
    """
    _check_mixture(num_points, dim, num_centres)
    centres = _mixture_centres(num_centres, dim, separation, seed)
    rng = np.random.default_rng([seed, 1])
    labels = rng.integers(0, num_centres, size=num_points)
    X = centres[labels] + spread * rng.standard_normal((num_points, dim))
    return X.astype(dtype, copy=False), labels, centres


class MixtureStream:
    """A Gaussian mixture read chunk by chunk: the data is never in memory all at once.

    ``for X in MixtureStream(1_000_000, 64, 100, batch_size=10_000)`` yields
    float32 chunks ``(batch_size, dim)`` (the last one may be smaller); every
    iteration yields the same chunks (each chunk has its own seed), so one
    stream can be read several times.  :meth:`chunks` with ``labels=True``
    yields ``(X, labels)``.  ``centres`` are the true centres, ``nbytes`` the
    size of the whole data set if it were held in memory.  Used by lecture 02
    (mini-batch k-means on a million vectors) and ``benchmarks/questions.py``.
    """

    def __init__(self, num_points: int = 1_000_000, dim: int = 64, num_centres: int = 100,
                 batch_size: int = 10_000, spread: float = 1.0, separation: float = 3.0,
                 seed: int = 0, dtype: type = np.float32):
        _check_mixture(num_points, dim, num_centres)
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.num_points, self.dim, self.num_centres = num_points, dim, num_centres
        self.batch_size, self.spread, self.seed = batch_size, spread, seed
        self.dtype = np.dtype(dtype)
        self.centres = _mixture_centres(num_centres, dim, separation, seed)

    def __len__(self) -> int:
        return -(-self.num_points // self.batch_size)

    @property
    def nbytes(self) -> int:
        return self.num_points * self.dim * self.dtype.itemsize

    def chunks(self, labels: bool = False) -> Iterator:
        for index in range(len(self)):
            size = min(self.batch_size, self.num_points - index * self.batch_size)
            rng = np.random.default_rng([self.seed, 2, index])
            y = rng.integers(0, self.num_centres, size=size)
            X = rng.standard_normal((size, self.dim), dtype=np.float32) * self.spread
            X += self.centres[y].astype(np.float32)
            X = X.astype(self.dtype, copy=False)
            yield (X, y) if labels else X

    def __iter__(self) -> Iterator[np.ndarray]:
        return self.chunks(labels=False)

    def __repr__(self) -> str:
        return (f"MixtureStream({self.num_points:,} x {self.dim} {self.dtype}, "
                f"{self.num_centres} centres, {len(self)} chunks of {self.batch_size:,})")
