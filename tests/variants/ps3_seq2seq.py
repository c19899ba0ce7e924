"""Plausible wrong solutions to problem set 3 and the test cells each must fail.

Every entry replaces the source of one solution cell (``cell`` = its nbgrader
grade_id) of ``solutions/ps3_seq2seq/ps3_seq2seq.ipynb`` by ``code``; with the
reference code in every other cell, exactly the test cells named in ``fails``
(their grade_ids) must fail and all others must pass.
"""

_ENCODER_HEAD = '''class Encoder(nn.Module):
    def __init__(self, vocab_size, embed_size, hidden_size, pad_id=0):
        super().__init__()
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=pad_id)
        self.rnn = nn.GRU(embed_size, hidden_size, batch_first=True, bidirectional=True)

    def forward(self, src, lengths):
'''

_ADDITIVE_HEAD = '''class AdditiveAttention(nn.Module):
    def __init__(self, query_size, key_size, attn_size):
        super().__init__()
        self.W_q = nn.Linear(query_size, attn_size, bias=False)
        self.W_k = nn.Linear(key_size, attn_size, bias=False)
        self.v = nn.Linear(attn_size, 1, bias=False)

    def forward(self, query, keys, mask):
'''

_ADDITIVE_SCORES = '''        features = torch.tanh(self.W_q(query).unsqueeze(1) + self.W_k(keys))
        scores = self.v(features).squeeze(2)
'''

_GENERAL_HEAD = '''class GeneralAttention(nn.Module):
    def __init__(self, query_size, key_size):
        super().__init__()
        self.W = nn.Linear(key_size, query_size, bias=False)

    def forward(self, query, keys, mask):
'''

_GENERAL_SCORES = '''        scores = torch.bmm(self.W(keys), query.unsqueeze(2)).squeeze(2)
'''

_DECODER_HEAD = '''class Decoder(nn.Module):
    def __init__(self, vocab_size, embed_size, hidden_size, context_size, attention):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.attention = attention
        self.bridge = nn.Linear(context_size, hidden_size)
        self.rnn = nn.GRUCell(embed_size + context_size, hidden_size)
        self.out = nn.Linear(hidden_size + context_size, vocab_size)

    def init_hidden(self, final):
        return torch.tanh(self.bridge(final))

    def forward(self, prev_tokens, hidden, enc_outputs, src_mask):
'''

# The beam search of the reference with one piece changed; {select} and {finish} are filled in.
_BEAM = '''def beam_search(step, state, bos_id, eos_id, beam_size=4, max_len=20, alpha=1.0):
    if beam_size < 1 or max_len < 1:
        raise ValueError("beam_size and max_len must be at least 1")
    tokens = torch.tensor([bos_id])
    scores = torch.zeros(1)
    sequences = [[]]
    finished = []
    for _ in range(max_len):
        log_probs, state = step(tokens, state)
        vocab_size = log_probs.shape[1]
        total = (scores[:, None] + log_probs).reshape(-1)
        top, flat = total.topk(min(beam_size, total.numel()))
        origin, token = flat // vocab_size, flat % vocab_size
{select}
    else:
        finished += [({finish_live}, seq) for s, seq in zip(scores, sequences, strict=True)]
    best_score, best = max(finished, key=lambda candidate: candidate[0])
    return best, best_score
'''

_SELECT = '''        live = []
        for i in range(len(flat)):
            seq = sequences[int(origin[i])] + [int(token[i])]
            if int(token[i]) == eos_id:
                finished.append(({finish_done}, seq[:-1]))
            else:
                live.append(i)
        if not live or len(finished) >= beam_size:
            break
        live = torch.tensor(live)
        sequences = [sequences[int(origin[i])] + [int(token[i])] for i in live]
        tokens, scores = token[live], top[live]
        state = {reorder}'''

_NORMALISED_DONE = "float(top[i]) / len(seq) ** alpha"
_NORMALISED_LIVE = "float(s) / len(seq) ** alpha"
_REORDER = "index_state(state, origin[live])"

