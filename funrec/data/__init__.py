"""Data sources; each returns a :class:`Dataset`."""

from .dataset import Dataset
from .kuairand import load_kuairand
from .simulator import (CONFLICT_LEVELS, STORIES, restless_rows, simulate_kuairand, tasks_of,
                        true_logit_correlation)
from .synthetic import synthetic_regression

__all__ = ["Dataset", "simulate_kuairand", "load_kuairand", "synthetic_regression",
           "CONFLICT_LEVELS", "STORIES", "true_logit_correlation", "restless_rows",
           "tasks_of"]
