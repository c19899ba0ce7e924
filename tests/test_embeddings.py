"""Unit tests of module 1's code: course.data.embeddings, course.embeddings, the widget."""

from __future__ import annotations

import math
import types

import numpy as np
import pytest
import torch

from course.data import (
    analogy_questions,
    embedding_corpus,
    lee_background_corpus,
    planted_topic_hierarchy,
    wiki_paragraphs,
    word_occurrence_matrix,
    word_similarity_pairs,
)
from course.embeddings import (
    EncodedCorpus,
    LatentTree,
    SkipGramModel,
    analogy_accuracy,
    dimension_topics,
    draw_latent_tree,
    encode_corpus,
    fit_two_latent,
    hierarchy_ari,
    npmi_coherence,
    project_2d,
    skipgram_batches,
    to_keyed_vectors,
    word_intrusion,
    word_vectors,
)
from course.widgets import NeighborExplorer, neighbor_table


def _cosine_neighbors(E, words, query, k):
    """A plain neighbour search for the widget tests (not the graded one)."""
    if query not in words:
        raise KeyError(query)
    unit = E / np.linalg.norm(E, axis=1, keepdims=True)
    sims = unit @ unit[words.index(query)]
    order = [i for i in np.argsort(-sims, kind="stable") if words[i] != query][:k]
    return [(words[i], float(sims[i])) for i in order]


# --------------------------------------------------------------------------- data


def test_word_similarity_pairs_sizes_and_case():
    wordsim = word_similarity_pairs("wordsim353")
    simlex = word_similarity_pairs("simlex999")
    assert len(wordsim) == 353 and len(simlex) == 999
    assert all(a == a.lower() and b == b.lower() for a, b, _ in wordsim + simlex)
    assert ("tiger", "cat", 7.35) in wordsim
    assert all(0.0 <= s <= 10.0 for *_, s in wordsim + simlex)


def test_word_similarity_pairs_unknown_name():
    with pytest.raises(ValueError, match="unknown word-pair set"):
        word_similarity_pairs("men3000")


def test_analogy_questions_sections():
    questions = analogy_questions()
    assert len(questions) == 19544
    assert questions[0] == ("capital-common-countries", "athens", "greece", "baghdad", "iraq")
    capitals = analogy_questions(["capital-common-countries"])
    assert len(capitals) == 506 and {q.section for q in capitals} == {"capital-common-countries"}
    assert analogy_questions(lowercase=False)[0].a == "Athens"
    with pytest.raises(ValueError, match="unknown analogy section"):
        analogy_questions(["no-such-section"])


def test_lee_background_corpus_is_deterministic_and_cut():
    corpus = lee_background_corpus()
    assert len(corpus) == 300
    assert corpus == lee_background_corpus()
    assert all(t.isalpha() and t == t.lower() for doc in corpus[:20] for t in doc)
    cut = lee_background_corpus(max_tokens=1000)
    assert 1000 <= sum(map(len, cut)) < 1000 + max(map(len, corpus))
    with pytest.raises(ValueError, match="max_tokens"):
        lee_background_corpus(max_tokens=0)


@pytest.mark.slow
def test_wiki_paragraphs_parse_and_cache():
    paragraphs, titles = wiki_paragraphs(with_titles=True, progress=False)
    total = sum(map(len, paragraphs))
    assert 400_000 < total < 500_000
    assert len(titles) == len(paragraphs) and titles[0] == "Anarchism"
    assert all(len(p) >= 5 for p in paragraphs)
    assert wiki_paragraphs(progress=False) == paragraphs          # read back from the cache
    cut = wiki_paragraphs(max_tokens=5000, progress=False)
    assert cut == paragraphs[:len(cut)] and sum(map(len, cut)) >= 5000
    with pytest.raises(ValueError, match="max_tokens"):
        wiki_paragraphs(max_tokens=0)


