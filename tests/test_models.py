import keras
import numpy as np
import pytest

from funrec.data import Dataset
from funrec.features import feature_columns
from funrec.models import BUILDERS, gate_layers, gate_weights

TASKS = ["is_click", "long_view", "is_like"]


@pytest.fixture(scope="module")
def columns(small_log):
    return feature_columns(small_log, embedding_dim=4)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_builder_returns_one_probability_per_task_keyed_by_name(name, columns, small_log):
    model = BUILDERS[name](columns, TASKS)
    rows = {k: v[:7] for k, v in small_log.features.items()}
    out = model.predict(rows, verbose=0)
    assert set(out) == set(TASKS)
    for t in TASKS:
        assert out[t].shape == (7, 1) and np.all((out[t] > 0) & (out[t] < 1))


def test_mmoe_has_one_gate_per_task_and_omoe_a_single_one(columns, small_log):
    rows = {k: v[:50] for k, v in small_log.features.items()}
    mmoe = gate_weights(BUILDERS["mmoe"](columns, TASKS, num_experts=5), rows)
    assert sorted(task for _, task in mmoe) == sorted(TASKS)
    names, weights = mmoe[(0, "is_click")]
    assert names == [f"expert_{k}" for k in range(5)] and weights.shape == (50, 5)
    np.testing.assert_allclose(weights.sum(axis=1), 1, rtol=1e-5)
    omoe = gate_weights(BUILDERS["omoe"](columns, TASKS, num_experts=3), rows)
    assert list(omoe) == [(0, "all")]


def test_ple_gates_per_level_see_only_their_own_and_shared_experts(columns, small_log):
    rows = {k: v[:20] for k, v in small_log.features.items()}
    model = BUILDERS["ple"](columns, TASKS, num_levels=3, task_experts=2, shared_experts=1)
    gates = gate_weights(model, rows)
    # every task on every level, plus a shared gate on every level but the top
    assert sorted(gates) == sorted([(lv, t) for lv in range(3) for t in TASKS]
                                   + [(0, "shared"), (1, "shared")])
    names, weights = gates[(2, "long_view")]
    assert names == ["long_view_0", "long_view_1", "shared_0"] and weights.shape == (20, 3)
    shared_names, _ = gates[(0, "shared")]
    assert len(shared_names) == 3 * 2 + 1


def test_shared_bottom_and_single_task_have_no_gates(columns):
    for name in ("shared_bottom", "single_task"):
        assert gate_layers(BUILDERS[name](columns, TASKS)) == []


def test_each_expert_starts_from_its_own_weights(columns):
    keras.utils.set_random_seed(0)
    model = BUILDERS["mmoe"](columns, TASKS, num_experts=3, expert_units=(16, 8))
    for kernel in model.get_layer("expert").kernels:
        k = kernel.numpy()  # [experts, inputs, units]
        assert not np.allclose(k[0], k[1]) and not np.allclose(k[1], k[2])
        # each slice is Glorot-uniform for its own fans
        limit = np.sqrt(6 / (k.shape[1] + k.shape[2]))
        assert np.abs(k).max() <= limit and np.abs(k).max() > 0.8 * limit


def test_single_task_shares_no_parameters_between_tasks(columns):
    model = BUILDERS["single_task"](columns, TASKS)
    per_task = {t: {w.path for w in model.weights if t in w.path} for t in TASKS}
    assert sum(map(len, per_task.values())) == len(model.weights)


def test_labels_reach_the_output_of_the_same_name_whatever_the_order():
    """Task 'a' copies feature f's parity, task 'b' is noise; the output named 'a'
    must learn 'a' however the task list is ordered."""
    rng = np.random.default_rng(0)
    n = 4000
    f = rng.integers(1, 11, n).astype(np.int32)
    data = Dataset(features={"f": f}, labels={"b": rng.integers(0, 2, n), "a": f % 2},
                   date=np.repeat([1, 2, 3], [n - 2, 1, 1]), user_id=np.zeros(n, int),
                   vocab_sizes={"f": 11})
    for order in (["a", "b"], ["b", "a"]):
        keras.utils.set_random_seed(0)
        model = BUILDERS["mmoe"](feature_columns(data, 4), order, num_experts=2)
        model.compile(optimizer=keras.optimizers.Adam(0.02),
                      loss={t: "binary_crossentropy" for t in order})
        model.fit(data.features, data.labels, epochs=3, batch_size=256, verbose=0)
        out = model.predict({"f": np.arange(1, 11, dtype=np.int32)}, verbose=0)
        np.testing.assert_array_equal(out["a"].ravel() > 0.5, np.arange(1, 11) % 2 == 1)
