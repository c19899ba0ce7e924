"""Module 2 against scikit-learn: k-means, mini-batch k-means, TF-IDF, NMI on chatterbot questions.

Runs the reference solution of problem set 2 (loaded from
``solutions/ps2_questions`` with :func:`harness.reference`) and scikit-learn
side by side in one process, on the same data:

- ``KMeans``: greedy k-means++ seeding with scikit-learn's budget of
  ``2 + ln k`` local trials and Lloyd's iterations, against ``KMeans`` with
  ``n_init=1``, the same seeding budget and the same stopping rule (``tol=0``:
  stop when no label changes), on a Gaussian mixture (default 100,000 x 64,
  k = 100); and Lloyd alone from identical seeds, which separates the quality
  of the iterations from the luck of the seeding.  Targets: inertia at most
  1.01 x and time at most 1.5 x scikit-learn's (means over ``--repeats`` seeds).
  The inertia of the whole method depends on the luck of the seeding draws
  (each side draws its own), which the potential right after seeding shows.
- ``MiniBatchKMeans``: one streamed pass of Sculley's update over chunks, from
  the same seeds, against ``MiniBatchKMeans.partial_fit`` on the same chunks;
  inertia measured on a held-out chunk.  Same targets.
- ``TfidfVectorizer``: the reference TF-IDF on the same token lists; equal
  values (largest difference at most 1e-12) and time at most 1.5 x.
- NMI of clustering the chatterbot questions against their categories, with
  the graded NMI checked against ``normalized_mutual_info_score``; one row per
  representation with TF-IDF as the baseline, and the target that the best
  representation beats it.

The reference runs with one BLAS thread (see :func:`timed`); scikit-learn
with its defaults.  ``python benchmarks/questions.py`` (defaults take a few
minutes on 2 cores);
``--points``, ``--dim``, ``--k``, ``--stream-points`` and ``--repeats`` scale it.
Writes ``benchmarks/results/questions.json``.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time

import numpy as np
import torch
from harness import Row, reference, report


def timed(fn, single_blas=False):
    """Seconds and result of fn(); with single_blas, NumPy's BLAS runs on one thread.

    The reference runs with one BLAS thread, the configuration scikit-learn's
    KMeans also uses for its own BLAS calls (it parallelises over the data with
    OpenMP instead).  With two BLAS threads on a busy 2-core machine, the many
    small matrix products of Lloyd's blocks spend most of their time waiting for
    the second thread.
    """
    from threadpoolctl import threadpool_limits

    start = time.perf_counter()
    if single_blas:
        with threadpool_limits(limits=1, user_api="blas"):
            result = fn()
    else:
        result = fn()
    return time.perf_counter() - start, result


def inertia(X: np.ndarray, centres: np.ndarray) -> float:
    """Sum of squared distances of the rows of X to their nearest centre."""
    total = 0.0
    c2 = (centres ** 2).sum(1)
    for start in range(0, len(X), 20_000):
        block = X[start:start + 20_000]
        d2 = (block ** 2).sum(1)[:, None] - 2.0 * block @ centres.T + c2[None, :]
        total += float(np.maximum(d2.min(axis=1), 0.0).sum())
    return total


def bench_kmeans(ref, args) -> list[Row]:
    from sklearn.cluster import KMeans, kmeans_plusplus

    from course.data import make_mixture

    X, _, _ = make_mixture(args.points, args.dim, args.k, seed=0)
    trials = 2 + int(math.log(args.k))              # scikit-learn's greedy k-means++ budget
    size = f"{args.points:,} x {args.dim}, k = {args.k}"
    # full: the whole method, seeding (same budget, each its own random draws) + Lloyd;
    #       tol=0 makes scikit-learn stop, like the reference, when no label changes.
    # same: Lloyd alone from identical seeds (scikit-learn's k-means++ draw).
    # seeding: the potential (inertia) right after seeding.
    full = {"ours": ([], []), "sklearn": ([], [])}
    same = {"ours": ([], []), "sklearn": ([], [])}
    seeding = {"ours": [], "sklearn": []}
    for seed in range(args.repeats):
        def ours_seeds(seed=seed):
            return X[ref.kmeans_plus_plus(X, args.k, np.random.default_rng(seed),
                                          n_local_trials=trials)]

        seed_s, seeds = timed(ours_seeds, single_blas=True)
        lloyd_s, centres = timed(lambda seeds=seeds: ref.lloyd(X, seeds, max_iter=300)[0],
                                 single_blas=True)
        full["ours"][0].append(seed_s + lloyd_s)
        full["ours"][1].append(inertia(X, centres))
        seeding["ours"].append(inertia(X, seeds))

        def anchor(seed=seed):
            return KMeans(args.k, init="k-means++", n_init=1, algorithm="lloyd", max_iter=300,
                          tol=0.0, random_state=seed).fit(X).cluster_centers_

        seconds, centres = timed(anchor)
        full["sklearn"][0].append(seconds)
        full["sklearn"][1].append(inertia(X, centres))

        init, _ = kmeans_plusplus(X, args.k, random_state=seed, n_local_trials=trials)
        seeding["sklearn"].append(inertia(X, init))

        def ours_lloyd(init=init):
            return ref.lloyd(X, init, max_iter=300)[0]

        def anchor_lloyd(init=init):
            return KMeans(args.k, init=init, n_init=1, algorithm="lloyd", max_iter=300,
                          tol=0.0).fit(X).cluster_centers_

        for name, fn in (("ours", ours_lloyd), ("sklearn", anchor_lloyd)):
            seconds, centres = timed(fn, single_blas=name == "ours")
            same[name][0].append(seconds)
            same[name][1].append(inertia(X, centres))
        print(f"  seed {seed}: k-means++ and Lloyd: ours {full['ours'][0][-1]:.2f} s inertia "
              f"{full['ours'][1][-1]:.6g} | scikit-learn {full['sklearn'][0][-1]:.2f} s inertia "
              f"{full['sklearn'][1][-1]:.6g}\n"
              f"          after seeding: ours {seeding['ours'][-1]:.6g} | scikit-learn "
              f"{seeding['sklearn'][-1]:.6g}\n"
              f"          Lloyd from the same seeds: ours {same['ours'][0][-1]:.2f} s inertia "
              f"{same['ours'][1][-1]:.6g} | scikit-learn {same['sklearn'][0][-1]:.2f} s inertia "
              f"{same['sklearn'][1][-1]:.6g}", flush=True)
    n = args.repeats
    rows = []
    for label, table in (("k-means++ and Lloyd", full), ("Lloyd from the same seeds", same)):
        t_ours, i_ours = (statistics.mean(v) for v in table["ours"])
        t_sk, i_sk = (statistics.mean(v) for v in table["sklearn"])
        rows += [
            Row(f"{label}: inertia, mean of {n} seeds ({size})", i_ours, i_sk,
                "sklearn KMeans", "ratio <= 1.01", i_ours <= 1.01 * i_sk),
            Row(f"{label}: time s, mean of {n} seeds ({size})", t_ours, t_sk,
                "sklearn KMeans", "ratio <= 1.5", t_ours <= 1.5 * t_sk),
        ]
    p_ours, p_sk = statistics.mean(seeding["ours"]), statistics.mean(seeding["sklearn"])
    spread = statistics.stdev(seeding["sklearn"]) / math.sqrt(n) if n > 1 else math.nan
    rows.append(Row(f"k-means++ potential after seeding, mean of {n} seeds ({size}); "
                    f"standard error of the anchor {spread:.3g}", p_ours, p_sk,
                    "sklearn kmeans_plusplus", "reported", True))
    return rows


def bench_minibatch(ref, args) -> list[Row]:
    from sklearn.cluster import MiniBatchKMeans

    from course.data import MixtureStream

    stream = MixtureStream(args.stream_points, args.dim, args.k, batch_size=10_000, seed=1,
                           dtype=np.float64)
    held_out = next(iter(MixtureStream(20_000, args.dim, args.k, batch_size=20_000, seed=1,
                                       dtype=np.float64)))
    first = next(iter(stream))
    trials = 2 + int(math.log(args.k))
    init = first[ref.kmeans_plus_plus(first, args.k, np.random.default_rng(0),
                                      n_local_trials=trials)]

    def ours():
        return ref.minibatch_kmeans(stream, init)[0]

    def anchor():
        model = MiniBatchKMeans(args.k, init=init, n_init=1, batch_size=10_000, random_state=0)
        for chunk in stream:
            model.partial_fit(chunk)
        return model.cluster_centers_

    ours_s, ours_c = timed(ours, single_blas=True)
    sk_s, sk_c = timed(anchor)
    i_ours, i_sk = inertia(held_out, ours_c), inertia(held_out, sk_c)
    print(f"  mini-batch: ours {ours_s:.2f} s inertia {i_ours:.6g} | scikit-learn {sk_s:.2f} s "
          f"inertia {i_sk:.6g}", flush=True)
    size = f"{args.stream_points:,} x {args.dim} streamed, k = {args.k}"
    return [
        Row(f"mini-batch inertia on held-out ({size})", i_ours, i_sk, "sklearn MiniBatchKMeans",
            "ratio <= 1.01", i_ours <= 1.01 * i_sk),
        Row(f"mini-batch time s ({size})", ours_s, sk_s, "sklearn MiniBatchKMeans",
            "ratio <= 1.5", ours_s <= 1.5 * sk_s),
    ]


def bench_tfidf(ref, docs: list[list[str]]) -> list[Row]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    corpus = docs * 5                      # about 350,000 tokens
    ours_s, (X, _, _) = timed(lambda: ref.tfidf_vectorize(corpus, sublinear_tf=True),
                              single_blas=True)
    vectorizer = TfidfVectorizer(analyzer=lambda doc: doc, sublinear_tf=True)
    sk_s, Y = timed(lambda: vectorizer.fit_transform(corpus))
    diff = float(abs(X - Y).max())
    tokens = sum(map(len, corpus))
    print(f"  TF-IDF on {len(corpus):,} documents ({tokens:,} tokens): ours {ours_s:.2f} s, "
          f"scikit-learn {sk_s:.2f} s, largest difference {diff:.1e}", flush=True)
    return [
        Row("TF-IDF largest difference", diff, 0.0, "sklearn TfidfVectorizer", "<= 1e-12",
            diff <= 1e-12, ratio=None),
        Row(f"TF-IDF time s ({tokens:,} tokens)", ours_s, sk_s, "sklearn TfidfVectorizer",
            "ratio <= 1.5", ours_s <= 1.5 * sk_s),
    ]


def bench_nmi(ref, args) -> tuple[list[Row], list[list[str]]]:
    from sklearn.decomposition import TruncatedSVD
    from sklearn.metrics import normalized_mutual_info_score

    from course.data import (
        load_chatterbot_questions,
        load_lee_background,
        load_lee_corpus,
        make_faq,
    )
    from course.questions import (
        average_word_vectors,
        cluster_scores,
        dense_unit_rows,
        train_pv_dbow,
        train_word_vectors,
    )
    from course.text import tokenize

    background = [tokenize(d) for d in load_lee_background()]
    lee = [tokenize(d) for d in load_lee_corpus()]
    records = load_chatterbot_questions("english")
    chat = [tokenize(r.question) for r in records]
    categories = [r.category for r in records]
    faq = make_faq(seed=0)
    faq_docs = [tokenize(e.question) for e in faq.entries]
    query_docs = [tokenize(q.question) for q in faq.answerable()]
    k = len(set(categories))
    n_bg = len(background)

    def kmeans(V, k, seed):
        seeds = ref.kmeans_plus_plus(V, k, np.random.default_rng(seed), n_local_trials=3)
        return ref.lloyd(V, V[seeds])[1]

    # The same representations as the lecture's table (same corpora and settings).
    fit, _, _ = ref.tfidf_vectorize(background + chat, sublinear_tf=True)
    tfidf = fit[n_bg:]
    tfidf = tfidf[:, tfidf.getnnz(axis=0) > 0]
    vectors, counts = train_word_vectors(background + lee + chat + faq_docs + query_docs,
                                         dim=64, num_epochs=20, seed=0)
    run = train_pv_dbow(ref.PVDBOW, lee + chat + faq_docs, dim=64, num_epochs=15,
                        batch_size=256, lr=0.01, seed=0, progress=False)
    doc_vectors = run.model.doc_vectors.weight.detach().numpy()
    representations = {
        "TF-IDF": tfidf,
        "TF-IDF + LSA": TruncatedSVD(100, random_state=0).fit_transform(fit)[n_bg:],
        "averaged word2vec": average_word_vectors(chat, vectors),
        "SIF word2vec": ref.sif_embeddings(background + chat, vectors, counts)[n_bg:],
        "PV-DBOW": doc_vectors[len(lee):len(lee) + len(chat)],
    }
    scores = {}
    worst_gap = 0.0
    for name, X in representations.items():
        scores[name] = cluster_scores(X, categories, k, kmeans, ref.normalized_mutual_information,
                                      seeds=(0, 1, 2))["NMI"]
        labels = kmeans(dense_unit_rows(X), k, 0)
        worst_gap = max(worst_gap, abs(ref.normalized_mutual_information(categories, labels)
                                       - normalized_mutual_info_score(categories, labels)))
        print(f"  NMI {name:<18} {scores[name]:.4f}", flush=True)
    baseline = scores["TF-IDF"]
    rows = [Row("graded NMI vs normalized_mutual_info_score (largest difference)", worst_gap,
                0.0, "sklearn NMI", "<= 1e-12", worst_gap <= 1e-12, ratio=None)]
    for name, value in scores.items():
        rows.append(Row(f"NMI chatterbot ({len(chat)} questions, k = {k}): {name}", value,
                        baseline, "TF-IDF baseline", "reported", True))
    best = max((n for n in scores if n != "TF-IDF"), key=scores.get)
    rows.append(Row(f"best representation ({best}) NMI above TF-IDF", scores[best], baseline,
                    "TF-IDF baseline", "ratio > 1", scores[best] > baseline))
    return rows, background + lee + chat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000, help="points for KMeans")
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--stream-points", type=int, default=300_000,
                        help="points streamed through mini-batch k-means")
    parser.add_argument("--repeats", type=int, default=5, help="seeds per measurement")
    args = parser.parse_args()
    print(f"load average at start: {', '.join(f'{v:.1f}' for v in os.getloadavg())} "
          f"on {os.cpu_count()} cores", flush=True)

    ref = reference("ps2_questions")
    torch.set_num_threads(1)    # PV-DBOW's tensors are small (see the lecture)
    rows = []
    print("k-means ...", flush=True)
    rows += bench_kmeans(ref, args)
    print("mini-batch k-means ...", flush=True)
    rows += bench_minibatch(ref, args)
    print("NMI of the chatterbot questions ...", flush=True)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        nmi_rows, docs = bench_nmi(ref, args)
    print("TF-IDF ...", flush=True)
    rows += bench_tfidf(ref, docs)
    rows += nmi_rows
    print(f"load average at end: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    report("questions", rows)
    met = sum(r.met for r in rows)
    print(f"{met} of {len(rows)} rows meet their target")


if __name__ == "__main__":
    main()
