"""Results of the long benchmarks, shipped with the package so every chapter (also in
Colab) can plot them. Each file is written by the command in ``PRODUCED_BY``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

PRODUCED_BY = {
    # Each ran as two one-thread processes on one cache (the scripts' --share, see their
    # docstrings). One process of two threads runs the same grid, but its tables differ in
    # the last digits: the thread count changes float rounding, which training grows.
    "capacity_conflict": "python benchmarks/capacity_conflict.py --cache .cache/capacity_conflict",
    "mmoe_synthetic": "python benchmarks/mmoe_synthetic.py --cache .cache/mmoe_synthetic",
    "gates_map": "python benchmarks/gates_map.py --cache .cache/gates_map",
    "gates_map_primary": "python benchmarks/gates_map.py --cache .cache/gates_map",
    "gates_map_choices": "python benchmarks/gates_map.py --cache .cache/gates_map",
}

# The design each shipped table was made with: the grid (the script's ``FULL``) that the
# command in ``PRODUCED_BY`` ran. The book quotes the design from here rather than typing
# it; tests/test_results_design.py checks it against the scripts.
DESIGN = {
    "capacity_conflict": dict(widths=(16, 32, 128),
                              levels=("shared_drivers", "partly_shared", "different_drivers"),
                              seeds=10, middle_seeds=5, learning_rates=(3e-3, 1e-2, 3e-2),
                              max_epochs=4, n_rows=300_000),
    "mmoe_synthetic": dict(correlations=(0.5, 0.9, 1.0), learning_rates=(1e-4, 1e-3, 1e-2),
                           tuning_seeds=5, seeds=10, epochs=15, n_rows=120_000,
                           batch_size=256),
    "gates_map": dict(n_rows=300_000, seeds=10, tuning_seeds=(100, 101),
                      learning_rates=(3e-3, 1e-2, 3e-2), wider_rates={3e-3: 1e-3, 3e-2: 1e-1},
                      epochs=6, longer_epochs=10,
                      regimes=("segments", "many_tasks", "clickbait_narrow")),
}

# The columns the book relies on in each study's table.
REQUIRED_COLUMNS = {
    "capacity_conflict": ("model", "width", "conflict", "seed", "gain_macro", "gain_is_click",
                          "gain_is_like", "gain_long_view", "dense_params", "learning_rate",
                          "epochs"),
    "mmoe_synthetic": ("model", "correlation", "seed", "train_rows", "test_mse", "train_mse",
                       "dead_tower_units", "train_loss_1"),
    "gates_map": ("regime", "story", "level", "model", "size", "width", "seed", "dense_params",
                  "learning_rate", "epochs", "auc_is_click", "gain_is_click", "auc_macro",
                  "gain_macro"),
    "gates_map_primary": ("regime", "comparison", "mean", "low", "high", "p_holm", "seeds"),
}


def load(name: str, folder=None) -> pd.DataFrame:
    """Every run of benchmark ``name`` (one row per run) as a DataFrame, from the
    package's shipped results or from ``folder`` (where a benchmark wrote them)."""
    if name not in PRODUCED_BY:
        raise ValueError(f"unknown result {name!r}; available: {', '.join(PRODUCED_BY)}.")
    base = resources.files(__package__) if folder is None else Path(folder)
    path = base / f"{name}.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{name}.csv is missing from {base}; "
                                f"produce it with: {PRODUCED_BY[name]}")
    with path.open() as handle:
        return pd.read_csv(handle)


def missing_columns(name: str, frame: pd.DataFrame) -> list[str]:
    """The columns of ``REQUIRED_COLUMNS[name]`` that ``frame`` lacks."""
    return [c for c in REQUIRED_COLUMNS.get(name, ()) if c not in frame.columns]
