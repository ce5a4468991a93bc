"""``run_experiment(name)``: data -> features -> model -> training -> metrics table."""

from __future__ import annotations

import contextlib
import functools
import inspect
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from tabulate import tabulate

from ._tensorflow import keras, tf
from .data import Dataset, simulate_kuairand
from .features import feature_columns
from .metrics import evaluate
from .models import BUILDERS, DEFAULTS, gate_weights, predict

MODEL_NAMES = tuple(BUILDERS)
SIMULATOR_OPTIONS = ("conflict", "signal", "n_users", "n_videos", "n_authors", "n_rows",
                     "data_seed")
TRAINING_OPTIONS = dict(dataset=None, tasks=None, epochs=3, batch_size=2048,
                        learning_rate=1e-2, embedding_dim=8, seed=0, sample_fraction=1.0,
                        param_budget=None, strategy=None, verbose=0, show=True)
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


def scale_units(options: dict, factor: float) -> dict:
    return {k: tuple(max(1, round(u * factor)) for u in v) if k.endswith("_units") else v
            for k, v in options.items()}


def match_param_budget(name: str, columns, tasks, budget: int, task_type: str = "binary",
                       **options) -> dict:
    """Model options with every layer width scaled by one factor so the model's
    parameter count comes as close to ``budget`` as the widths allow."""
    def count(factor):
        model = BUILDERS[name](columns, tasks, task_type=task_type,
                               **scale_units(options, factor))
        n = model.count_params()
        del model
        return n

    lo, hi = np.log(1 / 32), np.log(32)
    for _ in range(14):  # bisection on log(factor); counts grow with the widths
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if count(np.exp(mid)) < budget else (lo, mid)
    best = min((np.exp(lo), np.exp(hi)), key=lambda f: abs(count(f) - budget))
    keras.backend.clear_session()
    return scale_units(options, best)


def training_batches(train: Dataset, tasks, batch_size: int, seed: int) -> tf.data.Dataset:
    """Full batches of shuffled rows, reshuffled every epoch.

    Every batch has the same shape, so TensorFlow traces the training step once;
    a short last batch would make it trace again. The rows left over change from
    epoch to epoch, so every row is still seen."""
    arrays = ({k: tf.constant(v) for k, v in train.features.items()},
              {t: tf.constant(train.labels[t]) for t in tasks})
    return (tf.data.Dataset.range(len(train))
            .shuffle(len(train), seed=seed, reshuffle_each_iteration=True)
            .batch(batch_size, drop_remainder=True)
            .map(lambda rows: tf.nest.map_structure(lambda a: tf.gather(a, rows), arrays))
            .prefetch(tf.data.AUTOTUNE))


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
                                     dataset.task_type, **options)
        keras.utils.set_random_seed(training["seed"])

    strategy = training["strategy"]
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        model = BUILDERS[name](columns, tasks, task_type=dataset.task_type, **options)
        loss = "binary_crossentropy" if dataset.task_type == "binary" else "mse"
        model.compile(optimizer=keras.optimizers.Adam(training["learning_rate"]),
                      loss={t: loss for t in tasks})
        # Make the optimizer's slots and the per-task loss trackers now, eagerly:
        # a variable first made inside the traced step makes TensorFlow trace it twice.
        model.optimizer.build(model.trainable_variables)
        first = {k: v[:2] for k, v in train.features.items()}
        model.compute_loss(y={t: train.labels[t][:2] for t in tasks}, y_pred=model(first))

    def score(part: Dataset):
        predictions = predict(model, part.features)
        table = evaluate({t: part.labels[t] for t in tasks}, predictions, part.user_id,
                         None if part.true_probs is None else
                         {t: part.true_probs[t] for t in tasks}, dataset.task_type)
        return table, predictions

    batches = training_batches(train, tasks, training["batch_size"], training["seed"])
    history = model.fit(batches, epochs=training["epochs"], shuffle=False,  # come shuffled
                        verbose=training["verbose"])
    valid_table, _ = score(valid)
    table, predictions = score(test)

    result = ExperimentResult(
        name=name, table=table, valid_table=valid_table, model=model,
        history=history.history, n_params=model.count_params(), test=test,
        predictions=predictions,
        config=dict(model=name, **simulator, **{k: v for k, v in training.items()
                                                if k not in ("dataset", "strategy")},
                    **options, data=dataset.name))
    if training["show"]:
        print(format_table(table))
    return result
