"""Plausible wrong solutions to problem set 2 and the test cells each must fail.

Every entry replaces the source of one solution cell (``cell`` = its nbgrader
grade_id) of ``solutions/ps2_questions/ps2_questions.ipynb`` by ``code``; with
the reference code in every other cell, exactly the test cells named in
``fails`` (their grade_ids) must fail and all others must pass.
"""

_TFIDF_HEAD = '''def tfidf_vectorize(docs, sublinear_tf=False, smooth_idf=True, vocabulary=None,
                    idf=None):
    docs = list(docs)
    if len(docs) == 0:
        raise ValueError("no documents")
    if (vocabulary is None) != (idf is None):
        raise ValueError("both or neither")
    fitting = vocabulary is None
    if fitting:
        terms = sorted({t for doc in docs for t in doc})
        if not terms:
            raise ValueError("empty vocabulary")
        vocabulary = {t: j for j, t in enumerate(terms)}
    rows, cols = [], []
    for i, doc in enumerate(docs):
        for t in doc:
            if t in vocabulary:
                rows.append(i)
                cols.append(vocabulary[t])
    n, v = len(docs), len(vocabulary)
    counts = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, v))
    counts.sum_duplicates()
'''

_TFIDF_TAIL = '''    X = counts.multiply(np.asarray(idf)[None, :]).tocsr()
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    X = sp.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ X
    return sp.csr_matrix(X), vocabulary, np.asarray(idf, dtype=float)
'''

_SIF_HEAD = '''def sif_embeddings(docs, word_vectors, word_counts, a=1e-3, remove_pc=True):
    docs = list(docs)
    if not docs or not word_vectors:
        raise ValueError("nothing to embed")
    shapes = {np.shape(v) for v in word_vectors.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) != 1:
        raise ValueError(f"mixed dimensions {sorted(shapes)}")
    (dim,) = next(iter(shapes))
    total = float(sum(word_counts.values())) or 1.0
    V = np.zeros((len(docs), dim))
'''

_KPP_HEAD = '''def kmeans_plus_plus(X, k, rng, n_local_trials=1):
    X = np.asarray(X, dtype=float)
    n = len(X)
    if not 1 <= k <= n or n_local_trials < 1:
        raise ValueError("bad k or n_local_trials")
    first = int(rng.integers(n))
    chosen = [first]
    d2 = ((X - X[first]) ** 2).sum(axis=1)
'''

_LLOYD_HEAD = '''def lloyd(X, centres, max_iter=100):
    X = np.asarray(X, dtype=float)
    C = np.array(centres, dtype=float)
    if X.shape[1] != C.shape[1]:
        raise ValueError("mixed dimensions")
    n, k = len(X), len(C)
    if k > n:
        raise ValueError("k > n")
    labels = None
'''

_PV_INIT = '''class PVDBOW(nn.Module):
    def __init__(self, num_docs, vocab_size, dim, seed=0):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.doc_vectors = nn.Embedding(num_docs, dim)
        self.word_vectors = nn.Embedding(vocab_size, dim)
        with torch.no_grad():
            self.doc_vectors.weight.copy_((torch.rand(num_docs, dim, generator=gen) - 0.5) / dim)
            self.word_vectors.weight.zero_()

    def forward(self, doc_ids, word_ids, neg_ids):
        d = self.doc_vectors(doc_ids)
        w = self.word_vectors(word_ids)
        noise = self.word_vectors(neg_ids)
'''

_INFER_HEAD = '''def infer_vector(model, word_ids, noise_probs, num_steps=100, num_negatives=5,
                 lr=0.1, seed=0):
    words = torch.as_tensor(word_ids, dtype=torch.long).reshape(-1)
    if words.numel() == 0:
        raise ValueError("empty document")
    gen = torch.Generator().manual_seed(seed)
    dim = model.word_vectors.weight.shape[1]
    vec = ((torch.rand(dim, generator=gen) - 0.5) / dim).requires_grad_()
    L = len(words)
'''

