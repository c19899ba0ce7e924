"""Module 1 benchmark: the course's word embeddings side by side with gensim's Word2Vec.

On the same corpus (gensim's Wikipedia sample, all of it by default), in one
process, with the same settings (skip-gram, 5 noise words, window 5, 100
dimensions, min count 5, subsampling 1e-3, the same epochs and threads):

- the reference skip-gram of problem set 1 (loaded from the solution
  notebook, trained by ``course.embeddings.train_skipgram``);
- PPMI-SVD (the reference ``cooccurrence_matrix`` -> ``ppmi`` -> ``svd_embeddings``);
- the anchor, ``gensim.models.Word2Vec``.

Targets (issue 3): the course's best method reaches at least gensim's
WordSim-353 Spearman in no more of gensim's time; the reference skip-gram
reaches at least half of gensim's words per second, with a Spearman within
0.02 of gensim's (not below it by more than 0.02) at equal epochs.  Other
measures (SimLex-999, analogies, times) are reported as rows without a
target.  Times are wall-clock (the targets) and CPU seconds of the process
(``time.process_time``, printed next to them: on a shared machine the wall
time also counts other people's work).
``python benchmarks/embeddings.py --epochs 5 --threads 1``.
"""

from __future__ import annotations

import argparse
import math
import time

