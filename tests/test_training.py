"""The lean training path: batches, loss weights, replicas side by side, devices."""

import subprocess
import sys

import keras
import numpy as np
import pytest

from funrec.options import MODEL_NAMES

from funrec.features import feature_columns
from funrec.models import BUILDERS
from funrec.training import Adam, Replica, epoch_batches, fit, fit_replicas


def test_epoch_batches_are_full_permutations_that_change_every_epoch():
    rng = np.random.default_rng(3)
    first, second = epoch_batches(1000, 64, rng), epoch_batches(1000, 64, rng)
    assert first.shape == second.shape == (1000 // 64, 64)
    for order in (first, second):
        assert len(np.unique(order)) == order.size and order.max() < 1000
    assert not np.array_equal(first, second)
    again = np.random.default_rng(3)
    assert np.array_equal(epoch_batches(1000, 64, again), first)


def _model(train, seed=0, **options):
    keras.utils.set_random_seed(seed)
    return BUILDERS["shared_bottom"](feature_columns(train), train.tasks,
                                     bottom_units=(16,), tower_units=(8,), **options)


@pytest.fixture(scope="module")
def train(small_log):
    return small_log.split_by_date()[0]


def test_history_has_each_task_loss_per_epoch_and_the_loss_falls(train):
    history = fit(_model(train), train, train.tasks, epochs=2, batch_size=512,
                  learning_rate=1e-2, seed=0)
    assert len(history["loss"]) == len(history["epoch_seconds"]) == 2
    assert history["loss"][1] < history["loss"][0]
    assert history["loss"][0] == pytest.approx(sum(history[f"{t}_loss"][0] for t in train.tasks))


def test_a_task_with_zero_loss_weight_does_not_train_its_tower(train):
    model = _model(train)
    tower = model.get_layer("tower_is_like")
    before = [w.numpy().copy() for w in tower.weights]
    history = fit(model, train, train.tasks, epochs=1, batch_size=512, learning_rate=1e-2,
                  seed=0, loss_weights={"is_like": 0.0})
    assert all(np.array_equal(b, w.numpy()) for b, w in zip(before, tower.weights))
    assert history["loss"][0] == pytest.approx(history["is_click_loss"][0]
                                               + history["long_view_loss"][0])


def test_replicas_side_by_side_train_as_they_would_alone(train):
    alone = []
    for seed in (0, 1):
        model = _model(train, seed)
        fit(model, train, train.tasks, epochs=1, batch_size=512, learning_rate=1e-2, seed=seed)
        alone.append(model.get_weights())
    replicas = [Replica(_model(train, seed), Adam(1e-2), seed) for seed in (0, 1)]
    fit_replicas(replicas, train, train.tasks, epochs=1, batch_size=512)
    for weights, replica in zip(alone, replicas):
        for a, b in zip(weights, replica.model.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_one_call_per_step_trains_as_one_call_per_epoch(train):
    # A per-step callback makes the loop call the graph once per step instead of once
    # per epoch; the steps themselves, and so the weights and losses, must not change.
    per_epoch, per_step = _model(train, 0), _model(train, 0)
    seen = []
    first = fit(per_epoch, train, train.tasks, epochs=2, batch_size=512, learning_rate=1e-2,
                seed=0)
    second = fit(per_step, train, train.tasks, epochs=2, batch_size=512, learning_rate=1e-2,
                 seed=0, on_step_end=seen.append)
    assert seen == list(range(2 * (len(train) // 512)))
    assert first["loss"] == second["loss"]
    for a, b in zip(per_epoch.get_weights(), per_step.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_batch_larger_than_the_data_is_refused_with_the_largest_that_works(train):
    with pytest.raises(ValueError, match=f"batch_size={len(train) + 1} is more than the "
                                         f"{len(train):,} training rows"):
        fit(_model(train), train, train.tasks, epochs=1, batch_size=len(train) + 1,
            learning_rate=1e-2, seed=0)


def test_xla_compiled_step_takes_the_same_steps(train):
    plain, compiled = _model(train, 0), _model(train, 0)
    for model, jit in ((plain, False), (compiled, True)):
        fit_replicas([Replica(model, Adam(1e-2), 0)], train, train.tasks, epochs=1,
                     batch_size=512, jit_compile=jit)
    for a, b in zip(plain.get_weights(), compiled.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)  # XLA fuses and reorders sums


def test_xla_with_a_strategy_is_refused_before_training():
    import tensorflow as tf

    from funrec import run_experiment

    with pytest.raises(ValueError, match="jit_compile=True cannot be combined with a strategy"):
        run_experiment("mmoe", n_rows=2_000, jit_compile=True, show=False,
                       strategy=tf.distribute.OneDeviceStrategy("/cpu:0"))


def test_auto_compiles_only_runs_past_the_break_even():
    from funrec.experiment import XLA_BREAK_EVEN_STEPS, compiles_step

    steps = XLA_BREAK_EVEN_STEPS["mmoe"]
    assert not compiles_step("mmoe", "auto", steps - 1)
    assert compiles_step("mmoe", "auto", steps)
    assert not compiles_step("mmoe", "auto", 10 * steps, strategy=object())
    assert compiles_step("mmoe", True, 1) and not compiles_step("mmoe", False, 10 * steps)
    assert set(XLA_BREAK_EVEN_STEPS) == set(MODEL_NAMES)


def test_the_config_records_which_way_an_auto_run_went():
    from funrec import run_experiment
    from funrec.experiment import XLA_BREAK_EVEN_STEPS

    short = run_experiment("mmoe", n_rows=3_000, epochs=1, show=False)
    assert short.config["jit_compile_option"] == "auto" and short.config["jit_compile"] is False
    # Small batches make a long run of a cheap model: past the break-even, it compiles.
    long = run_experiment("mmoe", n_rows=3_000, epochs=1, batch_size=8, show=False)
    steps = long.history["rows"][0] // 8
    assert steps >= XLA_BREAK_EVEN_STEPS["mmoe"] and long.config["jit_compile"] is True
    forced = run_experiment("mmoe", n_rows=3_000, epochs=1, jit_compile=True, show=False)
    assert forced.config["jit_compile_option"] is True and forced.config["jit_compile"] is True


def test_a_strategy_trains_uncompiled_under_auto():
    import tensorflow as tf

    from funrec import run_experiment

    result = run_experiment("mmoe", n_rows=2_000, epochs=1, show=False,
                            strategy=tf.distribute.OneDeviceStrategy("/cpu:0"))
    assert result.config["jit_compile"] is False


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_jit_compile_takes_true_false_or_auto_only(value):
    from funrec.options import resolve

    with pytest.raises(ValueError, match="jit_compile must be True, False or 'auto'"):
        resolve("mmoe", {"jit_compile": value})


MIRRORED = """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from funrec import run_experiment
quick = dict(n_users=200, n_videos=300, n_authors=60, n_rows=20_000, epochs=2,
             batch_size=512, show=False)
one = run_experiment("mmoe", **quick).table
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
two = run_experiment("mmoe", strategy=strategy, **quick).table
for task in ("is_click", "is_like", "long_view"):
    a, b = one[f"auc_{task}"].iloc[0], two[f"auc_{task}"].iloc[0]
    print(task, a, b)
    assert abs(a - b) < 0.005, (task, a, b)
"""


def test_mirrored_strategy_over_two_devices_matches_one_device():
    done = subprocess.run([sys.executable, "-c", MIRRORED], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]


def test_fused_adam_takes_the_same_steps_as_keras_adam():
    import tensorflow as tf

    start = np.array([[0.5, -1.0], [2.0, 0.3]], np.float32)
    ours, theirs = keras.Variable(start), keras.Variable(start)
    adam = Adam(0.1)
    adam.build([ours])
    reference = keras.optimizers.Adam(0.1)
    for step in range(3):
        grad = tf.constant(start * (step + 1) - 0.7)
        Adam.apply(adam.state, [grad])
        reference.apply_gradients([(grad, theirs)])
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5)  # float rounding


def test_a_ples_gradients_are_the_same_on_every_call(train):
    # A 2-level PLE's shared experts feed four gates. While mix_experts concatenated
    # the expert groups, their gradient changed in its last bits on 2 to 5 calls in 100,
    # so the same seed could train a different model; 200 calls caught it on that code.
    import tensorflow as tf

    from funrec.training import task_loss

    keras.utils.set_random_seed(0)
    model = BUILDERS["ple"](feature_columns(train), train.tasks, num_levels=2)
    batch = {k: v[:512] for k, v in train.features.items()}
    labels = {t: np.asarray(train.labels[t][:512], np.float32).reshape(-1, 1)
              for t in train.tasks}

    @tf.function(autograph=False)
    def gradients():
        with tf.GradientTape() as tape:
            predictions = model(batch, training=True)
            total = sum(task_loss(labels[t], predictions[t], "binary") for t in train.tasks)
        return [tf.convert_to_tensor(g) for g in tape.gradient(total, model.trainable_variables)]

    fit(model, train, train.tasks, epochs=1, batch_size=512, learning_rate=1e-2, seed=0)
    first = [g.numpy() for g in gradients()]
    for _ in range(200):
        assert all(np.array_equal(a, b.numpy()) for a, b in zip(first, gradients()))


def test_steps_are_kept_by_description_and_the_least_recently_used_is_let_go(monkeypatch):
    from funrec import training

    monkeypatch.setattr(training, "_RECENT_STEPS", type(training._RECENT_STEPS)())
    made = []

    def make():
        made.append(object())
        return made[-1]

    first = training.reusable_step(("mmoe", 4), make)
    assert training.reusable_step(("mmoe", 4), make) is first and len(made) == 1
    for k in range(training.STEPS_KEPT):  # one more than fits, with ("mmoe", 4) oldest
        training.reusable_step(("ple", k), make)
    assert ("mmoe", 4) not in training._RECENT_STEPS
    assert len(training._RECENT_STEPS) == training.STEPS_KEPT
    # A description that cannot be hashed (a dict inside) gets a new step, not kept.
    assert training.reusable_step(("mmoe", {"units": 4}), make) is made[-1]
    assert len(made) == training.STEPS_KEPT + 2


@pytest.mark.parametrize("name", ["single_task", "ple"])
def test_an_explorer_click_never_compiles(name):
    # The explorers' tiny runs stay below every break-even, so auto never makes a
    # reader's click wait for XLA (benchmarks/explorer_clicks.py times them).
    from funrec import run_experiment
    from funrec.widgets import TINY

    result = run_experiment(name, show=False, **TINY)
    assert result.config["jit_compile_option"] == "auto" and result.config["jit_compile"] is False
