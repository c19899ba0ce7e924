"""Lecture helpers of module 3 (sequence-to-sequence with attention): the parts that are not graded.

Used by ``notebooks/03_attention_seq2seq.ipynb``, problem set ``ps3_seq2seq``
(its test cells and its closing demo) and ``benchmarks/seq2seq.py``.

The graded building blocks (the encoder, the two attention modules, the
decoder step, the masked loss, greedy decoding and beam search) live only in
``solutions/ps3_seq2seq``; the code here takes them as arguments:

* :class:`Seq2Seq` wires an encoder and a decoder together (teacher-forced
  forward pass, and the ``encode``/``step`` pair that decoders call);
* :func:`build_model` makes one from the classes of a problem-set namespace
  (``course.notebooks.reference("ps3_seq2seq")`` or your own notebook);
* :func:`train_seq2seq` trains it with :func:`course.train.train`;
* :func:`predict`, :func:`translate` and :func:`plot_attention` decode and draw;
* :class:`NoAttention` is the baseline without attention, :func:`toy_step`
  a tiny hand-made "model" for testing decoders, :func:`index_state` the
  beam-reordering helper.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from course.data.seq2seq import PairData, encode_text, split_text
from course.metrics import exact_match
from course.train import History, load_or_train, set_seed, train

__all__ = [
    "NoAttention",
    "Seq2Seq",
    "Translation",
    "build_model",
    "count_parameters",
    "exact_match_by_group",
    "index_state",
    "plot_attention",
    "predict",
    "state_batch_size",
    "toy_step",
    "train_or_load",
    "train_seq2seq",
    "translate",
]

State = Any  # a tensor or a tuple of tensors whose first dimension is the batch (or the beams)
StepFn = Callable[[torch.Tensor, State], tuple[torch.Tensor, State]]


def index_state(state: State, index: torch.Tensor) -> State:
    """Rows ``index`` of a decoder state: a tensor, or a tuple/list of tensors, batch first.

    Beam search uses it to follow each surviving hypothesis back to the beam
    it came from (``index`` may repeat rows). Used by problem set 3.
    """
    if isinstance(state, torch.Tensor):
        return state.index_select(0, index)
    if isinstance(state, (tuple, list)):
        return type(state)(index_state(s, index) for s in state)
    if state is None:
        return None
    raise TypeError("a decoder state is a tensor or a tuple of tensors, "
                    f"got {type(state).__name__}")


def state_batch_size(state: State) -> int:
    """The batch size of a decoder state: the first dimension of its (first) tensor.

    Used by ``greedy_decode`` in problem set 3.
    """
    if isinstance(state, torch.Tensor):
        return state.shape[0]
    if isinstance(state, (tuple, list)) and state:
        return state_batch_size(state[0])
    raise TypeError("a decoder state is a tensor or a tuple of tensors, "
                    f"got {type(state).__name__}")


def toy_step(log_probs: torch.Tensor | Sequence) -> tuple[StepFn, Callable[[int], State]]:
    """A hand-made "model" for testing decoders: next-token log-probabilities from a table.

    ``log_probs`` of shape ``(V, V)``: row ``a`` holds the log-probabilities
    of the token after token ``a`` (a first-order Markov chain). Of shape
    ``(V, V, V)``: entry ``[a, b]`` holds those of the token after ``a, b``
    (second order; the state remembers the token before the previous one, so
    a beam search that forgets to reorder its state gets it wrong).

    Returns ``(step, initial_state)``: ``step(tokens (k,), state) ->
    (log_probs (k, V), state)`` and ``initial_state(k)`` for ``k`` sequences
    (before the first token both orders see ``<bos>`` as "the token before").
    Used by problem set 3's tests and lecture 3's beam-search example.
    """
    table = torch.as_tensor(log_probs, dtype=torch.float32)
    if table.dim() not in (2, 3) or len(set(table.shape)) != 1:
        raise ValueError(f"toy_step needs a table of shape (V, V) or (V, V, V), got "
                         f"{tuple(table.shape)}")
    second_order = table.dim() == 3

    def step(tokens: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        tokens = torch.as_tensor(tokens, dtype=torch.long).reshape(-1)        # (k,)
        if not second_order:
            return table[tokens], state                                       # (k, V)
        before = state[0].reshape(-1)                                         # (k,)
        # before the first step "before" is -1 (nothing yet): use the token itself
        before = torch.where(before < 0, tokens, before)
        return table[before, tokens], (tokens.clone(),)                       # (k, V)

    def initial_state(k: int = 1) -> State:
        return (torch.full((k,), -1, dtype=torch.long),)

    return step, initial_state


class NoAttention(nn.Module):
    """The baseline without attention: one fixed context, the mean of the encoder states.

    Its "weights" are uniform over the real source positions, so it plugs into
    the decoder of problem set 3 in place of an attention module. Used by
    lecture 3 and the benchmark.
    """

    def forward(self, query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        # query: (B, Hq) is ignored; keys: (B, T, Hk); mask: (B, T)
        weights = mask.float() / mask.sum(dim=1, keepdim=True).clamp_min(1)   # (B, T)
        context = torch.bmm(weights.unsqueeze(1), keys).squeeze(1)           # (B, Hk)
        return context, weights


class Seq2Seq(nn.Module):
    """An encoder and a decoder of problem set 3, wired together.

    * ``encode(src, lengths, src_mask)`` runs the encoder and returns the
      decoder state ``(hidden (B, H), enc_outputs (B, T, C), src_mask (B, T))``;
    * ``step(tokens (B,), state)`` is one decoder step returning
      ``(log_probs (B, V), state)``: the interface of ``greedy_decode`` and
      ``beam_search``;
    * ``forward(...)`` is the teacher-forced pass used in training; it also
      returns the attention weights, which lecture 3 draws.
    """

    def __init__(self, encoder: nn.Module, decoder: nn.Module, bos_id: int, eos_id: int):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.bos_id = bos_id
        self.eos_id = eos_id

    def encode(self, src: torch.Tensor, lengths: torch.Tensor, src_mask: torch.Tensor) -> State:
        enc_outputs, final = self.encoder(src, lengths)     # (B, T, C), (B, C)
        hidden = self.decoder.init_hidden(final)            # (B, H)
        return hidden, enc_outputs, src_mask

    def step(self, tokens: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        hidden, enc_outputs, src_mask = state
        logits, hidden, _ = self.decoder(tokens, hidden, enc_outputs, src_mask)  # (B, V), (B, H)
        return torch.log_softmax(logits, dim=-1), (hidden, enc_outputs, src_mask)

    def forward(self, src: torch.Tensor, lengths: torch.Tensor, src_mask: torch.Tensor,
                tgt_in: torch.Tensor, teacher_forcing: float = 1.0
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits ``(B, T_out, V)`` and attention weights ``(B, T_out, T_src)``.

        At step ``t`` the decoder reads ``tgt_in[:, t]`` (teacher forcing);
        with ``teacher_forcing < 1`` each example reads its own previous
        prediction instead with probability ``1 - teacher_forcing``.
        """
        hidden, enc_outputs, src_mask = self.encode(src, lengths, src_mask)
        tokens = tgt_in[:, 0]                                            # (B,)
        all_logits, all_weights = [], []
        for t in range(tgt_in.shape[1]):
            logits, hidden, weights = self.decoder(tokens, hidden, enc_outputs, src_mask)
            all_logits.append(logits)                                    # (B, V)
            all_weights.append(weights)                                  # (B, T_src)
            if t + 1 < tgt_in.shape[1]:
                tokens = tgt_in[:, t + 1]
                if teacher_forcing < 1.0:
                    own = logits.argmax(dim=-1)                          # (B,)
                    use_truth = torch.rand(tokens.shape[0]) < teacher_forcing
                    tokens = torch.where(use_truth, tokens, own)
        return torch.stack(all_logits, dim=1), torch.stack(all_weights, dim=1)


