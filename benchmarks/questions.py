"""Module 2 against scikit-learn: k-means, mini-batch k-means, TF-IDF, NMI on chatterbot questions.

Runs the reference solution of problem set 2 (loaded from
``solutions/ps2_questions`` with :func:`harness.reference`) and scikit-learn
side by side in one process, on the same data:

- ``KMeans``: greedy k-means++ seeding with scikit-learn's budget of
  ``2 + ln k`` local trials and Lloyd's iterations, against ``KMeans`` with
  ``n_init=1``, the same seeding budget and the same stopping rule (``tol=0``:
  stop when no label changes), on a Gaussian mixture (default 100,000 x 64,
  k = 100).  The inertia of the whole method depends on the luck of the
  seeding draws: two seeds in one mixture component cost several per cent, and
  a mean over a few seeds is dominated by that luck.  So the target rows use
  *common random numbers*: our seeding draws through :class:`SklearnDraws`,
  which consumes ``RandomState(seed)`` exactly as scikit-learn does, so both
  sides get the same luck (the same seeds; the benchmark counts the seedings
  identical to ``kmeans_plusplus``) and the ratio measures the implementations.
  Lloyd alone from identical seeds is a second pair of targets.  Targets:
  inertia at most 1.01 x and time at most 1.5 x scikit-learn's (means over
  ``--repeats`` seeds).  Reported, not targets: the same comparison with
  independent draws (ours from ``np.random.default_rng(seed)``), with the
  potential right after seeding and standard errors, which show the luck.
- ``MiniBatchKMeans``: one streamed pass of Sculley's update over chunks, from
  the same seeds, against ``MiniBatchKMeans.partial_fit`` on the same chunks;
  inertia measured on a held-out chunk.  Same targets.
- ``TfidfVectorizer``: the reference TF-IDF on the same token lists; equal
  values (largest difference at most 1e-12) and time at most 1.5 x.
- NMI of clustering the chatterbot questions against their categories, with
  the graded NMI checked against ``normalized_mutual_info_score``; one row per
  representation of the lecture's table (TF-IDF, LSA, module 1's skip-gram
  vectors averaged and with SIF, PV-DBOW) with TF-IDF as the baseline, and the
  target that the best representation beats it.

The reference runs with one BLAS thread (see :func:`timed`), except its
k-means++ seeding, whose large products use BLAS's default threads as
scikit-learn's seeding does; scikit-learn runs with its defaults.
``python benchmarks/questions.py`` (defaults take a few minutes on 2 cores);
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


class SklearnDraws:
    """A ``np.random.Generator`` to the graded ``kmeans_plus_plus`` that draws like scikit-learn.

    Common random numbers: ``kmeans_plus_plus(X, k, SklearnDraws(seed), n_local_trials)``
    consumes ``np.random.RandomState(seed)`` exactly as scikit-learn's
    ``_kmeans_plusplus`` does, so it picks the seeds of
    ``kmeans_plusplus(X, k, random_state=seed)`` and of ``KMeans(random_state=seed)``
    (whose ``fit`` with ``n_init=1`` draws nothing from the state but the seeding).
    Only the two calls the graded function makes are provided.
    """

    def __init__(self, seed: int):
        self.state = np.random.RandomState(seed)

    def integers(self, n: int) -> int:
        """The first centre, as ``random_state.choice(n_samples, p=sample_weight / sum)``."""
        weights = np.ones(n)
        return int(self.state.choice(n, p=weights / weights.sum()))

    def choice(self, n: int, size: int, p: np.ndarray) -> np.ndarray:
        """Candidates: uniform draws times the potential, found in the cumulative sum, clipped."""
        # The graded function passes p = d2 / potential; scikit-learn searches the cumulative sum
        # of d2 for uniform draws times the potential: the same search, scaled.
        rand_vals = self.state.uniform(size=size) * p.sum()
        return np.minimum(np.searchsorted(np.cumsum(p), rand_vals), n - 1)


def standard_error(values: list[float]) -> float:
    return statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else math.nan


def bench_kmeans(ref, args) -> list[Row]:
    from sklearn.cluster import KMeans, kmeans_plusplus

    from course.data import make_mixture

    X, _, _ = make_mixture(args.points, args.dim, args.k, seed=0)
    trials = 2 + int(math.log(args.k))              # scikit-learn's greedy k-means++ budget
    size = f"{args.points:,} x {args.dim}, k = {args.k}"
    # One value a seed of "time", "inertia" and "potential" (the inertia right after seeding):
    #   common: our k-means++ drawing with SklearnDraws(seed), then our Lloyd;
    #   own: our k-means++ drawing with np.random.default_rng(seed), then our Lloyd;
    #   sklearn: KMeans(random_state=seed), the anchor of both (tol=0: it stops, like the
    #            reference, when no label changes);
    #   same, same_sklearn: Lloyd alone from scikit-learn's k-means++ seeds.
    runs = {name: {"time": [], "inertia": [], "potential": []}
            for name in ("common", "own", "sklearn", "same", "same_sklearn")}

    def record(name, seconds, centres, seeds=None):
        runs[name]["time"].append(seconds)
        runs[name]["inertia"].append(inertia(X, centres))
        if seeds is not None:
            runs[name]["potential"].append(inertia(X, seeds))

    def ours(rng):
        """Our k-means++ with rng, then our Lloyd: seconds, seed indices, centres.

        The seeding's products (trials x n) are large, so it keeps BLAS's default threads,
        as scikit-learn's seeding does; Lloyd's many small blocks run on one thread.
        """
        seed_s, idx = timed(lambda: ref.kmeans_plus_plus(X, args.k, rng, n_local_trials=trials))
        lloyd_s, centres = timed(lambda: ref.lloyd(X, X[idx], max_iter=300)[0], single_blas=True)
        return seed_s + lloyd_s, idx, centres

    def kmeans(init, seed=None):
        return KMeans(args.k, init=init, n_init=1, algorithm="lloyd", max_iter=300, tol=0.0,
                      random_state=seed).fit(X).cluster_centers_

    def show(name):
        """The last seed's run of `name`, for the log."""
        run = runs[name]
        after = f" (after seeding {run['potential'][-1]:.6g})" if run["potential"] else ""
        return f"{run['time'][-1]:.2f} s inertia {run['inertia'][-1]:.6g}{after}"

    identical = 0                                   # common draws: seedings equal to scikit-learn's
    for seed in range(args.repeats):
        _, sk_idx = kmeans_plusplus(X, args.k, random_state=seed, n_local_trials=trials)
        # KMeans.fit subtracts the mean of X before seeding: check its picks as well.
        _, fit_idx = kmeans_plusplus(X - X.mean(axis=0), args.k, random_state=seed,
                                     n_local_trials=trials)
        seconds, centres = timed(lambda seed=seed: kmeans("k-means++", seed))
        record("sklearn", seconds, centres, X[sk_idx])
        seconds, idx, centres = ours(SklearnDraws(seed))
        record("common", seconds, centres, X[idx])
        same_picks = bool(np.array_equal(idx, sk_idx) and np.array_equal(idx, fit_idx))
        identical += same_picks
        seconds, idx, centres = ours(np.random.default_rng(seed))
        record("own", seconds, centres, X[idx])
        init = X[sk_idx]
        record("same", *timed(lambda init=init: ref.lloyd(X, init, max_iter=300)[0],
                              single_blas=True))
        record("same_sklearn", *timed(lambda init=init: kmeans(init)))

        print(f"  seed {seed}: scikit-learn KMeans {show('sklearn')}\n"
              f"          ours, common random numbers {show('common')}, "
              f"same seeds as scikit-learn: {'yes' if same_picks else 'NO'}\n"
              f"          ours, own draws {show('own')}\n"
              f"          Lloyd from the same seeds: ours {show('same')} | scikit-learn "
              f"{show('same_sklearn')}", flush=True)
    n = args.repeats
    print(f"  common random numbers: {identical} of {n} seedings identical to scikit-learn's",
          flush=True)

    def mean(name, what):
        return statistics.mean(runs[name][what])

    rows = [Row(f"k-means++ common random numbers: seedings identical to scikit-learn's "
                f"({size})", identical, n, "sklearn kmeans_plusplus", "reported", True)]
    # Targets.  With common random numbers both sides have the same luck in their draws (the
    # same seeds), so the ratio measures the implementations; so does Lloyd from the same seeds.
    for label, ours_name, anchor_name in (
            ("k-means++ and Lloyd, common random numbers", "common", "sklearn"),
            ("Lloyd from the same seeds", "same", "same_sklearn")):
        i_ours, i_sk = mean(ours_name, "inertia"), mean(anchor_name, "inertia")
        t_ours, t_sk = mean(ours_name, "time"), mean(anchor_name, "time")
        rows += [
            Row(f"{label}: inertia, mean of {n} seeds ({size})", i_ours, i_sk,
                "sklearn KMeans", "ratio <= 1.01", i_ours <= 1.01 * i_sk),
            Row(f"{label}: time s, mean of {n} seeds ({size})", t_ours, t_sk,
                "sklearn KMeans", "ratio <= 1.5", t_ours <= 1.5 * t_sk),
        ]
    # Reported only: each side draws its own seeds, so these ratios include the luck of the draws,
    # which the standard errors over the seeds show.
    label = "k-means++ and Lloyd, independent draws (each side its own)"
    for what, name, anchor_name in (("potential", "potential after seeding", "kmeans_plusplus"),
                                    ("inertia", "inertia", "KMeans"), ("time", "time s", "KMeans")):
        spread = (f"; standard errors ours {standard_error(runs['own'][what]):.3g}, "
                  f"scikit-learn {standard_error(runs['sklearn'][what]):.3g}")
        rows.append(Row(f"{label}: {name}, mean of {n} seeds ({size}){spread}",
                        mean("own", what), mean("sklearn", what), f"sklearn {anchor_name}",
                        "reported", True))
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
    from course.embeddings import word_vectors as module1_word_vectors
    from course.questions import (
        average_word_vectors,
        cluster_scores,
        dense_unit_rows,
        train_pv_dbow,
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
    # Module 1's skip-gram vectors (its training loop around problem set 1's reference), cached.
    vectors, counts = module1_word_vectors(background + lee + chat + faq_docs + query_docs,
                                           reference("ps1_embeddings"), method="skipgram", dim=64,
                                           num_epochs=20, seed=0)
    run = train_pv_dbow(ref.PVDBOW, lee + chat + faq_docs, dim=64, num_epochs=15,
                        batch_size=256, lr=0.01, seed=0, progress=False)
    doc_vectors = run.model.doc_vectors.weight.detach().numpy()
    representations = {
        "TF-IDF": tfidf,
        "TF-IDF + LSA": TruncatedSVD(100, random_state=0).fit_transform(fit)[n_bg:],
        "averaged skip-gram (module 1)": average_word_vectors(chat, vectors),
        "SIF skip-gram (module 1)": ref.sif_embeddings(background + chat, vectors, counts)[n_bg:],
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
        print(f"  NMI {name:<29} {scores[name]:.4f}", flush=True)
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
