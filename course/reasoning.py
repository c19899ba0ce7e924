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
* :func:`vectorize_babi` turns bAbI examples into tensors (slot 0 the
  ``<nil>`` memory, then the most recent sentence first); :func:`train_memn2n`
  trains a memory-network class on one task with :func:`course.train.train`
  and returns a :class:`MemN2NRun`; :func:`rename_entities` is its data
  augmentation.
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
    BABI_ENTITIES,
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
    "NIL",
    "BabiTensors",
    "MemN2NRun",
    "add_empty_memories",
    "answer_babi_symbolic",
    "babi_to_logic",
    "build_babi_vocab",
    "enumerate_marginals",
    "format_proof",
    "measure_chaining",
    "memn2n_accuracy",
    "proof_size",
    "rename_entities",
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

#: The always-present empty memory.  With masking, attention is a distribution
#: over the sentences of the story: a hop must read *some* sentence.  The
#: ``<nil>`` sentence in slot 0 gives it a place to look when nothing in the
#: story matches (the padding memories of the published implementations play
#: this part), and a yes/no question needs exactly that: "is John's last
#: place the one asked about?" becomes "does a hop find John's sentence, or
#: nothing?".  Lecture 04_reasoning explains why and measures the difference.
NIL = "<nil>"


@dataclass
class BabiTensors:
    """Examples as tensors for a memory network.

    ``stories`` (E, N, J): with the ``<nil>`` memory (the default) slot 0
    holds it and slot 1 the most recent sentence, else slot 0 holds the most
    recent sentence; ``queries`` (E, Jq); ``answers`` (E,);
    ``positions[e][n]`` is the index in ``examples[e].story`` of the sentence
    in slot n (-1 for an empty slot and for the ``<nil>`` slot);
    ``nil_slot`` is 0 with the ``<nil>`` memory, else ``None``.
    """

    stories: torch.Tensor
    queries: torch.Tensor
    answers: torch.Tensor
    positions: list[list[int]]
    examples: list[BabiExample]
    nil_slot: int | None = None

    def __len__(self) -> int:
        return len(self.examples)

    def supporting_slots(self, e: int) -> list[int]:
        """The slots of example ``e`` that hold its supporting facts."""
        wanted = set(self.examples[e].supporting_positions)
        return [n for n, pos in enumerate(self.positions[e]) if pos in wanted]


def build_babi_vocab(example_sets: Iterable[Sequence[BabiExample]]) -> Vocab:
    """A vocabulary over the words of stories, questions and answers.

    Specials first: ``<pad>`` = 0, ``<unk>``, and :data:`NIL` (the empty memory).
    """
    tokens = []
    for examples in example_sets:
        for ex in examples:
            tokens.append([w for s in ex.story for w in tokenize(s)] + tokenize(ex.question)
                          + [ex.answer.lower()])
    return Vocab.build(tokens, specials=(PAD, UNK, NIL))


def vectorize_babi(examples: Sequence[BabiExample], vocab: Vocab, max_sentences: int = 50,
                   max_words: int | None = None, nil_memory: bool = True) -> BabiTensors:
    """Tensors for a memory network; the most recent sentences that fit are kept.

    Used by :func:`train_memn2n` and lecture 04_reasoning.  Words are
    lower-cased tokens (:func:`course.text.tokenize`); unknown words map to
    ``<unk>``; answers are single vocabulary entries.  With ``nil_memory``
    (default) slot 0 holds the one-word sentence :data:`NIL` and the story
    follows from slot 1, newest first, so at most ``max_sentences - 1``
    sentences are kept; without, the newest sentence is in slot 0.
    """
    if not examples:
        raise ValueError("no examples to vectorize")
    offset = 1 if nil_memory else 0
    if nil_memory and NIL not in vocab:
        raise ValueError(f"the vocabulary has no {NIL!r} word for the empty memory: build it "
                         "with build_babi_vocab, or pass nil_memory=False")
    keep = max_sentences - offset
    if keep < 1:
        raise ValueError(f"max_sentences={max_sentences} leaves no slot for the story")
    token_stories = [[tokenize(s) for s in ex.story][-keep:][::-1] for ex in examples]
    queries = [tokenize(ex.question) for ex in examples]
    N = max(1, offset + max(len(s) for s in token_stories))
    J = max(1, max((len(w) for s in token_stories for w in s), default=1))
    if max_words is not None:
        J = min(J, max_words)
    Jq = max(len(q) for q in queries)
    stories = torch.zeros(len(examples), N, J, dtype=torch.long)         # (E, N, J)
    query_ids = torch.zeros(len(examples), Jq, dtype=torch.long)         # (E, Jq)
    if nil_memory:
        stories[:, 0, 0] = vocab[NIL]
    positions = []
    for e, (ex, sentences) in enumerate(zip(examples, token_stories, strict=True)):
        for n, words in enumerate(sentences):
            ids = vocab.encode(words[:J])
            stories[e, offset + n, :len(ids)] = torch.tensor(ids, dtype=torch.long)
        q = vocab.encode(queries[e])
        query_ids[e, :len(q)] = torch.tensor(q, dtype=torch.long)
        count = len(sentences)
        positions.append([len(ex.story) - 1 - (n - offset) if offset <= n < offset + count
                          else -1 for n in range(N)])
    answers = torch.tensor([vocab[ex.answer.lower()] for ex in examples], dtype=torch.long)
    return BabiTensors(stories, query_ids, answers, positions, list(examples),
                       0 if nil_memory else None)


