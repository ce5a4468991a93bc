"""``run_experiment(name)``: data -> features -> model -> training -> metrics table."""

from __future__ import annotations

import functools
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._tensorflow import keras, tf
from .balance import make_balance
from .data import Dataset, simulate_kuairand
from .features import feature_columns
from .metrics import evaluate
from .models import BUILDERS, architecture, gate_weights, predict
from .options import RunConfig, fit_batch_size, resolve
from .report import format_table
from .sizing import match_param_budget
from .training import Adam, Replica, fit_replicas, seed_initial_weights, strategy_scope

__all__ = ["run_experiment", "run_seeds", "run_config", "ExperimentResult", "simulated_log"]


@dataclass
class ExperimentResult:
    """What one run produced: its metrics table and everything behind it."""

    name: str
    table: pd.DataFrame
    model: keras.Model
    history: dict
    config: dict
    n_params: int
    test: Dataset = field(repr=False)
    predictions: dict = field(repr=False)
    valid: Dataset = field(repr=False)
    tasks: list = field(repr=False)
    seconds: dict = field(default_factory=dict)  # build, train and score wall times
    _valid_table: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def valid_table(self) -> pd.DataFrame:
        """The validation day's table, scored when first asked for (so from the model as
        it is then): the explorers never ask, and scoring a day would lengthen each of
        their clicks (by how much: benchmarks/RESULTS.md, explorer clicks)."""
        if self._valid_table is None:
            self._valid_table = score(self.model, self.valid, self.tasks)[0]
        return self._valid_table

    def gate_weights(self, max_rows: int | None = None) -> dict:
        """Gate weights on the test rows (see :func:`funrec.models.gate_weights`)."""
        rows = slice(None) if max_rows is None else slice(0, max_rows)
        return gate_weights(self.model, {k: v[rows] for k, v in self.test.features.items()})

    def __str__(self) -> str:
        return format_table(self.table)


def score(model: keras.Model, part: Dataset, tasks) -> tuple[pd.DataFrame, dict]:
    """The model's metrics table and its predictions on one part of a log."""
    predictions = predict(model, part.features)
    table = evaluate({t: part.labels[t] for t in tasks}, predictions, part.user_id,
                     None if part.true_probs is None else
                     {t: part.true_probs[t] for t in tasks}, part.task_type)
    return table, predictions


@functools.lru_cache(maxsize=4)
def _drawn(data_seed, **simulator) -> Dataset:
    # The explorers re-run models on the same data many times; draw it once.
    return simulate_kuairand(seed=data_seed, **simulator)


def simulated_log(**data) -> Dataset:
    """The simulated log ``run_experiment(name, **data)`` trains on: drawn once, then
    shared with every run on the same data options (``conflict``, ``n_rows``, ...)."""
    simulator = resolve("shared_bottom", data).simulator
    others = sorted(set(data) - set(simulator))
    if others:
        raise ValueError(f"simulated_log takes data options only, got {others}.")
    return _drawn(**simulator)


# Steps of training after which a step compiled by XLA has paid for its compiling, per
# architecture at its default size on the default log (benchmarks/xla_break_even.py;
# RESULTS.md, "When XLA pays"). Below them, as in an explorer's click, tracing alone is
# quicker; above them, as in three default epochs of a gated model, compiling is.
XLA_BREAK_EVEN_STEPS = {"shared_bottom": 870, "omoe": 240, "mmoe": 310, "cgc": 250,
                        "ple": 280, "single_task": 220}


def compiles_step(name: str, jit_compile, steps: int, strategy=None) -> bool:
    """Whether a run of model ``name`` that trains ``steps`` steps has its step compiled
    by XLA: as ``jit_compile`` says if True or False; for ``"auto"``, when ``steps``
    reach the architecture's break-even, never with a strategy.

    ``steps`` are one seed's: ``run_seeds`` compiles once for all its seeds, so it
    would pay sooner, but deciding per seed keeps each seed's numbers those of its
    own ``run_experiment`` (XLA's fused arithmetic rounds differently)."""
    if jit_compile != "auto":
        return jit_compile
    return strategy is None and steps >= XLA_BREAK_EVEN_STEPS[name]


def on_model_step(hook, model: keras.Model):
    """``hook(step, model)`` (run_experiment's ``on_step_end``) as the training loop's
    ``on_step_end(step)`` for one model, or None without a hook."""
    return None if hook is None else lambda step: hook(step, model)


def run_experiment(name: str, **overrides) -> ExperimentResult:
    """Train model ``name`` and print its test table (AUC, GAUC, users counted).

    ``name`` is one of ``shared_bottom, omoe, mmoe, cgc, ple, single_task``.
    Overrides reach the data (``conflict``, ``n_rows``, ..., or a ready
    ``dataset=``), the training (``epochs``, ``learning_rate``, ``seed``,
    ``param_budget``, ``strategy``, ...) and the model (``num_experts``,
    ``num_levels``, ``expert_units``, ...). Same arguments, same table.
    """
    return run_seeds(name, seeds=None, **overrides)[0]


