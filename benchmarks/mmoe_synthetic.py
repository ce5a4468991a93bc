"""The MMoE paper's synthetic experiment, with enough data: test MSE, training curves
and trainability of MMoE against the paper's Shared-Bottom.

    python benchmarks/mmoe_synthetic.py --cache .cache/mmoe_synthetic
    python benchmarks/mmoe_synthetic.py --cache /tmp/syn_quick --quick      (smoke grid)

The design below was written down before the study was run.

Data. ``synthetic_regression(p, n_rows=120_000, seed=seed)`` (Ma et al., KDD 2018,
section 4; our constants d = 100, c = 1, m = 10 sines, alpha and beta ~ N(0, 1),
noise sd 0.1): 100,000 training, 10,000 validation and 10,000 test rows, for task
correlations p in {0.5, 0.9, 1.0}. One seed draws the data (u1, u2, alpha, beta,
x) and the initialisation.

Models, as in the paper. MMoE: 8 experts of one 16-unit ReLU layer, a softmax gate
per task on the input, towers of one 8-unit layer. Shared-Bottom: one hidden layer
(width ``b``) and the same 8-unit towers, with ``b`` the widest whose model has no
more parameters than the MMoE (the towers are not scaled). Adam, batch 256,
15 epochs (5,850 steps), MSE loss summed over the two tasks.

Seeds and selection rule. Seeds 0..4 are run at every rate in {1e-4, 1e-3, 1e-2};
each (model, p) takes the rate with the lowest validation MSE (mean of the two
tasks, after the last epoch) averaged over those five seeds. Seeds 5..9 are then
run at the chosen rate only, so every (model, p) has 10 runs at its rate for the
spread of final losses (the paper's Figure 5 used 200 runs).

Metric. Test MSE (mean of the two tasks) at the chosen rate; MMoE against
Shared-Bottom paired by seed (same data, same p): the number of seeds on which
MMoE's test MSE is lower, and the paired difference with its 95 % t-interval.
Also reported per run: training MSE (after training, on the 100,000 training
rows), the training loss after every epoch (the paper's Figure 4, per epoch
rather than per step), and the number of dead tower units (ReLU units of the two
8-unit towers that output 0 on every test row).

Budget. 3 p x 2 models x (3 rates x 5 seeds + 5 seeds) = 120 runs. Timing runs at
100,000 rows (1 and 3 epochs, on the shared machine) cost about 2.8 s of CPU per
epoch for either model plus about 4 s per run, so about 2 s of wall time per epoch
on two free cores: 120 x (15 x 2 + 4) s, about 70 minutes.

Every run is cached as one JSON file under ``--cache`` (key: model, p, seed, rate,
epochs, training rows), so a stopped study continues. Outputs:
``mmoe_synthetic.csv`` (one row per run at the chosen rates, with
``train_loss_1 .. train_loss_15``) and ``mmoe_synthetic.md`` in ``--out`` (the
package's ``funrec/results`` by default; ``--quick`` writes next to its cache).
``--share PART/PARTS`` splits the runs between processes on one cache, as in
``benchmarks/capacity_conflict.py``.
"""

from __future__ import annotations

import functools
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from lab import RunCache, choose_on_validation, study_parser

from funrec import run_experiment
from funrec.data import synthetic_regression
from funrec.features import feature_columns
from funrec.sizing import model_sizes, widest
from funrec.stats import format_interval, paired_interval

MODELS = ("mmoe", "shared_bottom")
TASKS = ("task_1", "task_2")
MMOE = dict(num_experts=8, expert_units=(16,), tower_units=(8,))
FULL = dict(correlations=(0.5, 0.9, 1.0), learning_rates=(1e-4, 1e-3, 1e-2), tuning_seeds=5,
            seeds=10, epochs=15, n_rows=120_000, batch_size=256)
QUICK = dict(correlations=(0.5, 1.0), learning_rates=(1e-3, 1e-2), tuning_seeds=2, seeds=3,
             epochs=2, n_rows=12_000, batch_size=256)
RESULTS = Path(__file__).parents[1] / "funrec" / "results"
NAME = "mmoe_synthetic"


def total_params(name: str, **options) -> int:
    """Every parameter of the model (the count depends on the columns, not the rows)."""
    columns = feature_columns(synthetic_regression(0.5, n_rows=120))
    return model_sizes(name, columns, list(TASKS), "regression", **options)["total"]


def bottom_options(width: int) -> dict:
    return dict(bottom_units=(width,), tower_units=(8,))


@functools.lru_cache(maxsize=None)
def model_options(name: str) -> dict:
    """The paper's MMoE, or the one-layer Shared-Bottom with no more parameters."""
    if name == "mmoe":
        return dict(MMOE)
    budget = total_params("mmoe", **MMOE)
    return bottom_options(widest(
        lambda width: total_params("shared_bottom", **bottom_options(width)) <= budget))


