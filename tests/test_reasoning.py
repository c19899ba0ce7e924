"""Module 4 (reasoning): data generators and formats, lecture helpers, widgets."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course.data import (
    BABI_ENTITIES,
    BABI_TASKS,
    BabiExample,
    BabiLine,
    DataUnavailable,
    FactIndex,
    Proof,
    Rule,
    TreeModel,
    babi_examples,
    check_rule,
    format_atom,
    format_rule,
    generate_babi,
    generate_kinship,
    is_ground,
    is_variable,
    latent_word_tree,
    load_babi_task,
    order_body,
    parse_atom,
    parse_babi,
    parse_rule,
    random_tree_model,
    read_babi,
    sample_tree_model,
    substitute,
    variables_in,
    write_babi,
)
from course.reasoning import (
    BABI_RULES,
    NIL,
    BabiTensors,
    add_empty_memories,
    answer_babi_symbolic,
    babi_to_logic,
    build_babi_vocab,
    enumerate_marginals,
    format_proof,
    measure_chaining,
    proof_size,
    rename_entities,
    train_memn2n,
    vectorize_babi,
)
from course.widgets import (
    NIL_LABEL,
    ChainingTraceViewer,
    HopViewer,
    TraceViewer,
    attention_over_story,
    facts_in_round,
    nil_attention,
)


@pytest.fixture(scope="module")
def ref():
    """The reference solution of problem set 4 (loaded from solutions/, one source)."""
    from course.notebooks import reference

    return reference("ps4_reasoning")


# ------------------------------------------------------------------------- terms and rules

def test_variables_and_substitution_follow_chains():
    assert is_variable("?x") and not is_variable("x") and not is_variable("?")
    atom = ("p", "?x", ("f", "?y", "a"), "?x")
    assert variables_in(atom) == ["?x", "?y"]
    assert substitute(atom, {"?x": "?y", "?y": "b"}) == ("p", "b", ("f", "b", "a"), "b")
    assert not is_ground(atom) and is_ground(("p", "a", ("f", "b")))
    with pytest.raises(ValueError, match="cyclic"):
        substitute("?x", {"?x": ("f", "?x")})


def test_parse_and_format_round_trip():
    rule = parse_rule("grandparent(?x, ?z) :- parent(?x, ?y), parent(?y, ?z).")
    assert rule == Rule(("grandparent", "?x", "?z"),
                        (("parent", "?x", "?y"), ("parent", "?y", "?z")))
    assert parse_rule(format_rule(rule)) == rule
    atom = parse_atom("owns(bob, car(?c, red))")
    assert atom == ("owns", "bob", ("car", "?c", "red"))
    assert parse_atom(format_atom(atom)) == atom
    assert parse_atom("rain") == ("rain",)
    assert str(rule) == "grandparent(?x, ?z) :- parent(?x, ?y), parent(?y, ?z)"


@pytest.mark.parametrize("text", ["parent(ann", "parent(ann, )", "p()", "1abc(x)", "p(a b)",
                                  "p(?)"])
def test_parse_atom_rejects_malformed_text(text):
    with pytest.raises(ValueError):
        parse_atom(text)


def test_rules_with_unbound_head_variables_are_rejected():
    with pytest.raises(ValueError, match=r"unsafe.*\?y"):
        parse_rule("likes(?x, ?y) :- person(?x)")
    with pytest.raises(ValueError, match="before any body atom binds it"):
        check_rule(Rule(("s", "?x"), (("neq", "?x", "?y"), ("p", "?x"), ("p", "?y"))))
    with pytest.raises(ValueError, match="empty body"):
        check_rule(Rule(("p", "?x"), ()))
    with pytest.raises(ValueError, match="not a rule"):
        parse_rule("p(?x)")
    assert check_rule(parse_rule("q(?x) :- p(?x, ?y)")).head == ("q", "?x")


def test_fact_index_matches_only_agreeing_facts_and_counts_probes():
    index = FactIndex([("parent", "ann", "bob"), ("parent", "ann", "beth"),
                       ("parent", "bob", "cleo")])
    assert not index.add(("parent", "ann", "bob")) and len(index) == 3
    assert ("parent", "bob", "cleo") in index
    FactIndex.probes = 0
    found = sorted(s["?c"] for s in index.matches(("parent", "ann", "?c")))
    assert found == ["beth", "bob"] and FactIndex.probes == 2   # the ann bucket, not all 3
    start = {"?p": "bob"}
    assert list(index.matches(("parent", "?p", "?c"), start)) == [{"?p": "bob", "?c": "cleo"}]
    assert start == {"?p": "bob"}
    assert list(index.matches(("parent", "?x", "?x"))) == []
    assert list(index.matches(("neq", "a", "b"), {})) == [{}]
    assert list(index.matches(("neq", "a", "a"), {})) == []
    with pytest.raises(ValueError, match="needs bound arguments"):
        list(index.matches(("neq", "?x", "a")))
    with pytest.raises(ValueError, match="ground"):
        index.add(("parent", "?x", "bob"))


# ------------------------------------------------------------------------- kinship

def test_kinship_is_deterministic_and_well_formed():
    kb = generate_kinship(40, seed=3)
    again = generate_kinship(40, seed=3)
    assert kb.facts == again.facts and kb.questions == again.questions
    assert generate_kinship(40, seed=4).facts != kb.facts
    assert len(kb.people) == len(set(kb.people)) == 40
    for child, (father, mother) in kb.parents.items():
        assert kb.gender[father] == "male" and kb.gender[mother] == "female"
        assert ("parent", father, child) in kb.facts and ("parent", mother, child) in kb.facts
    assert len(kb.questions) == 24
    assert {q.kind for q in kb.questions} == {"grandparent", "sibling", "uncle", "aunt",
                                              "ancestor", "cousin"}
    for q in kb.questions:
        truth = kb.relation(q.kind)
        if isinstance(q.answer, bool):
            assert q.answer == (q.query[1] in truth[q.query[2]])
        else:
            assert q.answer == frozenset(truth[q.query[2]])
    with pytest.raises(ValueError, match="at least 4"):
        generate_kinship(3)


def test_kinship_rules_reproduce_the_ground_truth(ref):
    kb = generate_kinship(30, seed=1)
    closure, _ = ref.forward_chain_seminaive(kb.facts, kb.rules)
    for kind in ("grandparent", "sibling", "uncle", "aunt", "ancestor", "cousin"):
        truth = kb.relation(kind)
        derived = {(f[1], f[2]) for f in closure if f[0] == kind}
        assert derived == {(x, y) for y, xs in truth.items() for x in xs}, kind


def test_backward_chaining_answers_every_kinship_question_with_a_proof(ref):
    kb = generate_kinship(24, seed=2)
    index = FactIndex(kb.facts)
    for q in kb.questions:
        results = list(ref.backward_chain(q.query, index, kb.rules))
        if isinstance(q.answer, bool):
            assert bool(results) == q.answer, q.text
        else:
            assert {substitute("?who", s) for s, _ in results} == set(q.answer), q.text
    _, proof = next(iter(ref.backward_chain(("grandparent", "?g", kb.questions[0].query[2]),
                                            index, kb.rules)))
    text = format_proof(proof)
    assert text.splitlines()[0].startswith("grandparent(") and "<- fact" in text
    assert proof_size(proof) == 3


def test_measure_chaining_reports_cost(ref):
    kb = generate_kinship(30, seed=0)
    naive = measure_chaining(ref.forward_chain_naive, kb.facts, kb.rules)
    semi = measure_chaining(ref.forward_chain_seminaive, kb.facts, kb.rules)
    assert naive["closure"] == semi["closure"] and naive["derived"] > 0
    assert naive["rounds"] == semi["rounds"]
    assert semi["probes"] < naive["probes"]


def test_order_body_binds_before_it_scans():
    body = [parse_atom("parent(?p, ?y)"), parse_atom("sibling(?x, ?p)"), parse_atom("male(?x)")]
    assert order_body(body, ["?x"]) == [body[1], body[0], body[2]]   # never parent(?p, ?y) first
    assert order_body(body) == body
    sib = [parse_atom("parent(?p, ?y)"), parse_atom("neq(?x, ?y)"), parse_atom("parent(?p, ?x)")]
    assert order_body(sib[1:], ["?y", "?p"]) == [sib[2], sib[1]]


# ------------------------------------------------------------------------- bAbI

@pytest.mark.parametrize("task", sorted(BABI_TASKS))
def test_babi_round_trip_and_determinism(task, tmp_path):
    stories = generate_babi(task, 40, seed=5)
    assert stories == generate_babi(task, 40, seed=5)
    assert stories != generate_babi(task, 40, seed=6)
    assert sum(line.is_question for story in stories for line in story) >= 40
    text = write_babi(stories, tmp_path / "qa.txt")
    assert read_babi(tmp_path / "qa.txt") == stories == parse_babi(text)
    for story in stories:
        assert [line.number for line in story] == list(range(1, len(story) + 1))
    for raw in text.splitlines():
        number, _, rest = raw.partition(" ")
        assert number.isdigit()
        if "\t" in rest:
            question, answer, ids = rest.split("\t")
            assert question.endswith("?") and answer and all(i.isdigit() for i in ids.split())


def test_babi_answers_agree_with_their_supporting_facts():
    for ex in babi_examples(generate_babi(1, 100, seed=1)):
        [pos] = ex.supporting_positions
        assert ex.story[pos].endswith(f"the {ex.answer}.")
        person = ex.question.split()[-1].rstrip("?")
        later = [s for s in ex.story[pos + 1:] if s.startswith(person + " ")]
        assert not later   # the supporting move is the person's last one
    for ex in babi_examples(generate_babi(6, 100, seed=1)):
        place = ex.question.rstrip("?").split()[-1]
        [pos] = ex.supporting_positions
        assert (ex.answer == "yes") == ex.story[pos].endswith(f"the {place}.")


def test_babi_reads_the_official_layout():
    # the published files put a space before the tab after some questions
    text = ("1 Mary moved to the bathroom.\n2 John went to the hallway.\n"
            "3 Where is Mary? \tbathroom\t1\n1 Sandra journeyed to the garden.\n"
            "2 Where is Sandra? \tgarden\t1\n")
    stories = parse_babi(text)
    assert len(stories) == 2
    assert stories[0][2] == BabiLine(3, "Where is Mary?", "bathroom", (1,))
    [first, second] = babi_examples(stories)
    assert first.story == ("Mary moved to the bathroom.", "John went to the hallway.")
    assert first.supporting_positions == (0,) and second.answer == "garden"


@pytest.mark.parametrize(("text", "message"), [
    ("1 Mary moved.\n3 John went.\n", r"line 2: line number 3 does not follow 1"),
    ("2 Mary moved.\n", r"line 1: the first line of a story must be numbered 1"),
    ("1 Mary moved.\n2 Where is Mary?\tkitchen\n", r"line 2: a question line needs three"),
    ("1 Mary moved.\n2 Where is Mary?\n", r"line 2: .*looks like a question"),
    ("1 Mary moved.\nx Where is Mary?\tkitchen\t1\n", r"line 2: expected a line number"),
    ("1 Mary moved.\n2 Where is Mary?\tkitchen\t3\n", r"line 2: supporting fact id\(s\) \[3\]"),
    ("1 Mary moved.\n2 Where is Mary?\t\t1\n", r"line 2: the answer field is empty"),
    ("1 Mary moved.\n2 Where is Mary?\tkitchen\tone\n", r"line 2: supporting fact ids must"),
    ("1 Mary moved.\n2 \n", r"line 2: line 2 has no text"),
])
def test_malformed_babi_files_give_the_line_number(text, message, tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as info:
        read_babi(path)
    assert str(path) in str(info.value)


def test_load_babi_task_generates_or_reads_a_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "cache"))
    train = load_babi_task(15, "train", num_questions=30)
    assert len(train) >= 30 and all(ex.task == 15 for ex in train)
    assert load_babi_task(15, "test", num_questions=30) != train
    cached = list((tmp_path / "cache" / "reasoning").rglob("qa15_basic-deduction_train.txt"))
    assert len(cached) == 1
    folder = tmp_path / "en"
    folder.mkdir()
    write_babi(generate_babi(1, 10, seed=9), folder / "qa1_single-supporting-fact_test.txt")
    assert len(load_babi_task(1, "test", folder=folder)) == 10
    with pytest.raises(DataUnavailable, match="qa2_"):
        load_babi_task(2, "test", folder=folder)
    with pytest.raises(ValueError, match="no generator"):
        generate_babi(3)
    with pytest.raises(ValueError, match="split"):
        load_babi_task(1, "dev")


def _words(vocab, ids) -> str:
    return " ".join(vocab.itos[i] for i in ids.tolist() if i)


def test_vectorize_puts_nil_then_the_most_recent_sentence_first():
    examples = babi_examples(generate_babi(1, 10, seed=2))
    vocab = build_babi_vocab([examples])
    assert vocab.pad_id == 0 and NIL in vocab
    data = vectorize_babi(examples, vocab, max_sentences=4)
    E, N, J = data.stories.shape
    assert E == len(examples) and N <= 4 and data.queries.shape[0] == E
    assert data.nil_slot == 0 and (data.stories[:, 0, 0] == vocab[NIL]).all()
    assert (data.stories[:, 0, 1:] == 0).all() and all(p[0] == -1 for p in data.positions)
    ex = examples[-1]
    assert _words(vocab, data.stories[-1, 1]) == ex.story[-1].lower().rstrip(".")
    assert data.positions[-1][1] == len(ex.story) - 1
    assert data.positions[-1][1:] == [len(ex.story) - 1 - n for n in range(N - 1)]  # 3 kept
    assert vocab.itos[int(data.answers[-1])] == ex.answer
    for e in range(E):
        for n in data.supporting_slots(e):
            assert n > 0 and data.positions[e][n] in examples[e].supporting_positions
    plain = vectorize_babi(examples, vocab, max_sentences=4, nil_memory=False)
    assert plain.nil_slot is None and plain.positions[-1][0] == len(ex.story) - 1
    assert _words(vocab, plain.stories[-1, 0]) == ex.story[-1].lower().rstrip(".")
    from course.text import PAD, UNK, Vocab
    with pytest.raises(ValueError, match="build_babi_vocab"):
        vectorize_babi(examples, Vocab(["mary"], specials=(PAD, UNK)))
    with pytest.raises(ValueError, match="no slot"):
        vectorize_babi(examples, vocab, max_sentences=1)


def _as_example(data: BabiTensors, vocab, stories, queries, answers, e: int) -> BabiExample:
    """A renamed tensor example back as text (capitalised names, full stops)."""
    names = {w.lower() for w in BABI_ENTITIES["people"]}

    def text(ids):
        words = [vocab.itos[i] for i in ids.tolist() if i]
        words = [w.capitalize() if w in names else w for w in words]
        return " ".join([words[0].capitalize(), *words[1:]])

    slots = [n for n, pos in enumerate(data.positions[e]) if pos >= 0][::-1]   # oldest first
    story = tuple(text(stories[e, n]) + "." for n in slots)
    return BabiExample(story, tuple(range(1, len(story) + 1)), text(queries[e]) + "?",
                       vocab.itos[int(answers[e])], ())


@pytest.mark.parametrize("task", [1, 6])
def test_renamed_entities_keep_the_meaning_of_each_story(task, ref):
    examples = babi_examples(generate_babi(task, 40, seed=5))
    vocab = build_babi_vocab([examples])
    data = vectorize_babi(examples, vocab)
    groups = [torch.tensor([vocab[w.lower()] for w in words if w.lower() in vocab])
              for words in BABI_ENTITIES.values()]
    groups = [g for g in groups if len(g) > 1]
    stories, queries, answers = rename_entities(data.stories, data.queries, data.answers,
                                                groups, torch.Generator().manual_seed(0))
    assert stories.shape == data.stories.shape and (stories[:, 0] == data.stories[:, 0]).all()
    assert (stories != data.stories).any(), "nothing was renamed"
    for e in range(len(examples)):
        renamed = _as_example(data, vocab, stories, queries, answers, e)
        assert answer_babi_symbolic(renamed, ref.backward_chain, task)[0] == renamed.answer
    same = rename_entities(data.stories, data.queries, data.answers, groups,
                           torch.Generator().manual_seed(0))
    assert all((a == b).all() for a, b in zip(same, (stories, queries, answers), strict=True))


def test_random_noise_inserts_empty_memories_in_order():
    examples = babi_examples(generate_babi(6, 20, seed=1))
    vocab = build_babi_vocab([examples])
    data = vectorize_babi(examples, vocab)
    noisy = add_empty_memories(data.stories, 0.3, 50, 1, torch.Generator().manual_seed(3))
    assert noisy.shape[1] > data.stories.shape[1] and (noisy[:, 0] == data.stories[:, 0]).all()
    for e in range(len(examples)):
        kept = [s for s in noisy[e, 1:] if s.any()]
        real = [s for s in data.stories[e, 1:] if s.any()]
        assert len(kept) == len(real)
        assert all((a == b).all() for a, b in zip(kept, real, strict=True))
    same = add_empty_memories(data.stories, 0.0, 50, 1)
    assert torch.equal(same, data.stories)
    short = add_empty_memories(data.stories, 0.9, data.stories.shape[1], 1,
                               torch.Generator().manual_seed(3))
    assert short.shape == data.stories.shape       # never wider than max_sentences


def test_train_memn2n_rejects_a_bad_noise_rate(ref):
    with pytest.raises(ValueError, match="random_noise"):
        train_memn2n(ref.MemN2N, task=1, random_noise=1.5)


@pytest.mark.slow
def test_memn2n_passes_yes_no_questions_with_the_nil_memory(ref):
    run = train_memn2n(ref.MemN2N, task=6, num_train=1000, num_test=500, time_budget=None,
                       num_epochs=200, target=0.99, seed=0, progress=False)
    assert run.test_accuracy >= 0.95, run.history.stopped


@pytest.mark.parametrize("task", sorted(BABI_RULES))
def test_symbolic_reader_answers_every_generated_question(task, ref):
    examples = babi_examples(generate_babi(task, 30, seed=4))
    for ex in examples:
        answer, proof = answer_babi_symbolic(ex, ref.backward_chain, task)
        assert answer == ex.answer, (ex.story, ex.question)
        if answer != "no":
            assert isinstance(proof, Proof)


def test_symbolic_reader_refuses_sentences_it_was_not_written_for():
    [ex] = babi_examples(parse_babi("1 Mary picked up the milk.\n2 Where is the milk?\tx\t1\n"))
    with pytest.raises(ValueError, match="no pattern"):
        babi_to_logic(ex)


# ------------------------------------------------------------------------- tree models

def test_tree_model_validates_its_tables():
    prior, T = np.array([0.5, 0.5]), np.array([[0.9, 0.1], [0.2, 0.8]])
    with pytest.raises(ValueError, match="parent must come before"):
        TreeModel(["a", "b", "c"], [-1, 2, 0], [prior, T, T])
    with pytest.raises(ValueError, match="sum to 1"):
        TreeModel(["a", "b"], [-1, 0], [prior, np.array([[0.5, 0.6], [0.5, 0.5]])])
    with pytest.raises(ValueError, match="shape"):
        TreeModel(["a", "b"], [-1, 0], [prior, np.ones((3, 3)) / 3])
    model = TreeModel(["a", "b"], [-1, 0], [prior, T])
    assert model.joint([1, 1]) == pytest.approx(0.4) and model.index("b") == 1


def test_enumeration_and_sampling_agree():
    model = random_tree_model(6, seed=1)
    assert all(0 <= model.parents[i] < i for i in range(1, 6))
    exact, total = enumerate_marginals(model)
    assert total == pytest.approx(1.0)
    samples = sample_tree_model(model, 20000, seed=0)
    assert samples.shape == (20000, 6)
    assert np.allclose(samples.mean(0), exact[:, 1], atol=0.02)
    marg, p = enumerate_marginals(model, {2: 1})
    assert marg[2, 1] == pytest.approx(1.0) and p == pytest.approx(exact[2, 1])
    with pytest.raises(ValueError, match="limited"):
        enumerate_marginals(random_tree_model(25))


def test_latent_word_tree_shape_and_message_passing(ref):
    model = latent_word_tree(seed=0)
    assert model.names[0] == "H:root" and model.num_states == 2
    topics = [i for i, name in enumerate(model.names) if name.startswith("H:") and i > 0]
    assert len(topics) == 3 and all(model.parents[t] == 0 for t in topics)
    words = [i for i in range(model.num_nodes) if i not in topics and i > 0]
    assert all(model.parents[w] in topics for w in words)
    evidence = {model.index("rain"): 1, model.index("umbrella"): 1}
    marg, p = ref.sum_product(model, evidence)
    exact, p_exact = enumerate_marginals(model, evidence)
    assert np.allclose(marg, exact) and p == pytest.approx(p_exact)
    assert marg[model.index("H:weather"), 1] > 0.9
    star = latent_word_tree({"topic": ["a", "b"]})
    assert star.names == ["H:root", "H:topic", "a", "b"]
    with pytest.raises(ValueError, match="non-empty"):
        latent_word_tree({"empty": []})


# ------------------------------------------------------------------------- widgets

def test_chaining_trace_viewer_steps_through_rounds():
    given = {("parent", "a", "b"), ("parent", "b", "c"), ("parent", "c", "d")}
    rounds = [{("ancestor", "a", "b"), ("ancestor", "b", "c"), ("ancestor", "c", "d")},
              {("ancestor", "a", "c"), ("ancestor", "b", "d")}, {("ancestor", "a", "d")}]
    viewer = ChainingTraceViewer(given, rounds)
    assert viewer.state()["round"] == 1 and viewer.state()["num_facts"] == 3
    viewer.round.value = 3
    s = viewer.state()
    assert s["facts"] == ["ancestor(a, d)"] and s["known_after"] == 9
    assert "1 new in round 3" in viewer.readout.value
    viewer.round.value = 0
    viewer.predicate.value = "parent"
    assert viewer.state()["num_facts"] == 3
    viewer.predicate.value = "ancestor"
    assert viewer.state()["num_facts"] == 0
    with viewer.hold():                      # several changes, one redraw at the end
        viewer.predicate.value = "(all predicates)"
        viewer.round.value = 2
        assert viewer.state()["num_facts"] == 2
    assert "2 new in round 2" in viewer.readout.value
    assert facts_in_round(given, rounds, 2, "ancestor") == sorted(rounds[1])
    with pytest.raises(ValueError, match="does not exist"):
        facts_in_round(given, rounds, 4)
    fig = viewer.figure()
    assert fig.axes[0].get_title()
    import matplotlib.pyplot as plt
    plt.close(fig)


def test_hop_viewer_reports_attention_and_supporting_facts():
    examples = babi_examples(generate_babi(1, 5, seed=0))
    vocab = build_babi_vocab([examples])
    data = vectorize_babi(examples, vocab)
    E, N = data.stories.shape[:2]
    attention = torch.zeros(E, 3, N)
    for e in range(E):
        attention[e, 0, 1] = 1.0                                  # hop 1: the newest sentence
        [slot] = data.supporting_slots(e)
        attention[e, 1, slot] = 1.0                               # hop 2: the supporting fact
        attention[e, 2, 0] = 0.75                                 # hop 3: mostly nothing
        attention[e, 2, slot] = 0.25
    viewer = HopViewer(data, attention, predictions=[ex.answer for ex in examples])
    viewer.example.value = 3
    ex = examples[3]
    assert viewer.state()["top"] == ex.story[-1]
    viewer.hop.value = 2
    s = viewer.state()
    assert s["top_is_supporting"] and s["predicted"] == ex.answer
    assert "a supporting fact" in viewer.readout.value
    rows = attention_over_story(data, attention, 3, 2)
    assert [r[1] for r in rows] == list(ex.story) and sum(r[2] for r in rows) == pytest.approx(1)
    assert nil_attention(data, attention, 3, 2) == 0
    viewer.hop.value = 3
    s = viewer.state()
    assert s["top"] == NIL_LABEL and s["nothing"] == pytest.approx(0.75)
    assert not s["top_is_supporting"] and "&lt;nil&gt;" in viewer.readout.value
    assert sum(r[2] for r in s["sentences"]) + s["nothing"] == pytest.approx(1)
    fig = viewer.figure()
    assert NIL_LABEL in [t.get_text() for t in fig.axes[0].get_yticklabels()]
    import matplotlib.pyplot as plt
    plt.close(fig)
    with pytest.raises(ValueError, match="hop 4"):
        attention_over_story(data, attention, 0, 4)
    viewer.hop.value = 2
    both = TraceViewer(ChainingTraceViewer(set(), [{("p", "a")}]), viewer)
    assert both.state()["hops"]["hop"] == 2 and both.widget.titles[1] == "memory-network hops"
