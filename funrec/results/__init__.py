"""Results of the long benchmarks, shipped with the package so every chapter (also in
Colab) can plot them. Each file is written by the script named in its docstring entry."""

from __future__ import annotations

from importlib import resources

import pandas as pd

PRODUCED_BY = {
    "conflict_study": "python benchmarks/conflict_study.py",
    "mmoe_synthetic": "python benchmarks/mmoe_synthetic.py",
}


def load(name: str) -> pd.DataFrame:
    """Every run of benchmark ``name`` (one row per run) as a DataFrame."""
    if name not in PRODUCED_BY:
        raise ValueError(f"unknown result {name!r}; available: {', '.join(PRODUCED_BY)}.")
    path = resources.files(__package__) / f"{name}.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{name}.csv is missing from funrec/results; "
                                f"produce it with: {PRODUCED_BY[name]}")
    with path.open() as handle:
        return pd.read_csv(handle)