_MB_HEAD = '''def minibatch_kmeans(batches, centres, counts=None):
    C = np.array(centres, dtype=float)
    k, dim = C.shape
    N = np.zeros(k, dtype=np.int64) if counts is None else np.array(counts, dtype=np.int64)
    for batch in batches:
        B = np.asarray(batch, dtype=float)
        if B.ndim != 2 or B.shape[1] != dim:
            raise ValueError("mixed dimensions")
        labels = ((B[:, None, :] - C[None, :, :]) ** 2).sum(-1).argmin(axis=1)
        m = np.bincount(labels, minlength=k)
        sums = np.zeros((k, dim))
        np.add.at(sums, labels, B)
        hit = m > 0
'''

_NMI_HEAD = '''def normalized_mutual_information(labels_true, labels_pred):
    a_labels, b_labels = np.asarray(labels_true), np.asarray(labels_pred)
    if len(a_labels) != len(b_labels) or len(a_labels) == 0:
        raise ValueError("bad lengths")
    _, a = np.unique(a_labels, return_inverse=True)
    _, b = np.unique(b_labels, return_inverse=True)
    ka, kb = int(a.max()) + 1, int(b.max()) + 1
    if ka == kb == 1:
        return 1.0
    P = np.zeros((ka, kb))
    np.add.at(P, (a, b), 1.0)
    P /= len(a)
    pa, pb = P.sum(axis=1), P.sum(axis=0)
    nz = P > 0
    mi = float((P[nz] * np.log(P[nz] / np.outer(pa, pb)[nz])).sum())
    if mi <= 0.0:
        return 0.0
    h_a = -float((pa * np.log(pa)).sum())
    h_b = -float((pb * np.log(pb)).sum())
'''

_FAQ_INIT = '''class FAQAnswerer:
    def __init__(self, embed, questions, answers, threshold=0.5):
        questions, answers = list(questions), list(answers)
        if not questions or len(questions) != len(answers):
            raise ValueError("bad FAQ")
        self.embed, self.answers, self.threshold = embed, answers, float(threshold)
        E = embed(questions)
        E = E.toarray() if sp.issparse(E) else np.asarray(E, dtype=float)
        self.entries = E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)

    def answer(self, question):
        if not isinstance(question, str) or not question.strip():
            raise ValueError("empty question")
        q = self.embed([question])
        q = (q.toarray() if sp.issparse(q) else np.asarray(q, dtype=float)).reshape(-1)
        q = q / max(float(np.linalg.norm(q)), 1e-12)
        scores = self.entries @ q
        index = int(np.argmax(scores))
        score = float(scores[index])
'''