def rename_entities(stories: torch.Tensor, queries: torch.Tensor, answers: torch.Tensor,
                    groups: Sequence[torch.Tensor], generator: torch.Generator | None = None
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The examples with the entities of each group renamed at random, per example.

    Used by :func:`train_memn2n` (data augmentation) and lecture
    04_reasoning.  ``groups`` are tensors of word ids that may be exchanged
    (the words of :data:`course.data.BABI_ENTITIES` that the vocabulary
    holds).  Every example draws one permutation per group and applies it to
    its story ``(B, N, J)``, question ``(B, Jq)`` and answer ``(B,)`` alike, so
    the renamed example means the same as the original (the answer is
    renamed with the story), but the names the network could memorise change
    from epoch to epoch.
    """
    B = stories.shape[0]
    vocab_size = int(max(stories.max(), queries.max(), answers.max(),
                         *(int(g.max()) for g in groups if len(g)))) + 1
    table = torch.arange(vocab_size).repeat(B, 1)                       # (B, V)
    for ids in groups:
        if len(ids) < 2:
            continue
        order = torch.rand(B, len(ids), generator=generator).argsort(dim=1)   # (B, g)
        table[:, ids] = ids[order]
    renamed = table.gather(1, stories.reshape(B, -1)).view_as(stories)  # (B, N, J)
    return renamed, table.gather(1, queries), table.gather(1, answers[:, None])[:, 0]


def add_empty_memories(stories: torch.Tensor, rate: float, max_sentences: int, first: int,
                       generator: torch.Generator | None = None) -> torch.Tensor:
    """Random noise (Sukhbaatar et al.): empty slots inserted among the sentences.

    Used by :func:`train_memn2n` on each training batch ``(B, N, J)``.  Slots
    before ``first`` (the ``<nil>`` memory) stay where they are; before each
    later slot an empty one is inserted with probability ``rate``, so the
    sentences keep their order but move back by a random number of slots and
    the temporal encoding cannot memorise exact distances.  The result has at
    most ``max_sentences`` slots (only then are the oldest sentences dropped).
    """
    B, N, J = stories.shape
    M = N - first
    inserted = torch.rand(B, M, generator=generator) < rate            # (B, M)
    target = first + torch.arange(M) + inserted.cumsum(dim=1)          # (B, M): new slot
    width = min(max_sentences, N + int(inserted.sum(dim=1).max()) if M else N)
    out = stories.new_zeros(B, width, J)                                # (B, N', J)
    out[:, :first] = stories[:, :first]
    keep = target < width                                              # (B, M)
    rows = torch.arange(B)[:, None].expand(B, M)                       # (B, M)
    out[rows[keep], target[keep]] = stories[:, first:][keep]
    return out


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
                 num_valid: int = 500, num_test: int = 1000, embedding_dim: int = 40,
                 num_hops: int = 3, max_sentences: int = 50, num_epochs: int = 200,
                 batch_size: int = 32, lr: float = 0.01, weight_decay: float = 1e-4,
                 time_budget: float | None = 60.0, target: float | None = 0.99,
                 seed: int = 0, folder: str | None = None, progress: bool = True,
                 max_grad_norm: float = 40.0,
                 examples: dict[str, Sequence[BabiExample]] | None = None,
                 num_threads: int | None = 1, nil_memory: bool = True,
                 random_noise: float = 0.1, rename: bool = True, rename_after: int = 20,
                 keep_best: bool = True) -> MemN2NRun:
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

    What makes the yes/no task learnable from 1,000 questions (lecture
    04_reasoning, section 4, measures the first; its exercise 7 the others):

    * ``nil_memory``: the ``<nil>`` memory in slot 0 (:data:`NIL`), so that a
      hop can attend to nothing; without it task 6 stays at chance for a long
      while and, even with everything below, below the pass mark.
    * ``random_noise``: the fraction of empty memories inserted among the
      training sentences (Sukhbaatar et al.'s "random noise"), so the temporal
      encoding learns "more recent", not exact slots.
    * ``rename``: after ``rename_after`` epochs each training example has its
      people, places, objects, names and colours renamed at random
      (:func:`rename_entities`, :data:`course.data.BABI_ENTITIES`), so the
      network cannot memorise its 1,000 stories and has to learn the rule.
      The first epochs see the stories as written, which lets the attention
      settle first (renaming from the start often stays at chance).
    * ``weight_decay``: an L2 penalty (Adam's ``weight_decay``) that keeps the
      embeddings small, so the attention does not saturate at 0/1 early (a
      saturated softmax passes no gradient, and the run stalls a few points
      short of the pass mark on some seeds).  Ten times more (1e-3) keeps
      10,000-question runs at chance: the penalty then outweighs the small
      gradients of the first epochs.
    * ``keep_best``: at the end the parameters of the epoch with the best
      validation accuracy are restored (early stopping on the validation set;
      the test set is used only once, for ``test_accuracy``).

    ``num_threads`` (default 1) is the number of torch threads during the run
    (restored afterwards): on tensors this small, synchronising several
    threads costs more than it saves, several times more on a busy machine.
    """
    if not 0 <= random_noise < 1:
        raise ValueError(f"random_noise is a fraction of empty memories in [0, 1), "
                         f"got {random_noise}")
    saved_threads = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(num_threads)
    settings = {"task": task, "num_train": num_train, "num_valid": num_valid,
                "num_test": num_test, "embedding_dim": embedding_dim, "num_hops": num_hops,
                "max_sentences": max_sentences, "num_epochs": num_epochs,
                "batch_size": batch_size, "lr": lr, "weight_decay": weight_decay,
                "time_budget": time_budget,
                "target": target, "seed": seed, "folder": folder, "progress": progress,
                "max_grad_norm": max_grad_norm, "nil_memory": nil_memory,
                "random_noise": random_noise, "rename": rename, "rename_after": rename_after,
                "keep_best": keep_best}
    try:
        return _train_memn2n(model_cls, examples, settings)
    finally:
        torch.set_num_threads(saved_threads)


def _train_memn2n(model_cls, examples, opt: dict[str, Any]) -> MemN2NRun:
    task, seed, folder = opt["task"], opt["seed"], opt["folder"]
    set_seed(seed)
    if examples is None:
        examples = {
            "train": load_babi_task(task, "train", opt["num_train"], seed=seed, folder=folder),
            "valid": load_babi_task(task, "valid", opt["num_valid"], seed=seed, folder=folder),
            "test": load_babi_task(task, "test", opt["num_test"], seed=seed, folder=folder),
        }
        if folder is not None:
            examples["train"] = examples["train"][:opt["num_train"]]
    vocab = build_babi_vocab(examples.values())
    data = {split: vectorize_babi(examples[split], vocab, opt["max_sentences"],
                                  nil_memory=opt["nil_memory"])
            for split in ("train", "valid", "test")}
    model = model_cls(len(vocab), opt["embedding_dim"], opt["num_hops"], opt["max_sentences"])
    optimizer = torch.optim.Adam(model.parameters(), lr=opt["lr"],
                                 weight_decay=opt["weight_decay"])
    train_data = data["train"]
    generator = torch.Generator().manual_seed(seed)
    first = 1 if opt["nil_memory"] else 0
    groups = [torch.tensor([vocab[w.lower()] for w in words if w.lower() in vocab])
              for words in BABI_ENTITIES.values()]
    groups = [ids for ids in groups if len(ids) > 1]

    def batches(epoch: int):
        order = torch.randperm(len(train_data), generator=generator)
        for start in range(0, len(order), opt["batch_size"]):
            yield epoch, order[start:start + opt["batch_size"]]

    def step(batch: tuple[int, torch.Tensor]) -> float:
        epoch, index = batch
        stories = train_data.stories[index]                                     # (b, N, J)
        queries, answers = train_data.queries[index], train_data.answers[index]  # (b, Jq), (b,)
        if opt["rename"] and groups and epoch >= opt["rename_after"]:
            stories, queries, answers = rename_entities(stories, queries, answers, groups,
                                                        generator)
        if opt["random_noise"] > 0:
            stories = add_empty_memories(stories, opt["random_noise"], opt["max_sentences"],
                                          first, generator)
        logits, _ = model(stories, queries)                                     # (b, V)
        loss = F.cross_entropy(logits, answers)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), opt["max_grad_norm"])
        optimizer.step()
        return loss.item()

    best = {"accuracy": -1.0, "state": None}

    def evaluate() -> float:
        accuracy = memn2n_accuracy(model, data["valid"])[0]
        if opt["keep_best"] and accuracy > best["accuracy"]:
            best["accuracy"] = accuracy
            best["state"] = {k: v.detach().clone() for k, v in model.state_dict().items()}
        return accuracy

    history = train(step, batches, opt["num_epochs"], time_budget=opt["time_budget"],
                    evaluate=evaluate, target=opt["target"], desc=f"MemN2N task {task}",
                    progress=opt["progress"], batch_size=lambda batch: len(batch[1]))
    if best["state"] is not None:
        model.load_state_dict(best["state"])
    settings = {**opt, "num_train": len(train_data)}
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
