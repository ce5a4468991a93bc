"""Balancing the tasks: does a loss-balancing method beat equal or tuned static weights?

    python benchmarks/loss_balancing.py --cache .cache/loss_balancing
    python benchmarks/loss_balancing.py --cache /tmp/lb_quick --quick      (smoke grid)
    python benchmarks/loss_balancing.py --from-csv          (rewrite the summary)

The design below was written down before the study was run.

Question. On ranking data whose tasks conflict, do the balancing methods of
``funrec.balance`` (uncertainty weighting, GradNorm, DWA, PCGrad, FAMO) give a
better test AUC than equal weights, and than the best fixed weights chosen on
validation? Two careful studies (Xin et al., NeurIPS 2022; Kurin et al., NeurIPS
2022) found a tuned static weighting hard to beat: a null against it is a result,
reported as such.

Data. ``simulate_kuairand`` with its defaults otherwise (300,000 impressions, 17
days: train on 15, choose on the 16th, report the 17th), at two cells:

* the clickbait story at level ``clickbait`` (gradient conflict: the hook helps the
  click and hurts the long view);
* the drivers story at level ``different_drivers`` (competition for capacity).

One seed draws the data and the initialisation (``data_seed = seed``).

Models. ``shared_bottom`` and ``mmoe`` at their default sizes (the builders'
signatures), learning rate 1e-2, 3 epochs, batch 2,048: the package's defaults, the
same for every method (no method is tuned; each runs with its paper's defaults, see
``funrec.balance``).

Arms. ``equal``; the five methods; and ``static``: a grid of long-view weights
(0.25, 0.5, 1, 2, 4; the other tasks weigh 1; weight 1 is the equal run itself).
The grid also traces the seesaw: mean test AUC of the click against the long view
at each weight, the Pareto front each method is placed on.

Seeds. 10 (0..9) for every arm and cell.

Selection rule. For each (cell, model), the static weight with the best
validation-day macro AUC averaged over the 10 seeds ("best static"). The same
runs' test AUCs are then reported: validation and test are different days, but
the best of five on validation is mildly optimistic for static; the summary says so.

Primary endpoint. Test macro AUC (mean of the three tasks'), each method minus
``equal`` and minus best static, paired by seed: 95 % t-intervals (``funrec.stats``)
and paired t-test p-values with Holm's adjustment over the family of 5 methods x 2
comparisons x 2 cells x 2 models = 40 tests. Secondary: the same differences per
task (intervals only, no adjustment); seconds per epoch of each method (the median
of a run's epochs, on a machine shared with other work: indicative only); the
weights each method ended with (mean over the last epoch's steps, ``weight_<task>``
in the history) and PCGrad's share of steps with a projection.

Budget. Per (cell, model, seed): equal, 5 methods and 4 more static weights = 10
runs of 3 epochs; 400 runs in all. Per-epoch costs measured on the default
300,000-row log, one thread, on the shared machine (second epoch of a 2-epoch run;
no XLA): Shared-Bottom equal 0.84 s, static 0.84, uncertainty 0.85, GradNorm 1.52,
DWA 0.89, PCGrad 1.68, FAMO 1.12; MMoE equal 1.81, static 1.91, uncertainty 1.93,
GradNorm 3.07, DWA 1.85, PCGrad 3.7 (one reading of 7.1 s under load), FAMO 2.33.
So about 30 s (Shared-Bottom) and 65 s (MMoE) of epochs per (cell, seed), plus
about 4 s of tracing, scoring and data per run: about 1 h on one thread, or about
35 min as two one-thread processes (``--share``, below).

Every run is cached as one JSON file under ``--cache`` (key: story, level, model,
method, long-view weight, seed, rows, epochs), so a stopped study continues.
Outputs: ``loss_balancing.csv`` (one row per run: story, level, model, method,
long_view_weight, chosen_static, seed, n_rows, epochs, ``auc_<task>`` for every task, auc_macro,
valid_auc_macro, seconds_per_epoch, ``weight_<task>``, projected_share) and
``loss_balancing.md`` (the summary) in ``--out`` (the package's ``funrec/results``
by default; the ``--quick`` grid writes next to its cache instead).

    for part in 1 2; do TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 \\
        python benchmarks/loss_balancing.py --cache .cache/loss_balancing \\
        --share $part/2 & done; wait
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from lab import RunCache, study_parser

from funrec import run_experiment
from funrec.data.simulator import TASKS
from funrec.options import BALANCE_METHODS, FIXED_WEIGHTS
from funrec.stats import format_interval, holm, paired_interval, paired_test

LEARNED = tuple(m for m in BALANCE_METHODS if m not in FIXED_WEIGHTS)
FULL = dict(cells=(("clickbait", "clickbait"), ("drivers", "different_drivers")),
            models=("shared_bottom", "mmoe"), methods=LEARNED,
            static_weights=(0.25, 0.5, 1.0, 2.0, 4.0), seeds=10, n_rows=300_000, epochs=3)
# 6,000 rows keep the default batch of 2,048: two steps an epoch, enough to tell apart
QUICK = dict(FULL, static_weights=(0.5, 1.0, 2.0), seeds=2, n_rows=6000, epochs=2)
RESULTS = Path(__file__).parents[1] / "funrec" / "results"
NAME = "loss_balancing"
WEIGHTED = "long_view"  # the task whose weight the static grid moves


# ----------------------------------------------------------------- running

def arms(grid) -> list[tuple[str, float]]:
    """(method, long-view weight) of every run of one (cell, model, seed): static at
    weight 1 is the equal run (the same numbers to the bit), run once."""
    static = [("static", w) for w in grid["static_weights"] if w != 1.0]
    return [("equal", 1.0), *((m, 1.0) for m in grid["methods"]), *static]


def run_key(grid, story, level, model, method, weight, seed) -> dict:
    return dict(story=story, level=level, model=model, method=method,
                long_view_weight=float(weight), seed=seed, n_rows=grid["n_rows"],
                epochs=grid["epochs"])


def train(key: dict) -> dict:
    """One run through ``run_experiment`` as a JSON-ready record."""
    fixed = dict(loss_weights={WEIGHTED: key["long_view_weight"]}) \
        if key["method"] == "static" else {}
    start = time.perf_counter()
    result = run_experiment(key["model"], story=key["story"], conflict=key["level"],
                            n_rows=key["n_rows"], data_seed=key["seed"], seed=key["seed"],
                            epochs=key["epochs"], balance=key["method"], show=False, **fixed)
    history = result.history
    return dict(test=result.table.iloc[0].to_dict(), valid=result.valid_table.iloc[0].to_dict(),
                weights={t: history[f"weight_{t}"][-1] for t in result.tasks},
                projected_share=history.get("projected_share", [np.nan])[-1],
                seconds_per_epoch=float(np.median(history["epoch_seconds"])),
                seconds=time.perf_counter() - start)


def run_grid(grid, cache: RunCache, log) -> list[dict]:
    keys = [run_key(grid, story, level, model, method, weight, seed)
            for story, level in grid["cells"] for seed in range(grid["seeds"])
            for model in grid["models"] for method, weight in arms(grid)]
    for key in keys:
        record, cached = cache.run(key, lambda key=key: train(key))
        if record is not None:  # None: another part of a shared study runs it
            log(record, cached)
    cache.wait_for(keys)
    return keys


# ----------------------------------------------------------------- aggregation

def results_table(records, grid) -> pd.DataFrame:
    """One row per run of ``grid``, with the chosen static weight marked."""
    wanted = {tuple(sorted(run_key(grid, *cell, model, method, weight, seed).items()))
              for cell in grid["cells"] for seed in range(grid["seeds"])
              for model in grid["models"] for method, weight in arms(grid)}
    rows = [dict(**{k: r["key"][k] for k in ("story", "level", "model", "method",
                                             "long_view_weight", "seed", "n_rows", "epochs")},
                 **{f"auc_{t}": r["test"][f"auc_{t}"] for t in TASKS},
                 auc_macro=r["test"]["auc_macro"], valid_auc_macro=r["valid"]["auc_macro"],
                 seconds_per_epoch=r["seconds_per_epoch"],
                 **{f"weight_{t}": r["weights"][t] for t in TASKS},
                 projected_share=r["projected_share"])
            for r in records if tuple(sorted(r["key"].items())) in wanted]
    frame = pd.DataFrame(rows)
    return mark_chosen_static(frame)


def mark_chosen_static(frame: pd.DataFrame) -> pd.DataFrame:
    """``chosen_static``: the run is at its (cell, model)'s best static weight (best
    validation macro AUC, mean over seeds; weight 1 is the equal run)."""
    grid = frame[frame.method.isin(("equal", "static"))]
    best = (grid.groupby(["story", "level", "model", "long_view_weight"]).valid_auc_macro.mean()
            .groupby(["story", "level", "model"]).idxmax())
    chosen = {index[:3]: index[3] for index in best}
    frame["chosen_static"] = [
        row.method in ("equal", "static")
        and chosen[(row.story, row.level, row.model)] == row.long_view_weight
        for row in frame.itertuples()]
    return frame


def best_static(frame: pd.DataFrame) -> pd.DataFrame:
    chosen = frame[frame.chosen_static].copy()
    chosen["method"] = "best static"
    return chosen


def comparisons(frame: pd.DataFrame, column: str = "auc_macro") -> pd.DataFrame:
    """Every learned method minus equal and minus best static, paired by seed, with
    the paired t-test's p and Holm's adjustment over the whole family."""
    baselines = {"equal": frame[frame.method == "equal"], "best static": best_static(frame)}
    rows = []
    for (story, level, model), cell in frame.groupby(["story", "level", "model"], sort=False):
        for method in [m for m in LEARNED if m in set(cell.method)]:
            runs = cell[cell.method == method].set_index("seed")[column]
            for name, base in baselines.items():
                base = base[(base.story == story) & (base.model == model)].set_index(
                    "seed")[column]
                seeds = runs.index.intersection(base.index)
                differences = (runs[seeds] - base[seeds]).to_numpy()
                rows.append(dict(story=story, level=level, model=model, method=method,
                                 versus=name, **paired_interval(differences),
                                 p=paired_test(differences)["p"]))
    table = pd.DataFrame(rows)
    if not table.empty:
        table["p_holm"] = holm(table.p.tolist())
    return table


def summarise(frame: pd.DataFrame, grid) -> str:
    primary = comparisons(frame)
    primary_text = primary.assign(
        difference=[format_interval(r, 100) for r in primary.to_dict("records")],
        p=primary.p.map("{:.3f}".format), p_holm=primary.p_holm.map("{:.3f}".format))[
        ["story", "level", "model", "method", "versus", "difference", "n", "p", "p_holm"]]
    per_task = pd.concat([comparisons(frame, f"auc_{t}").assign(task=t) for t in TASKS])
    per_task_text = per_task.assign(
        difference=[format_interval(r, 100) for r in per_task.to_dict("records")]).pivot_table(
        index=["story", "model", "method", "versus"], columns="task", values="difference",
        aggfunc="first").reset_index()
    front = (frame[frame.method.isin(("equal", "static"))]
             .groupby(["story", "model", "long_view_weight"])
             [["auc_is_click", "auc_long_view", "auc_macro", "valid_auc_macro"]].mean()
             .round(4).reset_index())
    methods = pd.concat([frame[frame.method.isin(("equal", *LEARNED))], best_static(frame)])
    cost = (methods.groupby(["model", "method"]).seconds_per_epoch.median().unstack("model")
            .round(2).reset_index())
    weights = (frame[frame.method.isin(LEARNED)]
               .groupby(["story", "model", "method"])
               [[*(f"weight_{t}" for t in TASKS), "projected_share"]].mean().round(3)
               .reset_index())
    sections = [
        ("# Balancing the tasks",
         f"{len(frame)} runs: {len(grid['cells'])} cells x {len(grid['models'])} models x "
         f"{frame.seed.nunique()} seeds; {grid['epochs']} epochs on {grid['n_rows']:,} rows. "
         "Differences are test AUC x 100, mean and paired 95 % t-interval over seeds; p is "
         "the paired t-test's, p_holm Holm's over the table. Best static is chosen on the "
         "validation day from the same runs (mildly optimistic for static)."),
        ("## Macro AUC: each method against equal and best static",
         primary_text.to_markdown(index=False)),
        ("## Per task", per_task_text.to_markdown(index=False)),
        (f"## The static grid: the seesaw of {WEIGHTED} weights (mean test AUC)",
         front.to_markdown(index=False)),
        ("## Seconds per epoch (median over runs; a shared machine)",
         cost.to_markdown(index=False)),
        ("## The weights each method ended with (mean over seeds of the last epoch's mean)",
         weights.to_markdown(index=False)),
    ]
    return "\n\n".join(f"{title}\n\n{body}" for title, body in sections) + "\n"


def grid_of(frame: pd.DataFrame) -> dict:
    """The grid a CSV was made with, as far as the summary needs it."""
    cells = tuple(dict.fromkeys(zip(frame.story, frame.level)))
    return dict(FULL, cells=cells, models=tuple(dict.fromkeys(frame.model)),
                n_rows=int(frame.n_rows.iloc[0]), epochs=int(frame.epochs.iloc[0]))


# ----------------------------------------------------------------- main

def run_study(grid, cache_folder, out: Path, share=(0, 1)) -> pd.DataFrame | None:
    """Run (or read) every run of ``grid`` and write the CSV and summary to ``out``
    (by the first part of a shared study only)."""
    cache = RunCache(cache_folder, share=share)
    start = time.perf_counter()

    def log(record, cached):
        k = record["key"]
        print(f"{'cached' if cached else 'ran':6s} {k['story']:9s} {k['model']:13s} "
              f"{k['method']:11s} w={k['long_view_weight']:<4g} seed={k['seed']} "
              f"auc_macro={record['test']['auc_macro']:.4f} "
              f"({record['seconds']:.1f} s; {time.perf_counter() - start:.0f} s so far)",
              flush=True)

    run_grid(grid, cache, log)
    if share[0] != 0:
        return None
    frame = results_table(cache.records(), grid)
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / f"{NAME}.csv", index=False)
    (out / f"{NAME}.md").write_text(summarise(frame, grid))
    print(f"wrote {out / (NAME + '.csv')} and {NAME}.md", file=sys.stderr)
    return frame


def main(argv=None):
    parser = study_parser(__doc__.splitlines()[0], "rewrite the summary in --out from the CSV there, without running or a cache")
    args = parser.parse_args(argv)
    if args.from_csv:
        out = Path(args.out) if args.out else RESULTS
        frame = pd.read_csv(out / f"{NAME}.csv")
        (out / f"{NAME}.md").write_text(summarise(frame, grid_of(frame)))
        print(f"rewrote {out / (NAME + '.md')} from {NAME}.csv", file=sys.stderr)
        return
    if args.cache is None:
        parser.error("--cache is required (or --from-csv)")
    grid = QUICK if args.quick else FULL
    out = Path(args.out) if args.out else (Path(args.cache) if args.quick else RESULTS)
    frame = run_study(grid, Path(args.cache), out, args.share)
    if frame is not None:
        print((out / f"{NAME}.md").read_text())


if __name__ == "__main__":
    main()