def test_embedding_corpus_names():
    assert embedding_corpus("lee", max_tokens=500) == lee_background_corpus(max_tokens=500)
    with pytest.raises(ValueError, match="unknown corpus"):
        embedding_corpus("news")


def test_word_occurrence_matrix_format():
    docs = [["the", "cat", "sat"], ["cat", "dog"], ["dog", "bird", "cat"], ["bird"]]
    X, words = word_occurrence_matrix(docs, num_words=3, stopwords={"the"})
    assert words == ["cat", "bird", "dog"]                       # by document frequency, ties a-z
    assert X.dtype == np.uint8 and X.shape == (4, 3)
    assert X.tolist() == [[1, 0, 0], [1, 0, 1], [1, 1, 1], [0, 1, 0]]
    X2, _ = word_occurrence_matrix(docs, num_words=3, min_words=2, stopwords={"the"})
    assert X2.shape == (2, 3)
    X3, words3 = word_occurrence_matrix(docs, num_words=10)     # gensim's stop words drop "the"
    assert "the" not in words3 and X3.shape[1] == len(words3)


def test_word_occurrence_matrix_errors():
    with pytest.raises(ValueError, match="no documents"):
        word_occurrence_matrix([], num_words=5)
    with pytest.raises(ValueError, match="num_words"):
        word_occurrence_matrix([["a", "b"]], num_words=1)
    with pytest.raises(ValueError, match="fewer than two words"):
        word_occurrence_matrix([["the", "and"]], num_words=5)


def test_planted_topic_hierarchy_ground_truth():
    h = planted_topic_hierarchy(num_themes=2, topics_per_theme=3, words_per_topic=4,
                                num_docs=500, seed=3)
    assert h.X.shape == (500, 24) and h.X.dtype == np.uint8
    assert h.topic_of_word.tolist() == [t for t in range(6) for _ in range(4)]
    assert h.theme_of_topic.tolist() == [0, 0, 0, 1, 1, 1]
    assert h.topics.shape == (500, 6) and h.themes.shape == (500, 2)
    assert h.words[5] == "t1_w1"
    again = planted_topic_hierarchy(num_themes=2, topics_per_theme=3, words_per_topic=4,
                                    num_docs=500, seed=3)
    assert np.array_equal(h.X, again.X)
    other = planted_topic_hierarchy(num_themes=2, topics_per_theme=3, words_per_topic=4,
                                    num_docs=500, seed=4)
    assert not np.array_equal(h.X, other.X)
    # words of one topic co-occur more than words of different themes
    corr = np.corrcoef(h.X.T.astype(float))
    assert corr[0, 1] > 0.3 and abs(corr[0, 20]) < 0.1


def test_planted_topic_hierarchy_errors():
    with pytest.raises(ValueError, match="num_docs"):
        planted_topic_hierarchy(num_docs=0)
    with pytest.raises(ValueError, match="p_word"):
        planted_topic_hierarchy(p_word=(0.1, 1.5))
    with pytest.raises(ValueError, match="p_theme"):
        planted_topic_hierarchy(p_theme=1.0)


# ------------------------------------------------------------- corpus and skip-gram plumbing


def test_encode_corpus_removes_rare_words():
    corpus = [["a", "b", "a", "c"], ["b", "a", "d"], ["d", "d"]]
    enc = encode_corpus(corpus, min_count=2)
    assert enc.words == ["a", "d", "b"]                          # by count, ties alphabetical
    assert enc.counts.tolist() == [3, 3, 2]
    assert [s.tolist() for s in enc.ids] == [[0, 2, 0], [2, 0, 1], [1, 1]]
    assert enc.num_tokens == 8 and enc.vocab_size == 3
    with pytest.raises(ValueError, match="empty"):
        encode_corpus([[], []])
    with pytest.raises(ValueError, match="min_count"):
        encode_corpus([["a"]], min_count=2)


