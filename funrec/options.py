"""Every option ``run_experiment`` accepts, in one table, and :func:`resolve`, the one
place where options become the values of a run (a frozen :class:`RunConfig`), checked
before any data is drawn or any model built.

The table feeds the command line's flags (``python -m funrec run --help``), the
README's list of options and the error messages. A model's architecture defaults
live in its builder's signature (``funrec/models``) and are read from there. This
module imports no TensorFlow, so the command line answers ``--help`` at once.

Each check names the option, the value it got and what to pass instead: a
``TypeError`` for a value of the wrong kind (a bool is not a count, a string is
not a list of tasks), a ``ValueError`` for a value out of range or a request the
machine cannot hold.
"""

from __future__ import annotations

import ast
import difflib
import functools
import math
import numbers
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

MODEL_NAMES = ("shared_bottom", "omoe", "mmoe", "cgc", "ple", "single_task")
GATED = ("omoe", "mmoe", "cgc", "ple")
EXPERT_MODELS = GATED
BOTTOM_MODELS = ("shared_bottom", "single_task")
GROUPS = ("data", "training", "model")
FROM_BUILDER = object()  # an architecture option's default: read from the builder
MAX_SEED = 2**32 - 1  # NumPy's legacy seeding, used by seed_initial_weights
# funrec.balance's methods (a test checks they agree); named here, since importing
# that module loads TensorFlow. The first two keep fixed weights.
BALANCE_METHODS = ("equal", "static", "uncertainty", "gradnorm", "dwa", "pcgrad", "famo")
FIXED_WEIGHTS = ("equal", "static")


@dataclass(frozen=True)
class Option:
    """One keyword of ``run_experiment``.

    ``kind`` says how the value is checked (see :data:`CHECKS`); ``models`` lists
    the models an architecture option applies to; ``flag`` is False for options
    only Python can pass (an object, not text)."""

    name: str
    group: str
    kind: str
    default: object
    help: str
    models: tuple = MODEL_NAMES
    choices: tuple = ()
    flag: bool = True

    @property
    def flag_name(self) -> str:
        return "--" + self.name.replace("_", "-")


