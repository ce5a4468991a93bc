"""The MMoE paper's synthetic experiment: test MSE against task correlation.

    python benchmarks/mmoe_synthetic.py [--seeds 3] [--epochs 30] [--out funrec/results]

Ma et al. (KDD 2018, section 4) train MMoE and a Shared-Bottom model of the same
size on two synthetic regression tasks whose correlation ``p`` they control
(``funrec.data.synthetic_regression``; its docstring states our constants:
d = 100, c = 1, m = 10 sines, 10,000 training rows). For every p in (0.5, 0.9, 1.0):

1. MMoE has 8 experts of one 16-unit layer and towers of 8 units, as in the paper;
   the Shared-Bottom keeps towers of 8 units and scales its bottom so that the whole
   model has the MMoE's parameter count (``param_budget``);
2. each model's learning rate is picked on the validation rows (seed 0) from
   {1e-3, 1e-2}; the paper grid-searched the rate per model too, and the comparison
   turns on it (a rate good for one model can be poor for the other);
3. the chosen rate is run with the other seeds; the seed moves both the data draw
   (new u1, u2, alpha, beta, x) and the initialisation.

Writes ``mmoe_synthetic.csv`` (every run) and ``mmoe_synthetic.md`` (mean ± sd of
test MSE over seeds at the chosen rate) to --out; the package ships both so the book
can plot them (``funrec.results.load("mmoe_synthetic")``).
"""

import argparse
import time
from pathlib import Path

import pandas as pd

from funrec import run_experiment
from funrec.data import synthetic_regression

CORRELATIONS = (0.5, 0.9, 1.0)
LEARNING_RATES = (1e-3, 1e-2)
MMOE = dict(num_experts=8, expert_units=(16,), tower_units=(8,))
TRAINING = dict(batch_size=256, show=False)


def mmoe_budget() -> int:
    """Parameter count of the paper's MMoE on the synthetic data (d = 100)."""
    result = run_experiment("mmoe", dataset=synthetic_regression(0.5, n_rows=120), epochs=1,
                            batch_size=8, **MMOE, show=False)
    return result.n_params


def run(name, p, lr, seed, epochs, budget, log):
    options = dict(MMOE) if name == "mmoe" else dict(param_budget=budget, tower_units=(8,))
    start = time.perf_counter()
    result = run_experiment(name, dataset=synthetic_regression(p, seed=seed), epochs=epochs,
                            learning_rate=lr, seed=seed, **options, **TRAINING)
    row = dict(model=name, correlation=p, learning_rate=lr, seed=seed, epochs=epochs,
               params=result.n_params, seconds=time.perf_counter() - start,
               **{f"valid_{k}": v for k, v in result.valid_table.iloc[0].items()},
               **result.table.iloc[0].to_dict())
    log.append(row)
    print(f"{name:13s} p={p:<4g} lr={lr:g} seed={seed} valid mse={row['valid_mse_macro']:.4f} "
          f"test mse={row['mse_macro']:.4f} ({row['seconds']:.0f} s)", flush=True)
    return row


def chosen(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs at each (model, p)'s learning rate chosen on validation with seed 0."""
    first = runs[runs.seed == 0]
    best = first.loc[first.groupby(["model", "correlation"])["valid_mse_macro"].idxmin(),
                     ["model", "correlation", "learning_rate"]]
    return runs.merge(best, on=["model", "correlation", "learning_rate"])


def summarise(runs: pd.DataFrame) -> str:
    final = chosen(runs)
    rows = []
    for (p, name), group in final.groupby(["correlation", "model"]):
        rows.append(dict(correlation=p, model=name, lr=group.learning_rate.iloc[0],
                         params=int(group.params.iloc[0]), seeds=len(group),
                         test_mse=f"{group.mse_macro.mean():.4f} ± {group.mse_macro.std():.4f}",
                         mse_task_1=f"{group.mse_task_1.mean():.4f}",
                         mse_task_2=f"{group.mse_task_2.mean():.4f}"))
    epochs = int(runs.epochs.iloc[0])
    return (f"Test MSE (mean of the two tasks), mean ± sd over seeds at each model's learning "
            f"rate chosen on validation from {list(LEARNING_RATES)}; {epochs} epochs, "
            f"batch 256, 10,000 training rows.\n\n"
            + pd.DataFrame(rows).to_markdown(index=False) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--out", default=str(Path(__file__).parents[1] / "funrec" / "results"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    budget = mmoe_budget()
    log = []
    for p in CORRELATIONS:
        for name in ("mmoe", "shared_bottom"):
            tried = [run(name, p, lr, 0, args.epochs, budget, log) for lr in LEARNING_RATES]
            best = min(tried, key=lambda r: r["valid_mse_macro"])["learning_rate"]
            for seed in range(1, args.seeds):
                run(name, p, best, seed, args.epochs, budget, log)
    runs = pd.DataFrame(log)
    runs.to_csv(out / "mmoe_synthetic.csv", index=False)
    summary = summarise(runs)
    (out / "mmoe_synthetic.md").write_text(summary)
    print(summary)


if __name__ == "__main__":
    main()