def test_skipgram_batches_pairs_stay_in_window_and_sentence():
    enc = EncodedCorpus([np.arange(0, 10), np.arange(10, 20)], [f"w{i}" for i in range(20)],
                        np.ones(20, dtype=np.int64))
    keep = torch.ones(20)
    noise = torch.full((20,), 1 / 20)
    batches = skipgram_batches(enc, keep, noise, window=3, num_negatives=4, batch_size=16, seed=1)
    center = torch.cat([b[0] for b in batches])
    context = torch.cat([b[1] for b in batches])
    negatives = torch.cat([b[2] for b in batches])
    assert negatives.shape == (len(center), 4)
    distance = (center - context).abs()
    assert bool(((distance >= 1) & (distance <= 3)).all())
    assert bool(((center < 10) == (context < 10)).all())         # never across sentences
    # every centre keeps at least its direct neighbours: 2 * (9 + 9) pairs at distance 1
    assert int((distance == 1).sum()) == 36
    again = skipgram_batches(enc, keep, noise, window=3, num_negatives=4, batch_size=16, seed=1)
    assert all(torch.equal(a[0], b[0]) and torch.equal(a[2], b[2])
               for a, b in zip(batches, again, strict=True))
    with pytest.raises(ValueError, match="window"):
        skipgram_batches(enc, keep, noise, window=0)


def test_skipgram_batches_subsampling_drops_words():
    enc = EncodedCorpus([np.array([0, 1] * 50)], ["the", "cat"], np.array([50, 50]))
    keep = torch.tensor([0.0, 1.0])                              # drop every "the"
    batches = skipgram_batches(enc, keep, torch.tensor([0.5, 0.5]), window=2, seed=0)
    center = torch.cat([b[0] for b in batches])
    assert bool((center == 1).all())


def test_skipgram_batches_draw_noise_words_by_their_probability():
    enc = EncodedCorpus([np.arange(200) % 10], [f"w{i}" for i in range(10)],
                        np.ones(10, dtype=np.int64))
    noise = torch.tensor([0.5, 0.3, 0.2] + [0.0] * 7)
    batches = skipgram_batches(enc, torch.ones(10), noise, window=5, num_negatives=20, seed=0)
    drawn = torch.cat([b[2] for b in batches]).flatten().numpy()
    share = np.bincount(drawn, minlength=10) / len(drawn)
    assert np.allclose(share[:3], [0.5, 0.3, 0.2], atol=0.02)
    assert share[3:].sum() == 0.0                                # zero-probability words never


def test_skipgram_model_initialisation():
    model = SkipGramModel(7, 4, sparse=True, seed=0)
    assert model.center_embed.weight.shape == (7, 4)
    assert float(model.center_embed.weight.detach().abs().max()) <= 0.5 / 4
    assert float(model.context_embed.weight.detach().abs().max()) == 0.0
    assert model.vectors().shape == (7, 4)
    with pytest.raises(ValueError):
        SkipGramModel(0, 4)


# --------------------------------------------------------------------------- evaluation


def test_analogy_accuracy_matches_gensim():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    E = rng.normal(size=(40, 6)).astype(np.float32)
    kv = to_keyed_vectors(E, words)
    questions = [tuple(words[i] for i in rng.choice(40, size=4, replace=False)) for _ in range(60)]
    # make some questions answerable: d is gensim's own best answer
    for n in range(0, 60, 2):
        a, b, c, _ = questions[n]
        questions[n] = (a, b, c, kv.most_similar(positive=[b, c], negative=[a], topn=1)[0][0])
    questions.append(("w1", "w2", "w3", "unknown"))
    accuracy, coverage = analogy_accuracy(E, words, questions)
    expected = np.mean([kv.most_similar(positive=[b, c], negative=[a], topn=1)[0][0] == d
                        for a, b, c, d in questions[:60]])
    assert coverage == pytest.approx(60 / 61)
    assert accuracy == pytest.approx(expected)
    assert accuracy >= 0.5


def test_project_2d_shape_and_centering():
    P = project_2d(np.random.default_rng(0).normal(size=(12, 5)))
    assert P.shape == (12, 2)
    assert np.allclose(P.mean(axis=0), 0.0)


