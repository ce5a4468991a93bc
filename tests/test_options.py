"""Bad options are refused before any data is drawn or model built, with a message
that names the option, the value and what to pass; the option table agrees with
the code it describes."""

import inspect
import math
import tracemalloc

import pytest

from funrec import memory, options, run_experiment
from funrec.options import (BY_NAME, MODEL_NAMES, OPTIONS, check_value, fit_batch_size,
                            model_options, option_names, resolve)


@pytest.fixture
def untouched(monkeypatch):
    """Fail the test if run_experiment draws data, builds a model or trains one."""
    import funrec.experiment as experiment

    def refuse(what):
        def fail(*args, **kwargs):
            raise AssertionError(f"{what} despite bad input")
        return fail

    monkeypatch.setattr(experiment, "_drawn", refuse("data was drawn"))
    monkeypatch.setattr(experiment, "feature_columns", refuse("a model was built"))
    for name in list(experiment.BUILDERS):
        monkeypatch.setitem(experiment.BUILDERS, name, refuse("a model was built"))
    monkeypatch.setattr(experiment, "fit_replicas", refuse("training started"))


def refused(error, message, model="mmoe", **overrides):
    with pytest.raises(error, match=message):
        run_experiment(model, **{"show": False, **overrides})


# ---------------------------------------------------------------- kinds: a value of the wrong type

@pytest.mark.parametrize("overrides, message", [
    (dict(num_experts=True), r"num_experts must be a whole number .* got True \(bool\)"),
    (dict(epochs=True), r"epochs must be a whole number .* got True"),
    (dict(n_rows=False), r"n_rows must be a whole number .* got False"),
    (dict(seed=True), r"seed must be a whole number .* got True"),
    (dict(param_budget=True), r"param_budget must be a whole number .* got True"),
])
def test_a_bool_is_not_a_count(untouched, overrides, message):
    refused(TypeError, message, **overrides)


@pytest.mark.parametrize("overrides, message", [
    (dict(epochs=1.5), r"epochs must be a whole number of at least 1, got 1.5 \(float\); "
                       r"for example epochs=3"),
    (dict(batch_size=2.5), r"batch_size must be a whole number .* got 2.5"),
    (dict(n_rows=2.5e4), r"n_rows must be a whole number .* got 25000.0"),
    (dict(embedding_dim=8.0), r"embedding_dim must be a whole number"),
    (dict(param_budget=6e4), r"param_budget must be a whole number"),
])
def test_a_fraction_is_not_a_count(untouched, overrides, message):
    refused(TypeError, message, **overrides)


@pytest.mark.parametrize("overrides, message", [
    (dict(learning_rate="0.01"), r"learning_rate must be a finite number above 0, got '0.01' "
                                 r"\(str\)"),
    (dict(epochs="3"), r"epochs must be a whole number .* got '3' \(str\)"),
    (dict(conflict=True), r"conflict must be a number in \[0, 1\]"),
    (dict(signal=None), r"signal must be a finite number above 0, got None"),
])
def test_text_or_none_is_not_a_number(untouched, overrides, message):
    refused(TypeError, message, **overrides)


@pytest.mark.parametrize("overrides, message", [
    (dict(tasks="is_click"), r"tasks must be a list of task names, got the string 'is_click'; "
                             r"write tasks=\['is_click'\]"),
    (dict(tasks=[1, 2]), r"tasks must be names \(strings\)"),
    (dict(tasks={"is_click"}), r"tasks must be a list of task names"),
    (dict(expert_units="64,32"), r"expert_units must be a list of layer widths .* '64,32'"),
    (dict(expert_units=64), r"expert_units must be a list .* single number 64; "
                            r"write expert_units=\(64,\)"),
])
def test_a_string_is_not_a_list(untouched, overrides, message):
    refused(TypeError, message, **overrides)


@pytest.mark.parametrize("overrides, message", [
    (dict(dataset="kuairand"), r"dataset must be a funrec Dataset .* got str"),
    (dict(strategy="mirrored"), r"strategy must be a tf.distribute strategy .* got str"),
    (dict(show="yes"), r"show must be True or False, got 'yes'"),
])
def test_an_object_of_the_wrong_kind(untouched, overrides, message):
    refused(TypeError, message, **overrides)


# ---------------------------------------------------------------- kinds: a value out of range

@pytest.mark.parametrize("value", [0, -1e-3, math.nan, math.inf])
def test_learning_rate_must_be_finite_and_positive(untouched, value):
    refused(ValueError, rf"learning_rate must be a finite number above 0, got {value}; "
                        rf"for example learning_rate=0.01", learning_rate=value)