OPTIONS = (
    # data: the simulated log (each name is a keyword of simulate_kuairand)
    Option("conflict", "data", "conflict", 0.5,
           "how far the tasks' drivers part, 0 .. 1, or a named level: shared_drivers, "
           "partly_shared, different_drivers (drivers story); aligned, hook_ignored, "
           "clickbait (clickbait story); segments_alike, restless_drift, restless_apart "
           "(segments story); one_group, groups_drift, two_groups (many_tasks story)"),
    Option("story", "data", "choice", None,
           "what the conflict knob changes: drivers (competition for capacity, the "
           "default), clickbait (gradient conflict), segments (users who differ) or "
           "many_tasks (six tasks that part into two groups)",
           choices=(None, "drivers", "clickbait", "segments", "many_tasks")),
    Option("signal", "data", "positive", 1.0, "how predictable the labels are (> 0)"),
    Option("n_users", "data", "count", 1000, "users in the simulated log"),
    Option("n_videos", "data", "count", 2000, "videos in the simulated log"),
    Option("n_authors", "data", "count", 400, "authors of the videos"),
    Option("n_rows", "data", "count", 300_000, "impressions to simulate"),
    Option("data_seed", "data", "seed", 0, "seed of the simulated data"),
    # training
    Option("dataset", "training", "dataset", None,
           "a ready Dataset (e.g. load_kuairand(folder)) instead of simulated data; "
           "on the command line: --kuairand DIR", flag=False),
    Option("tasks", "training", "tasks", None,
           "the tasks to train, e.g. is_click,long_view (default: every label)"),
    Option("epochs", "training", "count", 3, "passes over the training days"),
    Option("batch_size", "training", "count", 2048,
           "rows per gradient step (lowered by itself on small data if not given)"),
    Option("learning_rate", "training", "positive", 1e-2, "Adam's learning rate (> 0)"),
    Option("embedding_dim", "training", "count", 8, "width of every embedding"),
    Option("embedding_init", "training", "initializer", None,
           "initializer of the embedding tables (a Keras name or object; default uniform ±0.05)",
           flag=False),
    Option("seed", "training", "seed", 0, "seed of initialisation and row order"),
    Option("sample_fraction", "training", "fraction", 1.0,
           "train and test on a uniformly random share of the rows, in (0, 1]"),
    Option("param_budget", "training", "budget", None,
           "scale layer widths so the model has about this many parameters"),
    Option("param_budget_kind", "training", "choice", "total",
           "what param_budget counts: every parameter or only the dense ones",
           choices=("total", "dense")),
    Option("loss_weights", "training", "loss_weights", None,
           "weight of each task's loss, e.g. is_click=1,long_view=2 (default 1 each)"),
    Option("balance", "training", "choice", "equal",
           "how the tasks' losses are weighed: equal, static (loss_weights; the default "
           "when they are given), uncertainty, gradnorm, dwa, pcgrad or famo "
           "(see funrec.balance)", choices=BALANCE_METHODS),
    Option("track_validation", "training", "bool", False,
           "score the validation day after every epoch"),
    Option("jit_compile", "training", "jit", "auto",
           "compile the training step with XLA, which costs seconds once and makes every "
           "step faster: True, False, or auto (compile when the run is long enough to "
           "pay it back; never with a strategy)"),
    Option("strategy", "training", "strategy", None,
           "a tf.distribute strategy to build and train under", flag=False),
    Option("verbose", "training", "choice", 0,
           "training progress: 0 none, 1 a bar per epoch, 2 a line per epoch",
           choices=(0, 1, 2)),
    Option("show", "training", "bool", True, "print the test table when done", flag=False),
    Option("on_step_end", "training", "callable", None,
           "called as on_step_end(step, model) after every training step (counted over "
           "all epochs), e.g. to log gradients; training then calls its traced step once "
           "per batch instead of once per epoch",
           flag=False),
    # model: architecture, per model
    Option("num_experts", "model", "count", FROM_BUILDER, "experts shared by the tasks",
           models=("omoe", "mmoe")),
    Option("num_levels", "model", "count", FROM_BUILDER, "extraction levels", models=("ple",)),
    Option("task_experts", "model", "count", FROM_BUILDER, "experts of each task per level",
           models=("cgc", "ple")),
    Option("shared_experts", "model", "count", FROM_BUILDER, "shared experts per level",
           models=("cgc", "ple")),
    Option("expert_units", "model", "units", FROM_BUILDER, "widths of each expert's layers",
           models=EXPERT_MODELS),
    Option("bottom_units", "model", "units", FROM_BUILDER, "widths of the bottom's layers",
           models=BOTTOM_MODELS),
    Option("tower_units", "model", "units", FROM_BUILDER, "widths of each task tower's layers"),
    Option("gate_units", "model", "units_or_empty", FROM_BUILDER,
           "hidden widths of each gate (empty: a softmax of one linear layer)",
           models=GATED),
    Option("gate", "model", "gate", FROM_BUILDER,
           "a function building the gate layer instead of the default", models=GATED,
           flag=False),
)



# ---------------------------------------------------------------- defaults from the builders

STRUCTURAL = ("columns", "tasks", "task_type", "one_gate")  # builder arguments, not options
BUILDER_SOURCES = {  # model -> (module in funrec/models, builder function)
    "shared_bottom": ("shared_bottom", "build_shared_bottom"), "omoe": ("mmoe", "build_mmoe"),
    "mmoe": ("mmoe", "build_mmoe"), "cgc": ("ple", "build_ple"), "ple": ("ple", "build_ple"),
    "single_task": ("single_task", "build_single_task")}
FIXED = {"cgc": {"num_levels"}}  # CGC is PLE with one level: not an option of cgc


@functools.lru_cache(maxsize=None)
def builder_defaults(name: str) -> dict:
    """The architecture options of model ``name`` with their defaults, as its builder's
    signature writes them. Read from the source: importing a builder loads TensorFlow."""
    module, function = BUILDER_SOURCES[name]
    tree = ast.parse((Path(__file__).parent / "models" / f"{module}.py").read_text())
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function)
    named = node.args.args[len(node.args.args) - len(node.args.defaults):]
    return {arg.arg: ast.literal_eval(default) for arg, default in zip(named, node.args.defaults)
            if arg.arg not in STRUCTURAL and arg.arg not in FIXED.get(name, ())}


