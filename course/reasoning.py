"""Helper code of lecture 04_reasoning: proofs, brute force, memory-network training, symbolic bAbI.

Nothing here is an answer to a graded function of problem set 4: functions
that need the graded code (backward chaining, the memory network class)
take it as an argument, and the lecture and the benchmark pass the
reference loaded with ``course.notebooks.reference("ps4_reasoning")``.

* :func:`format_proof` prints a proof tree; :func:`proof_size` counts its steps.
* :func:`enumerate_marginals` is exact inference by brute force (all ``k**n``
  assignments), the check for sum-product on small trees.
* :func:`measure_chaining` times a forward-chaining function and counts its
  join work (:attr:`course.data.FactIndex.probes`).
* :func:`vectorize_babi` turns bAbI examples into tensors (most recent
  sentence in slot 0); :func:`train_memn2n` trains a memory-network class on
  one task with :func:`course.train.train` and returns a :class:`MemN2NRun`.
* :func:`babi_to_logic` reads a bAbI example into facts and a query with
  hand-written patterns, and :func:`answer_babi_symbolic` answers it with a
  backward-chaining function and the hand-written rules of :data:`BABI_RULES`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from course.data.reasoning import (
    BUILTINS,
    BabiExample,
    FactIndex,
    Proof,
    Rule,
    TreeModel,
    format_atom,
    format_rule,
    load_babi_task,
    parse_rule,
    substitute,
    variables_in,
)
from course.text import PAD, UNK, Vocab, tokenize
from course.train import History, set_seed, train

__all__ = [
    "BABI_RULES",
    "BabiTensors",
    "MemN2NRun",
    "answer_babi_symbolic",
    "babi_to_logic",
    "build_babi_vocab",
    "enumerate_marginals",
    "format_proof",
    "measure_chaining",
    "memn2n_accuracy",
    "proof_size",
    "train_memn2n",
    "vectorize_babi",
]


# =====================================================================================
# Proofs and forward chaining
# =====================================================================================

def format_proof(proof: Proof, indent: str = "") -> str:
    """A proof tree as indented text, one line per step, the rule used in brackets.

    Used by lecture 04_reasoning to show why the reasoner believes an answer::

        grandparent(ann, cleo)  <- grandparent(?x, ?z) :- parent(?x, ?y), parent(?y, ?z)
          parent(ann, bob)  <- fact
          parent(bob, cleo)  <- fact
    """
    if proof.rule is None:
        why = "built-in" if proof.conclusion[0] in BUILTINS else "fact"
    else:
        why = format_rule(proof.rule)
    lines = [f"{indent}{format_atom(proof.conclusion)}  <- {why}"]
    lines += [format_proof(p, indent + "  ") for p in proof.premises]
    return "\n".join(lines)


def proof_size(proof: Proof) -> int:
    """The number of steps (nodes) of a proof tree."""
    return 1 + sum(proof_size(p) for p in proof.premises)


def measure_chaining(chain: Callable[..., tuple[set, list]], facts: Sequence[tuple],
                     rules: Sequence[Rule], **kwargs: Any) -> dict[str, Any]:
    """Run ``chain(facts, rules, **kwargs)`` once and report its cost.

    Used by lecture 04_reasoning and ``benchmarks/reasoning.py`` to compare naive
    and semi-naive forward chaining.  Returns ``seconds``, ``derived`` (facts
    added to the given ones), ``rounds``, ``probes`` (candidate facts the
    :class:`~course.data.FactIndex` lookups examined: join work that does not
    depend on the machine) and ``per_second`` (derived facts per second).
    """
    FactIndex.probes = 0
    start = time.perf_counter()
    closure, rounds = chain(facts, rules, **kwargs)
    seconds = time.perf_counter() - start
    derived = len(closure) - len(set(facts))
    return {"seconds": seconds, "derived": derived, "rounds": len(rounds),
            "probes": FactIndex.probes, "per_second": derived / max(seconds, 1e-9),
            "closure": closure, "round_sets": rounds}


# =====================================================================================
# Brute-force inference on tree models
# =====================================================================================

def enumerate_marginals(model: TreeModel, evidence: dict[Any, int] | None = None,
                        max_nodes: int = 20) -> tuple[np.ndarray, float]:
    """Exact ``P(X_i | evidence)`` and ``P(evidence)`` by summing over all assignments.

    Used by lecture 04_reasoning to check message passing. The cost is
    ``k ** n`` joint probabilities, so it refuses trees with more than
    ``max_nodes`` nodes.
    """
    n, k = model.num_nodes, model.num_states
    if n > max_nodes:
        raise ValueError(f"{n} nodes means {k}**{n} assignments; enumeration is limited to "
                         f"{max_nodes} nodes (raise max_nodes if you mean it)")
    evidence = {model.index(node): value for node, value in (evidence or {}).items()}
    assignments = np.array(list(product(range(k), repeat=n)))           # (k**n, n)
    probs = np.full(len(assignments), model.cpts[0][assignments[:, 0]])
    for i in range(1, n):
        probs *= model.cpts[i][assignments[:, model.parents[i]], assignments[:, i]]
    for i, value in evidence.items():
        probs *= assignments[:, i] == value
    marginals = np.stack([np.bincount(assignments[:, i], weights=probs, minlength=k)
                          for i in range(n)])                            # (n, k)
    total = float(probs.sum())
    return marginals / max(total, 1e-300), total


# =====================================================================================
# Memory networks on bAbI-style stories
# =====================================================================================

@dataclass
class BabiTensors:
    """Examples as tensors for a memory network.

    ``stories`` (E, N, J): slot 0 holds the most recent sentence; ``queries``
    (E, Jq); ``answers`` (E,); ``positions[e][n]`` is the index in
    ``examples[e].story`` of the sentence in slot n (-1 for an empty slot).
    """

    stories: torch.Tensor
    queries: torch.Tensor
    answers: torch.Tensor
    positions: list[list[int]]
    examples: list[BabiExample]

    def __len__(self) -> int:
        return len(self.examples)

    def supporting_slots(self, e: int) -> list[int]:
        """The slots of example ``e`` that hold its supporting facts."""
        wanted = set(self.examples[e].supporting_positions)
        return [n for n, pos in enumerate(self.positions[e]) if pos in wanted]


def build_babi_vocab(example_sets: Iterable[Sequence[BabiExample]]) -> Vocab:
    """A vocabulary over the words of stories, questions and answers (``<pad>`` = 0)."""
    tokens = []
    for examples in example_sets:
        for ex in examples:
            tokens.append([w for s in ex.story for w in tokenize(s)] + tokenize(ex.question)
                          + [ex.answer.lower()])
    return Vocab.build(tokens, specials=(PAD, UNK))


def vectorize_babi(examples: Sequence[BabiExample], vocab: Vocab, max_sentences: int = 50,
                   max_words: int | None = None) -> BabiTensors:
    """Tensors for a memory network; the most recent ``max_sentences`` sentences are kept.

    Used by :func:`train_memn2n` and lecture 04_reasoning.  Words are
    lower-cased tokens (:func:`course.text.tokenize`); unknown words map to
    ``<unk>``; answers are single vocabulary entries.
    """
    if not examples:
        raise ValueError("no examples to vectorize")
    token_stories = [[tokenize(s) for s in ex.story][-max_sentences:][::-1] for ex in examples]
    queries = [tokenize(ex.question) for ex in examples]
    N = max(1, max(len(s) for s in token_stories))
    J = max(1, max((len(w) for s in token_stories for w in s), default=1))
    if max_words is not None:
        J = min(J, max_words)
    Jq = max(len(q) for q in queries)
    stories = torch.zeros(len(examples), N, J, dtype=torch.long)         # (E, N, J)
    query_ids = torch.zeros(len(examples), Jq, dtype=torch.long)         # (E, Jq)
    positions = []
    for e, (ex, sentences) in enumerate(zip(examples, token_stories, strict=True)):
        for n, words in enumerate(sentences):
            ids = vocab.encode(words[:J])
            stories[e, n, :len(ids)] = torch.tensor(ids, dtype=torch.long)
        q = vocab.encode(queries[e])
        query_ids[e, :len(q)] = torch.tensor(q, dtype=torch.long)
        count = len(sentences)
        positions.append([len(ex.story) - 1 - n if n < count else -1 for n in range(N)])
    answers = torch.tensor([vocab[ex.answer.lower()] for ex in examples], dtype=torch.long)
    return BabiTensors(stories, query_ids, answers, positions, list(examples))


@torch.no_grad()
def memn2n_accuracy(model: torch.nn.Module, data: BabiTensors, batch_size: int = 500
                    ) -> tuple[float, torch.Tensor, torch.Tensor]:
    """Accuracy, predicted answer ids (E,) and attention (E, K, N) of a memory network."""
    model.eval()
    preds, atts = [], []
    for start in range(0, len(data), batch_size):
        logits, attention = model(data.stories[start:start + batch_size],
                                  data.queries[start:start + batch_size])
        preds.append(logits.argmax(-1))
        atts.append(attention)
    model.train()
    predictions = torch.cat(preds)
    return float((predictions == data.answers).float().mean()), predictions, torch.cat(atts)


@dataclass
class MemN2NRun:
    """What :func:`train_memn2n` did: the model, data, history and accuracies."""

    task: int
    model: torch.nn.Module
    vocab: Vocab
    history: History
    train: BabiTensors
    valid: BabiTensors
    test: BabiTensors
    valid_accuracy: float
    test_accuracy: float
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def seconds_to_target(self) -> float | None:
        """Training seconds until validation accuracy first reached the target (None if never)."""
        target = self.settings.get("target")
        return None if target is None else self.history.time_to(target)


def train_memn2n(model_cls: Callable[..., torch.nn.Module], task: int = 1, num_train: int = 1000,
                 num_valid: int = 200, num_test: int = 1000, embedding_dim: int = 20,
                 num_hops: int = 3, max_sentences: int = 50, num_epochs: int = 60,
                 batch_size: int = 32, lr: float = 0.01, time_budget: float | None = 60.0,
                 target: float | None = 0.99, seed: int = 0, folder: str | None = None,
                 progress: bool = True, max_grad_norm: float = 40.0,
                 examples: dict[str, Sequence[BabiExample]] | None = None,
                 num_threads: int | None = 1) -> MemN2NRun:
    """Train a memory network class on one bAbI task; the class is an argument.

    Used by lecture 04_reasoning, problem set 4's demo and
    ``benchmarks/reasoning.py``, with ``model_cls`` the graded ``MemN2N``
    (``model_cls(vocab_size, embedding_dim, num_hops, max_sentences)``, whose
    forward returns ``(logits, attention)``).  Data: ``num_train`` /
    ``num_valid`` / ``num_test`` generated questions (or the published files
    in ``folder``; or ``examples`` with keys train/valid/test).  Adam with
    learning rate ``lr``, gradient norm clipped at ``max_grad_norm`` as in
    the paper; training stops after ``num_epochs`` epochs, ``time_budget``
    seconds, or when the validation accuracy reaches ``target``.

    ``num_threads`` (default 1) is the number of torch threads during the run
    (restored afterwards): on tensors this small, synchronising several
    threads costs more than it saves, several times more on a busy machine.
    """
    saved_threads = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(num_threads)
    try:
        return _train_memn2n(model_cls, task, num_train, num_valid, num_test, embedding_dim,
                             num_hops, max_sentences, num_epochs, batch_size, lr, time_budget,
                             target, seed, folder, progress, max_grad_norm, examples)
    finally:
        torch.set_num_threads(saved_threads)


def _train_memn2n(model_cls, task, num_train, num_valid, num_test, embedding_dim, num_hops,
                  max_sentences, num_epochs, batch_size, lr, time_budget, target, seed, folder,
                  progress, max_grad_norm, examples) -> MemN2NRun:
    set_seed(seed)
    if examples is None:
        examples = {
            "train": load_babi_task(task, "train", num_train, seed=seed, folder=folder),
            "valid": load_babi_task(task, "valid", num_valid, seed=seed, folder=folder),
            "test": load_babi_task(task, "test", num_test, seed=seed, folder=folder),
        }
        if folder is not None:
            examples["train"] = examples["train"][:num_train]
    vocab = build_babi_vocab(examples.values())
    data = {split: vectorize_babi(examples[split], vocab, max_sentences)
            for split in ("train", "valid", "test")}
    model = model_cls(len(vocab), embedding_dim, num_hops, max_sentences)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    train_data = data["train"]
    generator = torch.Generator().manual_seed(seed)

    def batches(epoch: int):
        order = torch.randperm(len(train_data), generator=generator)
        for start in range(0, len(order), batch_size):
            yield order[start:start + batch_size]

    def step(index: torch.Tensor) -> float:
        logits, _ = model(train_data.stories[index], train_data.queries[index])  # (b, V)
        loss = F.cross_entropy(logits, train_data.answers[index])
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
        optimizer.step()
        return loss.item()

    history = train(step, batches, num_epochs, time_budget=time_budget,
                    evaluate=lambda: memn2n_accuracy(model, data["valid"])[0], target=target,
                    desc=f"MemN2N task {task}", progress=progress, batch_size=len)
    settings = {"task": task, "num_train": len(train_data), "embedding_dim": embedding_dim,
                "num_hops": num_hops, "num_epochs": num_epochs, "batch_size": batch_size,
                "lr": lr, "target": target, "seed": seed}
    return MemN2NRun(task, model, vocab, history, data["train"], data["valid"], data["test"],
                     memn2n_accuracy(model, data["valid"])[0],
                     memn2n_accuracy(model, data["test"])[0], settings)


# =====================================================================================
# A symbolic reader for bAbI stories
# =====================================================================================

#: Hand-written Horn rules per task.  Time points are the story's line numbers;
#: ``next(t, t2)`` links consecutive lines and ``stays(p, t)`` says that p did not
#: move at line t (the reader writes these: the frame axiom made explicit).
BABI_RULES: dict[int, list[Rule]] = {
    1: [parse_rule("at(?p, ?l, ?t) :- moved(?p, ?l, ?t)"),
        parse_rule("at(?p, ?l, ?t2) :- next(?t, ?t2), stays(?p, ?t2), at(?p, ?l, ?t)")],
    15: [parse_rule("afraid(?x, ?y) :- isa(?x, ?k), fears(?k, ?y)")],
    16: [parse_rule("color_of(?x, ?c) :- isa(?x, ?k), isa(?y, ?k), neq(?x, ?y), "
                    "has_color(?y, ?c)")],
}
BABI_RULES[6] = BABI_RULES[1]

_MOVE = re.compile(r"^(\w+) (?:moved|went|journeyed|travelled|went back) to the (\w+)\.?$")
_GET = re.compile(r"^(\w+) (?:got|picked up|grabbed|took) the (\w+)(?: there)?\.?$")
_DROP = re.compile(r"^(\w+) (?:dropped|discarded|put down|left) the (\w+)\.?$")
_FEAR = re.compile(r"^(\w+) are afraid of (\w+)\.?$")
_ISA = re.compile(r"^(\w+) is an? (\w+)\.?$")
_COLOR = re.compile(r"^(\w+) is (\w+)\.?$")
_SINGULAR = {"mice": "mouse", "wolves": "wolf", "sheep": "sheep", "cats": "cat"}


def _singular(word: str) -> str:
    word = word.lower()
    return _SINGULAR.get(word, word[:-1] if word.endswith("s") else word)


def babi_to_logic(example: BabiExample) -> tuple[list[tuple], tuple]:
    """Facts and a query for a bAbI example of task 1, 6, 15 or 16 (hand-written patterns).

    Used by lecture 04_reasoning for the symbolic side of the comparison.  The
    query has the variable ``?a`` for the answer (tasks 1, 15, 16) or is
    ground (task 6, yes/no).  Raises ``ValueError`` for a sentence the patterns
    do not cover: the symbolic reader knows only what it was written for.
    """
    facts: set[tuple] = set()
    people: set[str] = set()
    moves: set[tuple[str, int]] = set()
    for text, t in zip(example.story, example.line_numbers, strict=True):
        if m := _MOVE.match(text):
            person, place = m.group(1).lower(), m.group(2).lower()
            facts.add(("moved", person, place, str(t)))
            people.add(person)
            moves.add((person, t))
        elif m := _GET.match(text):
            facts.add(("got", m.group(1).lower(), m.group(2).lower(), str(t)))
        elif m := _DROP.match(text):
            facts.add(("dropped", m.group(1).lower(), m.group(2).lower(), str(t)))
        elif m := _FEAR.match(text):
            facts.add(("fears", _singular(m.group(1)), _singular(m.group(2))))
        elif m := _ISA.match(text):
            facts.add(("isa", m.group(1).lower(), m.group(2).lower()))
        elif m := _COLOR.match(text):
            facts.add(("has_color", m.group(1).lower(), m.group(2).lower()))
        else:
            raise ValueError(f"the symbolic reader has no pattern for {text!r}")
    now = (max(example.line_numbers) + 1) if example.line_numbers else 1
    for t in range(1, now + 1):
        if t > 1:
            facts.add(("next", str(t - 1), str(t)))
        for person in people:
            if (person, t) not in moves:
                facts.add(("stays", person, str(t)))
    q = example.question.rstrip("? ").strip()
    if m := re.fullmatch(r"Where is (\w+)", q):
        query = ("at", m.group(1).lower(), "?a", str(now))
    elif m := re.fullmatch(r"Is (\w+) in the (\w+)", q):
        query = ("at", m.group(1).lower(), m.group(2).lower(), str(now))
    elif m := re.fullmatch(r"What is (\w+) afraid of", q):
        query = ("afraid", m.group(1).lower(), "?a")
    elif m := re.fullmatch(r"What colou?r is (\w+)", q):
        query = ("color_of", m.group(1).lower(), "?a")
    else:
        raise ValueError(f"the symbolic reader has no pattern for the question {q!r}")
    return sorted(facts), query


def answer_babi_symbolic(example: BabiExample, backward_chain: Callable[..., Iterable],
                         task: int, max_depth: int = 40) -> tuple[str | None, Proof | None]:
    """Answer a bAbI example with a backward-chaining function and :data:`BABI_RULES`.

    ``backward_chain(goal, index, rules, max_depth=...)`` yields ``(subst,
    proof)`` pairs (the graded function of problem set 4).  Returns the
    answer word ("yes"/"no" for task 6; ``None`` when nothing is proved) and
    the first proof found.
    """
    if task not in BABI_RULES:
        raise ValueError(f"no hand-written rules for task {task}; available: {sorted(BABI_RULES)}")
    facts, query = babi_to_logic(example)
    index = FactIndex(facts)
    first = next(iter(backward_chain(query, index, BABI_RULES[task], max_depth=max_depth)), None)
    if not variables_in(query):
        return ("yes" if first is not None else "no"), (first[1] if first else None)
    if first is None:
        return None, None
    subst, proof = first
    return str(substitute("?a", subst)), proof