@pytest.mark.parametrize("name, value", [
    ("epochs", 0), ("epochs", -2), ("batch_size", 0), ("embedding_dim", 0), ("n_rows", -5),
    ("n_users", 0), ("param_budget", 0), ("param_budget", -60_000), ("num_experts", 0),
])
def test_counts_and_budgets_must_be_positive(untouched, name, value):
    model = "ple" if name == "num_levels" else "mmoe"
    refused(ValueError, rf"{name} must be a whole number of at least 1, got {value}",
            model=model, **{name: value})


@pytest.mark.parametrize("overrides, message", [
    (dict(seed=-1), r"seed must be a whole number from 0 to 4294967295, got -1"),
    (dict(data_seed=2**40), r"data_seed must be a whole number from 0 to 4294967295"),
    (dict(sample_fraction=0), r"sample_fraction must be a number in \(0, 1\], got 0"),
    (dict(sample_fraction=1.5), r"sample_fraction must be a number in \(0, 1\], got 1.5"),
    (dict(sample_fraction=math.nan), r"sample_fraction must be a number in \(0, 1\], got nan"),
    (dict(conflict=2), r"conflict must be a number in \[0, 1\] or one of shared_drivers"),
    (dict(conflict=math.nan), r"conflict must be a number in \[0, 1\]"),
    (dict(conflict="high"), r"conflict must be .* got 'high'"),
    (dict(signal=-1.0), r"signal must be a finite number above 0, got -1.0"),
    (dict(verbose=5), r"verbose must be one of 0, 1, 2, got 5"),
    (dict(verbose=True), r"verbose must be one of 0, 1, 2, got True"),
    (dict(expert_units=[64, 0]), r"expert_units must hold whole numbers of at least 1"),
    (dict(expert_units=[64.0, 32]), r"expert_units must hold whole numbers of at least 1"),
    (dict(tower_units=[]), r"tower_units needs at least one layer"),
    (dict(tasks=[]), r"tasks is empty"),
    (dict(tasks=["is_click", "is_click"]), r"unique; \['is_click'\] appear more than once"),
    (dict(tasks=["is_click", "watch_time"]),
     r"\['watch_time'\] are not labels of the drivers story's simulated log"),
])
def test_values_out_of_range(untouched, overrides, message):
    refused(ValueError, message, **overrides)


# ---------------------------------------------------------------- kinds: a request too large

@pytest.mark.parametrize("overrides", [
    dict(n_rows=10**9), dict(n_users=10**9), dict(param_budget=10**12),
    dict(embedding_dim=10**6),
])
def test_a_request_larger_than_the_machine_is_refused_with_the_estimate(untouched, overrides):
    refused(ValueError, r"this run would need about [\d,.]+ GiB of memory .* but the machine "
                        r"has [\d,.]+ GiB free; lower", **overrides)


def test_the_size_check_says_how_many_rows_fit(untouched, monkeypatch):
    monkeypatch.setattr(memory, "available_memory", lambda: 2 * memory.GIB)
    with pytest.raises(ValueError, match=r"n_rows=3,000,000.* 2.0 GiB free; lower n_rows "
                                         r"\(about ([\d,]+) fit") as error:
        run_experiment("mmoe", n_rows=3_000_000, show=False)
    fit = int(error.value.args[0].split("about ")[-1].split(" fit")[0].replace(",", ""))
    config = resolve("mmoe", {})
    sizes, training, tasks = dict(config.simulator, n_rows=fit), config.training, config.tasks
    assert memory.estimate_memory("mmoe", sizes, training, tasks) <= 2 * memory.GIB
    sizes["n_rows"] = fit + 10_000
    assert memory.estimate_memory("mmoe", sizes, training, tasks) > 2 * memory.GIB


def test_the_estimate_covers_what_the_simulator_allocates():
    from funrec.data import simulate_kuairand

    sizes = dict(n_rows=200_000, n_users=50_000, n_videos=100_000, n_authors=20_000)
    tracemalloc.start()
    simulate_kuairand(**sizes)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    data_part = memory.data_bytes(sizes)
    assert peak <= data_part < 3 * peak, (peak, data_part)


def test_the_estimate_covers_what_the_many_task_story_allocates():
    from funrec.data import simulate_kuairand

    sizes = dict(n_rows=200_000, n_users=50_000, n_videos=100_000, n_authors=20_000)
    tracemalloc.start()
    simulate_kuairand(**sizes, conflict="two_groups")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    data_part = memory.data_bytes(sizes, n_tasks=6)
    assert peak <= data_part < 3 * peak, (peak, data_part)
    assert data_part == memory.data_bytes(sizes) + 3 * sizes["n_rows"] * memory.BYTES_PER_TASK_ROW


# ---------------------------------------------------------------- kinds: unknown, misplaced, clashing

