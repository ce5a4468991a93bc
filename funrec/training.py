"""The lean training path: one traced step per model over tensors held in memory.

``model.fit`` is general: it wraps the data in a ``tf.data`` pipeline, runs callbacks
and metric trackers on every step, and shuffles row indices one element at a time.
The logs in this book fit in memory, so training can be much plainer:

* every feature and label column becomes one tensor, once;
* each epoch draws one permutation of the row indices with NumPy and cuts it into
  equal batches (the few rows left over change from epoch to epoch);
* one ``tf.function`` step gathers a batch's rows, computes every task's loss,
  and applies Adam. All batches have the same shape, so the step is traced once.

The total loss is ``sum_t w_t L_t`` with ``L_t`` the task's mean loss over the
batch and ``w_t`` the task's weight (1 unless ``loss_weights`` says otherwise).
:func:`fit_replicas` trains several models side by side in the same step, each
with its own optimizer and row order, so a study of many seeds pays Python's
and TensorFlow's per-step overhead once for all of them.
"""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from .data import Dataset


@dataclass
class Replica:
    """One model to train: its optimizer and the seed of its row order."""

    model: keras.Model
    optimizer: keras.optimizers.Optimizer
    seed: int


def epoch_batches(n_rows: int, batch_size: int, rng: np.random.Generator) -> np.ndarray:
    """One epoch's row indices as a [steps, batch_size] array: a fresh permutation
    cut into full batches (the remainder is left out, a different one each epoch)."""
    steps = n_rows // batch_size
    return rng.permutation(n_rows)[:steps * batch_size].reshape(steps, batch_size).astype(
        np.int32)


def task_loss(labels, predictions, task_type: str):
    """Mean binary cross-entropy (click-like tasks) or squared error (regression)."""
    if task_type == "binary":
        return keras.ops.mean(keras.losses.binary_crossentropy(labels, predictions))
    return keras.ops.mean(keras.ops.square(labels - predictions))


def resolve_loss_weights(tasks, loss_weights) -> dict:
    """Every task's loss weight: 1 unless ``loss_weights`` names it."""
    weights = {t: 1.0 for t in tasks}
    weights.update(loss_weights or {})
    return weights


def _columns(train: Dataset, tasks):
    features = {k: tf.constant(v) for k, v in train.features.items()}
    labels = {t: tf.constant(np.asarray(train.labels[t], np.float32).reshape(-1, 1))
              for t in tasks}
    return features, labels


def make_step(replicas, features, labels, weights, task_type, strategy=None):
    """The traced training step: ``step(rows)`` with one [batch] index tensor per
    replica; returns each replica's per-task losses on that batch."""
    def update(replica, rows):
        batch = {k: tf.gather(v, rows) for k, v in features.items()}
        with tf.GradientTape() as tape:
            predictions = replica.model(batch, training=True)
            losses = {t: task_loss(tf.gather(y, rows), predictions[t], task_type)
                      for t, y in labels.items()}
            total = keras.ops.sum([weights[t] * losses[t] for t in losses])
            if strategy is not None:  # the optimizer sums the replicas' gradients
                total = total / strategy.num_replicas_in_sync
        variables = replica.model.trainable_variables
        replica.optimizer.apply_gradients(zip(tape.gradient(total, variables), variables))
        return losses

    @tf.function
    def step(rows):
        if strategy is None:
            return [update(r, i) for r, i in zip(replicas, rows)]
        per_device = strategy.run(lambda *rs: [update(r, i) for r, i in zip(replicas, rs)],
                                  args=tuple(rows))
        return strategy.reduce(tf.distribute.ReduceOp.MEAN, per_device, axis=None)

    return step


def _split_for(strategy, rows: np.ndarray):
    """Cut a batch of row indices into one equal part per device."""
    parts = np.split(rows, strategy.num_replicas_in_sync)
    return strategy.experimental_distribute_values_from_function(
        lambda context: tf.constant(parts[context.replica_id_in_sync_group]))


def fit_replicas(replicas, train: Dataset, tasks, epochs: int, batch_size: int,
                 task_type: str = "binary", loss_weights=None, strategy=None,
                 verbose: int = 0, on_epoch_end=None) -> list[dict]:
    """Train every replica for ``epochs`` passes over ``train``; one history each.

    A history holds, per epoch, the mean total loss (``loss``), each task's mean
    loss (``<task>_loss``) and the epoch's wall time (``epoch_seconds``, shared by
    the replicas). ``on_epoch_end(epoch, histories)`` may add entries of its own.
    ``verbose=1`` shows a progress bar per epoch, ``2`` one line per epoch.
    """
    if strategy is not None and batch_size % strategy.num_replicas_in_sync:
        raise ValueError(f"batch_size {batch_size} must divide evenly over the strategy's "
                         f"{strategy.num_replicas_in_sync} devices.")
    weights = resolve_loss_weights(tasks, loss_weights)
    features, labels = _columns(train, tasks)
    with _scope(strategy):  # make the slots now: a variable made while tracing retraces
        for replica in replicas:
            replica.optimizer.build(replica.model.trainable_variables)
    step = make_step(replicas, features, labels, weights, task_type, strategy)
    rngs = [np.random.default_rng(r.seed) for r in replicas]
    steps = len(train) // batch_size
    histories = [{"loss": [], **{f"{t}_loss": [] for t in tasks}, "epoch_seconds": []}
                 for _ in replicas]
    for epoch in range(epochs):
        start = time.perf_counter()
        orders = [epoch_batches(len(train), batch_size, rng) for rng in rngs]
        progress = keras.utils.Progbar(steps) if verbose == 1 else None
        sums = None
        for s in range(steps):
            rows = [order[s] for order in orders]
            if strategy is not None:
                rows = [_split_for(strategy, r) for r in rows]
            losses = step(rows)
            # Adding tensors keeps the step asynchronous; read them once per epoch.
            sums = losses if sums is None else tf.nest.map_structure(tf.add, sums, losses)
            if progress is not None:
                progress.update(s + 1)
        seconds = time.perf_counter() - start
        for history, replica_sums in zip(histories, sums):
            per_task = {t: float(v) / steps for t, v in replica_sums.items()}
            history["loss"].append(sum(weights[t] * per_task[t] for t in tasks))
            for t in tasks:
                history[f"{t}_loss"].append(per_task[t])
            history["epoch_seconds"].append(seconds)
        if on_epoch_end is not None:
            on_epoch_end(epoch, histories)
        if verbose == 2:
            losses = ", ".join(f"{k} {v[-1]:.4f}" for k, v in histories[0].items()
                               if k.endswith("loss"))
            print(f"epoch {epoch + 1}/{epochs}: {losses} ({seconds:.1f} s)",
                  file=sys.stderr, flush=True)
    return histories


def _scope(strategy):
    return strategy.scope() if strategy is not None else contextlib.nullcontext()


def fit(model, train: Dataset, tasks, epochs: int, batch_size: int, learning_rate: float,
        seed: int, strategy=None, **options) -> dict:
    """Train one model with Adam; its history (see :func:`fit_replicas`)."""
    with _scope(strategy):
        optimizer = keras.optimizers.Adam(learning_rate)
    return fit_replicas([Replica(model, optimizer, seed)], train, tasks, epochs, batch_size,
                        strategy=strategy, **options)[0]
