"""Looking inside trained multi-task models: do the tasks' gradients agree on the
shared weights, and how do the gates use their experts?"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from ._tensorflow import keras, tf
from .experiment import run_experiment, simulated_log


def shared_variables(model: keras.Model) -> list:
    """The weights every task's loss reaches: the shared bottom, or all experts and
    the embeddings for gated models."""
    def is_shared(path):
        top = path.split("/")[0]  # the layer that owns the variable
        return top in ("embeddings", "expert") or top.endswith(("shared", "shared_bottom"))

    found = [v for v in model.trainable_variables if is_shared(v.path)]
    if not found:
        raise ValueError(f"model {model.name!r} has no shared weights to measure.")
    return found


def task_gradients(model: keras.Model, features: dict, labels: dict, variables=None) -> dict:
    """Each task's loss gradient on ``variables`` (default: the shared ones), flattened."""
    variables = shared_variables(model) if variables is None else variables
    loss_fn = keras.losses.BinaryCrossentropy()
    # One forward pass serves every task: the tape is kept for all their gradients.
    with tf.GradientTape(persistent=True) as tape:
        predictions = model(features, training=False)
        losses = {task: loss_fn(np.asarray(labels[task], dtype="float32").reshape(-1, 1),
                                predictions[task])
                  for task in labels}
    grads = {}
    for task, loss in losses.items():
        parts = tape.gradient(loss, variables)
        grads[task] = np.concatenate([tf.convert_to_tensor(g).numpy().ravel()
                                      for g in parts if g is not None])
    del tape
    return grads


def gradient_cosines(model: keras.Model, features: dict, labels: dict, variables=None) -> dict:
    """cos(grad L_i, grad L_j) on the shared weights for every pair of tasks.

    A negative cosine means one step that helps task i hurts task j on those weights:
    the conflict behind negative transfer."""
    grads = task_gradients(model, features, labels, variables)
    return {(a, b): float(grads[a] @ grads[b]
                          / (np.linalg.norm(grads[a]) * np.linalg.norm(grads[b]) + 1e-12))
            for a, b in itertools.combinations(grads, 2)}


class GradientCosineLog:
    """Records :func:`gradient_cosines` on a fixed probe batch every ``every`` training
    steps: pass it as ``run_experiment``'s ``on_step_end``, which calls it with the step
    and the model in training."""

    def __init__(self, features: dict, labels: dict, every: int = 20):
        self.features, self.labels, self.every = features, labels, every
        self.records = []

    def __call__(self, step: int, model: keras.Model) -> None:
        if step % self.every == 0:
            for pair, cosine in gradient_cosines(model, self.features, self.labels).items():
                self.records.append(dict(step=step, pair=" vs ".join(pair), cosine=cosine))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.records)


PROBE_ROWS = 2048  # the first training rows; the same probe for every logged step


def train_with_cosines(conflict, n_rows=60_000, epochs=2, batch_size=1024, every=4,
                       bottom_units=(128, 64), seed=0, story=None):
    """Train a Shared-Bottom on a simulated log, logging gradient cosines on a probe batch.
    ``conflict`` and ``story`` choose the log (see :func:`funrec.simulate_kuairand`);
    ``seed`` the initialisation and row order.

    Returns the cosines (one column per pair of tasks, one row per logged step),
    the trained model and the test day."""
    data = dict(n_rows=n_rows, conflict=conflict, story=story)
    probe = simulated_log(**data).split_by_date()[0].take(np.arange(PROBE_ROWS))
    log = GradientCosineLog(probe.features, probe.labels, every=every)
    result = run_experiment("shared_bottom", **data, epochs=epochs, batch_size=batch_size,
                            learning_rate=1e-2, seed=seed, bottom_units=bottom_units,
                            on_step_end=log, show=False)
    cosines = log.frame().pivot(index="step", columns="pair", values="cosine")
    return cosines, result.model, result.test


def expert_utilisation(gates: dict) -> pd.DataFrame:
    """Per gate: mean weight per expert, the entropy of that mean (log K = even use,
    0 = one expert takes all), and the largest share (near 1 = collapsed gate)."""
    rows = []
    for (level, task), (names, weights) in gates.items():
        mean = weights.mean(axis=0)
        rows.append(dict(level=level, task=task,
                         **{f"w_{n}": float(m) for n, m in zip(names, mean)},
                         entropy=float(-(mean * np.log(mean + 1e-12)).sum()),
                         max_share=float(mean.max())))
    return pd.DataFrame(rows)
