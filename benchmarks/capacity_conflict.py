"""Competition for capacity: each architecture's MTL gain by width and competition level.

    python benchmarks/capacity_conflict.py --cache .cache/capacity_conflict
    python benchmarks/capacity_conflict.py --cache /tmp/cc_quick --quick      (smoke grid)

The design below was written down before the study was run.

Question. When the tasks need different things from a network (the simulator's
``drivers`` story: what makes viewers stay moves away from what made them click),
does sharing hurt, at which widths, and do gated models (MMoE, CGC, PLE) hold up
better than a Shared-Bottom of the same dense size?

Data. ``simulate_kuairand(story="drivers", conflict=level, seed=seed)`` with the
defaults otherwise: 300,000 impressions, 1,000 users, 2,000 videos, 17 days; train
on the first 15 days, choose settings on the 16th (validation day), report the
17th (test day). Levels: ``shared_drivers`` (0), ``partly_shared`` (0.5) and
``different_drivers`` (1). One seed draws the data and the initialisation; two
levels with one seed share users, videos and impressions and differ in labels only.

Models and widths. A width ``w`` is the Shared-Bottom's bottom ``(w, w/2)``; every
model has towers of ``(32,)``. Widths 16 (capacity binds), 32 and 128 (the default).

* ``shared_bottom``: bottom ``(w, w/2)``.
* ``single_task``: the baseline of PLE's eq. 11 for the Shared-Bottom: per task its
  own embeddings, bottom ``(w, w/2)`` and tower (the Shared-Bottom's structure on one
  task each). Every gain below, also a gated model's, is against this baseline at
  the same width, level and seed: a gated model's gain is its AUC minus that of
  per-task networks of the Shared-Bottom's structure (single-task MMoE/CGC/PLE
  baselines are not run; they would triple the cost).
* ``mmoe`` (4 experts), ``cgc`` (1 expert per task, 2 shared), ``ple`` (2 levels
  of CGC): experts ``(a, a/2)`` with ``a >= 4`` the widest whose model's dense
  (non-embedding) parameters do not exceed the Shared-Bottom's at ``w``. Where
  even ``a = 4`` exceeds it the model is not run (at width 16 none of the three
  fits: narrower experts end in a single ReLU unit), and the summary says so; it
  also lists each model's gate parameters, the fixed cost that starves gated
  models at small budgets (a gate on the 104-wide input costs 104 x experts
  weights per task: 1,248 of MMoE's parameters at every width).

Seeds. 10 (0..9) at ``shared_drivers`` and ``different_drivers``, whose
comparison the claims rest on (differences of differences); 5 (0..4) at
``partly_shared``, which only fills in the phase diagram.

Selection rule. For each (model, width) one learning rate and number of epochs,
used at every level (so a change across levels is never a change of settings):
the pair from {3e-3, 1e-2, 3e-2} x {1..4} epochs with the best validation-day
macro AUC averaged over three tuning runs (shared_drivers with seed 0,
partly_shared with seed 1, different_drivers with seed 2), read from the
per-epoch validation curve (``track_validation``). Then every level and seed is run
at the chosen setting.

Metric. Test-day AUC per task; MTL gain of task t = AUC_t(model) - AUC_t(single_task)
on the same width, level and seed; ``gain_macro`` is the mean over the three tasks.
The summary reports, with paired 95 % t-intervals over seeds (AUC x 100): each
gain; its fall from ``shared_drivers`` to ``different_drivers``; and for each
gated model its gain minus the Shared-Bottom's at both ends, and its fall minus
the Shared-Bottom's fall.

Budget. 12 (model, width) pairs (Shared-Bottom and baseline at 3 widths, the three
gated models at 2), each 9 tuning runs of 4 epochs and 25 final runs, 408 runs in
all, about 7,700 s of training on two free cores (about 2 h 10 min) by the
quiet-machine timings of 300,000-row runs in ``benchmarks/RESULTS.md`` (3 epochs:
Shared-Bottom 9.6 s, MMoE 16.2 s, CGC 17.3 s, PLE 31 s, single-task 16.4 s, at
their larger default sizes; about 4 to 7 s of each is fixed tracing and scoring)
and the smoke grid's timings on the shared machine. Less if the chosen epochs are
fewer than 4. ``--story segments`` runs the same grid on the segments story (its
own cache folder and about as long).

Every run is cached as one JSON file under ``--cache`` (key: story, model, width,
level, seed, learning rate, epochs, rows), so a stopped study continues. Outputs:
``capacity_conflict.csv`` (one row per final run) and ``capacity_conflict.md``
(the summary) in ``--out`` (the package's ``funrec/results`` by default; the
``--quick`` grid writes next to its cache instead).

On two cores, two processes of one thread each finish sooner than one process of
two threads (the small models' steps do not keep two threads busy, and one
process's Python and scoring overlap the other's training):

    for part in 1 2; do TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 \
        python benchmarks/capacity_conflict.py --cache .cache/capacity_conflict \
        --share $part/2 & done; wait

The parts run the runs alternately and wait for each other before the final runs
(which need every tuning run) and before part 1 writes the results.
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
from funrec.data.simulator import CONFLICT_LEVELS, TASKS, simulate_kuairand
from funrec.features import feature_columns
from funrec.sizing import dense_params, gate_params, model_sizes, widest
from funrec.stats import against_shared_bottom, gain_falls, interval_table, paired_interval

MODELS = ("shared_bottom", "mmoe", "cgc", "ple", "single_task")
GATED = ("mmoe", "cgc", "ple")
GATED_LAYOUT = {"mmoe": dict(num_experts=4), "cgc": dict(task_experts=1, shared_experts=2),
                "ple": dict(num_levels=2, task_experts=1, shared_experts=2)}
TOWERS = (32,)
MIN_EXPERT_WIDTH = 4  # experts (4, 2); narrower ones are one ReLU unit from dead
FULL = dict(widths=(16, 32, 128), levels=tuple(CONFLICT_LEVELS["drivers"]), seeds=10,
            middle_seeds=5, learning_rates=(3e-3, 1e-2, 3e-2), max_epochs=4, n_rows=300_000)
QUICK = dict(widths=(32,), levels=("shared_drivers", "different_drivers"), seeds=2,
             middle_seeds=2, learning_rates=(1e-2,), max_epochs=2, n_rows=30_000)
RESULTS = Path(__file__).parents[1] / "funrec" / "results"
NAME = "capacity_conflict"


# ----------------------------------------------------------------- sizing

@functools.lru_cache(maxsize=None)
def columns() -> tuple:
    # Dense parameter counts do not depend on the vocabularies, only on the columns.
    return tuple(feature_columns(simulate_kuairand(n_users=20, n_videos=20, n_authors=5,
                                                   n_rows=400)))


def sizes(name: str, options: dict) -> dict:
    """``total``, ``dense`` and ``gates`` parameters of the model on the study's columns."""
    return model_sizes(name, list(columns()), list(TASKS), **options)


