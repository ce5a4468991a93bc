"""``run_experiment(name)``: data -> features -> model -> training -> metrics table."""

from __future__ import annotations

import contextlib
import functools
import sys
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._tensorflow import keras, tf
from .data import Dataset, simulate_kuairand
from .features import feature_columns
from .metrics import evaluate
from .models import BUILDERS, gate_weights, predict
from .options import (MODEL_NAMES, check_tasks, fit_batch_size, model_options, option_names,
                      simulator_defaults, split_options)
from .report import format_table

__all__ = ["run_experiment", "ExperimentResult", "format_table", "MODEL_NAMES",
           "model_options", "option_names", "simulator_defaults", "split_options"]


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


@functools.lru_cache(maxsize=4)
def _simulated(data_seed, **simulator) -> Dataset:
    # The explorers re-run models on the same data many times; draw it once.
    return simulate_kuairand(seed=data_seed, **simulator)


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
    simulator, training, options = split_options(name, overrides)  # before any data
    dataset = training["dataset"]
    if dataset is None:
        dataset = _simulated(**simulator)
    tasks = check_tasks(training["tasks"], dataset)

    # One clean graph per run keeps memory flat when explorers call this repeatedly.
    keras.backend.clear_session()  # (and collects garbage)
    keras.utils.set_random_seed(training["seed"])
    tf.config.experimental.enable_op_determinism()

    data = dataset.subsample(training["sample_fraction"], seed=training["seed"])
    train, valid, test = data.split_by_date()
    training["batch_size"], note = fit_batch_size(training["batch_size"], len(train),
                                                  given="batch_size" in overrides)
    if note:
        print(f"note: {note}", file=sys.stderr)
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
