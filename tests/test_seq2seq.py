"""Unit tests of module 3's helpers: course.data.seq2seq, course.seq2seq, course.widgets.seq2seq."""

import matplotlib

matplotlib.use("Agg")

import datetime as dt
import json
import math
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course.data import (
    DATE_FORMATS,
    LONG_DATE_FORMATS,
    DataUnavailable,
    chatterbot_pairs,
    date_field_spans,
    date_pairs,
    encode_text,
    format_date,
    load_dates,
    load_dialogue,
    long_date_pairs,
    split_text,
)
from course.seq2seq import (
    NoAttention,
    Translation,
    exact_match_by_group,
    index_state,
    state_batch_size,
    toy_step,
)
from course.text import Vocab
from course.widgets import AttentionViewer, attention_row_summary


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def small_dates():
    return load_dates(num_train=600, num_valid=100, num_test=100, seed=3)


# --------------------------------------------------------------------------- dates
SATURDAY = dt.date(2021, 4, 3)
EXPECTED = {
    "day_month_year": "3 April 2021",
    "month_day_year": "April 3, 2021",
    "day_mon_year": "03 Apr 2021",
    "mon_day_year": "Apr 3 2021",
    "ordinal_of_month": "the 3rd of April, 2021",
    "month_ordinal": "April 3rd, 2021",
    "weekday_day_month": "Saturday, 3 April 2021",
    "weekday_month_day": "Sat, Apr 3, 2021",
    "numeric_day_first": "03.04.2021",
    "numeric_day_first_short": "3.4.2021",
    "numeric_month_first": "04/03/2021",
    "numeric_month_first_short": "4/3/2021",
    "year_first_slash": "2021/04/03",
    "compact": "20210403",
}


def test_at_least_ten_formats_of_each_kind():
    assert len(DATE_FORMATS) >= 10
    assert set(EXPECTED) == set(DATE_FORMATS)
    written = [format_date(SATURDAY, f) for f in DATE_FORMATS]
    assert any("April" in w for w in written) and any("Apr " in w for w in written)
    assert any("3rd" in w for w in written)
    assert any("Saturday" in w for w in written) and any("Sat," in w for w in written)
    assert "03.04.2021" in written and "04/03/2021" in written


@pytest.mark.parametrize("fmt", sorted(EXPECTED))
def test_format_date_known_values(fmt):
    assert format_date(SATURDAY, fmt) == EXPECTED[fmt]
    assert format_date(SATURDAY, fmt, casing="upper") == EXPECTED[fmt].upper()
    assert format_date(SATURDAY, fmt, casing="lower") == EXPECTED[fmt].lower()


@pytest.mark.parametrize(("day", "ordinal"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"),
                                              (11, "11th"), (12, "12th"), (13, "13th"),
                                              (21, "21st"), (22, "22nd"), (23, "23rd"),
                                              (31, "31st")])
def test_ordinals(day, ordinal):
    assert format_date(dt.date(2020, 1, day), "month_ordinal") == f"January {ordinal}, 2020"


def test_weekday_is_the_real_one():
    for date in [dt.date(1900, 1, 1), dt.date(2000, 2, 29), dt.date(2099, 12, 31)]:
        assert format_date(date, "weekday_day_month").split(",")[0] == date.strftime("%A")


def test_format_date_errors():
    with pytest.raises(ValueError, match="unknown date format"):
        format_date(SATURDAY, "roman")
    with pytest.raises(ValueError, match="casing"):
        format_date(SATURDAY, "compact", casing="title")


def test_date_pairs_deterministic_distinct_and_iso():
    a = date_pairs(300, seed=5)
    assert a == date_pairs(300, seed=5)
    assert a != date_pairs(300, seed=6)
    targets = [t for _, t in a]
    assert len(set(targets)) == 300
    for source, target in a:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", target)
        assert dt.date.fromisoformat(target)
        assert source


def test_date_pairs_mixed_case_and_formats():
    pairs = date_pairs(600, seed=1)
    sources = [s for s, _ in pairs if any(c.isalpha() for c in s)]
    assert any(s.isupper() for s in sources) and any(s.islower() for s in sources)
    assert any(s != s.lower() and s != s.upper() for s in sources)
    only_compact = date_pairs(20, seed=1, formats=["compact"], mixed_case=False)
    assert all(s == t.replace("-", "") for s, t in only_compact)