def run_seeds(name: str, seeds=(0, 1, 2, 3, 4), **overrides) -> list[ExperimentResult]:
    """:func:`run_experiment` once per seed: the same numbers, one result per seed.

    The seeds' models are trained one after another by the same traced step
    (funrec.training), which costs no more than training them side by side in one
    step did (benchmarks/many_seeds.py) and, unlike that, gives each seed exactly
    the numbers of its own run. All seeds see the same data (drawn, or subsampled,
    with the first seed). ``seeds=None`` runs the ``seed`` option alone.
    """
    return run_config(resolve(name, overrides), seeds)  # every option checked before any data


def run_config(config: RunConfig, seeds=None) -> list[ExperimentResult]:
    """Train and score the run ``config`` describes (see :func:`funrec.options.resolve`),
    once per seed (``seeds=None``: the ``seed`` option alone)."""
    name, training, options = config.model, dict(config.training), dict(config.architecture)
    seeds = [training["seed"]] if seeds is None else list(seeds)
    if not seeds or any(isinstance(s, bool) or not isinstance(s, (int, np.integer))
                        or s < 0 for s in seeds):
        raise ValueError(f"seeds must be a non-empty list of whole numbers >= 0, got {seeds!r}.")
    if training["strategy"] is not None and len(seeds) > 1:
        raise ValueError("a distribution strategy trains one seed at a time; "
                         "call run_experiment once per seed.")
    dataset = config.dataset
    if dataset is None:
        dataset = _drawn(**config.simulator)
    tasks = list(config.tasks)

    # No keras.backend.clear_session() here: it would also empty TensorFlow's cache
    # of prepared functions, where the reused training steps live (funrec.training).
    # Without it memory grows by under 1 MiB a call (benchmarks/memory.py).
    tf.config.experimental.enable_op_determinism()

    data = dataset.subsample(training["sample_fraction"], seed=seeds[0])
    train, valid, test = data.split_by_date()
    training["batch_size"], note = fit_batch_size(training["batch_size"], len(train),
                                                  given="batch_size" in config.given)
    if note:
        print(f"note: {note}", file=sys.stderr)
    columns = feature_columns(data, training["embedding_dim"], training["embedding_init"])
    if training["param_budget"]:
        options = match_param_budget(name, columns, tasks, int(training["param_budget"]),
                                     dataset.task_type, training["param_budget_kind"],
                                     **options)

    def track_validation(model):
        def record(epoch, histories):
            row = score(model, valid, tasks)[0].iloc[0]
            for column in row.index:
                if column.startswith(("auc_", "mse_")):
                    histories[0].setdefault(f"valid_{column}", []).append(float(row[column]))
        return record

    strategy = training["strategy"]
    start = time.perf_counter()
    replicas = []
    for seed in seeds:
        seed_initial_weights(seed)
        with strategy_scope(strategy):
            model = BUILDERS[name](columns, tasks, task_type=dataset.task_type, **options)
        replicas.append(Replica(model, Adam(training["learning_rate"]), seed))
    built = time.perf_counter()
    described = architecture(name, columns, tasks, **options)
    asked = training["jit_compile"]
    training["jit_compile"] = compiles_step(
        name, asked, training["epochs"] * (len(train) // training["batch_size"]), strategy)
    balance = make_balance(training["balance"], tasks, dataset.task_type,
                           dict(config.loss_weights))
    histories = [fit_replicas(
        [replica], train, tasks, training["epochs"], training["batch_size"],
        task_type=dataset.task_type, loss_weights=dict(config.loss_weights),
        strategy=strategy, jit_compile=training["jit_compile"], verbose=training["verbose"],
        on_epoch_end=track_validation(replica.model) if training["track_validation"] else None,
        on_step_end=on_model_step(training["on_step_end"], replica.model),
        architecture=described, balance=balance)[0] for replica in replicas]
    trained = time.perf_counter()

    results = []
    for replica, history in zip(replicas, histories):
        scored = time.perf_counter()
        table, predictions = score(replica.model, test, tasks)
        seconds = dict(build=(built - start) / len(seeds), train=(trained - built) / len(seeds),
                       score=time.perf_counter() - scored)
        results.append(ExperimentResult(
            name=name, table=table, model=replica.model, history=history,
            n_params=replica.model.count_params(), test=test, predictions=predictions,
            valid=valid, tasks=tasks, seconds=seconds,
            config=dict(model=name, **(config.simulator or {}),
                        **{k: v for k, v in training.items()
                           if k not in ("dataset", "strategy", "seed", "on_step_end")},
                        jit_compile_option=asked, seed=replica.seed, **options,
                        data=dataset.name)))
        if training["show"]:
            print(f"{name} (seed {replica.seed}, {replica.model.count_params():,} parameters)")
            print(format_table(table))
    return results
