"""Data of module 3 (sequence-to-sequence with attention): dates and dialogue pairs.

Used by the lecture ``notebooks/03_attention_seq2seq.ipynb``, problem set
``ps3_seq2seq`` and ``benchmarks/seq2seq.py``.

* **Dates.** :func:`date_pairs` writes calendar dates in many human formats
  ("Saturday, 3 April 2021", "04/03/2021", "the 3rd of april, 2021", ...)
  and pairs each with its ISO 8601 form ("2021-04-03"). :func:`load_dates`
  makes seeded train/validation/test splits whose *dates* never overlap, and
  character vocabularies over them.
* **Dialogue.** :func:`chatterbot_pairs` reads question → answer pairs from
  the chatterbot-corpus YAML files (consecutive turns of each conversation);
  :func:`load_dialogue` splits and encodes them at the word level.
* **Batches.** :meth:`PairData.batches` buckets examples of similar length
  (:func:`course.text.batches_by_length`) and pads them
  (:func:`course.text.pad`) into a :class:`Seq2SeqBatch` with lengths and masks.

Everything is offline and deterministic: the same seed gives the same data.
"""

from __future__ import annotations

import datetime as dt
import random
import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from course.data.sources import DataUnavailable, chatterbot_corpus_dir
from course.text import BOS, EOS, PAD, UNK, Vocab, batches_by_length, pad, tokenize

