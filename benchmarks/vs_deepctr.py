"""funrec against DeepCTR 0.9.4's multi-task models: same data, same sizes, same training.

    python benchmarks/vs_deepctr.py [--models shared_bottom,mmoe,cgc,ple] [--seeds 5]
        [--rounds 3] [--epochs 3] [--rows 300000] [--out vs_deepctr.md] [--quick]
        [--jit-compile {auto,true,false}]

Run it with funrec's venv. DeepCTR runs in a virtual environment of its own, outside
the repository (its Keras 2 code needs tf-keras and TF_USE_LEGACY_KERAS=1, which
funrec's Keras 3 must not see). Make it once with:

    python3.11 -m venv /work/venvs/deepctr
    /work/venvs/deepctr/bin/pip install deepctr==0.9.4 tensorflow-cpu==2.21.0 tf-keras==2.21.0

(or pass its interpreter with ``--deepctr-python``).

What it does. The simulated log (``simulate_kuairand(n_rows=--rows)``, 13 categorical
columns) is written once to a temporary ``.npz`` with funrec's split: train on the days
before the validation day, test on the last day (``Dataset.split_by_date``). Each round
trains every model once per framework, at seed = round number, in fresh subprocesses
run one after the other, the framework that goes first alternating between rounds.
Both sides: embedding size 8, the architecture of funrec's defaults (DeepCTR's options
derived from them, see ``deepctr_spec``), Adam at 1e-2, batch 2,048, no regularisation
(DeepCTR's embedding L2 set to 0), binary cross-entropy per task, seeded,
deterministic kernels. The parameter counts must be equal or the script stops.

Measured per run: time to a trained model (building the model, compiling, every epoch),
seconds per epoch, steady throughput (training rows per second over epochs 2..E, so
tracing, which falls in epoch 1, is left out) and test AUC per task (both sides scored
by ``funrec.metrics.auc``). funrec trains on full batches only (the remainder rows of
an epoch are left out, differently every epoch), DeepCTR on every row; each side's
throughput counts the rows it trained on. The script runs max(--rounds, --seeds)
rounds; the table gives median throughput and time ratios over all rounds and, per
task, the mean AUC, the paired difference funrec - DeepCTR with its 95 % t interval
over seeds, and each side's standard deviation over seeds.

funrec's times come from ``result.seconds`` (build + train) and
``result.history["epoch_seconds"]``, which ``run_experiment`` reports.

DeepCTR's own defaults are kept where funrec has no counterpart: its embeddings start
from N(0, 1e-4) and each DNN (expert, tower, bottom) draws its Glorot-normal kernels
from the one ``seed`` argument, so experts of equal shape start identical.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from scipy import stats

from funrec.stats import format_interval, paired_interval

DEEPCTR_PYTHON = "/work/venvs/deepctr/bin/python"
CHILD = Path(__file__).with_name("_deepctr_child.py")
MODELS = ("shared_bottom", "mmoe", "cgc", "ple")
QUICK = dict(rows=20_000, epochs=2, seeds=2, rounds=1)
FULL = dict(rows=300_000, epochs=3, seeds=5, rounds=3)
BATCH_SIZE, LEARNING_RATE, EMBEDDING_DIM = 2048, 1e-2, 8
JIT_MODES = {"auto": "auto", "true": True, "false": False}
QUIET = {"TF_CPP_MIN_LOG_LEVEL": "2"}


# ---------------------------------------------------------------- options and data

def parse_options(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default=",".join(MODELS),
                        help="comma-separated, from " + ", ".join(MODELS))
    parser.add_argument("--seeds", type=int, help=f"paired seeds for AUC (default {FULL['seeds']})")
    parser.add_argument("--rounds", type=int,
                        help=f"timing rounds (default {FULL['rounds']})")
    parser.add_argument("--epochs", type=int, help=f"default {FULL['epochs']}")
    parser.add_argument("--rows", type=int, help=f"rows of the simulated log (default {FULL['rows']})")
    parser.add_argument("--out", help="also write the tables to this markdown file")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: 20,000 rows, 2 epochs, 2 seeds")
    parser.add_argument("--deepctr-python", default=DEEPCTR_PYTHON,
                        help="interpreter of the DeepCTR venv")
    parser.add_argument("--jit-compile", default="auto", choices=("auto", "true", "false"),
                        help="funrec's jit_compile: auto (its default: XLA when the run "
                             "is long enough to pay for it), true or false")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # internal: one funrec run
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else FULL
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def check_options(args: argparse.Namespace) -> list[str]:
    """The models to run; a ValueError naming the option for anything unusable."""
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in models if m not in MODELS]
    if not models or unknown:
        raise ValueError(f"--models must name models DeepCTR also has: {', '.join(MODELS)}; "
                         f"got {args.models!r}.")
    if args.seeds < 2:
        raise ValueError(f"--seeds must be at least 2 for a paired interval, got {args.seeds}.")
    if args.rounds < 1:
        raise ValueError(f"--rounds must be at least 1, got {args.rounds}.")
    if args.epochs < 2:
        raise ValueError(f"--epochs must be at least 2: steady throughput is measured over "
                         f"epochs 2..E, got {args.epochs}.")
    if args.rows < 5 * BATCH_SIZE:
        raise ValueError(f"--rows must be at least {5 * BATCH_SIZE} so that the training days "
                         f"hold several batches of {BATCH_SIZE}, got {args.rows}.")
    if not Path(args.deepctr_python).exists():
        raise ValueError(f"--deepctr-python {args.deepctr_python} does not exist; make the "
                         "DeepCTR venv as this script's docstring says, or point to it.")
    return models


def write_data(path: Path, n_rows: int) -> dict:
    """The simulated log and funrec's date split, as arrays both frameworks read."""
    from funrec import simulate_kuairand

    data = simulate_kuairand(n_rows=n_rows)
    train, _, test = data.split_by_date()
    days = np.unique(data.date)
    train_rows = np.flatnonzero(data.date < days[-2])
    test_rows = np.flatnonzero(data.date == days[-1])
    # The index arrays stand for funrec's split; make sure they are that split.
    for part, rows in ((train, train_rows), (test, test_rows)):
        if not all(np.array_equal(part.labels[t], data.labels[t][rows]) for t in data.tasks):
            raise RuntimeError("the row indices do not reproduce Dataset.split_by_date.")
    columns = list(data.features)
    np.savez(path, columns=np.array(columns), tasks=np.array(data.tasks),
             vocab_sizes=np.array([data.vocab_sizes[c] for c in columns]),
             date=data.date, user_id=data.user_id, train_rows=train_rows, test_rows=test_rows,
             **{f"feature.{c}": v for c, v in data.features.items()},
             **{f"label.{t}": v for t, v in data.labels.items()},
             **{f"true.{t}": v for t, v in data.true_probs.items()})
    return dict(tasks=data.tasks, n_train=len(train_rows), test_labels=test.labels)