OPTIONS = tuple(replace(o, default=builder_defaults(o.models[0])[o.name])
                if o.default is FROM_BUILDER else o for o in OPTIONS)
BY_NAME = {o.name: o for o in OPTIONS}
SIMULATOR_SEED = "data_seed"  # simulate_kuairand's ``seed``, renamed beside the training seed


# ---------------------------------------------------------------- checks of one value

def _example(option: Option) -> str:
    examples = {"tasks": "['is_click', 'long_view']", "budget": "60_000",
                "loss_weights": "{'is_click': 1.0, 'long_view': 2.0}", "units_or_empty": "(16,)"}
    return f"{option.name}={examples.get(option.kind, repr(option.default))}"


def _is_whole(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _whole(option: Option, value, low: int, high: int | None = None) -> int:
    span = f"of at least {low}" if high is None else f"from {low} to {high}"
    if not _is_whole(value):
        raise TypeError(f"{option.name} must be a whole number {span}, got {value!r} "
                        f"({type(value).__name__}); for example {_example(option)}.")
    if value < low or (high is not None and value > high):
        raise ValueError(f"{option.name} must be a whole number {span}, got {value!r}; "
                         f"for example {_example(option)}.")
    return int(value)


def _real(option: Option, value, test, wanted: str) -> float:
    if not _is_real(value):
        raise TypeError(f"{option.name} must be {wanted}, got {value!r} "
                        f"({type(value).__name__}); for example {_example(option)}.")
    if not math.isfinite(value) or not test(value):
        raise ValueError(f"{option.name} must be {wanted}, got {value!r}; "
                         f"for example {_example(option)}.")
    return value


def _check_count(option, value):
    return _whole(option, value, 1)


def _check_budget(option, value):
    return None if value is None else _whole(option, value, 1)


def _check_seed(option, value):
    return _whole(option, value, 0, MAX_SEED)


def _check_positive(option, value):
    return _real(option, value, lambda v: v > 0, "a finite number above 0")


def _check_fraction(option, value):
    return _real(option, value, lambda v: 0 < v <= 1, "a number in (0, 1]")


def _check_bool(option, value):
    if not isinstance(value, bool):
        raise TypeError(f"{option.name} must be True or False, got {value!r}.")
    return value


def _check_jit(option, value):
    if value == "auto" or isinstance(value, bool):
        return value
    raise ValueError(f"{option.name} must be True, False or 'auto' (compile only runs long "
                     f"enough to pay for it), got {value!r}.")


def _check_choice(option, value):
    # 1 == True in Python; a bool is never one of the choices.
    if isinstance(value, bool) or value not in option.choices:
        raise ValueError(f"{option.name} must be one of {', '.join(map(repr, option.choices))}, "
                         f"got {value!r}.")
    return value


def _check_conflict(option, value):
    from .data.simulator import CONFLICT_LEVELS

    names = [name for levels in CONFLICT_LEVELS.values() for name in levels]
    wanted = f"a number in [0, 1] or one of {', '.join(names)}"
    if isinstance(value, str):
        if value not in names:
            raise ValueError(f"conflict must be {wanted}, got {value!r}.")
        return value
    return _real(option, value, lambda v: 0 <= v <= 1, wanted)


def _check_units(option, value, allow_empty: bool = False):
    example = f"for example {_example(option)}"
    if _is_whole(value):
        raise TypeError(f"{option.name} must be a list of layer widths such as (64, 32), "
                        f"got the single number {value}; write {option.name}=({value},).")
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{option.name} must be a list of layer widths such as (64, 32), "
                        f"got {value!r} ({type(value).__name__}); {example}.")
    if any(not _is_whole(u) or u < 1 for u in value):
        raise ValueError(f"{option.name} must hold whole numbers of at least 1, "
                         f"got {value!r}; {example}.")
    if not value and not allow_empty:
        raise ValueError(f"{option.name} needs at least one layer, got an empty list; "
                         f"{example}.")
    return tuple(int(u) for u in value)


def _check_units_or_empty(option, value):
    return _check_units(option, value, allow_empty=True)