@pytest.mark.parametrize("model, overrides, message", [
    ("mmeo", {}, r"unknown model 'mmeo' \(did you mean 'mmoe'\?\); choose one of"),
    ("mmoe", dict(num_expert=3), r"unknown option 'num_expert' .* did you mean 'num_experts'"),
    ("mmoe", dict(num_levels=2), r"unknown option 'num_levels' for model 'mmoe': it belongs "
                                 r"to ple"),
    ("shared_bottom", dict(expert_units=(8,)), r"'expert_units' for model 'shared_bottom'"),
])
def test_unknown_or_misplaced_options(untouched, model, overrides, message):
    refused(ValueError, message, model=model, **overrides)


def test_simulator_options_beside_a_dataset_are_refused(untouched, kuairand_dir):
    from funrec.data import load_kuairand

    refused(ValueError, r"n_rows set the simulated data, but dataset= gives data of its own",
            dataset=load_kuairand(kuairand_dir), n_rows=5000)


@pytest.mark.parametrize("value, message", [
    ({"is_click": -1.0}, r"loss_weights\['is_click'\] must be a finite number of at least 0"),
    ({"is_click": math.nan}, r"loss_weights\['is_click'\] must be a finite number"),
    ({"is_click": "2"}, r"loss_weights\['is_click'\] must be a number"),
    ({"is_click": 0.0, "long_view": 0}, r"every task a weight of 0"),
    ([1.0, 2.0], r"loss_weights must be a dict of task name to weight"),
    ({}, r"loss_weights must be a dict"),
])
def test_loss_weights_are_checked(value, message):
    with pytest.raises((TypeError, ValueError), match=message):
        check_value(BY_NAME["loss_weights"], value)


def test_loss_weights_must_name_trained_tasks(untouched):
    refused(ValueError, r"names \['watch_time'\], which are not among",
            loss_weights={"watch_time": 1.0}, tasks=["is_click"])
    refused(ValueError, r"every task a weight of 0", loss_weights={"is_click": 0.0},
            tasks=["is_click"])


def test_loss_weights_are_resolved_for_every_trained_task():
    config = resolve("mmoe", dict(loss_weights={"long_view": 2.0}))
    assert dict(config.loss_weights) == {"is_click": 1.0, "is_like": 1.0, "long_view": 2.0}


def test_gate_must_be_callable():
    with pytest.raises(TypeError, match="gate must be a function"):
        check_value(BY_NAME["gate"], "softmax")


def test_a_resolved_run_cannot_be_changed():
    config = resolve("ple", {"epochs": 1})
    assert config.training["epochs"] == 1 and config.architecture["num_levels"] == 2
    with pytest.raises(TypeError):
        config.training["epochs"] = 5
    with pytest.raises(AttributeError):
        config.model = "mmoe"


# ---------------------------------------------------------------- batch size against the data

def test_a_batch_larger_than_the_data_says_which_value_to_pass():
    with pytest.raises(ValueError, match=r"batch_size=2048 is more than the 1,511 training "
                                         r"rows; pass batch_size=1511 at most \(e.g. 128"):
        fit_batch_size(2048, 1511, given=True)
    assert fit_batch_size(512, 1511, given=True) == (512, "")


def test_the_default_batch_adapts_to_small_data(kuairand_dir, capsys):
    from funrec.data import load_kuairand

    result = run_experiment("shared_bottom", dataset=load_kuairand(kuairand_dir), epochs=1,
                            show=False)
    train_rows = len(load_kuairand(kuairand_dir).split_by_date()[0])
    assert result.config["batch_size"] == fit_batch_size(2048, train_rows, False)[0] < 2048
    assert f"batch_size lowered from its default 2048" in capsys.readouterr().err


def test_a_given_batch_larger_than_the_data_is_refused_before_building(kuairand_dir,
                                                                       monkeypatch):
    import funrec.experiment as experiment
    from funrec.data import load_kuairand

    monkeypatch.setattr(experiment, "feature_columns",
                        lambda *a, **k: pytest.fail("a model was built"))
    with pytest.raises(ValueError, match=r"batch_size=4096 is more than the \d+ training rows"):
        run_experiment("mmoe", dataset=load_kuairand(kuairand_dir), batch_size=4096)


# ---------------------------------------------------------------- the table and the code agree

def test_model_names_are_the_builders():
    from funrec.models import BUILDERS

    assert tuple(BUILDERS) == MODEL_NAMES


