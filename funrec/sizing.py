"""Model sizes: parameter counts, and layer widths that bring a model to a budget.

Comparisons between architectures are fair only at a matched size, and the size that
matters is the dense part (experts, gates, bottoms, towers): the embedding tables are
the same for every architecture on the same columns. ``run_experiment``'s
``param_budget`` scales the shared part by one factor (:func:`match_param_budget`);
the studies in ``benchmarks/`` search the widest layer that fits (:func:`widest`).
"""

from __future__ import annotations

import numpy as np

from ._tensorflow import keras
from .models import BUILDERS, gate_layers

SCALED_UNITS = ("bottom_units", "expert_units")  # the shared part; towers and gates stay


def dense_params(model: keras.Model) -> int:
    """Parameters outside the embedding tables: the part the architectures differ in."""
    return sum(int(np.prod(v.shape)) for v in model.weights
               if not v.path.split("/")[0].endswith("embeddings"))


def gate_params(model: keras.Model) -> int:
    """Parameters of the model's gates (0 for models without gates): a fixed cost per
    task that does not shrink with the experts' widths."""
    return int(sum(layer.count_params() for layer in gate_layers(model)))


def model_sizes(name: str, columns, tasks, task_type: str = "binary", **options) -> dict:
    """``total``, ``dense`` and ``gates`` parameters of model ``name`` built with ``options``."""
    model = BUILDERS[name](columns, tasks, task_type=task_type, **options)
    return dict(total=model.count_params(), dense=dense_params(model), gates=gate_params(model))


def scale_units(options: dict, factor: float) -> dict:
    """The options with the shared part's layer widths multiplied by ``factor``."""
    return {k: tuple(max(1, round(u * factor)) for u in v) if k in SCALED_UNITS else v
            for k, v in options.items()}


def match_param_budget(name: str, columns, tasks, budget: int, task_type: str = "binary",
                       kind: str = "total", **options) -> dict:
    """Model options with the shared part's widths (bottom or experts) scaled by one
    factor so that the model's parameter count comes as close to ``budget`` as the
    widths allow. Towers and gates keep their size. ``kind="dense"`` counts only the
    parameters outside the embedding tables."""
    def count(factor):
        return model_sizes(name, columns, tasks, task_type, **scale_units(options, factor))[kind]

    lo, hi = np.log(1 / 64), np.log(32)
    for _ in range(16):  # bisection on log(factor); counts grow with the widths
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if count(np.exp(mid)) < budget else (lo, mid)
    best = min((np.exp(lo), np.exp(hi)), key=lambda f: abs(count(f) - budget))
    return scale_units(options, best)


def widest(fits, smallest: int = 1, largest: int | None = None) -> int | None:
    """The largest whole width, from ``smallest`` up to ``largest``, for which
    ``fits(width)`` holds, or None if ``smallest`` does not fit. Counts grow with the
    width, so the search climbs one unit at a time and stops at the first misfit: the
    widths searched are a few dozen at most, and no upper bound is needed."""
    best = None
    width = smallest
    while (largest is None or width <= largest) and fits(width):
        best, width = width, width + 1
    return best
