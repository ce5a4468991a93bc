"""funrec: multi-task ranking models for the book, with data, metrics and experiments.

Not the unrelated PyPI package of the same name: install this repository.

Importing the package is quick: each name below is imported the first time it is
used, so TensorFlow loads only when a model is built or trained.
"""

from importlib import import_module

from ._tensorflow import quiet_environment

quiet_environment()  # before anything loads TensorFlow, whichever module does

_WHERE = {  # name -> the module that defines it
    "Dataset": ".data", "simulate_kuairand": ".data", "load_kuairand": ".data",
    "synthetic_regression": ".data",
    "run_experiment": ".experiment", "run_seeds": ".experiment", "ExperimentResult": ".experiment",
    "simulated_log": ".experiment",
    "format_table": ".report", "MODEL_NAMES": ".options",
    "BUILDERS": ".models", "gate_weights": ".models",
    "auc": ".metrics", "gauc": ".metrics", "evaluate": ".metrics", "lift_share": ".metrics",
    "mtl_gain": ".metrics",
    "paired_interval": ".stats", "format_interval": ".stats",
    "dense_params": ".sizing", "match_param_budget": ".sizing",
}
__all__ = list(_WHERE)
__version__ = "0.1.0"


_SUBMODULES = {"data", "diagnostics", "experiment", "features", "layers", "metrics", "models",
               "notebook", "options", "plots", "report", "results", "sizing", "stats",
               "training", "widgets"}


def __getattr__(name: str):
    if name in _SUBMODULES:  # funrec.models.shared_bottom works without importing it first
        return import_module(f".{name}", __name__)
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_WHERE[name], __name__), name)
    globals()[name] = value  # found directly next time
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
