"""funrec: multi-task ranking models for the book, with data, metrics and experiments.

Not the unrelated PyPI package of the same name: install this repository.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow loads: quiet notebooks

from .data import Dataset, load_kuairand, simulate_kuairand, synthetic_regression
from .experiment import MODEL_NAMES, ExperimentResult, format_table, run_experiment
from .metrics import auc, evaluate, gauc, lift_share, mtl_gain
from .models import BUILDERS, gate_weights

__all__ = ["Dataset", "simulate_kuairand", "load_kuairand", "synthetic_regression",
           "run_experiment", "ExperimentResult", "format_table", "MODEL_NAMES", "BUILDERS",
           "gate_weights", "auc", "gauc", "evaluate", "lift_share", "mtl_gain"]
__version__ = "0.1.0"
