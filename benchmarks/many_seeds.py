"""What ``run_seeds`` costs against a loop of ``run_experiment``: same models, same
data, same numbers.

    python benchmarks/many_seeds.py [--models mmoe,ple] [--seeds 5] [--rows 100000]

For each model: wall seconds of ``run_seeds(name, seeds)`` and of one
``run_experiment`` per seed, in that order and then again in the other order (the
mean of the two is printed), and the largest difference in test AUC between the two
ways (both train with one traced step per architecture, so it should be zero).
"""

import argparse
import time

from funrec import run_experiment, run_seeds

TASKS = ("is_click", "is_like", "long_view")

parser = argparse.ArgumentParser()
parser.add_argument("--models", default="shared_bottom,mmoe,ple")
parser.add_argument("--seeds", type=int, default=5)
parser.add_argument("--rows", type=int, default=100_000)
parser.add_argument("--epochs", type=int, default=2)
args = parser.parse_args()
common = dict(n_rows=args.rows, epochs=args.epochs, show=False)
seeds = list(range(args.seeds))


def side_by_side(name):
    start = time.perf_counter()
    results = run_seeds(name, seeds=seeds, **common)
    return time.perf_counter() - start, results


def one_by_one(name):
    start = time.perf_counter()
    results = [run_experiment(name, seed=s, **common) for s in seeds]
    return time.perf_counter() - start, results


print(f"| model | seeds | run_seeds (s) | loop of run_experiment (s) | speed-up | "
      f"largest AUC difference |")
print("|---|---|---|---|---|---|")
run_experiment("shared_bottom", **{**common, "n_rows": 5_000})  # draw-free warm-up of TF
for name in args.models.split(","):
    t1, together = side_by_side(name)
    t2, alone = one_by_one(name)
    t3, _ = one_by_one(name)
    t4, _ = side_by_side(name)
    gap = max(abs(a.table[f"auc_{t}"].iloc[0] - b.table[f"auc_{t}"].iloc[0])
              for a, b in zip(together, alone) for t in TASKS)
    fast, slow = (t1 + t4) / 2, (t2 + t3) / 2
    print(f"| {name} | {len(seeds)} | {fast:.1f} | {slow:.1f} | {slow / fast:.2f}x | {gap:.1e} |",
          flush=True)