def count_parameters(model: nn.Module) -> int:
    """The number of trainable parameters of ``model`` (printed by lecture 3)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def build_model(modules: Any, data: PairData, attention: str = "additive",
                embed_size: int = 16, hidden_size: int = 64, seed: int = 0) -> Seq2Seq:
    """A :class:`Seq2Seq` built from the classes of problem set 3.

    ``modules`` is any namespace with ``Encoder``, ``Decoder``,
    ``AdditiveAttention`` and ``GeneralAttention`` (the reference loaded with
    ``course.notebooks.reference("ps3_seq2seq")``, or ``globals()`` of your own
    notebook). ``attention`` is ``"additive"`` (Bahdanau), ``"general"``
    (Luong) or ``"none"`` (:class:`NoAttention`). The encoder is a bi-GRU of
    ``hidden_size`` per direction, so the context size is ``2 * hidden_size``.
    """
    get = modules.get if isinstance(modules, dict) else (lambda name: getattr(modules, name))
    set_seed(seed)
    context_size = 2 * hidden_size
    if attention == "additive":
        attn = get("AdditiveAttention")(hidden_size, context_size, hidden_size)
    elif attention == "general":
        attn = get("GeneralAttention")(hidden_size, context_size)
    elif attention == "none":
        attn = NoAttention()
    else:
        raise ValueError(f"attention must be 'additive', 'general' or 'none', got {attention!r}")
    encoder = get("Encoder")(len(data.src_vocab), embed_size, hidden_size,
                             pad_id=data.src_vocab.pad_id)
    decoder = get("Decoder")(len(data.tgt_vocab), embed_size, hidden_size, context_size, attn)
    return Seq2Seq(encoder, decoder, data.tgt_vocab.bos_id, data.tgt_vocab.eos_id)


# --------------------------------------------------------------------------- decoding
def _encode_texts(data: PairData, texts: Sequence[str]) -> list[list[int]]:
    return [encode_text(text, data.src_vocab, data.level)[0] for text in texts]


def _source_batch(data: PairData, ids: Sequence[Sequence[int]]
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    from course.text import pad

    return pad(list(ids), data.src_vocab.pad_id)


def _max_len(data: PairData, max_len: int | None) -> int:
    if max_len is not None:
        return max_len
    longest = max(len(split_text(t, data.level)) for _, t in data.train)
    return longest + 1 if data.level == "char" else longest + 2


@torch.no_grad()
def predict(model: Seq2Seq, data: PairData, texts: Sequence[str], decode: Callable,
            batch_size: int = 500, max_len: int | None = None) -> list[str]:
    """Decode every text with ``decode`` (``greedy_decode`` of problem set 3); returns strings.

    ``decode(step, state, bos_id, eos_id, max_len)`` must return one list of
    ids per text. Texts are decoded in batches of ``batch_size``; unknown
    characters (or words) map to ``<unk>``. Used by lecture 3.
    """
    was_training = model.training
    model.eval()
    max_len = _max_len(data, max_len)
    ids = _encode_texts(data, texts)
    outputs: list[str] = [""] * len(ids)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    for start in range(0, len(order), batch_size):
        chunk = order[start:start + batch_size]
        src, lengths, mask = _source_batch(data, [ids[i] for i in chunk])
        state = model.encode(src, lengths, mask)
        decoded = decode(model.step, state, model.bos_id, model.eos_id, max_len)
        for i, out in zip(chunk, decoded, strict=True):
            outputs[i] = data.decode_target(out)
    model.train(was_training)
    return outputs


def exact_match_by_group(predictions: Sequence[str], references: Sequence[str],
                         groups: Sequence[Any]) -> dict[Any, tuple[float, int]]:
    """Exact match per group: ``{group: (accuracy, count)}``, groups in sorted order."""
    if not len(predictions) == len(references) == len(groups):
        raise ValueError("predictions, references and groups must have the same length")
    result = {}
    for group in sorted(set(groups)):
        idx = [i for i, g in enumerate(groups) if g == group]
        result[group] = (exact_match([predictions[i] for i in idx],
                                     [references[i] for i in idx]), len(idx))
    return result


@dataclass
class Translation:
    """One decoded input with the attention the decoder paid at every output step.

    ``weights[i, j]`` (shape ``(len(output_tokens), len(source_tokens))``) is
    the attention on source token ``j`` while writing output token ``i``; the
    last output token is ``<eos>``.
    """

    text: str
    source_tokens: list[str]
    output_tokens: list[str]
    weights: np.ndarray
    unknown: list[str]

    @property
    def output(self) -> str:
        joiner = "" if all(len(t) == 1 for t in self.output_tokens[:-1]) else " "
        return joiner.join(t for t in self.output_tokens if t != "<eos>")


@torch.no_grad()
def translate(model: Seq2Seq, data: PairData, text: str, decode: Callable,
              max_len: int | None = None) -> Translation:
    """Decode one text and recover the attention map of its output.

    The output comes from ``decode`` (greedy decoding of problem set 3); the
    weights come from a teacher-forced pass of the model over that output,
    which repeats exactly the steps of greedy decoding. Raises ``ValueError``
    for an empty text; unknown tokens are reported in ``unknown``.
    Used by lecture 3 and its attention viewer.
    """
    was_training = model.training
    model.eval()
    ids, unknown = encode_text(text, data.src_vocab, data.level)
    src, lengths, mask = _source_batch(data, [ids])
    state = model.encode(src, lengths, mask)
    out = decode(model.step, state, model.bos_id, model.eos_id, _max_len(data, max_len))[0]
    out = [int(i) for i in out]
    ended = len(out) < _max_len(data, max_len)
    tgt_in = torch.tensor([[model.bos_id, *out]])                         # (1, L + 1)
    _, weights = model(src, lengths, mask, tgt_in if ended else tgt_in[:, :-1])
    model.train(was_training)
    output_tokens = [data.tgt_vocab.itos[i] for i in out] + (["<eos>"] if ended else [])
    return Translation(text, split_text(text, data.level), output_tokens,
                       weights[0].numpy(), unknown)


def plot_attention(translation: Translation, ax=None, title: str | None = None,
                   highlight: int | None = None):
    """Heatmap of a :class:`Translation`'s attention: output tokens down, source tokens across.

    ``highlight`` frames one output row (the attention viewer's current
    step). Returns the axes. Used by lecture 3 and its attention viewer.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from course.plot import CMAP

    weights = translation.weights
    if ax is None:
        width = min(12.0, 2.0 + 0.3 * weights.shape[1])
        _, ax = plt.subplots(figsize=(width, 1.5 + 0.3 * weights.shape[0]))
    image = ax.imshow(weights, cmap=CMAP, vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(translation.source_tokens)))
    ax.set_xticklabels([_show(t) for t in translation.source_tokens],
                       rotation=90 if translation.source_tokens and
                       max(len(t) for t in translation.source_tokens) > 2 else 0)
    ax.set_yticks(range(len(translation.output_tokens)))
    ax.set_yticklabels([_show(t) for t in translation.output_tokens])
    ax.set_xlabel("source token (input)")
    ax.set_ylabel("output token")
    ax.grid(False)
    ax.set_title(title or f"attention: {translation.text!r} -> {translation.output!r}")
    if highlight is not None and 0 <= highlight < weights.shape[0]:
        ax.add_patch(Rectangle((-0.5, highlight - 0.5), weights.shape[1], 1.0, fill=False,
                               edgecolor="#D55E00", linewidth=2.5))
    ax.figure.colorbar(image, ax=ax, fraction=0.03, pad=0.02, label="attention weight")
    return ax