def test_npmi_coherence_extremes():
    X = np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1], [0, 0, 1]], dtype=np.uint8)
    words = ["a", "b", "c"]
    assert npmi_coherence(["a", "b"], X, words) == pytest.approx(1.0)
    assert npmi_coherence(["a", "c"], X, words) == pytest.approx(-1.0)
    assert math.isnan(npmi_coherence(["a", "zzz"], X, words))


def test_word_intrusion_on_planted_topics():
    h = planted_topic_hierarchy(num_docs=3000, seed=1)
    topics = [[h.words[j] for j in np.flatnonzero(h.topic_of_word == t)] for t in range(6)]
    assert word_intrusion(topics, h.X, h.words, top=4) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="two topics"):
        word_intrusion(topics[:1], h.X, h.words, top=4)


def test_dimension_topics_picks_the_largest_words():
    E = np.array([[5.0, 0.0], [4.0, -1.0], [0.0, -6.0], [1.0, -5.0], [0.5, 0.1]])
    words = ["a", "b", "c", "d", "e"]
    topics = dimension_topics(E, words, candidates=words, top=2)
    assert topics == [["a", "b"], ["c", "d"]]
    with pytest.raises(ValueError, match="candidate"):
        dimension_topics(E, words, candidates=["a"], top=2)


def test_fit_two_latent_prefers_the_true_split():
    h = planted_topic_hierarchy(num_themes=2, topics_per_theme=1, words_per_topic=4,
                                num_docs=2000, p_topic=(0.0, 1.0), seed=2)
    X = h.X                                                      # words 0-3: theme 0, 4-7: theme 1
    good, params = fit_two_latent(X, [0, 1, 2, 3], [4, 5, 6, 7])
    bad, _ = fit_two_latent(X, [0, 1, 4, 5], [2, 3, 6, 7])
    assert good > bad
    assert params["p21"].shape == (2, 2) and np.allclose(params["p21"].sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="disjoint"):
        fit_two_latent(X, [0, 1], [1, 2])
    with pytest.raises(ValueError):
        fit_two_latent(X, [0, 1], [2])


def test_hierarchy_ari_matches_topics_in_any_order():
    tree = LatentTree(words=list("abcdef"), islands=[[4, 5], [0, 1], [2, 3]],
                      topic_words=[[], [], []], assignments=np.zeros((1, 3), dtype=np.uint8),
                      themes=[[0], [1, 2]], theme_words=[[], []])
    # planted: topics {a,b}, {c,d}, {e,f}; themes {t0, t1}, {t2}
    ari_topics, ari_themes = hierarchy_ari(tree, [0, 0, 1, 1, 2, 2], [0, 0, 1])
    assert ari_topics == pytest.approx(1.0) and ari_themes == pytest.approx(1.0)
    wrong = LatentTree(words=list("abcdef"), islands=[[0, 2], [1, 3], [4, 5]],
                       topic_words=[[], [], []], assignments=np.zeros((1, 3), dtype=np.uint8),
                       themes=[[0, 1, 2]], theme_words=[[]])
    ari_topics, ari_themes = hierarchy_ari(wrong, [0, 0, 1, 1, 2, 2], [0, 0, 1])
    assert ari_topics < 1.0 and math.isnan(ari_themes)


def test_draw_latent_tree_runs():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tree = LatentTree(words=["a", "b", "c", "d"], islands=[[0, 1], [2, 3]],
                      topic_words=[[("a", 0.5), ("b", 0.4)], [("c", 0.3), ("d", 0.2)]],
                      assignments=np.zeros((3, 2), dtype=np.uint8), themes=[[0, 1]],
                      theme_words=[[("a", 0.1)]])
    assert tree.word_labels().tolist() == [0, 0, 1, 1]
    assert tree.topic_labels().tolist() == [0, 0]
    fig, ax = plt.subplots()
    draw_latent_tree(ax, tree, title="test")
    assert ax.get_title() == "test"
    plt.close(fig)