def read_dataset(path: str):
    from funrec import Dataset

    data = np.load(path)
    columns, tasks = [str(c) for c in data["columns"]], [str(t) for t in data["tasks"]]
    return Dataset(features={c: data[f"feature.{c}"] for c in columns},
                   labels={t: data[f"label.{t}"] for t in tasks},
                   date=data["date"], user_id=data["user_id"],
                   vocab_sizes=dict(zip(columns, data["vocab_sizes"].tolist())),
                   true_probs={t: data[f"true.{t}"] for t in tasks}, name="vs-deepctr")


# ---------------------------------------------------------------- the two children

def deepctr_spec(name: str) -> dict:
    """DeepCTR's builder and options for funrec's default architecture of ``name``.

    Both put a bias on every hidden layer, none on a gate's softmax layer, and end a
    tower in one logit with a bias (DeepCTR: bias-free Dense plus the PredictionLayer's
    bias). A PLE level's shared gate is left out of the last level by both."""
    from funrec.options import model_options

    o = model_options(name)
    towers = dict(tower_dnn_hidden_units=list(o["tower_units"]))
    if name == "shared_bottom":
        builder, kwargs = "SharedBottom", dict(bottom_dnn_hidden_units=list(o["bottom_units"]))
    elif name == "mmoe":
        builder, kwargs = "MMOE", dict(num_experts=o["num_experts"])
    else:  # CGC is PLE with one level, in both
        builder = "PLE"
        kwargs = dict(num_levels=o.get("num_levels", 1), specific_expert_num=o["task_experts"],
                      shared_expert_num=o["shared_experts"])
    if "expert_units" in o:
        kwargs.update(expert_dnn_hidden_units=list(o["expert_units"]),
                      gate_dnn_hidden_units=list(o["gate_units"]))
    kwargs.update(towers, l2_reg_embedding=0.0, l2_reg_dnn=0.0, dnn_dropout=0.0,
                  dnn_use_bn=False, dnn_activation="relu")
    return dict(builder=builder, kwargs=kwargs, embedding_dim=EMBEDDING_DIM)


