"""Plausible wrong solutions to problem set 1 and the test cells each must fail.

Every entry replaces the source of one solution cell (``cell`` = its nbgrader
grade_id) of ``solutions/ps1_embeddings/ps1_embeddings.ipynb`` by ``code``;
with the reference code in every other cell, exactly the test cells named in
``fails`` (their grade_ids) must fail and all others must pass.
"""


_GROW = "x = rest[int(np.argmax(mi[np.ix_(rest, island)].max(axis=1)))]"


def _island_variant(stop: str = "island[:-1]", grow: str = _GROW) -> str:
    """The reference ud_island with another stopping line or another choice of the next word."""
    return _ISLAND.format(stop=stop, grow=grow)


_ISLAND = '''def ud_island(mi, bic_one, bic_two, delta=3.0, max_size=None):
    mi = np.asarray(mi, dtype=np.float64)
    D = mi.shape[0]
    if D < 2:
        raise ValueError("need two words")
    off = np.where(np.eye(D, dtype=bool), -np.inf, mi)
    i, j = np.unravel_index(int(np.argmax(off)), off.shape)
    island = [int(min(i, j)), int(max(i, j))]
    while len(island) < D and (max_size is None or len(island) < max_size):
        rest = [v for v in range(D) if v not in island]
        {grow}
        w = island[int(np.argmax(mi[x, island]))]
        grown = island + [x]
        others = [v for v in island if v != w]
        if len(grown) >= 4 and bic_two(others, [w, x]) - bic_one(grown) > delta:
            return {stop}
        island = grown
    return island
'''


def _step_variant(g: str = "g = (torch.sigmoid(scores) - labels) * (-lr / B)",
                  update: str = """W.index_add_(0, center, step_v)
        C.index_add_(0, words.reshape(-1), step_u.reshape(-1, d))""",
                  ret: str = "return float(loss)") -> str:
    """The reference sgns_train_step with another gradient, update or return line."""
    return _STEP.format(g=g, update=update, ret=ret)


_STEP = '''def sgns_train_step(model, center, context, negatives, lr):
    W, C = model.center_embed.weight, model.context_embed.weight
    with torch.no_grad():
        B, d = center.shape[0], W.shape[1]
        words = torch.cat([context.unsqueeze(1), negatives], dim=1)
        v = W.index_select(0, center)
        u = C.index_select(0, words.reshape(-1)).view(B, -1, d)
        scores = (u * v.unsqueeze(1)).sum(dim=-1)
        labels = torch.zeros_like(scores)
        labels[:, 0] = 1.0
        loss = F.binary_cross_entropy_with_logits(scores, labels, reduction="sum") / B
        {g}
        step_v = torch.bmm(g.unsqueeze(1), u).squeeze(1)
        step_u = g.unsqueeze(2) * v.unsqueeze(1)
        {update}
        {ret}
'''