def _stand_in_count_functions(calls):
    """Stand-ins for the graded PPMI-SVD functions (not the answers): fixed, simple maps."""
    import scipy.sparse as sp

    def cooccurrence_matrix(corpus, vocab_size, window=5):
        calls.append("cooc")
        return sp.identity(vocab_size, format="csr")

    def ppmi(C, alpha=0.75):
        return C

    def svd_embeddings(M, dim, power=0.5):
        return np.arange(M.shape[0] * dim, dtype=np.float64).reshape(M.shape[0], dim)

    return types.SimpleNamespace(cooccurrence_matrix=cooccurrence_matrix, ppmi=ppmi,
                                 svd_embeddings=svd_embeddings)


def test_word_vectors_cache_by_settings_corpus_and_code(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    calls = []
    fns = _stand_in_count_functions(calls)
    docs = [["the", "cat", "sat"], ["the", "dog"]]
    vectors, counts = word_vectors(docs, fns, method="ppmi-svd", dim=3)
    assert set(vectors) == {"the", "cat", "sat", "dog"} and counts["the"] == 2
    assert all(v.shape == (3,) and v.dtype == np.float32 for v in vectors.values())
    again, _ = word_vectors(docs, fns, method="ppmi-svd", dim=3)          # from the cache
    assert calls == ["cooc"]
    assert all(np.array_equal(vectors[w], again[w]) for w in vectors)
    word_vectors(docs + [["a", "cat"]], fns, method="ppmi-svd", dim=3)     # another corpus
    assert calls == ["cooc", "cooc"]
    changed = _stand_in_count_functions(calls)
    changed.ppmi = lambda C, alpha=0.75: 2 * C                             # other code: retrain
    word_vectors(docs, changed, method="ppmi-svd", dim=3)
    assert calls == ["cooc", "cooc", "cooc"]
    word_vectors(docs, fns, method="ppmi-svd", dim=3, cache=False)
    assert len(calls) == 4


def test_word_vectors_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    fns = _stand_in_count_functions([])
    with pytest.raises(ValueError, match="unknown method"):
        word_vectors([["a"]], fns, method="glove")
    with pytest.raises(ValueError, match="empty"):
        word_vectors([[], []], fns, method="ppmi-svd")
    with pytest.raises(AttributeError, match="sgns_train_step"):
        word_vectors([["a", "b"]], fns, method="skipgram")


# --------------------------------------------------------------------------- widget


def test_neighbor_table_messages():
    words = ["red", "green", "blue", "sky"]
    E = np.array([[1.0, 0.0], [0.9, 0.3], [0.0, 1.0], [0.1, 1.0]])
    rows, message = neighbor_table(_cosine_neighbors, E, words, " Blue ", k=2)
    assert [w for w, _ in rows] == ["sky", "green"] and "blue" in message
    rows, message = neighbor_table(_cosine_neighbors, E, words, "purple")
    assert rows == [] and "not in this vocabulary" in message
    assert neighbor_table(_cosine_neighbors, E, words, "  ")[1] == "type a word"


def test_neighbor_explorer_controls_drive_the_state():
    words = ["red", "green", "blue", "sky"]
    first = np.array([[1.0, 0.0], [0.9, 0.3], [0.0, 1.0], [0.1, 1.0]])
    second = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.1]])
    explorer = NeighborExplorer({"first": (first, words), "second": (second, words)},
                                _cosine_neighbors, word="red", k=1)
    assert explorer.state()["neighbors"][0][0] == "green"
    explorer.method.value = "second"
    assert explorer.state()["neighbors"][0][0] == "blue"
    explorer.word.value = "sky"
    explorer.k.value = 3
    state = explorer.state()
    assert [w for w, _ in state["neighbors"]] == ["green", "red", "blue"]
    assert "<table>" in explorer.output.value and "green" in explorer.output.value
    explorer.word.value = "nothing"
    assert "not in this vocabulary" in explorer.output.value
    with pytest.raises(ValueError):
        NeighborExplorer({}, _cosine_neighbors)
    with pytest.raises(ValueError, match="vectors"):
        NeighborExplorer({"x": (first, words[:2])}, _cosine_neighbors)


