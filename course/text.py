"""Tokenisation, vocabularies, padding and length-bucketed batching.

Used by every module that turns text into ids: word embeddings (module 1),
questions (module 2), sequence-to-sequence (module 3) and memory networks
(module 4).  Padding uses ``torch.nn.utils.rnn.pad_sequence``; problem set 0
has students write it by hand once.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import torch

__all__ = ["PAD", "UNK", "BOS", "EOS", "Vocab", "batches_by_length", "pad", "tokenize"]

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)


def tokenize(text: str, lower: bool = True) -> list[str]:
    """Words of ``text`` (letters and digits, with inner apostrophes kept: "don't").

    >>> tokenize("Hello, World! Don't panic.")
    ['hello', 'world', "don't", 'panic']
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize expects a string, got {type(text).__name__}")
    return _WORD.findall(text.lower() if lower else text)


class Vocab:
    """A mapping between tokens and integer ids, with special tokens first.

    ``Vocab.build(token_lists, min_count=1, max_size=None)`` counts tokens and
    keeps the frequent ones (ties broken alphabetically, so it is
    deterministic).  Unknown tokens map to ``<unk>`` when the vocabulary has
    it, and raise ``KeyError`` with a clear message otherwise.
    """

    def __init__(self, tokens: Iterable[str], specials: Sequence[str] = (PAD, UNK, BOS, EOS),
                 counts: dict[str, int] | None = None):
        self.itos: list[str] = []
        self.stoi: dict[str, int] = {}
        for token in [*specials, *tokens]:
            if token not in self.stoi:
                self.stoi[token] = len(self.itos)
                self.itos.append(token)
        self.specials = tuple(specials)
        self.counts = dict(counts or {})

    @classmethod
    def build(cls, token_lists: Iterable[Iterable[str]], min_count: int = 1,
              max_size: int | None = None, specials: Sequence[str] = (PAD, UNK, BOS, EOS)
              ) -> Vocab:
        counter = Counter(token for tokens in token_lists for token in tokens)
        if min_count < 1:
            raise ValueError(f"min_count must be at least 1, got {min_count}")
        kept = sorted((t for t, c in counter.items() if c >= min_count and t not in specials),
                      key=lambda t: (-counter[t], t))
        if max_size is not None:
            kept = kept[: max(0, max_size - len(specials))]
        return cls(kept, specials, {t: counter[t] for t in kept})

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def __getitem__(self, token: str) -> int:
        try:
            return self.stoi[token]
        except KeyError:
            if UNK in self.stoi:
                return self.stoi[UNK]
            raise KeyError(f"{token!r} is not in the vocabulary ({len(self)} tokens) "
                           "and it has no <unk> token") from None

    def id(self, name: str) -> int:
        """The id of a special token such as ``"<pad>"``."""
        if name not in self.stoi:
            raise KeyError(f"this vocabulary has no {name} token")
        return self.stoi[name]

    @property
    def pad_id(self) -> int:
        return self.id(PAD)

    @property
    def unk_id(self) -> int:
        return self.id(UNK)

    @property
    def bos_id(self) -> int:
        return self.id(BOS)

    @property
    def eos_id(self) -> int:
        return self.id(EOS)

    def encode(self, tokens: Iterable[str], bos: bool = False, eos: bool = False) -> list[int]:
        ids = [self[token] for token in tokens]
        return ([self.bos_id] if bos else []) + ids + ([self.eos_id] if eos else [])

    def decode(self, ids: Iterable[int], strip_specials: bool = True,
               stop_at_eos: bool = True) -> list[str]:
        out = []
        for i in ids:
            token = self.itos[int(i)]
            if stop_at_eos and token == EOS:
                break
            if strip_specials and token in self.specials:
                continue
            out.append(token)
        return out

    def unknown(self, tokens: Iterable[str]) -> list[str]:
        """The tokens that are not in the vocabulary (in order, repeated as they occur)."""
        return [t for t in tokens if t not in self.stoi]

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps({"itos": self.itos, "specials": list(self.specials)}),
                              encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Vocab:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        specials = data["specials"]
        return cls(data["itos"][len(specials):], specials)

    def __repr__(self) -> str:
        return f"Vocab({len(self)} tokens, specials={list(self.specials)})"


def pad(sequences: Sequence[Sequence[int] | torch.Tensor], pad_id: int = 0
        ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pad id sequences: ``(padded (B, T), lengths (B,), mask (B, T))``, mask True on tokens."""
    if len(sequences) == 0:
        raise ValueError("cannot pad an empty batch")
    tensors = [torch.as_tensor(s, dtype=torch.long).reshape(-1) for s in sequences]
    lengths = torch.tensor([len(t) for t in tensors], dtype=torch.long)
    padded = torch.nn.utils.rnn.pad_sequence(tensors, batch_first=True, padding_value=pad_id)
    mask = torch.arange(padded.shape[1]).unsqueeze(0) < lengths.unsqueeze(1)
    return padded, lengths, mask


def batches_by_length(lengths: Sequence[int], batch_size: int, shuffle: bool = True,
                      seed: int = 0, bucket_factor: int = 50) -> Iterator[list[int]]:
    """Index batches of similar lengths, so little of each batch is padding.

    Indices are shuffled (with ``seed``), cut into buckets of
    ``batch_size * bucket_factor``, sorted by length inside each bucket and
    cut into batches; the batch order is shuffled again.  With
    ``shuffle=False`` the batches are simply the indices sorted by length.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    order = list(range(len(lengths)))
    rng = random.Random(seed)
    if not shuffle:
        order.sort(key=lambda i: lengths[i])
        yield from (order[i:i + batch_size] for i in range(0, len(order), batch_size))
        return
    rng.shuffle(order)
    size = batch_size * bucket_factor
    batches = []
    for start in range(0, len(order), size):
        bucket = sorted(order[start:start + size], key=lambda i: lengths[i])
        batches += [bucket[i:i + batch_size] for i in range(0, len(bucket), batch_size)]
    rng.shuffle(batches)
    yield from batches