def test_date_pairs_errors():
    with pytest.raises(ValueError, match="distinct"):
        date_pairs(40, start=dt.date(2020, 1, 1), end=dt.date(2020, 1, 31))
    with pytest.raises(ValueError, match="empty"):
        date_pairs(1, start=dt.date(2020, 1, 2), end=dt.date(2020, 1, 1))
    with pytest.raises(ValueError, match="unknown date format"):
        date_pairs(3, formats=["compact", "nope"])
    with pytest.raises(ValueError, match="no date formats"):
        date_pairs(3, formats=[])
    with pytest.raises(ValueError, match="at least 0"):
        date_pairs(-1)


def test_load_dates_splits_do_not_overlap(small_dates):
    d = small_dates
    assert (len(d.train), len(d.valid), len(d.test)) == (600, 100, 100)
    train_dates = {t for _, t in d.train}
    assert not train_dates & {t for _, t in d.valid}
    assert not train_dates & {t for _, t in d.test}
    assert not {t for _, t in d.valid} & {t for _, t in d.test}
    assert not {s for s, _ in d.train} & {s for s, _ in d.test}
    for split in ("train", "valid", "test"):
        assert len(d.tags[split]) == len(d.split(split))
        for (source, target), fmt in zip(d.split(split), d.tags[split], strict=True):
            assert source.lower() == format_date(dt.date.fromisoformat(target), fmt).lower()


