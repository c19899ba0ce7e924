"""Unit tests of course.text, course.train and course.metrics."""

import math

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from course import metrics
from course.text import BOS, EOS, PAD, UNK, Vocab, batches_by_length, pad, tokenize
from course.train import History, load_or_train, set_seed, train


def test_tokenize_keeps_inner_apostrophes_and_unicode_letters():
    assert tokenize("Hello, World! Don't panic_now.") == ["hello", "world", "don't", "panic", "now"]
    assert tokenize("Café 42") == ["café", "42"]
    with pytest.raises(TypeError):
        tokenize(None)


def test_vocab_build_is_deterministic_and_handles_unknowns(tmp_path):
    vocab = Vocab.build([["b", "a", "b"], ["c", "a", "b"]], min_count=2)
    assert vocab.itos == [PAD, UNK, BOS, EOS, "b", "a"]
    assert vocab["zzz"] == vocab.unk_id
    assert vocab.encode(["a", "zzz"], bos=True, eos=True) == [2, 5, 1, 3]
    assert vocab.decode([2, 5, 4, 3, 4]) == ["a", "b"]
    assert vocab.unknown(["a", "q", "q"]) == ["q", "q"]
    vocab.save(tmp_path / "v.json")
    assert Vocab.load(tmp_path / "v.json").itos == vocab.itos
    bare = Vocab(["x"], specials=())
    with pytest.raises(KeyError, match="no <unk> token"):
        bare["y"]
    with pytest.raises(ValueError):
        Vocab.build([["a"]], min_count=0)


def test_pad_returns_lengths_and_mask():
    padded, lengths, mask = pad([[1, 2, 3], [4], []], pad_id=0)
    assert padded.tolist() == [[1, 2, 3], [4, 0, 0], [0, 0, 0]]
    assert lengths.tolist() == [3, 1, 0]
    assert mask.tolist() == [[True] * 3, [True, False, False], [False] * 3]
    with pytest.raises(ValueError):
        pad([])


def test_batches_by_length_cover_every_index_once_and_group_lengths():
    lengths = [5, 1, 9, 3, 3, 8, 2, 7]
    batches = list(batches_by_length(lengths, 3, shuffle=False))
    assert sorted(i for b in batches for i in b) == list(range(8))
    assert [lengths[i] for i in batches[0]] == [1, 2, 3]
    shuffled = list(batches_by_length(lengths, 3, seed=1))
    assert sorted(i for b in shuffled for i in b) == list(range(8))
    assert shuffled == list(batches_by_length(lengths, 3, seed=1))


def test_train_stops_at_target_and_budget():
    set_seed(0)
    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.5)

    def step(batch):
        opt.zero_grad()
        loss = ((w - 3.0) ** 2).sum()
        loss.backward()
        opt.step()
        return loss.item()

    history = train(step, lambda epoch: range(4), 100, evaluate=lambda: -abs(w.item() - 3.0),
                    target=-1e-3, progress=False)
    assert isinstance(history, History) and "target" in history.stopped
    assert len(history.losses) < 100 and history.time_to(-1e-3) is not None
    slow = train(lambda b: 0.0, lambda e: range(10**9), 5, time_budget=0.05, progress=False)
    assert "time budget" in slow.stopped and slow.seconds < 5


def test_load_or_train_reuses_a_checkpoint_only_for_the_same_settings(tmp_path):
    calls = []

    def fit():
        calls.append(1)
        model.weight.data.fill_(7.0)
        return "trained"

    model = torch.nn.Linear(1, 1)
    _, result = load_or_train(tmp_path / "m.pt", model, fit, {"lr": 1})
    assert result == "trained"
    model = torch.nn.Linear(1, 1)
    _, result = load_or_train(tmp_path / "m.pt", model, fit, {"lr": 1})
    assert result.startswith("loaded") and model.weight.item() == 7.0
    load_or_train(tmp_path / "m.pt", model, fit, {"lr": 2})
    assert len(calls) == 2


def test_word_similarity_spearman_matches_scipy_and_reports_oov():
    vectors = {"a": 1.0, "b": 2.0, "c": 3.0, "d": 5.0}
    pairs = [("a", "b", 1.0), ("b", "c", 2.0), ("a", "d", 4.0), ("a", "zz", 3.0), ("c", "d", 3.5)]
    result = metrics.word_similarity_spearman(lambda x, y: vectors[x] * vectors[y], pairs)
    expected = spearmanr([2.0, 6.0, 5.0, 15.0], [1.0, 2.0, 4.0, 3.5]).statistic
    assert math.isclose(result.spearman, expected)
    assert result.oov == ["a", "zz"] and result.pairs_used == 4 and result.coverage == 0.8
    with_vocab = metrics.word_similarity_spearman(lambda x, y: vectors[x] * vectors[y], pairs,
                                                  vocab=vectors)
    assert with_vocab.oov == ["zz"] and with_vocab.spearman == result.spearman


def test_clustering_and_retrieval_metrics():
    y, z = [0, 0, 1, 1, 2], [1, 1, 0, 0, 0]
    assert metrics.normalized_mutual_info(y, z) == pytest.approx(normalized_mutual_info_score(y, z))
    assert metrics.adjusted_rand(y, z) == pytest.approx(adjusted_rand_score(y, z))
    scores = metrics.retrieval_scores([["a", "b"], ["b", "a"], ["c", "d"]], ["a", "a", {"x"}])
    assert scores["P@1"] == pytest.approx(1 / 3)
    assert scores["MRR"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert scores["recall@5"] == pytest.approx(2 / 3)
    assert metrics.exact_match(["1", "2"], ["1", "3"]) == 0.5
    with pytest.raises(ValueError):
        metrics.exact_match([], [])
    assert np.isnan(metrics.word_similarity_spearman(lambda a, b: None, [("a", "b", 1)]).spearman)