STRUCTURAL = {"columns", "tasks", "task_type", "kwargs", "one_gate"}


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_model_options_are_the_builders_keywords_with_its_defaults(name):
    from funrec.models import BUILDERS

    full = {"omoe": "mmoe", "cgc": "ple"}.get(name, name)  # thin wrappers of the full model
    taken = {k: p.default for k, p in inspect.signature(BUILDERS[full]).parameters.items()
             if k not in STRUCTURAL}
    if name == "cgc":
        del taken["num_levels"]  # CGC is PLE with one level
    assert model_options(name) == taken


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_a_builder_called_with_its_defaults_builds_the_model_of_that_name(name, small_log):
    from funrec.features import feature_columns
    from funrec.models import BUILDERS

    assert BUILDERS[name](feature_columns(small_log), ["is_click"]).name == name


def test_an_option_shared_by_several_models_has_one_default():
    for option in OPTIONS:
        if option.group == "model":
            assert {repr(model_options(m)[option.name]) for m in option.models} == \
                {repr(option.default)}, option.name


def test_data_options_are_the_simulators_keywords_with_its_defaults():
    from funrec.data import simulate_kuairand

    parameters = inspect.signature(simulate_kuairand).parameters
    in_signature = {("data_seed" if k == "seed" else k): p.default for k, p in parameters.items()}
    in_table = {o.name: o.default for o in OPTIONS if o.group == "data"}
    missing = set(in_signature) - set(in_table)
    assert not missing, f"simulate_kuairand takes {missing}: describe them in funrec/options.py"
    assert in_table == in_signature


def test_conflict_help_names_every_level():
    from funrec.data import CONFLICT_LEVELS

    assert all(level in BY_NAME["conflict"].help for level in CONFLICT_LEVELS)


def test_story_and_conflict_help_name_every_story_and_level():
    from funrec.data import CONFLICT_LEVELS, STORIES

    assert set(BY_NAME["story"].choices) == {None, *STORIES}
    for story, levels in CONFLICT_LEVELS.items():
        assert story in BY_NAME["story"].help
        assert all(level in BY_NAME["conflict"].help for level in levels)


# ---------------------------------------------------------------- the tasks of the story

MANY = ("is_click", "is_like", "long_view", "is_follow", "is_comment", "is_forward")


@pytest.mark.parametrize("data", [dict(conflict="two_groups"), dict(conflict="one_group"),
                                  dict(story="many_tasks"),
                                  dict(story="many_tasks", conflict=0.3)])
def test_the_many_task_story_trains_its_six_tasks_by_default(data):
    config = resolve("mmoe", data)
    assert config.tasks == MANY
    assert dict(config.loss_weights) == {t: 1.0 for t in MANY}


def test_tasks_are_checked_against_the_story_s_tasks(untouched):
    refused(ValueError, r"task\(s\) \['is_follow'\] are not labels of the drivers story's "
                        r"simulated log; it has \['is_click', 'is_like', 'long_view'\]",
            tasks=["is_click", "is_follow"])
    refused(ValueError, r"\['is_hate'\] are not labels of the many_tasks story's simulated "
                        r"log; it has \['is_click', 'is_like', 'long_view', 'is_follow', "
                        r"'is_comment', 'is_forward'\]",
            conflict="two_groups", tasks=["is_hate"])
    config = resolve("mmoe", dict(conflict="two_groups", tasks=["is_follow", "is_click"]))
    assert config.tasks == ("is_follow", "is_click")


def test_a_level_of_another_story_is_refused_before_any_data(untouched):
    refused(ValueError, r"'two_groups' belongs to the 'many_tasks' story, not 'drivers'",
            conflict="two_groups", story="drivers")


@pytest.mark.parametrize("name", ["single_task", "mmoe"])
def test_the_memory_estimate_counts_the_story_s_tasks(name):
    three, six = (resolve(name, data) for data in ({}, dict(conflict="two_groups")))
    estimate = lambda c: memory.estimate_memory(  # noqa: E731
        name, dict(c.simulator), c.training, c.tasks)
    assert len(six.tasks) == 6
    assert estimate(six) - estimate(three) >= 3 * 300_000 * memory.BYTES_PER_TASK_ROW


def test_every_option_has_a_check_and_a_group():
    assert all(o.kind in options.CHECKS and o.group in options.GROUPS for o in OPTIONS)
    assert len(BY_NAME) == len(OPTIONS)


def test_defaults_pass_their_own_checks():
    for option in OPTIONS:
        assert check_value(option, option.default) == option.default, option.name


def test_run_experiment_accepts_every_option_of_the_table():
    for name in MODEL_NAMES:
        expected = {o.name for o in OPTIONS if o.group != "model" or name in o.models}
        assert option_names(name) == expected, name


def test_readme_lists_the_options_of_the_table():
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "scripts" / "readme_options.py"
    spec = importlib.util.spec_from_file_location("readme_options", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = module.README.read_text()
    assert module.with_options(text) == text, "run: python scripts/readme_options.py"