from harness import Row, reference, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="training epochs of both skip-grams")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads of torch and of gensim's workers (default 1)")
    parser.add_argument("--tokens", type=int, default=None,
                        help="use only the first TOKENS tokens of the corpus (default: all)")
    parser.add_argument("--lr", type=float, default=50.0,
                        help="learning rate of the reference skip-gram (batch-mean loss)")
    parser.add_argument("--batch-size", type=int, default=1024,
                        help="pairs per step of the reference skip-gram")
    args = parser.parse_args()

    import torch
    from gensim.models import Word2Vec

    from course.data import embedding_corpus
    from course.embeddings import (
        count_embeddings,
        encode_corpus,
        evaluate_embeddings,
        time_sgns_steps,
        train_skipgram,
    )

    torch.set_num_threads(args.threads)
    ps1 = reference("ps1_embeddings")
    corpus = embedding_corpus("wiki", max_tokens=args.tokens, progress=False)
    data = encode_corpus(corpus, min_count=5)
    print(f"corpus: {len(corpus)} paragraphs, {sum(map(len, corpus))} tokens; vocabulary "
          f"{data.vocab_size} words covering {data.num_tokens} tokens; {args.epochs} epochs, "
          f"{args.threads} thread(s)")

    start, cpu_start = time.perf_counter(), time.process_time()
    w2v = Word2Vec(corpus, sg=1, negative=5, window=5, vector_size=100, min_count=5,
                   sample=1e-3, epochs=args.epochs, workers=args.threads, seed=0)
    t_gensim, cpu_gensim = time.perf_counter() - start, time.process_time() - cpu_start
    gensim_scores = evaluate_embeddings(w2v.wv.vectors, list(w2v.wv.index_to_key))

    start, cpu_start = time.perf_counter(), time.process_time()
    E_sg, history = train_skipgram(data, ps1, dim=100, window=5, num_negatives=5,
                                   num_epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                                   sample=1e-3, seed=0,
                                   num_threads=args.threads, progress=False)
    t_sg, cpu_sg = time.perf_counter() - start, time.process_time() - cpu_start
    sg_scores = evaluate_embeddings(E_sg, data.words)

    start, cpu_start = time.perf_counter(), time.process_time()
    E_svd = count_embeddings(data, ps1, dim=100, window=5)
    t_svd, cpu_svd = time.perf_counter() - start, time.process_time() - cpu_start
    svd_scores = evaluate_embeddings(E_svd, data.words)

    # words per second: in-vocabulary tokens processed per second of training, all epochs
    wps_gensim = args.epochs * data.num_tokens / t_gensim
    wps_sg = args.epochs * data.num_tokens / t_sg

    print(f"\n{'method':<18} {'seconds':>8} {'CPU s':>7} {'words/s':>9} {'WS-353':>7} "
          f"{'SimLex':>7} {'analogy':>8}")
    for name, secs, cpu, scores in (("gensim Word2Vec", t_gensim, cpu_gensim, gensim_scores),
                                    ("skip-gram (ours)", t_sg, cpu_sg, sg_scores),
                                    ("PPMI-SVD (ours)", t_svd, cpu_svd, svd_scores)):
        wps = args.epochs * data.num_tokens / secs if "skip" in name or "gensim" in name else None
        print(f"{name:<18} {secs:8.1f} {cpu:7.1f} {wps if wps else float('nan'):9.0f} "
              f"{scores['wordsim353']:7.3f} {scores['simlex999']:7.3f} {scores['analogy']:8.3f}")
    print(f"coverage: WS-353 {gensim_scores['wordsim353_coverage']:.0%}, SimLex "
          f"{gensim_scores['simlex999_coverage']:.0%}, analogies "
          f"{gensim_scores['analogy_coverage']:.0%} (same vocabulary for all three)")

    ours = {"skip-gram": (sg_scores["wordsim353"], t_sg),
            "PPMI-SVD": (svd_scores["wordsim353"], t_svd)}
    best = max(ours, key=lambda name: ours[name][0])
    best_ws, best_time = ours[best]
    ws_gensim = gensim_scores["wordsim353"]
    rows = [
        Row(f"best method ({best}) WordSim-353 Spearman", best_ws, ws_gensim, "gensim Word2Vec",
            ">= anchor", best_ws >= ws_gensim),
        Row(f"best method ({best}) seconds to train", best_time, t_gensim, "gensim Word2Vec",
            "<= anchor", best_time <= t_gensim),
        Row("skip-gram words per second", wps_sg, wps_gensim, "gensim Word2Vec",
            ">= 0.5 x anchor", wps_sg >= 0.5 * wps_gensim),
        Row("skip-gram WordSim-353 Spearman", sg_scores["wordsim353"], ws_gensim,
            "gensim Word2Vec", ">= anchor - 0.02",
            sg_scores["wordsim353"] >= ws_gensim - 0.02),
    ]
    for label, key in (("SimLex-999 Spearman", "simlex999"), ("analogy accuracy", "analogy")):
        for name, scores in (("skip-gram", sg_scores), ("PPMI-SVD", svd_scores)):
            value = scores[key]
            rows.append(Row(f"{name} {label}", None if math.isnan(value) else value,
                            gensim_scores[key], "gensim Word2Vec", "(reported, no target)",
                            True))
    rows.append(Row("PPMI-SVD WordSim-353 Spearman", svd_scores["wordsim353"], ws_gensim,
                    "gensim Word2Vec", "(reported, no target)", True))
    rows.append(Row("skip-gram seconds to train", t_sg, t_gensim, "gensim Word2Vec",
                    "(reported, no target)", True))
    rows.append(Row("skip-gram words per CPU second", args.epochs * data.num_tokens / cpu_sg,
                    args.epochs * data.num_tokens / cpu_gensim, "gensim Word2Vec",
                    "(reported, no target)", True))
    steps = time_sgns_steps(data, ps1, num_batches=200, batch_size=args.batch_size, lr=args.lr)
    rows.append(Row(f"skip-gram step CPU s, {steps['pairs']:,.0f} pairs, hand-derived gradient "
                    f"(max weight difference {steps['max_difference']:.1e})",
                    steps["hand_seconds"], steps["autograd_seconds"],
                    "autograd + torch.optim.SGD", "(reported, no target)", True))
    report("embeddings", rows)
    print(f"skip-gram: {history.examples} pairs, losses per epoch "
          f"{[round(x, 3) for x in history.losses]}")
    missed = [row.metric for row in rows if not row.met]
    print("targets met:", ", ".join(row.metric for row in rows[:4] if row.met) or "none")
    if "skip-gram words per second" in missed:
        print("in the way of the speed target: each step gathers (batch, 1 + K, dim) tensors and "
              "adds the updates back with index_add_ (sgns_train_step, gradients by hand), while "
              "gensim updates one pair at a time in compiled code, in cache; the batching "
              "(course.embeddings.skipgram_batches) is part of the measured time.")

if __name__ == "__main__":
    main()
