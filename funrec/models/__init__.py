"""One builder per architecture, a registry of them, and tools to look inside."""

from __future__ import annotations

import numpy as np

from .._tensorflow import keras
from ..layers import ExpertGate
from .mmoe import build_mmoe, build_omoe
from .ple import build_cgc, build_ple
from .shared_bottom import build_shared_bottom
from .single_task import build_single_task

# Each builder's options and the defaults run_experiment gives them: funrec.options.
BUILDERS = {
    "shared_bottom": build_shared_bottom,
    "omoe": build_omoe,
    "mmoe": build_mmoe,
    "cgc": build_cgc,
    "ple": build_ple,
    "single_task": build_single_task,
}


def architecture(name: str, columns, tasks, **options) -> tuple:
    """A hashable description of ``BUILDERS[name](columns, tasks, **options)``: models
    with the same one have the same layers and shapes, so funrec.training trains them
    all with one traced step (``fit_replicas``'s ``architecture``)."""
    return (name, tuple(columns), tuple(tasks), tuple(sorted(options.items())))


def gate_layers(model: keras.Model) -> list[ExpertGate]:
    return [layer for layer in model.layers if isinstance(layer, ExpertGate)]


def predict(model: keras.Model, features: dict, batch_size: int = 8192):
    """The model's outputs for ``features`` as NumPy arrays, computed in batches.

    Runs the model eagerly: ``model.predict`` traces a new graph for every new
    model, which cost more than the prediction itself for the explorers' small
    models, and gives the same numbers."""
    n_rows = len(next(iter(features.values())))
    parts = [model({k: v[i:i + batch_size] for k, v in features.items()}, training=False)
             for i in range(0, n_rows, batch_size)]
    return keras.tree.map_structure(
        lambda *batches: np.concatenate([keras.ops.convert_to_numpy(b) for b in batches]),
        *parts)


def gate_weights(model: keras.Model, features: dict, batch_size: int = 4096) -> dict:
    """Gate weights for a batch of rows: ``{(level, task): (expert_names, array)}``
    with one row per input row and one column per expert. Empty for models
    without gates (Shared-Bottom, single-task)."""
    gates = gate_layers(model)
    if not gates:
        return {}
    probe = keras.Model(model.inputs, [g.output for g in gates])
    arrays = predict(probe, features, batch_size)
    if not isinstance(arrays, (list, tuple)):  # a one-output model gives a bare array
        arrays = [arrays]
    return {(g.level, g.task): (g.expert_names, np.asarray(a)) for g, a in zip(gates, arrays)}