# ------------------------------------------------------------- with the reference solution


@pytest.mark.slow
def test_learn_latent_tree_recovers_a_planted_hierarchy():
    from course.embeddings import learn_latent_tree
    from course.notebooks import reference

    ref = reference("ps1_embeddings")
    for seed in (0, 1):
        planted = planted_topic_hierarchy(num_docs=1500, seed=seed)
        tree = learn_latent_tree(planted.X, planted.words, ref, seed=seed)
        ari_topics, ari_themes = hierarchy_ari(tree, planted.topic_of_word,
                                               planted.theme_of_topic)
        assert ari_topics == pytest.approx(1.0)
        assert ari_themes == pytest.approx(1.0)


@pytest.mark.slow
def test_reference_analogy_matches_gensim_most_similar():
    from course.notebooks import reference

    ref = reference("ps1_embeddings")
    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(30)]
    E = rng.normal(size=(30, 8)).astype(np.float32)
    kv = to_keyed_vectors(E, words)
    for _ in range(5):
        a, b, c = (words[i] for i in rng.choice(30, size=3, replace=False))
        want = kv.most_similar(positive=[b, c], negative=[a], topn=5)
        got = ref.analogy(E, words, a, b, c, k=5)
        assert [w for w, _ in got] == [w for w, _ in want]
        assert np.allclose([s for _, s in got], [s for _, s in want], atol=1e-5)


def _tiny_corpus() -> EncodedCorpus:
    rng = np.random.default_rng(3)
    sentences = [rng.integers(0, 12, size=40) for _ in range(30)]
    counts = np.bincount(np.concatenate(sentences), minlength=12)
    return EncodedCorpus(sentences, [f"w{i}" for i in range(12)], counts)


@pytest.mark.slow
def test_reference_step_equals_autograd_and_trains():
    """The hand-derived reference step and autograd on the graded loss take the same steps."""
    from course.embeddings import autograd_sgns_step, time_sgns_steps, train_skipgram
    from course.notebooks import reference

    ref = reference("ps1_embeddings")
    corpus = _tiny_corpus()
    steps = time_sgns_steps(corpus, ref, num_batches=20, batch_size=64, dim=8, lr=5.0)
    assert steps["pairs"] > 0 and steps["hand_seconds"] > 0 and steps["autograd_seconds"] > 0
    assert steps["max_difference"] < 1e-5
    # a step that does nothing is told apart
    frozen = types.SimpleNamespace(**{name: getattr(ref, name) for name in
                                      ("negative_sampling_distribution", "subsample_keep_prob",
                                       "sgns_loss")},
                                   sgns_train_step=lambda model, c, o, n, lr: 0.0)
    assert time_sgns_steps(corpus, frozen, num_batches=20, batch_size=64, dim=8,
                           lr=5.0)["max_difference"] > 1e-3
    # autograd_sgns_step returns the loss before the update and lowers it
    model = SkipGramModel(12, 4, sparse=False, seed=0)
    with torch.no_grad():
        model.context_embed.weight.normal_(generator=torch.Generator().manual_seed(0))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    batch = (torch.tensor([0, 1, 2]), torch.tensor([3, 4, 5]),
             torch.tensor([[6, 7], [8, 9], [10, 11]]))
    losses = [autograd_sgns_step(model, optimizer, ref.sgns_loss, *batch) for _ in range(4)]
    assert losses == sorted(losses, reverse=True) and losses[-1] < losses[0]
    # training with the reference lowers the loss from epoch to epoch
    E, history = train_skipgram(corpus, ref, dim=8, num_epochs=3, batch_size=64, lr=5.0,
                                progress=False)
    assert E.shape == (12, 8)
    assert history.losses[-1] < history.losses[0]