@functools.lru_cache(maxsize=2)
def dataset(p: float, seed: int, n_rows: int):
    return synthetic_regression(p, n_rows=n_rows, seed=seed)


def dead_tower_units(model, features: dict) -> int:
    """ReLU units of the towers' hidden layers that output 0 on every row given."""
    import keras

    from funrec.models import predict

    towers = [model.get_layer(f"tower_{t}").output for t in TASKS]
    outputs = predict(keras.Model(model.inputs, towers), features)
    return int(sum(np.sum(np.all(out <= 0, axis=0)) for out in outputs))


def train(name: str, p: float, seed: int, lr: float, grid: dict) -> dict:
    """One run through ``run_experiment``, as a JSON-ready record."""
    from funrec.models import predict

    data = dataset(p, seed, grid["n_rows"])
    start = time.perf_counter()
    result = run_experiment(name, dataset=data, seed=seed, learning_rate=lr,
                            epochs=grid["epochs"], batch_size=grid["batch_size"], show=False,
                            jit_compile=False,  # as when the shipped CSV was made (see above)
                            **model_options(name))
    seconds = time.perf_counter() - start
    train_rows, _, test = data.split_by_date()
    fitted = predict(result.model, train_rows.features)
    train_mse = float(np.mean([np.mean((np.ravel(fitted[t]) - train_rows.labels[t]) ** 2)
                               for t in TASKS]))
    return dict(test=result.table.iloc[0].to_dict(), valid=result.valid_table.iloc[0].to_dict(),
                history={k: list(v) for k, v in result.history.items()},
                n_params=result.n_params, train_mse=train_mse, train_rows=len(train_rows),
                dead_tower_units=dead_tower_units(result.model, test.features),
                tower_units=sum(model_options(name)["tower_units"]) * len(TASKS),
                seconds=seconds)


def run_key(name, p, seed, lr, grid) -> dict:
    return dict(model=name, correlation=float(p), seed=seed, learning_rate=float(lr),
                epochs=grid["epochs"], n_rows=grid["n_rows"])


def chosen_rates(records, grid) -> dict:
    """(model, p) -> the rate with the lowest mean validation MSE over the tuning seeds."""
    frame = runs_frame(records, grid)
    tuning = frame[frame.seed < grid["tuning_seeds"]]
    return {(name, p): choose_on_validation(runs, None, higher_is_better=False,
                                            final="valid_mse")["learning_rate"]
            for (name, p), runs in tuning.groupby(["model", "correlation"])}


def runs_frame(records, grid) -> pd.DataFrame:
    """One row per cached run of this grid, with its training-loss curve as columns."""
    rows = []
    for r in records:
        k = r["key"]
        if k["epochs"] != grid["epochs"] or k["n_rows"] != grid["n_rows"]:
            continue
        losses = r["history"]["loss"]
        rows.append(dict(
            model=k["model"], correlation=k["correlation"], seed=k["seed"],
            learning_rate=k["learning_rate"], epochs=k["epochs"], train_rows=r["train_rows"],
            params=r["n_params"], test_mse=r["test"]["mse_macro"],
            **{f"test_mse_{t}": r["test"][f"mse_{t}"] for t in TASKS},
            valid_mse=r["valid"]["mse_macro"], train_mse=r["train_mse"],
            dead_tower_units=r["dead_tower_units"], tower_units=r["tower_units"],
            seconds=r["seconds"],
            **{f"train_loss_{e + 1}": loss for e, loss in enumerate(losses)}))
    return pd.DataFrame(rows)


def results_table(records, grid) -> pd.DataFrame:
    """The runs at each (model, p)'s chosen rate, one row each."""
    frame = runs_frame(records, grid)
    rates = chosen_rates(records, grid)
    keep = [rates.get((m, p)) == lr for m, p, lr in
            zip(frame.model, frame.correlation, frame.learning_rate)]
    return (frame[keep].sort_values(["correlation", "model", "seed"]).reset_index(drop=True))


def summarise(frame: pd.DataFrame, all_runs: pd.DataFrame, grid: dict) -> str:
    return results_summary(frame, grid) + rates_summary(all_runs, grid)


RATES_TITLE = "Validation MSE by rate (mean over the tuning seeds):"


