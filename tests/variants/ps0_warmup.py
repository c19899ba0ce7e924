"""Plausible wrong solutions to problem set 0 and the test cells each must fail.

Every entry replaces the source of one solution cell (``cell`` = its nbgrader
grade_id) of ``solutions/ps0_warmup/ps0_warmup.ipynb`` by ``code``; with the
reference code in every other cell, exactly the test cells named in ``fails``
(their grade_ids) must fail and all others must pass.
"""

VARIANTS = [
    # ----------------------------------------------------------------- cosine_similarity_matrix
    {
        "name": "cosine_without_eps",
        "cell": "cosine_similarity_matrix",
        "code": '''def cosine_similarity_matrix(A, B, eps=1e-8):
    if A.shape[-1] != B.shape[-1]:
        raise ValueError(f"shapes {tuple(A.shape)} and {tuple(B.shape)} differ")
    A_unit = A / A.norm(dim=1, keepdim=True)
    B_unit = B / B.norm(dim=1, keepdim=True)
    return A_unit @ B_unit.T
''',
        "fails": {"test_cosine_similarity_matrix_zero_vectors"},
    },
    {
        "name": "cosine_forgets_to_normalise_B",
        "cell": "cosine_similarity_matrix",
        "code": '''def cosine_similarity_matrix(A, B, eps=1e-8):
    if A.shape[-1] != B.shape[-1]:
        raise ValueError(f"shapes {tuple(A.shape)} and {tuple(B.shape)} differ")
    A_unit = A / A.norm(dim=1, keepdim=True).clamp_min(eps)
    return A_unit @ B.T
''',
        "fails": {"test_cosine_similarity_matrix_values"},
    },
    {
        "name": "cosine_squeezes_result",
        "cell": "cosine_similarity_matrix",
        "code": '''def cosine_similarity_matrix(A, B, eps=1e-8):
    if A.shape[-1] != B.shape[-1]:
        raise ValueError(f"shapes {tuple(A.shape)} and {tuple(B.shape)} differ")
    A_unit = A / A.norm(dim=1, keepdim=True).clamp_min(eps)
    B_unit = B / B.norm(dim=1, keepdim=True).clamp_min(eps)
    return (A_unit @ B_unit.T).squeeze()
''',
        "fails": {"test_cosine_similarity_matrix_shape"},
    },
    {
        "name": "cosine_no_shape_check",
        "cell": "cosine_similarity_matrix",
        "code": '''def cosine_similarity_matrix(A, B, eps=1e-8):
    A_unit = A / A.norm(dim=1, keepdim=True).clamp_min(eps)
    B_unit = B / B.norm(dim=1, keepdim=True).clamp_min(eps)
    return A_unit @ B_unit.T
''',
        "fails": {"test_cosine_similarity_matrix_errors"},
    },
    # ----------------------------------------------------------------- masked_softmax
    {
        "name": "softmax_fill_minus_1e9",
        "cell": "masked_softmax",
        "code": '''def masked_softmax(scores, mask, dim=-1):
    return torch.softmax(scores.masked_fill(~mask, -1e9), dim=dim)
''',
        "fails": {"test_masked_softmax_fully_masked"},
    },
    {
        "name": "softmax_always_last_axis",
        "cell": "masked_softmax",
        "code": '''def masked_softmax(scores, mask, dim=-1):
    masked = scores.masked_fill(~mask, float("-inf"))
    top = masked.amax(dim=-1, keepdim=True)
    top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))
    exp = torch.exp(masked - top)
    total = exp.sum(dim=-1, keepdim=True)
    return exp / total.clamp_min(1e-30)
''',
        "fails": {"test_masked_softmax_dim"},
    },
    {
        "name": "softmax_without_max_subtraction",
        "cell": "masked_softmax",
        "code": '''def masked_softmax(scores, mask, dim=-1):
    exp = torch.exp(scores) * mask
    total = exp.sum(dim=dim, keepdim=True)
    return torch.where(total > 0, exp / total, torch.zeros_like(exp))
''',
        "fails": {"test_masked_softmax_large_scores"},
    },
    {
        "name": "softmax_then_mask_without_renormalising",
        "cell": "masked_softmax",
        "code": '''def masked_softmax(scores, mask, dim=-1):
    return torch.softmax(scores, dim=dim) * mask
''',
        "fails": {
            "test_masked_softmax_values",
            "test_masked_softmax_fully_masked",
            "test_masked_softmax_large_scores",
            "test_masked_softmax_dim",
        },
    },
    # ----------------------------------------------------------------- pad_batch
    {
        "name": "pad_ignores_pad_value",
        "cell": "pad_batch",
        "code": '''def pad_batch(sequences, pad_value=0):
    if len(sequences) == 0:
        raise ValueError("no sequences")
    seqs = [torch.as_tensor(s, dtype=torch.long) for s in sequences]
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    padded = torch.zeros(len(seqs), int(lengths.max()), dtype=torch.long)
    for i, s in enumerate(seqs):
        padded[i, : len(s)] = s
    mask = torch.arange(padded.shape[1])[None, :] < lengths[:, None]
    return padded, lengths, mask
''',
        "fails": {"test_pad_batch_values"},
    },
    {
        "name": "pad_mask_from_pad_value",
        "cell": "pad_batch",
        "code": '''def pad_batch(sequences, pad_value=0):
    if len(sequences) == 0:
        raise ValueError("no sequences")
    seqs = [torch.as_tensor(s, dtype=torch.long) for s in sequences]
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    padded = torch.full((len(seqs), int(lengths.max())), pad_value, dtype=torch.long)
    for i, s in enumerate(seqs):
        padded[i, : len(s)] = s
    mask = padded != pad_value
    return padded, lengths, mask
''',
        "fails": {"test_pad_batch_lengths_mask"},
    },
    {
        "name": "pad_mask_off_by_one",
        "cell": "pad_batch",
        "code": '''def pad_batch(sequences, pad_value=0):
    if len(sequences) == 0:
        raise ValueError("no sequences")
    seqs = [torch.as_tensor(s, dtype=torch.long) for s in sequences]
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    padded = torch.full((len(seqs), int(lengths.max())), pad_value, dtype=torch.long)
    for i, s in enumerate(seqs):
        padded[i, : len(s)] = s
    mask = torch.arange(padded.shape[1])[None, :] <= lengths[:, None]
    return padded, lengths, mask
''',
        "fails": {"test_pad_batch_lengths_mask", "test_pad_batch_empty_sequences"},
    },
    {
        "name": "pad_no_empty_batch_check",
        "cell": "pad_batch",
        "code": '''def pad_batch(sequences, pad_value=0):
    seqs = [torch.as_tensor(s, dtype=torch.long) for s in sequences]
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    padded = torch.full((len(seqs), int(lengths.max())), pad_value, dtype=torch.long)
    for i, s in enumerate(seqs):
        padded[i, : len(s)] = s
    mask = torch.arange(padded.shape[1])[None, :] < lengths[:, None]
    return padded, lengths, mask
''',
        "fails": {"test_pad_batch_errors"},
    },
    # ----------------------------------------------------------------- cross_entropy_from_logits
    {
        "name": "ce_mean_over_all_positions",
        "cell": "cross_entropy_from_logits",
        "code": '''def cross_entropy_from_logits(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    safe = torch.where(keep, targets, torch.zeros_like(targets))
    top = logits.amax(dim=1, keepdim=True)
    lse = top.squeeze(1) + torch.log(torch.exp(logits - top).sum(dim=1))
    picked = logits.gather(1, safe[:, None]).squeeze(1)
    return ((lse - picked) * keep).sum() / len(targets)
''',
        "fails": {"test_cross_entropy_from_logits_ignore_index"},
    },
    {
        "name": "ce_naive_log_of_softmax",
        "cell": "cross_entropy_from_logits",
        "code": '''def cross_entropy_from_logits(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    if not keep.any():
        return torch.tensor(0.0)
    logits, targets = logits[keep], targets[keep]
    exp = torch.exp(logits)
    log_probs = torch.log(exp / exp.sum(dim=1, keepdim=True))
    return -log_probs[torch.arange(len(targets)), targets].mean()
''',
        "fails": {"test_cross_entropy_from_logits_large_logits"},
    },
    {
        "name": "ce_nan_when_all_ignored",
        "cell": "cross_entropy_from_logits",
        "code": '''def cross_entropy_from_logits(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    logits, targets = logits[keep], targets[keep]
    top = logits.amax(dim=1, keepdim=True)
    lse = top.squeeze(1) + torch.log(torch.exp(logits - top).sum(dim=1))
    picked = logits.gather(1, targets[:, None]).squeeze(1)
    return (lse - picked).mean()
''',
        "fails": {"test_cross_entropy_from_logits_all_ignored"},
    },
    {
        "name": "ce_sum_instead_of_mean",
        "cell": "cross_entropy_from_logits",
        "code": '''def cross_entropy_from_logits(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    logits, targets = logits[keep], targets[keep]
    top = logits.amax(dim=1, keepdim=True)
    lse = top.squeeze(1) + torch.log(torch.exp(logits - top).sum(dim=1))
    picked = logits.gather(1, targets[:, None]).squeeze(1)
    return (lse - picked).sum()
''',
        "fails": {
            "test_cross_entropy_from_logits_values",
            "test_cross_entropy_from_logits_matches_torch",
            "test_cross_entropy_from_logits_large_logits",
            "test_cross_entropy_from_logits_ignore_index",
        },
    },
]
