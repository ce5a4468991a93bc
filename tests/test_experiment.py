import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from funrec import run_experiment
from funrec.options import MODEL_NAMES

QUICK = dict(n_users=200, n_videos=300, n_authors=60, n_rows=20_000, epochs=1,
             batch_size=512, show=False)


@pytest.fixture(scope="module")
def mmoe_result():
    return run_experiment("mmoe", **QUICK)


def test_table_has_the_source_chapter_columns_plus_the_oracle(mmoe_result):
    tasks = ["is_click", "is_like", "long_view"]
    expected = ([f"auc_{t}" for t in tasks] + ["auc_macro"] + [f"gauc_{t}" for t in tasks]
                + ["gauc_macro"] + [f"val_user_{t}" for t in tasks]
                + [f"oracle_auc_{t}" for t in tasks])
    assert list(mmoe_result.table.columns) == expected
    row = mmoe_result.table.iloc[0]
    assert all(0.5 < row[f"auc_{t}"] <= row[f"oracle_auc_{t}"] + 0.02 for t in tasks)
    assert 0 < row.val_user_is_like <= row.val_user_is_click <= 200


def test_result_exposes_history_model_and_gate_weights(mmoe_result):
    assert len(mmoe_result.history["loss"]) == 1
    assert len(mmoe_result.history["epoch_seconds"]) == 1
    assert set(mmoe_result.seconds) == {"build", "train", "score"}
    gates = mmoe_result.gate_weights(max_rows=100)
    assert len(gates) == 3 and gates[(0, "is_click")][1].shape == (100, 4)
    assert mmoe_result.n_params == mmoe_result.model.count_params()


def test_same_arguments_give_the_same_table_in_one_process(mmoe_result):
    again = run_experiment("mmoe", **QUICK)
    pd.testing.assert_frame_equal(mmoe_result.table, again.table)


