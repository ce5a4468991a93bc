"""The lean training path: one traced step per model over tensors held in memory.

``model.fit`` is general: it wraps the data in a ``tf.data`` pipeline, runs callbacks
and metric trackers on every step, and shuffles row indices one element at a time.
The logs in this book fit in memory, so training can be much plainer:

* every feature and label column becomes one tensor, once;
* each epoch draws one permutation of the row indices with NumPy and cuts it into
  equal batches (the few rows left over change from epoch to epoch);
* one ``tf.function`` step gathers a batch's rows, computes every task's loss,
  and applies Adam. All batches have the same shape, so the step is traced once.
  A loop inside the same graph runs a whole epoch's steps in one call (one step per
  call when a progress bar or ``on_step_end`` needs to see every step);
* Adam is one fused TensorFlow op per variable (:class:`Adam`): Keras's optimizer
  builds a dozen small ops per variable, and tracing them was most of the time
  an explorer's click took for a deep PLE;
* the step takes the weights, the optimizer's state and the data as arguments
  (:meth:`Replica.state`), so the step traced for one model also trains the next
  model of the same architecture: an explorer's second click on a setting, another
  seed or another learning rate trains without tracing again (:func:`fit_replicas`'s
  ``architecture``); the loop calls the step's traced graph (its concrete function)
  directly, since ``tf.function`` would search on every call for the trace that fits
  the ~80 arguments, which matters most where the loop calls once per step (with a
  progress bar or ``on_step_end``; the saving is in benchmarks/RESULTS.md, "How
  training cost grows").

The total loss is ``sum_t w_t L_t`` with ``L_t`` the task's mean loss over the
batch and ``w_t`` the task's weight (1 unless ``loss_weights`` says otherwise), or
what a balancing method of :mod:`funrec.balance` makes of the tasks' losses.
:func:`fit_replicas` can also train several models side by side in the same step,
each with its own optimizer and row order (their numbers agree with separate runs up
to floating-point rounding). Since steps are reused, training them one after another
is as fast (benchmarks/many_seeds.py), so :func:`funrec.run_seeds` does that.
"""

from __future__ import annotations

import collections
import contextlib
import random
import sys
import time
from dataclasses import dataclass

import numpy as np

from ._tensorflow import keras, tf
from .balance import Balance, Static
from .data import Dataset
from .optimizer import Adam


@dataclass
class Replica:
    """One model to train: its optimizer and the seed of its row order."""

    model: keras.Model
    optimizer: Adam
    seed: int

    def state(self) -> dict:
        """What a traced step reads and updates: the optimizer's state (which holds the
        trainable weights) and the model's non-trainable weights."""
        return dict(self.optimizer.state,
                    non_trainable=[v.value for v in self.model.non_trainable_variables])


def seed_initial_weights(seed: int) -> None:
    """Seed the generators Keras draws initial weights from (Python's and NumPy's).

    ``keras.utils.set_random_seed`` also sets TensorFlow's global seed, which no
    funrec model uses, and setting it empties TensorFlow's cache of prepared
    functions: the next call of an already traced step then prepares it again (what
    that costs a click is in benchmarks/RESULTS.md, "The book: chapter times and
    explorer clicks")."""
    random.seed(seed)
    np.random.seed(seed)


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


def _columns(train: Dataset, tasks):
    features = {k: tf.constant(v) for k, v in train.features.items()}
    labels = {t: tf.constant(np.asarray(train.labels[t], np.float32).reshape(-1, 1))
              for t in tasks}
    return features, labels


