"""Module 4 (reasoning): forward chaining at scale, and memory networks against published figures.

Runs the reference solution of ps4_reasoning (loaded from the solution
notebook, one source) and reports, one row per target:

* Forward chaining on kinship families from 100 to 10,000 people: derived
  facts per second of semi-naive evaluation (ours) against naive evaluation
  (the anchor, the same reference's ``forward_chain_naive``), and the ratio.
  Target: semi-naive is faster at every size.  Both must derive the same facts.
* End-to-end memory networks on generated bAbI-style tasks in the 1k setting
  (1,000 training questions, a separate validation set of 500 for early
  stopping, 1,000 test questions), at most ``--budget`` seconds of training
  per task, trained by ``course.reasoning.train_memn2n`` with its defaults
  (the ``<nil>`` memory, random empty memories, entities renamed at random
  after 20 epochs, weight decay; the best validation epoch is kept): test
  accuracy next to the published end-to-end memory network figures for the
  1k setting as listed in issue 6 (task 1: 99.9%, task 2: 78.4%, task 15:
  100%, task 16: 47.9%), and training seconds until the validation accuracy
  first reached 95%.  Targets: tasks 1 (single supporting fact), 6 (yes/no)
  and 15 (basic deduction) pass (at least 95%) within 60 s of training each;
  tasks 2 and 16 are compared with the published figure.  One more row
  trains task 6 without the ``<nil>`` memory (everything else the same),
  which lecture 04_reasoning explains: without it the same training stays
  below the pass mark (and at chance for its first seconds); and one trains
  task 6 on 10,000 questions.  Each run prints its wall and CPU
  seconds (the wall-clock budget is stretched on a busy machine).

The stories come from this course's generator, not from the published files
(pass ``--babi-dir`` to use those), and the training renames entities at
random, which the published runs did not do, so the comparison with the
published figures is close in kind, not exact.

    python benchmarks/reasoning.py [--quick] [--sizes 100 1000] [--tasks 1 15] [--budget 60]
                                   [--no-10k] [--no-ablation]
"""

from __future__ import annotations

import argparse
import time

from harness import Row, reference, report

from course.data import BABI_TASKS, generate_kinship
from course.reasoning import measure_chaining, train_memn2n

#: Published end-to-end memory network test accuracy, 1k training set, as listed in issue 6.
PUBLISHED_1K = {1: 0.999, 2: 0.784, 15: 1.0, 16: 0.479}
PASS_TASKS = (1, 6, 15)
PASS_MARK = 0.95
ANCHOR = "MemN2N, 1k (Sukhbaatar et al. 2015, as listed in issue 6)"


def chaining_rows(ref, sizes: list[int]) -> list[Row]:
    rows = []
    print(f"{'people':>7} {'facts':>7} {'derived':>8} {'rounds':>6} {'naive s':>8} {'semi s':>7}")
    for n in sizes:
        kb = generate_kinship(n, seed=0)
        naive = measure_chaining(ref.forward_chain_naive, kb.facts, kb.rules)
        semi = measure_chaining(ref.forward_chain_seminaive, kb.facts, kb.rules)
        same = naive["closure"] == semi["closure"] and naive["rounds"] == semi["rounds"]
        print(f"{n:>7} {len(kb.facts):>7} {semi['derived']:>8} {semi['rounds']:>6} "
              f"{naive['seconds']:>8.2f} {semi['seconds']:>7.2f}", flush=True)
        rows.append(Row(f"forward chaining, {n} people: derived facts/s (semi-naive vs naive)",
                        semi["per_second"], naive["per_second"], "naive evaluation (reference)",
                        "semi-naive faster, same facts and rounds",
                        met=same and semi["per_second"] > naive["per_second"]))
    return rows