def results_summary(frame: pd.DataFrame, grid: dict) -> str:
    """The summary's title and its table of the runs at the chosen rates."""
    out = ["# The MMoE paper's synthetic experiment", "",
           f"{frame.train_rows.iloc[0]:,} training rows, {grid['epochs']} epochs, batch "
           f"{grid['batch_size']}; rate per (model, p) chosen on mean validation MSE over "
           f"seeds 0..{grid['tuning_seeds'] - 1} from {list(grid['learning_rates'])}. "
           "Test MSE (mean of the two tasks) over all seeds at the chosen rate.", ""]
    rows = []
    for p, group in frame.groupby("correlation"):
        by = {m: group[group.model == m].set_index("seed") for m in MODELS}
        seeds = by["mmoe"].index.intersection(by["shared_bottom"].index)
        tuning = seeds[seeds < grid["tuning_seeds"]]
        mmoe_better = by["mmoe"].test_mse[seeds] < by["shared_bottom"].test_mse[seeds]
        for m in MODELS:
            g = by[m]
            rows.append(dict(
                p=p, model=m, lr=g.learning_rate.iloc[0], params=int(g.params.iloc[0]),
                seeds=len(g), test_mse=f"{g.test_mse.mean():.4f} ± {g.test_mse.std():.4f}",
                median=f"{g.test_mse.median():.4f}", worst=f"{g.test_mse.max():.4f}",
                train_mse=f"{g.train_mse.mean():.4f}",
                dead_tower_units=f"{g.dead_tower_units.mean():.1f} / {g.tower_units.iloc[0]}"))
        rows[-1].update(
            mmoe_wins=f"{int(mmoe_better[tuning].sum())}/{len(tuning)} "
                      f"(seeds 0..{grid['tuning_seeds'] - 1}), "
                      f"{int(mmoe_better.sum())}/{len(seeds)} (all)",
            sb_minus_mmoe=format_interval(paired_interval(
                (by["shared_bottom"].test_mse[seeds] - by["mmoe"].test_mse[seeds]).to_numpy()),
                digits=4))
    out += [pd.DataFrame(rows).fillna("").to_markdown(index=False), "", ""]
    return "\n".join(out)


def rates_summary(all_runs: pd.DataFrame, grid: dict) -> str:
    """The validation MSE of every tuning rate (the runs at rates not chosen too)."""
    rates = (all_runs[all_runs.seed < grid["tuning_seeds"]]
             .groupby(["correlation", "model", "learning_rate"]).valid_mse.mean().unstack())
    return "\n".join([RATES_TITLE, "", rates.to_markdown(floatfmt=".4f"), "", ""])


def summary_from_csv(folder: Path) -> str:
    """The summary rebuilt from ``folder``'s CSV, without the run cache; the validation
    MSE of the rates not chosen is kept as the summary there records it (those runs are
    only in the cache)."""
    frame = pd.read_csv(folder / f"{NAME}.csv")
    recorded = (folder / f"{NAME}.md").read_text()
    return results_summary(frame, FULL) + recorded[recorded.index(RATES_TITLE):]


def main(argv=None):
    parser = study_parser(__doc__.splitlines()[0], "rewrite the summary in --out from the CSV there, without running or a cache")
    args = parser.parse_args(argv)
    if args.from_csv:
        out = Path(args.out) if args.out else RESULTS
        (out / f"{NAME}.md").write_text(summary_from_csv(out))
        print(f"rewrote {out / (NAME + '.md')} from {NAME}.csv", file=sys.stderr)
        return
    if args.cache is None:
        parser.error("--cache is required (or --from-csv)")
    grid = dict(QUICK if args.quick else FULL)
    cache = RunCache(args.cache, share=args.share)
    out = Path(args.out) if args.out else (Path(args.cache) if args.quick else RESULTS)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    keys = []  # every run this process asked for, to wait for the other parts' share

    def run(name, p, seed, lr):
        key = run_key(name, p, seed, lr, grid)
        record, cached = cache.run(key, lambda: train(name, p, seed, lr, grid))
        keys.append(key)
        if record is None:  # another part of a shared study runs it
            return
        print(f"{'cached' if cached else 'ran':6s} {name:13s} p={p:<4g} seed={seed} lr={lr:g} "
              f"valid mse={record['valid']['mse_macro']:.4f} test mse="
              f"{record['test']['mse_macro']:.4f} dead={record['dead_tower_units']} "
              f"({record['seconds']:.1f} s; {time.perf_counter() - start:.0f} s so far)",
              flush=True)

    for p in grid["correlations"]:
        for seed in range(grid["tuning_seeds"]):
            for name in MODELS:
                for lr in grid["learning_rates"]:
                    run(name, p, seed, lr)
    cache.wait_for(keys)  # every part chooses from all the tuning runs
    rates = chosen_rates(cache.records(), grid)
    for p in grid["correlations"]:
        for seed in range(grid["tuning_seeds"], grid["seeds"]):
            for name in MODELS:
                run(name, p, seed, rates[(name, p)])
    cache.wait_for(keys)
    if args.share[0] != 0:
        return  # part 1 writes the results
    records = cache.records()
    frame = results_table(records, grid)
    frame.to_csv(out / f"{NAME}.csv", index=False)
    summary = summarise(frame, runs_frame(records, grid), grid)
    (out / f"{NAME}.md").write_text(summary)
    print(summary)
    print(f"wrote {out / (NAME + '.csv')} and {NAME}.md", file=sys.stderr)


if __name__ == "__main__":
    main()