__all__ = [
    "DATE_FORMATS",
    "LONG_DATE_FORMATS",
    "PairData",
    "Seq2SeqBatch",
    "chatterbot_pairs",
    "date_field_spans",
    "date_pairs",
    "encode_text",
    "format_date",
    "load_dates",
    "load_dialogue",
    "long_date_pairs",
    "split_text",
]

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]
_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _ordinal(day: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th', 22 -> '22nd'."""
    if 11 <= day % 100 <= 13:
        return f"{day}th"
    return str(day) + {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _fields(date: dt.date) -> dict[str, str]:
    month, weekday = _MONTHS[date.month - 1], _WEEKDAYS[date.weekday()]
    return {
        "d": str(date.day), "dd": f"{date.day:02d}", "ord": _ordinal(date.day),
        "m": str(date.month), "mm": f"{date.month:02d}",
        "month": month, "mon": month[:3], "yyyy": f"{date.year:04d}",
        "weekday": weekday, "wkd": weekday[:3],
    }


#: The human formats of :func:`format_date`: name -> pattern (fields in braces).
#: Day-first numeric forms use dots, month-first ones slashes (as in Germany and
#: the USA), so that every string has exactly one reading.
DATE_FORMATS: dict[str, str] = {
    "day_month_year": "{d} {month} {yyyy}",                    # 3 April 2021
    "month_day_year": "{month} {d}, {yyyy}",                   # April 3, 2021
    "day_mon_year": "{dd} {mon} {yyyy}",                       # 03 Apr 2021
    "mon_day_year": "{mon} {d} {yyyy}",                        # Apr 3 2021
    "ordinal_of_month": "the {ord} of {month}, {yyyy}",        # the 3rd of April, 2021
    "month_ordinal": "{month} {ord}, {yyyy}",                  # April 3rd, 2021
    "weekday_day_month": "{weekday}, {d} {month} {yyyy}",      # Saturday, 3 April 2021
    "weekday_month_day": "{wkd}, {mon} {d}, {yyyy}",           # Sat, Apr 3, 2021
    "numeric_day_first": "{dd}.{mm}.{yyyy}",                   # 03.04.2021
    "numeric_day_first_short": "{d}.{m}.{yyyy}",               # 3.4.2021
    "numeric_month_first": "{mm}/{dd}/{yyyy}",                 # 04/03/2021
    "numeric_month_first_short": "{m}/{d}/{yyyy}",             # 4/3/2021
    "year_first_slash": "{yyyy}/{mm}/{dd}",                    # 2021/04/03
    "compact": "{yyyy}{mm}{dd}",                               # 20210403
}

#: Longer formats that :func:`load_dates` never trains on (weekday, ordinal and month
#: name together, with filler words): 26 to 60 characters, where the formats of
#: :data:`DATE_FORMATS` write 8 to 28. Lecture 3 uses them (:func:`long_date_pairs`)
#: to test whether a model trained on the short formats still reads longer inputs.
LONG_DATE_FORMATS: dict[str, str] = {
    "weekday_ordinal_month": "{weekday} the {ord} of {month} {yyyy}",
    # Saturday the 3rd of April 2021
    "weekday_month_ordinal_year": "{weekday}, {month} the {ord}, in the year {yyyy}",
    # Saturday, April the 3rd, in the year 2021
    "on_weekday_the_ordinal": "on {weekday}, the {ord} day of {month} in the year {yyyy}",
    # on Saturday, the 3rd day of April in the year 2021
    "it_is_weekday": "it is {weekday}, the {ord} of {month}, and the year is {yyyy}",
    # it is Saturday, the 3rd of April, and the year is 2021
}

_ALL_FORMATS = {**DATE_FORMATS, **LONG_DATE_FORMATS}
_CASINGS = ("as is", "lower", "upper")


def format_date(date: dt.date, fmt: str, casing: str = "as is") -> str:
    """``date`` written in the human format ``fmt`` (a key of :data:`DATE_FORMATS` or
    :data:`LONG_DATE_FORMATS`).

    ``casing`` is ``"as is"`` (capitalised names), ``"lower"`` or ``"upper"``.
    Used by lecture 3 and by :func:`date_pairs`.

    >>> format_date(dt.date(2021, 4, 3), "weekday_month_day", casing="upper")
    'SAT, APR 3, 2021'
    """
    if fmt not in _ALL_FORMATS:
        raise ValueError(f"unknown date format {fmt!r}; choose one of {', '.join(_ALL_FORMATS)}")
    if casing not in _CASINGS:
        raise ValueError(f"casing must be one of {_CASINGS}, got {casing!r}")
    text = _ALL_FORMATS[fmt].format(**_fields(date))
    return {"as is": text, "lower": text.lower(), "upper": text.upper()}[casing]


_FIELD_KIND = {"d": "day", "dd": "day", "ord": "day", "m": "month", "mm": "month",
               "month": "month", "mon": "month", "yyyy": "year", "weekday": "weekday",
               "wkd": "weekday"}


def date_field_spans(iso: str, fmt: str) -> dict[str, tuple[int, int]]:
    """Where the day, month, year (and weekday) of a date are in its text written in ``fmt``.

    ``iso`` is the date (``"2021-04-03"``); returns ``{"day": (start, end),
    "month": ..., "year": ..., "weekday": ...}`` as character offsets into
    ``format_date(date, fmt)`` (any casing: casing does not move characters).
    Lecture 3 uses it to check that attention aligns output fields with
    input fields.

    >>> date_field_spans("2021-04-03", "day_month_year")
    {'day': (0, 1), 'month': (2, 7), 'year': (8, 12)}
    """
    if fmt not in _ALL_FORMATS:
        raise ValueError(f"unknown date format {fmt!r}; choose one of {', '.join(_ALL_FORMATS)}")
    try:
        values = _fields(dt.date.fromisoformat(iso))
    except ValueError:
        raise ValueError(f"{iso!r} is not an ISO date (YYYY-MM-DD)") from None
    spans, position = {}, 0
    for literal, name, _, _ in string.Formatter().parse(_ALL_FORMATS[fmt]):
        position += len(literal)
        if name:
            spans.setdefault(_FIELD_KIND[name], (position, position + len(values[name])))
            position += len(values[name])
    return spans


def _check_range(start: dt.date, end: dt.date) -> int:
    if end < start:
        raise ValueError(f"the date range is empty: end {end} is before start {start}")
    return (end - start).days + 1


def date_pairs(num_pairs: int, seed: int = 0, formats: Sequence[str] | None = None,
               start: dt.date = dt.date(1900, 1, 1), end: dt.date = dt.date(2099, 12, 31),
               mixed_case: bool = True, distinct: bool = True) -> list[tuple[str, str]]:
    """``num_pairs`` (human date, ISO date) pairs such as ``("Apr 3 2021", "2021-04-03")``.

    Dates are drawn uniformly from ``start`` .. ``end`` (all different when
    ``distinct``), each written in a format drawn from ``formats`` (default:
    all of :data:`DATE_FORMATS`) and, with ``mixed_case``, in a random casing
    (a third each of as-is, lower and upper case). Deterministic for a seed.
    Used by lecture 3 and :func:`load_dates`.
    """
    dates = _draw_dates(num_pairs, random.Random(seed), start, end, distinct)
    return _write_dates(dates, random.Random(seed + 1), formats, mixed_case)[0]


def _draw_dates(num: int, rng: random.Random, start: dt.date, end: dt.date,
                distinct: bool) -> list[dt.date]:
    if num < 0:
        raise ValueError(f"the number of dates must be at least 0, got {num}")
    span = _check_range(start, end)
    if distinct and num > span:
        raise ValueError(f"asked for {num} distinct dates but {start} .. {end} has only {span}; "
                         "widen the range or ask for fewer")
    offsets = rng.sample(range(span), num) if distinct else [rng.randrange(span)
                                                            for _ in range(num)]
    return [start + dt.timedelta(days=k) for k in offsets]


def _write_dates(dates: Sequence[dt.date], rng: random.Random, formats: Sequence[str] | None,
                 mixed_case: bool) -> tuple[list[tuple[str, str]], list[str]]:
    formats = list(DATE_FORMATS) if formats is None else list(formats)
    if not formats:
        raise ValueError("no date formats given")
    unknown = [f for f in formats if f not in _ALL_FORMATS]
    if unknown:
        raise ValueError(f"unknown date format(s) {unknown}; choose from {', '.join(_ALL_FORMATS)}")
    pairs, used = [], []
    for date in dates:
        casing = rng.choice(_CASINGS) if mixed_case else "as is"
        fmt = rng.choice(formats)
        pairs.append((format_date(date, fmt, casing), date.isoformat()))
        used.append(fmt)
    return pairs, used


def long_date_pairs(data: PairData, num_pairs: int = 1_000, seed: int = 0,
                    formats: Sequence[str] | None = None, mixed_case: bool = True,
                    start: dt.date = dt.date(1900, 1, 1), end: dt.date = dt.date(2099, 12, 31)
                    ) -> tuple[list[tuple[str, str]], list[str]]:
    """A length-generalisation test set: dates written in :data:`LONG_DATE_FORMATS`.

    The dates are new (none is a date of ``data``'s train, validation or test
    split) and the formats (default: all of :data:`LONG_DATE_FORMATS`) are
    longer than any format ``data`` was made with, so a model trained on
    ``data`` meets both longer inputs and a new way of writing them. Returns
    the ``(human date, ISO date)`` pairs and the format name of each.
    Deterministic for a seed. Used by lecture 3 (attention against no attention
    as inputs get longer).
    """
    if num_pairs < 0:
        raise ValueError(f"num_pairs must be at least 0, got {num_pairs}")
    used = {iso for name in ("train", "valid", "test") for _, iso in data.split(name)}
    span = _check_range(start, end)
    rng = random.Random(seed)
    candidates = [start + dt.timedelta(days=k) for k in rng.sample(range(span), span)]
    dates = [d for d in candidates if d.isoformat() not in used][:num_pairs]
    if len(dates) < num_pairs:
        raise ValueError(f"only {len(dates)} dates of {start} .. {end} are not used by the data; "
                         "ask for fewer pairs or widen the range")
    formats = list(LONG_DATE_FORMATS) if formats is None else formats
    return _write_dates(dates, random.Random(seed + 1), formats, mixed_case)


# --------------------------------------------------------------------------- encoding
def split_text(text: str, level: str) -> list[str]:
    """The tokens of ``text``: its characters (``level="char"``) or words (``"word"``,
    :func:`course.text.tokenize`)."""
    if level == "char":
        return list(text)
    if level == "word":
        return tokenize(text)
    raise ValueError(f"level must be 'char' or 'word', got {level!r}")


def encode_text(text: str, vocab: Vocab, level: str = "char", bos: bool = False,
                eos: bool = False) -> tuple[list[int], list[str]]:
    """Ids of ``text`` in ``vocab`` and the tokens that were not in it.

    Unknown tokens are mapped to ``<unk>`` and reported in the second value
    (so a caller can say "'€' is not a character the model knows"). An empty
    text (or one with no words at the word level) raises ``ValueError``.
    Used by lecture 3 (typed inputs, the attention viewer).
    """
    if not isinstance(text, str):
        raise TypeError(f"expected a string, got {type(text).__name__}")
    tokens = split_text(text, level)
    if not tokens:
        what = "characters" if level == "char" else "words"
        raise ValueError(f"the input {text!r} has no {what} to encode; type something")
    return vocab.encode(tokens, bos=bos, eos=eos), vocab.unknown(tokens)


@dataclass
class Seq2SeqBatch:
    """A padded batch of (source, target) pairs.

    ``src``: (batch, src_len) ids; ``src_lengths``: (batch,); ``src_mask``:
    (batch, src_len), True on real tokens. ``tgt_in`` = ``<bos>`` + target and
    ``tgt_out`` = target + ``<eos>``, both (batch, tgt_len), with their mask
    ``tgt_mask``. ``index`` are the positions of the examples in their split.
    """

    src: torch.Tensor
    src_lengths: torch.Tensor
    src_mask: torch.Tensor
    tgt_in: torch.Tensor
    tgt_out: torch.Tensor
    tgt_mask: torch.Tensor
    index: list[int]

    def __len__(self) -> int:
        return self.src.shape[0]

    @property
    def num_target_tokens(self) -> int:
        return int(self.tgt_mask.sum())


@dataclass
class PairData:
    """Source → target pairs split three ways, with their vocabularies.

    ``train``, ``valid``, ``test`` are lists of ``(source, target)`` strings;
    ``level`` is ``"char"`` (dates) or ``"word"`` (dialogue); ``tags[split]``
    gives one label per pair (the date format, or the chatterbot category).
    Built by :func:`load_dates` and :func:`load_dialogue`; used by lecture 3.
    """

    train: list[tuple[str, str]]
    valid: list[tuple[str, str]]
    test: list[tuple[str, str]]
    src_vocab: Vocab
    tgt_vocab: Vocab
    level: str
    tags: dict[str, list[str]] = field(default_factory=dict)

    def split(self, name: str) -> list[tuple[str, str]]:
        if name not in ("train", "valid", "test"):
            raise ValueError(f"split must be 'train', 'valid' or 'test', got {name!r}")
        return getattr(self, name)

    def encode_source(self, text: str) -> tuple[list[int], list[str]]:
        """Ids of a source text and its unknown tokens (see :func:`encode_text`)."""
        return encode_text(text, self.src_vocab, self.level)

    def decode_target(self, ids: Sequence[int]) -> str:
        """The text of target ids (stops at ``<eos>``, drops special tokens)."""
        tokens = self.tgt_vocab.decode(ids)
        return "".join(tokens) if self.level == "char" else " ".join(tokens)

    def encoded(self, name: str) -> list[tuple[list[int], list[int]]]:
        """(source ids, target ids) of every pair of split ``name`` (no ``<bos>``/``<eos>``)."""
        return [(self.src_vocab.encode(split_text(s, self.level)),
                 self.tgt_vocab.encode(split_text(t, self.level))) for s, t in self.split(name)]

    def batches(self, name: str, batch_size: int, shuffle: bool = True, seed: int = 0,
                examples: list[tuple[list[int], list[int]]] | None = None
                ) -> Iterator[Seq2SeqBatch]:
        """Padded batches of split ``name``, bucketed by source length.

        With ``shuffle`` the batches differ per ``seed`` (pass the epoch);
        without it they come sorted by source length. ``examples`` can pass
        :meth:`encoded` once to save encoding the split for every epoch.
        """
        examples = self.encoded(name) if examples is None else examples
        if not examples:
            raise ValueError(f"split {name!r} is empty")
        lengths = [len(src) for src, _ in examples]
        bos, eos, pad_id = self.tgt_vocab.bos_id, self.tgt_vocab.eos_id, self.tgt_vocab.pad_id
        for index in batches_by_length(lengths, batch_size, shuffle=shuffle, seed=seed):
            src, src_lengths, src_mask = pad([examples[i][0] for i in index],
                                             self.src_vocab.pad_id)
            tgt_in, _, _ = pad([[bos, *examples[i][1]] for i in index], pad_id)
            tgt_out, _, tgt_mask = pad([[*examples[i][1], eos] for i in index], pad_id)
            yield Seq2SeqBatch(src, src_lengths, src_mask, tgt_in, tgt_out, tgt_mask, index)

    def __repr__(self) -> str:
        return (f"PairData({self.level} level: {len(self.train)} train, {len(self.valid)} valid, "
                f"{len(self.test)} test; vocab {len(self.src_vocab)} -> {len(self.tgt_vocab)})")


_SPECIALS = (PAD, UNK, BOS, EOS)


def _vocabs(pairs: Sequence[tuple[str, str]], level: str, min_count: int = 1
            ) -> tuple[Vocab, Vocab]:
    src = Vocab.build((split_text(s, level) for s, _ in pairs), min_count, specials=_SPECIALS)
    tgt = Vocab.build((split_text(t, level) for _, t in pairs), min_count, specials=_SPECIALS)
    return src, tgt


def load_dates(num_train: int = 20_000, num_valid: int = 1_000, num_test: int = 2_000,
               seed: int = 0, formats: Sequence[str] | None = None,
               start: dt.date = dt.date(1900, 1, 1), end: dt.date = dt.date(2099, 12, 31),
               mixed_case: bool = True) -> PairData:
    """Date normalisation data for lecture 3: human dates → ISO 8601, character level.

    The three splits use *different dates* (so no source string of the test
    split was seen in training); every split mixes all ``formats``. The
    vocabularies are built from the training split only; a character that
    only occurs in another split maps to ``<unk>``.
    """
    sizes = {"num_train": num_train, "num_valid": num_valid, "num_test": num_test}
    for name, size in sizes.items():
        if size < 0:
            raise ValueError(f"{name} must be at least 0, got {size}")
    if num_train == 0:
        raise ValueError("num_train must be at least 1: the vocabularies come from it")
    rng = random.Random(seed)
    dates = _draw_dates(num_train + num_valid + num_test, rng, start, end, distinct=True)
    write_rng = random.Random(seed + 1)
    train, train_formats = _write_dates(dates[:num_train], write_rng, formats, mixed_case)
    valid, valid_formats = _write_dates(dates[num_train:num_train + num_valid], write_rng,
                                        formats, mixed_case)
    test, test_formats = _write_dates(dates[num_train + num_valid:], write_rng, formats,
                                      mixed_case)
    src_vocab, tgt_vocab = _vocabs(train, "char")
    return PairData(train, valid, test, src_vocab, tgt_vocab, "char",
                    tags={"train": train_formats, "valid": valid_formats, "test": test_formats})


# --------------------------------------------------------------------------- dialogue
def _chatterbot_files(language: str, categories: Sequence[str] | None) -> list[Path]:
    folder = chatterbot_corpus_dir(language)
    files = sorted(folder.glob("*.yml"))
    if categories is not None:
        wanted = set(categories)
        missing = wanted - {f.stem for f in files}
        if missing:
            raise ValueError(f"chatterbot-corpus ({language}) has no categor"
                             f"{'y' if len(missing) == 1 else 'ies'} {sorted(missing)}; "
                             f"it has {', '.join(f.stem for f in files)}")
        files = [f for f in files if f.stem in wanted]
    return files


def _tagged_pairs(language: str, categories: Sequence[str] | None, max_words: int | None
                  ) -> list[tuple[tuple[str, str], str]]:
    """((statement, response), category) for every pair, in file and conversation order."""
    try:
        import yaml
    except ImportError:
        raise DataUnavailable("PyYAML is not installed",
                              "run `make setup` in the course folder (or `pip install PyYAML`)"
                              ) from None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    tagged = []
    for path in _chatterbot_files(language, categories):
        content = yaml.load(path.read_text(encoding="utf-8"), loader)
        tagged += [(pair, path.stem) for pair in _conversation_pairs(path, content, max_words)]
    return tagged


def chatterbot_pairs(language: str = "english", categories: Sequence[str] | None = None,
                     max_words: int | None = 20) -> list[tuple[str, str]]:
    """(statement, response) pairs from chatterbot-corpus, in file and conversation order.

    Each YAML file holds ``conversations``, lists of turns where each turn
    answers the one before it (ChatterBot's own reading), so a conversation
    ``[a, b, c]`` gives the pairs ``(a, b)`` and ``(b, c)``. ``categories``
    picks files by name (``["greetings", "food"]``; default all);
    ``max_words`` drops pairs whose statement or response is longer than that
    many words (None keeps all). Used by lecture 3's dialogue model.
    """
    return [pair for pair, _ in _tagged_pairs(language, categories, max_words)]


def _conversation_pairs(path: Path, content: object, max_words: int | None
                        ) -> list[tuple[str, str]]:
    if not isinstance(content, dict) or not isinstance(content.get("conversations"), list):
        raise DataUnavailable(f"{path} has no list of conversations",
                              "reinstall it: `pip install --force-reinstall chatterbot-corpus`")
    pairs = []
    for conversation in content["conversations"]:
        turns = [str(t).strip() for t in conversation or [] if t is not None and str(t).strip()]
        for question, answer in zip(turns, turns[1:], strict=False):
            q_words, a_words = tokenize(question), tokenize(answer)
            if not q_words or not a_words:
                continue
            if max_words is not None and max(len(q_words), len(a_words)) > max_words:
                continue
            pairs.append((question, answer))
    return pairs


def load_dialogue(language: str = "english", categories: Sequence[str] | None = None,
                  max_words: int | None = 20, valid_fraction: float = 0.1, seed: int = 0,
                  min_count: int = 1) -> PairData:
    """chatterbot-corpus pairs at the word level, split into train and validation.

    The corpus is small (about two thousand pairs), so there is no separate
    test split: ``test`` is the validation split again. Statements are
    shuffled with ``seed`` and a ``valid_fraction`` of them held out with all
    their pairs, so every validation statement is new to the model. Words
    seen fewer than ``min_count`` times in training map to ``<unk>``;
    ``tags`` holds each pair's category (its file name). Used by lecture 3.
    """
    if not 0.0 <= valid_fraction < 1.0:
        raise ValueError(f"valid_fraction must be in [0, 1), got {valid_fraction}")
    tagged = _tagged_pairs(language, categories, max_words)
    if not tagged:
        raise ValueError("no chatterbot pairs left: raise max_words or choose other categories")

    def key(statement: str) -> str:
        return " ".join(tokenize(statement))

    statements = sorted({key(q) for (q, _), _ in tagged})
    random.Random(seed).shuffle(statements)
    held_out = set(statements[:int(round(valid_fraction * len(statements)))])
    train = [(p, tag) for p, tag in tagged if key(p[0]) not in held_out]
    valid = [(p, tag) for p, tag in tagged if key(p[0]) in held_out]
    src_vocab, tgt_vocab = _vocabs([p for p, _ in train], "word", min_count)
    valid_pairs, valid_tags = [p for p, _ in valid], [t for _, t in valid]
    return PairData([p for p, _ in train], valid_pairs, valid_pairs, src_vocab, tgt_vocab,
                    "word", tags={"train": [t for _, t in train], "valid": valid_tags,
                                  "test": valid_tags})