def make_step(template: keras.Model, balance: Balance, task_type, strategy=None,
              jit_compile=False):
    """The traced training steps for models of ``template``'s architecture.

    ``run_steps(rows, columns, states)`` takes one [steps, batch] row-index tensor and one
    :meth:`Replica.state` per model, and the (features, labels) columns; it trains on
    the batches in turn and returns each model's per-task losses summed over them.
    Under a ``strategy`` it takes one batch per model, split over the devices, and
    returns the losses on it. Each model's losses come with what ``balance`` (the
    balancing method, whose state is the model's ``state["balance"]``) records of its
    steps, summed the same way. The forward pass runs ``template``'s
    layers on the weights in the state (``stateless_call``), so one trace trains any
    model of this architecture on any data of the same shape. ``jit_compile`` has
    XLA fuse the step's many small operations (compiling costs seconds once)."""
    def forward(state, batch, labels, rows):
        predictions, non_trainable = template.stateless_call(
            [tf.convert_to_tensor(v) for v in state["variables"]],
            [tf.convert_to_tensor(v) for v in state["non_trainable"]], batch, training=True)
        return {t: task_loss(tf.gather(y, rows), predictions[t], task_type)
                for t, y in labels.items()}, non_trainable

    def update(state, rows, features, labels):
        batch = {k: tf.gather(v, rows) for k, v in features.items()}
        # A persistent tape only for methods that take one gradient per task.
        with tf.GradientTape(persistent=balance.per_task_gradients) as tape:
            losses, non_trainable = forward(state, batch, labels, rows)
            total = balance.total(losses, state["balance"])
        grads, record = balance.gradients(tape, total, losses, state["variables"],
                                          state["balance"])
        if strategy is not None:  # every device applies the mean over all devices
            grads = tf.distribute.get_replica_context().all_reduce(
                tf.distribute.ReduceOp.MEAN, [tf.convert_to_tensor(g) for g in grads])
        Adam.apply(state, grads)
        balance.after_update(state["balance"], losses,
                             lambda: forward(state, batch, labels, rows)[0])
        for variable, value in zip(state["non_trainable"], non_trainable):
            variable.assign(value)
        return losses, record

    def update_all(states, rows, columns):
        return [update(s, i, *columns) for s, i in zip(states, rows)]

    # autograph off: the steps are plain Python code, converting them only costs time
    if strategy is not None:
        @tf.function(autograph=False, jit_compile=jit_compile)
        def step(rows, columns, states):
            per_device = strategy.run(lambda *rows: update_all(states, rows, columns),
                                      args=tuple(rows))
            return strategy.reduce(tf.distribute.ReduceOp.MEAN, per_device, axis=None)
        return step

    @tf.function(autograph=False, jit_compile=jit_compile)
    def run_steps(rows, columns, states):
        # A loop inside the graph: a call per epoch, not per batch, saves a call's cost
        # on every batch and lets XLA compile the whole epoch as one program.
        def body(i, sums):
            losses = update_all(states, [r[i] for r in rows], columns)
            return i + 1, tf.nest.map_structure(tf.add, sums, losses)
        zeros = [({t: tf.zeros([]) for t in columns[1]},
                  {k: tf.zeros([]) for k in balance.recorded()}) for _ in states]
        return tf.while_loop(lambda i, sums: i < tf.shape(rows[0])[0], body,
                             (tf.constant(0), zeros))[1]
    return run_steps


# The steps traced most recently, by architecture (see fit_replicas). A few are
# enough for an explorer's settings; each keeps its template model alive.
_RECENT_STEPS: collections.OrderedDict = collections.OrderedDict()
STEPS_KEPT = 8


def reusable_step(key, make):
    """The step kept under ``key``, or a new one from ``make()`` (kept when ``key``
    can be hashed; the least recently used step is let go)."""
    try:
        step = _RECENT_STEPS.pop(key)
    except KeyError:
        step = make()
    except TypeError:  # an option that cannot be hashed: trace, keep nothing
        return make()
    _RECENT_STEPS[key] = step
    while len(_RECENT_STEPS) > STEPS_KEPT:
        _RECENT_STEPS.popitem(last=False)
    return step


def forget_traced_steps() -> None:
    """Let go of every kept step, so the next training of any architecture traces anew
    (to time a first click, or to check that a reused step gives a fresh one's numbers)."""
    _RECENT_STEPS.clear()


def _split_for(strategy, rows: np.ndarray):
    """Cut a batch of row indices into one equal part per device."""
    parts = np.split(rows, strategy.num_replicas_in_sync)
    return strategy.experimental_distribute_values_from_function(
        lambda context: tf.constant(parts[context.replica_id_in_sync_group]))