def funrec_child(args: argparse.Namespace) -> None:
    """One funrec run through the public API; prints one JSON line."""
    from funrec import run_experiment

    child = json.loads(args.child)
    dataset = read_dataset(child["data"])
    result = run_experiment(child["model"], dataset=dataset, epochs=child["epochs"],
                            batch_size=BATCH_SIZE, learning_rate=LEARNING_RATE,
                            embedding_dim=EMBEDDING_DIM, seed=child["seed"],
                            jit_compile=JIT_MODES[child["jit_compile"]], show=False)
    print(json.dumps(dict(
        n_params=int(result.n_params),
        trained_seconds=result.seconds["build"] + result.seconds["train"],
        epoch_seconds=result.history["epoch_seconds"],
        compiled=bool(result.config["jit_compile"]),
        rows_per_epoch=result.history["rows"][0],  # full batches only
        auc={t: float(result.table[f"auc_{t}"].iloc[0]) for t in dataset.tasks})))


def run_child(command: list[str], env: dict) -> dict:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:2])} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_funrec(data: Path, name: str, seed: int, epochs: int, jit_compile: str) -> dict:
    child = json.dumps(dict(data=str(data), model=name, seed=seed, epochs=epochs,
                            jit_compile=jit_compile))
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"} | QUIET
    return run_child([sys.executable, __file__, "--child", child], env)


def run_deepctr(python: str, data: Path, name: str, seed: int, epochs: int,
                info: dict, workdir: Path) -> dict:
    from funrec.metrics import auc

    predictions = workdir / f"deepctr_{name}_{seed}.npz"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env |= QUIET | {"TF_USE_LEGACY_KERAS": "1"}
    run = run_child([python, str(CHILD), "--data", str(data), "--spec",
                     json.dumps(deepctr_spec(name)), "--seed", str(seed), "--epochs",
                     str(epochs), "--batch-size", str(BATCH_SIZE), "--learning-rate",
                     str(LEARNING_RATE), "--predictions", str(predictions)], env)
    scores = np.load(predictions)
    run["auc"] = {t: auc(info["test_labels"][t], scores[t]) for t in info["tasks"]}
    return run


def steady_throughput(run: dict, epochs: int) -> float:
    """Training rows per second over epochs 2..E, from the run's own epoch times."""
    if len(run["epoch_seconds"]) != epochs:
        raise RuntimeError(f"a run reported {len(run['epoch_seconds'])} epoch times for "
                           f"{epochs} epochs; the epoch timer missed the training loop.")
    return run["rows_per_epoch"] * (epochs - 1) / sum(run["epoch_seconds"][1:])