def _show(token: str) -> str:
    return "␣" if token == " " else token


# --------------------------------------------------------------------------- training
def train_seq2seq(model: Seq2Seq, data: PairData, loss_fn: Callable, decode: Callable, *,
                  num_epochs: int = 10, batch_size: int = 64, lr: float = 5e-3,
                  time_budget: float | None = None, target: float | None = None,
                  epoch_size: int | None = None, teacher_forcing: float = 1.0,
                  clip: float = 1.0, eval_size: int | None = None, seed: int = 0,
                  desc: str = "training", progress: bool = True) -> History:
    """Train ``model`` with Adam on ``data.train``; evaluate exact match on ``data.valid``.

    ``loss_fn(logits (B, T, V), targets (B, T), mask (B, T))`` is the masked
    sequence cross-entropy and ``decode`` greedy decoding, both from problem
    set 3. An "epoch" is ``epoch_size`` training examples (default: the whole
    split, in a new shuffled order each time); after each one the validation
    exact match (on the first ``eval_size`` pairs, default all; 0 for none) is recorded,
    and training stops when it reaches ``target`` or when ``time_budget``
    seconds are used up. Gradients are clipped to norm ``clip``.
    ``history.examples`` counts training sequences and
    ``history.target_tokens`` target tokens (for throughput).
    Used by lecture 3, problem set 3's demo and the benchmark.
    """
    set_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    examples = data.encoded("train")
    epoch_size = epoch_size or len(examples)
    valid = data.valid if eval_size is None else data.valid[:eval_size]
    if not valid and target is not None:
        raise ValueError("a target needs a validation split to evaluate on")
    rng = random.Random(seed)
    order: list[int] = []
    tokens = [0]

    def batches(epoch: int):
        # The next epoch_size examples of an endless stream of shuffled passes over the data.
        chosen = []
        while len(chosen) < epoch_size:
            if not order:
                order.extend(range(len(examples)))
                rng.shuffle(order)
            chosen.append(order.pop())
        subset = [examples[i] for i in chosen]
        yield from data.batches("train", batch_size, seed=seed * 1000 + epoch, examples=subset)

    def step(batch) -> float:
        logits, _ = model(batch.src, batch.src_lengths, batch.src_mask, batch.tgt_in,
                          teacher_forcing=teacher_forcing)               # (B, T, V)
        loss = loss_fn(logits, batch.tgt_out, batch.tgt_mask)
        optimizer.zero_grad()
        loss.backward()
        if clip:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        tokens[0] += batch.num_target_tokens
        return loss.item()

    def evaluate() -> float:
        predictions = predict(model, data, [s for s, _ in valid], decode)
        return exact_match(predictions, [t for _, t in valid])

    start = time.perf_counter()
    history = train(step, batches, num_epochs, time_budget=time_budget,
                    evaluate=evaluate if valid else None, target=target, desc=desc,
                    progress=progress, batch_size=len)
    history.target_tokens = tokens[0]
    history.wall_seconds = time.perf_counter() - start
    if math.isnan(history.final_loss):
        raise RuntimeError("training produced no loss: is the training split empty?")
    return history


