"""Balancing the tasks (funrec.balance): each method against a case worked by hand,
``equal`` and ``static`` against the step as it was before, every method end to end,
and the refusals before training."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from funrec import balance, run_experiment, run_seeds
from funrec.features import feature_columns
from funrec.models import BUILDERS
from funrec.optimizer import Adam
from funrec.options import BALANCE_METHODS
from funrec.training import Replica, epoch_batches, fit, fit_replicas, task_loss

TINY = dict(n_rows=3000, epochs=2, show=False)
LEARNED = [m for m in BALANCE_METHODS if m not in ("equal", "static")]


def test_the_option_lists_every_method_of_the_module():
    assert BALANCE_METHODS == tuple(balance.METHODS)


# ---------------------------------------------------------------- cases worked by hand

def test_pcgrad_projects_each_of_two_conflicting_gradients_off_the_other():
    # g1 . g2 = -1 < 0: g1 - (-1 / 2) g2 = (0.5, 0.5) and g2 - (-1 / 1) g1 = (0, 1),
    # each now at right angles to the other's original gradient; whichever order.
    gradients = tf.constant([[1.0, 0.0], [-1.0, 1.0]])
    for order in ([0, 1], [1, 0]):
        projected, conflicted = balance.project_conflicts(gradients, tf.constant(order))
        np.testing.assert_allclose(projected.numpy(), [[0.5, 0.5], [0.0, 1.0]])
        assert bool(conflicted)
    assert np.allclose(projected.numpy().sum(axis=0), [0.5, 1.5])


def test_pcgrad_leaves_gradients_that_do_not_conflict_alone():
    gradients = tf.constant([[1.0, 0.0], [1.0, 1.0]])  # g1 . g2 = 1 > 0
    projected, conflicted = balance.project_conflicts(gradients, tf.constant([1, 0]))
    np.testing.assert_array_equal(projected.numpy(), gradients.numpy())
    assert not bool(conflicted)


@pytest.mark.parametrize("task_type, scale", [("binary", 1.0), ("regression", 0.5)])
def test_uncertainty_weighting_is_least_at_its_closed_form_optimum(task_type, scale):
    # c exp(-s) L + s / 2 is least where c exp(-s) L = 1/2: s* = log(2 c L), and the
    # weight there, c exp(-s*), is 1 / (2 L) for either kind of task.
    losses = {"a": 0.3, "b": 0.7}
    method = balance.Uncertainty(list(losses), task_type)
    optimum = method.optimum(losses)
    assert optimum == pytest.approx({t: math.log(2 * scale * v) for t, v in losses.items()})
    state = method.make_state(seed=0, learning_rate=0.01)

    def objective(s):
        state["value"].assign(s)
        return float(method.total({t: tf.constant(v) for t, v in losses.items()}, state))

    best = np.array(list(optimum.values()), np.float32)
    grid = np.linspace(-1, 1, 41)
    values = [objective(best + [da, db]) for da in grid for db in grid]
    assert min(values) == pytest.approx(objective(best), abs=1e-6)  # the grid's minimum
    weights = method.weights(losses, state)
    assert {t: float(w) for t, w in weights.items()} == pytest.approx(
        {t: 1 / (2 * v) for t, v in losses.items()}, rel=1e-5)


def test_dwa_weights_from_given_loss_ratios():
    # r = (0.5 / 1.0, 0.4 / 0.4) = (0.5, 1); w = 2 exp(r / 2) / sum exp(r / 2):
    # 2 / (1 + e^0.25) = 0.87565 and 2 e^0.25 / (1 + e^0.25) = 1.12435.
    assert balance.dwa_weights([0.5, 0.4], [1.0, 0.4]) == pytest.approx([0.87565, 1.12435],
                                                                        abs=1e-5)
    assert balance.dwa_weights([0.3, 0.6], [0.6, 1.2]) == pytest.approx([1.0, 1.0])


def test_gradnorm_target_norms_from_given_norms_and_loss_ratios():
    # L / L(0) = (0.5, 0.8), mean 0.65, so r = (0.76923, 1.23077); mean(w G) = 1.5;
    # target = 1.5 r^1.5 = (1.01199, 2.04812); with alpha = 0 every target is the mean.
    norms, weights = tf.constant([2.0, 1.0]), tf.constant([1.0, 1.0])
    losses, initial = tf.constant([0.5, 0.8]), tf.constant([1.0, 1.0])
    np.testing.assert_allclose(
        balance.gradnorm_targets(norms, weights, losses, initial, 1.5).numpy(),
        [1.01199, 2.04812], rtol=1e-5)
    np.testing.assert_allclose(
        balance.gradnorm_targets(norms, weights, losses, initial, 0.0).numpy(), [1.5, 1.5])


def test_famo_weights_and_one_logit_update_by_hand():
    method = balance.FAMO(["a", "b"])
    state = method.make_state(seed=0, learning_rate=0.01)
    # z = (1/2, 1/2), L = (0.2, 0.6): z / L = (2.5, 0.8333), so T c z / L = (1.5, 0.5).
    weights = method.weights({"a": tf.constant(0.2), "b": tf.constant(0.6)}, state)
    assert [float(w) for w in weights.values()] == pytest.approx([1.5, 0.5], rel=1e-5)
    # Task a's loss halves, b's stays: delta = (log 2, 0), z . delta = log 2 / 2, so the
    # gradient is z (delta - z . delta) = (+0.17329, -0.17329); Adam's first step moves
    # each logit by the learning rate against its gradient's sign: a, which fell
    # more, loses weight.
    drop = tf.constant([math.log(2.0), 0.0])
    np.testing.assert_allclose(
        balance.famo_logit_gradient(tf.zeros(2), drop, 0.01).numpy(), [0.17329, -0.17329],
        rtol=1e-4)
    method.after_update(state, {"a": tf.constant(0.4), "b": tf.constant(0.5)},
                        lambda: {"a": tf.constant(0.2), "b": tf.constant(0.5)})
    np.testing.assert_allclose(state["value"].numpy(), [-0.025, 0.025], rtol=1e-4)


# ---------------------------------------------------------------- equal and static: as before

def _reference_fit(model, train, tasks, weights, epochs, batch_size, seed):
    """The training step as it was before funrec.balance, one call per batch:
    ``sum_t w_t L_t`` with constant weights, one gradient, Adam."""
    optimizer = Adam(1e-2)
    optimizer.build(model.trainable_variables)
    state = optimizer.state
    features = {k: tf.constant(v) for k, v in train.features.items()}
    labels = {t: tf.constant(np.asarray(train.labels[t], np.float32).reshape(-1, 1))
              for t in tasks}

    @tf.function(autograph=False)
    def step(rows):
        batch = {k: tf.gather(v, rows) for k, v in features.items()}
        with tf.GradientTape() as tape:
            predictions, _ = model.stateless_call(
                [tf.convert_to_tensor(v) for v in state["variables"]], [], batch,
                training=True)
            losses = {t: task_loss(tf.gather(y, rows), predictions[t], "binary")
                      for t, y in labels.items()}
            total = keras.ops.sum([weights[t] * losses[t] for t in losses])
        Adam.apply(state, tape.gradient(total, state["variables"]))

    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        for rows in epoch_batches(len(train), batch_size, rng):
            step(tf.constant(rows))


@pytest.fixture(scope="module")
def train(small_log):
    return small_log.split_by_date()[0]


def _model(train, seed=0):
    keras.utils.set_random_seed(seed)
    return BUILDERS["mmoe"](feature_columns(train), train.tasks, expert_units=(16,),
                            tower_units=(8,))


@pytest.mark.parametrize("weights", [None, {"is_like": 0.3, "long_view": 2.0}])
def test_fixed_weights_train_the_weights_of_the_step_as_it_was_to_the_bit(train, weights):
    full = {t: 1.0 for t in train.tasks} | (weights or {})
    reference = _model(train)
    _reference_fit(reference, train, train.tasks, full, epochs=2, batch_size=1024, seed=0)
    runs = {"omitted": None, "by name": balance.make_balance(
        "static" if weights else "equal", train.tasks, loss_weights=weights)}
    for label, method in runs.items():
        model = _model(train)
        history = fit(model, train, train.tasks, epochs=2, batch_size=1024,
                      learning_rate=1e-2, seed=0, loss_weights=weights, balance=method)
        for a, b in zip(reference.get_weights(), model.get_weights()):
            np.testing.assert_array_equal(a, b, err_msg=label)
        for t in train.tasks:
            assert history[f"weight_{t}"] == [full[t]] * 2


def test_equal_and_static_ones_give_the_run_of_balance_left_out():
    omitted = run_experiment("mmoe", **TINY)
    for given in (dict(balance="equal"), dict(loss_weights={"is_click": 1.0}),
                  dict(balance="static")):
        run = run_experiment("mmoe", **TINY, **given)
        assert run.table.equals(omitted.table), given
        assert all(np.array_equal(a, b) for a, b in
                   zip(omitted.model.get_weights(), run.model.get_weights()))
    assert omitted.config["balance"] == "equal"


# ---------------------------------------------------------------- every method end to end

@pytest.mark.parametrize("method", LEARNED)
def test_every_method_trains_with_run_seeds_repeatably_and_records_its_weights(method):
    together = run_seeds("mmoe", seeds=[0, 1], balance=method, **TINY)
    alone = run_experiment("mmoe", seed=1, balance=method, **TINY)  # the same call again
    assert together[1].table.equals(alone.table)
    for result in together:
        assert result.config["balance"] == method
        weights = [result.history[f"weight_{t}"] for t in result.tasks]
        assert all(len(w) == 2 and all(np.isfinite(w)) for w in weights)
        assert np.isfinite(result.table.auc_macro.iloc[0])
    if method != "pcgrad":  # every learned method's weights sum to T
        sums = np.sum([result.history[f"weight_{t}"] for t in result.tasks], axis=0)
        np.testing.assert_allclose(sums, len(result.tasks), rtol=0.05)


@pytest.mark.parametrize("method", LEARNED)
def test_every_method_compiles_with_xla(method):
    result = run_experiment("shared_bottom", balance=method, jit_compile=True, **TINY)
    assert np.isfinite(result.table.auc_macro.iloc[0])
    assert len(result.history[f"weight_{result.tasks[0]}"]) == 2


def test_dwa_weighs_the_third_epoch_by_the_first_two_epochs_losses():
    history = run_experiment("mmoe", balance="dwa", **dict(TINY, epochs=3)).history
    tasks = [k[len("weight_"):] for k in history if k.startswith("weight_")]
    for t in tasks:
        assert history[f"weight_{t}"][:2] == [1.0, 1.0]
    expected = balance.dwa_weights([history[f"{t}_loss"][1] for t in tasks],
                                   [history[f"{t}_loss"][0] for t in tasks])
    assert [history[f"weight_{t}"][2] for t in tasks] == pytest.approx(expected, rel=1e-5)


def test_pcgrad_records_the_share_of_steps_it_projected():
    history = run_experiment("mmoe", balance="pcgrad", **TINY).history
    assert all(0 <= share <= 1 for share in history["projected_share"])
    assert len(history["projected_share"]) == 2


# ---------------------------------------------------------------- refused before training

@pytest.mark.parametrize("overrides, message", [
    (dict(balance="nosuch"), r"balance must be one of 'equal', 'static', 'uncertainty', "
                             r"'gradnorm', 'dwa', 'pcgrad', 'famo', got 'nosuch'"),
    (dict(balance="gradnorm", loss_weights={"is_click": 2.0}),
     r"loss_weights are fixed weights, but balance='gradnorm' sets its own; "
     r"pass balance='static'"),
    (dict(balance="equal", loss_weights={"is_click": 2.0}), r"balance='equal' weighs every"),
    (dict(balance="famo", tasks=["is_click"]),
     r"balance='famo' balances several tasks, but only \['is_click'\] is trained: "
     r"there is nothing to balance"),
    (dict(balance="pcgrad", strategy=tf.distribute.OneDeviceStrategy("/cpu:0")),
     r"balance='pcgrad' cannot be combined with a strategy"),
])
def test_a_method_that_cannot_run_is_refused_before_training(overrides, message, monkeypatch):
    from funrec import experiment

    monkeypatch.setattr(experiment, "_drawn", lambda **k: pytest.fail("data was drawn"))
    with pytest.raises(ValueError, match=message):
        run_experiment("mmoe", show=False, **overrides)


def test_training_itself_refuses_a_learned_method_under_a_strategy(train):
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    method = balance.make_balance("uncertainty", train.tasks)
    with pytest.raises(ValueError, match="cannot train under a strategy"):
        fit_replicas([Replica(_model(train), Adam(1e-2), 0)], train, train.tasks, epochs=1,
                     batch_size=1024, strategy=strategy, balance=method)


def test_the_command_line_refuses_an_unknown_method_with_the_list():
    from test_cli import cli

    done = cli("run", "mmoe", "--balance", "nosuch")
    assert done.returncode == 2
    assert "invalid choice: 'nosuch'" in done.stderr
    assert all(m in done.stderr for m in BALANCE_METHODS)


# ---------------------------------------------------------------- the study's script

def test_the_study_runs_a_tiny_grid_and_rebuilds_its_summary_from_the_csv(tmp_path):
    from benchmark_scripts import load_benchmark

    study = load_benchmark("loss_balancing")
    grid = dict(study.QUICK, cells=(("clickbait", "clickbait"),), models=("mmoe",),
                methods=("pcgrad", "famo"), static_weights=(0.5, 1.0), n_rows=4000, epochs=1)
    frame = study.run_study(grid, tmp_path / "cache", tmp_path)
    assert len(frame) == 2 * 4  # seeds x (equal, pcgrad, famo, static at 0.5)
    for column in ("story", "level", "model", "method", "seed", "auc_macro",
                   "seconds_per_epoch", *(f"auc_{t}" for t in study.TASKS),
                   *(f"weight_{t}" for t in study.TASKS)):
        assert column in frame.columns
    assert frame.chosen_static.sum() == 2  # one weight chosen, for both seeds
    written = (tmp_path / "loss_balancing.md").read_text()
    assert "## Macro AUC: each method against equal and best static" in written
    study.main(["--from-csv", "--out", str(tmp_path)])
    assert (tmp_path / "loss_balancing.md").read_text() == written
    again = study.run_study(grid, tmp_path / "cache", tmp_path)  # every run cached
    assert again.equals(frame)
