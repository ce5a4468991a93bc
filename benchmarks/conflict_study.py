"""Negative transfer as the tasks conflict: macro AUC and MTL gain per model.

    python benchmarks/conflict_study.py [--seeds 3] [--out funrec/results]

For every conflict level (aligned, independent, conflicting) and every model
(Shared-Bottom, MMoE, PLE, and the single-task baseline):

1. all multi-task models are scaled to one parameter budget (the default MMoE's);
   the single-task baseline takes the Shared-Bottom's scaled widths, one network
   per task, so the gain compares structures that differ only in sharing;
2. the learning rate is picked from a small grid on the validation day (seed 0);
3. the chosen rate is run with several seeds (the seed moves both the data draw
   and the initialisation), and the test-day AUC and MTL gain (PLE paper, eq. 11)
   are reported as mean and standard deviation over seeds.

Writes ``conflict_study.csv`` (every run) and ``conflict_study.md`` (the summary) to
--out; the package ships them so the book can plot them (``funrec.results.load``).
"""

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from funrec import run_experiment
from funrec.data.simulator import CONFLICT_LEVELS, TASKS
from funrec.experiment import _simulated, match_param_budget, model_options, simulator_defaults
from funrec.features import feature_columns
from funrec.models import BUILDERS

MODELS = ("shared_bottom", "mmoe", "ple")
LEARNING_RATES = (3e-3, 1e-2, 3e-2)


def budget_options():
    """The budget (the default MMoE's size) and each model's options scaled to it."""
    columns = feature_columns(_simulated(**simulator_defaults()))
    budget = BUILDERS["mmoe"](columns, list(TASKS), **model_options("mmoe")).count_params()
    options = {name: match_param_budget(name, columns, list(TASKS), budget,
                                        **model_options(name)) for name in MODELS}
    shared = options["shared_bottom"]
    options["single_task"] = dict(bottom_units=shared["bottom_units"],
                                  tower_units=shared["tower_units"])
    return budget, options


def run(name, conflict, lr, seed, options, log):
    start = time.perf_counter()
    result = run_experiment(name, conflict=conflict, learning_rate=lr, seed=seed,
                            data_seed=seed, show=False, **options)
    row = dict(model=name, conflict=conflict, learning_rate=lr, seed=seed,
               params=result.n_params, seconds=time.perf_counter() - start,
               **{f"valid_{k}": v for k, v in result.valid_table.iloc[0].items()},
               **result.table.iloc[0].to_dict())
    log.append(row)
    print(f"{name:13s} {conflict:11s} lr={lr:g} seed={seed} valid auc_macro="
          f"{row['valid_auc_macro']:.4f} test auc_macro={row['auc_macro']:.4f} "
          f"({row['seconds']:.0f} s)", flush=True)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", default=str(Path(__file__).parents[1] / "funrec" / "results"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    baseline, options = budget_options()
    log = []
    for conflict in CONFLICT_LEVELS:
        for name in MODELS + ("single_task",):
            tried = [run(name, conflict, lr, 0, options[name], log) for lr in LEARNING_RATES]
            best = max(tried, key=lambda r: r["valid_auc_macro"])["learning_rate"]
            for seed in range(1, args.seeds):
                run(name, conflict, best, seed, options[name], log)
    runs = pd.DataFrame(log)
    runs.to_csv(out / "conflict_study.csv", index=False)
    (out / "conflict_study.md").write_text(summarise(runs, baseline))
    print(summarise(runs, baseline))


def summarise(runs: pd.DataFrame, budget: int) -> str:
    chosen = runs.loc[runs.groupby(["model", "conflict"])["valid_auc_macro"].transform("max")
                      == runs["valid_auc_macro"], ["model", "conflict", "learning_rate"]]
    final = runs.merge(chosen, on=["model", "conflict", "learning_rate"])
    single = final[final.model == "single_task"].set_index(["conflict", "seed"])
    rows = []
    for (conflict, name), group in final.groupby(["conflict", "model"], sort=False):
        gains = {t: [] for t in TASKS + ("macro",)}
        for _, run_ in group.iterrows():
            base = single.loc[(conflict, run_.seed)]
            for t in TASKS + ("macro",):
                gains[t].append(run_[f"auc_{t}"] - base[f"auc_{t}"])
        rows.append(dict(
            conflict=conflict, model=name, lr=group.learning_rate.iloc[0],
            params=int(group.params.iloc[0]), seeds=len(group),
            auc_macro=f"{group.auc_macro.mean():.4f} ± {group.auc_macro.std():.4f}",
            **{f"gain_{t}": f"{np.mean(g) * 100:+.2f} ± {np.std(g, ddof=1) * 100:.2f}"
               for t, g in gains.items()}))
    table = pd.DataFrame(rows)
    order = {c: i for i, c in enumerate(CONFLICT_LEVELS)}
    table = table.sort_values("conflict", key=lambda c: c.map(order), kind="stable")
    return (f"Parameter budget {budget} (the default MMoE); gains are test AUC points x 100 "
            f"against the single-task baseline, mean ± sd over seeds.\n\n"
            + table.to_markdown(index=False) + "\n")


if __name__ == "__main__":
    main()