def train_or_load(model: nn.Module, name: str, settings: dict[str, Any],
                  train_fn: Callable[[], History], retrain: bool = False) -> dict[str, Any]:
    """Train ``model`` with ``train_fn()``, or load the checkpoint of a run with the same settings.

    The checkpoint is ``cache_dir("seq2seq") / f"{name}.pt"`` (see
    :func:`course.train.load_or_train`); next to it a JSON file keeps the
    summary of the training run that made it, so that a re-run can say how
    long training took. Returns that summary: ``seconds``, ``examples``,
    ``target_tokens``, ``stopped``, ``evaluations`` (epoch, seconds, value)
    and ``loaded`` (True when nothing was trained now). Used by lecture 3.
    """
    from course.data import cache_dir

    path = cache_dir("seq2seq") / f"{name}.pt"
    summary_path = path.with_suffix(".json")

    def run() -> dict[str, Any]:
        history = train_fn()
        return {"seconds": history.seconds, "examples": history.examples,
                "target_tokens": getattr(history, "target_tokens", 0),
                "stopped": history.stopped, "evaluations": history.evaluations,
                "settings": json.loads(json.dumps(settings, default=str))}

    _, result = load_or_train(path, model, run, settings, retrain=retrain)
    if isinstance(result, dict):
        summary_path.write_text(json.dumps(result, indent=1), encoding="utf-8")
        return {**result, "loaded": False}
    saved = {}
    if summary_path.exists():
        saved = json.loads(summary_path.read_text(encoding="utf-8"))
    if saved.get("settings") != json.loads(json.dumps(settings, default=str)):
        saved = {"seconds": math.nan, "examples": 0, "target_tokens": 0,
                 "stopped": "unknown (no summary saved)", "evaluations": []}
    return {**saved, "loaded": True}