def _check_tasks(option, value):
    if value is None:
        return None
    if isinstance(value, str):
        raise TypeError(f"tasks must be a list of task names, got the string {value!r}; "
                        f"write tasks=[{value!r}].")
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"tasks must be a list of task names such as ['is_click'], "
                        f"got {value!r} ({type(value).__name__}).")
    if not value:
        raise ValueError("tasks is empty; name at least one task, e.g. tasks=['is_click'].")
    wrong = [t for t in value if not isinstance(t, str)]
    if wrong:
        raise TypeError(f"tasks must be names (strings), got {wrong!r} in {value!r}.")
    duplicated = sorted({t for t in value if value.count(t) > 1})
    if duplicated:
        raise ValueError(f"task names must be unique; {duplicated} appear more than once "
                         f"in tasks={list(value)!r}.")
    return list(value)


def _check_loss_weights(option, value):
    if value is None:
        return None
    if not isinstance(value, dict) or not value:
        raise TypeError(f"loss_weights must be a dict of task name to weight, e.g. "
                        f"{{'is_click': 1.0, 'long_view': 2.0}}, got {value!r}.")
    for task, weight in value.items():
        if not isinstance(task, str):
            raise TypeError(f"loss_weights keys must be task names, got {task!r}.")
        if not _is_real(weight):
            raise TypeError(f"loss_weights[{task!r}] must be a number, got {weight!r}.")
        if not math.isfinite(weight) or weight < 0:
            raise ValueError(f"loss_weights[{task!r}] must be a finite number of at least 0, "
                             f"got {weight!r}.")
    if not any(weight > 0 for weight in value.values()):
        raise ValueError(f"loss_weights gives every task a weight of 0, so nothing would be "
                         f"learned; give at least one task a weight above 0 (got {value!r}).")
    return dict(value)


def _check_dataset(option, value):
    from .data import Dataset

    if value is not None and not isinstance(value, Dataset):
        raise TypeError(f"dataset must be a funrec Dataset (e.g. from load_kuairand(folder)) "
                        f"or None for simulated data, got {type(value).__name__}.")
    return value


def _check_strategy(option, value):
    if value is not None and not callable(getattr(value, "scope", None)):
        raise TypeError(f"strategy must be a tf.distribute strategy (or None), "
                        f"got {type(value).__name__}.")
    return value


def _check_callable(option, value):
    if value is not None and not callable(value):
        raise TypeError(f"{option.name} must be a function (or None), "
                        f"got {type(value).__name__}.")
    return value


def _check_gate(option, value):
    if _check_callable(option, value) is None:
        return None
    from .layers import ExpertGate  # loads TensorFlow, needed only when a gate is given

    if not (isinstance(value, type) and issubclass(value, ExpertGate)):
        raise TypeError(f"gate must be a subclass of funrec.layers.ExpertGate (or None for "
                        f"the softmax gate), got {value!r}.")
    return value


def _check_initializer(option, value):
    if value is not None and not isinstance(value, str) and not callable(value):
        raise TypeError(f"{option.name} must be a Keras initializer, its name such as "
                        f"'uniform', or None; got {type(value).__name__}.")
    return value


def _check_anything(option, value):
    return value  # a simulator keyword the table does not know; the simulator checks it


CHECKS = {
    "count": _check_count, "budget": _check_budget, "seed": _check_seed,
    "positive": _check_positive, "fraction": _check_fraction, "bool": _check_bool,
    "jit": _check_jit,
    "choice": _check_choice, "conflict": _check_conflict, "units": _check_units,
    "units_or_empty": _check_units_or_empty, "tasks": _check_tasks,
    "loss_weights": _check_loss_weights, "dataset": _check_dataset,
    "strategy": _check_strategy, "callable": _check_callable, "gate": _check_gate,
    "initializer": _check_initializer, "any": _check_anything,
}


def check_value(option: Option, value):
    """The value, normalised (lists of widths become tuples), or a clear error."""
    return CHECKS[option.kind](option, value)




# ---------------------------------------------------------------- the table, per model

def check_model_name(name) -> None:
    if name not in MODEL_NAMES:
        close = difflib.get_close_matches(str(name), MODEL_NAMES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"unknown model {name!r}{hint}; choose one of "
                         f"{', '.join(MODEL_NAMES)}.")