def fit_replicas(replicas, train: Dataset, tasks, epochs: int, batch_size: int,
                 task_type: str = "binary", loss_weights=None, strategy=None,
                 jit_compile: bool = False, verbose: int = 0, on_epoch_end=None,
                 on_step_end=None, architecture=None, balance: Balance | None = None
                 ) -> list[dict]:
    """Train every replica for ``epochs`` passes over ``train``; one history each.

    A history holds, per epoch, the mean total loss (``loss``), each task's mean
    loss (``<task>_loss``), the epoch's wall time (``epoch_seconds``, shared by
    the replicas), the rows it trained on (``rows``: full batches only) and each
    task's weight (``weight_<task>``: the mean over the epoch's steps, with what else
    ``balance`` records, such as PCGrad's ``projected_share``).
    ``on_epoch_end(epoch, histories)`` may add entries of its own;
    ``on_step_end(step)`` is called after every step (counted over all epochs).
    ``verbose=1`` shows a progress bar per epoch, ``2`` one line per epoch.

    ``architecture``, if given, is a hashable description of the models (every
    replica's the same: :func:`funrec.run_experiment` passes the model's name, options
    and columns). A later call with the same description, loss weights and task type
    trains with the step already traced instead of tracing a new one; without a
    strategy only.

    ``balance`` is how the tasks' losses become one update (:mod:`funrec.balance`);
    by default the fixed ``loss_weights``.
    """
    if strategy is not None and batch_size % strategy.num_replicas_in_sync:
        raise ValueError(f"batch_size {batch_size} must divide evenly over the strategy's "
                         f"{strategy.num_replicas_in_sync} devices.")
    if batch_size > len(train):  # run_experiment fits the batch first; direct callers may not
        raise ValueError(f"batch_size={batch_size} is more than the {len(train):,} training "
                         f"rows; pass batch_size={len(train)} at most, or use more data.")
    if balance is None:  # the fixed weights; a task left out weighs 1
        balance = Static(tasks, task_type, loss_weights)
    if strategy is not None and not balance.with_strategy:
        raise ValueError(f"balance={balance.name!r} cannot train under a strategy: it "
                         f"needs each task's loss or gradient on one device; use the fixed "
                         f"loss weights (balance='static') or train without a strategy.")
    features, labels = _columns(train, tasks)
    with strategy_scope(strategy):  # make the slots now: a variable made while tracing retraces
        for replica in replicas:
            replica.optimizer.build(replica.model.trainable_variables)
    make = lambda: make_step(replicas[0].model, balance, task_type, strategy,  # noqa: E731
                             jit_compile)
    if architecture is None or strategy is not None:
        step = make()
    else:
        step = reusable_step((architecture, balance.key, task_type, jit_compile), make)
    with strategy_scope(strategy):
        states = [dict(replica.state(), balance=balance.make_state(
            replica.seed, replica.optimizer.learning_rate)) for replica in replicas]
    steps = len(train) // batch_size
    if strategy is None:
        # Calling the traced graph itself skips tf.function's look-up of the trace
        # that fits the ~80 arguments, which would be paid on every call: once an
        # epoch with the loop in the graph, but on every step with one call per step.
        step = step.get_concrete_function(
            [tf.TensorSpec([None, batch_size], tf.int32) for _ in replicas],
            (features, labels), states)
    # One call per epoch, unless something is to happen after every step.
    per_call = 1 if strategy is not None or on_step_end is not None or verbose == 1 else steps
    rngs = [np.random.default_rng(r.seed) for r in replicas]
    histories = [{"loss": [], **{f"{t}_loss": [] for t in tasks}, "epoch_seconds": [],
                  "rows": []} for _ in replicas]
    for epoch in range(epochs):
        for state, history in zip(states, histories):
            balance.start_epoch(state["balance"], history)
        start = time.perf_counter()
        orders = [epoch_batches(len(train), batch_size, rng) for rng in rngs]
        progress = keras.utils.Progbar(steps) if verbose == 1 else None
        sums = None
        for s in range(0, steps, per_call):
            if strategy is None:
                rows = [tf.constant(order[s:s + per_call]) for order in orders]
            else:
                rows = [_split_for(strategy, order[s]) for order in orders]
            losses = step(rows, (features, labels), states)
            # Adding tensors keeps the steps asynchronous; read them once per epoch.
            sums = losses if sums is None else tf.nest.map_structure(tf.add, sums, losses)
            if progress is not None:
                progress.update(s + 1)
            if on_step_end is not None:
                on_step_end(epoch * steps + s)
        seconds = time.perf_counter() - start
        for history, (loss_sums, recorded_sums) in zip(histories, sums):
            per_task = {t: float(v) / steps for t, v in loss_sums.items()}
            recorded = balance.epoch_record(recorded_sums, steps)
            history["loss"].append(sum(recorded[f"weight_{t}"] * per_task[t] for t in tasks))
            for t in tasks:
                history[f"{t}_loss"].append(per_task[t])
            for key, value in recorded.items():
                history.setdefault(key, []).append(value)
            history["epoch_seconds"].append(seconds)
            history["rows"].append(steps * batch_size)
        if on_epoch_end is not None:
            on_epoch_end(epoch, histories)
        if verbose == 2:
            losses = ", ".join(f"{k} {v[-1]:.4f}" for k, v in histories[0].items()
                               if k.endswith("loss"))
            print(f"epoch {epoch + 1}/{epochs}: {losses} ({seconds:.1f} s)",
                  file=sys.stderr, flush=True)
    return histories


def strategy_scope(strategy):
    """The strategy's scope, or no scope at all without one."""
    return strategy.scope() if strategy is not None else contextlib.nullcontext()


def fit(model, train: Dataset, tasks, epochs: int, batch_size: int, learning_rate: float,
        seed: int, **options) -> dict:
    """Train one model with Adam; its history (see :func:`fit_replicas`)."""
    return fit_replicas([Replica(model, Adam(learning_rate), seed)], train, tasks, epochs,
                        batch_size, **options)[0]