def _train(ref, task: int, num_train: int, budget: float, folder: str | None, **kwargs):
    """One training run; prints test accuracy, epochs, wall and CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    run = train_memn2n(ref.MemN2N, task=task, num_train=num_train, num_test=1000,
                       embedding_dim=40, num_hops=3, num_epochs=500, time_budget=budget,
                       target=0.99, seed=0, folder=folder, progress=False,
                       batch_size=32 if num_train <= 1000 else 64, **kwargs)
    t95 = run.history.time_to(PASS_MARK)
    reached = "never" if t95 is None else f"{t95:.1f} s"
    extra = "".join(f", {k}={v}" for k, v in kwargs.items())
    print(f"task {task}, {num_train} training questions{extra}: test {run.test_accuracy:.1%}, "
          f"{run.history.seconds:.0f} s of training, {len(run.history.losses)} epochs, 95% "
          f"(validation) after {reached}; total {time.perf_counter() - wall:.0f} s wall, "
          f"{time.process_time() - cpu:.0f} s CPU", flush=True)
    return run, t95


def memn2n_rows(ref, tasks: list[int], budget: float, folder: str | None,
                extra_10k: bool, ablation: bool) -> list[Row]:
    rows = []
    runs = [(task, 1000) for task in tasks]
    if extra_10k and 6 in tasks:
        runs.append((6, 10000))
    for task, num_train in runs:
        run, t95 = _train(ref, task, num_train, budget, folder)
        name = f"task {task} ({BABI_TASKS.get(task, '?')}), {num_train} training questions"
        published = PUBLISHED_1K.get(task) if num_train == 1000 else None
        passed = run.test_accuracy >= PASS_MARK and t95 is not None and t95 <= 60
        if task in PASS_TASKS and num_train == 1000:
            rows.append(Row(f"MemN2N {name}: test accuracy", run.test_accuracy, published,
                            ANCHOR if published is not None else "-",
                            f">= {PASS_MARK:.0%} within 60 s of training", met=passed))
        elif published is not None:
            rows.append(Row(f"MemN2N {name}: test accuracy", run.test_accuracy, published, ANCHOR,
                            "report; >= the published figure", met=run.test_accuracy >= published))
        else:
            rows.append(Row(f"MemN2N {name}: test accuracy", run.test_accuracy, None, "-",
                            f"report; >= {PASS_MARK:.0%}", met=run.test_accuracy >= PASS_MARK))
        rows.append(Row(f"MemN2N {name}: training seconds to 95% (validation)", t95, None, "-",
                        "<= 60 s", met=t95 is not None and t95 <= 60))
        if ablation and task == 6 and num_train == 1000:
            without, _ = _train(ref, task, num_train, budget, folder, nil_memory=False)
            rows.append(Row(f"MemN2N {name}: test accuracy with the <nil> memory vs without",
                            run.test_accuracy, without.test_accuracy,
                            "the same training without the <nil> memory",
                            f"with >= {PASS_MARK:.0%}, without below it",
                            met=run.test_accuracy >= PASS_MARK > without.test_accuracy))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000, 3000, 10000],
                        help="kinship family sizes for forward chaining")
    parser.add_argument("--tasks", type=int, nargs="+", default=[1, 6, 15, 2, 16],
                        help="bAbI tasks for the memory network")
    parser.add_argument("--budget", type=float, default=60.0,
                        help="training seconds per memory-network run")
    parser.add_argument("--babi-dir", default=None,
                        help="folder of the published bAbI files (tasks_1-20_v1-2/en)")
    parser.add_argument("--no-10k", action="store_true",
                        help="skip the extra task-6 run on 10,000 questions")
    parser.add_argument("--no-ablation", action="store_true",
                        help="skip the task-6 run without the <nil> memory")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes and 15 s budgets (a smoke test, targets may be missed)")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.tasks, args.budget = [100, 300], [1, 15], 15.0
        args.no_10k = args.no_ablation = True
    ref = reference("ps4_reasoning")
    rows = chaining_rows(ref, args.sizes)
    rows += memn2n_rows(ref, args.tasks, args.budget, args.babi_dir, not args.no_10k,
                        not args.no_ablation)
    report("reasoning", rows)


if __name__ == "__main__":
    main()