@functools.lru_cache(maxsize=1)
def simulator_options() -> tuple[Option, ...]:
    """The data options, one per keyword simulate_kuairand takes, with its default
    (its ``seed`` named ``data_seed``): the table's entry, or for a keyword the table
    does not describe yet one made from the signature (so it works from Python
    before it has a flag)."""
    import inspect

    from .data.simulator import simulate_kuairand

    found = []
    for key, parameter in inspect.signature(simulate_kuairand).parameters.items():
        name = SIMULATOR_SEED if key == "seed" else key
        found.append(replace(BY_NAME[name], default=parameter.default) if name in BY_NAME
                     else Option(name, "data", _kind_of(parameter.default), parameter.default,
                                 "simulator option (see simulate_kuairand)"))
    return tuple(found)


def _kind_of(default) -> str:
    if isinstance(default, bool):
        return "bool"
    return {int: "count", float: "positive"}.get(type(default), "any")


def options_of(name: str) -> list[Option]:
    """Every option ``run_experiment(name, ...)`` accepts, data first, each with the
    default that model gets."""
    check_model_name(name)
    architecture = builder_defaults(name)
    return [*simulator_options(),
            *(o for o in OPTIONS if o.group == "training"),
            *(replace(o, default=architecture[o.name]) for o in OPTIONS
              if o.group == "model" and name in o.models)]


def model_options(name: str) -> dict:
    """The architecture options of ``name`` with their defaults."""
    return {o.name: o.default for o in options_of(name) if o.group == "model"}


def simulator_defaults() -> dict:
    return {o.name: o.default for o in simulator_options()}


def option_names(name: str) -> set[str]:
    """Every override ``run_experiment(name, ...)`` accepts."""
    return {o.name for o in options_of(name)}


def flag_options() -> list[Option]:
    """The options the command line takes, in table order. Read from the table
    alone, without importing the simulator, so ``--help`` answers at once."""
    return [o for o in OPTIONS if o.flag]


# ---------------------------------------------------------------- options become values

@dataclass(frozen=True)
class RunConfig:
    """Everything one run is made of, checked: what :func:`resolve` returns, and all
    that ``run_experiment`` and the command line need to train."""

    model: str
    simulator: MappingProxyType | None  # simulate_kuairand's keywords; None with a dataset
    training: MappingProxyType          # every training option with its value
    architecture: MappingProxyType      # the builder's keywords
    tasks: tuple                        # the tasks to train, each a label of the data
    loss_weights: MappingProxyType      # every task's weight
    given: frozenset                    # the options the caller set

    @property
    def dataset(self):
        return self.training["dataset"]


def resolve(name: str, overrides: dict) -> RunConfig:
    """Model ``name`` with ``overrides`` as one checked run configuration.

    Every value is checked by its kind and range, against the data's tasks (the
    simulator's, before any data is drawn, or a given dataset's) and against the
    machine's free memory; every option left out takes its default."""
    by_name = {o.name: o for o in options_of(name)}
    checked = {}
    for key, value in overrides.items():
        if key not in by_name:
            _refuse_unknown(name, key)
        checked[key] = check_value(by_name[key], value)
    given_data = [k for k in checked if by_name[k].group == "data"]
    if checked.get("dataset") is not None and given_data:
        raise ValueError(f"{', '.join(given_data)} set the simulated data, but dataset= "
                         f"gives data of its own; pass one or the other.")
    values = {o.name: checked.get(o.name, o.default) for o in by_name.values()}
    if checked.get("loss_weights") is not None and "balance" not in checked:
        values["balance"] = "static"  # as before the option: loss_weights alone are fixed
    group = lambda g: MappingProxyType({k: values[k] for k, o in by_name.items()  # noqa: E731
                                        if o.group == g})
    training = group("training")
    if training["strategy"] is not None and training["jit_compile"] is True:
        raise ValueError("jit_compile=True cannot be combined with a strategy: XLA compiles "
                         "one device's step; drop one of the two options.")
    dataset = training["dataset"]
    simulator = group("data") if dataset is None else None
    tasks = check_tasks(training["tasks"], dataset,
                        None if simulator is None else _story(simulator))
    weights = check_loss_weights(training["loss_weights"], tasks)
    check_balance(training["balance"], training["loss_weights"], training["strategy"], tasks)
    from .memory import check_memory

    check_memory(name, simulator, training, tasks)
    return RunConfig(name, simulator, training, group("model"), tasks,
                     MappingProxyType(weights), frozenset(checked))


