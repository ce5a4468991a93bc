"""Where gates help: the regimes where per-task routing should pay, if it ever does.

    for part in 1 2; do TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 \\
        python benchmarks/gates_map.py --cache .cache/gates_map --share $part/2 & done; wait
    python benchmarks/gates_map.py --from-csv             (the summary, from the CSVs)
    python benchmarks/gates_map.py --cache /tmp/gm --quick     (smoke grid)

The design below was written down, and committed, before the study's first run.

Question. The capacity study (``capacity_conflict.py``) found no cell where gates
could help: in its ``drivers`` story the tasks relate the same way for every input,
so one static split of a wide enough bottom serves, and where the Shared-Bottom
suffered (narrow widths) the gated models were starved by their gates. Theory says
per-task, input-dependent routing pays where (a) the tasks relate differently for
different inputs, (b) many tasks in several groups crowd one shared network, or
(c) the tasks' gradients conflict on a shared driver in a network too narrow to hold
both uses. Does any gated model beat the Shared-Bottom there, and is it the per-task
gate (MMoE against OMoE, same experts, one shared gate) or the mixture that does it?

Regimes (``simulate_kuairand`` stories, defaults otherwise: 300,000 impressions,
train on days 1-15, choose on day 16, report day 17), each at its most
heterogeneous level (``far``, where the primary endpoints are read) and its most
homogeneous one (``near``, only for the Shared-Bottom's gain split):

* ``segments``: the ``segments`` story, far ``restless_apart``, near ``segments_alike``
  (patient and restless viewers relate clicking and staying differently);
* ``many_tasks``: the ``many_tasks`` story, six tasks, far ``two_groups``, near
  ``one_group``;
* ``clickbait_narrow``: the ``clickbait`` story, far ``clickbait``, near ``aligned``,
  with the budget at the narrow width 32 (gradient conflict on the hook).

Arms. ``shared_bottom``, ``omoe`` (4 experts, one gate), ``mmoe`` (4 experts),
``cgc`` (1 expert per task, 2 shared), ``ple`` (2 levels of CGC), the
``single_task`` baseline (per task the Shared-Bottom's structure), and
``mmoe_profile``: an MMoE whose gates read a cheap input, the embeddings of the five
user-profile fields (``user_active_degree``, ``follow_user_num_range``,
``register_days_range``, ``fans_user_num_range``, ``onehot_feat1``: 40 of the 104
inputs) instead of all 13 fields. Chosen because routing by the kind of user is what
a recommender would do, and the profile holds the segments story's split without
being it; a gate on 40 inputs costs 40 x 4 weights per task instead of 104 x 4.
Every arm has towers ``(32,)``.

Sizes. ``usual``: the builders' defaults (Shared-Bottom and single-task bottom
``(128, 64)``, experts ``(64, 32)``). ``budget``: the dense (non-embedding)
parameters of a Shared-Bottom with bottom ``(w, w/2)``, ``w`` = 128 for
``segments`` and ``many_tasks`` (so there the budget Shared-Bottom is the usual one,
run once) and 32 for ``clickbait_narrow``; each gated arm gets experts ``(a, a/2)``
with ``a >= 4`` the widest that fits the budget (``funrec.sizing.widest``), and is
left out, and said so, where none fits. ``single_task`` runs at its usual size only: it
is the baseline of every gain (``gain_<task>`` = AUC minus the single-task AUC on the
same regime, level and seed).

Training. Each (regime, arm, size) gets one learning rate and number of epochs,
chosen at the far level on the validation day's macro AUC averaged over two tuning
seeds (100 and 101, each its own data and initialisation), read from the per-epoch
validation curve of runs of 6 epochs at rates {3e-3, 1e-2, 3e-2}. A choice on an
edge extends its grid once: the last epoch reruns that cell's tuning at 10 epochs; the
lowest or highest rate adds 1e-3 or 1e-1 (the choice is then made again over all
rates). The summary reports every choice and every extension. The near level uses the
far level's choice. ``jit_compile`` is left at its default ("auto").

Seeds. Final runs at seeds 0..9 (data seed = initialisation seed = the seed), at the
far level for every arm and size, and at the near level for the Shared-Bottom and
the single-task baseline (usual size). The study runs in this order: the primary
arms of every regime (``shared_bottom``, ``omoe``, ``mmoe``, ``single_task`` at usual
size; ``mmoe_profile`` and the budget ``shared_bottom``), each tuned and then run;
then the near level; then the other arms, each tuned and then run. A study cut
short by its time budget (about 3 hours on 2 cores) thus leaves the primary
endpoints whole and the secondary arms that finished; the summary names every arm
that did not run or has fewer than 10 seeds.

Primary endpoints, a family of 9 tests (3 per regime, at the far level, macro AUC
x 100, paired by seed over 10 seeds): ``mmoe - shared_bottom`` at usual size (the
gated model against sharing), ``mmoe - omoe`` at usual size (the per-task gate) and
``mmoe_profile - shared_bottom`` at budget size (routing without wide gates). Each:
mean, 95 % t interval, two-sided paired t p-value, Holm-adjusted over the 9, and the
Wilcoxon signed-rank p beside it. A comparison "shows" an effect when its Holm p is
below 0.05.

Secondary (no adjustment, read as descriptions): every other arm minus the
Shared-Bottom of its size, per task and macro; the MTL gain of every arm; and the
Shared-Bottom's gain split (usual size): its gain at near and far and the fall
between them, per task, with the fall divided into lost positive transfer (the part
of the fall above zero gain) and negative transfer (a far gain below zero); the words
"negative transfer" are used only where the far gain's interval lies wholly below 0.

Budget and what is left out. About 34 (regime, arm, size) cells, each 6 tuning runs
of 6 epochs and 10 final runs; left out: the middle levels (the map reads the ends),
single-task baselines at the budget sizes (three networks at a budget made for one
is not a matched size), and OMoE with the cheap gate.

Outputs (part 1 writes them): ``funrec/results/gates_map.csv`` (one row per final
run: ``regime``, ``story``, ``level``, ``model``, ``size``, ``width`` (the first
shared layer's width), ``seed``, ``dense_params``, ``gate_params``,
``learning_rate``, ``epochs``, ``auc_<task>`` and ``gain_<task>`` for every task of
its story, ``auc_macro``, ``gain_macro``, ``seconds``),
``funrec/results/gates_map_primary.csv`` (``regime``, ``comparison``, ``mean``,
``low``, ``high``, ``p``, ``p_holm``, ``p_wilcoxon``, ``seeds``, in AUC points) and
``funrec/results/gates_map.md`` (the summary, rebuilt from the two CSVs and the
choices it records by ``--from-csv``). ``--partial`` writes them from the final runs
on disk (for a study stopped by its time budget).
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
from funrec.data.simulator import simulate_kuairand, tasks_of
from funrec.features import feature_columns
from funrec.layers import ExpertGate
from funrec.sizing import dense_params, gate_params, model_sizes, widest
from funrec.stats import format_interval, holm, paired_test

REGIMES = {
    "segments": dict(story="segments", far="restless_apart", near="segments_alike",
                     budget_width=128),
    "many_tasks": dict(story="many_tasks", far="two_groups", near="one_group",
                       budget_width=128),
    "clickbait_narrow": dict(story="clickbait", far="clickbait", near="aligned",
                             budget_width=32),
}
ARMS = ("shared_bottom", "omoe", "mmoe", "cgc", "ple", "single_task", "mmoe_profile")
PRIMARY_ARMS = {("shared_bottom", "usual"), ("omoe", "usual"), ("mmoe", "usual"),
                ("single_task", "usual"), ("mmoe_profile", "budget"),
                ("shared_bottom", "budget")}
PRIMARY = (("mmoe - shared_bottom", ("mmoe", "usual"), ("shared_bottom", "usual")),
           ("mmoe - omoe", ("mmoe", "usual"), ("omoe", "usual")),
           ("mmoe_profile - shared_bottom", ("mmoe_profile", "budget"),
            ("shared_bottom", "budget")))
LAYOUT = {"omoe": dict(num_experts=4), "mmoe": dict(num_experts=4),
          "mmoe_profile": dict(num_experts=4),
          "cgc": dict(task_experts=1, shared_experts=2),
          "ple": dict(num_levels=2, task_experts=1, shared_experts=2)}
TOWERS = (32,)
MIN_EXPERT_WIDTH = 4
PROFILE_FIELDS = ("user_active_degree", "follow_user_num_range", "register_days_range",
                  "fans_user_num_range", "onehot_feat1")
EMBEDDING_DIM = 8
FULL = dict(n_rows=300_000, seeds=10, tuning_seeds=(100, 101), learning_rates=(3e-3, 1e-2, 3e-2),
            wider_rates={3e-3: 1e-3, 3e-2: 1e-1}, epochs=6, longer_epochs=10,
            regimes=tuple(REGIMES))
QUICK = dict(n_rows=20_000, seeds=2, tuning_seeds=(100, 101), learning_rates=(1e-2, 3e-2),
             wider_rates={}, epochs=2, longer_epochs=3, regimes=("segments", "clickbait_narrow"))
RESULTS = Path(__file__).parents[1] / "funrec" / "results"
NAME = "gates_map"


class ProfileGate(ExpertGate):
    """A softmax gate that reads only the user-profile fields' embeddings (see the
    docstring): the cheap input of the ``mmoe_profile`` arm."""

    def call(self, x):
        start, stop = profile_slice()
        return super().call(x[:, start:stop])


@functools.lru_cache(maxsize=None)
def profile_slice() -> tuple[int, int]:
    """Where the profile fields sit in the embedding concatenation (fields in the
    log's column order, each ``EMBEDDING_DIM`` wide); checked, not assumed."""
    names = [c.name for c in columns("segments")]
    first = names.index(PROFILE_FIELDS[0])
    if tuple(names[first:first + len(PROFILE_FIELDS)]) != PROFILE_FIELDS:
        raise RuntimeError(f"the profile fields are not side by side in {names}")
    return first * EMBEDDING_DIM, (first + len(PROFILE_FIELDS)) * EMBEDDING_DIM


# ----------------------------------------------------------------- sizing

@functools.lru_cache(maxsize=None)
def columns(story: str) -> tuple:
    # Dense parameter counts do not depend on the vocabularies, only on the columns.
    return tuple(feature_columns(simulate_kuairand(n_users=20, n_videos=20, n_authors=5,
                                                   n_rows=400, story=story)))


def builder(arm: str) -> str:
    return "mmoe" if arm == "mmoe_profile" else arm


def gated_options(arm: str, expert_units) -> dict:
    gate = {"gate": ProfileGate} if arm == "mmoe_profile" else {}
    return dict(LAYOUT[arm], expert_units=tuple(expert_units), tower_units=TOWERS, **gate)


def sizes_of(arm: str, story: str, options: dict) -> dict:
    """``total``, ``dense`` and ``gates`` parameters of the arm on the story's tasks."""
    return model_sizes(builder(arm), list(columns(story)), list(tasks_of(story)), **options)


def dense_size(arm: str, story: str, options: dict) -> int:
    return sizes_of(arm, story, options)["dense"]


@functools.lru_cache(maxsize=None)
def arm_options(regime: str, arm: str, size: str) -> dict | None:
    """The arm's options at ``size`` in ``regime`` (None: it does not fit the budget)."""
    if arm in ("shared_bottom", "single_task"):
        width = 128 if size == "usual" else REGIMES[regime]["budget_width"]
        return dict(bottom_units=(width, width // 2), tower_units=TOWERS)
    if size == "usual":
        return gated_options(arm, (64, 32))
    story = REGIMES[regime]["story"]
    budget = dense_size("shared_bottom", story, arm_options(regime, "shared_bottom", "budget"))
    width = widest(lambda a: dense_size(arm, story, gated_options(arm, (a, a // 2))) <= budget,
                   MIN_EXPERT_WIDTH, 512)
    return None if width is None else gated_options(arm, (width, width // 2))


def cells(regime: str) -> list[tuple[str, str]]:
    """The (arm, size) pairs that run in ``regime``: a budget arm identical to the
    usual one (the Shared-Bottom where the budget is its usual size) runs once."""
    found = []
    for size in ("usual", "budget"):
        for arm in ARMS:
            if (arm, size) == ("single_task", "budget") or (size == "usual"
                                                             and arm == "mmoe_profile"):
                continue
            options = arm_options(regime, arm, size)
            if options is None or (size == "budget"
                                   and options == arm_options(regime, arm, "usual")):
                continue
            found.append((arm, size))
    return found


def same_run(regime: str, arm: str, size: str) -> str:
    """The size whose runs ``(arm, size)`` shares (itself unless deduplicated)."""
    if size == "budget" and arm_options(regime, arm, "budget") == arm_options(regime, arm,
                                                                              "usual"):
        return "usual"
    return size


def size_table(regimes) -> pd.DataFrame:
    rows = []
    for regime in regimes:
        story = REGIMES[regime]["story"]
        for size in ("usual", "budget"):
            for arm in ARMS:
                if (arm, size) in (("single_task", "budget"), ("mmoe_profile", "usual")):
                    continue  # not arms of the design
                options = arm_options(regime, arm, size)
                if options is None:
                    rows.append(dict(regime=regime, model=arm, size=size, units="does not fit"))
                    continue
                counted = sizes_of(arm, story, options)
                rows.append(dict(regime=regime, model=arm, size=size, units=units_text(options),
                                 dense_params=counted["dense"], gate_params=counted["gates"],
                                 gate_share=f"{counted['gates'] / counted['dense']:.0%}"))
    return pd.DataFrame(rows)


def units_text(options: dict) -> str:
    return " ".join(f"{k}={v.__name__ if isinstance(v, type) else v}"
                    for k, v in options.items())


def first_width(options: dict) -> int:
    return int((options.get("bottom_units") or options["expert_units"])[0])


# ----------------------------------------------------------------- running

@functools.lru_cache(maxsize=2)
def simulated(story: str, level: str, seed: int, n_rows: int):
    return simulate_kuairand(story=story, conflict=level, seed=seed, n_rows=n_rows)


def train(arm, options, data, seed, lr, epochs) -> dict:
    start = time.perf_counter()
    result = run_experiment(builder(arm), dataset=data, seed=seed, learning_rate=lr,
                            epochs=epochs, track_validation=True, show=False, **options)
    return dict(test=result.table.iloc[0].to_dict(), valid=result.valid_table.iloc[0].to_dict(),
                history={k: list(v) for k, v in result.history.items()},
                dense_params=dense_params(result.model), gate_params=gate_params(result.model),
                compiled=bool(result.config["jit_compile"]), options=units_text(options),
                seconds=time.perf_counter() - start)


class Study:
    def __init__(self, grid, cache, start):
        self.grid, self.cache, self.start = grid, cache, start

    def key(self, regime, level, arm, size, seed, lr, epochs) -> dict:
        return dict(regime=regime, level=level, model=arm, size=same_run(regime, arm, size),
                    seed=seed, learning_rate=float(lr), epochs=int(epochs),
                    n_rows=self.grid["n_rows"])

    def run(self, regime, level, arm, size, seed, lr, epochs) -> dict:
        key = self.key(regime, level, arm, size, seed, lr, epochs)
        story = REGIMES[regime]["story"]

        def compute():
            data = simulated(story, level, seed, self.grid["n_rows"])
            return train(arm, arm_options(regime, arm, size), data, seed, lr, epochs)

        record, cached = self.cache.run(key, compute)
        if record is not None and not cached:
            print(f"ran {regime:16s} {level:15s} {arm:13s} {size:6s} seed={seed:<3d} "
                  f"lr={lr:g} epochs={epochs} valid macro={record['valid']['auc_macro']:.4f} "
                  f"({record['seconds']:.1f} s; {time.perf_counter() - self.start:.0f} s so far)",
                  flush=True)
        return key

    def tuned(self, regime, arm, size) -> dict:
        """The chosen setting of one cell, with the grid extended where it binds."""
        far, grid = REGIMES[regime]["far"], self.grid
        rates, epochs, extended = list(grid["learning_rates"]), grid["epochs"], []
        while True:
            keys = [self.run(regime, far, arm, size, seed, lr, epochs)
                    for lr in rates for seed in grid["tuning_seeds"]]
            self.cache.wait_for(keys)
            records = [self.cache.get(k) for k in keys]
            frame = pd.DataFrame([dict(learning_rate=r["key"]["learning_rate"],
                                       epochs=r["key"]["epochs"],
                                       curve=r["history"]["valid_auc_macro"]) for r in records])
            best = choose_on_validation(frame, "curve")
            wider = grid["wider_rates"].get(best["learning_rate"])
            if best["epochs"] == epochs and epochs < grid["longer_epochs"]:
                epochs = grid["longer_epochs"]
                extended.append(f"epochs to {epochs}")
            elif (wider is not None and wider not in rates
                  and best["learning_rate"] in (min(rates), max(rates))):
                rates.append(wider)
                extended.append(f"rate {wider:g}")
            else:
                return best | dict(extended="; ".join(extended) or "none")

    def final(self, regime, level, arm, size, setting) -> list[dict]:
        return [self.run(regime, level, arm, size, seed, setting["learning_rate"],
                         setting["epochs"]) for seed in range(self.grid["seeds"])]


def run_study(study: Study) -> tuple[dict, list]:
    """Tune and run the cells in the design's order; the choices and the final runs' keys."""
    grid, chosen, keys = study.grid, {}, []
    every = [(regime, arm, size) for regime in grid["regimes"] for arm, size in cells(regime)]
    primary = [c for c in every if c[1:] in PRIMARY_ARMS]
    for regime, arm, size in primary:
        chosen[regime, arm, size] = study.tuned(regime, arm, size)
        keys += study.final(regime, REGIMES[regime]["far"], arm, size, chosen[regime, arm, size])
    for regime in grid["regimes"]:
        for arm in ("shared_bottom", "single_task"):
            keys += study.final(regime, REGIMES[regime]["near"], arm, "usual",
                                chosen[regime, arm, "usual"])
    for regime, arm, size in every:
        if (regime, arm, size) not in chosen:
            chosen[regime, arm, size] = study.tuned(regime, arm, size)
            keys += study.final(regime, REGIMES[regime]["far"], arm, size,
                                chosen[regime, arm, size])
    return chosen, keys


# ----------------------------------------------------------------- tables

def results_table(records, chosen, grid) -> pd.DataFrame:
    """One row per final run (a budget arm that shares the usual runs appears twice)."""
    rows = []
    by_key = {tuple(sorted(r["key"].items())): r for r in records}
    for (regime, arm, size), setting in chosen.items():
        spec = REGIMES[regime]
        levels = [spec["far"]] + ([spec["near"]] if (arm, size) in
                                  (("shared_bottom", "usual"), ("single_task", "usual")) else [])
        for level in levels:
            for seed in range(grid["seeds"]):
                key = dict(regime=regime, level=level, model=arm,
                           size=same_run(regime, arm, size), seed=seed,
                           learning_rate=float(setting["learning_rate"]),
                           epochs=int(setting["epochs"]), n_rows=grid["n_rows"])
                record = by_key.get(tuple(sorted(key.items())))
                if record is None:
                    continue
                tasks = tasks_of(spec["story"])
                rows.append(dict(
                    regime=regime, story=spec["story"], level=level, model=arm, size=size,
                    width=first_width(arm_options(regime, arm, size)), seed=seed,
                    dense_params=record["dense_params"], gate_params=record["gate_params"],
                    learning_rate=setting["learning_rate"], epochs=setting["epochs"],
                    **{f"auc_{t}": record["test"][f"auc_{t}"] for t in tasks},
                    auc_macro=record["test"]["auc_macro"], seconds=record["seconds"]))
                if size == "usual" and (arm, "budget") in PRIMARY_ARMS and same_run(
                        regime, arm, "budget") == "usual" and (regime, arm, "budget") not in chosen:
                    rows.append(rows[-1] | dict(size="budget"))
    return add_gains(pd.DataFrame(rows))


def add_gains(frame: pd.DataFrame) -> pd.DataFrame:
    """``gain_<task>``: AUC minus the single-task baseline's on the same regime, level
    and seed (NaN for the baseline itself)."""
    if frame.empty:
        return frame
    on = ["regime", "level", "seed"]
    base = frame[frame.model == "single_task"].drop_duplicates(on).set_index(on)
    index = pd.MultiIndex.from_frame(frame[on])
    for column in [c for c in frame.columns if c.startswith("auc_")]:
        gain = frame[column].to_numpy() - base[column].reindex(index).to_numpy()
        gain[frame.model.to_numpy() == "single_task"] = np.nan
        frame["gain_" + column[4:]] = gain
    return frame


def by_seed(frame, regime, level, arm, size, column) -> pd.Series:
    rows = frame[(frame.regime == regime) & (frame.level == level) & (frame.model == arm)
                 & (frame["size"] == size)]
    return rows.set_index("seed")[column]


def difference(frame, regime, level, first, second, column) -> np.ndarray:
    a, b = (by_seed(frame, regime, level, *arm, column) for arm in (first, second))
    seeds = a.index.intersection(b.index)
    return (a[seeds] - b[seeds]).to_numpy()


def primary_table(frame: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for regime in dict.fromkeys(frame.regime):
        far = REGIMES[regime]["far"]
        for name, first, second in PRIMARY:
            found = paired_test(100 * difference(frame, regime, far, first, second, "auc_macro"))
            rows.append(dict(regime=regime, comparison=name, mean=found["mean"],
                             low=found["low"], high=found["high"], p=found["p"],
                             p_wilcoxon=found["p_wilcoxon"], seeds=found["n"]))
    table = pd.DataFrame(rows)
    table.insert(6, "p_holm", holm(table.p.to_numpy()))
    return table


def secondary_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Every arm minus the Shared-Bottom of its size, per task, at the far level."""
    rows = []
    for regime in dict.fromkeys(frame.regime):
        far = REGIMES[regime]["far"]
        tasks = list(tasks_of(REGIMES[regime]["story"])) + ["macro"]
        here = frame[(frame.regime == regime) & (frame.level == far)]
        for arm, size in dict.fromkeys(zip(here.model, here["size"])):
            if arm in ("shared_bottom", "single_task"):
                continue
            rows.append(dict(regime=regime, arm=f"{arm} ({size})", seeds=len(by_seed(
                frame, regime, far, arm, size, "auc_macro")), **{
                t: format_interval(paired_test(difference(
                    frame, regime, far, (arm, size), ("shared_bottom", size), f"auc_{t}")), 100)
                for t in tasks}))
    return pd.DataFrame(rows)


def gain_split(frame: pd.DataFrame) -> pd.DataFrame:
    """The usual Shared-Bottom's gain at near and far, the fall, and the fall's parts."""
    rows = []
    for regime in dict.fromkeys(frame.regime):
        spec = REGIMES[regime]
        for t in list(tasks_of(spec["story"])) + ["macro"]:
            near, far = (by_seed(frame, regime, spec[end], "shared_bottom", "usual", f"gain_{t}")
                         for end in ("near", "far"))
            seeds = near.index.intersection(far.index)
            near, far = near[seeds].to_numpy(), far[seeds].to_numpy()
            far_interval = paired_test(far)
            rows.append(dict(
                regime=regime, task=t, near=format_interval(paired_test(near), 100),
                far=format_interval(far_interval, 100),
                fall=format_interval(paired_test(near - far), 100),
                lost_positive=f"{100 * np.mean(np.maximum(near, 0) - np.maximum(far, 0)):+.2f}",
                negative=f"{100 * np.mean(np.maximum(-far, 0)):+.2f}",
                negative_transfer="yes" if far_interval["high"] < 0 else "no", seeds=len(seeds)))
    return pd.DataFrame(rows)


def choices_table(chosen: dict) -> pd.DataFrame:
    return pd.DataFrame([dict(regime=r, model=a, size=s, learning_rate=c["learning_rate"],
                              epochs=c["epochs"], valid_auc_macro=round(c["score"], 4),
                              tuning_runs=c["runs"], extended=c["extended"])
                         for (r, a, s), c in chosen.items()])


def summarise(frame: pd.DataFrame, primary: pd.DataFrame, chosen: pd.DataFrame) -> str:
    few = (frame[frame.level.isin([REGIMES[r]["far"] for r in REGIMES])]
           .groupby(["regime", "model", "size"]).seed.nunique())
    few = few[few < 10]
    ran = set(zip(frame.regime, frame.model, frame["size"]))
    missing = [f"{r} {a} ({s})" for r in REGIMES if r in set(frame.regime)
               for a, s in cells(r) if (r, a, s) not in ran]
    shown = primary.assign(**{c: primary[c].map("{:+.2f}".format) for c in ("mean", "low", "high")},
                           **{c: primary[c].map("{:.3g}".format) for c in ("p", "p_holm",
                                                                             "p_wilcoxon")})
    sections = [
        ("# Where gates help",
         f"{len(frame)} final runs in {frame.regime.nunique()} regimes, "
         f"{frame.seconds.sum() / 3600:.2f} h of training in the final runs. AUC points "
         "(x 100), paired by seed, 95 % t intervals. Arms with fewer than 10 seeds: "
         + (", ".join(f"{r} {m} ({s}): {n}" for (r, m, s), n in few.items()) or "none")
         + ". Arms that did not run: " + (", ".join(missing) or "none") + "."),
        ("## Primary endpoints (Holm over the 9 tests)", shown.to_markdown(index=False)),
        ("## Every arm minus the Shared-Bottom of its size (far level, secondary)",
         secondary_table(frame).to_markdown(index=False)),
        ("## The usual Shared-Bottom's MTL gain, near and far (secondary)",
         gain_split(frame).to_markdown(index=False)),
        ("## Sizes", size_table(frame.regime.unique()).to_markdown(index=False)),
        ("## Chosen learning rate and epochs", chosen.to_markdown(index=False)),
    ]
    return "\n\n".join(f"{title}\n\n{body}" for title, body in sections) + "\n"


def write(out: Path, frame, chosen: dict) -> str:
    primary = primary_table(frame)
    choices = choices_table(chosen)
    frame.to_csv(out / f"{NAME}.csv", index=False)
    primary.to_csv(out / f"{NAME}_primary.csv", index=False)
    choices.to_csv(out / f"{NAME}_choices.csv", index=False)
    summary = summarise(frame, primary, choices)
    (out / f"{NAME}.md").write_text(summary)
    return summary


def main(argv=None):
    parser = study_parser(__doc__.splitlines()[0],
                          "rewrite the summary in --out from its CSVs, without a cache",
                          out_help="folder for the CSVs and the summary")
    parser.add_argument("--partial", action="store_true",
                        help="write the results from the final runs on disk, run nothing more")
    args = parser.parse_args(argv)
    if args.from_csv:
        out = Path(args.out) if args.out else RESULTS
        frame = pd.read_csv(out / f"{NAME}.csv")
        summary = summarise(frame, primary_table(frame), pd.read_csv(out / f"{NAME}_choices.csv"))
        (out / f"{NAME}.md").write_text(summary)
        print(f"rewrote {out / (NAME + '.md')} from the CSVs", file=sys.stderr)
        return
    if args.cache is None:
        parser.error("--cache is required (or --from-csv)")
    grid = QUICK if args.quick else FULL
    cache = RunCache(Path(args.cache), share=args.share)
    out = Path(args.out) if args.out else (Path(args.cache) if args.quick else RESULTS)
    out.mkdir(parents=True, exist_ok=True)
    study = Study(grid, cache, time.perf_counter())
    if args.partial:
        cache.wait_for = lambda keys, **_: None  # take what is on disk
        cache.run = lambda key, compute: (cache.get(key), True)
        chosen = {}
        for regime in grid["regimes"]:
            for arm, size in cells(regime):
                try:
                    chosen[regime, arm, size] = study.tuned(regime, arm, size)
                except TypeError:  # a tuning run is not on disk: the cell did not run
                    print(f"not run: {regime} {arm} ({size})", file=sys.stderr)
    else:
        chosen, keys = run_study(study)
        cache.wait_for(keys)
        if args.share[0] != 0:
            return  # part 1 writes the results
    frame = results_table(cache.records(), chosen, grid)
    print(write(out, frame, chosen))
    print(f"wrote {NAME}.csv, {NAME}_primary.csv, {NAME}_choices.csv and {NAME}.md in {out}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