def test_load_dates_is_deterministic_and_vocab_from_train():
    a = load_dates(num_train=200, num_valid=20, num_test=20, seed=1)
    b = load_dates(num_train=200, num_valid=20, num_test=20, seed=1)
    assert (a.train, a.valid, a.test) == (b.train, b.valid, b.test)
    assert a.src_vocab.itos == b.src_vocab.itos
    chars = {c for s, _ in a.train for c in s}
    assert set(a.src_vocab.itos[4:]) == chars
    assert set(a.tgt_vocab.itos[4:]) == set("0123456789-")
    assert a.src_vocab.itos[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"]


def test_load_dates_errors():
    with pytest.raises(ValueError, match="num_train"):
        load_dates(num_train=0)
    with pytest.raises(ValueError, match="num_test"):
        load_dates(num_train=10, num_test=-1)


def test_long_formats_are_longer_and_untrained():
    assert not set(LONG_DATE_FORMATS) & set(DATE_FORMATS)
    days = [dt.date(1900, 1, 1) + dt.timedelta(days=k) for k in range(0, 73_000, 97)]
    short = max(len(format_date(d, f)) for d in days for f in DATE_FORMATS)
    long = [len(format_date(d, f)) for d in days for f in LONG_DATE_FORMATS]
    assert short == 28 and min(long) >= 26 and max(long) == 60
    assert sum(n > short for n in long) > 0.9 * len(long)
    assert format_date(SATURDAY, "on_weekday_the_ordinal") == \
        "on Saturday, the 3rd day of April in the year 2021"
    assert not any(f in {f for f in load_dates(200, 20, 20).tags["train"]}
                   for f in LONG_DATE_FORMATS)


def test_long_date_pairs_new_dates_deterministic(small_dates):
    pairs, formats = long_date_pairs(small_dates, num_pairs=300, seed=2)
    assert (pairs, formats) == long_date_pairs(small_dates, num_pairs=300, seed=2)
    assert pairs != long_date_pairs(small_dates, num_pairs=300, seed=3)[0]
    used = {t for split in ("train", "valid", "test") for _, t in small_dates.split(split)}
    assert not {t for _, t in pairs} & used
    assert len({t for _, t in pairs}) == 300
    assert set(formats) == set(LONG_DATE_FORMATS)
    for (source, target), fmt in zip(pairs, formats, strict=True):
        assert source.lower() == format_date(dt.date.fromisoformat(target), fmt).lower()
    only_one, _ = long_date_pairs(small_dates, 5, formats=["it_is_weekday"], mixed_case=False)
    assert all(s.startswith("it is ") for s, _ in only_one)


def test_long_date_pairs_errors(small_dates):
    with pytest.raises(ValueError, match="at least 0"):
        long_date_pairs(small_dates, num_pairs=-1)
    with pytest.raises(ValueError, match="not used by the data"):
        long_date_pairs(small_dates, num_pairs=40, start=dt.date(2020, 1, 1),
                        end=dt.date(2020, 1, 31))
    with pytest.raises(ValueError, match="unknown date format"):
        long_date_pairs(small_dates, num_pairs=3, formats=["roman"])


@pytest.mark.parametrize("fmt", sorted(DATE_FORMATS) + sorted(LONG_DATE_FORMATS))
def test_date_field_spans_point_at_the_fields(fmt):
    for date in [SATURDAY, dt.date(1999, 12, 22), dt.date(1950, 1, 1)]:
        text = format_date(date, fmt, casing="upper")
        spans = date_field_spans(date.isoformat(), fmt)
        assert {"day", "month", "year"} <= set(spans)
        assert text[slice(*spans["year"])] == str(date.year)
        day = text[slice(*spans["day"])]
        assert int(re.match(r"\d+", day).group()) == date.day
        month = text[slice(*spans["month"])]
        if month.isdigit():
            assert int(month) == date.month
        else:
            assert date.strftime("%B").upper().startswith(month)


def test_date_field_spans_errors():
    with pytest.raises(ValueError, match="ISO"):
        date_field_spans("3 April 2021", "compact")
    with pytest.raises(ValueError, match="unknown date format"):
        date_field_spans("2021-04-03", "roman")


# --------------------------------------------------------------------------- encoding, batches
def test_encode_text_reports_unknown_and_rejects_empty():
    vocab = Vocab("abc")
    ids, unknown = encode_text("abx€a", vocab)
    assert ids == [vocab["a"], vocab["b"], vocab.unk_id, vocab.unk_id, vocab["a"]]
    assert unknown == ["x", "€"]
    with pytest.raises(ValueError, match="no characters"):
        encode_text("", vocab)
    with pytest.raises(ValueError, match="no words"):
        encode_text("?!", Vocab(["hi"]), level="word")
    with pytest.raises(TypeError):
        encode_text(None, vocab)
    with pytest.raises(ValueError, match="level"):
        split_text("abc", "byte")
    assert encode_text("ab", vocab, bos=True, eos=True)[0] == [vocab.bos_id, vocab["a"],
                                                                vocab["b"], vocab.eos_id]


def test_batches_pad_lengths_masks_and_targets(small_dates):
    d = small_dates
    seen = []
    for batch in d.batches("train", 32, seed=0):
        B, T = batch.src.shape
        assert batch.src_lengths.tolist() == [len(d.train[i][0]) for i in batch.index]
        assert torch.equal(batch.src_mask, torch.arange(T)[None, :] < batch.src_lengths[:, None])
        assert bool((batch.src[~batch.src_mask] == d.src_vocab.pad_id).all())
        assert bool((batch.tgt_in[:, 0] == d.tgt_vocab.bos_id).all())
        assert torch.equal(batch.tgt_in[:, 1:][batch.tgt_mask[:, :-1]],
                           batch.tgt_out[:, :-1][batch.tgt_mask[:, :-1]])
        ends = batch.tgt_mask.sum(1) - 1
        assert bool((batch.tgt_out[torch.arange(B), ends] == d.tgt_vocab.eos_id).all())
        assert batch.num_target_tokens == int(batch.tgt_mask.sum())
        first = batch.index[0]
        assert d.decode_target(batch.tgt_out[0].tolist()) == d.train[first][1]
        seen += batch.index
    assert sorted(seen) == list(range(len(d.train)))


def test_batches_bucket_by_length(small_dates):
    d = small_dates
    padded = real = 0
    for batch in d.batches("train", 32, seed=1):
        padded += batch.src_mask.numel()
        real += int(batch.src_mask.sum())
    assert 1 - real / padded < 0.1          # random batches of these lengths waste far more
    first = [b.index for b in d.batches("train", 32, seed=1)]
    assert first == [b.index for b in d.batches("train", 32, seed=1)]
    assert first != [b.index for b in d.batches("train", 32, seed=2)]
    unshuffled = [len(d.valid[i][0]) for b in d.batches("valid", 16, shuffle=False)
                  for i in b.index]
    assert unshuffled == sorted(unshuffled)
    with pytest.raises(ValueError, match="split"):
        next(d.batches("dev", 4))


# --------------------------------------------------------------------------- dialogue
def test_chatterbot_pairs_are_consecutive_turns():
    pairs = chatterbot_pairs(categories=["greetings"], max_words=None)
    assert ("Hello", "Hi") in pairs and ("Hi", "Hello") in pairs
    assert all(q.strip() and a.strip() for q, a in pairs)
    short = chatterbot_pairs(categories=["greetings"], max_words=3)
    assert set(short) <= set(pairs) and len(short) < len(pairs)
    with pytest.raises(ValueError, match="no category"):
        chatterbot_pairs(categories=["greetings", "klingon"])


def test_load_dialogue_holds_out_new_statements():
    from course.text import tokenize

    d = load_dialogue(categories=["greetings", "emotion", "food"], valid_fraction=0.2, seed=4)
    assert d.level == "word" and d.valid and d.train
    train_statements = {" ".join(tokenize(q)) for q, _ in d.train}
    assert not train_statements & {" ".join(tokenize(q)) for q, _ in d.valid}
    assert set(d.tags["train"]) <= {"greetings", "emotion", "food"}
    again = load_dialogue(categories=["greetings", "emotion", "food"], valid_fraction=0.2, seed=4)
    assert again.train == d.train
    with pytest.raises(ValueError, match="valid_fraction"):
        load_dialogue(valid_fraction=1.0)
    known = tokenize(d.train[0][0])[0]
    ids, unknown = d.encode_source(f"{known} zyzzyva")
    assert unknown == ["zyzzyva"] and ids == [d.src_vocab[known], d.src_vocab.unk_id]


def test_data_unavailable_names_the_fix():
    error = DataUnavailable("x is missing", "pip install x")
    assert "pip install x" in str(error) and error.fix == "pip install x"


# --------------------------------------------------------------------------- course.seq2seq
def test_index_state_and_batch_size():
    state = (torch.arange(6).reshape(3, 2), torch.tensor([10, 11, 12]))
    picked = index_state(state, torch.tensor([2, 2, 0]))
    assert isinstance(picked, tuple)
    assert picked[0].tolist() == [[4, 5], [4, 5], [0, 1]] and picked[1].tolist() == [12, 12, 10]
    assert state_batch_size(state) == 3 and state_batch_size(torch.zeros(5, 1)) == 5
    assert index_state(None, torch.tensor([0])) is None
    with pytest.raises(TypeError):
        index_state("state", torch.tensor([0]))
    with pytest.raises(TypeError):
        state_batch_size(())


def test_toy_step_first_and_second_order():
    table = torch.log_softmax(torch.randn(4, 4), dim=1)
    step, initial = toy_step(table)
    log_probs, state = step(torch.tensor([1, 3]), initial(2))
    assert torch.equal(log_probs, table[[1, 3]])
    second = torch.log_softmax(torch.randn(4, 4, 4), dim=2)
    step, initial = toy_step(second)
    lp, state = step(torch.tensor([1]), initial(1))          # before the first token: [1, 1]
    assert torch.equal(lp[0], second[1, 1])
    lp, state = step(torch.tensor([2]), state)               # now the token before is 1
    assert torch.equal(lp[0], second[1, 2])
    with pytest.raises(ValueError, match="toy_step"):
        toy_step(torch.zeros(3, 4))


def test_no_attention_is_uniform_over_real_positions():
    keys = torch.arange(12.0).reshape(2, 3, 2)
    mask = torch.tensor([[True, True, False], [True, True, True]])
    context, weights = NoAttention()(torch.zeros(2, 5), keys, mask)
    assert torch.allclose(weights, torch.tensor([[0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]]))
    assert torch.allclose(context[0], keys[0, :2].mean(0))
    assert torch.allclose(context[1], keys[1].mean(0))


def test_exact_match_by_group():
    result = exact_match_by_group(["a", "b", "c", "d"], ["a", "x", "c", "d"], [1, 1, 2, 2])
    assert result == {1: (0.5, 2), 2: (1.0, 2)}
    with pytest.raises(ValueError):
        exact_match_by_group(["a"], ["a", "b"], [1, 1])


@pytest.fixture(scope="module")
def reference_code():
    from course.notebooks import reference

    return reference("ps3_seq2seq")


@pytest.mark.slow
def test_model_decodes_and_trains_end_to_end(small_dates, reference_code, tmp_path, monkeypatch):
    from course.seq2seq import (
        build_model,
        plot_attention,
        predict,
        train_or_load,
        train_seq2seq,
        translate,
    )

    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    d = small_dates
    model = build_model(reference_code, d, attention="general", embed_size=4, hidden_size=8)
    outputs = predict(model, d, ["3 April 2021", "04/03/2021"], reference_code.greedy_decode)
    assert len(outputs) == 2 and all(isinstance(o, str) and len(o) <= 11 for o in outputs)

    def run():
        return train_seq2seq(model, d, reference_code.sequence_cross_entropy,
                             reference_code.greedy_decode, num_epochs=2, epoch_size=64,
                             batch_size=32, eval_size=20, progress=False)

    summary = train_or_load(model, "tiny", {"size": 8}, run)
    assert not summary["loaded"] and summary["examples"] == 128
    assert len(summary["evaluations"]) == 2 and summary["target_tokens"] == 128 * 11
    saved = json.loads((tmp_path / "seq2seq" / "tiny.json").read_text())
    assert saved["examples"] == 128
    again = train_or_load(model, "tiny", {"size": 8}, lambda: pytest.fail("should not train"))
    assert again["loaded"] and again["examples"] == 128

    t = translate(model, d, "Sat, Apr 3, 2021 €", reference_code.greedy_decode)
    assert isinstance(t, Translation) and t.unknown == ["€"]
    assert t.weights.shape == (len(t.output_tokens), len(t.source_tokens))
    np.testing.assert_allclose(t.weights.sum(1), 1.0, atol=1e-5)
    ax = plot_attention(t, highlight=0)
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    with pytest.raises(ValueError, match="no characters"):
        translate(model, d, "", reference_code.greedy_decode)
    with pytest.raises(ValueError, match="attention"):
        build_model(reference_code, d, attention="dot")


# --------------------------------------------------------------------------- widget
def _fake_translation(text: str) -> Translation:
    if not text:
        raise ValueError("the input '' has no characters to encode; type something")
    source = list(text)
    output = list(text[::-1][:4]) + ["<eos>"]
    weights = np.zeros((len(output), len(source)))
    for i in range(len(output)):
        weights[i, len(source) - 1 - min(i, len(source) - 1)] = 1.0   # reversed alignment
    unknown = [c for c in text if c == "€"]
    return Translation(text, source, output, weights, unknown)


def test_attention_row_summary():
    t = _fake_translation("abcdef")
    assert attention_row_summary(t, 0, top=1) == [(5, "f", 1.0)]
    assert attention_row_summary(t, 2)[0] == (3, "d", 1.0)
    with pytest.raises(IndexError):
        attention_row_summary(t, 5)


def test_attention_viewer_logic():
    viewer = AttentionViewer(_fake_translation, examples=["abcdef", "xyz"])
    state = viewer.state()
    assert state["text"] == "abcdef" and state["output"] == "fedc"
    assert viewer.step.max == 4 and state["step"] == 0 and state["token"] == "f"
    viewer.step.value = 2
    assert viewer.state()["token"] == "d" and viewer.state()["top"][0][:2] == (3, "d")
    assert "step 2" in viewer.readout.value

    viewer.example.value = "xyz"                # choosing an example decodes it, slider back at 0
    assert viewer.text.value == "xyz" and viewer.state()["output"] == "zyx"
    assert viewer.step.value == 0 and viewer.step.max == 3

    viewer.text.value = "ab€"                   # typing: the example selection is cleared
    assert viewer.example.value is None
    assert viewer.state()["unknown"] == ["€"] and "unknown" in viewer.readout.value

    viewer.text.value = ""
    assert viewer.state()["error"] and "cannot decode" in viewer.readout.value
    assert viewer.state()["output_tokens"] == []

    viewer.text.value = "hello"
    assert not viewer.state()["error"]
    fig = viewer.figure()
    assert len(fig.axes) >= 2 and all(ax.get_title() for ax in fig.axes[:2])


def test_attention_viewer_needs_something_to_show():
    with pytest.raises(ValueError):
        AttentionViewer(_fake_translation, examples=[])
    viewer = AttentionViewer(_fake_translation, examples=[], text="typed")
    assert viewer.state()["text"] == "typed" and viewer.example.value is None
    assert not math.isnan(float(viewer.state()["weights"].sum()))