def paired_runs(args, models, data: Path, info: dict, workdir: Path):
    """Yield (round, model, funrec run, DeepCTR run), frameworks interleaved."""
    for round_ in range(max(args.rounds, args.seeds)):
        for name in models:
            sides = {
                "funrec": lambda: run_funrec(data, name, round_, args.epochs, args.jit_compile),
                "deepctr": lambda: run_deepctr(args.deepctr_python, data, name, round_,
                                               args.epochs, info, workdir),
            }
            order = ["funrec", "deepctr"] if round_ % 2 == 0 else ["deepctr", "funrec"]
            runs = {side: sides[side]() for side in order}
            for run in runs.values():
                run["throughput"] = steady_throughput(run, args.epochs)
            if runs["funrec"]["n_params"] != runs["deepctr"]["n_params"]:
                raise RuntimeError(f"{name}: funrec has {runs['funrec']['n_params']} parameters "
                                   f"but DeepCTR {runs['deepctr']['n_params']}; the "
                                   "architectures differ, fix deepctr_spec.")
            yield round_, name, runs["funrec"], runs["deepctr"]


# ---------------------------------------------------------------- statistics and tables

def spread_ratio(ours, theirs, level: float = 0.95) -> tuple[float, float, float]:
    """funrec's standard deviation over seeds divided by DeepCTR's, with its interval
    from the F distribution (the two sides' seed-to-seed draws are independent)."""
    ratio = np.var(ours, ddof=1) / np.var(theirs, ddof=1)
    df = (len(ours) - 1, len(theirs) - 1)
    lower = ratio / stats.f.ppf((1 + level) / 2, *df)
    upper = ratio / stats.f.ppf((1 - level) / 2, *df)
    return float(np.sqrt(ratio)), float(np.sqrt(lower)), float(np.sqrt(upper))


def speed_table(records, models) -> list[str]:
    lines = ["| model | params | funrec rows/s | DeepCTR rows/s | throughput funrec / DeepCTR "
             "| funrec s to trained | DeepCTR s to trained | time funrec / DeepCTR | rounds |",
             "|---" * 9 + "|"]
    for name in models:
        runs = [(f, d) for _, m, f, d in records if m == name]
        med = lambda values: float(np.median(values))  # noqa: E731
        lines.append(
            f"| {name} | {runs[0][0]['n_params']} "
            f"| {med([f['throughput'] for f, _ in runs]):,.0f} "
            f"| {med([d['throughput'] for _, d in runs]):,.0f} "
            f"| {med([f['throughput'] / d['throughput'] for f, d in runs]):.2f} "
            f"| {med([f['trained_seconds'] for f, _ in runs]):.1f} "
            f"| {med([d['trained_seconds'] for _, d in runs]):.1f} "
            f"| {med([f['trained_seconds'] / d['trained_seconds'] for f, d in runs]):.2f} "
            f"| {len(runs)} |")
    return lines


def auc_table(records, models, tasks) -> list[str]:
    lines = ["| model | task | funrec AUC | DeepCTR AUC | funrec - DeepCTR [95 % CI] "
             "| funrec sd | DeepCTR sd | sd ratio [95 % CI] | seeds |", "|---" * 9 + "|"]
    for name in models:
        runs = [(f, d) for _, m, f, d in records if m == name]
        for t in tasks:
            ours = np.array([f["auc"][t] for f, _ in runs])
            theirs = np.array([d["auc"][t] for _, d in runs])
            interval = format_interval(paired_interval(ours - theirs), digits=4)
            ratio, r_lo, r_hi = spread_ratio(ours, theirs)
            lines.append(f"| {name} | {t} | {ours.mean():.4f} | {theirs.mean():.4f} "
                         f"| {interval} | {ours.std(ddof=1):.4f} "
                         f"| {theirs.std(ddof=1):.4f} | {ratio:.2f} [{r_lo:.2f}, {r_hi:.2f}] "
                         f"| {len(runs)} |")
    return lines


