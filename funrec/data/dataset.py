"""The one dataset type every data source in funrec returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class Dataset:
    """Feature arrays, labels keyed by task name, and a date for splitting.

    Attributes
    ----------
    features:
        Column name -> array. Categorical columns hold integer codes in
        ``1..vocab_sizes[name] - 1`` (0 is kept for "missing"); dense columns
        hold float arrays of shape ``(n, width)``.
    labels:
        Task name -> array of length ``n`` (0/1 for binary tasks).
    date:
        Integer dates such as ``20220508``; the last date is the test day.
    user_id:
        Raw user id of each row, used to group rows for GAUC.
    vocab_sizes:
        Categorical column -> number of codes including the reserved 0.
    true_probs:
        Task name -> the probability the label was drawn with, where the data
        is simulated (never a model input); ``None`` for real data.
    task_type:
        ``"binary"`` (click-like labels) or ``"regression"``.
    """

    features: dict[str, np.ndarray]
    labels: dict[str, np.ndarray]
    date: np.ndarray
    user_id: np.ndarray
    vocab_sizes: dict[str, int]
    true_probs: dict[str, np.ndarray] | None = None
    task_type: str = "binary"
    name: str = "dataset"
    description: dict = field(default_factory=dict)

    def __post_init__(self):
        n = len(self.date)
        for kind, columns in (("feature", self.features), ("label", self.labels),
                              ("true probability", self.true_probs or {})):
            for name, values in columns.items():
                if len(values) != n:
                    raise ValueError(
                        f"{kind} column {name!r} has {len(values)} rows but the dataset has {n}; "
                        "every column must have one value per row.")
        if len(self.user_id) != n:
            raise ValueError(f"user_id has {len(self.user_id)} rows but the dataset has {n}.")

    def __len__(self) -> int:
        return len(self.date)

    @property
    def tasks(self) -> list[str]:
        return list(self.labels)

    def take(self, rows: np.ndarray) -> "Dataset":
        """The rows selected by a boolean mask or an index array, in that order."""
        pick = lambda columns: {k: v[rows] for k, v in columns.items()}  # noqa: E731
        return Dataset(
            features=pick(self.features), labels=pick(self.labels),
            date=self.date[rows], user_id=self.user_id[rows],
            vocab_sizes=dict(self.vocab_sizes),
            true_probs=None if self.true_probs is None else pick(self.true_probs),
            task_type=self.task_type, name=self.name, description=dict(self.description))

    def subsample(self, fraction: float, seed: int = 0) -> "Dataset":
        """A uniformly random share of the rows (never the first N), kept in log order."""
        if not 0 < fraction <= 1:
            raise ValueError(f"fraction must be in (0, 1], got {fraction}.")
        if fraction == 1:
            return self
        rng = np.random.default_rng(seed)
        keep = np.sort(rng.choice(len(self), size=max(1, round(fraction * len(self))), replace=False))
        return self.take(keep)

    def split_by_date(self) -> tuple["Dataset", "Dataset", "Dataset"]:
        """Train, validation and test sets: the last date is the test day and the
        date before it the validation day (for choosing learning rates)."""
        days = np.unique(self.date)
        if len(days) < 3:
            raise ValueError(
                f"splitting by date needs at least 3 distinct dates, found {len(days)}: "
                "give the data a date column that spans several days.")
        test_day, valid_day = days[-1], days[-2]
        return (self.take(self.date < valid_day), self.take(self.date == valid_day),
                self.take(self.date == test_day))

    def label_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.labels)

    def summary(self) -> pd.DataFrame:
        """Rows, users and positive rate (or mean) per task: a quick look at the data."""
        return pd.DataFrame({
            "rows": [len(self)] * len(self.labels),
            "users": [len(np.unique(self.user_id))] * len(self.labels),
            "mean_label": [float(np.mean(v)) for v in self.labels.values()],
        }, index=self.tasks)