def test_same_arguments_give_the_same_table_in_another_process(mmoe_result):
    code = ("from funrec import run_experiment; import json;"
            f"r = run_experiment('mmoe', **{QUICK!r});"
            "print(json.dumps(r.table.iloc[0].to_dict()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()[-1]
    other = pd.Series(pd.read_json(__import__("io").StringIO(f"[{out}]")).iloc[0])
    for column, value in mmoe_result.table.iloc[0].items():
        assert other[column] == pytest.approx(value, abs=1e-12), column


def test_a_three_level_ple_trains_the_same_model_three_times():
    # Four processes once gave four different sets of weights here (see mix_experts).
    setting = dict(n_rows=30_000, epochs=1, batch_size=512, num_levels=3, show=False)
    first, *others = (run_experiment("ple", **setting) for _ in range(3))
    for other in others:
        pd.testing.assert_frame_equal(first.table, other.table)
        for a, b in zip(first.model.get_weights(), other.model.get_weights()):
            np.testing.assert_array_equal(a, b)


def test_another_seed_gives_another_model(mmoe_result):
    other = run_experiment("mmoe", seed=1, **QUICK)
    assert other.table.auc_is_click.iloc[0] != mmoe_result.table.auc_is_click.iloc[0]


def test_overrides_reach_the_data_and_the_architecture():
    result = run_experiment("ple", conflict="clickbait", num_levels=3, task_experts=2,
                            shared_experts=1, expert_units=[16], **QUICK)
    assert result.config["conflict"] == "clickbait"
    assert sorted({level for level, _ in result.gate_weights(max_rows=5)}) == [0, 1, 2]


def test_a_gate_class_can_replace_the_softmax_gate():
    import keras

    from funrec.layers import ExpertGate
    from funrec.models import gate_layers

    class SoftGate(ExpertGate):  # a temperature of 4 flattens the weights
        def call(self, x):
            return keras.ops.softmax(self.logits(x) / 4.0, axis=-1)

    result = run_experiment("cgc", gate=SoftGate, **{**QUICK, "n_rows": 5000})
    assert gate_layers(result.model) and all(isinstance(g, SoftGate)
                                             for g in gate_layers(result.model))
    with pytest.raises(TypeError, match="gate must be a subclass of funrec.layers.ExpertGate"):
        run_experiment("mmoe", gate=lambda x: x, **QUICK)


def test_validation_can_be_tracked_after_every_epoch():
    result = run_experiment("shared_bottom", track_validation=True, **{**QUICK, "epochs": 2})
    assert len(result.history["valid_auc_macro"]) == 2
    assert result.history["valid_auc_macro"][-1] == pytest.approx(
        result.valid_table.auc_macro.iloc[0])


def test_param_budget_keeps_the_towers_and_can_count_dense_parameters():
    from funrec.sizing import dense_params

    result = run_experiment("mmoe", param_budget=5_000, param_budget_kind="dense",
                            **{**QUICK, "n_rows": 5000})
    assert result.config["tower_units"] == (32,)
    assert abs(dense_params(result.model) - 5_000) / 5_000 < 0.1
    assert dense_params(result.model) < result.n_params


def test_param_budget_brings_models_to_about_the_same_size():
    sizes = {name: run_experiment(name, param_budget=60_000, **{**QUICK, "n_rows": 5000}
                                  ).n_params for name in ("shared_bottom", "mmoe", "ple")}
    for name, size in sizes.items():
        assert abs(size - 60_000) / 60_000 < 0.05, (name, size)


def test_a_distribution_strategy_is_accepted():
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    result = run_experiment("shared_bottom", strategy=strategy, **QUICK)
    assert result.table.auc_is_click.iloc[0] > 0.5


def test_prints_the_table_like_the_source_chapter(capsys):
    run_experiment("shared_bottom", **{**QUICK, "show": True, "n_rows": 5000})
    printed = capsys.readouterr().out
    assert printed.startswith("shared_bottom (seed 0, ")  # the table says which model it is
    assert printed.splitlines()[1].startswith("+---")
    assert "auc_is_click" in printed and "val_user_is_like" in printed


def test_kuairand_dataset_can_be_passed_in(kuairand_dir):
    from funrec.data import load_kuairand

    result = run_experiment("mmoe", dataset=load_kuairand(kuairand_dir), tasks=["is_click"],
                            epochs=1, batch_size=16, show=False)
    assert list(result.table.columns[:2]) == ["auc_is_click", "auc_macro"]


@pytest.mark.parametrize("name, overrides, message", [
    ("transformer", {}, "unknown model 'transformer'; choose one of shared_bottom, omoe, mmoe"),
    ("mmoe", dict(num_experts=0), "num_experts must be a whole number of at least 1"),
    ("ple", dict(num_levels=0), "num_levels must be a whole number of at least 1"),
    ("cgc", dict(shared_experts=-1), "shared_experts must be"),
    ("ple", dict(task_experts=1.5), "task_experts must be"),
    ("mmoe", dict(expert_units=[64, 0]), "expert_units must hold whole numbers"),
    ("mmoe", dict(expert_units=64), "expert_units must be a list"),
    ("mmoe", dict(tasks=[]), "tasks is empty"),
    ("mmoe", dict(tasks=["is_click", "is_click"]), r"unique; \['is_click'\]"),
    ("mmoe", dict(tasks=["is_click", "watch_time"]), r"\['watch_time'\] are not labels"),
    ("mmoe", dict(num_levels=2), "unknown option 'num_levels' for model 'mmoe'"),
    ("cgc", dict(num_levels=2), "unknown option 'num_levels' for model 'cgc'"),
    ("mmoe", dict(conflict=2), r"conflict must be a number in \[0, 1\]"),
    ("mmoe", dict(dataset="kuairand"), "dataset must be a funrec Dataset"),
    ("mmoe", dict(batch_size=10 ** 7), r"batch_size=10000000 is more than the [\d,]+ training"),
    ("mmoe", dict(sample_fraction=0), r"sample_fraction must be a number in \(0, 1\]"),
])
def test_bad_input_is_refused_before_training(name, overrides, message, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("training started despite bad input")

    monkeypatch.setattr("funrec.experiment.fit_replicas", no_training)
    with pytest.raises((ValueError, TypeError), match=message):
        run_experiment(name, **{**QUICK, **overrides})


def test_non_binary_labels_are_refused(small_log, monkeypatch):
    monkeypatch.setattr("funrec.experiment.fit_replicas",
                        lambda *a, **k: pytest.fail("trained anyway"))
    data = small_log.take(np.arange(len(small_log)))
    data.labels["is_like"] = data.labels["is_like"] * 2
    with pytest.raises(ValueError, match="labels of task 'is_like' must be 0 or 1"):
        run_experiment("mmoe", dataset=data, show=False)


def test_every_model_name_runs():
    for name in MODEL_NAMES:
        result = run_experiment(name, **{**QUICK, "n_rows": 5000})
        assert np.isfinite(result.table.auc_macro.iloc[0]), name


def test_every_model_trains_the_six_tasks_of_the_many_task_story():
    from funrec.data import tasks_of

    six = list(tasks_of("many_tasks"))
    for name in MODEL_NAMES:
        result = run_experiment(name, conflict="two_groups", n_rows=30_000, epochs=1,
                                show=False)
        assert result.tasks == six and set(result.predictions) == set(six), name
        row = result.table.iloc[0]
        aucs = np.array([row[f"auc_{t}"] for t in six])
        assert np.all(np.isfinite(aucs)), name
        # ~35 test positives per social task at this size: only the clicks' and the
        # macro AUC are steady enough to ask for more than a number.
        assert row["auc_is_click"] > 0.6 and row["auc_macro"] > 0.55, (name, aucs)


def test_run_seeds_gives_the_tables_and_weights_of_separate_runs():
    from funrec import run_seeds

    together = run_seeds("ple", seeds=[0, 1, 2], **QUICK)
    for seed, result in zip([0, 1, 2], together):
        alone = run_experiment("ple", seed=seed, **QUICK)
        assert result.config["seed"] == seed
        pd.testing.assert_frame_equal(result.table, alone.table)
        assert all(np.array_equal(a, b) for a, b in
                   zip(result.model.get_weights(), alone.model.get_weights()))
    assert together[0].table.auc_is_click.iloc[0] != together[1].table.auc_is_click.iloc[0]
    with pytest.raises(ValueError, match="seeds must be a non-empty list"):
        run_seeds("mmoe", seeds=[], **QUICK)


def test_a_later_run_of_the_same_architecture_reuses_the_traced_step_to_the_same_numbers():
    from funrec import training

    training.forget_traced_steps()
    first = run_experiment("ple", seed=1, **QUICK)  # traces the step and keeps it
    before = [w.copy() for w in first.model.get_weights()]
    (step,) = training._RECENT_STEPS.values()
    traces = step.experimental_get_tracing_count()
    other = dict(QUICK, seed=2, learning_rate=0.03, conflict=0.5)
    reused = run_experiment("ple", **other)
    assert step.experimental_get_tracing_count() == traces  # another seed, rate and log
    training.forget_traced_steps()
    fresh = run_experiment("ple", **other)  # traces anew
    pd.testing.assert_frame_equal(reused.table, fresh.table)
    assert all(np.array_equal(a, b) for a, b in
               zip(reused.model.get_weights(), fresh.model.get_weights()))
    # The reused step trained the new model's own weights, not the first model's.
    assert all(np.array_equal(a, b) for a, b in zip(before, first.model.get_weights()))



def test_the_validation_table_is_scored_when_first_asked_for():
    result = run_experiment("shared_bottom", **QUICK)
    assert result._valid_table is None  # an explorer's click never pays for it
    table = result.valid_table
    assert result.valid_table is table and list(table.columns) == list(result.table.columns)
    assert 0.5 < table.auc_macro.iloc[0] < 1


def test_simulated_log_is_the_data_run_experiment_trains_on():
    from funrec import simulated_log

    data = {k: QUICK[k] for k in ("n_users", "n_videos", "n_authors", "n_rows")}
    log = simulated_log(**data)
    assert simulated_log(**data) is log  # drawn once
    result = run_experiment("shared_bottom", **QUICK)
    assert np.array_equal(result.test.labels["is_click"], log.split_by_date()[2].labels["is_click"])
    with pytest.raises(ValueError, match="data options only"):
        simulated_log(epochs=2)


def test_on_step_end_sees_every_step_with_the_model_in_training():
    seen = []
    result = run_experiment("mmoe", on_step_end=lambda step, model: seen.append((step, model)),
                            **{**QUICK, "epochs": 2})
    steps = result.history["rows"][0] // QUICK["batch_size"]
    assert [step for step, _ in seen] == list(range(2 * steps))
    assert all(model is result.model for _, model in seen)
    assert "on_step_end" not in result.config  # a function, not a setting to report
    with pytest.raises(TypeError, match="on_step_end must be a function"):
        run_experiment("mmoe", on_step_end=3, **QUICK)