def run_lines(records, tasks) -> list[str]:
    lines = ["| round (seed) | model | side | params | s to trained | epoch s | rows/s | "
             + " | ".join(f"AUC {t}" for t in tasks) + " |", "|---" * (7 + len(tasks)) + "|"]
    for round_, name, f, d in records:
        for side, run in (("funrec", f), ("DeepCTR", d)):
            epochs = ", ".join(f"{s:.1f}" for s in run["epoch_seconds"])
            lines.append(f"| {round_} | {name} | {side} | {run['n_params']} "
                         f"| {run['trained_seconds']:.1f} | {epochs} | {run['throughput']:,.0f} | "
                         + " | ".join(f"{run['auc'][t]:.4f}" for t in tasks) + " |")
    return lines


def compiled_note(records, models) -> str:
    """Which models' funrec runs had their step compiled by XLA (with "auto", the
    run's length decides; see funrec.experiment.XLA_BREAK_EVEN_STEPS)."""
    ways = {name: {f.get("compiled") for _, m, f, _ in records if m == name} for name in models}
    compiled = [name for name, way in ways.items() if way == {True}]
    mixed = [name for name, way in ways.items() if len(way) > 1]
    text = f"compiled with XLA: {', '.join(compiled) or 'none'}"
    return text + (f"; both ways over rounds: {', '.join(mixed)}" if mixed else "")


def report(args, models, records, info) -> str:
    setup = (f"{args.rows:,} simulated rows ({info['n_train']:,} training rows), {args.epochs} "
             f"epochs, batch {BATCH_SIZE}, Adam {LEARNING_RATE:g}, embedding {EMBEDDING_DIM}; "
             f"{max(args.rounds, args.seeds)} rounds (seeds 0..{max(args.rounds, args.seeds) - 1}); "
             f"funrec's jit_compile={args.jit_compile} ({compiled_note(records, models)})")
    return "\n".join([
        f"Setup: {setup}.", "",
        "Speed (medians over rounds; throughput over epochs 2..E; time to trained = build + "
        "compile + all epochs):", "", *speed_table(records, models), "",
        "Test AUC (means over seeds; paired difference with its 95 % t interval; funrec's "
        "standard deviation over seeds divided by DeepCTR's, with its 95 % F interval):", "",
        *auc_table(records, models, info["tasks"]), "",
        "Every run:", "",
        *run_lines(records, info["tasks"]), ""])


def main(argv=None) -> None:
    args = parse_options(argv)
    if args.child:
        funrec_child(args)
        return
    try:
        models = check_options(args)
    except ValueError as error:
        sys.exit(f"vs_deepctr.py: error: {error}")
    records = []
    with tempfile.TemporaryDirectory(prefix="vs_deepctr_") as workdir:
        data = Path(workdir) / "data.npz"
        info = write_data(data, args.rows)
        print(f"data: {args.rows:,} rows, {info['n_train']:,} training rows, written to {data}",
              flush=True)
        for round_, name, f, d in paired_runs(args, models, data, info, Path(workdir)):
            records.append((round_, name, f, d))
            print(f"round {round_} {name}: params {f['n_params']} = {d['n_params']}; "
                  f"rows/s funrec {f['throughput']:,.0f}, DeepCTR {d['throughput']:,.0f}; "
                  f"s to trained funrec {f['trained_seconds']:.1f}, "
                  f"DeepCTR {d['trained_seconds']:.1f}", flush=True)
    text = report(args, models, records, info)
    print("\n" + text)
    if args.out:
        Path(args.out).write_text(f"`python benchmarks/vs_deepctr.py "
                                  f"{' '.join(sys.argv[1:] if argv is None else argv)}`\n\n"
                                  + text)


if __name__ == "__main__":
    main()