VARIANTS = [
    # ----------------------------------------------------------------- Encoder
    {
        "name": "encoder_without_packing",
        "cell": "Encoder",
        "code": _ENCODER_HEAD + '''        embedded = self.embedding(src)
        outputs, h_n = self.rnn(embedded)
        return outputs, torch.cat([h_n[0], h_n[1]], dim=1)
''',
        "fails": {"test_encoder_shapes", "test_encoder_packing", "test_encoder_final_state"},
    },
    {
        "name": "encoder_final_from_last_padded_position",
        "cell": "Encoder",
        "code": _ENCODER_HEAD + '''        embedded = self.embedding(src)
        packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)
        packed_outputs, _ = self.rnn(packed)
        outputs, _ = pad_packed_sequence(packed_outputs, batch_first=True,
                                         total_length=src.shape[1])
        H = self.hidden_size
        return outputs, torch.cat([outputs[:, -1, :H], outputs[:, 0, H:]], dim=1)
''',
        "fails": {"test_encoder_packing", "test_encoder_final_state"},
    },
    {
        "name": "encoder_final_directions_swapped",
        "cell": "Encoder",
        "code": _ENCODER_HEAD + '''        embedded = self.embedding(src)
        packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)
        packed_outputs, h_n = self.rnn(packed)
        outputs, _ = pad_packed_sequence(packed_outputs, batch_first=True,
                                         total_length=src.shape[1])
        return outputs, torch.cat([h_n[1], h_n[0]], dim=1)
''',
        "fails": {"test_encoder_final_state"},
    },
    {
        "name": "encoder_without_total_length",
        "cell": "Encoder",
        "code": _ENCODER_HEAD + '''        embedded = self.embedding(src)
        packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)
        packed_outputs, h_n = self.rnn(packed)
        outputs, _ = pad_packed_sequence(packed_outputs, batch_first=True)
        return outputs, torch.cat([h_n[0], h_n[1]], dim=1)
''',
        "fails": {"test_encoder_shapes"},
    },
    # ----------------------------------------------------------------- AdditiveAttention
    {
        "name": "additive_attention_without_masking",
        "cell": "AdditiveAttention",
        "code": _ADDITIVE_HEAD + _ADDITIVE_SCORES + '''\
        weights = torch.softmax(scores, dim=1)
        return torch.bmm(weights.unsqueeze(1), keys).squeeze(1), weights
''',
        "fails": {"test_additive_attention_masking"},
    },
    {
        "name": "additive_attention_softmax_over_batch",
        "cell": "AdditiveAttention",
        "code": _ADDITIVE_HEAD + _ADDITIVE_SCORES + '''\
        scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=0)
        return torch.bmm(weights.unsqueeze(1), keys).squeeze(1), weights
''',
        "fails": {"test_additive_attention_values", "test_additive_attention_masking",
                  "test_additive_attention_batch"},
    },
    {
        "name": "additive_attention_mask_after_softmax",
        "cell": "AdditiveAttention",
        "code": _ADDITIVE_HEAD + _ADDITIVE_SCORES + '''\
        weights = torch.softmax(scores, dim=1) * mask
        return torch.bmm(weights.unsqueeze(1), keys).squeeze(1), weights
''',
        "fails": {"test_additive_attention_masking"},
    },
    # ----------------------------------------------------------------- GeneralAttention
    {
        "name": "general_attention_without_masking",
        "cell": "GeneralAttention",
        "code": _GENERAL_HEAD + _GENERAL_SCORES + '''\
        weights = torch.softmax(scores, dim=1)
        return torch.bmm(weights.unsqueeze(1), keys).squeeze(1), weights
''',
        "fails": {"test_general_attention_masking"},
    },
    {
        "name": "general_attention_softmax_over_batch",
        "cell": "GeneralAttention",
        "code": _GENERAL_HEAD + _GENERAL_SCORES + '''\
        scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=0)
        return torch.bmm(weights.unsqueeze(1), keys).squeeze(1), weights
''',
        "fails": {"test_general_attention_values", "test_general_attention_masking",
                  "test_general_attention_batch"},
    },
    # ----------------------------------------------------------------- Decoder
    {
        "name": "decoder_context_before_embedding",
        "cell": "Decoder",
        "code": _DECODER_HEAD + '''        embedded = self.embedding(prev_tokens)
        context, weights = self.attention(hidden, enc_outputs, src_mask)
        hidden = self.rnn(torch.cat([context, embedded], dim=1), hidden)
        return self.out(torch.cat([hidden, context], dim=1)), hidden, weights
''',
        "fails": {"test_decoder_values"},
    },
    {
        "name": "decoder_output_from_previous_state",
        "cell": "Decoder",
        "code": _DECODER_HEAD + '''        embedded = self.embedding(prev_tokens)
        context, weights = self.attention(hidden, enc_outputs, src_mask)
        new_hidden = self.rnn(torch.cat([embedded, context], dim=1), hidden)
        return self.out(torch.cat([hidden, context], dim=1)), new_hidden, weights
''',
        "fails": {"test_decoder_values"},
    },
    {
        "name": "decoder_attends_with_new_state",
        "cell": "Decoder",
        "code": _DECODER_HEAD + '''        embedded = self.embedding(prev_tokens)
        context, _ = self.attention(hidden, enc_outputs, src_mask)
        hidden = self.rnn(torch.cat([embedded, context], dim=1), hidden)
        context, weights = self.attention(hidden, enc_outputs, src_mask)
        return self.out(torch.cat([hidden, context], dim=1)), hidden, weights
''',
        "fails": {"test_decoder_attention_query"},
    },
    # ----------------------------------------------------------------- sequence_cross_entropy
    {
        "name": "loss_counts_padding",
        "cell": "sequence_cross_entropy",
        "code": '''def sequence_cross_entropy(logits, targets, mask):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
''',
        "fails": {"test_sequence_cross_entropy_padding", "test_sequence_cross_entropy_empty"},
    },
    {
        "name": "loss_zeroes_padding_but_divides_by_all_positions",
        "cell": "sequence_cross_entropy",
        "code": '''def sequence_cross_entropy(logits, targets, mask):
    log_probs = F.log_softmax(logits, dim=-1)
    picked = log_probs.gather(2, targets.unsqueeze(2)).squeeze(2)
    return -(picked * mask).mean()
''',
        "fails": {"test_sequence_cross_entropy_padding"},
    },
    {
        "name": "loss_mean_over_sequences_of_sums",
        "cell": "sequence_cross_entropy",
        "code": '''def sequence_cross_entropy(logits, targets, mask):
    log_probs = F.log_softmax(logits, dim=-1)
    picked = log_probs.gather(2, targets.unsqueeze(2)).squeeze(2)
    return -(picked * mask).sum() / logits.shape[0]
''',
        "fails": {"test_sequence_cross_entropy_values", "test_sequence_cross_entropy_padding"},
    },
    {
        "name": "loss_nan_without_real_tokens",
        "cell": "sequence_cross_entropy",
        "code": '''def sequence_cross_entropy(logits, targets, mask):
    log_probs = F.log_softmax(logits, dim=-1)
    picked = log_probs.gather(2, targets.unsqueeze(2)).squeeze(2)
    return -picked[mask].mean()
''',
        "fails": {"test_sequence_cross_entropy_empty"},
    },
    # ----------------------------------------------------------------- greedy_decode
    {
        "name": "greedy_keeps_writing_after_eos",
        "cell": "greedy_decode",
        "code": '''def greedy_decode(step, state, bos_id, eos_id, max_len):
    batch_size = state_batch_size(state)
    tokens = torch.full((batch_size,), bos_id, dtype=torch.long)
    outputs = [[] for _ in range(batch_size)]
    for _ in range(max_len):
        log_probs, state = step(tokens, state)
        tokens = log_probs.argmax(dim=-1)
        for b, token in enumerate(tokens.tolist()):
            if token != eos_id:
                outputs[b].append(token)
        if bool((tokens == eos_id).all()):
            break
    return outputs
''',
        "fails": {"test_greedy_decode_values", "test_greedy_decode_stops"},
    },
    {
        "name": "greedy_keeps_eos_in_output",
        "cell": "greedy_decode",
        "code": '''def greedy_decode(step, state, bos_id, eos_id, max_len):
    batch_size = state_batch_size(state)
    tokens = torch.full((batch_size,), bos_id, dtype=torch.long)
    outputs = [[] for _ in range(batch_size)]
    ended = [False] * batch_size
    for _ in range(max_len):
        log_probs, state = step(tokens, state)
        tokens = log_probs.argmax(dim=-1)
        for b, token in enumerate(tokens.tolist()):
            if not ended[b]:
                outputs[b].append(token)
                ended[b] = token == eos_id
        if all(ended):
            break
    return outputs
''',
        "fails": {"test_greedy_decode_values", "test_greedy_decode_stops"},
    },
    {
        "name": "greedy_runs_until_max_len",
        "cell": "greedy_decode",
        "code": '''def greedy_decode(step, state, bos_id, eos_id, max_len):
    batch_size = state_batch_size(state)
    tokens = torch.full((batch_size,), bos_id, dtype=torch.long)
    outputs = [[] for _ in range(batch_size)]
    ended = [False] * batch_size
    for _ in range(max_len):
        log_probs, state = step(tokens, state)
        tokens = log_probs.argmax(dim=-1)
        for b, token in enumerate(tokens.tolist()):
            if ended[b]:
                continue
            if token == eos_id:
                ended[b] = True
            else:
                outputs[b].append(token)
    return outputs
''',
        "fails": {"test_greedy_decode_stops"},
    },
    {
        "name": "greedy_one_step_short",
        "cell": "greedy_decode",
        "code": '''def greedy_decode(step, state, bos_id, eos_id, max_len):
    batch_size = state_batch_size(state)
    tokens = torch.full((batch_size,), bos_id, dtype=torch.long)
    outputs = [[] for _ in range(batch_size)]
    ended = [False] * batch_size
    for _ in range(max_len - 1):
        log_probs, state = step(tokens, state)
        tokens = log_probs.argmax(dim=-1)
        for b, token in enumerate(tokens.tolist()):
            if ended[b]:
                continue
            if token == eos_id:
                ended[b] = True
            else:
                outputs[b].append(token)
        if all(ended):
            break
    return outputs
''',
        "fails": {"test_greedy_decode_values", "test_greedy_decode_stops",
                  "test_greedy_decode_max_len"},
    },
    # ----------------------------------------------------------------- beam_search
    {
        "name": "beam_without_length_normalisation",
        "cell": "beam_search",
        "code": _BEAM.format(
            select=_SELECT.format(finish_done="float(top[i])", reorder=_REORDER),
            finish_live="float(s)"),
        "fails": {"test_beam_search_length_normalisation"},
    },
    {
        "name": "beam_keeps_expanding_finished_hypotheses",
        "cell": "beam_search",
        "code": _BEAM.format(
            select='''        for i in range(len(flat)):
            seq = sequences[int(origin[i])] + [int(token[i])]
            if int(token[i]) == eos_id:
                finished.append((float(top[i]) / len(seq) ** alpha, seq[:-1]))
        if len(finished) >= beam_size:
            break
        sequences = [sequences[int(origin[i])] + [int(token[i])] for i in range(len(flat))]
        tokens, scores = token, top
        state = index_state(state, origin)''',
            finish_live=_NORMALISED_LIVE),
        "fails": {"test_beam_search_finished", "test_beam_search_length_normalisation",
                  "test_beam_search_max_len_and_state"},
    },
    {
        "name": "beam_forgets_to_reorder_the_state",
        "cell": "beam_search",
        "code": _BEAM.format(
            select=_SELECT.format(
                finish_done=_NORMALISED_DONE,
                reorder="index_state(state, torch.arange(len(live)) % state_batch_size(state))"),
            finish_live=_NORMALISED_LIVE),
        "fails": {"test_beam_search_max_len_and_state"},
    },
    {
        "name": "beam_normalises_without_counting_eos",
        "cell": "beam_search",
        "code": _BEAM.format(
            select=_SELECT.format(
                finish_done="float(top[i]) / max(len(seq) - 1, 1) ** alpha", reorder=_REORDER),
            finish_live=_NORMALISED_LIVE),
        "fails": {"test_beam_search_length_normalisation"},
    },
    {
        "name": "beam_ignores_finished_candidates_at_max_len",
        "cell": "beam_search",
        "code": _BEAM.format(
            select=_SELECT.format(finish_done=_NORMALISED_DONE, reorder=_REORDER),
            finish_live=_NORMALISED_LIVE).replace(
            "    else:\n        finished += [",
            "    if not finished:\n        finished += ["),
        "fails": {"test_beam_search_length_normalisation",
                  "test_beam_search_max_len_and_state"},
    },
]