VARIANTS = [
    # ----------------------------------------------------------------- cooccurrence_matrix
    {
        "name": "cooccurrence_one_sided_window",
        "cell": "cooccurrence_matrix",
        "code": '''def cooccurrence_matrix(corpus, vocab_size, window=5, distance_weighting=True):
    if window < 1:
        raise ValueError("window must be at least 1")
    rows, cols, vals, total = [], [], [], 0
    for sentence in corpus:
        ids = np.asarray(sentence, dtype=np.int64).reshape(-1)
        total += len(ids)
        if len(ids) and (ids.min() < 0 or ids.max() >= vocab_size):
            raise ValueError("id out of range")
        for d in range(1, min(window, len(ids) - 1) + 1):
            rows.append(ids[:-d])            # only the context to the right
            cols.append(ids[d:])
            vals.append(np.full(len(ids) - d, 1.0 / d if distance_weighting else 1.0))
    if total == 0:
        raise ValueError("empty corpus")
    if not rows:
        return sp.csr_matrix((vocab_size, vocab_size))
    return sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(vocab_size, vocab_size)).tocsr()
''',
        "fails": {"test_cooccurrence_matrix_values", "test_cooccurrence_matrix_symmetry_sentences"},
    },
    {
        "name": "cooccurrence_window_off_by_one",
        "cell": "cooccurrence_matrix",
        "code": '''def cooccurrence_matrix(corpus, vocab_size, window=5, distance_weighting=True):
    if window < 1:
        raise ValueError("window must be at least 1")
    rows, cols, vals, total = [], [], [], 0
    for sentence in corpus:
        ids = np.asarray(sentence, dtype=np.int64).reshape(-1)
        total += len(ids)
        if len(ids) and (ids.min() < 0 or ids.max() >= vocab_size):
            raise ValueError("id out of range")
        for d in range(1, min(window, len(ids))):          # stops one short of the window
            rows += [ids[:-d], ids[d:]]
            cols += [ids[d:], ids[:-d]]
            vals.append(np.full(2 * (len(ids) - d), 1.0 / d if distance_weighting else 1.0))
    if total == 0:
        raise ValueError("empty corpus")
    if not rows:
        return sp.csr_matrix((vocab_size, vocab_size))
    return sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(vocab_size, vocab_size)).tocsr()
''',
        "fails": {"test_cooccurrence_matrix_values", "test_cooccurrence_matrix_symmetry_sentences"},
    },
    {
        "name": "cooccurrence_without_input_checks",
        "cell": "cooccurrence_matrix",
        "code": '''def cooccurrence_matrix(corpus, vocab_size, window=5, distance_weighting=True):
    rows, cols, vals = [], [], []
    for sentence in corpus:
        ids = np.asarray(sentence, dtype=np.int64).reshape(-1)
        for d in range(1, min(window, len(ids) - 1) + 1):
            rows += [ids[:-d], ids[d:]]
            cols += [ids[d:], ids[:-d]]
            vals.append(np.full(2 * (len(ids) - d), 1.0 / d if distance_weighting else 1.0))
    if not rows:
        return sp.csr_matrix((vocab_size, vocab_size))
    return sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(vocab_size, vocab_size)).tocsr()
''',
        "fails": {"test_cooccurrence_matrix_errors"},
    },
    # ----------------------------------------------------------------- ppmi
    {
        "name": "ppmi_keeps_negative_values",
        "cell": "ppmi",
        "code": '''def ppmi(C, alpha=0.75):
    Cc = sp.coo_matrix(C, dtype=np.float64)
    rows = np.asarray(Cc.sum(axis=1)).ravel()
    cols = np.asarray(Cc.sum(axis=0)).ravel() ** alpha
    pc = cols / cols.sum()
    keep = Cc.data > 0
    r, c, v = Cc.row[keep], Cc.col[keep], Cc.data[keep]
    pmi = np.log(v / (rows[r] * pc[c]))
    return sp.csr_matrix((pmi, (r, c)), shape=Cc.shape)       # PMI, negatives included
''',
        "fails": {"test_ppmi_values", "test_ppmi_smoothing", "test_ppmi_zeros"},
    },
    {
        "name": "ppmi_smooths_nothing",
        "cell": "ppmi",
        "code": '''def ppmi(C, alpha=0.75):
    Cc = sp.coo_matrix(C, dtype=np.float64)
    total = Cc.sum()
    rows = np.asarray(Cc.sum(axis=1)).ravel()
    cols = np.asarray(Cc.sum(axis=0)).ravel()
    keep = Cc.data > 0
    r, c, v = Cc.row[keep], Cc.col[keep], Cc.data[keep]
    pmi = np.log(v * total / (rows[r] * cols[c]))            # alpha is ignored
    pos = pmi > 0
    return sp.csr_matrix((pmi[pos], (r[pos], c[pos])), shape=Cc.shape)
''',
        "fails": {"test_ppmi_smoothing"},
    },
    # ----------------------------------------------------------------- svd_embeddings
    {
        "name": "svd_keeps_ascending_order",
        "cell": "svd_embeddings",
        "code": '''def svd_embeddings(M, dim, power=0.5):
    from scipy.sparse.linalg import svds
    if not 1 <= dim < min(M.shape):
        raise ValueError("bad dim")
    U, S, _ = svds(sp.csr_matrix(M, dtype=np.float64), k=dim, solver="propack", random_state=0)
    W = U * S ** power                                        # svds order: smallest first
    signs = np.sign(W[np.abs(W).argmax(axis=0), np.arange(dim)])
    return W * np.where(signs == 0, 1.0, signs)
''',
        "fails": {"test_svd_embeddings_values"},
    },
    {
        "name": "svd_forgets_singular_values",
        "cell": "svd_embeddings",
        "code": '''def svd_embeddings(M, dim, power=0.5):
    from scipy.sparse.linalg import svds
    if not 1 <= dim < min(M.shape):
        raise ValueError("bad dim")
    U, S, _ = svds(sp.csr_matrix(M, dtype=np.float64), k=dim, solver="propack", random_state=0)
    W = U[:, np.argsort(-S)]                                  # U alone, no Sigma ** power
    signs = np.sign(W[np.abs(W).argmax(axis=0), np.arange(dim)])
    return W * np.where(signs == 0, 1.0, signs)
''',
        "fails": {"test_svd_embeddings_values"},
    },
    # ---------------------------------------------------------- negative_sampling_distribution
    {
        "name": "negatives_uniform",
        "cell": "negative_sampling_distribution",
        "code": '''def negative_sampling_distribution(counts, power=0.75):
    counts = torch.as_tensor(counts, dtype=torch.float64).reshape(-1)
    if counts.numel() == 0 or bool((counts < 0).any()) or float(counts.sum()) == 0.0:
        raise ValueError("bad counts")
    weights = (counts > 0).double()                           # every seen word equally likely
    return (weights / weights.sum()).float()
''',
        "fails": {"test_negative_sampling_distribution_values"},
    },
    {
        "name": "negatives_unnormalised_power",
        "cell": "negative_sampling_distribution",
        "code": '''def negative_sampling_distribution(counts, power=0.75):
    counts = torch.as_tensor(counts, dtype=torch.float64).reshape(-1)
    if counts.numel() == 0 or bool((counts < 0).any()) or float(counts.sum()) == 0.0:
        raise ValueError("bad counts")
    return ((counts / counts.sum()) ** power).float()         # powered after normalising
''',
        "fails": {"test_negative_sampling_distribution_values"},
    },
    # ----------------------------------------------------------------- subsample_keep_prob
    {
        "name": "subsample_paper_formula",
        "cell": "subsample_keep_prob",
        "code": '''def subsample_keep_prob(counts, t=1e-3):
    counts = torch.as_tensor(counts, dtype=torch.float64).reshape(-1)
    if counts.numel() == 0 or bool((counts < 0).any()) or float(counts.sum()) == 0.0:
        raise ValueError("bad counts")
    f = counts / counts.sum()
    keep = torch.sqrt(t / f.clamp_min(1e-300))                # sqrt(t / f), no "+ 1" term
    return keep.clamp(max=1.0).float()
''',
        "fails": {"test_subsample_keep_prob_values"},
    },
    # ----------------------------------------------------------------- sgns_loss
    {
        "name": "sgns_negative_sign_flipped",
        "cell": "sgns_loss",
        "code": '''def sgns_loss(center, context, negatives):
    positive = (center * context).sum(dim=-1)
    negative = (negatives * center.unsqueeze(1)).sum(dim=-1)
    return -(F.logsigmoid(positive) + F.logsigmoid(negative).sum(dim=1)).mean()
''',
        "fails": {"test_sgns_loss_values", "test_sgns_loss_matches_torch",
                  "test_sgns_loss_stable_gradient"},
    },
    {
        "name": "sgns_log_of_sigmoid",
        "cell": "sgns_loss",
        "code": '''def sgns_loss(center, context, negatives):
    positive = (center * context).sum(dim=-1)
    negative = (negatives * center.unsqueeze(1)).sum(dim=-1)
    return -(torch.log(torch.sigmoid(positive))
             + torch.log(torch.sigmoid(-negative)).sum(dim=1)).mean()
''',
        "fails": {"test_sgns_loss_stable_gradient"},
    },
    {
        "name": "sgns_mean_over_negatives",
        "cell": "sgns_loss",
        "code": '''def sgns_loss(center, context, negatives):
    positive = (center * context).sum(dim=-1)
    negative = (negatives * center.unsqueeze(1)).sum(dim=-1)
    return -(F.logsigmoid(positive) + F.logsigmoid(-negative).mean(dim=1)).mean()
''',
        "fails": {"test_sgns_loss_values", "test_sgns_loss_matches_torch",
                  "test_sgns_loss_stable_gradient"},
    },
    # ----------------------------------------------------------------- sgns_train_step
    {
        "name": "step_fancy_index_drops_repeated_words",
        "cell": "sgns_train_step",
        "code": _step_variant(update="""W[center] = W[center] + step_v   # keeps one update per id
        C[words.reshape(-1)] = C[words.reshape(-1)] + step_u.reshape(-1, d)"""),
        "fails": {"test_sgns_train_step_repeated_words"},
    },
    {
        "name": "step_returns_loss_after_update",
        "cell": "sgns_train_step",
        "code": _step_variant(ret="""v = W.index_select(0, center)
        u = C.index_select(0, words.reshape(-1)).view(B, -1, d)
        scores = (u * v.unsqueeze(1)).sum(dim=-1)                     # the scores after the step
        return float(F.binary_cross_entropy_with_logits(scores, labels, reduction="sum") / B)"""),
        "fails": {"test_sgns_train_step_update"},
    },
    # wrong gradients or updates: both tables end up wrong in both test cells
    *[{"name": name, "cell": "sgns_train_step", "code": _step_variant(**change),
       "fails": {"test_sgns_train_step_update", "test_sgns_train_step_repeated_words"}}
      for name, change in (
          ("step_gradient_of_the_sum_not_the_mean",
           {"g": "g = (torch.sigmoid(scores) - labels) * (-lr)   # no / B"}),
          ("step_pulls_noise_words_closer",
           {"g": "g = (torch.sigmoid(scores) - 1.0) * (-lr / B)   # all words as contexts"}),
          ("step_updates_context_vectors_first",
           {"update": """C.index_add_(0, words.reshape(-1), step_u.reshape(-1, d))
        u = C.index_select(0, words.reshape(-1)).view(B, -1, d)      # the new u's
        W.index_add_(0, center, torch.bmm(g.unsqueeze(1), u).squeeze(1))"""}),
          ("step_forgets_the_context_table",
           {"update": "W.index_add_(0, center, step_v)   # C never moves"}),
      )],
    # ----------------------------------------------------------------- nearest_neighbors
    {
        "name": "neighbours_by_dot_product",
        "cell": "nearest_neighbors",
        "code": '''def nearest_neighbors(E, words, query, k=10):
    index = {w: i for i, w in enumerate(words)}
    if query not in index:
        raise KeyError(query)
    E = np.asarray(E, dtype=np.float64)
    sims = E @ E[index[query]]                                # lengths not divided out
    sims[index[query]] = -np.inf
    order = np.argsort(-sims, kind="stable")[: min(k, len(words) - 1)]
    return [(words[i], float(sims[i])) for i in order]
''',
        "fails": {"test_nearest_neighbors_values"},
    },
    {
        "name": "neighbours_include_query",
        "cell": "nearest_neighbors",
        "code": '''def nearest_neighbors(E, words, query, k=10):
    index = {w: i for i, w in enumerate(words)}
    if query not in index:
        raise KeyError(query)
    E = np.asarray(E, dtype=np.float64)
    unit = E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)
    sims = unit @ unit[index[query]]
    order = np.argsort(-sims, kind="stable")[:k]             # the query is its own nearest word
    return [(words[i], float(sims[i])) for i in order]
''',
        "fails": {"test_nearest_neighbors_values"},
    },
    # ----------------------------------------------------------------- analogy
    {
        "name": "analogy_keeps_question_words",
        "cell": "analogy",
        "code": '''def analogy(E, words, a, b, c, k=1):
    index = {w: i for i, w in enumerate(words)}
    for word in (a, b, c):
        if word not in index:
            raise KeyError(word)
    E = np.asarray(E, dtype=np.float64)
    unit = E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)
    target = unit[index[b]] - unit[index[a]] + unit[index[c]]
    sims = unit @ (target / np.linalg.norm(target))
    order = np.argsort(-sims, kind="stable")[:k]             # a, b, c stay candidates
    return [(words[i], float(sims[i])) for i in order]
''',
        "fails": {"test_analogy_values"},
    },
    {
        "name": "analogy_without_normalising",
        "cell": "analogy",
        "code": '''def analogy(E, words, a, b, c, k=1):
    index = {w: i for i, w in enumerate(words)}
    for word in (a, b, c):
        if word not in index:
            raise KeyError(word)
    E = np.asarray(E, dtype=np.float64)
    target = E[index[b]] - E[index[a]] + E[index[c]]         # raw vectors, dot-product scores
    sims = E @ target
    sims[[index[a], index[b], index[c]]] = -np.inf
    order = [i for i in np.argsort(-sims, kind="stable") if np.isfinite(sims[i])][:k]
    return [(words[i], float(sims[i])) for i in order]
''',
        "fails": {"test_analogy_values"},
    },
    # ----------------------------------------------------------------- evaluate_similarity
    {
        "name": "similarity_pearson_instead_of_spearman",
        "cell": "evaluate_similarity",
        "code": '''def evaluate_similarity(E, words, pairs):
    index = {w: i for i, w in enumerate(words)}
    E = np.asarray(E, dtype=np.float64)
    unit = E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)
    pred, gold, oov = [], [], set()
    for a, b, s in pairs:
        missing = [w for w in (a, b) if w not in index]
        if missing:
            oov.update(missing)
            continue
        pred.append(float(unit[index[a]] @ unit[index[b]]))
        gold.append(float(s))
    rho = float(np.corrcoef(pred, gold)[0, 1]) if len(pred) >= 2 else math.nan
    return {"spearman": rho, "pairs_used": len(pred), "pairs_total": len(pairs), "oov": sorted(oov)}
''',
        "fails": {"test_evaluate_similarity_values"},
    },
    {
        "name": "similarity_oov_lists_partners",
        "cell": "evaluate_similarity",
        "code": '''def evaluate_similarity(E, words, pairs):
    from scipy.stats import spearmanr
    index = {w: i for i, w in enumerate(words)}
    E = np.asarray(E, dtype=np.float64)
    unit = E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)
    pred, gold, oov = [], [], set()
    for a, b, s in pairs:
        if a not in index or b not in index:
            oov.update((a, b))                                # the known partner too
            continue
        pred.append(float(unit[index[a]] @ unit[index[b]]))
        gold.append(float(s))
    rho = float(spearmanr(pred, gold).statistic) if len(pred) >= 2 else math.nan
    return {"spearman": rho, "pairs_used": len(pred), "pairs_total": len(pairs), "oov": sorted(oov)}
''',
        "fails": {"test_evaluate_similarity_values", "test_evaluate_similarity_oov"},
    },
    # ----------------------------------------------------------------- mutual_information_matrix
    {
        "name": "mi_counts_in_int8",
        "cell": "mutual_information_matrix",
        "code": '''def mutual_information_matrix(X):
    X = np.asarray(X).astype(np.int8)
    N = X.shape[0]
    n11 = X.T @ X                                             # int8: wraps around at 128
    n1 = X.sum(axis=0)                                        # (sums are promoted: correct)
    n10 = n1[:, None] - n11
    n01 = n1[None, :] - n11
    n00 = N - n10 - n01 - n11
    p1 = n1 / N
    marginal = {1: p1, 0: 1.0 - p1}
    mi = np.zeros(n11.shape)
    for a, b, count in ((1, 1, n11), (1, 0, n10), (0, 1, n01), (0, 0, n00)):
        p = count / N
        with np.errstate(divide="ignore", invalid="ignore"):
            expected = marginal[a][:, None] * marginal[b][None, :]
            mi += np.where(p > 0, p * np.log(p / expected), 0.0)
    return mi
''',
        "fails": {"test_mutual_information_matrix_large_counts"},
    },
    {
        "name": "mi_without_zero_log_zero",
        "cell": "mutual_information_matrix",
        "code": '''def mutual_information_matrix(X):
    X = np.asarray(X).astype(np.int64)
    N = X.shape[0]
    n11 = X.T @ X
    n1 = np.diag(n11)
    n10 = n1[:, None] - n11
    n01 = n1[None, :] - n11
    n00 = N - n11 - n10 - n01
    p1 = n1 / N
    marginal = {1: p1, 0: 1.0 - p1}
    mi = np.zeros(n11.shape)
    for a, b, count in ((1, 1, n11), (1, 0, n10), (0, 1, n01), (0, 0, n00)):
        p = count / N
        with np.errstate(divide="ignore", invalid="ignore"):
            mi += p * np.log(p / (marginal[a][:, None] * marginal[b][None, :]))   # 0 log 0 -> nan
    return mi
''',
        "fails": {"test_mutual_information_matrix_values",
                  "test_mutual_information_matrix_large_counts",
                  "test_mutual_information_matrix_properties"},
    },
    # ----------------------------------------------------------------- chow_liu_tree
    {
        "name": "chow_liu_minimum_spanning_tree",
        "cell": "chow_liu_tree",
        "code": '''def chow_liu_tree(mi):
    mi = np.asarray(mi, dtype=np.float64)
    if mi.ndim != 2 or mi.shape[0] != mi.shape[1]:
        raise ValueError("mi must be square")
    D = mi.shape[0]
    in_tree = np.zeros(D, dtype=bool)
    best = np.full(D, np.inf)
    parent = np.zeros(D, dtype=np.int64)
    edges = []
    for step in range(D):
        j = 0 if step == 0 else int(np.argmin(np.where(in_tree, np.inf, best)))   # lightest edge
        if step > 0:
            edges.append((min(j, int(parent[j])), max(j, int(parent[j]))))
        in_tree[j] = True
        better = (mi[j] < best) & ~in_tree
        best[better] = mi[j][better]
        parent[better] = j
    return sorted(edges)
''',
        "fails": {"test_chow_liu_tree_values"},
    },
    {
        "name": "chow_liu_scipy_drops_zero_edges",
        "cell": "chow_liu_tree",
        "code": '''def chow_liu_tree(mi):
    from scipy.sparse.csgraph import minimum_spanning_tree
    mi = np.asarray(mi, dtype=np.float64)
    if mi.ndim != 2 or mi.shape[0] != mi.shape[1]:
        raise ValueError("mi must be square")
    tree = minimum_spanning_tree(-np.triu(mi, k=1)).tocoo()  # zero MI counts as "no edge"
    return sorted((int(min(i, j)), int(max(i, j))) for i, j in zip(tree.row, tree.col))
''',
        "fails": {"test_chow_liu_tree_edge_cases"},
    },
    # ----------------------------------------------------------------- latent_class_em
    {
        "name": "em_products_instead_of_logs",
        "cell": "latent_class_em",
        "code": '''def latent_class_em(X, prior, theta, num_iters=50):
    X = np.asarray(X, dtype=np.float64)
    prior = np.asarray(prior, dtype=np.float64)
    theta = np.asarray(theta, dtype=np.float64)

    def joint(prior, theta):                                 # P(x_n, y): underflows for many words
        lik = np.stack([np.prod(np.where(X == 1, theta[y], 1 - theta[y]), axis=1) for y in (0, 1)],
                       axis=1)
        return prior[None, :] * lik

    for _ in range(num_iters):
        j = joint(prior, theta)
        r = j / j.sum(axis=1, keepdims=True)
        prior = np.clip(r.mean(axis=0), 1e-6, None)
        prior = prior / prior.sum()
        theta = np.clip((r.T @ X) / r.sum(axis=0)[:, None], 1e-6, 1 - 1e-6)
    return prior, theta, float(np.log(joint(prior, theta).sum(axis=1)).sum())
''',
        "fails": {"test_latent_class_em_many_words"},
    },
    {
        "name": "em_loglik_of_previous_parameters",
        "cell": "latent_class_em",
        "code": '''def latent_class_em(X, prior, theta, num_iters=50):
    X = np.asarray(X, dtype=np.float64)
    prior = np.asarray(prior, dtype=np.float64)
    theta = np.asarray(theta, dtype=np.float64)
    loglik = 0.0
    for _ in range(num_iters):
        lj = np.log(prior)[None, :] + X @ np.log(theta).T + (1 - X) @ np.log1p(-theta).T
        norm = np.logaddexp.reduce(lj, axis=1, keepdims=True)
        loglik = float(norm.sum())                            # before the M-step
        r = np.exp(lj - norm)
        prior = np.clip(r.mean(axis=0), 1e-6, None)
        prior = prior / prior.sum()
        theta = np.clip((r.T @ X) / r.sum(axis=0)[:, None], 1e-6, 1 - 1e-6)
    return prior, theta, loglik
''',
        "fails": {"test_latent_class_em_one_step"},
    },
    # ----------------------------------------------------------------- lcm_bic
    {
        "name": "bic_forgets_the_prior_parameter",
        "cell": "lcm_bic",
        "code": '''def lcm_bic(X, prior, theta):
    X = np.asarray(X, dtype=np.float64)
    prior, theta = np.asarray(prior, dtype=np.float64), np.asarray(theta, dtype=np.float64)
    lj = np.log(prior)[None, :] + X @ np.log(theta).T + (1 - X) @ np.log1p(-theta).T
    loglik = float(np.logaddexp.reduce(lj, axis=1).sum())
    return loglik - theta.size / 2 * math.log(X.shape[0])    # 2D parameters instead of 1 + 2D
''',
        "fails": {"test_lcm_bic_values"},
    },
    # ----------------------------------------------------------------- ud_island
    {
        "name": "island_keeps_the_failed_word",
        "cell": "ud_island",
        "code": _island_variant("grown  # keeps the word that failed"),
        "fails": {"test_ud_island_stop"},
    },
    {
        "name": "island_drops_only_the_new_word",
        "cell": "ud_island",
        "code": _island_variant("island  # keeps the last word added"),
        "fails": {"test_ud_island_stop"},
    },
    {
        "name": "island_drops_the_closest_word",
        "cell": "ud_island",
        "code": _island_variant("others  # drops W, not the last word added"),
        "fails": {"test_ud_island_stop"},
    },
    {
        "name": "island_grows_by_mi_with_last_word",
        "cell": "ud_island",
        "code": _island_variant(
            grow="x = rest[int(np.argmax(mi[rest, island[-1]]))]  # nearest to the LAST word"),
        "fails": {"test_ud_island_growth", "test_ud_island_stop"},
    },
    # ----------------------------------------------------------------- hard_assign
    {
        "name": "hard_assign_without_orientation",
        "cell": "hard_assign",
        "code": '''def hard_assign(X, prior, theta):
    X = np.asarray(X, dtype=np.float64)
    prior, theta = np.asarray(prior, dtype=np.float64), np.asarray(theta, dtype=np.float64)
    lj = np.log(prior)[None, :] + X @ np.log(theta).T + (1 - X) @ np.log1p(-theta).T
    return np.argmax(lj, axis=1).astype(np.int64)             # state numbers as EM left them
''',
        "fails": {"test_hard_assign_orientation"},
    },
    # ----------------------------------------------------------------- topic_words
    {
        "name": "topic_words_by_joint_count",
        "cell": "topic_words",
        "code": '''def topic_words(X, z, words, k=10):
    X = np.asarray(X).astype(np.int64)
    z = np.asarray(z).astype(np.int64).reshape(-1)
    together = z @ X                                          # co-occurrence count, not MI
    order = np.argsort(-together, kind="stable")[:k]
    return [(words[j], float(together[j])) for j in order]
''',
        "fails": {"test_topic_words_values", "test_topic_words_ranking"},
    },
    {
        "name": "topic_words_counts_in_uint8",
        "cell": "topic_words",
        "code": '''def topic_words(X, z, words, k=10):
    X = np.asarray(X)
    z = np.asarray(z).astype(X.dtype).reshape(-1)            # uint8 sums wrap around at 256
    N = len(z)
    n11 = (z @ X).astype(np.int64)
    nx, nz = X.sum(axis=0, dtype=X.dtype).astype(np.int64), int(z.sum(dtype=z.dtype))
    counts = {(1, 1): n11, (1, 0): nx - n11, (0, 1): nz - n11, (0, 0): N - nx - nz + n11}
    px, pz = {1: nx / N, 0: 1 - nx / N}, {1: nz / N, 0: 1 - nz / N}
    mi = np.zeros(X.shape[1])
    for (a, b), count in counts.items():
        p = count / N
        with np.errstate(divide="ignore", invalid="ignore"):
            mi += np.where(p > 0, p * np.log(p / (px[a] * pz[b])), 0.0)
    order = np.argsort(-mi, kind="stable")[:k]
    return [(words[j], float(mi[j])) for j in order]
''',
        "fails": {"test_topic_words_ranking"},
    },
]
