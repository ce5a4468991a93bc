"""``run_experiment(name)``: data -> features -> model -> training -> metrics table."""

from __future__ import annotations

import contextlib
import functools
import inspect
import time
from dataclasses import dataclass, field

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from tabulate import tabulate

from .data import Dataset, simulate_kuairand
from .features import feature_columns
from .layers import ExpertGate
from .metrics import evaluate
from .models import BUILDERS, DEFAULTS, gate_weights, predict
from .training import fit


MODEL_NAMES = tuple(BUILDERS)
SIMULATOR_OPTIONS = ("conflict", "signal", "n_users", "n_videos", "n_authors", "n_rows",
                     "data_seed")
TRAINING_OPTIONS = dict(dataset=None, tasks=None, epochs=3, batch_size=2048,
                        learning_rate=1e-2, embedding_dim=8, seed=0, sample_fraction=1.0,
                        param_budget=None, param_budget_kind="total", loss_weights=None,
                        track_validation=False, strategy=None, verbose=0, show=True)
COUNT_OPTIONS = ("num_experts", "num_levels", "task_experts", "shared_experts")


@dataclass
class ExperimentResult:
    """What one run produced: its metrics table and everything behind it."""

    name: str
    table: pd.DataFrame
    valid_table: pd.DataFrame
    model: keras.Model
    history: dict
    config: dict
    n_params: int
    test: Dataset = field(repr=False)
    predictions: dict = field(repr=False)
    seconds: dict = field(default_factory=dict)  # build, train and score wall times

    def gate_weights(self, max_rows: int | None = None) -> dict:
        """Gate weights on the test rows (see :func:`funrec.models.gate_weights`)."""
        rows = slice(None) if max_rows is None else slice(0, max_rows)
        return gate_weights(self.model, {k: v[rows] for k, v in self.test.features.items()})

    def __str__(self) -> str:
        return format_table(self.table)


def format_table(table: pd.DataFrame) -> str:
    """The table as the source chapter prints it: a grid, four decimals."""
    return tabulate(table, headers="keys", tablefmt="grid", showindex=False, floatfmt=".4g")


@functools.lru_cache(maxsize=4)
def _simulated(conflict, signal, n_users, n_videos, n_authors, n_rows, data_seed) -> Dataset:
    # The explorers re-run models on the same data many times; draw it once.
    return simulate_kuairand(n_users=n_users, n_videos=n_videos, n_authors=n_authors,
                             n_rows=n_rows, conflict=conflict, signal=signal, seed=data_seed)


def simulator_defaults() -> dict:
    parameters = inspect.signature(simulate_kuairand).parameters
    defaults = {k: parameters[k].default for k in SIMULATOR_OPTIONS if k in parameters}
    defaults["data_seed"] = parameters["seed"].default
    return defaults


def model_options(name: str) -> dict:
    """The architecture options of ``name`` with their defaults."""
    parameters = inspect.signature(BUILDERS[name]).parameters
    options = {k: p.default for k, p in parameters.items()
               if k not in ("columns", "tasks", "task_type", "kwargs", "one_gate")}
    if name in ("omoe", "cgc"):  # thin wrappers: their options are those of the full model
        options = model_options("mmoe" if name == "omoe" else "ple")
        options.pop("num_levels", None)
    return {**options, **DEFAULTS[name]}


def _check_name(name: str) -> None:
    if name not in BUILDERS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}.")


def _check_model_options(options: dict) -> None:
    gate = options.get("gate")
    if gate is not None and not (isinstance(gate, type) and issubclass(gate, ExpertGate)):
        raise TypeError(f"gate must be a subclass of funrec.layers.ExpertGate (or None for "
                        f"the softmax gate), got {gate!r}.")
    for key in COUNT_OPTIONS:
        if key in options and (not isinstance(options[key], (int, np.integer))
                               or options[key] < 1):
            raise ValueError(f"{key} must be a whole number of at least 1, got {options[key]!r}.")
    for key, units in options.items():
        if key.endswith("_units"):
            if isinstance(units, (int, np.integer)):
                raise ValueError(f"{key} must be a list of layer widths such as (64, 32), "
                                 f"got the single number {units}.")
            if any(not isinstance(u, (int, np.integer)) or u < 1 for u in units):
                raise ValueError(f"{key} must hold whole numbers of at least 1, got {units!r}.")
            if key != "gate_units" and len(units) == 0:
                raise ValueError(f"{key} needs at least one layer, got an empty list.")


def _check_tasks(tasks, dataset: Dataset) -> list[str]:
    tasks = list(dataset.tasks if tasks is None else tasks)
    if not tasks:
        raise ValueError("tasks is empty; name at least one task, e.g. tasks=['is_click'].")
    duplicated = sorted({t for t in tasks if tasks.count(t) > 1})
    if duplicated:
        raise ValueError(f"task names must be unique; {duplicated} appear more than once.")
    missing = [t for t in tasks if t not in dataset.labels]
    if missing:
        raise ValueError(f"task(s) {missing} are not labels of the data; "
                         f"it has {dataset.tasks}.")
    if dataset.task_type == "binary":
        for t in tasks:
            values = np.unique(dataset.labels[t])
            if not set(values.tolist()) <= {0, 1}:
                raise ValueError(f"labels of task {t!r} must be 0 or 1 for a click-style "
                                 f"task; found {values[:5].tolist()}. Binarise them first.")
    return tasks


def option_names(name: str) -> set[str]:
    """Every override ``run_experiment(name, ...)`` accepts."""
    return set(simulator_defaults()) | set(TRAINING_OPTIONS) | set(model_options(name))