VARIANTS = [
    # ----------------------------------------------------------------- tfidf_vectorize
    {
        "name": "tfidf_idf_never_smoothed",
        "cell": "tfidf_vectorize",
        "code": _TFIDF_HEAD + '''    if sublinear_tf:
        counts.data = 1.0 + np.log(counts.data)
    if fitting:
        df = np.bincount(counts.indices, minlength=v).astype(float)
        idf = np.log(n / df) + 1.0
''' + _TFIDF_TAIL,
        "fails": {"test_tfidf_vectorize_values", "test_tfidf_vectorize_options",
                  "test_tfidf_vectorize_reuse_and_errors"},
    },
    {
        "name": "tfidf_ignores_sublinear_tf",
        "cell": "tfidf_vectorize",
        "code": _TFIDF_HEAD + '''    if fitting:
        df = np.bincount(counts.indices, minlength=v).astype(float)
        idf = np.log((1.0 + n) / (1.0 + df)) + 1.0 if smooth_idf else np.log(n / df) + 1.0
''' + _TFIDF_TAIL,
        "fails": {"test_tfidf_vectorize_options", "test_tfidf_vectorize_reuse_and_errors"},
    },
    {
        "name": "tfidf_without_l2_normalisation",
        "cell": "tfidf_vectorize",
        "code": _TFIDF_HEAD + '''    if sublinear_tf:
        counts.data = 1.0 + np.log(counts.data)
    if fitting:
        df = np.bincount(counts.indices, minlength=v).astype(float)
        idf = np.log((1.0 + n) / (1.0 + df)) + 1.0 if smooth_idf else np.log(n / df) + 1.0
    X = counts.multiply(np.asarray(idf)[None, :]).tocsr()
    return X, vocabulary, np.asarray(idf, dtype=float)
''',
        "fails": {"test_tfidf_vectorize_values", "test_tfidf_vectorize_options",
                  "test_tfidf_vectorize_reuse_and_errors"},
    },
    # ----------------------------------------------------------------- sif_embeddings
    {
        "name": "sif_without_removing_the_principal_component",
        "cell": "sif_embeddings",
        "code": _SIF_HEAD + '''    for i, doc in enumerate(docs):
        known = [w for w in doc if w in word_vectors]
        if known:
            weights = np.array([a / (a + word_counts.get(w, 0) / total) for w in known])
            V[i] = weights @ np.array([word_vectors[w] for w in known], dtype=float) / len(known)
    return V
''',
        "fails": {"test_sif_embeddings_remove_pc"},
    },
    {
        "name": "sif_divides_by_all_words_including_unknown",
        "cell": "sif_embeddings",
        "code": _SIF_HEAD + '''    for i, doc in enumerate(docs):
        known = [w for w in doc if w in word_vectors]
        if known:
            weights = np.array([a / (a + word_counts.get(w, 0) / total) for w in known])
            V[i] = weights @ np.array([word_vectors[w] for w in known], dtype=float) / len(doc)
    if remove_pc:
        u = np.linalg.svd(V, full_matrices=False)[2][0]
        V = V - np.outer(V @ u, u)
    return V
''',
        "fails": {"test_sif_embeddings_weights"},
    },
    {
        "name": "sif_removes_the_pc_of_centred_vectors",
        "cell": "sif_embeddings",
        "code": _SIF_HEAD + '''    for i, doc in enumerate(docs):
        known = [w for w in doc if w in word_vectors]
        if known:
            weights = np.array([a / (a + word_counts.get(w, 0) / total) for w in known])
            V[i] = weights @ np.array([word_vectors[w] for w in known], dtype=float) / len(known)
    if remove_pc:
        u = np.linalg.svd(V - V.mean(axis=0), full_matrices=False)[2][0]
        V = V - np.outer(V @ u, u)
    return V
''',
        "fails": {"test_sif_embeddings_remove_pc"},
    },
    # ----------------------------------------------------------------- PVDBOW
    {
        "name": "pvdbow_log_of_sigmoid",
        "cell": "PVDBOW",
        "code": _PV_INIT + '''        positive = torch.log(torch.sigmoid((d * w).sum(-1)))
        negative = torch.log(torch.sigmoid(-(noise @ d.unsqueeze(-1)).squeeze(-1))).sum(-1)
        return -(positive + negative).mean()
''',
        "fails": {"test_PVDBOW_stable_and_gradients"},
    },
    {
        "name": "pvdbow_negatives_without_minus_sign",
        "cell": "PVDBOW",
        "code": _PV_INIT + '''        positive = F.logsigmoid((d * w).sum(-1))
        negative = F.logsigmoid((noise @ d.unsqueeze(-1)).squeeze(-1)).sum(-1)
        return -(positive + negative).mean()
''',
        "fails": {"test_PVDBOW_values", "test_PVDBOW_stable_and_gradients"},
    },
    {
        "name": "pvdbow_sum_over_batch",
        "cell": "PVDBOW",
        "code": _PV_INIT + '''        positive = F.logsigmoid((d * w).sum(-1))
        negative = F.logsigmoid(-(noise @ d.unsqueeze(-1)).squeeze(-1)).sum(-1)
        return -(positive + negative).sum()
''',
        "fails": {"test_PVDBOW_stable_and_gradients", "test_PVDBOW_values"}
    },
    # ----------------------------------------------------------------- infer_vector
    {
        "name": "infer_vector_trains_the_model_too",
        "cell": "infer_vector",
        "code": _INFER_HEAD + '''    optimizer = torch.optim.Adam([vec, *model.parameters()], lr=lr)
    for _ in range(num_steps):
        noise = torch.multinomial(noise_probs, L * num_negatives, replacement=True,
                                  generator=gen).view(L, num_negatives)
        W = model.word_vectors.weight
        loss = -(F.logsigmoid(W[words] @ vec) + F.logsigmoid(-(W[noise] @ vec)).sum(-1)).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return vec.detach()
''',
        "fails": {"test_infer_vector_frozen_model", "test_infer_vector_learns"},
    },
    {
        "name": "infer_vector_forgets_to_step",
        "cell": "infer_vector",
        "code": _INFER_HEAD + '''    W = model.word_vectors.weight.detach()
    for _ in range(num_steps):
        noise = torch.multinomial(noise_probs, L * num_negatives, replacement=True,
                                  generator=gen).view(L, num_negatives)
        loss = -(F.logsigmoid(W[words] @ vec) + F.logsigmoid(-(W[noise] @ vec)).sum(-1)).mean()
        loss.backward()
    return vec.detach()
''',
        "fails": {"test_infer_vector_learns"},
    },
    # ----------------------------------------------------------------- kmeans_plus_plus
    {
        "name": "kmeans_plus_plus_uniform_picks",
        "cell": "kmeans_plus_plus",
        "code": _KPP_HEAD + '''    for _ in range(1, k):
        p = np.ones(n)
        p[chosen] = 0.0
        chosen.append(int(rng.choice(n, p=p / p.sum())))
    return np.array(chosen)
''',
        "fails": {"test_kmeans_plus_plus_valid", "test_kmeans_plus_plus_distribution",
                  "test_kmeans_plus_plus_local_trials"},
    },
    {
        "name": "kmeans_plus_plus_proportional_to_distance",
        "cell": "kmeans_plus_plus",
        "code": _KPP_HEAD + '''    for _ in range(1, k):
        d = np.sqrt(d2)
        if d.sum() > 0:
            p = d / d.sum()
        else:
            p = np.ones(n)
            p[chosen] = 0.0
            p /= p.sum()
        cands = rng.choice(n, size=n_local_trials, p=p)
        new = [np.minimum(d2, ((X - X[c]) ** 2).sum(axis=1)) for c in cands]
        best = int(np.argmin([v.sum() for v in new]))
        chosen.append(int(cands[best]))
        d2 = new[best]
    return np.array(chosen)
''',
        "fails": {"test_kmeans_plus_plus_distribution"},
    },
    {
        "name": "kmeans_plus_plus_ignores_local_trials",
        "cell": "kmeans_plus_plus",
        "code": _KPP_HEAD + '''    for _ in range(1, k):
        if d2.sum() > 0:
            p = d2 / d2.sum()
        else:
            p = np.ones(n)
            p[chosen] = 0.0
            p /= p.sum()
        i = int(rng.choice(n, p=p))
        chosen.append(i)
        d2 = np.minimum(d2, ((X - X[i]) ** 2).sum(axis=1))
    return np.array(chosen)
''',
        "fails": {"test_kmeans_plus_plus_local_trials"},
    },
    {
        "name": "kmeans_plus_plus_nan_when_all_points_are_centres",
        "cell": "kmeans_plus_plus",
        "code": _KPP_HEAD + '''    for _ in range(1, k):
        cands = rng.choice(n, size=n_local_trials, p=d2 / d2.sum())
        new = [np.minimum(d2, ((X - X[c]) ** 2).sum(axis=1)) for c in cands]
        best = int(np.argmin([v.sum() for v in new]))
        chosen.append(int(cands[best]))
        d2 = new[best]
    return np.array(chosen)
''',
        "fails": {"test_kmeans_plus_plus_errors"},
    },
    # ----------------------------------------------------------------- lloyd
    {
        "name": "lloyd_nan_on_empty_cluster",
        "cell": "lloyd",
        "code": _LLOYD_HEAD + '''    for it in range(max_iter):
        new = ((X[:, None, :] - C[None, :, :]) ** 2).sum(-1).argmin(axis=1)
        if labels is not None and np.array_equal(new, labels):
            return C, labels, it
        labels = new
        counts = np.bincount(labels, minlength=k)
        sums = np.zeros_like(C)
        np.add.at(sums, labels, X)
        with np.errstate(invalid="ignore", divide="ignore"):
            C = sums / counts[:, None]
    return C, labels, max_iter
''',
        "fails": {"test_lloyd_empty_cluster"},
    },
    {
        "name": "lloyd_crashes_on_empty_cluster",
        "cell": "lloyd",
        "code": _LLOYD_HEAD + '''    for it in range(max_iter):
        new = ((X[:, None, :] - C[None, :, :]) ** 2).sum(-1).argmin(axis=1)
        if labels is not None and np.array_equal(new, labels):
            return C, labels, it
        labels = new
        for j in range(k):
            members = X[labels == j]
            if len(members) == 0:
                raise ZeroDivisionError(f"cluster {j} is empty")
            C[j] = members.mean(axis=0)
    return C, labels, max_iter
''',
        "fails": {"test_lloyd_empty_cluster"},
    },
    {
        "name": "lloyd_never_stops_early",
        "cell": "lloyd",
        "code": _LLOYD_HEAD + '''    for it in range(max_iter):
        labels = ((X[:, None, :] - C[None, :, :]) ** 2).sum(-1).argmin(axis=1)
        counts = np.bincount(labels, minlength=k)
        sums = np.zeros_like(C)
        np.add.at(sums, labels, X)
        filled = counts > 0
        C[filled] = sums[filled] / counts[filled, None]
    return C, labels, max_iter
''',
        "fails": {"test_lloyd_values", "test_lloyd_convergence"},
    },
    {
        "name": "lloyd_modifies_the_given_centres",
        "cell": "lloyd",
        "code": '''def lloyd(X, centres, max_iter=100):
    X = np.asarray(X, dtype=float)
    C = centres
    if X.shape[1] != C.shape[1]:
        raise ValueError("mixed dimensions")
    n, k = len(X), len(C)
    if k > n:
        raise ValueError("k > n")
    labels = None
    for it in range(max_iter):
        new = ((X[:, None, :] - C[None, :, :]) ** 2).sum(-1).argmin(axis=1)
        if labels is not None and np.array_equal(new, labels):
            return C, labels, it
        labels = new
        counts = np.bincount(labels, minlength=k)
        sums = np.zeros_like(C)
        np.add.at(sums, labels, X)
        filled = counts > 0
        C[filled] = sums[filled] / counts[filled, None]
    return C, labels, max_iter
''',
        "fails": {"test_lloyd_convergence", "test_lloyd_values"}
    },
    # ----------------------------------------------------------------- minibatch_kmeans
    {
        "name": "minibatch_forgets_counts_between_chunks",
        "cell": "minibatch_kmeans",
        "code": _MB_HEAD + '''        C[hit] = sums[hit] / m[hit, None]
        N = N + m
    return C, N
''',
        "fails": {"test_minibatch_kmeans_values"}
    },
    {
        "name": "minibatch_fixed_learning_rate",
        "cell": "minibatch_kmeans",
        "code": _MB_HEAD + '''        C[hit] = C[hit] + 0.5 * (sums[hit] / m[hit, None] - C[hit])
        N = N + m
    return C, N
''',
        "fails": {"test_minibatch_kmeans_values"}
    },
    {
        "name": "minibatch_no_dimension_check",
        "cell": "minibatch_kmeans",
        "code": '''def minibatch_kmeans(batches, centres, counts=None):
    C = np.array(centres, dtype=float)
    k, dim = C.shape
    N = np.zeros(k, dtype=np.int64) if counts is None else np.array(counts, dtype=np.int64)
    for batch in batches:
        B = np.asarray(batch, dtype=float)[:, :dim]
        labels = ((B[:, None, :] - C[None, :, :]) ** 2).sum(-1).argmin(axis=1)
        m = np.bincount(labels, minlength=k)
        sums = np.zeros((k, dim))
        np.add.at(sums, labels, B)
        hit = m > 0
        C[hit] = (N[hit, None] * C[hit] + sums[hit]) / (N[hit] + m[hit])[:, None]
        N = N + m
    return C, N
''',
        "fails": {"test_minibatch_kmeans_errors"},
    },
    # ----------------------------------------------------------------- NMI
    {
        "name": "nmi_geometric_mean",
        "cell": "normalized_mutual_information",
        "code": _NMI_HEAD + '''    return mi / np.sqrt(h_a * h_b)
''',
        "fails": {"test_normalized_mutual_information_edge_cases",
                  "test_normalized_mutual_information_values"}
    },
    {
        "name": "nmi_max_entropy",
        "cell": "normalized_mutual_information",
        "code": _NMI_HEAD + '''    return mi / max(h_a, h_b)
''',
        "fails": {"test_normalized_mutual_information_edge_cases",
                  "test_normalized_mutual_information_values"}
    },
    {
        "name": "nmi_nan_for_single_clusters",
        "cell": "normalized_mutual_information",
        "code": '''def normalized_mutual_information(labels_true, labels_pred):
    a_labels, b_labels = np.asarray(labels_true), np.asarray(labels_pred)
    if len(a_labels) != len(b_labels) or len(a_labels) == 0:
        raise ValueError("bad lengths")
    _, a = np.unique(a_labels, return_inverse=True)
    _, b = np.unique(b_labels, return_inverse=True)
    P = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(P, (a, b), 1.0)
    P /= len(a)
    pa, pb = P.sum(axis=1), P.sum(axis=0)
    nz = P > 0
    mi = float((P[nz] * np.log(P[nz] / np.outer(pa, pb)[nz])).sum())
    h_a = -float((pa * np.log(pa)).sum())
    h_b = -float((pb * np.log(pb)).sum())
    return mi / ((h_a + h_b) / 2)
''',
        "fails": {"test_normalized_mutual_information_edge_cases"},
    },
    # ----------------------------------------------------------------- top_k_cosine
    {
        "name": "top_k_dot_product_instead_of_cosine",
        "cell": "top_k_cosine",
        "code": '''def top_k_cosine(Q, D, k, eps=1e-12):
    Q = Q.toarray() if sp.issparse(Q) else np.asarray(Q, dtype=float)
    D = D.toarray() if sp.issparse(D) else np.asarray(D, dtype=float)
    if Q.shape[1] != D.shape[1] or not 1 <= k <= len(D):
        raise ValueError("bad shapes or k")
    S = Q @ D.T
    idx = np.argsort(-S, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(S, idx, axis=1), idx
''',
        "fails": {"test_top_k_cosine_values"},
    },
    {
        "name": "top_k_unstable_sort",
        "cell": "top_k_cosine",
        "code": '''def top_k_cosine(Q, D, k, eps=1e-12):
    Q = Q.toarray() if sp.issparse(Q) else np.asarray(Q, dtype=float)
    D = D.toarray() if sp.issparse(D) else np.asarray(D, dtype=float)
    if Q.shape[1] != D.shape[1] or not 1 <= k <= len(D):
        raise ValueError("bad shapes or k")
    Qn = Q / np.maximum(np.linalg.norm(Q, axis=1, keepdims=True), eps)
    Dn = D / np.maximum(np.linalg.norm(D, axis=1, keepdims=True), eps)
    S = Qn @ Dn.T
    idx = np.argsort(S, axis=1)[:, ::-1][:, :k]
    return np.take_along_axis(S, idx, axis=1), idx
''',
        "fails": {"test_top_k_cosine_values"},
    },
    # ----------------------------------------------------------------- FAQAnswerer
    {
        "name": "faq_always_answers",
        "cell": "FAQAnswerer",
        "code": _FAQ_INIT + '''        return self.answers[index], score, index
''',
        "fails": {"test_FAQAnswerer_not_sure"},
    },
    {
        "name": "faq_dot_product_scores",
        "cell": "FAQAnswerer",
        "code": '''class FAQAnswerer:
    def __init__(self, embed, questions, answers, threshold=0.5):
        questions, answers = list(questions), list(answers)
        if not questions or len(questions) != len(answers):
            raise ValueError("bad FAQ")
        self.embed, self.answers, self.threshold = embed, answers, float(threshold)
        E = embed(questions)
        self.entries = E.toarray() if sp.issparse(E) else np.asarray(E, dtype=float)

    def answer(self, question):
        if not question.strip():
            raise ValueError("empty question")
        q = self.embed([question])
        q = (q.toarray() if sp.issparse(q) else np.asarray(q, dtype=float)).reshape(-1)
        scores = self.entries @ q
        index = int(np.argmax(scores))
        score = float(scores[index])
        return (self.answers[index] if score >= self.threshold else None), score, index
''',
        "fails": {"test_FAQAnswerer_answers", "test_FAQAnswerer_not_sure"},
    },
]