def gated_options(name: str, expert_width: int) -> dict:
    """A gated model's layout with experts ``(a, a/2)`` and the study's towers."""
    return dict(GATED_LAYOUT[name], expert_units=(expert_width, expert_width // 2),
                tower_units=TOWERS)


@functools.lru_cache(maxsize=None)
def sized_options(name: str, width: int) -> dict | None:
    """The model's options at ``width`` (see the docstring), or None if it cannot fit."""
    bottom = dict(bottom_units=(width, max(1, width // 2)), tower_units=TOWERS)
    if name in ("shared_bottom", "single_task"):
        return bottom
    budget = sizes("shared_bottom", bottom)["dense"]
    expert_width = widest(lambda a: sizes(name, gated_options(name, a))["dense"] <= budget,
                          MIN_EXPERT_WIDTH, 4 * width)
    return None if expert_width is None else gated_options(name, expert_width)


def size_table(widths) -> pd.DataFrame:
    """Dense and gate parameters of every model at every width (the fixed gate cost)."""
    rows = []
    for width in widths:
        budget = sizes("shared_bottom", sized_options("shared_bottom", width))["dense"]
        for name in MODELS:
            options = sized_options(name, width)
            counted = sizes(name, options or gated_options(name, MIN_EXPERT_WIDTH))
            dense, gates = counted["dense"], counted["gates"]
            rows.append(dict(model=name, width=width, budget=budget, fits=options is not None,
                             units=_units(options) if options else
                             f"experts ({MIN_EXPERT_WIDTH}, {MIN_EXPERT_WIDTH // 2}) too big",
                             dense_params=dense, gate_params=gates,
                             gate_share=gates / dense))
    return pd.DataFrame(rows)


def _units(options: dict) -> str:
    return " ".join(f"{k}={tuple(v) if isinstance(v, (list, tuple)) else v}"
                    for k, v in options.items())


# ----------------------------------------------------------------- running

@functools.lru_cache(maxsize=2)
def simulated(story: str, level: str, seed: int, n_rows: int):
    return simulate_kuairand(story=story, conflict=level, seed=seed, n_rows=n_rows)


def train(name, options, data, seed, lr, epochs) -> dict:
    """One run through ``run_experiment``, as a JSON-ready record (with the validation
    curve the epochs are chosen on)."""
    start = time.perf_counter()
    # Without XLA, as when the shipped CSV was made: "auto" would compile the longer
    # runs, whose numbers then move in the last digits.
    result = run_experiment(name, dataset=data, seed=seed, learning_rate=lr, epochs=epochs,
                            track_validation=True, jit_compile=False, show=False, **options)
    seconds = time.perf_counter() - start
    return dict(test=result.table.iloc[0].to_dict(),
                valid=result.valid_table.iloc[0].to_dict(),
                history={k: list(v) for k, v in result.history.items()},
                n_params=result.n_params, dense_params=dense_params(result.model),
                gate_params=gate_params(result.model), options=_units(options),
                seconds=seconds)


def run_key(story, name, width, level, seed, lr, epochs, n_rows) -> dict:
    return dict(story=story, model=name, width=width, level=level, seed=seed,
                learning_rate=float(lr), epochs=int(epochs), n_rows=n_rows)


def tuning_pairs(levels) -> list[tuple[str, int]]:
    """Level i is tuned with seed i: one run per level, each on another seed."""
    return [(level, i) for i, level in enumerate(levels)]


def run_cached(cache, log, grid, name, width, level, seed, lr, epochs, data_holder):
    """Run (or read) one run; the data is drawn only if some run needs it."""
    key = run_key(grid["story"], name, width, level, seed, lr, epochs, grid["n_rows"])

    def compute():
        if data_holder.get("data") is None:
            data_holder["data"] = simulated(grid["story"], level, seed, grid["n_rows"])
        return train(name, sized_options(name, width), data_holder["data"], seed, lr, epochs)

    record, cached = cache.run(key, compute)
    if record is not None:  # None: another part of a shared study runs it
        log(record, cached)
    return key


def tune(grid, cache, log) -> dict:
    """Tuning runs, then the chosen (learning rate, epochs) of every (model, width)."""
    keys = []
    for level, seed in tuning_pairs(grid["levels"]):
        holder = {}
        for name, width in model_widths(grid):
            for lr in grid["learning_rates"]:
                keys.append(run_cached(cache, log, grid, name, width, level, seed, lr,
                                       grid["max_epochs"], holder))
    cache.wait_for(keys)  # every part chooses from all the tuning runs
    return choices(cache.records(), grid)


def model_widths(grid):
    return [(name, width) for width in grid["widths"] for name in MODELS
            if sized_options(name, width) is not None]


def choices(records, grid) -> dict:
    """(model, width) -> chosen setting, from the tuning runs among ``records``."""
    tuning = set(tuning_pairs(grid["levels"]))
    frame = pd.DataFrame([
        dict(**r["key"], valid_curve=r["history"].get("valid_auc_macro"),
             valid_auc_macro=r["valid"]["auc_macro"]) for r in records
        if r["key"]["story"] == grid["story"] and r["key"]["n_rows"] == grid["n_rows"]
        and r["key"]["epochs"] == grid["max_epochs"]
        and (r["key"]["level"], r["key"]["seed"]) in tuning
        and r["key"]["learning_rate"] in grid["learning_rates"]])
    chosen = {}
    for (name, width), runs in frame.groupby(["model", "width"], sort=False):
        chosen[(name, int(width))] = choose_on_validation(runs, "valid_curve",
                                                          final="valid_auc_macro")
    return chosen


def seeds_at(grid, level) -> int:
    """10 seeds at the two ends (the claims compare them), fewer in between."""
    ends = (grid["levels"][0], grid["levels"][-1])
    return grid["seeds"] if level in ends else grid["middle_seeds"]


def final_runs(grid, chosen, cache, log):
    keys = []
    for level in grid["levels"]:
        for seed in range(seeds_at(grid, level)):
            holder = {}
            for (name, width), setting in chosen.items():
                keys.append(run_cached(cache, log, grid, name, width, level, seed,
                                       setting["learning_rate"], setting["epochs"], holder))
    cache.wait_for(keys)


# ----------------------------------------------------------------- aggregation

def results_table(records, chosen, grid) -> pd.DataFrame:
    """One row per final run, with the MTL gains against the single-task baseline."""
    story = grid["story"]
    wanted = {(name, width): (setting["learning_rate"], setting["epochs"])
              for (name, width), setting in chosen.items()}
    rows = []
    for r in records:
        k = r["key"]
        if (k["story"] != story or k["n_rows"] != grid["n_rows"]
                or wanted.get((k["model"], k["width"])) != (k["learning_rate"], k["epochs"])
                or k["level"] not in grid["levels"] or k["seed"] >= seeds_at(grid, k["level"])):
            continue
        rows.append(dict(
            story=k["story"], model=k["model"], width=k["width"], level=k["level"],
            conflict=CONFLICT_LEVELS[story][k["level"]], seed=k["seed"],
            learning_rate=k["learning_rate"], epochs=k["epochs"],
            dense_params=r["dense_params"], gate_params=r["gate_params"],
            params=r["n_params"], units=r["options"], seconds=r["seconds"],
            valid_auc_macro=r["valid"]["auc_macro"],
            **{f"auc_{t}": r["test"][f"auc_{t}"] for t in TASKS},
            auc_macro=r["test"]["auc_macro"],
            **{f"oracle_auc_{t}": r["test"].get(f"oracle_auc_{t}") for t in TASKS}))
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    return add_gains(frame)


def add_gains(frame: pd.DataFrame) -> pd.DataFrame:
    """``gain_<task>`` and ``gain_macro``: AUC minus the single-task baseline's AUC on the
    same width, level and seed (NaN for the baseline itself and where it is missing)."""
    on = ["width", "level", "seed"]
    base = frame[frame.model == "single_task"].set_index(on)
    index = pd.MultiIndex.from_frame(frame[on])
    for column in [f"auc_{t}" for t in TASKS] + ["auc_macro"]:
        baseline = base[column].reindex(index).to_numpy()
        gain = frame[column].to_numpy() - baseline
        gain[frame.model.to_numpy() == "single_task"] = np.nan
        frame["gain_" + column[4:]] = gain
    order = {name: i for i, name in enumerate(MODELS)}
    levels = {name: i for i, name in enumerate(CONFLICT_LEVELS[frame.story.iloc[0]])}
    return (frame.assign(_m=frame.model.map(order), _l=frame.level.map(levels))
            .sort_values(["width", "_m", "_l", "seed"]).drop(columns=["_m", "_l"])
            .reset_index(drop=True))


SUMMARY_TASKS = TASKS + ("macro",)


def summarise(frame: pd.DataFrame, chosen: dict, sizes: pd.DataFrame, grid: dict) -> str:
    """The study's markdown summary (every figure from ``frame``, none typed)."""
    first, last = grid["levels"][0], grid["levels"][-1]
    mtl = frame[frame.model != "single_task"]
    sections = [
        (f"# Competition for capacity ({frame.story.iloc[0]} story)",
         f"Runs: {len(frame)} final runs, {frame.seed.nunique()} seeds, "
         f"{frame.seconds.sum() / 3600:.2f} h of training in the final runs. Gains are test "
         "AUC x 100 against the single-task baseline (per-task networks of the "
         "Shared-Bottom's structure at the same width), mean and paired 95 % t-interval "
         "over seeds."),
        ("## Sizes and the gates' fixed cost",
         sizes.assign(gate_share=sizes.gate_share.map("{:.0%}".format)).to_markdown(index=False)),
        ("## Chosen learning rate and epochs (validation macro AUC, mean of the tuning runs)",
         _choices_table(chosen)),
        ("## MTL gain by width and level", _gains_table(mtl, grid["levels"])),
        (f"## Fall of the gain from {first} to {last} (positive: the gain fell)",
         _falls_table(mtl, first, last)),
        ("## Gated models against the Shared-Bottom (paired by seed)",
         _gated_table(mtl, first, last)),
    ]
    return "\n\n".join(f"{title}\n\n{body}" for title, body in sections) + "\n"


def _choices_table(chosen: dict) -> str:
    table = pd.DataFrame([dict(model=m, width=w, learning_rate=s["learning_rate"],
                               epochs=s["epochs"], valid_auc_macro=round(s["score"], 4),
                               tuning_runs=s["runs"]) for (m, w), s in chosen.items()])
    return "(epochs chosen on the per-epoch validation curve.)\n\n" + table.to_markdown(
        index=False)


def recorded_choices(summary: str) -> dict:
    """(model, width) -> chosen setting, read back from a summary's table of choices:
    the tuning runs they were chosen from live only in the run cache."""
    section = summary.split("## Chosen learning rate", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split("|") for line in section.splitlines()
            if line.startswith("|")][2:]  # after the header and its rule
    return {(model.strip(), int(width)): dict(learning_rate=float(lr), epochs=int(epochs),
                                              score=float(score), runs=int(runs))
            for model, width, lr, epochs, score, runs in rows}


def summary_from_csv(folder: Path, story: str) -> str:
    """The summary rebuilt from ``folder``'s CSV and the choices its summary records,
    without the run cache (the final runs' every figure is in the CSV)."""
    frame = pd.read_csv(folder / f"{NAME}.csv")
    chosen = recorded_choices((folder / f"{NAME}.md").read_text())
    levels = tuple(level for level in CONFLICT_LEVELS[story] if level in set(frame.level))
    grid = dict(FULL, story=story, levels=levels, widths=tuple(int(w) for w in frame.width.unique()))
    return summarise(frame, chosen, size_table(grid["widths"]), grid)


def _interval_table(intervals: pd.DataFrame, index) -> str:
    return interval_table(intervals, index, SUMMARY_TASKS).reset_index().to_markdown(index=False)


def _gains_table(mtl: pd.DataFrame, levels) -> str:
    gains = pd.DataFrame([dict(width=width, model=name, level=level, task=t,
                               **paired_interval(group.loc[group.level == level,
                                                           f"gain_{t}"].to_numpy()))
                          for (width, name), group in mtl.groupby(["width", "model"], sort=False)
                          for level in levels for t in SUMMARY_TASKS])
    return _interval_table(gains, ["width", "model", "level"])


def _falls_table(mtl: pd.DataFrame, first: str, last: str) -> str:
    return _interval_table(gain_falls(mtl, first, last, SUMMARY_TASKS), ["width", "model"])


def _gated_table(mtl: pd.DataFrame, first: str, last: str) -> str:
    """Each gated model's gain minus the Shared-Bottom's at both ends, and its fall
    minus the Shared-Bottom's fall (a difference of differences), per task."""
    versus = against_shared_bottom(mtl, first, last, SUMMARY_TASKS)
    if versus.empty:
        return "(no gated model ran)"
    return _interval_table(versus, ["width", "model", "comparison"])


# ----------------------------------------------------------------- main

def main(argv=None):
    parser = study_parser(__doc__.splitlines()[0],
                          "rewrite the summary in --out from the CSV there and the "
                          "choices its summary records, without running or a cache")
    parser.add_argument("--story", default="drivers", choices=sorted(CONFLICT_LEVELS),
                        help="simulator story (default: drivers)")
    args = parser.parse_args(argv)
    if args.from_csv:
        out = Path(args.out) if args.out else RESULTS
        (out / f"{NAME}.md").write_text(summary_from_csv(out, args.story))
        print(f"rewrote {out / (NAME + '.md')} from {NAME}.csv", file=sys.stderr)
        return
    if args.cache is None:
        parser.error("--cache is required (or --from-csv)")
    grid = dict(QUICK if args.quick else FULL, story=args.story)
    levels = tuple(CONFLICT_LEVELS[args.story])
    grid["levels"] = (levels[0], levels[-1]) if args.quick else levels
    cache = RunCache(Path(args.cache) / args.story, share=args.share)
    out = Path(args.out) if args.out else (Path(args.cache) if args.quick else RESULTS)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()

    def log(record, cached):
        k = record["key"]
        print(f"{'cached' if cached else 'ran':6s} {k['model']:13s} w={k['width']:<4d} "
              f"{k['level']:18s} seed={k['seed']} lr={k['learning_rate']:g} "
              f"epochs={k['epochs']} valid auc_macro={record['valid']['auc_macro']:.4f} "
              f"({record['seconds']:.1f} s; {time.perf_counter() - start:.0f} s so far)",
              flush=True)

    chosen = tune(grid, cache, log)
    final_runs(grid, chosen, cache, log)
    if args.share[0] != 0:
        return  # part 1 writes the results
    frame = results_table(cache.records(), chosen, grid)
    frame.to_csv(out / f"{NAME}.csv", index=False)
    summary = summarise(frame, chosen, size_table(grid["widths"]), grid)
    (out / f"{NAME}.md").write_text(summary)
    print(summary)
    print(f"wrote {out / (NAME + '.csv')} and {NAME}.md", file=sys.stderr)


if __name__ == "__main__":
    main()