def split_options(name: str, overrides: dict) -> tuple[dict, dict, dict]:
    """Sort overrides into simulator, training and model options, refusing unknown ones."""
    _check_name(name)
    simulator, training, model = simulator_defaults(), dict(TRAINING_OPTIONS), model_options(name)
    for key, value in overrides.items():
        for group in (simulator, training, model):
            if key in group:
                group[key] = value
                break
        else:
            valid = sorted(option_names(name))
            raise ValueError(f"unknown option {key!r} for model {name!r}; "
                             f"valid options: {', '.join(valid)}.")
    for key, value in model.items():
        if key.endswith("_units") and isinstance(value, list):
            model[key] = tuple(value)
    _check_model_options(model)
    return simulator, training, model


SCALED_UNITS = ("bottom_units", "expert_units")  # the shared part; towers and gates stay


def scale_units(options: dict, factor: float) -> dict:
    """The options with the shared part's layer widths multiplied by ``factor``."""
    return {k: tuple(max(1, round(u * factor)) for u in v) if k in SCALED_UNITS else v
            for k, v in options.items()}


def dense_params(model: keras.Model) -> int:
    """Parameters outside the embedding tables: the part the architectures differ in."""
    return sum(int(np.prod(v.shape)) for v in model.weights
               if not v.path.split("/")[0].endswith("embeddings"))


def match_param_budget(name: str, columns, tasks, budget: int, task_type: str = "binary",
                       kind: str = "total", **options) -> dict:
    """Model options with the shared part's widths (bottom or experts) scaled by one
    factor so that the model's parameter count comes as close to ``budget`` as the
    widths allow. Towers and gates keep their size. ``kind="dense"`` counts only the
    parameters outside the embedding tables."""
    def count(factor):
        model = BUILDERS[name](columns, tasks, task_type=task_type,
                               **scale_units(options, factor))
        n = dense_params(model) if kind == "dense" else model.count_params()
        del model
        return n

    lo, hi = np.log(1 / 64), np.log(32)
    for _ in range(16):  # bisection on log(factor); counts grow with the widths
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if count(np.exp(mid)) < budget else (lo, mid)
    best = min((np.exp(lo), np.exp(hi)), key=lambda f: abs(count(f) - budget))
    keras.backend.clear_session()
    return scale_units(options, best)


def run_experiment(name: str, **overrides) -> ExperimentResult:
    """Train model ``name`` and print its test table (AUC, GAUC, users counted).

    ``name`` is one of ``shared_bottom, omoe, mmoe, cgc, ple, single_task``.
    Overrides reach the data (``conflict``, ``n_rows``, ..., or a ready
    ``dataset=``), the training (``epochs``, ``learning_rate``, ``seed``,
    ``param_budget``, ``strategy``, ...) and the model (``num_experts``,
    ``num_levels``, ``expert_units``, ...). Same arguments, same table.
    """
    simulator, training, options = split_options(name, overrides)
    dataset = training["dataset"]
    if dataset is None:
        dataset = _simulated(**simulator)
    elif not isinstance(dataset, Dataset):
        raise TypeError(f"dataset must be a funrec Dataset (e.g. from load_kuairand), "
                        f"got {type(dataset).__name__}.")
    tasks = _check_tasks(training["tasks"], dataset)
    if not 0 < training["sample_fraction"] <= 1:
        raise ValueError(f"sample_fraction must be in (0, 1], got {training['sample_fraction']}.")

    # One clean graph per run keeps memory flat when explorers call this repeatedly.
    keras.backend.clear_session()  # (and collects garbage)
    keras.utils.set_random_seed(training["seed"])
    tf.config.experimental.enable_op_determinism()

    data = dataset.subsample(training["sample_fraction"], seed=training["seed"])
    train, valid, test = data.split_by_date()
    if not 1 <= training["batch_size"] <= len(train):
        raise ValueError(f"batch_size must be between 1 and the {len(train)} training rows, "
                         f"got {training['batch_size']}; lower it or use more data.")
    columns = feature_columns(data, training["embedding_dim"])
    if training["param_budget"]:
        options = match_param_budget(name, columns, tasks, int(training["param_budget"]),
                                     dataset.task_type, training["param_budget_kind"],
                                     **options)
        keras.utils.set_random_seed(training["seed"])

    def score(part: Dataset):
        predictions = predict(model, part.features)
        table = evaluate({t: part.labels[t] for t in tasks}, predictions, part.user_id,
                         None if part.true_probs is None else
                         {t: part.true_probs[t] for t in tasks}, dataset.task_type)
        return table, predictions

    def track_validation(epoch, histories):
        row = score(valid)[0].iloc[0]
        for column in row.index:
            if column.startswith(("auc_", "mse_")):
                histories[0].setdefault(f"valid_{column}", []).append(float(row[column]))

    strategy = training["strategy"]
    start = time.perf_counter()
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        model = BUILDERS[name](columns, tasks, task_type=dataset.task_type, **options)
    built = time.perf_counter()
    history = fit(model, train, tasks, training["epochs"], training["batch_size"],
                  training["learning_rate"], training["seed"], task_type=dataset.task_type,
                  loss_weights=training["loss_weights"], strategy=strategy,
                  verbose=training["verbose"],
                  on_epoch_end=track_validation if training["track_validation"] else None)
    trained = time.perf_counter()
    valid_table, _ = score(valid)
    table, predictions = score(test)
    seconds = dict(build=built - start, train=trained - built,
                   score=time.perf_counter() - trained)

    result = ExperimentResult(
        name=name, table=table, valid_table=valid_table, model=model,
        history=history, n_params=model.count_params(), test=test,
        predictions=predictions, seconds=seconds,
        config=dict(model=name, **simulator, **{k: v for k, v in training.items()
                                                if k not in ("dataset", "strategy")},
                    **options, data=dataset.name))
    if training["show"]:
        print(format_table(table))
    return result