def _story(simulator) -> str:
    """The story the simulated data will tell (a named conflict level implies one)."""
    from .data.simulator import resolve_conflict

    return resolve_conflict(simulator["conflict"], simulator["story"])[0]


def _refuse_unknown(name: str, key: str) -> None:
    elsewhere = [m for m in MODEL_NAMES if key in option_names(m)]
    if elsewhere:
        own = sorted(model_options(name))
        raise ValueError(f"unknown option {key!r} for model {name!r}: it belongs to "
                         f"{', '.join(elsewhere)}; {name}'s architecture options are "
                         f"{', '.join(own)}.")
    known = option_names(name)
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise ValueError(f"unknown option {key!r} for model {name!r}; {hint}"
                     f"valid options: {', '.join(sorted(known))}.")


# ---------------------------------------------------------------- checks against the data

def check_tasks(tasks, dataset, story: str | None = None) -> tuple:
    """The tasks to train (all labels by default), each a label of ``dataset`` (of
    the simulated log of ``story`` when ``dataset`` is None) with 0/1 labels for
    click-style tasks."""
    if dataset is None:
        from .data.simulator import tasks_of

        labels, source = tasks_of(story), f"the {story or 'drivers'} story's simulated log"
    else:
        labels, source = dataset.tasks, "the data"
    tasks = tuple(labels if tasks is None else tasks)
    missing = [t for t in tasks if t not in labels]
    if missing:
        raise ValueError(f"task(s) {missing} are not labels of {source}; "
                         f"it has {list(labels)}.")
    if dataset is not None and dataset.task_type == "binary":
        for t in tasks:
            values = sorted(set(dataset.labels[t].tolist()))
            if not set(values) <= {0, 1}:
                raise ValueError(f"labels of task {t!r} must be 0 or 1 for a click-style "
                                 f"task; found {values[:5]}. Binarise them first.")
    return tasks


def check_loss_weights(loss_weights, tasks) -> dict:
    """Every task's loss weight: 1 unless ``loss_weights`` names it, and it names only
    tasks that are trained (so the value's own check, one weight above 0, holds for them)."""
    unknown = sorted(set(loss_weights or {}) - set(tasks))
    if unknown:
        raise ValueError(f"loss_weights names {unknown}, which are not among the tasks "
                         f"trained ({list(tasks)}).")
    return {t: 1.0 for t in tasks} | dict(loss_weights or {})


def check_balance(method: str, loss_weights, strategy, tasks) -> None:
    """A balancing method that can run with the other options: only ``static`` reads
    ``loss_weights``; the learned methods need more than one task and no strategy."""
    if loss_weights is not None and method != "static":
        raise ValueError(f"loss_weights are fixed weights, but balance={method!r} "
                         f"{'weighs every task 1' if method == 'equal' else 'sets its own'}; "
                         f"pass balance='static' with them, or leave loss_weights out.")
    if method in FIXED_WEIGHTS:
        return
    if len(tasks) < 2:
        raise ValueError(f"balance={method!r} balances several tasks, but only "
                         f"{list(tasks)} is trained: there is nothing to balance; train "
                         f"more tasks or use balance='equal'.")
    if strategy is not None:
        raise ValueError(f"balance={method!r} cannot be combined with a strategy: it needs "
                         f"each task's loss or gradient on one device; use balance='equal' "
                         f"or 'static', or train without a strategy.")


def fit_batch_size(batch_size: int, train_rows: int, given: bool) -> tuple[int, str]:
    """The batch size to train with and a note when it differs from the one asked.

    A batch size above the training rows cannot make one full batch. Given by the
    caller, it is refused with the largest value that works; left at its default
    (small data, such as a sample of a real log), it is lowered to the largest power
    of two at most a tenth of the rows, so an epoch still takes several steps."""
    if batch_size <= train_rows:
        return batch_size, ""
    suggestion = 2 ** int(math.log2(max(1, train_rows // 10)))
    if given:
        raise ValueError(f"batch_size={batch_size} is more than the {train_rows:,} training "
                         f"rows; pass batch_size={train_rows} at most (e.g. {suggestion}, "
                         f"which gives several steps per epoch), or use more data.")
    return suggestion, (f"batch_size lowered from its default {batch_size} to {suggestion}: "
                        f"the data has only {train_rows:,} training rows.")
